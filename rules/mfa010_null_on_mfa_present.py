"""MFA010 null-on-mfa-present."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import mfa_present_conditions

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Deny", "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                                     "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                                     "iam:ListVirtualMFADevices"],
     "Resource": "*",
     "Condition": {%s}}
  ]
}
"""


class NullOnMfaPresent(Rule):
    code = "MFA010"
    name = "null-on-mfa-present"
    severity = Severity.WARNING
    summary = "Null is tested on aws:MultiFactorAuthPresent, which sessions without MFA carry."
    docs = RuleDocs(
        what="Reports a `Null` test on `aws:MultiFactorAuthPresent`.",
        why=(
            "`Null` asks whether the key is missing. Only requests signed with long-term "
            "access keys lack it: console sign-ins and role sessions without MFA carry it "
            "with the value `false`. A deny with `Null: true` therefore lets every session "
            "without MFA through, and an allow with `Null: false` admits them."
        ),
        example=_POLICY % '"Null": {"aws:MultiFactorAuthPresent": "true"}',
        use_instead=_POLICY % '"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}',
        fix=(
            "In a deny, use `BoolIfExists` with `false`, or `Null: true` on "
            "`aws:MultiFactorAuthAge`, which only MFA sessions carry. In an allow, use `Bool` with `true`."
        ),
        references=("AWS IAM User Guide: AWS global condition context keys, aws:MultiFactorAuthPresent",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                for condition in mfa_present_conditions(statement):
                    if condition.operator.base != "Null":
                        continue
                    if statement.is_deny:
                        effect = "so console and role sessions without MFA, which carry the key as false, are not denied"
                        remedy = "use 'BoolIfExists' with false, or Null true on 'aws:MultiFactorAuthAge'"
                    else:
                        effect = "so sessions without MFA, which carry the key as false, pass the test"
                        remedy = "use 'Bool' with true"
                    yield context.finding(
                        self,
                        condition.operator_node,
                        f"'Null' on '{condition.key}' tests only whether the key is missing, {effect}; {remedy}",
                    )
