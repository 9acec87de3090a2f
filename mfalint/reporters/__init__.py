"""Reporters: findings to text in one output format.

A reporter has a ``name`` (the ``--format`` value) and a
``render(findings, context)`` method returning the whole report as a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from mfalint.findings import Finding
from mfalint.rule import Rule

__all__ = ["Reporter", "ReportContext"]


@dataclass(frozen=True)
class ReportContext:
    """Facts a reporter may need beyond the findings."""

    rules: dict[str, Rule] = field(default_factory=dict)
    show_source: bool = False
    # Source text of each reported path, for snippets.
    sources: dict[str, str] = field(default_factory=dict)
    files_checked: int = 0
    # Reported path of every checked file, in the order read; empty when the caller does not pass them.
    files: tuple[str, ...] = ()


@runtime_checkable
class Reporter(Protocol):
    name: str

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str: ...
