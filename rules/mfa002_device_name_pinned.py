"""MFA002 device-name-pinned."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import Outcome
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_DEVICE_ARN, USER_NAMED_DEVICE_ARN, decide_in, enforced_policies

CREATE_DEVICE = "iam:CreateVirtualMFADevice"


class DeviceNamePinned(Rule):
    code = "MFA002"
    name = "device-name-pinned"
    severity = Severity.WARNING
    summary = "iam:CreateVirtualMFADevice is allowed only for a device named after the user."
    docs = RuleDocs(
        what=(
            "Evaluates `iam:CreateVirtualMFADevice` for a device named after the user "
            "(`mfa/alice`) and for a device with another name (`mfa/my-phone`). Reports the "
            "Allow statements when only the first is allowed, as with "
            "`arn:aws:iam::*:mfa/${aws:username}`."
        ),
        why=(
            "Since November 2022 the IAM console asks users to name their virtual MFA "
            "device, and a user may register up to eight devices. A policy written for the "
            "old behaviour refuses every device not named exactly like the user, so users "
            "get AccessDenied when they enrol, add a second device or retry a half-finished "
            "set-up."
        ),
        example='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "iam:CreateVirtualMFADevice",\n      "Resource": "arn:aws:iam::*:mfa/${aws:username}"\n    }\n  ]\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "iam:CreateVirtualMFADevice",\n      "Resource": "arn:aws:iam::*:mfa/*"\n    }\n  ]\n}\n',
        fix=(
            "Allow `iam:CreateVirtualMFADevice` on `arn:aws:iam::*:mfa/*`. The device is tied "
            "to the user by `iam:EnableMFADevice`, which stays scoped to the user's own ARN."
        ),
        references=(
            "AWS Security Blog, November 2022: You can now assign multiple MFA devices in IAM",
            "AWS IAM User Guide: example policy \"Allows MFA-authenticated IAM users to manage their own MFA device\"",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = enforced_policies(context.policies)
        if not policies:
            return
        for scenario_name in ("console-no-mfa", "console-mfa"):
            user_named = decide_in(policies, CREATE_DEVICE, USER_NAMED_DEVICE_ARN, scenario_name)
            if user_named.outcome is not Outcome.ALLOW:
                continue
            other_name = decide_in(policies, CREATE_DEVICE, OWN_DEVICE_ARN, scenario_name)
            if other_name.allowed is not False:
                return
            for ref in user_named.statements:
                resources = [value.text for value in ref.statement.resources or [] if ":mfa/" in value.text]
                shown = ", ".join(f"'{text}'" for text in resources) or "the user's own name"
                yield context.finding(
                    self,
                    ref.statement.resource_node,
                    f"'{CREATE_DEVICE}' is allowed only on {shown}, so a device the user names any other way, "
                    "or a second device, is refused; users name their own devices since November 2022, "
                    "so allow 'arn:aws:iam::*:mfa/*'",
                )
            return
