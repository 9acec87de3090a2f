"""Wildcard matching of actions and ARNs, and policy variable substitution.

The expected values follow the AWS IAM User Guide pages "IAM JSON policy
elements: Action", "Resource" and "Policy variables". Action names match
case-insensitively with ``*`` and ``?``. ARNs match case-sensitively and
segment by segment. The variables ``${key}`` and ``${key, 'default'}`` and
the escapes ``${*}``, ``${?}`` and ``${$}`` are substituted under Version
2012-10-17 only.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mfalint.iam.patterns import (
    Literal,
    Variable,
    Wildcard,
    action_matcher,
    action_regex,
    compile_arn_pattern,
    has_variables,
    split_arn,
    substitute,
    tokenize,
)

ALICE = "arn:aws:iam::123456789012:user/alice"

# Values of the request context that variables resolve from (key names lower-case).
VARIABLES = {
    "aws:username": "alice",
    "aws:principaltag/team": "red",
}


def resolve(key: str) -> str | None:
    return VARIABLES.get(key.lower())


def action_matches(pattern: str, action: str) -> bool:
    regex = action_regex(pattern)
    return regex is not None and regex.fullmatch(action) is not None


def arn_matches(pattern: str, resource: str, variables: bool = True) -> bool:
    tokens = substitute(tokenize(pattern, variables), resolve)
    return compile_arn_pattern(tokens).matches(resource)


# --- actions -----------------------------------------------------------------

ACTION_CASES = [
    ("iam:GetUser", "iam:GetUser", True),
    ("IAM:getuser", "iam:GetUser", True),
    ("iam:GetUser", "IAM:GETUSER", True),
    ("iam:*", "iam:GetUser", True),
    ("iam:Get*", "iam:GetUser", True),
    ("iam:get*", "iam:GetUser", True),
    ("iam:Get*", "iam:ListUsers", False),
    ("iam:*User", "iam:GetUserPolicy", False),
    ("iam:*MFADevice*", "iam:EnableMFADevice", True),
    ("iam:*MFADevice*", "iam:ListMFADeviceTags", True),
    ("iam:Get?ser", "iam:GetUser", True),
    ("iam:Get?ser", "iam:GetUsers", False),
    ("iam:Get??ser", "iam:GetUser", False),
    ("i?m:GetUser", "iam:GetUser", True),
    ("*", "iam:GetUser", True),
    ("*", "s3:GetObject", True),
    ("iam:Get*", "iamx:GetUser", False),
    ("iam:GetUser", "iam:GetUserPolicy", False),
    ("iam:GetUser", "sso:GetUser", False),
    ("iam:Get.ser", "iam:GetUser", False),
]


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    ACTION_CASES,
    ids=[f"{pattern}~{action}" for pattern, action, _ in ACTION_CASES],
)
def test_action_pattern(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


MALFORMED_ACTIONS = ["GetUser", "iam", "iam*", ":GetUser", "iam:", ":", ""]


@pytest.mark.parametrize("pattern", MALFORMED_ACTIONS, ids=[repr(pattern) for pattern in MALFORMED_ACTIONS])
def test_action_regex_malformed_is_none(pattern: str) -> None:
    assert action_regex(pattern) is None


@pytest.mark.parametrize("action", ["iam:GetUser", "iam:", "GetUser"])
def test_action_service_less_matches_nothing(action: str) -> None:
    assert not action_matches("GetUser", action)


# --- ARNs ----------------------------------------------------------------------

# NOTE: the IAM User Guide page "IAM JSON policy elements: Resource" states that
# a "*" ending a segment can expand beyond the colon. These cases follow the
# segment-wise rule of the "Condition operators" page, which mfalint applies.
ARN_CASES = [
    # pattern, resource, expected, id
    ("*", ALICE, True, "star-matches-all"),
    ("*", "not-an-arn", True, "star-matches-anything"),
    (ALICE, ALICE, True, "exact"),
    ("arn:aws:iam::*:user/alice", ALICE, True, "star-in-account"),
    ("arn:aws:iam::123456789012:user/*", ALICE, True, "star-in-resource"),
    ("arn:aws:iam::123456789012:user/Alice", ALICE, False, "resource-case-sensitive"),
    ("arn:aws:IAM::123456789012:user/alice", ALICE, False, "service-case-sensitive"),
    ("ARN:aws:iam::123456789012:user/alice", ALICE, False, "prefix-case-sensitive"),
    ("arn:aws:iam::????????????:user/alice", ALICE, True, "question-per-char"),
    ("arn:aws:iam::???????????:user/alice", ALICE, False, "question-one-short"),
    ("arn:aws:iam::123456789012:user/alic?", ALICE, True, "question-in-resource"),
    ("arn:aws:*:user/alice", ALICE, False, "star-spans-no-colon"),
    ("arn:aws:iam::1*:user/alice", "arn:aws:iam::1:x:user/alice", False, "account-star-stops-at-colon"),
    ("arn:aws:iam::*", ALICE, False, "five-segments-never"),
    ("arn:*", ALICE, False, "two-segments-never"),
    ("arn:aws:iam::123456789012:*", ALICE, True, "resource-star-spans-slash"),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b/c", True, "resource-star-spans-colon"),
    ("arn:aws:s3:::bucket/a:b/*", "arn:aws:s3:::bucket/a:b/c", True, "colon-inside-resource"),
    ("arn:aws:s3:::bucket/a:b/c", "arn:aws:s3:::bucket/a:b/c", True, "colons-in-sixth-segment"),
    ("arn:aws:s3:::bucket/*/test/*", "arn:aws:s3:::bucket/1/2/test/3/x.jpg", True, "two-stars"),
    ("arn:aws:s3:::bucket/*/test/*", "arn:aws:s3:::bucket/1-test/x.jpg", False, "two-stars-no-slash"),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/", True, "star-matches-empty"),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/x", False, "other-bucket"),
    (ALICE, "arn:aws:iam::123456789012", False, "resource-with-five-segments"),
    ("arn:aws:iam::*:user/*", "*", False, "pattern-against-star"),
]


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [case[:3] for case in ARN_CASES],
    ids=[case[3] for case in ARN_CASES],
)
def test_arn_pattern(pattern: str, resource: str, expected: bool) -> None:
    assert arn_matches(pattern, resource) is expected


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (ALICE, ["arn", "aws", "iam", "", "123456789012", "user/alice"]),
        ("arn:aws:s3:::b/a:b", ["arn", "aws", "s3", "", "", "b/a:b"]),
        ("arn:aws:iam::123456789012", None),
        ("*", None),
    ],
    ids=["user", "colon-in-resource", "five-segments", "star"],
)
def test_split_arn(arn: str, expected: list[str] | None) -> None:
    assert split_arn(arn) == expected


# --- policy variables ------------------------------------------------------------

VARIABLE_CASES = [
    # pattern, resource, expected, id
    ("arn:aws:iam::*:user/${aws:username}", ALICE, True, "username"),
    ("arn:aws:iam::*:user/${AWS:UserName}", ALICE, True, "key-case-insensitive"),
    ("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::123456789012:user/bob", False, "other-user"),
    ("arn:aws:iam::*:user/${aws:PrincipalTag/team}", "arn:aws:iam::1:user/red", True, "tag"),
    ("arn:aws:iam::*:user/${aws:PrincipalTag/dept, 'ops'}", "arn:aws:iam::1:user/ops", True, "default-used"),
    ("arn:aws:iam::*:user/${aws:username, 'bob'}", ALICE, True, "default-ignored"),
    ("arn:aws:iam::*:user/${aws:username, 'bob'}", "arn:aws:iam::1:user/bob", False, "default-not-alternative"),
    ("arn:aws:iam::*:user/${aws:PrincipalTag/dept}", "arn:aws:iam::1:user/", False, "unresolved-never"),
    ("arn:aws:iam::*:user/${aws:PrincipalTag/dept}", "arn:aws:iam::1:user/x", False, "unresolved-not-star"),
    ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", True, "escaped-star-literal"),
    ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", False, "escaped-star-no-wildcard"),
    ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/?", True, "escaped-question-literal"),
    ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/x", False, "escaped-question-no-wildcard"),
    ("arn:aws:s3:::b/${$}", "arn:aws:s3:::b/$", True, "escaped-dollar"),
    ("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/notes.txt", True, "variable-then-star"),
]


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [case[:3] for case in VARIABLE_CASES],
    ids=[case[3] for case in VARIABLE_CASES],
)
def test_arn_variable(pattern: str, resource: str, expected: bool) -> None:
    assert arn_matches(pattern, resource) is expected


def test_variables_off_literal_match() -> None:
    literal = "arn:aws:iam::123456789012:user/${aws:username}"
    assert arn_matches("arn:aws:iam::*:user/${aws:username}", literal, variables=False)


def test_variables_off_no_substitution() -> None:
    assert not arn_matches("arn:aws:iam::*:user/${aws:username}", ALICE, variables=False)


def test_tokenize_default_value() -> None:
    tokens = tokenize("${aws:PrincipalTag/team, 'company-wide'}", True)
    assert tokens == (Variable("aws:PrincipalTag/team", "company-wide"),)


def test_tokenize_escapes_are_literals() -> None:
    assert tokenize("${*}${?}${$}", True) == (Literal("*"), Literal("?"), Literal("$"))


def test_tokenize_wildcards() -> None:
    assert tokenize("a*?", True) == (Literal("a"), Wildcard("*"), Wildcard("?"))


def test_tokenize_variables_off_literal() -> None:
    tokens = tokenize("${x}", False)
    assert tokens == (Literal("$"), Literal("{"), Literal("x"), Literal("}"))


def test_tokenize_unclosed_variable_literal() -> None:
    assert tokenize("${x", True) == (Literal("$"), Literal("{"), Literal("x"))


def test_substitute_missing_value_is_none() -> None:
    assert substitute(tokenize("user/${aws:PrincipalTag/dept}", True), resolve) is None


def test_substitute_value_has_no_wildcards() -> None:
    tokens = substitute(tokenize("${aws:username}", True), lambda _key: "a*")
    assert tokens == (Literal("a"), Literal("*"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("user/${aws:username}", True), ("user/alice", False), ("user/$", False)],
    ids=["variable", "plain", "dollar"],
)
def test_has_variables(text: str, expected: bool) -> None:
    assert has_variables(text) is expected


# Letters that fold differently under lower() and regular-expression case
# matching (dotless i, Kelvin sign, long s), beside plain ones.
_NAME_CHARS = st.sampled_from(list("abcAB:*?ıIKKſsS$"))


@given(
    patterns=st.lists(st.text(_NAME_CHARS, min_size=1, max_size=6), max_size=4),
    action=st.text(_NAME_CHARS, min_size=1, max_size=6),
)
def test_statement_matcher_agrees_with_each_pattern(patterns: list[str], action: str) -> None:
    """The combined matcher of an Action list matches exactly what its patterns match one by one."""
    expected = any((regex := action_regex(text)) is not None and regex.fullmatch(action) is not None for text in patterns)
    assert action_matcher(tuple(patterns)).matches(action) == expected
