"""MFA009 enrolment-blocked."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import StatementRef
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import (
    OWN_DEVICE_ARN,
    OWN_USER_ARN,
    decide_in,
    denying_statements,
    user_policies,
    is_inverted_deny,
    quote_actions,
    when_clause,
)

# Actions a user without MFA needs to register a first virtual device, with
# the resource each is called on.
REQUIRED = (
    ("iam:CreateVirtualMFADevice", OWN_DEVICE_ARN),
    ("iam:EnableMFADevice", OWN_USER_ARN),
    ("iam:ListMFADevices", OWN_USER_ARN),
)
# Calls the console makes on the way; without them the set-up pages show errors.
CONSOLE_HELPERS = (
    ("iam:GetUser", OWN_USER_ARN),
    ("iam:ListVirtualMFADevices", "*"),
)

_DENY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "NotAction": [%s"iam:ChangePassword", "iam:GetAccountPasswordPolicy"],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""
_ENROLMENT = (
    '"iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser",\n'
    '                    "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice",\n                    '
)


class EnrolmentBlocked(Rule):
    code = "MFA009"
    name = "enrolment-blocked"
    severity = Severity.ERROR
    summary = "A user without MFA cannot register a first MFA device."
    docs = RuleDocs(
        what=(
            "Evaluates, as a console sign-in without MFA, the calls that register a first "
            "virtual MFA device: `iam:CreateVirtualMFADevice` on a device the user names, and "
            "`iam:EnableMFADevice` and `iam:ListMFADevices` on the user's own ARN. Reports a "
            "Deny that blocks any of them, and an Allow that grants them only with MFA (a "
            "deadlock). Blocking only the console helpers `iam:GetUser` or "
            "`iam:ListVirtualMFADevices` is a warning."
        ),
        why=(
            "A new user has no MFA device, so every request carries "
            "`aws:MultiFactorAuthPresent = false`. If registering the device needs MFA, the "
            "user can never get out of that state, and every MFA-protected permission stays "
            "out of reach until an administrator steps in."
        ),
        example=_DENY % "",
        use_instead=_DENY % _ENROLMENT,
        fix=(
            "Add the enrolment actions to the deny's `NotAction`, and grant them in an Allow "
            "without an MFA condition, scoped to `mfa/*` and the user's own ARN."
        ),
        references=(
            "AWS IAM User Guide: Assign a virtual MFA device in the AWS Management Console",
            "AWS IAM User Guide: example policy \"Allows MFA-authenticated IAM users to manage their own MFA device\"",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        denied: dict[int, tuple[StatementRef, list[str], bool]] = {}
        deadlocked: dict[int, tuple[StatementRef, list[str], bool]] = {}
        for steps, required in ((REQUIRED, True), (CONSOLE_HELPERS, False)):
            for action, resource in steps:
                without = decide_in(policies, action, resource, "console-no-mfa")
                if without.allowed is True:
                    continue
                denies = denying_statements(without)
                for ref in denies:
                    if not is_inverted_deny(ref.policy, ref.statement):  # MFA005 reports those
                        self._add(denied, ref, action, required)
                if denies:
                    continue
                with_mfa = decide_in(policies, action, resource, "console-mfa")
                if with_mfa.allowed:
                    for ref in with_mfa.statements:
                        self._add(deadlocked, ref, action, required)

        for ref, actions, required in denied.values():
            statement = ref.statement
            verb = "are" if len(actions) > 1 else "is"
            yield context.finding(
                self,
                statement.action_node,
                f"without MFA, {quote_actions(actions)} {verb} denied by {statement.label}"
                f"{when_clause(ref, 'console-no-mfa')}, so a user who has "
                f"no MFA device yet {'can never register one' if required else 'gets errors on the console pages that register one'}; "
                "add them to its NotAction",
                severity=Severity.ERROR if required else Severity.WARNING,
            )
        for ref, actions, required in deadlocked.values():
            statement = ref.statement
            verb = "are" if len(actions) > 1 else "is"
            condition = statement.node.get("Condition") or statement.action_node
            yield context.finding(
                self,
                condition,
                f"{quote_actions(actions)} {verb} allowed only with MFA by {statement.label}, so a user who has "
                "no MFA device yet can never register one (a deadlock); allow them without the MFA condition",
                severity=Severity.ERROR if required else Severity.WARNING,
            )

    @staticmethod
    def _add(table: dict[int, tuple[StatementRef, list[str], bool]], ref: StatementRef, action: str, required: bool) -> None:
        entry = table.get(id(ref.statement))
        if entry is None:
            table[id(ref.statement)] = (ref, [action], required)
        else:
            entry[1].append(action)
            table[id(ref.statement)] = (ref, entry[1], entry[2] or required)
