"""Questions the MFA rules share, answered by the evaluator."""

from __future__ import annotations

from functools import lru_cache

from mfalint.iam import Decision, Outcome, RequestContext, StatementRef, catalog, decide, evaluate_condition, scenario
from mfalint.iam.evaluator import DEVICE_NAME
from mfalint.iam.global_keys import MFA_PRESENT
from mfalint.iam.patterns import action_regex
from mfalint.iam.scenarios import DEFAULT_PRINCIPAL
from mfalint.model import Condition, Policy, PolicyKind, Statement

__all__ = [
    "OWN_USER_ARN",
    "OWN_DEVICE_ARN",
    "USER_NAMED_DEVICE_ARN",
    "context_of",
    "decide_in",
    "enforced_policies",
    "quote_actions",
    "expand_actions",
    "is_inverted_deny",
    "ENROLMENT_ACTIONS",
    "BOOTSTRAP_ACTIONS",
    "mfa_present_conditions",
    "denying_statements",
    "unknown_keys",
    "when_clause",
]

OWN_USER_ARN = DEFAULT_PRINCIPAL.arn
# A virtual MFA device named by the user, as the console has asked since November 2022.
OWN_DEVICE_ARN = f"arn:aws:iam::{DEFAULT_PRINCIPAL.account}:mfa/{DEVICE_NAME}"
# A device named after the user, as policies written before November 2022 assume.
USER_NAMED_DEVICE_ARN = f"arn:aws:iam::{DEFAULT_PRINCIPAL.account}:mfa/{DEFAULT_PRINCIPAL.user_name}"

# What a user without MFA needs to register a first virtual device.
ENROLMENT_ACTIONS = ("iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices")

# Everything a new user may legitimately do before MFA: enrolment, the console
# helpers, password change and the session-token call.
BOOTSTRAP_ACTIONS = frozenset(
    name.lower()
    for name in (
        *ENROLMENT_ACTIONS,
        "iam:ListVirtualMFADevices",
        "iam:ResyncMFADevice",
        "iam:GetUser",
        "iam:GetMFADevice",
        "iam:ChangePassword",
        "iam:GetAccountPasswordPolicy",
        "iam:GetLoginProfile",
        "sts:GetSessionToken",
    )
)


@lru_cache(maxsize=None)
def context_of(scenario_name: str) -> RequestContext:
    return scenario(scenario_name).context()


def enforced_policies(policies: list[Policy]) -> list[Policy]:
    """Return the policies that govern the principal's own requests (not trust or resource policies)."""
    return [policy for policy in policies if policy.kind not in (PolicyKind.TRUST, PolicyKind.RESOURCE)]


def decide_in(policies: list[Policy], action: str, resource: str, scenario_name: str) -> Decision:
    return decide(policies, action, resource, context_of(scenario_name))


def quote_actions(actions: list[str]) -> str:
    quoted = [f"'{action}'" for action in actions]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def expand_actions(pattern: str) -> set[str]:
    """Return the catalog actions (lower-case) a pattern matches; an unknown literal stands for itself."""
    regex = action_regex(pattern)
    if regex is None:
        return {pattern.lower()}
    service = pattern.lower().partition(":")[0]
    if pattern == "*" or "*" in service or "?" in service:
        return {"*"}
    matched = {info.full_name.lower() for info in catalog().actions_of(service) if regex.fullmatch(info.full_name)}
    return matched or ({pattern.lower()} if "*" not in pattern and "?" not in pattern else set())


def mfa_present_conditions(statement: Statement) -> list[Condition]:
    return [condition for condition in statement.conditions if condition.key_lower == MFA_PRESENT]


def is_inverted_deny(policy: Policy, statement: Statement) -> bool:
    """Return True for a Deny that lists the MFA set-up actions in Action instead of NotAction.

    Such a statement applies only without MFA and names nothing but bootstrap
    actions, enrolment among them, so it blocks set-up and nothing else.
    """
    from mfalint.iam import evaluate_conditions

    if not statement.is_deny or statement.actions is None or not statement.actions:
        return False
    if evaluate_conditions(statement.conditions, context_of("console-no-mfa"), policy.uses_variables) is not True:
        return False
    if evaluate_conditions(statement.conditions, context_of("console-mfa"), policy.uses_variables) is not False:
        return False
    expanded: set[str] = set()
    for value in statement.actions:
        expanded |= expand_actions(value.text)
    enrolment = {"iam:createvirtualmfadevice", "iam:enablemfadevice"}
    return bool(expanded) and expanded <= BOOTSTRAP_ACTIONS and bool(expanded & enrolment)


def denying_statements(decision: Decision) -> list[StatementRef]:
    """Return the Deny statements that deny the request, for certain or depending on unknown keys.

    A deny that also tests a key the scenario leaves open (``aws:RequestedRegion``,
    ``aws:SourceIp``) still blocks the users who meet that test, so rules
    treat it as blocking and name the open keys in the message.
    """
    refs = list(decision.statements) if decision.outcome is Outcome.EXPLICIT_DENY else []
    refs += [ref for ref in decision.possible if ref.statement.is_deny]
    return refs


def unknown_keys(ref: StatementRef, scenario_name: str) -> list[str]:
    """Return the condition keys of a statement that the scenario leaves undecided."""
    context = context_of(scenario_name)
    return [
        condition.key
        for condition in ref.statement.conditions
        if evaluate_condition(condition, context, ref.policy.uses_variables) is None
    ]


def when_clause(ref: StatementRef, scenario_name: str) -> str:
    """Return " when its test on KEY holds" for a deny that depends on unknown keys, else ""."""
    keys = unknown_keys(ref, scenario_name)
    if not keys:
        return ""
    shown = " and ".join(f"'{key}'" for key in dict.fromkeys(keys))
    return f" (when its test on {shown} also holds)"
