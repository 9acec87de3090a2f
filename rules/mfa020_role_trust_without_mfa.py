"""MFA020 role-trust-without-mfa."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import evaluate_conditions
from mfalint.model import PolicyKind
from mfalint.nodes import MappingNode, ScalarNode, SequenceNode
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import context_of, expand_actions, mfa_present_conditions

_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
     "Action": "sts:AssumeRole"%s}
  ]
}
"""


class RoleTrustWithoutMfa(Rule):
    code = "MFA020"
    name = "role-trust-without-mfa"
    severity = Severity.INFO
    opt_in = True
    summary = "A role trust policy lets IAM users of an account assume the role with no MFA condition."
    docs = RuleDocs(
        what=(
            "Reports an Allow of `sts:AssumeRole` in a role trust policy whose principal is "
            "an AWS account or IAM identity (not a service or an identity provider) and "
            "whose conditions still allow a request signed with long-term access keys and "
            "no MFA. Opt-in: select MFA020 by name, because many roles are meant for "
            "automation."
        ),
        why=(
            "When people switch into a role, the trust policy is where MFA can be required "
            "for that step. Without it, a leaked access key of any user the account trusts "
            "is enough to assume the role."
        ),
        example=_TRUST % "",
        use_instead=_TRUST % ',\n     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}',
        fix="Add `\"Condition\": {\"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}}` to the statement.",
        references=("AWS IAM User Guide: Configuring MFA-protected API access",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        keys = context_of("access-keys")
        for policy in context.policies:
            if policy.kind is not PolicyKind.TRUST:
                continue
            for statement in policy.statements:
                if not statement.is_allow or not self._trusts_identities(statement):
                    continue
                if mfa_present_conditions(statement):
                    continue  # an MFA test that long-term keys pass is MFA004's finding
                actions = set()
                for value in statement.actions or []:
                    actions |= expand_actions(value.text)
                if "sts:assumerole" not in actions and "*" not in actions:
                    continue
                if evaluate_conditions(statement.conditions, keys, policy.uses_variables) is False:
                    continue
                yield context.finding(
                    self,
                    statement.node.get("Principal") or statement.node,
                    f"{statement.label} lets IAM identities of the trusted account assume the role with no MFA "
                    "condition, so a leaked access key is enough; add Bool aws:MultiFactorAuthPresent true",
                )

    @staticmethod
    def _trusts_identities(statement) -> bool:
        """Return True when the principal may be IAM users: an account, a user or "*", not only roles.

        Role sessions never carry MFA of their own, so requiring it of a role
        that chains into this one would lock that role out.
        """
        principal = statement.node.get("Principal")
        if principal is None:
            return False
        if not isinstance(principal, MappingNode):
            return getattr(principal, "value", None) == "*"
        aws = principal.get("AWS")
        if aws is None:
            return False
        items = aws.items if isinstance(aws, SequenceNode) else [aws]
        texts = [str(item.value) for item in items if isinstance(item, ScalarNode)]
        return any(":role/" not in text and ":assumed-role/" not in text for text in texts)
