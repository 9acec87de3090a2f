"""Findings, severities and fixes: the structured result of every check.

A finding is data. Reporters turn it into text; nothing here formats output
for people.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from mfalint.positions import Span

__all__ = ["Severity", "Edit", "Fix", "Finding", "INTERNAL_ERROR_CODE", "INTERNAL_ERROR_NAME"]

# The code of a finding that reports a fault of mfalint or a plugin, not of the input.
INTERNAL_ERROR_CODE = "INT001"
INTERNAL_ERROR_NAME = "internal-error"


class Severity(enum.IntEnum):
    """How serious a finding is. Higher values are more serious."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(member.label for member in cls)
            raise ValueError(f"invalid severity {text!r}; expected one of {choices}") from None


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text in ``span`` with ``new_text``."""

    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a finding, as text edits of its file."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "safe": self.safe,
            "edits": [
                {
                    "line": edit.span.start.line,
                    "column": edit.span.start.column,
                    "end_line": edit.span.end.line,
                    "end_column": edit.span.end.column,
                    "new_text": edit.new_text,
                }
                for edit in self.edits
            ],
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in one file."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    span: Span
    jsonpath: str = "$"
    fix: Fix | None = None
    # Extra facts a reporter or a test may use, such as the statement Sid.
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.start.line, self.span.start.column, self.code)

    def to_json(self) -> dict[str, Any]:
        """Return the public JSON shape of a finding (a stable interface)."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "path": self.path,
            "line": self.span.start.line,
            "column": self.span.start.column,
            "end_line": self.span.end.line,
            "end_column": self.span.end.column,
            "jsonpath": self.jsonpath,
            "fix": self.fix.to_json() if self.fix else None,
        }
