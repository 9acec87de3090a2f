"""MFA004 allow-accepts-no-mfa."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import rename_condition_operator
from mfalint.iam import evaluate_condition, evaluate_conditions
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import context_of, mfa_present_conditions

_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"%s": {"aws:MultiFactorAuthPresent": "true"}}
    }
  ]
}
"""


class AllowAcceptsNoMfa(Rule):
    code = "MFA004"
    name = "allow-accepts-no-mfa"
    severity = Severity.ERROR
    fixable = True
    summary = "An Allow keyed on BoolIfExists aws:MultiFactorAuthPresent = true also allows long-term keys without MFA."
    docs = RuleDocs(
        what=(
            "Reports an Allow statement, in an identity or a trust policy, whose condition on "
            "`aws:MultiFactorAuthPresent` uses `BoolIfExists` with `true`: it refuses a console "
            "session without MFA but allows a request that carries no MFA key."
        ),
        why=(
            "Requests signed with long-term access keys carry no `aws:MultiFactorAuthPresent` "
            "key, and `BoolIfExists` is true for a missing key. The statement therefore allows "
            "anyone holding an access key, with no MFA at all: in a trust policy, "
            "`sts:AssumeRole` succeeds from the CLI with a leaked key."
        ),
        example=_TRUST % "BoolIfExists",
        use_instead=_TRUST % "Bool",
        fix=(
            "Use `Bool`. Callers with access keys then pass `--serial-number` and "
            "`--token-code` to AssumeRole, or start from a `get-session-token` session.\n\n"
            "`mfalint --fix` renames the operator when its block tests only "
            "`aws:MultiFactorAuthPresent` and the Condition has no `Bool` block yet; "
            "otherwise move the test into a `Bool` block by hand."
        ),
        references=(
            "AWS IAM User Guide: AWS global condition context keys, aws:MultiFactorAuthPresent",
            "AWS IAM User Guide: Configuring MFA-protected API access",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        console, keys = context_of("console-no-mfa"), context_of("access-keys")
        for policy in context.policies:
            variables = policy.uses_variables
            for statement in policy.statements:
                if not statement.is_allow:
                    continue
                if evaluate_conditions(statement.conditions, keys, variables) is False:
                    continue
                for condition in mfa_present_conditions(statement):
                    operator = condition.operator
                    if operator.family != "Bool" or not operator.if_exists:
                        continue
                    if evaluate_condition(condition, console, variables) is False and evaluate_condition(condition, keys, variables):
                        edit = rename_condition_operator(context.document, statement, condition, "Bool")
                        yield context.finding(
                            self,
                            condition.operator_node,
                            f"{statement.label} uses '{operator.text}' on '{condition.key}', which is true when the key "
                            "is missing; requests signed with long-term access keys carry no MFA key, so this "
                            "statement allows them without MFA; use 'Bool'",
                            fix=Fix(f"Change '{operator.text}' to 'Bool'", (edit,)) if edit else None,
                        )
