"""MFA007 mfa-removable-without-mfa."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam.patterns import action_regex
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_DEVICE_ARN, OWN_USER_ARN, USER_NAMED_DEVICE_ARN, decide_in, user_policies, mfa_gated

TARGETS = (
    ("iam:DeactivateMFADevice", (OWN_USER_ARN,)),
    ("iam:DeleteVirtualMFADevice", (OWN_DEVICE_ARN, USER_NAMED_DEVICE_ARN)),
)

# The severity and consequence of each action being allowed without MFA.
# AWS deletes only a virtual device that is not assigned (DeleteVirtualMFADevice
# API reference), so Delete alone cannot take away an active device.
CONSEQUENCES = {
    "iam:DeactivateMFADevice": (
        Severity.ERROR,
        "a stolen password or access key can deactivate the owner's MFA device and register its own",
    ),
    "iam:DeleteVirtualMFADevice": (
        Severity.WARNING,
        "a stolen password or access key can delete virtual devices that are not assigned yet, such as one "
        "a user is still setting up (an assigned device must be deactivated first)",
    ),
}
SCENARIOS = ("console-no-mfa", "access-keys")

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
     "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
     "NotAction": [%s"iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                   "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                   "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
     "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}
"""


class MfaRemovableWithoutMfa(Rule):
    code = "MFA007"
    name = "mfa-removable-without-mfa"
    severity = Severity.ERROR
    summary = "iam:DeactivateMFADevice or iam:DeleteVirtualMFADevice is allowed without MFA."
    docs = RuleDocs(
        what=(
            "Evaluates `iam:DeactivateMFADevice` on the user's own ARN and "
            "`iam:DeleteVirtualMFADevice` on the user's devices for a console session "
            "without MFA and for long-term access keys. Reports each Allow that grants them "
            "there, and each `NotAction` entry of an MFA deny that exempts them. Deactivation "
            "is an error. Deletion alone is a warning, because AWS deletes only a virtual device "
            "that is not assigned: it cannot take away an active device, but it can destroy a "
            "device another user is still setting up."
        ),
        why=(
            "Whoever holds a stolen password or access key can then switch off the owner's "
            "MFA device and register their own, turning one stolen factor into full "
            "control of the account's user."
        ),
        example=_POLICY % '"iam:DeactivateMFADevice", ',
        use_instead=_POLICY % "",
        fix=(
            "Keep both actions out of the deny's `NotAction`, so they need MFA. An abandoned, "
            "half-created device is cleaned up by an administrator."
        ),
        references=("Duo Labs: Potential gaps in suggested AWS security policies for MFA (2018)",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        reported = set()
        for action, resources in TARGETS:
            for scenario_name in SCENARIOS:
                decisions = [decide_in(policies, action, resource, scenario_name) for resource in resources]
                allowed = [decision for decision in decisions if decision.allowed is True]
                if not allowed:
                    continue
                severity, consequence = CONSEQUENCES[action]
                for ref in allowed[0].statements:
                    for value in ref.statement.actions or []:
                        regex = action_regex(value.text)
                        if regex is None or not regex.fullmatch(action) or id(value.node) in reported:
                            continue
                        reported.add(id(value.node))
                        yield context.finding(
                            self,
                            value.node,
                            f"'{action}' is allowed by {ref.statement.label} with no MFA, so {consequence}; "
                            "allow it only with MFA",
                            severity=severity,
                        )
                for policy in policies:
                    for statement in policy.statements:
                        if not statement.is_deny or not statement.not_actions or not mfa_gated(policy, statement):
                            continue
                        for value in statement.not_actions:
                            regex = action_regex(value.text)
                            if regex is None or not regex.fullmatch(action) or id(value.node) in reported:
                                continue
                            reported.add(id(value.node))
                            if value.text.lower() == action.lower():
                                exempted = f"'{value.text}' is exempt"
                            else:
                                exempted = f"'{value.text}' exempts '{action}'"
                            yield context.finding(
                                self,
                                value.node,
                                f"{exempted} from the MFA deny in {statement.label}, so it "
                                f"works without MFA and {consequence}; remove it from NotAction",
                                severity=severity,
                            )
