"""MFA013 device-rotation-impossible."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_USER_ARN, decide_in, user_policies

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/*"},
    {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}%s
  ]
}
"""
_ROTATE = """,
    {"Effect": "Allow", "Action": "iam:DeactivateMFADevice", "Resource": "arn:aws:iam::*:user/${aws:username}",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}"""


class DeviceRotationImpossible(Rule):
    code = "MFA013"
    name = "device-rotation-impossible"
    severity = Severity.WARNING
    summary = "Users can enrol an MFA device but never deactivate their own, even with MFA."
    docs = RuleDocs(
        what=(
            "Reports policies that let users enable their own MFA device but do not allow "
            "`iam:DeactivateMFADevice` on the user's own ARN, even in a session with MFA."
        ),
        why=(
            "A user who replaces or loses a phone cannot remove the old device, so every "
            "phone change needs an administrator, and in practice someone eventually grants "
            "the action without any MFA condition."
        ),
        example=_POLICY % "",
        use_instead=_POLICY % _ROTATE,
        fix="Allow `iam:DeactivateMFADevice` on `arn:aws:iam::*:user/${aws:username}` with `Bool` `aws:MultiFactorAuthPresent` `true`.",
        references=("AWS IAM User Guide: example policy \"Allows IAM users to self-manage an MFA device\"",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        enrol = None
        for scenario_name in ("console-no-mfa", "console-mfa"):
            decision = decide_in(policies, "iam:EnableMFADevice", OWN_USER_ARN, scenario_name)
            if decision.allowed is True:
                enrol = decision
                break
        if enrol is None:
            return
        if decide_in(policies, "iam:DeactivateMFADevice", OWN_USER_ARN, "console-mfa").allowed is not False:
            return
        statement = enrol.statements[0].statement
        yield context.finding(
            self,
            statement.action_node,
            f"users can enable their own MFA device ({statement.label}) but cannot deactivate it even with MFA, "
            "so replacing a lost or new phone needs an administrator; allow 'iam:DeactivateMFADevice' on their "
            "own user with Bool aws:MultiFactorAuthPresent true",
        )
