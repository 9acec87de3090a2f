"""IAM002 not-a-policy."""

from __future__ import annotations

from mfalint.findings import Severity
from mfalint.rule import RuleDocs

from ._problems import ProblemRule


class NotAPolicy(ProblemRule):
    code = "IAM002"
    name = "not-a-policy"
    severity = Severity.ERROR
    summary = "A document meant as a policy has no Statement element."
    docs = RuleDocs(
        what=(
            "Reports a document that looks like a policy but has no `Statement`: a lone "
            "statement object, a list of statements, or a `Version` with nothing else. A lone "
            "statement is then analysed as if it were wrapped in a policy with Version "
            "2012-10-17, so its other faults are still found."
        ),
        why=(
            "IAM rejects a document without `Statement`, and tools that look for policies "
            "skip it, so an MFA deny written this way is never enforced and never checked."
        ),
        example='{\n  "Effect": "Deny",\n  "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],\n  "Resource": "*",\n  "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Deny",\n      "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],\n      "Resource": "*",\n      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}\n    }\n  ]\n}\n',
        fix='Wrap the statement: `{"Version": "2012-10-17", "Statement": [ ... ]}`.',
        references=("AWS IAM User Guide: IAM JSON policy element reference, Statement",),
    )
