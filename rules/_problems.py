"""Rules that report what the loaders noticed while reading a file."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding
from mfalint.rule import CheckContext, Rule

__all__ = ["ProblemRule"]


class ProblemRule(Rule):
    """Report every load-time Problem recorded under this rule's code."""

    # Report only in documents that hold a policy, not in any JSON or YAML file.
    needs_policy: bool = False

    def check(self, context: CheckContext) -> Iterable[Finding]:
        if self.needs_policy and not context.policies:
            return
        for problem in context.document.problems:
            if problem.code == self.code:
                yield context.finding(self, problem.span, problem.message, jsonpath=problem.jsonpath)
