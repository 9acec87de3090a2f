"""IAM014 unquoted-version."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import editor_for
from mfalint.nodes import ScalarNode
from mfalint.rule import CheckContext, Rule, RuleDocs


class UnquotedVersion(Rule):
    code = "IAM014"
    name = "unquoted-version"
    severity = Severity.WARNING
    fixable = True
    summary = "A YAML Version is an unquoted date, which YAML readers turn into a date object."
    docs = RuleDocs(
        what=(
            "Reports `Version: 2012-10-17` written without quotes in YAML. mfalint still "
            "reads it as the string 2012-10-17."
        ),
        why=(
            "YAML 1.1 readers such as PyYAML and many CI tools read an unquoted "
            "`2012-10-17` as a date. A tool that converts the YAML to JSON then writes "
            "`\"2012-10-17T00:00:00\"` or a number, and IAM rejects the policy or, when "
            "the Version is dropped, matches `${aws:username}` literally."
        ),
        example="Version: 2012-10-17\nStatement:\n  - Effect: Allow\n    Action: iam:ListMFADevices\n    Resource: \"*\"\n",
        use_instead="Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n    Action: iam:ListMFADevices\n    Resource: \"*\"\n",
        fix=(
            "Quote the value: `Version: \"2012-10-17\"`. `mfalint --fix` does this, with the "
            "quote character the file uses most (double quotes when it has none)."
        ),
        references=("YAML 1.1 timestamp type: https://yaml.org/type/timestamp.html",),
        example_format="yaml",
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            node = policy.version_node
            if isinstance(node, ScalarNode) and node.yaml_type == "timestamp" and not node.quoted:
                edit = editor_for(context.document).replace_scalar(node, str(node.value), quoted=True)
                yield context.finding(
                    self,
                    node,
                    f"'Version: {node.value}' is unquoted, so YAML readers turn it into a date "
                    f"instead of the string IAM expects; write \"{node.value}\"",
                    fix=Fix(f"Quote the Version: \"{node.value}\"", (edit,)) if edit else None,
                )
