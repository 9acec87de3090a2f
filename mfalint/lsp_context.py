"""Cursor context: the name under the cursor and the policy keys around it.

Hover and completion work on text that is often half typed and does not
parse, so this module reads the text around the cursor instead of the
loaders' node trees.

NOTE: the key chain is a heuristic, not a parser. JSON and HCL are read by
their brackets and YAML by its indentation. YAML flow collections that span
lines, and JSON kept in YAML block scalars, give a shorter chain, and the
completion then falls back to matching on the typed prefix alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Word", "word_at", "prefix_before", "NameParts", "split_name", "enclosing_keys"]

# Characters of action names, condition keys, operators and ARNs.
_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_:*?/.${}\-]+")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]*\Z", re.IGNORECASE)
_ACTION_NAME = re.compile(r"[A-Za-z0-9*?]*\Z")


@dataclass(frozen=True)
class Word:
    """A name on one line: ``start`` and ``end`` are 0-based code-point columns, end exclusive."""

    text: str
    start: int
    end: int


def word_at(line: str, column: int) -> Word | None:
    """Return the name that contains 0-based ``column`` of ``line`` (or ends just before it).

    A trailing colon is dropped, so the YAML key in ``aws:SourceIp: 10.0.0.0/8``
    is read as ``aws:SourceIp``.
    """
    for match in _NAME_CHARACTERS.finditer(line):
        if match.start() <= column <= match.end():
            text = match.group()
            end = match.end()
            if text.endswith(":") and len(text) > 1:
                text = text[:-1]
                end -= 1
            return Word(text, match.start(), end)
        if match.start() > column:
            break
    return None


def prefix_before(line: str, column: int) -> Word:
    """Return the part of a name that ends at 0-based ``column``: what the user has typed so far."""
    start = column
    while start > 0 and _NAME_CHARACTERS.fullmatch(line[start - 1]):
        start -= 1
    return Word(line[start:column], start, column)


@dataclass(frozen=True)
class NameParts:
    """A ``service:name`` string split at its first colon."""

    service: str
    name: str


def split_name(text: str) -> NameParts | None:
    """Split an action name or condition key such as ``iam:ChangePassword``, or return None for other text, such as ARNs."""
    service, colon, name = text.partition(":")
    if not colon or not _SERVICE.match(service):
        return None
    return NameParts(service, name)


def is_action_like(parts: NameParts) -> bool:
    return bool(_ACTION_NAME.match(parts.name))


# -------------------------------------------------------------------------
# Enclosing keys
# -------------------------------------------------------------------------

_BRACKET_TOKENS = re.compile(
    r"""
      "(?:[^"\\\n]|\\.)*"       # a complete double-quoted string
    | '(?:[^'\\\n]|\\.)*'       # a complete single-quoted string
    | \#[^\n]* | //[^\n]*       # line comments (HCL, JSON with comments)
    | /\*.*?\*/                 # block comments
    | [{}\[\]:=,\n]
    | [A-Za-z_][\w.-]*          # a bare word: an HCL key or block type
    | \S
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Frame:
    """One open object or array while reading brackets."""

    parent_key: str | None
    key: str | None = None
    in_value: bool = False
    # Words seen since the last separator, for HCL block headers such as ``condition {``.
    header: list[str] = field(default_factory=list)


def _bracket_keys(text: str) -> list[str]:
    frames = [_Frame(None)]
    for match in _BRACKET_TOKENS.finditer(text):
        token = match.group()
        frame = frames[-1]
        if token[0] in "\"'" and len(token) > 1:
            frame.header.append(token[1:-1])
        elif token[0].isalpha() or token[0] == "_":
            frame.header.append(token)
        elif token in (":", "="):
            frame.key = frame.header[-1] if frame.header else None
            frame.in_value = True
            frame.header = []
        elif token in ("{", "["):
            if frame.in_value:
                parent = frame.key
            else:
                parent = frame.header[0] if frame.header else None  # an HCL block: condition { ... }
            frames.append(_Frame(parent))
        elif token in ("}", "]"):
            if len(frames) > 1:
                frames.pop()
            frames[-1].in_value = False
            frames[-1].header = []
        elif token in (",", "\n"):
            frame.key = None
            frame.in_value = False
            frame.header = []
    keys = [frame.parent_key or "" for frame in frames[1:]]
    if frames[-1].in_value and frames[-1].key:
        keys.append(frames[-1].key)
    return keys


_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>\"[^\"]*\"|'[^']*'|[^\s#\"'][^#]*?)\s*:(?:\s|$)")
_YAML_DASH = re.compile(r"^(?P<indent>\s*)-(?:\s|$)")


def _yaml_keys(text: str) -> list[str]:
    lines = text.split("\n")
    current = lines[-1]
    keys: list[str] = []
    match = _YAML_KEY.match(current)
    if match:
        keys.append(match.group("key").strip("\"'"))
    indent = len(current) - len(current.lstrip())
    for line in reversed(lines[:-1]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        line_indent = len(line) - len(line.lstrip())
        if line_indent >= indent:
            continue
        match = _YAML_KEY.match(line)
        if match and not match.group("dash"):
            rest = line[match.end():].strip()
            if rest and not rest.startswith("#"):
                # ``Key: value`` has no children, so the cursor line is not inside it.
                break
            keys.append(match.group("key").strip("\"'"))
        elif not (match or _YAML_DASH.match(line)):
            break
        indent = line_indent
        if indent == 0:
            break
    keys.reverse()
    return keys


def enclosing_keys(text: str, offset: int, yaml: bool) -> list[str]:
    """Return the keys around code-point ``offset``, outermost first.

    ``offset`` should be where the word being typed starts, before any
    opening quote is closed, so the partial word is not read as a key.

    For ``{"Condition": {"Bool": {"aws:Mu`` the result ends with
    ``["Condition", "Bool"]``; at ``"Action": ["iam:Ch`` it ends with
    ``["Action"]``; in an HCL ``condition { test = "Bo`` block it ends with
    ``["condition", "test"]``.
    """
    before = text[:offset]
    if yaml and not before.lstrip().startswith(("{", "[")):
        return _yaml_keys(before)
    return _bracket_keys(before)
