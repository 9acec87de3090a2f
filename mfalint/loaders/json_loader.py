"""JSON with exact positions, parsed by tree-sitter.

tree-sitter's JSON grammar gives every value its byte range and never
recurses on nesting, so a hostile 10,000-level file is cheap to reject.
Scalars are decoded by the standard library's ``json`` so that escapes and
numbers follow RFC 8259 exactly. Syntax errors are reported with the
standard library's message and position, which read better than a parse
tree's error node.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from mfalint.document import Document, Problem
from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure
from mfalint.nodes import MappingNode, Node, PathPart, ScalarNode, SequenceNode, format_jsonpath
from mfalint.positions import LineIndex, Position, Span

__all__ = ["load_json"]

# A JSON string without escapes or control characters.
_PLAIN_STRING = re.compile(r'"[^"\\\x00-\x1f]*"')


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_json

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_json.language()))


class _Builder:
    def __init__(self, data: bytes, lines: LineIndex, limits: Limits, problems: list[Problem]) -> None:
        self.data = data
        self.lines = lines
        self.limits = limits
        self.problems = problems
        self.count = 0
        self.ascii = data.isascii()

    def span(self, ts_node: Any) -> Span:
        start_row, start_byte = ts_node.start_point
        end_row, end_byte = ts_node.end_point
        if self.ascii:
            # In ASCII text, byte columns are character columns, so no conversion is needed.
            return Span(Position(start_row + 1, start_byte + 1), Position(end_row + 1, end_byte + 1))
        return Span(self.lines.position_of_point(start_row, start_byte), self.lines.position_of_point(end_row, end_byte))

    def text(self, ts_node: Any) -> str:
        return self.data[ts_node.start_byte : ts_node.end_byte].decode("utf-8")

    def build(self, ts_node: Any, path: tuple[PathPart, ...], depth: int) -> Node:
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise LoadFailure(f"document has more than {self.limits.max_nodes:,} values", self.span(ts_node))

        kind = ts_node.type
        # The root container is at depth 0, so the container at depth max_depth
        # is the first one past the limit. Scalars do not count as a level.
        if kind in ("object", "array") and depth >= self.limits.max_depth:
            raise LoadFailure(f"nesting is deeper than {self.limits.max_depth} levels", self.span(ts_node))
        if kind == "object":
            return self.build_object(ts_node, path, depth)
        if kind == "array":
            items: list[Node] = []
            for child in ts_node.named_children:
                self.reject_comment(child)
                items.append(self.build(child, path + (len(items),), depth + 1))
            return SequenceNode(self.span(ts_node), path, items=items)
        if kind in ("string", "number", "true", "false", "null"):
            text = self.text(ts_node)
            if kind == "string" and _PLAIN_STRING.fullmatch(text):
                # Nothing to decode: the value is the text between the quotes.
                return ScalarNode(self.span(ts_node), path, value=text[1:-1], quoted=True)
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise self.scalar_failure(ts_node, kind, text, error) from None
            except ValueError as error:  # an integer with more digits than int() accepts
                raise LoadFailure(f"invalid JSON {kind} {text[:40]!r}: {error}", self.span(ts_node)) from None
            return ScalarNode(self.span(ts_node), path, value=value, quoted=kind == "string")
        raise LoadFailure(f"invalid JSON: unexpected {kind}", self.span(ts_node))

    def build_object(self, ts_node: Any, path: tuple[PathPart, ...], depth: int) -> MappingNode:
        pairs: list[tuple[ScalarNode, Node]] = []
        seen: dict[str, ScalarNode] = {}
        for child in ts_node.named_children:
            self.reject_comment(child)
            key_ts = child.child_by_field_name("key")
            value_ts = child.child_by_field_name("value")
            if key_ts is None or value_ts is None:
                raise LoadFailure("invalid JSON: incomplete key-value pair", self.span(child))
            key = self.build(key_ts, path, depth + 1)
            if not isinstance(key, ScalarNode) or not isinstance(key.value, str):
                raise LoadFailure("invalid JSON: object keys must be strings", key.span)
            key.path = path + (key.value,)  # a key names the element it introduces
            value = self.build(value_ts, path + (key.value,), depth + 1)
            if key.value in seen:
                first = seen[key.value].span.start
                self.problems.append(
                    Problem(
                        "IAM015",
                        key.span,
                        f"duplicate key {key.value!r} (first at line {first.line}); "
                        "which value counts depends on the parser, so keep one",
                        format_jsonpath(path + (key.value,)),
                    )
                )
            seen[key.value] = key
            pairs.append((key, value))
        return MappingNode(self.span(ts_node), path, pairs=pairs)

    def scalar_failure(self, ts_node: Any, kind: str, text: str, error: json.JSONDecodeError) -> LoadFailure:
        """Describe a scalar that tree-sitter accepted but RFC 8259 does not, at the bad character."""
        start = self.span(ts_node).start
        prefix = text[: error.pos]
        position = start if "\n" in prefix else Position(start.line, start.column + len(prefix))
        reason = _reason(error)
        if kind == "string":
            reason += "; write control characters and backslashes as escape sequences such as \\n, \\\\ or \\u0001"
        return LoadFailure(
            f"invalid JSON {kind} {text[:40]!r}: {reason}",
            Span(position, Position(position.line, position.column + 1)),
        )

    def reject_comment(self, ts_node: Any) -> None:
        if ts_node.type == "comment":
            raise LoadFailure("comments are not valid JSON; remove them", self.span(ts_node))


def _first_error(root: Any) -> Any | None:
    """Return the first ERROR or MISSING node, or comment, in document order."""
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.type in ("ERROR", "comment") or node.is_missing:
            return node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None


def _reason(error: json.JSONDecodeError) -> str:
    """Return the standard library's message as a lowercase phrase, without its dangling "at"."""
    reason = error.msg.removesuffix(" at")
    return reason[:1].lower() + reason[1:]


