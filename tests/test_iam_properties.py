"""Property tests of decide() and reachable() on small random policies.

A reference interpreter in this module evaluates the generated policy dicts
statement by statement, with the rules of the AWS IAM User Guide pages
"Policy evaluation logic", "IAM JSON policy elements" and "Condition
operators" written out as plain loops. It takes the MFA keys of each scenario
from the table of how a request is signed, not from mfalint's scenarios.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from iam_helpers import load_policies

from mfalint.iam import SCENARIOS, Reachability, decide, reachable, sample_resources, scenario
from mfalint.model import VERSION_2008, VERSION_2012

DECIDE_SETTINGS = settings(max_examples=150, deadline=None)
# reachable() evaluates every action of the catalog on each call, so the
# tests that call it run fewer examples.
REACHABLE_SETTINGS = settings(max_examples=100, deadline=None)

FUTURE = "iam:FutureAction"  # missing from the catalog

# Concrete actions that the checks evaluate one by one.
ACTIONS = [
    "iam:ChangePassword",
    "iam:GetUser",
    "iam:CreateVirtualMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:ListVirtualMFADevices",
    "iam:GetAccountPasswordPolicy",
    "s3:GetObject",
    "s3:ListAllMyBuckets",
    "sts:GetSessionToken",
    "sts:GetCallerIdentity",
    FUTURE,
]

ACTION_PATTERNS = ACTIONS + [
    "iam:*",
    "iam:*MFADevice*",
    "iam:Get*",
    "iam:List?irtualMFADevices",
    "IAM:changepassword",
    "s3:*",
    "sts:*",
    "*",
]

# No pattern here has a sixth segment of just "*": decide() counts such a
# pattern (arn:aws:s3:::*) as covering the actions of its service that take
# no resource type, a rule this module's reference leaves out.
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:iam::*:user/${aws:username}",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:iam::*:user/Alice",
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::*:mfa/*",
    "arn:aws:iam::*:mfa/${aws:username}",
    "arn:aws:s3:::example/*",
    "arn:aws:s3:::other/*",
]

# Requests are evaluated on each action's sample resources and on these.
EXTRA_RESOURCES = ["arn:aws:iam::123456789012:user/bob", "arn:aws:s3:::example/notes.txt"]

MFA_PRESENT = "aws:MultiFactorAuthPresent"
MFA_AGE = "aws:MultiFactorAuthAge"
USERNAME = "aws:username"

# Condition key -> the operators and values that conditions on it are drawn from.
CONDITION_CHOICES: dict[str, tuple[list[str], list[str]]] = {
    MFA_PRESENT: (
        ["Bool", "BoolIfExists", "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"],
        ["true", "false", "TRUE"],
    ),
    MFA_AGE: (
        [
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThanIfExists",
            "NumericGreaterThanIfExists",
        ],
        ["0", "60", "3600"],
    ),
    USERNAME: (
        [
            "StringEquals",
            "StringNotEquals",
            "StringLike",
            "StringNotLike",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringEqualsIfExists",
            "StringNotEqualsIfExists",
            "ForAnyValue:StringEquals",
            "ForAllValues:StringEquals",
        ],
        ["alice", "Alice", "al*", "bob", "${aws:username}"],
    ),
}

# The keys of each scenario's requests (AWS IAM User Guide, "AWS global
# condition context keys"): a value, ABSENT, or missing from the dict when
# the scenario leaves the key unknown.
ABSENT = object()
REFERENCE_KEYS: dict[str, dict[str, Any]] = {
    "console-no-mfa": {MFA_PRESENT: "false", MFA_AGE: ABSENT, USERNAME: "alice"},
    "access-keys": {MFA_PRESENT: ABSENT, MFA_AGE: ABSENT, USERNAME: "alice"},
    "console-mfa": {MFA_PRESENT: "true", MFA_AGE: "60", USERNAME: "alice"},
    "session-token-mfa": {MFA_PRESENT: "true", MFA_AGE: "60", USERNAME: "alice"},
    "session-token-no-mfa": {MFA_PRESENT: "false", MFA_AGE: ABSENT, USERNAME: "alice"},
    "role-session": {USERNAME: ABSENT},
}

ALWAYS_PERMITTED = {"sts:getsessiontoken", "sts:getcalleridentity"}


# --- the reference interpreter ---------------------------------------------------------------


def glob_match(pattern: str, text: str) -> bool:
    """Match ``*`` (any run of characters) and ``?`` (one character), case-sensitively."""
    if not pattern:
        return not text
    head = pattern[0]
    if head == "*":
        return any(glob_match(pattern[1:], text[start:]) for start in range(len(text) + 1))
    if not text:
        return False
    if head == "?" or head == text[0]:
        return glob_match(pattern[1:], text[1:])
    return False


def substitute(text: str, keys: dict[str, Any], variables: bool) -> str | None:
    """Replace ${aws:username}, the only variable generated here, or return None when it has no value."""
    if not variables or "${aws:username}" not in text:
        return text
    value = keys.get(USERNAME, ABSENT)
    if not isinstance(value, str):
        return None
    return text.replace("${aws:username}", value)


def action_matches(pattern: str, action: str) -> bool:
    if pattern == "*":
        return True
    service, colon, name = pattern.partition(":")
    if not colon or not service or not name:
        return False
    return glob_match(pattern.lower(), action.lower())


def resource_matches(pattern: str, resource: str, keys: dict[str, Any], variables: bool) -> bool:
    if pattern == "*":
        return True
    if resource == "*":
        # An action that supports no resource type is matched only by "*".
        return False
    substituted = substitute(pattern, keys, variables)
    if substituted is None:
        return False
    pattern_parts = substituted.split(":", 5)
    resource_parts = resource.split(":", 5)
    if len(pattern_parts) != 6 or len(resource_parts) != 6:
        return False
    for pattern_part, resource_part in zip(pattern_parts, resource_parts):
        if not glob_match(pattern_part, resource_part):
            return False
    return True


def value_matches(operator: str, policy_value: str, request_value: str, keys: dict[str, Any], variables: bool) -> bool:
    """Test one request value against one policy value, ignoring negation."""
    if operator.startswith("Numeric"):
        expected = float(policy_value)
        actual = float(request_value)
        if "LessThanEquals" in operator:
            return actual <= expected
        if "LessThan" in operator:
            return actual < expected
        if "GreaterThanEquals" in operator:
            return actual >= expected
        if "GreaterThan" in operator:
            return actual > expected
        return actual == expected
    if operator.startswith("Bool"):
        return policy_value.lower() in ("true", "false") and policy_value.lower() == request_value.lower()
    substituted = substitute(policy_value, keys, variables)
    if substituted is None:
        return False
    if "Like" in operator:
        return glob_match(substituted, request_value)
    if "IgnoreCase" in operator:
        return substituted.lower() == request_value.lower()
    return substituted == request_value


def condition_result(operator: str, key: str, values: list[str], keys: dict[str, Any], variables: bool) -> bool | None:
    """Evaluate one key test: True, False, or None when the scenario leaves the key unknown."""
    if key not in keys:
        return None
    value = keys[key]
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":")
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    negated = "Not" in operator

    if value is ABSENT:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return negated

    # A single-valued key is a set of one value, so ForAllValues and
    # ForAnyValue both reduce to a test of that value.
    hit = False
    for policy_value in values:
        if value_matches(operator, policy_value, value, keys, variables):
            hit = True
    return not hit if negated else hit


def statement_result(
    statement: dict[str, Any], action: str, resource: str, keys: dict[str, Any], variables: bool
) -> bool | None:
    """Return whether a statement applies to the request: True, False or None (unknown)."""
    if "Action" in statement:
        action_hit = any(action_matches(pattern, action) for pattern in statement["Action"])
    else:
        action_hit = not any(action_matches(pattern, action) for pattern in statement["NotAction"])
    if not action_hit:
        return False

    if "Resource" in statement:
        resource_hit = any(resource_matches(pattern, resource, keys, variables) for pattern in statement["Resource"])
    else:
        resource_hit = not any(resource_matches(pattern, resource, keys, variables) for pattern in statement["NotResource"])
    if not resource_hit:
        return False

    result: bool | None = True
    for operator, block in statement.get("Condition", {}).items():
        for key, values in block.items():
            outcome = condition_result(operator, key, values, keys, variables)
            if outcome is False:
                return False
            if outcome is None:
                result = None
    return result


def reference_allowed(documents: list[dict[str, Any]], action: str, resource: str, scenario_name: str) -> bool | None:
    """Return True (allowed), False (denied) or None (depends on keys the scenario leaves unknown)."""
    if action.lower() in ALWAYS_PERMITTED:
        return True
    keys = REFERENCE_KEYS[scenario_name]
    deny_certain = deny_possible = allow_certain = allow_possible = False
    for document in documents:
        variables = document.get("Version") == VERSION_2012
        for statement in document["Statement"]:
            applies = statement_result(statement, action, resource, keys, variables)
            if applies is False:
                continue
            if statement["Effect"] == "Deny":
                if applies:
                    deny_certain = True
                else:
                    deny_possible = True
            else:
                if applies:
                    allow_certain = True
                else:
                    allow_possible = True
    if deny_certain:
        return False
    if allow_certain and not deny_possible:
        return True
    if allow_certain or allow_possible:
        return None
    return False


def combine(results: list[bool | None]) -> bool | None:
    """Combine per-resource results the way reachable() does: any True, else any None, else False."""
    if True in results:
        return True
    if None in results:
        return None
    return False


# --- strategies --------------------------------------------------------------------------------


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, list[str]]]:
    block: dict[str, dict[str, list[str]]] = {}
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        key = draw(st.sampled_from(sorted(CONDITION_CHOICES)))
        operators, values = CONDITION_CHOICES[key]
        operator = draw(st.sampled_from(operators))
        block.setdefault(operator, {})[key] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2))
    return block


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    action_element = draw(st.sampled_from(["Action", "NotAction"]))
    statement[action_element] = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    resource_element = draw(st.sampled_from(["Resource", "NotResource"]))
    statement[resource_element] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    block = draw(conditions())
    if block:
        statement["Condition"] = block
    return statement


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(st.sampled_from([VERSION_2012, VERSION_2012, VERSION_2008]))
    return {"Version": version, "Statement": draw(st.lists(statements(), min_size=1, max_size=3))}


policy_sets = st.lists(documents(), min_size=1, max_size=2)
scenario_names = st.sampled_from(sorted(SCENARIOS))


def build(documents_: list[dict[str, Any]]):
    policies = []
    for document in documents_:
        policies.extend(load_policies(document))
    return policies


def names_phantom(documents_: list[dict[str, Any]]) -> bool:
    """Return True when a statement names the uncatalogued action literally, which makes reachable() track it."""
    for document in documents_:
        for statement in document["Statement"]:
            for pattern in statement.get("Action", []) + statement.get("NotAction", []):
                if pattern.lower() == FUTURE.lower():
                    return True
    return False


def names_of(result: Reachability, mask: int) -> list[str]:
    """Return the action names of a bitmask over ``result.names``, for failure messages."""
    return [name for position, name in enumerate(result.names) if mask >> position & 1]


def extra_actions(mask: int, bound: int, before: Reachability, after: Reachability) -> int:
    """Return the actions set in ``mask`` but not in ``bound``, among the actions ``before`` tracks.

    ``after`` evaluates the same policies plus one statement, which can name
    an uncatalogued action that ``before`` did not track, so only the
    positions of ``before.names`` are compared.
    """
    assert after.names[: len(before.names)] == before.names
    tracked = (1 << len(before.names)) - 1
    return mask & tracked & ~bound


# --- properties ---------------------------------------------------------------------------------


@DECIDE_SETTINGS
@given(documents_=policy_sets)
def test_decide_matches_reference(documents_: list[dict[str, Any]]) -> None:
    policies = build(documents_)
    mismatches = []
    for scenario_name in sorted(SCENARIOS):
        context = scenario(scenario_name).context()
        for action in ACTIONS:
            for resource in sample_resources(action) + tuple(EXTRA_RESOURCES):
                actual = decide(policies, action, resource, context).allowed
                expected = reference_allowed(documents_, action, resource, scenario_name)
                if actual is not expected:
                    mismatches.append((scenario_name, action, resource, actual, expected))
    assert mismatches == []


@REACHABLE_SETTINGS
@given(documents_=policy_sets, scenario_name=scenario_names)
def test_status_matches_decide(documents_: list[dict[str, Any]], scenario_name: str) -> None:
    policies = build(documents_)
    result = reachable(policies, scenario_name)
    context = scenario(scenario_name).context()
    tracked = [action for action in ACTIONS if action != FUTURE or names_phantom(documents_)]
    mismatches = {}
    for action in tracked:
        expected = combine([decide(policies, action, resource, context).allowed for resource in sample_resources(action)])
        if result.status(action) is not expected:
            mismatches[action] = (result.status(action), expected)
    assert mismatches == {}


@REACHABLE_SETTINGS
@given(documents_=policy_sets, deny=statements(effect="Deny"), scenario_name=scenario_names)
def test_deny_never_enlarges(documents_: list[dict[str, Any]], deny: dict[str, Any], scenario_name: str) -> None:
    before = reachable(build(documents_), scenario_name)
    after = reachable(build(documents_ + [{"Version": VERSION_2012, "Statement": [deny]}]), scenario_name)
    new_allowed = extra_actions(after.allowed, before.allowed, before, after)
    assert new_allowed == 0, names_of(after, new_allowed)
    new_possible = extra_actions(after.allowed | after.maybe, before.allowed | before.maybe, before, after)
    assert new_possible == 0, names_of(after, new_possible)


@REACHABLE_SETTINGS
@given(documents_=policy_sets, allow=statements(effect="Allow"), scenario_name=scenario_names)
def test_allow_never_shrinks(documents_: list[dict[str, Any]], allow: dict[str, Any], scenario_name: str) -> None:
    before = reachable(build(documents_), scenario_name)
    after = reachable(build(documents_ + [{"Version": VERSION_2012, "Statement": [allow]}]), scenario_name)
    lost_allowed = extra_actions(before.allowed, after.allowed, before, after)
    assert lost_allowed == 0, names_of(before, lost_allowed)
    lost_possible = extra_actions(before.allowed | before.maybe, after.allowed | after.maybe, before, after)
    assert lost_possible == 0, names_of(before, lost_possible)


# --- the reference itself --------------------------------------------------------------------------

# A few fixed cases keep the reference honest, independent of mfalint.


def test_reference_glob() -> None:
    assert glob_match("a*c?", "abbcd")
    assert not glob_match("a*c?", "abbc")


def test_reference_force_mfa() -> None:
    document = {
        "Version": VERSION_2012,
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:ChangePassword"], "Resource": ["arn:aws:iam::*:user/${aws:username}"]},
            {
                "Effect": "Deny",
                "NotAction": ["iam:GetUser"],
                "Resource": ["*"],
                "Condition": {"BoolIfExists": {MFA_PRESENT: ["false"]}},
            },
        ],
    }
    alice = "arn:aws:iam::123456789012:user/alice"
    assert reference_allowed([document], "iam:ChangePassword", alice, "access-keys") is False
    assert reference_allowed([document], "iam:ChangePassword", alice, "console-mfa") is True
    assert reference_allowed([document], "iam:ChangePassword", alice, "role-session") is False
