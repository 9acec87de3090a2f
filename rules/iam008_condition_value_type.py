"""IAM008 condition-value-type."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import datetime
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam.global_keys import MFA_AGE, MFA_PRESENT
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import is_number

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                   "NumericLessThan": {"aws:MultiFactorAuthAge": "%s"}}}
  ]
}
"""


def _is_date(text: str) -> bool:
    if is_number(text):
        return True
    candidate = text.strip()
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        datetime.fromisoformat(candidate)
    except ValueError:
        return False
    return True


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


_CHECKS = {
    "Bool": (lambda text: text.lower() in ("true", "false"), "true or false"),
    "Null": (lambda text: text.lower() in ("true", "false"), "true (key absent) or false (key present)"),
    "Numeric": (is_number, "a number"),
    "Date": (_is_date, "an ISO 8601 date or epoch seconds"),
    "IpAddress": (_is_cidr, "an IP address or CIDR range"),
    "Binary": (_is_base64, "base64 data"),
}


class ConditionValueType(Rule):
    code = "IAM008"
    name = "condition-value-type"
    severity = Severity.ERROR
    summary = "A condition value cannot match its operator."
    docs = RuleDocs(
        what=(
            "Checks each condition value against its operator: `Bool` and `Null` take "
            "`true` or `false`, `Numeric*` a number, `Date*` an ISO 8601 date or epoch "
            "seconds, `IpAddress` an address or CIDR range, `BinaryEquals` base64 data. "
            "Values that contain a policy variable are left alone."
        ),
        why=(
            "A value of the wrong type never matches. A positive test is then always false "
            "and a negated one always true, which silently switches the statement on or off "
            "for everyone."
        ),
        example=_POLICY % "one hour",
        use_instead=_POLICY % "3600",
        fix="Write the value in the form the operator expects.",
        references=("AWS IAM User Guide: IAM JSON policy elements: Condition operators",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                for condition in statement.conditions:
                    family = condition.operator.family
                    if not condition.operator.valid or family not in _CHECKS:
                        continue
                    if statement.is_deny and condition.key_lower in (MFA_PRESENT, MFA_AGE):
                        continue  # MFA018 explains what a broken MFA test in a deny does
                    valid, expected = _CHECKS[family]
                    for value in condition.values:
                        if "${" in value.text or valid(value.text):
                            continue
                        yield context.finding(
                            self,
                            value.node,
                            f"'{value.text}' is not {expected}, so '{condition.operator.text}' on "
                            f"'{condition.key}' never matches it",
                        )
