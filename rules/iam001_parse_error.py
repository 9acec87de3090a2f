"""IAM001 parse-error."""

from __future__ import annotations

from mfalint.findings import Severity
from mfalint.rule import RuleDocs

from ._problems import ProblemRule


class ParseError(ProblemRule):
    code = "IAM001"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "The file cannot be read or parsed."
    docs = RuleDocs(
        what=(
            "Reports a file that cannot be read or parsed. The causes are a JSON or YAML "
            "syntax error, text that is not UTF-8, binary data, an empty JSON file or empty "
            "standard input, a file over the size limit, nesting deeper than 100 levels, and "
            "YAML aliases that expand too far. The finding points at the first bad character. "
            "An empty YAML or Terraform file is valid and gets no finding."
        ),
        why=(
            "A policy that does not parse is never checked, so every other rule is silent "
            "about it. AWS also rejects such a document when it is uploaded, often much later "
            "in a deployment pipeline."
        ),
        example='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Deny", "NotAction": "iam:ChangePassword", "Resource": "*",},\n  ]\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Deny", "NotAction": "iam:ChangePassword", "Resource": "*"}\n  ]\n}\n',
        fix="Correct the syntax at the reported position. Save the file as UTF-8 without NUL bytes.",
        references=("RFC 8259, The JSON Data Interchange Format", "YAML 1.2 specification"),
    )
