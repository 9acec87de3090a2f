"""MFA001 password-reset-blocked."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import editor_for
from mfalint.iam import StatementRef
from mfalint.iam.names import check_action
from mfalint.model import Statement
from mfalint.nodes import ScalarNode, SequenceNode
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_USER_ARN, decide_in, denying_statements, user_policies, quote_actions, when_clause
from .iam004_unknown_action import unambiguous_suggestion

CHANGE_PASSWORD = "iam:ChangePassword"
READ_PASSWORD_POLICY = "iam:GetAccountPasswordPolicy"

_EXAMPLE = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "NotAction": [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetUser",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:ResyncMFADevice",
        "sts:GetSessionToken"
      ],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""

_USE_INSTEAD = _EXAMPLE.replace(
    '"iam:CreateVirtualMFADevice",', '"iam:ChangePassword",\n        "iam:CreateVirtualMFADevice",\n        "iam:GetAccountPasswordPolicy",'
)


class PasswordResetBlocked(Rule):
    code = "MFA001"
    name = "password-reset-blocked"
    severity = Severity.ERROR
    fixable = True
    summary = "Without MFA, iam:ChangePassword or iam:GetAccountPasswordPolicy is denied, so a forced password reset can never finish."
    docs = RuleDocs(
        what=(
            "Evaluates the policies as a console sign-in without MFA and reports a Deny "
            "statement that blocks `iam:ChangePassword` on the user's own ARN or "
            "`iam:GetAccountPasswordPolicy`. Wildcards, `NotAction`, `NotResource` and "
            "conditions are all taken into account.\n\n"
            "The `password-reset` setting decides the severity: `required` (users must "
            "change a temporary or expired password) makes it an error, `never` turns the "
            "rule off, and `auto` (the default) reports an error when the scanned "
            "CloudFormation, Terraform or account dump creates a user with a forced "
            "password reset, or a password policy whose passwords expire, and names that "
            "evidence; without evidence it reports a warning. When only "
            "`iam:GetAccountPasswordPolicy` is blocked, the severity is one step lower."
        ),
        why=(
            "A user created with \"must create a new password at next sign-in\", or whose "
            "password has expired, signs in without MFA and must change the password before "
            "anything else. The deny refuses `iam:ChangePassword`, the console shows \"Either "
            "user is not authorized to perform iam:ChangePassword or entered password does not "
            "comply with account password policy\", and the user can never sign in or set up "
            "MFA. AWS's own sample leaves both actions out on purpose, because it expects the "
            "policy to be attached only after the first sign-in."
        ),
        example=_EXAMPLE,
        use_instead=_USE_INSTEAD,
        fix=(
            "Either add `iam:ChangePassword` and `iam:GetAccountPasswordPolicy` to the deny's "
            "`NotAction`, or attach the MFA policy only after the user's first sign-in and set "
            "`password-reset = \"never\"`.\n\n"
            "`mfalint --fix` adds the blocked actions to the deny's `NotAction`: at their "
            "sorted place when the list is sorted, else at its end, in the list's own quotes "
            "and layout. A `NotAction` string becomes a list, and an entry that misspells a "
            "blocked action (`iam:ChangePasword`) is corrected instead. A deny written with "
            "`Action` gets no automatic fix, because exempting actions from it means rewriting it."
        ),
        references=(
            "AWS IAM User Guide: Permissions required to change your own password (ChangePassword, GetAccountPasswordPolicy)",
            "AWS IAM User Guide: example policy \"Allows MFA-authenticated IAM users to manage their own credentials\"",
        ),
        example_args=("--password-reset", "required"),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        mode = context.settings.password_reset
        if mode == "never":
            return
        policies = user_policies(context)
        if not policies:
            return

        blocked_by: dict[int, tuple[StatementRef, list[str]]] = {}
        for action, resource in ((CHANGE_PASSWORD, OWN_USER_ARN), (READ_PASSWORD_POLICY, "*")):
            decision = decide_in(policies, action, resource, "console-no-mfa")
            if decision.allowed is True:
                continue
            for ref in denying_statements(decision):
                entry = blocked_by.setdefault(id(ref.statement), (ref, []))
                entry[1].append(action)

        for ref, actions in blocked_by.values():
            statement = ref.statement
            change_blocked = CHANGE_PASSWORD in actions
            evidence = context.workspace.reset_evidence_for(ref.policy) if context.workspace else None
            if mode == "required" or evidence is not None:
                severity = Severity.ERROR if change_blocked else Severity.WARNING
            else:
                severity = Severity.WARNING if change_blocked else Severity.INFO
            if change_blocked:
                consequence = (
                    "so a user who must change a temporary or expired password can never finish signing in"
                )
            else:
                consequence = (
                    "so the password-change page cannot show the account's password rules "
                    "to a user who has not set up MFA yet"
                )
            remedy = "add them to its NotAction" if len(actions) > 1 else "add it to its NotAction"
            if evidence is not None:
                consequence += f" ({evidence.description}, {evidence.location})"
            elif mode == "auto":
                remedy += ", or attach this policy only after the user's first sign-in (then set password-reset to \"never\")"
            verb = "are" if len(actions) > 1 else "is"
            yield context.finding(
                self,
                statement.action_node,
                f"{quote_actions(actions)} {verb} denied without MFA by {statement.label}"
                f"{when_clause(ref, 'console-no-mfa')}, {consequence}; {remedy}",
                severity=severity,
                fix=self._fix(context, statement, actions),
                blocked_actions=actions,
            )

    @staticmethod
    def _fix(context: CheckContext, statement: Statement, actions: list[str]) -> Fix | None:
        """Return a fix that exempts the blocked actions in the statement's NotAction, if it has one.

        A misspelling of a blocked action in the list (``iam:ChangePasword``)
        is corrected rather than kept beside a second, correct entry.
        """
        not_action = statement.node.get("NotAction")
        if not_action is None or statement.node.get("Action") is not None:
            return None
        editor = editor_for(context.document)
        edits = []
        corrected: list[str] = []
        missing = []
        items = not_action.items if isinstance(not_action, SequenceNode) else []
        for action in actions:
            typo = next((item for item in items if _misspells(item, action)), None)
            edit = editor.replace_scalar(typo, action) if typo is not None else None
            if edit is None:
                missing.append(action)
                continue
            edits.append(edit)
            corrected.append(f"'{typo.value}' to '{action}'")
        if missing:
            added = editor.add_to_sequence(not_action, missing)
            if not added:
                return None
            edits.extend(added)
        if not corrected:
            return Fix(f"Add {quote_actions(missing)} to the NotAction of {statement.label}", tuple(edits))
        changes = ["correct " + " and ".join(corrected)] + ([f"add {quote_actions(missing)}"] if missing else [])
        return Fix(f"In the NotAction of {statement.label}, " + "; ".join(changes), tuple(edits))


def _misspells(item: object, action: str) -> bool:
    """Return True when a NotAction entry is a misspelling whose one likely meaning is ``action``."""
    if not isinstance(item, ScalarNode) or not isinstance(item.value, str):
        return False
    suggestion = unambiguous_suggestion(item.value, check_action(item.value))
    return suggestion is not None and suggestion.lower() == action.lower()
