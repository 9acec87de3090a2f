"""IAM010 duplicate-sid."""

from __future__ import annotations

import re
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.model import PolicyKind
from mfalint.nodes import ScalarNode
from mfalint.rule import CheckContext, Rule, RuleDocs

# IAM accepts only ASCII letters and digits in the Sid of an identity policy.
_SID = re.compile(r"[A-Za-z0-9]*")

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowOwnMFA", "Effect": "Allow", "Action": "iam:EnableMFADevice",
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "%s", "Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/*"}
  ]
}
"""


class DuplicateSid(Rule):
    code = "IAM010"
    name = "duplicate-sid"
    severity = Severity.ERROR
    summary = "Two statements share a Sid, or a Sid has characters IAM rejects."
    docs = RuleDocs(
        what=(
            "Reports a Sid used by two statements of the same policy, and, in identity "
            "policies, a Sid with characters other than ASCII letters and digits."
        ),
        why=(
            "IAM rejects both when the policy is uploaded. Sids also name statements in "
            "reviews, logs and mfalint's own messages, so a duplicate makes the wrong "
            "statement easy to edit."
        ),
        example=_POLICY % "AllowOwnMFA",
        use_instead=_POLICY % "AllowCreateDevice",
        fix="Give each statement its own Sid made of letters and digits.",
        references=("AWS IAM User Guide: IAM JSON policy elements: Sid",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            seen: dict[str, int] = {}
            seen_nodes: set[int] = set()
            for statement in policy.statements:
                node = statement.node.get("Sid")
                if not isinstance(node, ScalarNode) or statement.sid is None:
                    continue
                if id(node) in seen_nodes:
                    # Two statements built from one template statement (both branches of an Fn::If).
                    continue
                seen_nodes.add(id(node))
                sid = statement.sid
                if sid in seen:
                    yield context.finding(self, node, f"Sid '{sid}' is already used by statement {seen[sid] + 1}; Sids must be unique in a policy")
                else:
                    seen[sid] = statement.index
                if policy.kind is PolicyKind.IDENTITY and not policy.wrapped and not _SID.fullmatch(sid):
                    yield context.finding(self, node, f"Sid '{sid}' has characters IAM rejects in identity policies; use only letters and digits")
