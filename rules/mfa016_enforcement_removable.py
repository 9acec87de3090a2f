"""MFA016 enforcement-removable."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_USER_ARN, decide_in, user_policies, quote_actions

_ACCOUNT = OWN_USER_ARN.split(":")[4]
_GROUP = f"arn:aws:iam::{_ACCOUNT}:group/example"
_POLICY_ARN = f"arn:aws:iam::{_ACCOUNT}:policy/example"

# Actions that let a user detach, rewrite or leave the policy that enforces MFA.
ESCAPES = (
    ("iam:DetachUserPolicy", OWN_USER_ARN),
    ("iam:DeleteUserPolicy", OWN_USER_ARN),
    ("iam:PutUserPolicy", OWN_USER_ARN),
    ("iam:DetachGroupPolicy", _GROUP),
    ("iam:DeleteGroupPolicy", _GROUP),
    ("iam:PutGroupPolicy", _GROUP),
    ("iam:RemoveUserFromGroup", _GROUP),
    ("iam:CreatePolicyVersion", _POLICY_ARN),
    ("iam:SetDefaultPolicyVersion", _POLICY_ARN),
    ("iam:DeletePolicy", _POLICY_ARN),
)

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "%s", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Effect": "Deny", "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}
"""


class EnforcementRemovable(Rule):
    code = "MFA016"
    name = "enforcement-removable"
    severity = Severity.INFO
    opt_in = True
    summary = "The users the MFA policy constrains can detach or rewrite it."
    docs = RuleDocs(
        what=(
            "Evaluates, for a session with MFA, the IAM actions that detach, delete or "
            "rewrite a user or group policy, or remove the user from a group, and reports "
            "the statements that allow them. Opt-in: select MFA016 by name."
        ),
        why=(
            "A user who can detach the MFA policy from themselves can switch enforcement "
            "off, for example with credentials obtained in an MFA session and reused later."
        ),
        example=_POLICY % "iam:*",
        use_instead=_POLICY % "iam:Get*",
        fix=(
            "Deny the detach and edit actions for the MFA policy's ARN (for example with an "
            "`iam:PolicyARN` condition), or enforce MFA from outside the account with an SCP."
        ),
        references=("AWS IAM User Guide: Controlling access to IAM policies",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        by_statement: dict[int, tuple[object, list[str]]] = {}
        for action, resource in ESCAPES:
            decision = decide_in(policies, action, resource, "console-mfa")
            if decision.allowed is not True:
                continue
            for ref in decision.statements:
                entry = by_statement.setdefault(id(ref.statement), (ref.statement, []))
                entry[1].append(action)
        for statement, actions in by_statement.values():
            shown = quote_actions(actions, limit=4)
            yield context.finding(
                self,
                statement.action_node,
                f"{statement.label} lets users run {shown}, so they can detach or rewrite the policy that "
                "enforces MFA on them",
            )
