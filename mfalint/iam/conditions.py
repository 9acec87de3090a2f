"""Evaluation of condition operators, in three-valued logic.

A result is True, False or None ("unknown": the scenario does not define the
key). Facts implemented here (AWS IAM User Guide, "Condition operators" and
"Multiple context keys or values"):

- Operators are ANDed, keys within an operator are ANDed, and the values of
  one key are ORed. A negated operator (``StringNotEquals``, ``ArnNotLike``,
  ``NumericNotEquals``, ``DateNotEquals``, ``NotIpAddress``) is true when the
  request value matches none of the values.
- When the key is absent, a positive operator is false and a negated one is
  true. ``...IfExists`` is true for an absent key. ``Null`` tests presence:
  ``"true"`` means absent, ``"false"`` means present.
- ``ForAnyValue:`` is false and ``ForAllValues:`` is true for an absent key.
- ``Bool`` values are ``true``/``false`` in any case; ``ArnEquals`` and
  ``ArnLike`` behave the same and both accept wildcards.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
from datetime import datetime, timezone
from typing import Callable, Optional

from mfalint.iam.patterns import compile_arn_pattern, glob_regex, substitute, tokenize
from mfalint.iam.scenarios import KeyState, RequestContext
from mfalint.model import Condition

__all__ = ["Tri", "evaluate_condition", "evaluate_conditions", "tri_and"]

Tri = Optional[bool]


def tri_and(values: list[Tri]) -> Tri:
    """Kleene AND: False wins, then unknown, then True."""
    result: Tri = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _date(text: str) -> datetime | None:
    number = _number(text)
    if number is not None:
        try:
            return datetime.fromtimestamp(number, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    candidate = text.strip()
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _compare(base: str, left: float | datetime, right: float | datetime) -> bool:
    """Compare as the positive form of ``base``; evaluate_condition applies the negation."""
    if base.endswith("NotEquals"):
        return left == right
    if base.endswith("Equals") and "Than" not in base:
        return left == right
    if base.endswith("LessThan"):
        return left < right  # type: ignore[operator]
    if base.endswith("LessThanEquals"):
        return left <= right  # type: ignore[operator]
    if base.endswith("GreaterThan"):
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _value_matcher(condition: Condition, pattern: str, context: RequestContext, variables: bool) -> Callable[[str], bool]:
    """Return a test of one request value against one policy value, ignoring negation."""
    operator = condition.operator
    base = operator.base or ""
    family = operator.family

    if family in ("String", "Arn"):
        tokens = substitute(tokenize(pattern, variables), context.variable)
        if tokens is None:
            return lambda _value: False
        if family == "Arn":
            arn = compile_arn_pattern(tokens)
            return arn.matches
        text = "".join(token.text for token in tokens)
        if "Like" in base:
            regex = glob_regex(tokens)
            return lambda value: regex.fullmatch(value) is not None
        if "IgnoreCase" in base:
            folded = text.casefold()
            return lambda value: value.casefold() == folded
        return lambda value: value == text

    if family == "Numeric":
        expected = _number(pattern)
        if expected is None:
            return lambda _value: False

        def numeric(value: str) -> bool:
            actual = _number(value)
            return actual is not None and _compare(base, actual, expected)

        return numeric

    if family == "Date":
        expected_date = _date(pattern)
        if expected_date is None:
            return lambda _value: False

        def date(value: str) -> bool:
            actual = _date(value)
            return actual is not None and _compare(base, actual, expected_date)

        return date

    if family == "Bool":
        lowered = pattern.lower()
        if lowered not in ("true", "false"):
            return lambda _value: False
        return lambda value: value.lower() == lowered

    if family == "IpAddress":
        try:
            network = ipaddress.ip_network(pattern.strip(), strict=False)
        except ValueError:
            return lambda _value: False

        def address(value: str) -> bool:
            try:
                return ipaddress.ip_address(value.strip()) in network
            except ValueError:
                return False

        return address

    if family == "Binary":
        try:
            expected_bytes = base64.b64decode(pattern, validate=True)
        except (binascii.Error, ValueError):
            return lambda _value: False

        def binary(value: str) -> bool:
            try:
                return base64.b64decode(value, validate=True) == expected_bytes
            except (binascii.Error, ValueError):
                return False

        return binary

    return lambda _value: False


def evaluate_condition(condition: Condition, context: RequestContext, variables: bool = True) -> Tri:
    """Evaluate one key test of a Condition block against a request context.

    ``variables`` is whether policy variables are substituted in values
    (Version 2012-10-17).
    """
    operator = condition.operator
    if not operator.valid:
        # IAM rejects the policy; an operator it does not know never matches.
        return False

    state, raw_value = context.lookup(condition.key)
    if state is KeyState.UNKNOWN:
        return None

    if operator.base == "Null":
        present = state is KeyState.PRESENT
        wanted = [value.text.lower() for value in condition.values]
        return any((text == "true" and not present) or (text == "false" and present) for text in wanted)

    if state is KeyState.ABSENT:
        if operator.if_exists:
            return True
        if operator.qualifier == "ForAllValues":
            return True
        if operator.qualifier == "ForAnyValue":
            return False
        return operator.negated

    assert raw_value is not None
    request_values = [raw_value] if isinstance(raw_value, str) else list(raw_value)
    if not request_values:
        return operator.qualifier == "ForAllValues" or (operator.qualifier is None and operator.negated)

    matchers = [_value_matcher(condition, value.text, context, variables) for value in condition.values]

    def matches_any(request_value: str) -> bool:
        return any(matcher(request_value) for matcher in matchers)

    if operator.qualifier == "ForAllValues":
        if operator.negated:
            return all(not matches_any(value) for value in request_values)
        return all(matches_any(value) for value in request_values)
    if operator.qualifier == "ForAnyValue":
        if operator.negated:
            return any(not matches_any(value) for value in request_values)
        return any(matches_any(value) for value in request_values)
    # NOTE: a multivalued key tested without a set qualifier is treated as a
    # set here (any value matches); AWS documents such a test as unreliable.
    if operator.negated:
        return not any(matches_any(value) for value in request_values)
    return any(matches_any(value) for value in request_values)


def evaluate_conditions(conditions: list[Condition], context: RequestContext, variables: bool = True) -> Tri:
    """AND all key tests of a statement's Condition block."""
    return tri_and([evaluate_condition(condition, context, variables) for condition in conditions])
