"""MFA005 deny-inverted."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import is_inverted_deny

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "%s": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
             "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
             "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""


class DenyInverted(Rule):
    code = "MFA005"
    name = "deny-inverted"
    severity = Severity.ERROR
    summary = "An MFA deny lists the enrolment actions in Action instead of NotAction."
    docs = RuleDocs(
        what=(
            "Reports a Deny that applies only without MFA and whose `Action` names nothing but "
            "the MFA set-up actions (creating, enabling and listing devices, the console "
            "helpers and the password change), at least one enrolment action among them."
        ),
        why=(
            "The \"deny everything except set-up until MFA is present\" idiom needs "
            "`NotAction`. Written with `Action`, the statement does the opposite: a user "
            "without MFA can do everything else their other policies allow, and cannot set "
            "up MFA at all."
        ),
        example=_POLICY % "Action",
        use_instead=_POLICY % "NotAction",
        fix="Rename `Action` to `NotAction` in that statement.",
        references=("AWS IAM User Guide: IAM JSON policy elements: NotAction",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                if is_inverted_deny(policy, statement):
                    yield context.finding(
                        self,
                        statement.node.key_node("Action") or statement.action_node,
                        f"{statement.label} denies the MFA set-up actions in 'Action', so without MFA it blocks "
                        "exactly the set-up and nothing else; write 'NotAction' to deny everything except them",
                    )
