"""decide(): one request against a set of identity-based policies.

The expected outcomes follow the AWS IAM User Guide page "Policy evaluation
logic": a request starts implicitly denied, a matching Deny statement denies
it explicitly whatever the order of statements and policies, and otherwise a
matching Allow statement allows it. IAM policies do not control
``sts:GetSessionToken`` and ``sts:GetCallerIdentity``, so both are always
allowed. An action that supports no resource type is requested on ``"*"``
and only ``"Resource": "*"`` matches it.
"""

from __future__ import annotations

from typing import Any

import pytest
from iam_helpers import ALICE_ARN, BOB_ARN, FORCE_MFA_DENY, load_fixture, policy

from mfalint.iam import (
    ALWAYS_PERMITTED,
    NO_MFA_SCENARIOS,
    SCENARIOS,
    KeyState,
    Outcome,
    RequestContext,
    decide,
    scenario,
    statement_applies,
)
from mfalint.model import VERSION_2008, VERSION_2012

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
DENY_ALL = {"Effect": "Deny", "Action": "*", "Resource": "*"}
ALLOW_OWN_PASSWORD = {
    "Effect": "Allow",
    "Action": ["iam:ChangePassword", "iam:GetUser"],
    "Resource": "arn:aws:iam::*:user/${aws:username}",
}
DENY_CHANGE_PASSWORD = {"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}

# A complete request context for the IAM user alice: every other key is absent.
ALICE = RequestContext(values={"aws:username": "alice"})
MFA = "aws:MultiFactorAuthPresent"


def outcome_of(statements: list[dict[str, Any]], action: str, resource: str, context: RequestContext = ALICE) -> Outcome:
    return decide([policy(*statements)], action, resource, context).outcome


# --- explicit and implicit deny ------------------------------------------------------


@pytest.mark.parametrize(
    "statements",
    [[ALLOW_ALL, DENY_CHANGE_PASSWORD], [DENY_CHANGE_PASSWORD, ALLOW_ALL]],
    ids=["deny-last", "deny-first"],
)
def test_deny_wins_in_policy(statements: list[dict[str, Any]]) -> None:
    assert outcome_of(statements, "iam:ChangePassword", ALICE_ARN) is Outcome.EXPLICIT_DENY


@pytest.mark.parametrize("deny_first", [False, True], ids=["deny-policy-last", "deny-policy-first"])
def test_deny_wins_across_policies(deny_first: bool) -> None:
    policies = [policy(ALLOW_ALL), policy(DENY_CHANGE_PASSWORD)]
    if deny_first:
        policies.reverse()
    decision = decide(policies, "iam:ChangePassword", ALICE_ARN, ALICE)
    assert decision.outcome is Outcome.EXPLICIT_DENY


def test_deny_names_deny_statement() -> None:
    deny_policy = policy(ALLOW_ALL, DENY_CHANGE_PASSWORD)
    decision = decide([deny_policy], "iam:ChangePassword", ALICE_ARN, ALICE)
    assert [ref.statement for ref in decision.statements] == [deny_policy.statements[1]]


def test_deny_allowed_is_false() -> None:
    decision = decide([policy(ALLOW_ALL, DENY_CHANGE_PASSWORD)], "iam:ChangePassword", ALICE_ARN, ALICE)
    assert decision.allowed is False


def test_deny_other_action_allows() -> None:
    assert outcome_of([ALLOW_ALL, DENY_CHANGE_PASSWORD], "iam:GetUser", ALICE_ARN) is Outcome.ALLOW


def test_allow_names_allow_statements() -> None:
    allow_policy = policy(ALLOW_ALL, ALLOW_OWN_PASSWORD)
    decision = decide([allow_policy], "iam:GetUser", ALICE_ARN, ALICE)
    assert [ref.statement for ref in decision.statements] == allow_policy.statements


def test_allow_allowed_is_true() -> None:
    assert decide([policy(ALLOW_OWN_PASSWORD)], "iam:GetUser", ALICE_ARN, ALICE).allowed is True


def test_implicit_deny_no_match() -> None:
    decision = decide([policy(ALLOW_OWN_PASSWORD)], "iam:DeleteUser", ALICE_ARN, ALICE)
    assert decision.outcome is Outcome.IMPLICIT_DENY


def test_implicit_deny_other_resource() -> None:
    assert outcome_of([ALLOW_OWN_PASSWORD], "iam:ChangePassword", BOB_ARN) is Outcome.IMPLICIT_DENY


def test_implicit_deny_no_policies() -> None:
    decision = decide([], "iam:GetUser", ALICE_ARN, ALICE)
    assert decision.allowed is False


def test_implicit_deny_unknown_effect() -> None:
    statement = {"Effect": "Audit", "Action": "*", "Resource": "*"}
    assert outcome_of([statement], "iam:GetUser", ALICE_ARN) is Outcome.IMPLICIT_DENY


def test_identity_statement_needs_resource() -> None:
    statement = {"Effect": "Allow", "Action": "*"}
    assert outcome_of([statement], "iam:GetUser", ALICE_ARN) is Outcome.IMPLICIT_DENY


def test_trust_statement_without_resource() -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": ALICE_ARN}, "Action": "sts:AssumeRole"}
    role = "arn:aws:iam::123456789012:role/admin"
    assert outcome_of([statement], "sts:AssumeRole", role) is Outcome.ALLOW


# --- Action, NotAction, Resource, NotResource ------------------------------------------

ALLOW_NOT_IAM = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
DENY_NOT_LISTED = {"Effect": "Deny", "NotAction": ["IAM:GETUSER", "sts:Get*"], "Resource": "*"}

NOT_ACTION_CASES = [
    pytest.param([ALLOW_NOT_IAM], "s3:GetObject", Outcome.ALLOW, id="allow-grants-others"),
    pytest.param([ALLOW_NOT_IAM], "IAM:GetUser", Outcome.IMPLICIT_DENY, id="allow-skips-listed"),
    pytest.param([ALLOW_NOT_IAM], "iam:FutureAction", Outcome.IMPLICIT_DENY, id="allow-skips-future-listed"),
    pytest.param([ALLOW_NOT_IAM], "newservice:DoThing", Outcome.ALLOW, id="allow-grants-future"),
    pytest.param([ALLOW_ALL, DENY_NOT_LISTED], "iam:GetUser", Outcome.ALLOW, id="deny-spares-listed"),
    pytest.param([ALLOW_ALL, DENY_NOT_LISTED], "sts:GetFederationToken", Outcome.ALLOW, id="deny-spares-pattern"),
    pytest.param([ALLOW_ALL, DENY_NOT_LISTED], "iam:ChangePassword", Outcome.EXPLICIT_DENY, id="deny-hits-others"),
    pytest.param([ALLOW_ALL, DENY_NOT_LISTED], "s3:GetObject", Outcome.EXPLICIT_DENY, id="deny-hits-other-service"),
]


@pytest.mark.parametrize(("statements", "action", "expected"), NOT_ACTION_CASES)
def test_not_action(statements: list[dict[str, Any]], action: str, expected: Outcome) -> None:
    assert outcome_of(statements, action, ALICE_ARN) is expected


ALLOW_NOT_ALICE = {"Effect": "Allow", "Action": "iam:*", "NotResource": ALICE_ARN}
DENY_NOT_OWN = {"Effect": "Deny", "Action": "iam:*", "NotResource": "arn:aws:iam::*:user/${aws:username}"}

NOT_RESOURCE_CASES = [
    pytest.param([ALLOW_NOT_ALICE], "iam:GetUser", BOB_ARN, Outcome.ALLOW, id="allow-other-resource"),
    pytest.param([ALLOW_NOT_ALICE], "iam:GetUser", ALICE_ARN, Outcome.IMPLICIT_DENY, id="allow-skips-listed"),
    pytest.param([ALLOW_NOT_ALICE], "iam:GetAccountPasswordPolicy", "*", Outcome.ALLOW, id="allow-star-resource"),
    pytest.param([ALLOW_ALL, DENY_NOT_OWN], "iam:GetUser", ALICE_ARN, Outcome.ALLOW, id="deny-spares-own"),
    pytest.param([ALLOW_ALL, DENY_NOT_OWN], "iam:GetUser", BOB_ARN, Outcome.EXPLICIT_DENY, id="deny-hits-others"),
    pytest.param([ALLOW_ALL, DENY_NOT_OWN], "iam:GetAccountSummary", "*", Outcome.EXPLICIT_DENY, id="deny-star"),
    pytest.param(
        [{"Effect": "Allow", "Action": "*", "NotResource": "*"}], "iam:GetUser", ALICE_ARN, Outcome.IMPLICIT_DENY,
        id="not-star-matches-nothing",
    ),
]


@pytest.mark.parametrize(("statements", "action", "resource", "expected"), NOT_RESOURCE_CASES)
def test_not_resource(statements: list[dict[str, Any]], action: str, resource: str, expected: Outcome) -> None:
    assert outcome_of(statements, action, resource) is expected


# Actions that support no resource type are requested on "*", which an ARN
# pattern naming a resource type never matches.
RESOURCELESS_CASES = [
    pytest.param("*", Outcome.ALLOW, id="star"),
    pytest.param("arn:aws:iam::*:user/*", Outcome.IMPLICIT_DENY, id="resource-type-arn"),
    pytest.param("arn:aws:iam::123456789012:user/alice", Outcome.IMPLICIT_DENY, id="exact-arn"),
    pytest.param("arn:aws:s3:::*", Outcome.IMPLICIT_DENY, id="other-service-arn"),
    pytest.param(["arn:aws:iam::*:user/*", "*"], Outcome.ALLOW, id="star-in-list"),
]


@pytest.mark.parametrize(("resource_pattern", "expected"), RESOURCELESS_CASES)
def test_resourceless_action(resource_pattern: Any, expected: Outcome) -> None:
    statement = {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": resource_pattern}
    assert outcome_of([statement], "iam:GetAccountPasswordPolicy", "*") is expected


def test_action_case_insensitive() -> None:
    statement = {"Effect": "Allow", "Action": "IAM:changepassword", "Resource": ALICE_ARN}
    assert outcome_of([statement], "iam:ChangePassword", ALICE_ARN) is Outcome.ALLOW


def test_resource_case_sensitive() -> None:
    statement = {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "arn:aws:iam::*:user/Alice"}
    assert outcome_of([statement], "iam:ChangePassword", ALICE_ARN) is Outcome.IMPLICIT_DENY


@pytest.mark.parametrize("action", ["sts:GetSessionToken", "sts:GetCallerIdentity", "STS:getsessiontoken"])
def test_always_permitted_under_deny(action: str) -> None:
    decision = decide([policy(DENY_ALL)], action, "*", ALICE)
    assert decision.allowed is True


@pytest.mark.parametrize("action", ["sts:GetSessionToken", "sts:GetCallerIdentity"])
def test_always_permitted_without_policies(action: str) -> None:
    assert decide([], action, "*", ALICE).outcome is Outcome.ALLOW


def test_always_permitted_set() -> None:
    assert ALWAYS_PERMITTED == {"sts:getsessiontoken", "sts:getcalleridentity"}


def test_other_sts_action_denied() -> None:
    assert outcome_of([DENY_ALL], "sts:AssumeRole", "*") is Outcome.EXPLICIT_DENY


# --- policy variables and Version ---------------------------------------------------------

LITERAL_ALICE = "arn:aws:iam::123456789012:user/${aws:username}"

VERSION_CASES = [
    pytest.param(VERSION_2012, ALICE_ARN, Outcome.ALLOW, id="2012-substitutes"),
    pytest.param(VERSION_2012, LITERAL_ALICE, Outcome.IMPLICIT_DENY, id="2012-not-literal"),
    pytest.param(VERSION_2008, ALICE_ARN, Outcome.IMPLICIT_DENY, id="2008-no-substitution"),
    pytest.param(VERSION_2008, LITERAL_ALICE, Outcome.ALLOW, id="2008-literal"),
    pytest.param(None, ALICE_ARN, Outcome.IMPLICIT_DENY, id="no-version-no-substitution"),
    pytest.param(None, LITERAL_ALICE, Outcome.ALLOW, id="no-version-literal"),
]


@pytest.mark.parametrize(("version", "resource", "expected"), VERSION_CASES)
def test_version_controls_variables(version: str | None, resource: str, expected: Outcome) -> None:
    decision = decide([policy(ALLOW_OWN_PASSWORD, version=version)], "iam:ChangePassword", resource, ALICE)
    assert decision.outcome is expected


def test_variable_missing_value_no_match() -> None:
    context = RequestContext(values={})
    assert outcome_of([ALLOW_OWN_PASSWORD], "iam:ChangePassword", ALICE_ARN, context) is Outcome.IMPLICIT_DENY


# --- three-valued outcomes -------------------------------------------------------------------

# In this context aws:MultiFactorAuthPresent is unknown: neither present nor listed absent.
UNKNOWN_MFA = RequestContext(values={"aws:username": "alice"}, complete=False)
ALLOW_IF_MFA = {**ALLOW_ALL, "Condition": {"Bool": {MFA: "true"}}}
DENY_IF_NO_MFA = {**DENY_ALL, "Condition": {"BoolIfExists": {MFA: "false"}}}

THREE_VALUED_CASES = [
    # statements, outcome, certain, allowed
    pytest.param([ALLOW_ALL, DENY_IF_NO_MFA], Outcome.ALLOW, False, None, id="allow-and-unknown-deny"),
    pytest.param([DENY_IF_NO_MFA], Outcome.IMPLICIT_DENY, True, False, id="unknown-deny-only"),
    pytest.param([ALLOW_IF_MFA], Outcome.ALLOW, False, None, id="unknown-allow-only"),
    pytest.param([ALLOW_IF_MFA, DENY_IF_NO_MFA], Outcome.ALLOW, False, None, id="unknown-allow-unknown-deny"),
    pytest.param([ALLOW_IF_MFA, DENY_ALL], Outcome.EXPLICIT_DENY, True, False, id="unknown-allow-certain-deny"),
    pytest.param([ALLOW_ALL, ALLOW_IF_MFA], Outcome.ALLOW, True, True, id="certain-and-unknown-allow"),
    pytest.param([ALLOW_ALL, DENY_IF_NO_MFA, DENY_ALL], Outcome.EXPLICIT_DENY, True, False, id="certain-deny-wins"),
]


@pytest.mark.parametrize(("statements", "outcome", "certain", "allowed"), THREE_VALUED_CASES)
def test_three_valued_outcome(
    statements: list[dict[str, Any]], outcome: Outcome, certain: bool, allowed: bool | None
) -> None:
    decision = decide([policy(*statements)], "iam:GetUser", ALICE_ARN, UNKNOWN_MFA)
    assert decision.outcome is outcome
    assert decision.certain is certain
    assert decision.allowed is allowed


def test_unknown_deny_listed_possible() -> None:
    unknown_policy = policy(ALLOW_ALL, DENY_IF_NO_MFA)
    decision = decide([unknown_policy], "iam:GetUser", ALICE_ARN, UNKNOWN_MFA)
    assert [ref.statement for ref in decision.possible] == [unknown_policy.statements[1]]


def test_statement_applies_unknown() -> None:
    unknown_policy = policy(DENY_IF_NO_MFA)
    applies = statement_applies(unknown_policy, unknown_policy.statements[0], "iam:GetUser", ALICE_ARN, UNKNOWN_MFA)
    assert applies is None


def test_statement_applies_action_mismatch() -> None:
    unknown_policy = policy({**DENY_IF_NO_MFA, "Action": "s3:*"})
    applies = statement_applies(unknown_policy, unknown_policy.statements[0], "iam:GetUser", ALICE_ARN, UNKNOWN_MFA)
    assert applies is False


# --- scenarios ----------------------------------------------------------------------------------

# How each scenario carries the MFA keys (AWS IAM User Guide, "AWS global
# condition context keys"). Console sign-ins and GetSessionToken sessions
# carry aws:MultiFactorAuthPresent, and requests signed with long-term access
# keys carry neither key. For a role session both depend on how the role was
# assumed.
SCENARIO_KEYS = [
    ("console-no-mfa", (KeyState.PRESENT, "false"), KeyState.ABSENT),
    ("access-keys", (KeyState.ABSENT, None), KeyState.ABSENT),
    ("console-mfa", (KeyState.PRESENT, "true"), KeyState.PRESENT),
    ("session-token-mfa", (KeyState.PRESENT, "true"), KeyState.PRESENT),
    ("session-token-no-mfa", (KeyState.PRESENT, "false"), KeyState.ABSENT),
    ("role-session", (KeyState.UNKNOWN, None), KeyState.UNKNOWN),
]


@pytest.mark.parametrize(
    ("name", "present", "age_state"), SCENARIO_KEYS, ids=[name for name, _present, _age in SCENARIO_KEYS]
)
def test_scenario_mfa_keys(name: str, present: tuple[KeyState, str | None], age_state: KeyState) -> None:
    context = scenario(name).context()
    assert context.lookup("aws:MultiFactorAuthPresent") == present
    assert context.lookup("aws:MultiFactorAuthAge")[0] is age_state


def test_scenario_names_complete() -> None:
    assert set(SCENARIOS) == {name for name, _present, _age in SCENARIO_KEYS}


def test_no_mfa_scenarios() -> None:
    assert set(NO_MFA_SCENARIOS) == {"console-no-mfa", "access-keys", "session-token-no-mfa"}


def test_scenario_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'console'"):
        scenario("console")


def test_role_session_has_no_username() -> None:
    context = scenario("role-session").context()
    assert context.lookup("aws:username") == (KeyState.ABSENT, None)


def test_role_session_principal_arn() -> None:
    # For a role session, aws:PrincipalArn is the ARN of the role, never that
    # of an IAM user (AWS IAM User Guide, "AWS global condition context keys").
    _state, value = scenario("role-session").context().lookup("aws:PrincipalArn")
    assert ":user/" not in str(value)


def test_user_scenario_username() -> None:
    assert scenario("access-keys").context().variable("aws:username") == "alice"


def test_scenario_other_keys_unknown() -> None:
    assert scenario("console-mfa").context().lookup("aws:SourceIp") == (KeyState.UNKNOWN, None)


# The force-MFA statement of AWS's example with an Allow of the user's own password.
FORCE_MFA_WITH_PASSWORD = [ALLOW_OWN_PASSWORD, FORCE_MFA_DENY]
FORCE_MFA_OUTCOMES = [
    ("console-no-mfa", Outcome.EXPLICIT_DENY),
    ("access-keys", Outcome.EXPLICIT_DENY),
    ("session-token-no-mfa", Outcome.EXPLICIT_DENY),
    ("console-mfa", Outcome.ALLOW),
    ("session-token-mfa", Outcome.ALLOW),
]


@pytest.mark.parametrize(("name", "expected"), FORCE_MFA_OUTCOMES, ids=[name for name, _ in FORCE_MFA_OUTCOMES])
def test_force_mfa_change_password(name: str, expected: Outcome) -> None:
    context = scenario(name).context()
    assert outcome_of(FORCE_MFA_WITH_PASSWORD, "iam:ChangePassword", ALICE_ARN, context) is expected


@pytest.mark.parametrize(("name", "expected"), FORCE_MFA_OUTCOMES, ids=[name for name, _ in FORCE_MFA_OUTCOMES])
def test_aws_sample_change_password(name: str, expected: Outcome) -> None:
    decision = decide(load_fixture("force-mfa-aws-sample.json"), "iam:ChangePassword", ALICE_ARN, scenario(name).context())
    assert decision.outcome is expected


def test_force_mfa_spares_enrolment() -> None:
    context = scenario("access-keys").context()
    assert outcome_of(FORCE_MFA_WITH_PASSWORD, "iam:GetUser", ALICE_ARN, context) is Outcome.ALLOW


# With Bool in place of BoolIfExists, an absent aws:MultiFactorAuthPresent
# makes the condition false, so requests signed with access keys escape the deny.
FORCE_MFA_BOOL = {**FORCE_MFA_DENY, "Condition": {"Bool": {MFA: "false"}}}
BOOL_OUTCOMES = [
    ("console-no-mfa", Outcome.EXPLICIT_DENY),
    ("access-keys", Outcome.ALLOW),
    ("session-token-no-mfa", Outcome.EXPLICIT_DENY),
    ("console-mfa", Outcome.ALLOW),
]


@pytest.mark.parametrize(("name", "expected"), BOOL_OUTCOMES, ids=[name for name, _ in BOOL_OUTCOMES])
def test_bool_deny_change_password(name: str, expected: Outcome) -> None:
    context = scenario(name).context()
    assert outcome_of([ALLOW_OWN_PASSWORD, FORCE_MFA_BOOL], "iam:ChangePassword", ALICE_ARN, context) is expected


def test_role_session_unknown() -> None:
    allow_users = {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "arn:aws:iam::*:user/*"}
    context = scenario("role-session").context()
    decision = decide([policy(allow_users, FORCE_MFA_DENY)], "iam:ChangePassword", ALICE_ARN, context)
    assert decision.allowed is None


def test_role_session_own_user_no_match() -> None:
    context = scenario("role-session").context()
    assert outcome_of(FORCE_MFA_WITH_PASSWORD, "iam:ChangePassword", ALICE_ARN, context) is Outcome.IMPLICIT_DENY
