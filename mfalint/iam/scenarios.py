"""Request contexts and the named scenarios that rules evaluate policies in.

Which MFA keys a request carries depends on how it was signed (AWS IAM User
Guide, "AWS global condition context keys" and "Compare AWS STS
credentials"):

- console sign-in without MFA: ``aws:MultiFactorAuthPresent`` is ``false``,
  ``aws:MultiFactorAuthAge`` is absent;
- long-term access keys: both keys are absent;
- console sign-in or ``GetSessionToken`` with MFA: ``true``, and the age is present;
- ``GetSessionToken`` without MFA: ``false``, and no age;
- role sessions: whether MFA was used depends on how the role was assumed,
  so both keys are unknown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from mfalint.iam.global_keys import global_key

__all__ = [
    "KeyState",
    "RequestContext",
    "Principal",
    "Scenario",
    "SCENARIOS",
    "scenario",
    "NO_MFA_SCENARIOS",
]

ContextValue = Union[str, tuple[str, ...]]


class KeyState(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RequestContext:
    """The condition keys of one request.

    With ``complete`` set, every key missing from ``values`` is absent. In a
    scenario (``complete`` false), keys listed in ``absent`` and ``aws:`` keys
    that AWS does not define are absent, and any other missing key is unknown,
    so conditions on it evaluate to "unknown".
    """

    values: Mapping[str, ContextValue] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    complete: bool = True
    # Resource patterns with their variables substituted from this context,
    # keyed on the pattern's text. The evaluator fills it.
    patterns: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lowered = {key.lower(): value for key, value in self.values.items()}
        object.__setattr__(self, "values", lowered)
        object.__setattr__(self, "absent", frozenset(key.lower() for key in self.absent))

    def lookup(self, key: str) -> tuple[KeyState, ContextValue | None]:
        lowered = key.lower()
        if lowered in self.values:
            return KeyState.PRESENT, self.values[lowered]
        if self.complete or lowered in self.absent:
            return KeyState.ABSENT, None
        if lowered.startswith("aws:") and global_key(lowered) is None:
            # No request carries an aws: key that AWS does not define.
            return KeyState.ABSENT, None
        return KeyState.UNKNOWN, None

    def variable(self, key: str) -> str | None:
        """Return a single-valued key's value for policy variable substitution."""
        state, value = self.lookup(key)
        if state is KeyState.PRESENT and isinstance(value, str):
            return value
        return None


@dataclass(frozen=True)
class Principal:
    """The IAM user whose requests a scenario describes."""

    account: str = "123456789012"
    user_name: str = "alice"
    user_id: str = "AIDAEXAMPLEUSERID0001"
    partition: str = "aws"
    path: str = "/"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:user{self.path}{self.user_name}"

    def context_values(self) -> dict[str, str]:
        return {
            "aws:username": self.user_name,
            "aws:userid": self.user_id,
            "aws:PrincipalArn": self.arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": "User",
        }


DEFAULT_PRINCIPAL = Principal()


@dataclass(frozen=True)
class Scenario:
    """A named way of making requests, such as a console sign-in without MFA."""

    name: str
    description: str
    mfa_present: str | None  # "true", "false", None (absent) or "unknown"
    mfa_age: str | None = None

    def context(self, principal: Principal = DEFAULT_PRINCIPAL) -> RequestContext:
        values: dict[str, ContextValue] = dict(principal.context_values())
        absent = set()
        if self.mfa_present == "unknown":
            # A role session: the MFA keys depend on how the role was assumed,
            # and the IAM user name does not exist.
            values.pop("aws:username")
            # The role's ARN and the session's user ID are not the IAM user's: unknown.
            values.pop("aws:PrincipalArn")
            values.pop("aws:userid")
            values["aws:PrincipalType"] = "AssumedRole"
            absent.add("aws:username")
        elif self.mfa_present is None:
            absent.update({"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge"})
        else:
            values["aws:MultiFactorAuthPresent"] = self.mfa_present
            if self.mfa_age is None:
                absent.add("aws:MultiFactorAuthAge")
            else:
                values["aws:MultiFactorAuthAge"] = self.mfa_age
        return RequestContext(values=values, absent=frozenset(absent), complete=False)


SCENARIOS: dict[str, Scenario] = {
    item.name: item
    for item in (
        Scenario("console-no-mfa", "console sign-in without MFA", "false"),
        Scenario("access-keys", "requests signed with long-term access keys", None),
        Scenario("console-mfa", "console sign-in with MFA", "true", "60"),
        Scenario("session-token-mfa", "session from sts:GetSessionToken with MFA", "true", "60"),
        Scenario("session-token-no-mfa", "session from sts:GetSessionToken without MFA", "false"),
        Scenario("role-session", "role session (MFA unknown)", "unknown"),
    )
}

NO_MFA_SCENARIOS = ("console-no-mfa", "access-keys", "session-token-no-mfa")


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}") from None
