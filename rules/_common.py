"""Questions the MFA rules share, answered by the evaluator."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from mfalint.iam import Decision, Outcome, RequestContext, StatementRef, catalog, decide, evaluate_condition, scenario
from mfalint.iam.evaluator import DEVICE_NAME
from mfalint.iam.global_keys import MFA_AGE, MFA_PRESENT
from mfalint.iam.patterns import action_regex
from mfalint.iam.scenarios import DEFAULT_PRINCIPAL
from mfalint.model import Condition, Policy, PolicyKind, Statement
from mfalint.nodes import Node

if TYPE_CHECKING:
    from mfalint.rule import CheckContext

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
    "mfa_gated",
    "entry_effect",
    "BrokenCondition",
    "broken_mfa_condition",
    "looks_like_mfa_key",
    "user_policies",
    "is_number",
]

OWN_USER_ARN = DEFAULT_PRINCIPAL.arn
# A virtual MFA device named by the user, as the console has asked since November 2022.
OWN_DEVICE_ARN = f"arn:aws:iam::{DEFAULT_PRINCIPAL.account}:mfa/{DEVICE_NAME}"
# A device named after the user, as policies written before November 2022 assume.
USER_NAMED_DEVICE_ARN = f"arn:aws:iam::{DEFAULT_PRINCIPAL.account}:mfa/{DEFAULT_PRINCIPAL.user_name}"

# The calls that register a first virtual MFA device, made by a user without MFA.
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
    """Return the policies that govern the principal's own requests (not trust or resource policies).

    A service control policy or permissions boundary grants nothing on its own,
    it only limits, so only its Deny statements take part.
    """
    result = []
    for policy in policies:
        if policy.kind in (PolicyKind.TRUST, PolicyKind.RESOURCE):
            continue
        if policy.kind in (PolicyKind.SCP, PolicyKind.BOUNDARY):
            policy = replace(policy, statements=[statement for statement in policy.statements if statement.is_deny])
        result.append(policy)
    return result


def decide_in(policies: list[Policy], action: str, resource: str, scenario_name: str) -> Decision:
    return decide(policies, action, resource, context_of(scenario_name))


def quote_actions(actions: list[str], limit: int | None = None) -> str:
    """Quote and join action names; past ``limit`` names, end with "and N more"."""
    quoted = [f"'{action}'" for action in actions]
    if limit is not None and len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


@lru_cache(maxsize=8192)
def expand_actions(pattern: str) -> frozenset[str]:
    """Return the catalog actions (lower-case) a pattern matches; an unknown literal stands for itself."""
    regex = action_regex(pattern)
    if regex is None:
        return frozenset({pattern.lower()})
    service = pattern.lower().partition(":")[0]
    if pattern == "*" or "*" in service or "?" in service:
        return frozenset({"*"})
    matched = {info.full_name.lower() for info in catalog().actions_of(service) if regex.fullmatch(info.full_name)}
    return frozenset(matched or ({pattern.lower()} if "*" not in pattern and "?" not in pattern else set()))


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
    # A deny whose MFA test is broken is MFA018's finding, not its consequences'.
    return [ref for ref in refs if broken_mfa_condition(ref.policy, ref.statement) is None]


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


def mfa_gated(policy: Policy, statement: Statement) -> bool:
    """Return True when a statement never applies with MFA but may apply to a console session without it.

    "May": a test on a key the scenario leaves open (``aws:RequestedRegion``)
    does not stop a statement from counting as an MFA statement.
    """
    from mfalint.iam import evaluate_conditions

    variables = policy.uses_variables
    without = evaluate_conditions(statement.conditions, context_of("console-no-mfa"), variables)
    with_mfa = evaluate_conditions(statement.conditions, context_of("console-mfa"), variables)
    return without is not False and with_mfa is False


def entry_effect(policy: Policy, statement: Statement, negated: bool, action: str) -> str:
    """Describe the effect of an Action or NotAction entry that names no real action, in its statement."""
    if statement.is_deny and negated:
        if mfa_gated(policy, statement):
            return f"so this deny does not exempt {action}, which stays denied without MFA"
        return f"so this deny does not exempt {action}"
    if statement.is_deny:
        return f"so this deny does not block {action}"
    if negated:
        return f"so this statement does not exclude {action} and grants it"
    return f"so this statement grants nothing for {action}"


MFA_KEY_NAMES = ("aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge")


@dataclass(frozen=True)
class BrokenCondition:
    """A condition in a Deny that was meant to test MFA but cannot tell MFA apart.

    ``denies_everyone`` is True when the statement then applies with and
    without MFA, False when it applies to neither.
    """

    condition: Condition
    node: Node
    reason: str
    denies_everyone: bool


def looks_like_mfa_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in (MFA_PRESENT, MFA_AGE):
        return True
    return any(difflib.SequenceMatcher(None, lowered, name.lower()).ratio() >= 0.85 for name in MFA_KEY_NAMES)


def broken_mfa_condition(policy: Policy, statement: Statement) -> BrokenCondition | None:
    """Return the MFA test of a Deny that does not track MFA, or None.

    Covers a misspelt MFA key, a set qualifier on these single-valued keys,
    an operator of the wrong family, a value of the wrong type, and a test on
    ``aws:MultiFactorAuthPresent`` that gives the same result with and without
    MFA. Valid spellings (``False``, JSON ``false``, a list of one value, a
    lower-case key) are not reported. Invalid operators are IAM006's, ``Null``
    on the present key is MFA010's, and an age threshold is a policy choice.
    """
    from mfalint.iam import evaluate_condition

    if not statement.is_deny:
        return None
    variables = policy.uses_variables
    without, with_mfa = context_of("console-no-mfa"), context_of("console-mfa")
    for condition in statement.conditions:
        operator = condition.operator
        if not operator.valid or not looks_like_mfa_key(condition.key) or operator.base == "Null":
            continue
        no_mfa_result = evaluate_condition(condition, without, variables)
        mfa_result = evaluate_condition(condition, with_mfa, variables)
        everyone = bool(no_mfa_result) and bool(mfa_result)
        key = condition.key_lower
        if key not in (MFA_PRESENT, MFA_AGE):
            if no_mfa_result is None or no_mfa_result != mfa_result:
                continue
            close = difflib.get_close_matches(condition.key, MFA_KEY_NAMES, n=1, cutoff=0.0)[0]
            reason = f"'{condition.key}' is not a condition key any request carries (did you mean '{close}'?)"
            return BrokenCondition(condition, condition.key_node, reason, everyone)
        if operator.qualifier:
            missing = (
                "ForAllValues is true when the key is missing"
                if operator.qualifier == "ForAllValues"
                else "ForAnyValue is false when the key is missing, so long-term access keys skip the deny"
            )
            reason = (
                f"'{operator.text}' is a set qualifier for multivalued keys, "
                f"but '{condition.key}' holds one value; {missing}"
            )
            return BrokenCondition(condition, condition.operator_node, reason, everyone)
        expected_family = ("Bool", "String") if key == MFA_PRESENT else ("Numeric",)
        if operator.family not in expected_family:
            kind = "a boolean" if key == MFA_PRESENT else "a number of seconds"
            reason = f"'{operator.text}' cannot compare '{condition.key}', which is {kind}"
            return BrokenCondition(condition, condition.operator_node, reason, everyone)
        texts = [value.text for value in condition.values]
        if key == MFA_AGE:
            bad = [text for text in texts if not is_number(text)]
            if bad:
                shown = ", ".join(f"'{text}'" for text in bad)
                reason = f"{shown} is not a number of seconds, so '{operator.text}' never matches '{condition.key}'"
                return BrokenCondition(condition, condition.values_node, reason, everyone)
            continue
        if no_mfa_result is None or no_mfa_result != mfa_result:
            continue
        lowered = {text.lower() for text in texts}
        if operator.family == "Bool" and not lowered <= {"true", "false"}:
            shown = ", ".join(f"'{text}'" for text in texts if text.lower() not in ("true", "false"))
            reason = f"{shown} is not true or false, so '{operator.text}' never matches '{condition.key}'"
        elif {"true", "false"} <= lowered:
            reason = f"'{operator.text}' on '{condition.key}' lists both true and false, so it matches with and without MFA"
        else:
            shown = ", ".join(f"'{text}'" for text in texts)
            reason = f"'{operator.text}' with {shown} gives the same answer with and without MFA on '{condition.key}'"
        return BrokenCondition(condition, condition.values_node, reason, everyone)
    return None


def is_number(text: str) -> bool:
    """Return True for text that Numeric condition operators read as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def user_policies(context: CheckContext) -> list[Policy]:
    """Return the enforced policies that IAM users may have.

    When the workspace shows that a policy is attached only to roles, the
    rules about users (password reset, device enrolment, credentials) do not
    apply to it: role sessions have no password, no MFA device and no keys.
    A policy the workspace does not place is kept.
    """
    policies = enforced_policies(context.policies)
    workspace = context.workspace
    if workspace is None:
        return policies
    kept = []
    for policy in policies:
        holders = workspace.holders(policy)
        if holders and all(holder.kind == "role" for holder in holders):
            continue
        kept.append(policy)
    return kept
