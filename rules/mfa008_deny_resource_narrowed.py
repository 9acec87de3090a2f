"""MFA008 deny-resource-narrowed."""

from __future__ import annotations

import re
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import mfa_gated

# Sid words that present a deny as general MFA enforcement.
# "DenyAllExceptListedIfNoMFA" is AWS's Sid for both uses, so "All" alone does not count.
_ENFORCEMENT_WORDS = re.compile(r"most|every|enforce|force|block|require", re.IGNORECASE)

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "BlockMostAccessUnlessSignedInWithMFA", "Effect": "Deny",
     "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                   "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                   "iam:ListVirtualMFADevices"],
     "Resource": "%s",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}
"""


class DenyResourceNarrowed(Rule):
    code = "MFA008"
    name = "deny-resource-narrowed"
    severity = Severity.ERROR
    summary = "The MFA deny's Resource is narrower than \"*\", so other resources stay usable without MFA."
    docs = RuleDocs(
        what=(
            "Reports a Deny that applies only without MFA, names its actions with "
            "`NotAction` or `*`, and limits `Resource` to specific ARNs. It is an error "
            "when the statement presents itself as general enforcement (a Sid such as "
            "`BlockMostAccessUnlessSignedInWithMFA`), and info otherwise, because AWS uses "
            "such a deny on the user's own ARN on purpose to protect the user's own "
            "credentials."
        ),
        why=(
            "The deny covers only the listed resources. S3 buckets, EC2 instances and "
            "everything else stay usable without MFA, although the policy reads as if it "
            "enforced MFA everywhere."
        ),
        example=_POLICY % "arn:aws:iam::*:user/${aws:username}",
        use_instead=_POLICY % "*",
        fix="Use `\"Resource\": \"*\"` for the enforcement deny; keep a narrow deny only for its narrow purpose.",
        references=("AWS IAM User Guide: Enabling a hardware MFA device (permissions required)",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                if not statement.is_deny or statement.resources is None:
                    continue
                broad_actions = statement.not_actions is not None or any(
                    value.text == "*" for value in statement.actions or []
                )
                if not broad_actions or any(value.text == "*" for value in statement.resources):
                    continue
                if not mfa_gated(policy, statement):
                    continue
                claims_enforcement = bool(statement.sid and _ENFORCEMENT_WORDS.search(statement.sid))
                shown = ", ".join(f"'{value.text}'" for value in statement.resources)
                yield context.finding(
                    self,
                    statement.resource_node,
                    f"the MFA deny in {statement.label} applies only to {shown}, so every other resource "
                    "(S3, EC2 and the rest) stays usable without MFA; use \"Resource\": \"*\" to enforce MFA",
                    severity=Severity.ERROR if claims_enforcement else Severity.INFO,
                )
