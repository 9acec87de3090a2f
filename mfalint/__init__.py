"""mfalint: lint AWS IAM policies for mistakes that break or weaken MFA enforcement.

The library entry points are ``lint_paths`` and ``lint_text``; the evaluator
is in ``mfalint.iam``; plugins use ``hookimpl`` and ``mfalint.rule.Rule``.
"""

from __future__ import annotations

from typing import Sequence

from mfalint.config import Settings
from mfalint.findings import Finding, Fix, Severity
from mfalint.hookspecs import hookimpl
from mfalint.rule import CheckContext, Rule, RuleDocs

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "CheckContext",
    "Finding",
    "Fix",
    "Rule",
    "RuleDocs",
    "Settings",
    "Severity",
    "hookimpl",
    "lint_paths",
    "lint_text",
]


def lint_paths(paths: Sequence[str], settings: Settings | None = None) -> list[Finding]:
    """Lint files and directories; return the findings sorted by path and position."""
    from mfalint.runner import Linter

    return Linter(settings).lint_paths(paths).findings


def lint_text(text: str, path: str = "policy.json", settings: Settings | None = None) -> list[Finding]:
    """Lint in-memory text; the suffix of ``path`` chooses the format."""
    from mfalint.runner import Linter

    return Linter(settings).lint_text(text, path)