def _trailing_comma(text: str, offset: int) -> int | None:
    """Return the offset of the trailing comma that a JSONDecodeError at ``offset`` is about, or None.

    Python 3.13 and later report a trailing comma at the comma itself, and
    earlier versions at the closing bracket after it. Comments are rejected
    before this runs, so only whitespace can lie between the two.
    """
    whitespace = " \t\r\n"
    comma = offset
    if not text.startswith(",", comma):
        comma = offset - 1
        while comma >= 0 and text[comma] in whitespace:
            comma -= 1
        if comma < 0 or text[comma] != ",":
            return None
    after = comma + 1
    while after < len(text) and text[after] in whitespace:
        after += 1
    if after < len(text) and text[after] in "}]":
        return comma
    return None


def _syntax_failure(text: str, builder: _Builder, root: Any) -> LoadFailure:
    """Describe a syntax error, with the standard library's message where it has one."""
    error_node = _first_error(root)
    if error_node is not None and error_node.type == "comment":
        return LoadFailure("comments are not valid JSON; remove them", builder.span(error_node))
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        comma = _trailing_comma(text, error.pos)
        if comma is not None:
            position = builder.lines.position_of_offset(comma)
            return LoadFailure(
                "invalid JSON: trailing comma after the last item; remove the comma",
                Span(position, Position(position.line, position.column + 1)),
            )
        position = Position(error.lineno, error.colno)
        return LoadFailure(f"invalid JSON: {_reason(error)}", Span(position, position))
    except RecursionError:
        pass
    if error_node is not None:
        snippet = builder.text(error_node)[:30]
        what = f"missing {error_node.type!r}" if error_node.is_missing else f"unexpected {snippet!r}"
        return LoadFailure(f"invalid JSON: {what}", builder.span(error_node))
    return LoadFailure("invalid JSON")


def load_json(text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse JSON text into a Document; syntax errors become an IAM001 problem."""
    # A byte order mark is not part of the JSON text, and editors do not count it as a column.
    text = text.removeprefix("\ufeff")
    document = Document(path=path, text=text, format="json")
    data = text.encode("utf-8")
    builder = _Builder(data, document.lines, limits, document.problems)
    try:
        root = _parser().parse(data).root_node
        if root.has_error:
            raise _syntax_failure(text, builder, root)
        values = []
        for child in root.named_children:
            builder.reject_comment(child)
            values.append(child)
        if not values:
            raise LoadFailure("file is empty")
        if len(values) > 1:
            raise LoadFailure("invalid JSON: more than one top-level value", builder.span(values[1]))
        document.roots.append(builder.build(values[0], (), 0))
    except LoadFailure as failure:
        document.roots.clear()
        document.problems.append(Problem("IAM001", failure.span, failure.message))
    return document
