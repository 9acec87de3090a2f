"""MFA012 mfa-deny-in-guardrail."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.model import PolicyKind
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import mfa_gated

# Condition keys that single out principals; testing one of them is how a
# guardrail exempts roles, pipelines and AWS services from an MFA deny.
PRINCIPAL_KEYS = (
    "aws:principalarn",
    "aws:principaltype",
    "aws:userid",
    "aws:principalaccount",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:viaawsservice",
    "aws:principaltag/",
)

_SCP = """resource "aws_organizations_policy" "require_mfa" {
  name = "require-mfa"
  type = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyAllWithoutMFA"
      Effect    = "Deny"
      NotAction = ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"]
      Resource  = "*"
      Condition = {
        BoolIfExists = { "aws:MultiFactorAuthPresent" = "false" }%s
      }
    }]
  })
}
"""
_EXCLUSION = """
        StringNotLike = { "aws:PrincipalArn" = "arn:aws:iam::*:role/*" }"""


class MfaDenyInGuardrail(Rule):
    code = "MFA012"
    name = "mfa-deny-in-guardrail"
    severity = Severity.WARNING
    summary = "An MFA deny in an SCP or permissions boundary has no principal exclusion."
    docs = RuleDocs(
        what=(
            "Reports a Deny that applies without MFA in a service control policy or a "
            "permissions boundary (known from the CloudFormation, Terraform or account dump "
            "that defines it) when it tests no principal key such as `aws:PrincipalArn`, "
            "`aws:PrincipalType` or `aws:ViaAWSService`."
        ),
        why=(
            "A guardrail applies to every principal it covers, not only to people. Role "
            "sessions, CI pipelines, Lambda functions and Auto Scaling never carry MFA, so "
            "an MFA deny in an SCP or a shared boundary denies all of them too."
        ),
        example=_SCP % "",
        use_instead=_SCP % _EXCLUSION,
        fix="Add a condition that excludes non-human principals, for example `StringNotLike` on `aws:PrincipalArn` for roles, or `BoolIfExists` `aws:ViaAWSService` `false`.",
        known_problems=(
            "A plain policy file does not say whether it is used as an SCP or a boundary, so "
            "the rule fires only where infrastructure code says so."
        ),
        references=("AWS Organizations User Guide: Service control policies (SCPs)",),
        example_format="tf",
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            if policy.kind not in (PolicyKind.SCP, PolicyKind.BOUNDARY):
                continue
            where = "service control policy" if policy.kind is PolicyKind.SCP else "permissions boundary"
            for statement in policy.statements:
                if not statement.is_deny or not mfa_gated(policy, statement):
                    continue
                if any(condition.key_lower.startswith(PRINCIPAL_KEYS) for condition in statement.conditions):
                    continue
                yield context.finding(
                    self,
                    statement.node.get("Condition") or statement.node,
                    f"{statement.label} denies requests without MFA in a {where}, which also covers role "
                    "sessions, CI pipelines and AWS services that never carry MFA; exclude them with a "
                    "condition on aws:PrincipalArn or aws:PrincipalType",
                )
