"""Condition operators, in three-valued logic.

The expected values follow the AWS IAM User Guide pages "IAM JSON policy
elements: Condition operators" and "Multiple context keys or values":

- the values of one key are ORed, except for negated operators, which are
  true when the request value matches none of them (NOR);
- keys are ANDed, and key names are case-insensitive;
- when the key is absent, a positive operator is false and a negated one is
  true, ``...IfExists`` is true, ``ForAllValues:`` is true and
  ``ForAnyValue:`` is false;
- ``Null`` is true for ``"true"`` when the key is absent and for ``"false"``
  when it is present.

A dict context is complete: a key it lacks is absent. In a scenario context
(``RequestContext(complete=False)``) a key that is neither given nor listed
as absent is unknown, and every test of it gives None.
"""

from __future__ import annotations

from typing import Any

import pytest
from iam_helpers import condition, evaluate, policy

from mfalint.iam import RequestContext, evaluate_conditions
from mfalint.iam.conditions import tri_and
from mfalint.model import VERSION_2008


def case(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None, name: str, **kwargs: Any):
    return pytest.param(operator, key, values, context, expected, id=name, **kwargs)


ROW_NAMES = ("operator", "key", "values", "context", "expected")


def check(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    assert evaluate(operator, key, values, context) is expected


# --- String ------------------------------------------------------------------

STRING_CASES = [
    case("StringEquals", "k", "alice", {"k": "alice"}, True, "equals"),
    case("StringEquals", "k", "alice", {"k": "Alice"}, False, "equals-case-sensitive"),
    case("StringEquals", "k", "al*", {"k": "alice"}, False, "equals-star-literal"),
    case("StringEquals", "k", "al*", {"k": "al*"}, True, "equals-star-itself"),
    case("StringEquals", "k", ["bob", "alice"], {"k": "alice"}, True, "equals-values-ored"),
    case("StringEquals", "k", ["bob", "carol"], {"k": "alice"}, False, "equals-no-value"),
    case("StringNotEquals", "k", "alice", {"k": "alice"}, False, "not-equals-same"),
    case("StringNotEquals", "k", "alice", {"k": "bob"}, True, "not-equals-other"),
    case("StringNotEquals", "k", ["bob", "alice"], {"k": "alice"}, False, "not-equals-nor-one-hit"),
    case("StringNotEquals", "k", ["bob", "carol"], {"k": "alice"}, True, "not-equals-nor-no-hit"),
    case("StringEqualsIgnoreCase", "k", "ALICE", {"k": "alice"}, True, "ignore-case"),
    case("StringEqualsIgnoreCase", "k", "bob", {"k": "alice"}, False, "ignore-case-other"),
    case("StringEqualsIgnoreCase", "k", "AL*", {"k": "alice"}, False, "ignore-case-no-wildcard"),
    case("StringNotEqualsIgnoreCase", "k", "ALICE", {"k": "alice"}, False, "not-ignore-case-same"),
    case("StringNotEqualsIgnoreCase", "k", "bob", {"k": "alice"}, True, "not-ignore-case-other"),
    case("StringLike", "k", "al*", {"k": "alice"}, True, "like-star"),
    case("StringLike", "k", "*", {"k": ""}, True, "like-star-empty"),
    case("StringLike", "k", "al?ce", {"k": "alice"}, True, "like-question"),
    case("StringLike", "k", "al?ce", {"k": "allice"}, False, "like-question-one-char"),
    case("StringLike", "k", "AL*", {"k": "alice"}, False, "like-case-sensitive"),
    case("StringLike", "k", "home/*/notes", {"k": "home/a/b/notes"}, True, "like-star-spans-slash"),
    case("StringLike", "k", ["x*", "a*"], {"k": "alice"}, True, "like-values-ored"),
    case("StringNotLike", "k", "al*", {"k": "alice"}, False, "not-like-hit"),
    case("StringNotLike", "k", "b*", {"k": "alice"}, True, "not-like-miss"),
    case("StringNotLike", "k", ["b*", "a*"], {"k": "alice"}, False, "not-like-nor"),
    case("StringEquals", "k", "alice", {}, False, "absent-positive"),
    case("StringNotEquals", "k", "alice", {}, True, "absent-negated"),
    case("StringLike", "k", "*", {}, False, "absent-like-star"),
    case("StringNotLike", "k", "*", {}, True, "absent-not-like"),
    case("StringEqualsIfExists", "k", "alice", {}, True, "if-exists-absent"),
    case("StringEqualsIfExists", "k", "alice", {"k": "bob"}, False, "if-exists-present"),
    case("StringNotEqualsIfExists", "k", "alice", {}, True, "not-if-exists-absent"),
    case("StringNotEqualsIfExists", "k", "alice", {"k": "alice"}, False, "not-if-exists-present"),
    case("stringequals", "k", "alice", {"k": "alice"}, True, "operator-case-insensitive"),
    case("StringEquals", "AWS:UserName", "alice", {"aws:username": "alice"}, True, "key-case-insensitive"),
    case("StringEquals", "aws:username", "alice", {"AWS:USERNAME": "alice"}, True, "context-key-case"),
    case("StringEquals", "aws:PrincipalTag/Team", "red", {"aws:principaltag/team": "red"}, True, "tag-key-case"),
]


@pytest.mark.parametrize(ROW_NAMES, STRING_CASES)
def test_string_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# Policy variables in condition values: substituted under 2012-10-17 only.
STRING_VARIABLE_CASES = [
    pytest.param("StringEquals", "${aws:username}", {"k": "alice"}, True, id="equals-variable"),
    pytest.param("StringEquals", "${AWS:USERNAME}", {"k": "alice"}, True, id="variable-key-case"),
    pytest.param("StringEquals", "${aws:username}", {"k": "bob"}, False, id="equals-variable-other"),
    pytest.param("StringLike", "home/${aws:username}/*", {"k": "home/alice/x"}, True, id="like-variable"),
    pytest.param("StringLike", "home/${aws:username}/*", {"k": "home/bob/x"}, False, id="like-variable-other"),
    pytest.param("StringEqualsIgnoreCase", "${aws:username}", {"k": "ALICE"}, True, id="ignore-case-variable"),
    pytest.param("StringNotEquals", "${aws:username}", {"k": "alice"}, False, id="not-equals-variable"),
    pytest.param("StringEquals", "${aws:PrincipalTag/team, 'ops'}", {"k": "ops"}, True, id="default"),
    pytest.param("StringEquals", "${aws:PrincipalTag/team}", {"k": ""}, False, id="unresolved-no-match"),
    pytest.param("StringNotEquals", "${aws:PrincipalTag/team}", {"k": "x"}, True, id="unresolved-negated"),
    pytest.param("StringEquals", "a${*}b", {"k": "a*b"}, True, id="escaped-star"),
    pytest.param("StringLike", "a${*}b", {"k": "axb"}, False, id="escaped-star-like"),
    pytest.param("StringLike", "a${?}b", {"k": "a?b"}, True, id="escaped-question"),
    pytest.param("StringEquals", "a${$}b", {"k": "a$b"}, True, id="escaped-dollar"),
]


@pytest.mark.parametrize(("operator", "values", "context", "expected"), STRING_VARIABLE_CASES)
def test_string_variable(operator: str, values: Any, context: dict[str, Any], expected: bool) -> None:
    assert evaluate(operator, "k", values, {"aws:username": "alice", **context}) is expected


STRING_LITERAL_CASES = [
    pytest.param("StringEquals", "${aws:username}", "alice", False, id="equals-no-substitution"),
    pytest.param("StringEquals", "${aws:username}", "${aws:username}", True, id="equals-literal"),
    pytest.param("StringLike", "home/${aws:username}/*", "home/alice/x", False, id="like-no-substitution"),
    pytest.param("StringLike", "home/${aws:username}/*", "home/${aws:username}/x", True, id="like-literal"),
    pytest.param("StringEquals", "a${*}b", "a${*}b", True, id="escape-literal"),
]


@pytest.mark.parametrize(("operator", "values", "request_value", "expected"), STRING_LITERAL_CASES)
def test_string_version_2008_literal(operator: str, values: str, request_value: str, expected: bool) -> None:
    context = {"aws:username": "alice", "k": request_value}
    assert evaluate(operator, "k", values, context, version=VERSION_2008) is expected


def test_string_no_version_literal() -> None:
    context = {"aws:username": "alice", "k": "alice"}
    assert evaluate("StringEquals", "k", "${aws:username}", context, version=None) is False


# --- Numeric -------------------------------------------------------------------

NUMERIC_CASES = [
    case("NumericEquals", "k", "5", {"k": "5"}, True, "equals"),
    case("NumericEquals", "k", "5", {"k": "5.0"}, True, "equals-as-number"),
    case("NumericEquals", "k", 5, {"k": "5"}, True, "equals-json-number"),
    case("NumericEquals", "k", "5", {"k": "6"}, False, "equals-other"),
    case("NumericEquals", "k", ["1", "5"], {"k": "5"}, True, "equals-values-ored"),
    case("NumericNotEquals", "k", "5", {"k": "5"}, False, "not-equals-same"),
    case("NumericNotEquals", "k", "5", {"k": "6"}, True, "not-equals-other"),
    case("NumericNotEquals", "k", ["1", "2"], {"k": "3"}, True, "not-equals-nor"),
    case("NumericLessThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "60"}, True, "less"),
    case("NumericLessThan", "k", "60", {"k": "60"}, False, "less-boundary"),
    case("NumericLessThanEquals", "k", "60", {"k": "60"}, True, "less-equals-boundary"),
    case("NumericLessThanEquals", "k", "60", {"k": "61"}, False, "less-equals-above"),
    case("NumericGreaterThan", "k", "60", {"k": "61"}, True, "greater"),
    case("NumericGreaterThan", "k", "60", {"k": "60"}, False, "greater-boundary"),
    case("NumericGreaterThanEquals", "k", "60", {"k": "60"}, True, "greater-equals-boundary"),
    case("NumericGreaterThanEquals", "k", "60", {"k": "59"}, False, "greater-equals-below"),
    case("NumericLessThan", "k", "-1", {"k": "-2.5"}, True, "negative-decimal"),
    case("NumericEquals", "k", "five", {"k": "5"}, False, "policy-not-a-number"),
    case("NumericEquals", "k", "5", {"k": "five"}, False, "request-not-a-number"),
    case("NumericEquals", "k", "5", {}, False, "absent-positive"),
    case("NumericNotEquals", "k", "5", {}, True, "absent-negated"),
    case("NumericLessThanIfExists", "k", "5", {}, True, "if-exists-absent"),
    case("NumericLessThanIfExists", "k", "5", {"k": "9"}, False, "if-exists-present"),
]


@pytest.mark.parametrize(ROW_NAMES, NUMERIC_CASES)
def test_numeric_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- Date ------------------------------------------------------------------------

NEW_YEAR = "2020-01-01T00:00:00Z"
NEW_YEAR_EPOCH = "1577836800"

DATE_CASES = [
    case("DateEquals", "aws:CurrentTime", NEW_YEAR, {"aws:CurrentTime": NEW_YEAR}, True, "iso-equals"),
    case("DateEquals", "aws:CurrentTime", NEW_YEAR_EPOCH, {"aws:CurrentTime": NEW_YEAR_EPOCH}, True, "epoch-equals"),
    case("DateEquals", "aws:CurrentTime", NEW_YEAR, {"aws:CurrentTime": NEW_YEAR_EPOCH}, True, "iso-equals-epoch"),
    case("DateEquals", "aws:CurrentTime", NEW_YEAR_EPOCH, {"aws:CurrentTime": NEW_YEAR}, True, "epoch-equals-iso"),
    case("DateEquals", "k", "2020-01-01T01:00:00+01:00", {"k": NEW_YEAR}, True, "iso-offset"),
    case("DateEquals", "k", "2020-01-01T00:00:00.000Z", {"k": NEW_YEAR}, True, "iso-fraction"),
    case("DateEquals", "k", "2020-01-01", {"k": NEW_YEAR}, True, "iso-date-only"),
    case("DateEquals", "k", NEW_YEAR, {"k": "2020-01-01T00:00:01Z"}, False, "equals-other"),
    case("DateNotEquals", "k", NEW_YEAR, {"k": NEW_YEAR}, False, "not-equals-same"),
    case("DateNotEquals", "k", NEW_YEAR, {"k": "2021-01-01T00:00:00Z"}, True, "not-equals-other"),
    case("DateLessThan", "aws:CurrentTime", "2021-01-01T00:00:00Z", {"aws:CurrentTime": NEW_YEAR}, True, "less"),
    case("DateLessThan", "k", NEW_YEAR, {"k": NEW_YEAR}, False, "less-boundary"),
    case("DateLessThanEquals", "k", NEW_YEAR, {"k": NEW_YEAR_EPOCH}, True, "less-equals-boundary"),
    case("DateGreaterThan", "k", NEW_YEAR_EPOCH, {"k": "2020-01-01T00:00:01Z"}, True, "greater"),
    case("DateGreaterThanEquals", "k", NEW_YEAR, {"k": "2019-12-31T23:59:59Z"}, False, "greater-equals-below"),
    case("DateLessThan", "k", ["2019-01-01T00:00:00Z", "2021-01-01T00:00:00Z"], {"k": NEW_YEAR}, True, "values-ored"),
    case("DateEquals", "k", "yesterday", {"k": NEW_YEAR}, False, "policy-not-a-date"),
    case("DateEquals", "k", NEW_YEAR, {"k": "yesterday"}, False, "request-not-a-date"),
    case("DateEquals", "k", NEW_YEAR, {}, False, "absent-positive"),
    case("DateNotEquals", "k", NEW_YEAR, {}, True, "absent-negated"),
    case("DateLessThanIfExists", "k", NEW_YEAR, {}, True, "if-exists-absent"),
    case("DateLessThanIfExists", "k", NEW_YEAR, {"k": "2021-01-01T00:00:00Z"}, False, "if-exists-present"),
]


@pytest.mark.parametrize(ROW_NAMES, DATE_CASES)
def test_date_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- Bool --------------------------------------------------------------------------

MFA = "aws:MultiFactorAuthPresent"

BOOL_CASES = [
    case("Bool", MFA, "true", {MFA: "true"}, True, "true"),
    case("Bool", MFA, "TRUE", {MFA: "true"}, True, "policy-upper-case"),
    case("Bool", MFA, "True", {MFA: "TRUE"}, True, "request-upper-case"),
    case("Bool", MFA, True, {MFA: "true"}, True, "json-boolean"),
    case("Bool", MFA, "false", {MFA: "false"}, True, "false"),
    case("Bool", MFA, "false", {MFA: "true"}, False, "mismatch"),
    case("Bool", MFA, "yes", {MFA: "yes"}, False, "invalid-value"),
    case("Bool", MFA, "1", {MFA: "true"}, False, "number-not-bool"),
    case("Bool", MFA, ["false", "true"], {MFA: "true"}, True, "values-ored"),
    case("Bool", MFA, "false", {}, False, "absent"),
    case("BoolIfExists", MFA, "false", {}, True, "if-exists-absent"),
    case("BoolIfExists", MFA, "false", {MFA: "true"}, False, "if-exists-present"),
    case("Bool", "AWS:MULTIFACTORAUTHPRESENT", "true", {MFA: "true"}, True, "key-case-insensitive"),
]


@pytest.mark.parametrize(ROW_NAMES, BOOL_CASES)
def test_bool_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- Binary ----------------------------------------------------------------------

BINARY = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="  # base64 of "BinaryValueInBase64"

BINARY_CASES = [
    case("BinaryEquals", "k", BINARY, {"k": BINARY}, True, "equals"),
    case("BinaryEquals", "k", BINARY, {"k": "b3RoZXI="}, False, "other-bytes"),
    case("BinaryEquals", "k", ["b3RoZXI=", BINARY], {"k": BINARY}, True, "values-ored"),
    case("BinaryEquals", "k", "not base64!", {"k": "not base64!"}, False, "policy-not-base64"),
    case("BinaryEquals", "k", BINARY, {"k": "not base64!"}, False, "request-not-base64"),
    case("BinaryEquals", "k", BINARY, {}, False, "absent"),
    case("BinaryEqualsIfExists", "k", BINARY, {}, True, "if-exists-absent"),
]


@pytest.mark.parametrize(ROW_NAMES, BINARY_CASES)
def test_binary_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- IpAddress ---------------------------------------------------------------------

IP = "aws:SourceIp"

IP_CASES = [
    case("IpAddress", IP, "203.0.113.0/24", {IP: "203.0.113.7"}, True, "v4-in-cidr"),
    case("IpAddress", IP, "203.0.113.0/24", {IP: "203.0.114.7"}, False, "v4-outside-cidr"),
    case("IpAddress", IP, "203.0.113.7", {IP: "203.0.113.7"}, True, "v4-single-address"),
    case("IpAddress", IP, "203.0.113.7", {IP: "203.0.113.8"}, False, "v4-single-other"),
    case("IpAddress", IP, "2001:DB8:1234:5678::/64", {IP: "2001:db8:1234:5678::1"}, True, "v6-in-cidr"),
    case("IpAddress", IP, "2001:DB8:1234:5678::/64", {IP: "2001:db8:1234:5679::1"}, False, "v6-outside-cidr"),
    case("IpAddress", IP, "2001:db8::1", {IP: "2001:DB8:0:0:0:0:0:1"}, True, "v6-notation"),
    case("IpAddress", IP, "2001:DB8:1234:5678::/64", {IP: "203.0.113.7"}, False, "v4-against-v6"),
    case("IpAddress", IP, ["198.51.100.0/24", "203.0.113.0/24"], {IP: "203.0.113.7"}, True, "values-ored"),
    case("IpAddress", IP, "not-an-ip", {IP: "203.0.113.7"}, False, "policy-not-an-ip"),
    case("IpAddress", IP, "203.0.113.0/24", {IP: "not-an-ip"}, False, "request-not-an-ip"),
    case("NotIpAddress", IP, "203.0.113.0/24", {IP: "203.0.113.7"}, False, "not-in-cidr"),
    case("NotIpAddress", IP, "203.0.113.0/24", {IP: "198.51.100.1"}, True, "not-outside-cidr"),
    case("NotIpAddress", IP, ["198.51.100.0/24", "203.0.113.0/24"], {IP: "203.0.113.7"}, False, "not-nor"),
    case("IpAddress", IP, "203.0.113.0/24", {}, False, "absent-positive"),
    case("NotIpAddress", IP, "203.0.113.0/24", {}, True, "absent-negated"),
    case("IpAddressIfExists", IP, "203.0.113.0/24", {}, True, "if-exists-absent"),
    case("NotIpAddressIfExists", IP, "203.0.113.0/24", {IP: "203.0.113.7"}, False, "not-if-exists-present"),
]


@pytest.mark.parametrize(ROW_NAMES, IP_CASES)
def test_ip_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- Arn ------------------------------------------------------------------------------

SOURCE = "aws:SourceArn"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"

ARN_CASES = [
    case("ArnEquals", SOURCE, TOPIC, {SOURCE: TOPIC}, True, "equals"),
    case("ArnEquals", SOURCE, "arn:aws:sns:*:123456789012:alerts", {SOURCE: TOPIC}, True, "equals-wildcard"),
    case("ArnLike", SOURCE, "arn:aws:sns:*:123456789012:alerts", {SOURCE: TOPIC}, True, "like-wildcard"),
    case("ArnEquals", SOURCE, "arn:aws:sns:us-east-?:*:*", {SOURCE: TOPIC}, True, "equals-question"),
    case("ArnLike", SOURCE, "arn:aws:sns:us-east-?:*:*", {SOURCE: TOPIC}, True, "like-question"),
    case("ArnEquals", SOURCE, "arn:aws:sns:us-east-1:123456789012:Alerts", {SOURCE: TOPIC}, False, "equals-case"),
    case("ArnLike", SOURCE, "arn:aws:sns:us-east-1:123456789012:Alerts", {SOURCE: TOPIC}, False, "like-case"),
    case("ArnLike", SOURCE, "arn:aws:*:alerts", {SOURCE: TOPIC}, False, "star-spans-no-colon"),
    case("ArnEquals", SOURCE, "arn:aws:*:alerts", {SOURCE: TOPIC}, False, "equals-star-spans-no-colon"),
    case("ArnLike", SOURCE, "arn:aws:s3:::bucket/*", {SOURCE: "arn:aws:s3:::bucket/a:b/c"}, True, "resource-colon"),
    case("ArnLike", SOURCE, "*", {SOURCE: TOPIC}, True, "star"),
    case("ArnLike", SOURCE, ["arn:aws:sns:*:*:other", TOPIC], {SOURCE: TOPIC}, True, "values-ored"),
    case("ArnLike", SOURCE, "arn:aws:sns:*:*:*", {SOURCE: "not-an-arn"}, False, "request-not-an-arn"),
    case("ArnLike", SOURCE, "arn:aws:sns:*", {SOURCE: TOPIC}, False, "pattern-three-segments"),
    case("ArnNotEquals", SOURCE, TOPIC, {SOURCE: TOPIC}, False, "not-equals-same"),
    case("ArnNotEquals", SOURCE, "arn:aws:sns:*:*:other", {SOURCE: TOPIC}, True, "not-equals-other"),
    case("ArnNotLike", SOURCE, "arn:aws:sns:*:*:*", {SOURCE: TOPIC}, False, "not-like-hit"),
    case("ArnNotLike", SOURCE, ["arn:aws:sns:*:*:x", "arn:aws:sns:*:*:*"], {SOURCE: TOPIC}, False, "not-like-nor"),
    case("ArnEquals", SOURCE, TOPIC, {}, False, "absent-equals"),
    case("ArnLike", SOURCE, TOPIC, {}, False, "absent-like"),
    case("ArnNotEquals", SOURCE, TOPIC, {}, True, "absent-not-equals"),
    case("ArnNotLike", SOURCE, TOPIC, {}, True, "absent-not-like"),
    case("ArnLikeIfExists", SOURCE, TOPIC, {}, True, "if-exists-absent"),
    case("ArnLike", SOURCE, "arn:aws:iam::*:user/${aws:username}", {SOURCE: "arn:aws:iam::1:user/alice",
         "aws:username": "alice"}, True, "variable"),
]


@pytest.mark.parametrize(ROW_NAMES, ARN_CASES)
def test_arn_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- Null -------------------------------------------------------------------------------

NULL_CASES = [
    case("Null", MFA, "true", {}, True, "true-absent"),
    case("Null", MFA, "true", {MFA: "false"}, False, "true-present"),
    case("Null", MFA, "false", {MFA: "false"}, True, "false-present"),
    case("Null", MFA, "false", {}, False, "false-absent"),
    case("Null", MFA, True, {}, True, "json-boolean"),
    case("Null", "AWS:multifactorauthpresent", "false", {MFA: "true"}, True, "key-case-insensitive"),
    case("NullIfExists", MFA, "true", {}, False, "if-exists-invalid"),
    case("ForAnyValue:Null", MFA, "true", {}, False, "qualifier-invalid"),
]


@pytest.mark.parametrize(ROW_NAMES, NULL_CASES)
def test_null_operator(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- set qualifiers on multivalued keys ---------------------------------------------------

TAGS = "aws:TagKeys"

QUALIFIER_CASES = [
    case("ForAllValues:StringEquals", TAGS, ["team", "cost"], {TAGS: ("team",)}, True, "all-subset"),
    case("ForAllValues:StringEquals", TAGS, ["team", "cost"], {TAGS: ("team", "cost")}, True, "all-same"),
    case("ForAllValues:StringEquals", TAGS, ["team"], {TAGS: ("team", "owner")}, False, "all-extra-value"),
    case("ForAllValues:StringEquals", TAGS, ["team"], {TAGS: ()}, True, "all-empty"),
    case("ForAllValues:StringEquals", TAGS, ["team"], {}, True, "all-absent"),
    case("ForAllValues:StringLike", TAGS, ["t*"], {TAGS: ("team", "tier")}, True, "all-like"),
    case("ForAllValues:StringNotEquals", TAGS, ["secret"], {TAGS: ("team", "cost")}, True, "all-not-equals"),
    case("ForAllValues:StringNotEquals", TAGS, ["secret"], {TAGS: ("team", "secret")}, False, "all-not-equals-hit"),
    case("ForAnyValue:StringEquals", TAGS, ["team", "cost"], {TAGS: ("owner", "team")}, True, "any-overlap"),
    case("ForAnyValue:StringEquals", TAGS, ["team"], {TAGS: ("owner",)}, False, "any-disjoint"),
    case("ForAnyValue:StringEquals", TAGS, ["team"], {TAGS: ()}, False, "any-empty"),
    case("ForAnyValue:StringEquals", TAGS, ["team"], {}, False, "any-absent"),
    case("ForAnyValue:StringNotEquals", TAGS, ["team"], {}, False, "any-not-equals-absent"),
    case("ForAnyValue:StringNotEquals", TAGS, ["team"], {TAGS: ("team", "cost")}, True, "any-not-equals"),
    case("ForAnyValue:StringNotEquals", TAGS, ["team"], {TAGS: ("team",)}, False, "any-not-equals-all-hit"),
    case("forallvalues:stringequals", TAGS, ["team"], {TAGS: ("team",)}, True, "qualifier-case"),
    case("ForSomeValues:StringEquals", TAGS, ["team"], {TAGS: ("team",)}, False, "qualifier-unknown"),
]


@pytest.mark.parametrize(ROW_NAMES, QUALIFIER_CASES)
def test_set_qualifier(operator: str, key: str, values: Any, context: dict[str, Any], expected: bool | None) -> None:
    check(operator, key, values, context, expected)


# --- invalid operators ------------------------------------------------------------------

@pytest.mark.parametrize("operator", ["StringEqualz", "Bool:Bool", "NotStringEquals", "IfExists"])
def test_invalid_operator_false(operator: str) -> None:
    assert evaluate(operator, "k", "x", {"k": "x"}) is False


# --- unknown keys in a scenario context --------------------------------------------------

# One operator of each family and form, tested against a key the context leaves unknown.
UNKNOWN_KEY_OPERATORS = [
    ("StringEquals", "x"),
    ("StringNotEquals", "x"),
    ("StringEqualsIfExists", "x"),
    ("StringLike", "*"),
    ("NumericLessThan", "5"),
    ("NumericNotEquals", "5"),
    ("DateLessThan", NEW_YEAR),
    ("Bool", "false"),
    ("BoolIfExists", "false"),
    ("BinaryEquals", BINARY),
    ("IpAddress", "203.0.113.0/24"),
    ("NotIpAddress", "203.0.113.0/24"),
    ("ArnLike", "*"),
    ("ArnNotEquals", TOPIC),
    ("Null", "true"),
    ("Null", "false"),
    ("ForAllValues:StringEquals", "x"),
    ("ForAnyValue:StringEquals", "x"),
]


@pytest.mark.parametrize(
    ("operator", "values"),
    UNKNOWN_KEY_OPERATORS,
    ids=[f"{operator}-{values}" for operator, values in UNKNOWN_KEY_OPERATORS],
)
def test_unknown_key_is_none(operator: str, values: str) -> None:
    context = RequestContext(values={"other": "x"}, complete=False)
    assert evaluate(operator, "k", values, context) is None


def test_listed_absent_key_known() -> None:
    context = RequestContext(values={}, absent=frozenset({"K"}), complete=False)
    assert evaluate("StringEquals", "k", "x", context) is False


def test_present_key_in_scenario_known() -> None:
    context = RequestContext(values={"K": "x"}, complete=False)
    assert evaluate("StringEquals", "k", "x", context) is True


# --- several keys and operators ------------------------------------------------------------

def conditions_of(block: dict[str, Any]):
    """Return every key test of a Condition block, built by the real loader."""
    built = policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": block})
    return built.statements[0].conditions


TWO_KEYS = {"StringEquals": {"aws:username": "alice", "aws:PrincipalType": "User"}}
TWO_OPERATORS = {"Bool": {MFA: "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}

COMBINATION_CASES = [
    pytest.param(TWO_KEYS, {"aws:username": "alice", "aws:PrincipalType": "User"}, True, id="keys-both-match"),
    pytest.param(TWO_KEYS, {"aws:username": "alice", "aws:PrincipalType": "Role"}, False, id="keys-one-fails"),
    pytest.param(TWO_OPERATORS, {MFA: "true", "aws:MultiFactorAuthAge": "60"}, True, id="operators-both"),
    pytest.param(TWO_OPERATORS, {MFA: "true", "aws:MultiFactorAuthAge": "7200"}, False, id="operators-age-fails"),
    pytest.param(TWO_OPERATORS, {MFA: "true"}, False, id="operators-age-absent"),
    pytest.param({}, {}, True, id="no-conditions"),
]


@pytest.mark.parametrize(("block", "context", "expected"), COMBINATION_CASES)
def test_conditions_anded(block: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert evaluate_conditions(conditions_of(block), RequestContext(values=context)) is expected


def test_conditions_unknown_and_true() -> None:
    context = RequestContext(values={MFA: "true"}, complete=False)
    assert evaluate_conditions(conditions_of(TWO_OPERATORS), context) is None


def test_conditions_unknown_and_false() -> None:
    context = RequestContext(values={MFA: "false"}, complete=False)
    assert evaluate_conditions(conditions_of(TWO_OPERATORS), context) is False


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], True),
        ([True, True], True),
        ([True, None], None),
        ([None, False], False),
        ([False, None], False),
        ([None, None], None),
    ],
    ids=["empty", "all-true", "true-unknown", "unknown-false", "false-unknown", "all-unknown"],
)
def test_tri_and(values: list[bool | None], expected: bool | None) -> None:
    assert tri_and(values) is expected


def test_condition_keeps_key_spelling() -> None:
    built, _variables = condition("Bool", "AWS:MultiFactorAuthPresent", "true")
    assert built.key_lower == "aws:multifactorauthpresent"
