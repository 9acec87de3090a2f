"""EXA001 iam-wildcard-without-mfa."""

from __future__ import annotations

from typing import Iterable

from mfalint import CheckContext, Finding, Rule, RuleDocs, Severity
from mfalint.iam import NO_MFA_SCENARIOS, Outcome, decide, sample_resources, scenario
from mfalint.model import PolicyKind

__all__ = ["IamWildcardWithoutMfa"]

# Action patterns that grant every IAM action.
_WILDCARDS = ("iam:*", "*")

# A user allowed this action can attach AdministratorAccess to itself, so the
# rule evaluates this one action instead of every action "iam:*" matches.
_PROBE_ACTION = "iam:AttachUserPolicy"

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ManageIam",
      "Effect": "Allow",
      "Action": "iam:*",
      "Resource": "*"%s
    }
  ]
}
"""

_REQUIRE_MFA = """,
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}"""


def _join_phrases(phrases: list[str]) -> str:
    if len(phrases) <= 2:
        return " and ".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


class IamWildcardWithoutMfa(Rule):
    code = "EXA001"
    name = "iam-wildcard-without-mfa"
    severity = Severity.ERROR
    summary = "An Allow of 'iam:*' applies to requests made without MFA."
    docs = RuleDocs(
        what=(
            "Evaluates the identity policies of a file as a console sign-in without MFA, as "
            "requests signed with long-term access keys and as a session token obtained "
            "without MFA. Reports each `iam:*` or `*` in an Allow statement that lets any of "
            "these requests call `iam:AttachUserPolicy` on the user itself."
        ),
        why=(
            "`iam:AttachUserPolicy` lets a user attach `AdministratorAccess` to itself. When "
            "no MFA is needed for it, a leaked password or access key is enough to take over "
            "the account, and MFA protects nothing."
        ),
        example=_POLICY % "",
        use_instead=_POLICY % _REQUIRE_MFA,
        fix=(
            "Add `\"Condition\": {\"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}}` to "
            "the statement, or attach a Deny that refuses every action except MFA set-up "
            "without MFA, keyed on `BoolIfExists`."
        ),
        known_problems=(
            "Only `iam:AttachUserPolicy` on the user's own ARN is evaluated, so a statement "
            "whose Resource names other IAM resources only is not reported. A condition on a "
            "key that the scenario leaves unknown, such as `aws:SourceIp`, makes the outcome "
            "uncertain, and uncertain outcomes are not reported."
        ),
        references=(
            "AWS IAM User Guide: Policy evaluation logic",
            "AWS IAM User Guide: AWS global condition context keys, aws:MultiFactorAuthPresent",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = [policy for policy in context.policies if policy.kind not in (PolicyKind.TRUST, PolicyKind.RESOURCE)]
        resource = sample_resources(_PROBE_ACTION)[0]
        decisions = {
            name: decide(policies, _PROBE_ACTION, resource, scenario(name).context()) for name in NO_MFA_SCENARIOS
        }
        for policy in policies:
            for statement in policy.statements:
                if not statement.is_allow or statement.actions is None:
                    continue
                wildcards = [value for value in statement.actions if value.text.lower() in _WILDCARDS]
                if not wildcards:
                    continue

                # The statement matters only when it is one of those that allow the request.
                without_mfa = []
                for name, decision in decisions.items():
                    if decision.outcome is not Outcome.ALLOW or not decision.certain:
                        continue
                    if any(ref.statement is statement for ref in decision.statements):
                        without_mfa.append(scenario(name).description)
                if not without_mfa:
                    continue

                for value in wildcards:
                    yield context.finding(
                        self,
                        value.node,
                        f"'{value.text}' in {statement.label} allows '{_PROBE_ACTION}' for {_join_phrases(without_mfa)}, "
                        "so a leaked password or access key is enough to attach AdministratorAccess to the user; "
                        "require 'aws:MultiFactorAuthPresent' with 'Bool'",
                        scenarios=without_mfa,
                    )
