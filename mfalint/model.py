"""The policy model: Policy, Statement and Condition.

Every element keeps the node it was read from, so a rule can report the exact
span and JSONPath. The model is lenient: it records what a document says, even
when IAM would reject it, and leaves the judgement to rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from mfalint.nodes import MappingNode, Node

if TYPE_CHECKING:
    from mfalint.document import Document

__all__ = [
    "PolicyKind",
    "Value",
    "Condition",
    "Statement",
    "Policy",
    "VERSION_2012",
    "VERSION_2008",
    "CONDITION_OPERATORS",
    "parse_operator",
]

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


class PolicyKind(enum.Enum):
    IDENTITY = "identity"
    TRUST = "trust"
    RESOURCE = "resource"
    SCP = "scp"
    BOUNDARY = "boundary"
    UNKNOWN = "unknown"


@dataclass(frozen=True, eq=False)
class Value:
    """A string element of a policy (an action, an ARN, a condition value)."""

    text: str
    node: Node


# Base operator name -> (family, negated). Names are matched case-insensitively
# by ``parse_operator``; these are the spellings AWS documents.
CONDITION_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("String", False),
    "StringNotEquals": ("String", True),
    "StringEqualsIgnoreCase": ("String", False),
    "StringNotEqualsIgnoreCase": ("String", True),
    "StringLike": ("String", False),
    "StringNotLike": ("String", True),
    "NumericEquals": ("Numeric", False),
    "NumericNotEquals": ("Numeric", True),
    "NumericLessThan": ("Numeric", False),
    "NumericLessThanEquals": ("Numeric", False),
    "NumericGreaterThan": ("Numeric", False),
    "NumericGreaterThanEquals": ("Numeric", False),
    "DateEquals": ("Date", False),
    "DateNotEquals": ("Date", True),
    "DateLessThan": ("Date", False),
    "DateLessThanEquals": ("Date", False),
    "DateGreaterThan": ("Date", False),
    "DateGreaterThanEquals": ("Date", False),
    "Bool": ("Bool", False),
    "BinaryEquals": ("Binary", False),
    "IpAddress": ("IpAddress", False),
    "NotIpAddress": ("IpAddress", True),
    "ArnEquals": ("Arn", False),
    "ArnLike": ("Arn", False),
    "ArnNotEquals": ("Arn", True),
    "ArnNotLike": ("Arn", True),
    "Null": ("Null", False),
}
_OPERATORS_LOWER = {name.lower(): name for name in CONDITION_OPERATORS}
QUALIFIERS = ("ForAllValues", "ForAnyValue")


@dataclass(frozen=True)
class ParsedOperator:
    """A condition operator split into its parts.

    ``base`` is None when the operator is not one IAM accepts.
    """

    text: str
    base: str | None
    family: str | None
    negated: bool
    if_exists: bool
    qualifier: str | None

    @property
    def valid(self) -> bool:
        if self.base is None:
            return False
        # Null takes neither IfExists nor a set qualifier.
        return not (self.base == "Null" and (self.if_exists or self.qualifier))


def parse_operator(text: str) -> ParsedOperator:
    """Split ``ForAnyValue:StringLikeIfExists`` into qualifier, base and IfExists."""
    qualifier = None
    rest = text
    if ":" in rest:
        prefix, rest = rest.split(":", 1)
        qualifier = next((q for q in QUALIFIERS if q.lower() == prefix.lower()), None)
        if qualifier is None:
            return ParsedOperator(text, None, None, False, False, None)
    if_exists = False
    base = _OPERATORS_LOWER.get(rest.lower())
    if base is None and rest.lower().endswith("ifexists"):
        base = _OPERATORS_LOWER.get(rest[: -len("IfExists")].lower())
        if_exists = base is not None
    if base is None:
        return ParsedOperator(text, None, None, False, False, qualifier)
    family, negated = CONDITION_OPERATORS[base]
    return ParsedOperator(text, base, family, negated, if_exists, qualifier)


@dataclass(eq=False)
class Condition:
    """One condition key test: ``{operator: {key: values}}``."""

    operator: ParsedOperator
    key: str
    values: list[Value]
    operator_node: Node
    key_node: Node
    values_node: Node

    @property
    def key_lower(self) -> str:
        return self.key.lower()


@dataclass(eq=False)
class Statement:
    """One statement of a policy, with the nodes of each element."""

    index: int
    node: MappingNode
    sid: str | None = None
    effect: str | None = None
    actions: list[Value] | None = None
    not_actions: list[Value] | None = None
    resources: list[Value] | None = None
    not_resources: list[Value] | None = None
    conditions: list[Condition] = field(default_factory=list)
    has_principal: bool = False

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    # The texts of each element, read once: the evaluator matches them for
    # every request it decides. None when the element is missing.

    @cached_property
    def action_texts(self) -> tuple[str, ...] | None:
        return _texts(self.actions)

    @cached_property
    def not_action_texts(self) -> tuple[str, ...] | None:
        return _texts(self.not_actions)

    @cached_property
    def resource_texts(self) -> tuple[str, ...] | None:
        return _texts(self.resources)

    @cached_property
    def not_resource_texts(self) -> tuple[str, ...] | None:
        return _texts(self.not_resources)

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def action_node(self) -> Node:
        """The Action or NotAction value, or the statement when neither is present."""
        for key in ("Action", "NotAction"):
            value = self.node.get(key)
            if value is not None:
                return value
        return self.node

    @property
    def resource_node(self) -> Node:
        for key in ("Resource", "NotResource"):
            value = self.node.get(key)
            if value is not None:
                return value
        return self.node

    @property
    def label(self) -> str:
        """A short name for messages: the Sid, or the statement's position."""
        if self.sid:
            return f"statement {self.sid!r}"
        return f"statement {self.index + 1}"


def _texts(values: list[Value] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(value.text for value in values)


@dataclass(eq=False)
class Policy:
    """A policy document and where it came from."""

    document: Document
    node: MappingNode
    statements: list[Statement]
    version: str | None
    version_node: Node | None
    kind: PolicyKind = PolicyKind.UNKNOWN
    # True when the document was a bare statement and was wrapped for analysis.
    wrapped: bool = False
    name: str | None = None

    @property
    def uses_variables(self) -> bool:
        """Return True when policy variables are substituted (Version 2012-10-17)."""
        return self.version == VERSION_2012
