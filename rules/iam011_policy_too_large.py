"""IAM011 policy-too-large."""

from __future__ import annotations

import json
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.model import PolicyKind
from mfalint.rule import CheckContext, Rule, RuleDocs

# IAM's size quotas in characters, whitespace not counted (AWS IAM User Guide,
# "IAM and AWS STS quotas").
QUOTAS = {
    "managed": 6144,
    "user-inline": 2048,
    "group-inline": 5120,
    "role-inline": 10240,
}


def policy_size(document: object) -> int:
    """Return the size IAM counts: the JSON text without whitespace outside strings."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def _example() -> str:
    """Return a policy of 60 statements, well over the managed-policy quota."""
    statements = [
        {"Sid": f"AllowReadBucket{number}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::example-bucket-{number}", f"arn:aws:s3:::example-bucket-{number}/*"]}
        for number in range(60)
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2) + "\n"


class PolicyTooLarge(Rule):
    code = "IAM011"
    name = "policy-too-large"
    severity = Severity.ERROR
    summary = "The policy exceeds IAM's size quota for its kind."
    docs = RuleDocs(
        what=(
            "Measures each policy as IAM does, in characters without whitespace, and "
            "compares it with the quota for its kind: managed 6,144, user inline 2,048, "
            "group inline 5,120, role inline 10,240. A plain policy file is measured "
            "against the managed-policy quota."
        ),
        why=(
            "IAM rejects an oversized policy when it is uploaded, often in the last step "
            "of a deployment, and the usual quick fix, dropping statements, tends to drop "
            "the MFA deny or its exemptions."
        ),
        example=_example(),
        use_instead='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}\n',
        fix="Split the policy into several managed policies, or use wildcards where they do not widen access.",
        references=("AWS IAM User Guide: IAM and AWS STS quotas",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            if policy.kind not in (PolicyKind.IDENTITY, PolicyKind.UNKNOWN) or policy.wrapped:
                continue
            quota_name = context.extra.get("policy_quota", "managed")
            quota = QUOTAS[quota_name]
            size = policy_size(policy.node.to_python())
            if size > quota:
                yield context.finding(
                    self,
                    policy.node,
                    f"policy is {size:,} characters without whitespace, over IAM's {quota:,}-character "
                    f"quota for a {quota_name.replace('-', ' ')} policy, so IAM rejects it",
                )

