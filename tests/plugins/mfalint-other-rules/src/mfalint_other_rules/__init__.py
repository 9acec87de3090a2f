"""An mfalint plugin whose only rule takes the code EXA001, which mfalint-example-rules already uses."""

from __future__ import annotations

from typing import Iterable

from mfalint import CheckContext, Finding, Rule, RuleDocs, Severity, hookimpl

__all__ = ["SameCode", "mfalint_rules"]


class SameCode(Rule):
    code = "EXA001"
    name = "same-code"
    severity = Severity.INFO
    summary = "Reports nothing; it only takes a code that another plugin already uses."
    docs = RuleDocs(
        what="Reports nothing.",
        why="Two plugins must not share a rule code, and mfalint must say so.",
        example="{}",
        use_instead="{}",
        fix="Give the rule a code of its own.",
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        return []


@hookimpl
def mfalint_rules():
    return [SameCode()]
