"""MFA019 console-user-without-mfa."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import mfa_gated


class ConsoleUserWithoutMfa(Rule):
    code = "MFA019"
    name = "console-user-without-mfa"
    severity = Severity.WARNING
    summary = "A user with a console password has no attached policy that denies without MFA."
    docs = RuleDocs(
        what=(
            "For each IAM user that the scanned CloudFormation template, Terraform module or "
            "account dump gives a console password, collects the user's policies (inline, "
            "attached and through groups) and reports the user when none of them denies "
            "requests without MFA."
        ),
        why=(
            "A console password alone is one factor. Unless a Deny ties the user's "
            "permissions to MFA, a phished password is enough to use everything the user "
            "may do."
        ),
        example=(
            'resource "aws_iam_user" "alice" {\n  name = "alice"\n}\n\n'
            'resource "aws_iam_user_login_profile" "alice" {\n  user = aws_iam_user.alice.name\n}\n'
        ),
        use_instead=(
            'resource "aws_iam_user" "alice" {\n  name = "alice"\n}\n\n'
            'resource "aws_iam_user_login_profile" "alice" {\n  user = aws_iam_user.alice.name\n}\n\n'
            'resource "aws_iam_user_policy" "force_mfa" {\n  user   = aws_iam_user.alice.name\n'
            '  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n'
            '      Effect    = "Deny"\n      NotAction = ["iam:ChangePassword", "iam:CreateVirtualMFADevice",'
            ' "iam:EnableMFADevice", "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",'
            ' "iam:ListVirtualMFADevices"]\n      Resource  = "*"\n'
            '      Condition = { BoolIfExists = { "aws:MultiFactorAuthPresent" = "false" } }\n    }]\n  })\n}\n'
        ),
        fix="Attach a policy, or put the user in a group, with a Deny that applies without MFA.",
        references=("AWS IAM User Guide: Security best practices in IAM (require MFA)",),
        example_format="tf",
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        workspace = context.workspace
        if workspace is None:
            return
        for user in workspace.users():
            if not user.console_password or user.file != context.document.path:
                continue
            policies = workspace.policy_set(user)
            if any(statement.is_deny and mfa_gated(policy, statement) for policy in policies for statement in policy.statements):
                continue
            yield context.finding(
                self,
                user.span,
                f"user '{user.name}' has a console password but none of its {len(policies)} policies denies "
                "requests without MFA, so the password alone opens everything the user may do",
            )
