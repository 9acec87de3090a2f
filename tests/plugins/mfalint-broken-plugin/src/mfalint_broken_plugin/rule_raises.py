"""An entry point that loads and registers, but whose rule BRK001 raises on every file."""

from __future__ import annotations

from typing import Iterable

from mfalint import CheckContext, Finding, Rule, RuleDocs, Severity, hookimpl

__all__ = ["RuleRaises", "mfalint_rules"]


class RuleRaises(Rule):
    code = "BRK001"
    name = "rule-raises"
    severity = Severity.WARNING
    summary = "Raises RuntimeError on every file, to test how mfalint reports a failing rule."
    docs = RuleDocs(
        what="Raises RuntimeError instead of checking the file.",
        why="mfalint must report a failing rule as an internal error and go on with the other rules.",
        example="{}",
        use_instead="{}",
        fix="None: this rule exists only for tests.",
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        raise RuntimeError(f"BRK001 cannot check {context.document.path}")


@hookimpl
def mfalint_rules():
    return [RuleRaises()]
