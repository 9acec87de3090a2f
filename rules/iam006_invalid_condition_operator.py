"""IAM006 invalid-condition-operator."""

from __future__ import annotations

import difflib
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.model import CONDITION_OPERATORS
from mfalint.rule import CheckContext, Rule, RuleDocs

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Deny", "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                                     "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                                     "iam:ListVirtualMFADevices"],
     "Resource": "*",
     "Condition": {"%s": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}
"""

_ALL_SPELLINGS = sorted(
    [*CONDITION_OPERATORS, *(f"{name}IfExists" for name in CONDITION_OPERATORS if name != "Null")]
)


def _suggest(text: str) -> str | None:
    qualifier, colon, base = text.rpartition(":")
    close = difflib.get_close_matches(base, _ALL_SPELLINGS, n=1, cutoff=0.7)
    if not close:
        return None
    if colon and qualifier.lower().startswith("for"):
        fixed = "ForAllValues" if "all" in qualifier.lower() else "ForAnyValue"
        return f"{fixed}:{close[0]}"
    return close[0]


class InvalidConditionOperator(Rule):
    code = "IAM006"
    name = "invalid-condition-operator"
    severity = Severity.ERROR
    summary = "A condition operator is one IAM rejects."
    docs = RuleDocs(
        what=(
            "Reports a condition operator that IAM does not accept: a misspelling such as "
            "`BoolIfExist` or `StringEqual`, an unknown set qualifier, and `Null` with "
            "`IfExists` or with `ForAllValues:`/`ForAnyValue:`."
        ),
        why=(
            "IAM rejects the whole policy when it is uploaded. A tool that skips the check "
            "shows a deny that looks enforced but never is, because the policy never reaches "
            "the account, or reaches it only after someone deletes the condition to make the "
            "upload pass."
        ),
        example=_POLICY % "BoolIfExist",
        use_instead=_POLICY % "BoolIfExists",
        fix="Use the operator name as AWS documents it; the message suggests the nearest one.",
        references=("AWS IAM User Guide: IAM JSON policy elements: Condition operators",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                seen = set()
                for condition in statement.conditions:
                    operator = condition.operator
                    if operator.valid or id(condition.operator_node) in seen:
                        continue
                    seen.add(id(condition.operator_node))
                    if operator.base == "Null":
                        message = f"'{operator.text}' is invalid: Null takes neither IfExists nor a set qualifier; write 'Null'"
                    else:
                        suggestion = _suggest(operator.text)
                        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
                        message = f"'{operator.text}' is not a condition operator, so IAM rejects the policy{hint}"
                    yield context.finding(self, condition.operator_node, message)
