"""IAM015 duplicate-key."""

from __future__ import annotations

from mfalint.findings import Severity
from mfalint.rule import RuleDocs

from ._problems import ProblemRule


class DuplicateKey(ProblemRule):
    code = "IAM015"
    name = "duplicate-key"
    severity = Severity.ERROR
    summary = "The same key appears twice in one JSON or YAML object."
    needs_policy = True
    docs = RuleDocs(
        what="Reports a key that appears more than once in the same object, at the second occurrence.",
        why=(
            "JSON leaves the meaning of duplicate keys open. Most readers keep the last value, "
            "some keep the first and some reject the document, so a reviewer may read one "
            "`Condition` or `NotAction` while AWS applies the other."
        ),
        example='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Deny",\n      "NotAction": "iam:ChangePassword",\n      "NotAction": "iam:EnableMFADevice",\n      "Resource": "*"\n    }\n  ]\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Deny",\n      "NotAction": ["iam:ChangePassword", "iam:EnableMFADevice"],\n      "Resource": "*"\n    }\n  ]\n}\n',
        fix="Keep one key and merge the values you meant into it.",
        references=("RFC 8259 section 4: names within an object should be unique",),
    )
