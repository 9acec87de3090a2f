"""MFA011 mfa-age-skips-access-keys."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import evaluate_condition
from mfalint.iam.global_keys import MFA_AGE
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import context_of

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteBucket"], "Resource": "*",
     "Condition": {"%s": {"aws:MultiFactorAuthAge": "900"}}}
  ]
}
"""


class MfaAgeSkipsAccessKeys(Rule):
    code = "MFA011"
    name = "mfa-age-skips-access-keys"
    severity = Severity.ERROR
    summary = "A Numeric test on aws:MultiFactorAuthAge lets requests without MFA through."
    docs = RuleDocs(
        what=(
            "Reports a `Numeric*` test on `aws:MultiFactorAuthAge` without `IfExists` in a "
            "Deny, and with `IfExists` in an Allow."
        ),
        why=(
            "Requests without MFA, and all requests signed with long-term access keys, carry "
            "no `aws:MultiFactorAuthAge`. Without `IfExists` a deny's test is false for them, "
            "so they are not denied; with `IfExists` an allow's test is true for them, so they "
            "are allowed. Either way the MFA age check lets requests with no MFA at all "
            "through."
        ),
        example=_POLICY % "NumericGreaterThan",
        use_instead=_POLICY % "NumericGreaterThanIfExists",
        fix="In a Deny use `NumericGreaterThanIfExists`; in an Allow drop `IfExists` (and test `Bool` `aws:MultiFactorAuthPresent` too).",
        references=("AWS IAM User Guide: AWS global condition context keys, aws:MultiFactorAuthAge",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        keys = context_of("access-keys")
        for policy in context.policies:
            for statement in policy.statements:
                for condition in statement.conditions:
                    if condition.key_lower != MFA_AGE or condition.operator.family != "Numeric":
                        continue
                    result = evaluate_condition(condition, keys, policy.uses_variables)
                    if statement.is_deny and result is False:
                        message = (
                            f"'{condition.operator.text}' on '{condition.key}' is false when the key is missing; "
                            "requests without MFA and requests signed with long-term access keys carry no MFA age, "
                            f"so {statement.label} never denies them; use '{condition.operator.text}IfExists'"
                        )
                    elif statement.is_allow and result is True:
                        message = (
                            f"'{condition.operator.text}' on '{condition.key}' is true when the key is missing, so "
                            f"{statement.label} also allows requests signed with long-term access keys, without MFA; "
                            f"use '{condition.operator.base}'"
                        )
                    else:
                        continue
                    yield context.finding(self, condition.operator_node, message)
