"""YAML with exact positions, built from PyYAML's event stream.

Only PyYAML's safe parser runs, and only its events are used, so no input
can construct a Python object. Working from events rather than
``yaml.compose`` keeps the build iterative, which lets the loader enforce
the depth and alias-expansion limits before Python's recursion limit or the
machine's memory is reached. Tags such as CloudFormation's ``!Ref`` are kept
on the node for the loaders that understand them.
"""

from __future__ import annotations

from typing import Any

import yaml

from mfalint.document import Document, Problem
from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure
from mfalint.nodes import MappingNode, Node, PathPart, ScalarNode, SequenceNode, format_jsonpath
from mfalint.positions import Position, Span

__all__ = ["load_yaml"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_TAG_PREFIX = "tag:yaml.org,2002:"


def _span(start: Any, end: Any) -> Span:
    return Span(Position(start.line + 1, start.column + 1), Position(end.line + 1, end.column + 1))


def _scalar_value(event: yaml.ScalarEvent) -> tuple[Any, str | None]:
    """Return the value a YAML 1.1 safe loader gives a scalar, and its type name.

    Timestamps stay text (``2012-10-17``) but are typed ``timestamp`` so a
    rule can warn that other YAML readers turn them into dates.
    """
    if event.tag and event.tag not in ("!", "") and not event.tag.startswith(_TAG_PREFIX):
        return event.value, None
    tag = event.tag if event.tag and event.tag.startswith(_TAG_PREFIX) else _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    kind = tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else None
    if kind in ("str", None, "timestamp", "binary", "merge", "value", "yaml"):
        return event.value, kind if kind not in ("str", None) else None
    constructor = yaml.constructor.SafeConstructor()
    try:
        value = constructor.construct_object(yaml.ScalarNode(tag, event.value))
    except (yaml.YAMLError, ValueError, OverflowError):
        return event.value, None
    return value, kind


class _Frame:
    """A mapping or sequence under construction."""

    def __init__(self, node: MappingNode | SequenceNode, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.pending_key: ScalarNode | None = None
        self.seen: dict[Any, ScalarNode] = {}
        self.size = 1


def _child_path(frame: _Frame | None) -> tuple[PathPart, ...]:
    if frame is None:
        return ()
    if isinstance(frame.node, SequenceNode):
        return frame.node.path + (len(frame.node.items),)
    if frame.pending_key is None:
        return frame.node.path
    key = frame.pending_key.value
    return frame.node.path + (key if isinstance(key, (str, int)) else str(key),)


def load_yaml(text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse YAML text into a Document; syntax errors become an IAM001 problem."""
    # The YAML parsers skip a byte order mark without counting it as a column, so
    # dropping it keeps the document's lines in step with their marks.
    text = text.removeprefix("\ufeff")
    document = Document(path=path, text=text, format="yaml")
    try:
        _build(text, document, limits)
    except LoadFailure as failure:
        document.roots.clear()
        document.problems[:] = [problem for problem in document.problems if problem.code != "IAM015"]
        document.problems.append(Problem("IAM001", failure.span, failure.message))
    except yaml.MarkedYAMLError as error:
        document.roots.clear()
        document.problems.append(_syntax_problem(document, error))
    except yaml.reader.ReaderError as error:
        document.roots.clear()
        position = document.lines.position_of_offset(_reader_error_offset(text, error))
        document.problems.append(
            Problem(
                "IAM001",
                Span(position, Position(position.line, position.column + 1)),
                f"invalid YAML: {error.reason} (U+{error.character:04X}); "
                "remove the character, or write it as an escape in a double-quoted string",
            )
        )
    except yaml.YAMLError as error:
        document.roots.clear()
        document.problems.append(Problem("IAM001", Span.point(1, 1), f"invalid YAML: {error}"))
    return document


def _syntax_problem(document: Document, error: yaml.MarkedYAMLError) -> Problem:
    """Turn a parser error into an IAM001 problem, naming a tab used for indentation as such."""
    mark = error.problem_mark or error.context_mark
    position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    if error.problem_mark is not None:
        line = document.lines.line_text(position.line)
        indentation = line[: position.column - 1]
        if line[position.column - 1 : position.column] == "\t" and not indentation.strip(" \t"):
            return Problem(
                "IAM001",
                Span(position, Position(position.line, position.column + 1)),
                "invalid YAML: tab character in the indentation; YAML indents with spaces only, "
                "so replace the tab with spaces",
            )
    reason = error.problem or error.context or "syntax error"
    context = f" {error.context}" if error.context and error.problem else ""
    return Problem("IAM001", Span(position, position), f"invalid YAML: {reason}{context}")


def _reader_error_offset(text: str, error: yaml.reader.ReaderError) -> int:
    """Return the code-point offset of the character a ReaderError rejects.

    libyaml reports a byte offset into the UTF-8 encoding of the text, while
    PyYAML's pure-Python reader reports a code-point offset.
    """
    if _Loader is yaml.SafeLoader:
        return error.position
    return len(text.encode("utf-8")[: error.position].decode("utf-8", errors="ignore"))


def _build(text: str, document: Document, limits: Limits) -> None:
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Node, int]] = {}
    total = 0
    expanded = 0

    def count(size: int, span: Span, *, alias: bool = False) -> None:
        """Count ``size`` more nodes of the expanded document, and raise LoadFailure past max_nodes.

        An alias counts every node of the node it refers to, so each value is counted once
        per place it appears, whatever its depth.
        """
        nonlocal total, expanded
        total += size
        if alias:
            expanded += size
        if total <= limits.max_nodes:
            return
        if expanded:
            raise LoadFailure(
                f"document expands to more than {limits.max_nodes:,} values through YAML aliases "
                "(an alias bomb?); anchors and aliases that large are not read",
                span,
            )
        raise LoadFailure(f"document has more than {limits.max_nodes:,} values", span)

    def attach(node: Node, size: int) -> None:
        if not stack:
            document.roots.append(node)
            return
        frame = stack[-1]
        frame.size += size
        if isinstance(frame.node, SequenceNode):
            frame.node.items.append(node)
        elif frame.pending_key is None:
            if not isinstance(node, ScalarNode):
                raise LoadFailure("mapping keys must be plain values, not mappings or sequences", node.span)
            key = node.value if isinstance(node.value, (str, int)) else str(node.value)
            node.path = frame.node.path + (key,)  # a key names the element it introduces
            frame.pending_key = node
        else:
            key = frame.pending_key
            frame.pending_key = None
            hashable = key.value if isinstance(key.value, (str, int, float, bool, type(None))) else str(key.value)
            if hashable in frame.seen:
                first = frame.seen[hashable].span.start
                document.problems.append(
                    Problem(
                        "IAM015",
                        key.span,
                        f"duplicate key {key.value!r} (first at line {first.line}); "
                        "which value counts depends on the parser, so keep one",
                        format_jsonpath(node.path),
                    )
                )
            frame.seen[hashable] = key
            frame.node.pairs.append((key, node))

    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.ScalarEvent):
            value, kind = _scalar_value(event)
            node = ScalarNode(
                _span(event.start_mark, event.end_mark),
                _child_path(stack[-1] if stack else None),
                value=value,
                quoted=bool(event.style) and event.style in "'\"",
                yaml_type=kind,
                tag=event.tag if event.tag and not event.tag.startswith(_TAG_PREFIX) else None,
            )
            if event.anchor:
                anchors[event.anchor] = (node, 1)
            count(1, node.span)
            attach(node, 1)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            span = _span(event.start_mark, event.end_mark)
            if len(stack) >= limits.max_depth:
                raise LoadFailure(f"nesting is deeper than {limits.max_depth} levels", span)
            count(1, span)
            path = _child_path(stack[-1] if stack else None)
            tag = event.tag if event.tag and not event.tag.startswith(_TAG_PREFIX) else None
            container: MappingNode | SequenceNode
            if isinstance(event, yaml.MappingStartEvent):
                container = MappingNode(span, path, tag=tag)
            else:
                container = SequenceNode(span, path, tag=tag)
            stack.append(_Frame(container, event.anchor))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = stack.pop()
            frame.node.span = Span(frame.node.span.start, Position(event.end_mark.line + 1, event.end_mark.column + 1))
            if frame.anchor:
                anchors[frame.anchor] = (frame.node, frame.size)
            attach(frame.node, frame.size)
        elif isinstance(event, yaml.AliasEvent):
            span = _span(event.start_mark, event.end_mark)
            if event.anchor not in anchors:
                raise LoadFailure(f"alias *{event.anchor} refers to an unknown anchor", span)
            node, size = anchors[event.anchor]
            count(size, span, alias=True)
            attach(node, size)
