"""Wildcard matching of actions and ARNs, and policy variable substitution.

Facts implemented here (AWS IAM User Guide, "IAM JSON policy elements"):

- Action names match case-insensitively; ``*`` matches any run of characters
  and ``?`` one character.
- ARNs match case-sensitively, segment by segment: the first five
  colon-separated segments are compared separately, and the sixth is the rest
  of the ARN, which may contain ``:`` and ``/``. A wildcard never spans one of
  the first five colons. ``"*"`` alone matches every resource.
- Under Version 2012-10-17, ``${key}`` is replaced by the request's value of
  ``key`` (key names are case-insensitive), ``${key, 'default'}`` supplies a
  default, and ``${*}``, ``${?}`` and ``${$}`` stand for the literal
  characters. A variable with no value and no default makes that pattern
  match nothing. Under any other version the text is taken literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional, Union

__all__ = [
    "Literal",
    "Wildcard",
    "Variable",
    "tokenize",
    "substitute",
    "action_regex",
    "ActionMatcher",
    "action_matcher",
    "glob_regex",
    "ArnPattern",
    "compile_arn_pattern",
    "split_arn",
    "has_variables",
]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Wildcard:
    text: str  # "*" or "?"


@dataclass(frozen=True)
class Variable:
    key: str  # as written, e.g. "aws:username"
    default: str | None


Token = Union[Literal, Wildcard, Variable]
Resolver = Callable[[str], Optional[str]]


def has_variables(text: str) -> bool:
    return "${" in text


@lru_cache(maxsize=4096)
def tokenize(text: str, variables: bool) -> tuple[Token, ...]:
    """Split a pattern into literal text, wildcards and (when enabled) variables."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _VARIABLE.search(text, position) if variables else None
        end = match.start() if match else len(text)
        for char in text[position:end]:
            tokens.append(Wildcard(char) if char in "*?" else Literal(char))
        if not match:
            break
        body = match.group(1)
        if body in _ESCAPES:
            tokens.append(Literal(_ESCAPES[body]))
        else:
            key, comma, default = body.partition(",")
            default_value = None
            if comma:
                stripped = default.strip()
                if len(stripped) >= 2 and stripped[0] == stripped[-1] == "'":
                    default_value = stripped[1:-1]
                else:
                    default_value = stripped
            tokens.append(Variable(key.strip(), default_value))
        position = match.end()
    return tuple(tokens)


def substitute(tokens: tuple[Token, ...], resolve: Resolver) -> tuple[Literal | Wildcard, ...] | None:
    """Replace variables by their values; return None when one has no value."""
    result: list[Literal | Wildcard] = []
    for token in tokens:
        if isinstance(token, Variable):
            value = resolve(token.key)
            if value is None:
                value = token.default
            if value is None:
                return None
            result.extend(Literal(char) for char in value)
        else:
            result.append(token)
    return tuple(result)


def _tokens_to_regex(tokens: tuple[Literal | Wildcard, ...], star: str = ".*") -> str:
    parts = []
    for token in tokens:
        if isinstance(token, Wildcard):
            parts.append(star if token.text == "*" else ".")
        else:
            parts.append(re.escape(token.text))
    return "".join(parts)


@lru_cache(maxsize=8192)
def action_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile an action pattern (``iam:Get*``); None when it is not ``service:name`` or ``*``."""
    if pattern == "*":
        return re.compile(r".*", re.DOTALL)
    service, colon, name = pattern.partition(":")
    if not colon or not service or not name:
        return None
    tokens = tokenize(pattern, variables=False)
    return re.compile(_tokens_to_regex(tokens), re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ActionMatcher:
    """A list of action patterns (a statement's Action or NotAction), compiled together.

    Plain ASCII names are compared in lower case through a set. Wildcard
    patterns and any other text go into one regular expression.
    """

    names: frozenset[str]
    regex: re.Pattern[str] | None

    def matches(self, action: str) -> bool:
        if action.isascii() and action.lower() in self.names:
            return True
        return self.regex is not None and self.regex.fullmatch(action) is not None


@lru_cache(maxsize=8192)
def action_matcher(patterns: tuple[str, ...]) -> ActionMatcher:
    """Compile action patterns into one matcher; malformed entries match nothing."""
    names = set()
    sources = []
    for text in patterns:
        regex = action_regex(text)
        if regex is None:
            continue
        if text.isascii() and "*" not in text and "?" not in text:
            names.add(text.lower())
        else:
            sources.append(f"(?:{regex.pattern})")
    combined = re.compile("|".join(sources), re.IGNORECASE | re.DOTALL) if sources else None
    return ActionMatcher(frozenset(names), combined)


def glob_regex(tokens: tuple[Literal | Wildcard, ...], ignore_case: bool = False) -> re.Pattern[str]:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_tokens_to_regex(tokens), flags)


def split_arn(arn: str) -> list[str] | None:
    """Split an ARN into its six segments, or return None when it has fewer."""
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 else None


@dataclass(frozen=True)
class ArnPattern:
    """A compiled ARN pattern: one regex per segment, or ``match_all``."""

    match_all: bool
    segments: tuple[re.Pattern[str], ...] | None

    def matches(self, arn: str) -> bool:
        if self.match_all:
            return True
        if self.segments is None or arn == "*":
            return False
        parts = split_arn(arn)
        if parts is None:
            return False
        return all(regex.fullmatch(part) is not None for regex, part in zip(self.segments, parts))


_NEVER = ArnPattern(False, None)
_ALWAYS = ArnPattern(True, None)


@lru_cache(maxsize=8192)
def compile_arn_pattern(tokens: tuple[Literal | Wildcard, ...] | None) -> ArnPattern:
    """Compile substituted ARN pattern tokens; None (an unresolved variable) never matches."""
    if tokens is None:
        return _NEVER
    if len(tokens) == 1 and tokens[0] == Wildcard("*"):
        return _ALWAYS
    segments: list[list[Literal | Wildcard]] = [[]]
    for token in tokens:
        if token == Literal(":") and len(segments) < 6:
            segments.append([])
        else:
            segments[-1].append(token)
    if len(segments) < 6:
        return _NEVER
    return ArnPattern(False, tuple(glob_regex(tuple(segment)) for segment in segments))
