"""MFA006 no-enforcing-deny."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import evaluate_conditions
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import context_of, user_policies, expand_actions, mfa_gated

_ALLOW = """    {"Sid": "AllowAllIfMFA", "Effect": "Allow", "Action": "*", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "AllowEnrol", "Effect": "Allow",
     "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"]}"""
_DENY = """,
    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
     "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                   "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                   "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
     "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}"""
_WRAP = '{\n  "Version": "2012-10-17",\n  "Statement": [\n%s\n  ]\n}\n'

ENROLMENT = {"iam:createvirtualmfadevice", "iam:enablemfadevice"}


class NoEnforcingDeny(Rule):
    code = "MFA006"
    name = "no-enforcing-deny"
    severity = Severity.WARNING
    summary = "A policy set offers MFA self-service or grants everything with MFA, but nothing denies without MFA."
    docs = RuleDocs(
        what=(
            "Reports policies that are evidently about MFA, because they let users enrol "
            "their own device or grant all actions only with MFA, yet contain no Deny that "
            "applies to sessions without MFA."
        ),
        why=(
            "IAM adds up every Allow a user has. An \"MFA policy\" made only of Allows does "
            "not stop any other attached policy, such as AdministratorAccess or a team "
            "policy, from working without MFA. Enforcement needs an explicit Deny."
        ),
        example=_WRAP % _ALLOW,
        use_instead=_WRAP % (_ALLOW + _DENY),
        fix=(
            "Add a Deny with `NotAction` listing the enrolment and password-change actions, "
            "`\"Resource\": \"*\"` and `BoolIfExists` `aws:MultiFactorAuthPresent` `false`."
        ),
        references=("AWS IAM User Guide: example policy \"Allows MFA-authenticated IAM users to manage their own credentials\"",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        if any(statement.is_deny and mfa_gated(policy, statement) for policy in policies for statement in policy.statements):
            return
        evidence = None
        for policy in policies:
            for statement in policy.statements:
                if statement.is_allow and self._mfa_related(policy, statement):
                    evidence = (policy, statement)
                    break
            if evidence:
                break
        if evidence is None:
            return
        policy, statement = evidence
        yield context.finding(
            self,
            policy.node.get("Statement") or policy.node,
            f"{statement.label} is about MFA, but no statement denies anything without MFA, so any other "
            "policy attached to the same users works without MFA; add a Deny with NotAction and "
            "BoolIfExists aws:MultiFactorAuthPresent false",
        )

    @staticmethod
    def _mfa_related(policy, statement) -> bool:
        """Return True for an Allow of enrolment, or of every action only with MFA."""
        names: set[str] = set()
        for value in statement.actions or []:
            names |= expand_actions(value.text)
        if names & ENROLMENT:
            return True
        if "*" not in names and statement.not_actions is None:
            return False
        variables = policy.uses_variables
        with_mfa = evaluate_conditions(statement.conditions, context_of("console-mfa"), variables)
        without = evaluate_conditions(statement.conditions, context_of("console-no-mfa"), variables)
        return with_mfa is True and without is False
