"""IAM009 variable-needs-version."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import editor_for
from mfalint.iam.patterns import has_variables
from mfalint.model import VERSION_2012, Policy
from mfalint.rule import CheckContext, Rule, RuleDocs

# Operator families whose values may hold policy variables.
_VARIABLE_FAMILIES = ("String", "Arn")


class VariableNeedsVersion(Rule):
    code = "IAM009"
    name = "variable-needs-version"
    severity = Severity.ERROR
    fixable = True
    summary = "A policy variable is used while Version is missing or 2008-10-17, so it is matched literally."
    docs = RuleDocs(
        what=(
            "Reports a policy variable such as `${aws:username}` in a Resource, NotResource or "
            "condition value of a policy whose Version is missing or `2008-10-17`."
        ),
        why=(
            "IAM substitutes policy variables only under Version 2012-10-17. Under any other "
            "version `arn:aws:iam::*:user/${aws:username}` names a user literally called "
            "`${aws:username}`, so the statement matches nobody: users cannot manage their "
            "own MFA device or password, and a deny scoped this way protects nothing."
        ),
        example='{\n  "Version": "2008-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],\n      "Resource": "arn:aws:iam::*:user/${aws:username}"\n    }\n  ]\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],\n      "Resource": "arn:aws:iam::*:user/${aws:username}"\n    }\n  ]\n}\n',
        fix=(
            'Set `"Version": "2012-10-17"` at the top of the policy.\n\n'
            "`mfalint --fix` replaces the Version value, or inserts the key as the policy's "
            "first key, with the indentation and quotes of the keys around it."
        ),
        references=(
            "AWS IAM User Guide: IAM JSON policy elements: Version",
            "AWS IAM User Guide: IAM policy elements: Variables and tags",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            if policy.wrapped or policy.version == VERSION_2012:
                continue
            if policy.version is None:
                reason = "the policy has no Version"
            else:
                reason = f"Version is '{policy.version}'"
            fix = self._fix(context, policy)
            for statement in policy.statements:
                values = list(statement.resources or []) + list(statement.not_resources or [])
                for condition in statement.conditions:
                    if condition.operator.family in _VARIABLE_FAMILIES:
                        values.extend(condition.values)
                for value in values:
                    if has_variables(value.text):
                        yield context.finding(
                            self,
                            value.node,
                            f"'{value.text}' is matched literally because {reason}; "
                            "set \"Version\": \"2012-10-17\" so the policy variable is substituted",
                            fix=fix,
                        )

    @staticmethod
    def _fix(context: CheckContext, policy: Policy) -> Fix | None:
        editor = editor_for(context.document)
        if policy.version_node is not None:
            edit = editor.replace_scalar(policy.version_node, VERSION_2012)
            title = f"Set Version to '{VERSION_2012}'"
        else:
            edit = editor.insert_key(policy.node, "Version", VERSION_2012, 0)
            title = f"Add \"Version\": \"{VERSION_2012}\" as the policy's first key"
        return Fix(title, (edit,)) if edit else None
