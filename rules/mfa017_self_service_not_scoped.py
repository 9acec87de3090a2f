"""MFA017 self-service-not-scoped."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam.patterns import action_matcher
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_USER_ARN, decide_in, user_policies, quote_actions

# Another user of the same account.
OTHER_USER_ARN = OWN_USER_ARN.rsplit("/", 1)[0] + "/bob"

# Actions that change a user's credentials; on another user's ARN they take over that user.
CREDENTIAL_ACTIONS = (
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteLoginProfile",
    "iam:EnableMFADevice",
    "iam:DeactivateMFADevice",
    "iam:ResyncMFADevice",
    "iam:UploadSSHPublicKey",
    "iam:UpdateSSHPublicKey",
    "iam:DeleteSSHPublicKey",
    "iam:UploadSigningCertificate",
    "iam:UpdateSigningCertificate",
    "iam:DeleteSigningCertificate",
    "iam:CreateServiceSpecificCredential",
    "iam:DeleteServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:UpdateServiceSpecificCredential",
)

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowManageOwnAccessKeys", "Effect": "Allow",
     "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"],
     "Resource": "%s"}
  ]
}
"""


def _admin_style(statement) -> bool:
    """Return True for a grant of everything (``*``, ``iam:*`` or NotAction): an administrator's policy."""
    if statement.not_actions is not None:
        return True
    return any(value.text in ("*", "iam:*") for value in statement.actions or [])


def _names(statement, action: str) -> bool:
    """Return True when the statement's Action names ``action``, literally or by a pattern."""
    return statement.action_texts is not None and action_matcher(statement.action_texts).matches(action)


class SelfServiceNotScoped(Rule):
    code = "MFA017"
    name = "self-service-not-scoped"
    severity = Severity.ERROR
    summary = "Self-service credential actions are allowed on other users, not only the user's own ARN."
    docs = RuleDocs(
        what=(
            "Evaluates the credential actions (access keys, passwords, MFA devices, SSH keys, "
            "signing certificates, service credentials) on another user of the account, in a "
            "session with MFA, and reports the self-service statements that allow them there, "
            "typically with `\"Resource\": \"*\"` or `user/*`. Administrator grants "
            "(`*`, `iam:*` or `NotAction`) are left alone."
        ),
        why=(
            "A self-service statement scoped to every user lets any member of the group "
            "create access keys for, or deactivate the MFA device of, any other user, "
            "including administrators."
        ),
        example=_POLICY % "*",
        use_instead=_POLICY % "arn:aws:iam::*:user/${aws:username}",
        fix="Scope the statement to `arn:aws:iam::*:user/${aws:username}`.",
        references=("AWS IAM User Guide: example policy \"Allows IAM users to manage their own access keys\"",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        # Only an Allow that names a credential action in Action can be reported,
        # so only the actions such statements name need a decision.
        named: dict[int, set[str]] = {}
        for policy in policies:
            for statement in policy.statements:
                if not statement.is_allow or _admin_style(statement):
                    continue
                actions = {action for action in CREDENTIAL_ACTIONS if _names(statement, action)}
                if actions:
                    named[id(statement)] = actions
        needed = set().union(*named.values())
        by_statement: dict[int, tuple[object, list[str]]] = {}
        for action in CREDENTIAL_ACTIONS:
            if action not in needed:
                continue
            decision = decide_in(policies, action, OTHER_USER_ARN, "console-mfa")
            if decision.allowed is not True:
                continue
            for ref in decision.statements:
                statement = ref.statement
                if action in named.get(id(statement), ()):
                    entry = by_statement.setdefault(id(statement), (statement, []))
                    entry[1].append(action)
        for statement, actions in by_statement.values():
            shown = quote_actions(actions, limit=4)
            yield context.finding(
                self,
                statement.resource_node,
                f"{statement.label} allows {shown} on other users too, so any user it applies to can manage "
                "other users' credentials; scope it to 'arn:aws:iam::*:user/${aws:username}'",
            )
