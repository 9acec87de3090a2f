"""MFA003 deny-skips-access-keys."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import rename_condition_operator
from mfalint.iam import evaluate_condition, evaluate_conditions
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import context_of, mfa_present_conditions

_DENY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                    "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                    "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
      "Resource": "*",
      "Condition": {"%s": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""


class DenySkipsAccessKeys(Rule):
    code = "MFA003"
    name = "deny-skips-access-keys"
    severity = Severity.ERROR
    fixable = True
    summary = "A Deny keyed on Bool aws:MultiFactorAuthPresent = false never applies to long-term access keys."
    docs = RuleDocs(
        what=(
            "Reports a Deny statement that applies to a console sign-in without MFA but not "
            "to a request signed with long-term access keys, because its condition on "
            "`aws:MultiFactorAuthPresent` uses `Bool` instead of `BoolIfExists`."
        ),
        why=(
            "A request signed with an IAM user's long-term access keys carries no "
            "`aws:MultiFactorAuthPresent` key at all. `Bool` is false for a missing key, so "
            "the deny is skipped and a stolen access key works without MFA, from the CLI or "
            "any SDK. `BoolIfExists` is true for a missing key and denies those requests too."
        ),
        example=_DENY % "Bool",
        use_instead=_DENY % "BoolIfExists",
        fix=(
            "Change the operator to `BoolIfExists`. Scripts that use access keys must then "
            "call `sts get-session-token` with an MFA code first. If console-only enforcement "
            "is really intended, suppress this finding for the statement.\n\n"
            "`mfalint --fix` renames the operator when its block tests only "
            "`aws:MultiFactorAuthPresent` and the Condition has no `BoolIfExists` block yet; "
            "otherwise move the test into a `BoolIfExists` block by hand."
        ),
        references=(
            "AWS IAM User Guide: AWS global condition context keys, aws:MultiFactorAuthPresent",
            "AWS IAM User Guide: Condition operators, ...IfExists",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        console, keys = context_of("console-no-mfa"), context_of("access-keys")
        for policy in context.policies:
            variables = policy.uses_variables
            for statement in policy.statements:
                if not statement.is_deny:
                    continue
                # Other tests (aws:ViaAWSService) may leave the outcome open; the MFA test decides.
                if evaluate_conditions(statement.conditions, console, variables) is False:
                    continue
                for condition in mfa_present_conditions(statement):
                    if condition.operator.family != "Bool" or condition.operator.if_exists:
                        continue
                    if evaluate_condition(condition, console, variables) is True and evaluate_condition(condition, keys, variables) is False:
                        edit = rename_condition_operator(context.document, statement, condition, "BoolIfExists")
                        yield context.finding(
                            self,
                            condition.operator_node,
                            f"{statement.label} uses '{condition.operator.text}' on '{condition.key}', which is false "
                            "when the key is missing; requests signed with long-term access keys carry no MFA key, "
                            "so they are never denied; use 'BoolIfExists'",
                            fix=Fix(f"Change '{condition.operator.text}' to 'BoolIfExists'", (edit,)) if edit else None,
                        )
