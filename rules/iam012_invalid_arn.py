"""IAM012 invalid-arn."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam.patterns import split_arn
from mfalint.rule import CheckContext, Rule, RuleDocs

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": "%s"}
  ]
}
"""


def arn_problem(text: str) -> str | None:
    """Return why ``text`` is not a valid ARN pattern, or None when it is one."""
    if text == "*":
        return None
    if not text.startswith(("arn:", "arn*", "*")):
        return "does not start with 'arn:'"
    parts = split_arn(text)
    if parts is None:
        return "has fewer than six colon-separated parts (arn:partition:service:region:account:resource)"
    partition, service = parts[1], parts[2]
    if not any(char in partition for char in "*?$") and partition not in PARTITIONS:
        return f"has partition '{partition}', which is not an AWS partition"
    if not service:
        return "has no service"
    if not parts[5]:
        return "has no resource part"
    return None


class InvalidArn(Rule):
    code = "IAM012"
    name = "invalid-arn"
    severity = Severity.ERROR
    summary = "A Resource, NotResource or ARN condition value is not a valid ARN pattern."
    docs = RuleDocs(
        what=(
            "Checks every `Resource` and `NotResource` value, and the values of `Arn*` "
            "conditions: each is `*` or an ARN of six colon-separated parts with a known "
            "partition, a service and a resource."
        ),
        why=(
            "IAM rejects most malformed ARNs at upload time; those it accepts match "
            "nothing. A deny scoped to a malformed ARN protects nothing, and an allow "
            "grants nothing, such as `user/${aws:username}` without the `arn:aws:iam::*:` "
            "prefix."
        ),
        example=_POLICY % "user/${aws:username}",
        use_instead=_POLICY % "arn:aws:iam::*:user/${aws:username}",
        fix="Write the full ARN: `arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE`, with `*` for parts that may vary.",
        references=("AWS General Reference: Amazon Resource Names (ARNs)",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                values = list(statement.resources or []) + list(statement.not_resources or [])
                for condition in statement.conditions:
                    if condition.operator.family == "Arn":
                        values.extend(condition.values)
                for value in values:
                    problem = arn_problem(value.text)
                    if problem:
                        yield context.finding(self, value.node, f"'{value.text}' {problem}, so it matches no resource")
