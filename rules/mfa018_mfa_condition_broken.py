"""MFA018 mfa-condition-broken."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import broken_mfa_condition

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
     "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                   "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                   "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"%s": "false"}}}
  ]
}
"""


class MfaConditionBroken(Rule):
    code = "MFA018"
    name = "mfa-condition-broken"
    severity = Severity.ERROR
    summary = "The MFA condition of a deny does not track MFA."
    docs = RuleDocs(
        what=(
            "Evaluates each Deny's test on `aws:MultiFactorAuthPresent` or "
            "`aws:MultiFactorAuthAge` (or a near-miss spelling of them) for a session with "
            "and without MFA, and reports a test that gives the same answer for both: a "
            "misspelt key, a value that is not a boolean or a number, an operator of the "
            "wrong family, or a set qualifier on these single-valued keys. The message "
            "says which way it fails. `False`, JSON `false`, a list of one value and a "
            "lower-case key name are valid and not reported."
        ),
        why=(
            "Such a deny either never applies, so enforcement is silently off, or applies "
            "to every request, so nobody can work even after signing in with MFA. With "
            "`...IfExists` a misspelt key is always missing, so the test is always true."
        ),
        example=_POLICY % "aws:MultiFactorAuthPresnt",
        use_instead=_POLICY % "aws:MultiFactorAuthPresent",
        fix="Correct the key, operator or value as the message says.",
        references=("AWS IAM User Guide: AWS global condition context keys, aws:MultiFactorAuthPresent",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                broken = broken_mfa_condition(policy, statement)
                if broken is None:
                    continue
                if broken.denies_everyone:
                    effect = f"so {statement.label} denies every request, even with MFA, and nobody can work"
                else:
                    effect = (
                        f"so {statement.label} does not deny console sign-ins without MFA "
                        "(enforcement is silently off for them)"
                    )
                yield context.finding(self, broken.node, f"{broken.reason}; {effect}")
