"""A loaded source file: its text, node trees and load-time problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mfalint.nodes import Node
from mfalint.positions import LineIndex, Span

__all__ = ["Problem", "Document"]


@dataclass(frozen=True)
class Problem:
    """Something a loader noticed while reading, reported later by a rule.

    ``code`` is the rule that reports it: IAM001 for unreadable input,
    IAM014 for an unquoted YAML date, IAM015 for a duplicate key.
    """

    code: str
    span: Span
    message: str
    jsonpath: str = "$"


@dataclass(eq=False)
class Document:
    """One file (or one in-memory buffer) after loading."""

    path: str
    text: str
    format: str
    roots: list[Node] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The policies extract() found, and loader-specific facts for link().
    policies: list[Any] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    @property
    def readable(self) -> bool:
        """Return False when the file could not be read or parsed at all."""
        # An IAM001 inside an embedded policy string (a Terraform plan, an
        # account dump) has a deeper JSONPath; the rest of the file still reads.
        return not any(problem.code == "IAM001" and problem.jsonpath == "$" for problem in self.problems)
