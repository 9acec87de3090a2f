"""MFA015 extra-device-with-one-factor."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_DEVICE_ARN, OWN_USER_ARN, decide_in, user_policies

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/*"},
    {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"%s}
  ]
}
"""


class ExtraDeviceWithOneFactor(Rule):
    code = "MFA015"
    name = "extra-device-with-one-factor"
    severity = Severity.INFO
    opt_in = True
    summary = "Enrolment stays open without MFA, so one stolen factor can add a device."
    docs = RuleDocs(
        what=(
            "Reports policies under which a session without MFA can create and enable a "
            "virtual MFA device. Opt-in: select MFA015 by name."
        ),
        why=(
            "Enrolment must work without MFA for new users. But the same exemption applies "
            "to users who already have MFA, and since November 2022 a user may register "
            "several devices. Someone holding only a stolen password or access key can add "
            "their own device and then pass every MFA check."
        ),
        example=_POLICY % "",
        use_instead=_POLICY % ',\n     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}',
        fix=(
            "Use two groups: an enrolment group for users without a device, and an enrolled "
            "group where enrolment needs MFA. Alert on iam:EnableMFADevice, and do not give "
            "console users long-term access keys."
        ),
        references=("AWS Security Blog, November 2022: You can now assign multiple MFA devices in IAM",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        for scenario_name in ("access-keys", "console-no-mfa"):
            create = decide_in(policies, "iam:CreateVirtualMFADevice", OWN_DEVICE_ARN, scenario_name)
            enable = decide_in(policies, "iam:EnableMFADevice", OWN_USER_ARN, scenario_name)
            if create.allowed is True and enable.allowed is True:
                statement = enable.statements[0].statement
                how = "a long-term access key" if scenario_name == "access-keys" else "a password"
                yield context.finding(
                    self,
                    statement.action_node,
                    f"without MFA, users can create and enable an MFA device ({statement.label}), so someone "
                    f"holding only {how} can register a device of their own; acceptable for enrolment, "
                    "risky for users who already have MFA",
                )
                return
