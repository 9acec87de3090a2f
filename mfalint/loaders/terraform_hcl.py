"""HCL syntax for the Terraform loader: parsing, blocks, values, templates and references.

tree-sitter's HCL grammar (PyPI ``tree-sitter-hcl``) gives every token its
byte range, including the parts of a template and of a heredoc. This module
turns that tree into the format-neutral nodes of ``mfalint.nodes`` and never
evaluates anything: a reference, function call or interpolation that cannot
be read from the text is an *unknown* value, tagged with ``UNKNOWN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure
from mfalint.nodes import MappingNode, Node, PathPart, ScalarNode, SequenceNode
from mfalint.positions import LineIndex, Position, Span

__all__ = [
    "UNKNOWN",
    "Block",
    "Attribute",
    "Reference",
    "HclReader",
    "parse_hcl",
    "is_unknown",
    "unknown",
]

# The tag of a value that is only known when Terraform runs (a variable, a
# reference, a function result).
UNKNOWN = "terraform:unknown"

# The replacement for an unknown part of a string, as in "arn:aws:iam::${var.account}:root".
UNKNOWN_PART = "*"

_QUOTED_ESCAPES = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)|\$\$\{|%%\{", re.DOTALL)
_HEREDOC_ESCAPES = re.compile(r"\$\$\{|%%\{")
_EXPONENT = re.compile(r"[eE][+-]?[0-9]+$")
# Complete constructs that tree-sitter may keep inside an ERROR node, before the fault.
_CONSTRUCTS = ("expression", "body", "attribute", "block", "comment")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


def parse_hcl(data: bytes) -> Any:
    """Parse HCL bytes into a tree-sitter tree; syntax errors stay in the tree as ERROR nodes."""
    return _parser().parse(data)


def is_unknown(node: Node | None) -> bool:
    return node is not None and node.tag == UNKNOWN


def unknown(span: Span, path: tuple[PathPart, ...]) -> ScalarNode:
    return ScalarNode(span, path, value=None, tag=UNKNOWN)


@dataclass(frozen=True)
class Reference:
    """A reference such as ``aws_iam_user.alice[0].name``, as its names with indexes and splats left out."""

    parts: tuple[str, ...]
    span: Span

    @property
    def address(self) -> str | None:
        """Return the resource or data source address (``aws_iam_user.alice``, ``data.x.y``), if any."""
        if self.parts and self.parts[0] == "data" and len(self.parts) >= 3:
            return ".".join(self.parts[:3])
        if len(self.parts) >= 2 and self.parts[0] not in ("var", "local", "module", "each", "count", "path", "self", "terraform"):
            return ".".join(self.parts[:2])
        return None

    @property
    def attribute(self) -> str | None:
        """Return the attribute read from the resource (``arn``, ``name``, ``json``), if any."""
        size = 3 if self.parts and self.parts[0] == "data" else 2
        return self.parts[size] if len(self.parts) > size else None


@dataclass(eq=False)
class Attribute:
    """``name = expression`` in a block body."""

    name: str
    key: Any  # tree-sitter identifier node
    expression: Any  # tree-sitter expression node
    span: Span


@dataclass(eq=False)
class Block:
    """A block such as ``resource "aws_iam_policy" "x" { ... }`` with its attributes and nested blocks."""

    type: str
    labels: list[str]
    node: Any  # tree-sitter block node
    span: Span
    header: Span  # from the block type to the last label
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    # Attributes and nested blocks in source order, repeated attribute names included.
    items: list[Attribute | Block] = field(default_factory=list)

    @property
    def address(self) -> str | None:
        """Return the Terraform address of a resource or data block, such as ``data.aws_iam_policy_document.x``."""
        if self.type == "resource" and len(self.labels) == 2:
            return ".".join(self.labels)
        if self.type == "data" and len(self.labels) == 2:
            return "data." + ".".join(self.labels)
        return None

    def nested(self, block_type: str) -> list[Block]:
        return [block for block in self.blocks if block.type == block_type]


def _has_error_inside(ts_node: Any) -> bool:
    return any(child.type == "ERROR" or child.is_missing or child.has_error for child in ts_node.children)


def _named(ts_node: Any) -> list[Any]:
    return [child for child in ts_node.named_children if child.type != "comment"]


def _unwrap(ts_node: Any) -> Any:
    """Return the node inside ``expression`` wrappers and parentheses.

    A reference stays wrapped, because its parts (``variable_expr``,
    ``get_attr``, ``index``) are the children of its ``expression`` node.
    """
    while ts_node.type == "expression":
        children = _named(ts_node)
        if len(children) != 1 or children[0].type == "variable_expr":
            break
        ts_node = children[0]
    return ts_node


class HclReader:
    """Read blocks, values and references of one parsed HCL file."""

    def __init__(self, data: bytes, lines: LineIndex, limits: Limits = DEFAULT_LIMITS) -> None:
        self.data = data
        self.lines = lines
        self.limits = limits
        self.count = 0

    # -- positions and text -------------------------------------------------

    def span(self, ts_node: Any) -> Span:
        return Span(self.position(ts_node.start_point), self.position(ts_node.end_point))

    def position(self, point: Any) -> Position:
        return self.lines.position_of_point(point[0], point[1])

    def text(self, ts_node: Any) -> str:
        return self.data[ts_node.start_byte : ts_node.end_byte].decode("utf-8")

    # -- syntax errors --------------------------------------------------------

    def first_error(self, root: Any) -> LoadFailure:
        """Describe the first syntax error in document order, at its first unexpected token.

        tree-sitter may wrap a whole block in an ERROR node around the ERROR
        that contains the fault, so only the innermost ERROR nodes (and MISSING
        nodes) are candidates.
        """
        candidates: list[Any] = []  # MISSING nodes and innermost ERROR nodes
        stack = [root]
        while stack:
            node = stack.pop()
            if node.is_missing or (node.type == "ERROR" and not _has_error_inside(node)):
                candidates.append(node)
            elif node.has_error:
                stack.extend(node.children)
        if not candidates:
            return LoadFailure("invalid HCL")
        # (row and byte column, byte offset, the MISSING node or None for an unexpected token)
        located: list[tuple[tuple[int, int], int, Any]] = []
        for node in candidates:
            if node.is_missing and node.type == "quoted_template_end" and node.parent is not None:
                # An unterminated string: the fault is where the string starts.
                start = node.parent.start_point
                located.append(((start[0], start[1]), node.parent.start_byte, node))
            elif node.is_missing:
                located.append(((node.start_point[0], node.start_point[1]), node.start_byte, node))
            else:
                offset = self._fault_offset(node)
                located.append((self._point_of(offset), offset, None))
        point, offset, missing = min(located, key=lambda item: item[0])
        position = self.position(point)
        if missing is not None and missing.type == "quoted_template_end":
            return LoadFailure(
                "invalid HCL: string has no closing '\"'; a quoted string ends on the line where it starts",
                Span(position, Position(position.line, position.column + 1)),
            )
        if missing is not None:
            return LoadFailure(f"invalid HCL: missing {missing.type!r}", Span(position, position))
        snippet = re.split(r"\s", self.data[offset : offset + 60].decode("utf-8", errors="replace"), maxsplit=1)[0][:30]
        if _EXPONENT.match(snippet) and self.data[offset - 1 : offset].isdigit():
            # NOTE: valid HCL that tree-sitter-hcl 1.2.0 rejects; 1.5e3 and 1.0e+3 parse.
            return LoadFailure(
                f"the HCL parser cannot read the integer with exponent ending in {snippet!r}; "
                "write the number with a decimal point (1.0e3) or without an exponent (1000)",
                Span(position, Position(position.line, position.column + len(snippet))),
            )
        return LoadFailure(
            f"invalid HCL: unexpected {snippet!r}; Terraform 0.12 and later cannot read the file from here "
            "(Terraform 0.11 syntax, such as a comma after an argument or a block inside an object, "
            "must be rewritten in HCL 2)",
            Span(position, Position(position.line, position.column + max(len(snippet), 1))),
        )

    def _fault_offset(self, error: Any) -> int:
        """Return the byte offset of the first unexpected token in an innermost ERROR node.

        tree-sitter puts into the ERROR node the complete constructs it could
        read (an expression, a block body) and the tokens around them. The
        fault is the first token after the first complete construct, such as
        the comma in ``not_actions = [...],``. Without a construct, the fault
        is the node's first token.
        """
        children = [child for child in error.children if child.end_byte > child.start_byte]
        first_construct = next(
            (index for index, child in enumerate(children) if child.type in _CONSTRUCTS and not child.has_error), None
        )
        if first_construct is None:
            return self._next_token(error.start_byte)
        for child in children[first_construct + 1 :]:
            if child.type not in _CONSTRUCTS:
                return child.start_byte
        return self._next_token(children[first_construct].end_byte)

    def _next_token(self, offset: int) -> int:
        while offset < len(self.data) and self.data[offset : offset + 1] in (b" ", b"\t", b"\r", b"\n"):
            offset += 1
        return offset

    def _point_of(self, offset: int) -> tuple[int, int]:
        row = self.data.count(b"\n", 0, offset)
        return row, offset - (self.data.rfind(b"\n", 0, offset) + 1)

    # -- blocks -----------------------------------------------------------------

    def blocks(self, root: Any) -> list[Block]:
        """Return the top-level blocks of a parsed file."""
        body = next((child for child in _named(root) if child.type == "body"), None)
        return self._body(body, 0)[1] if body is not None else []

    def _body(self, body: Any, depth: int) -> tuple[dict[str, Attribute], list[Block], list[Attribute | Block]]:
        if depth > self.limits.max_depth:
            raise LoadFailure(f"blocks are nested deeper than {self.limits.max_depth} levels", self.span(body))
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        items: list[Attribute | Block] = []
        for child in _named(body):
            if child.type == "attribute":
                key = child.named_children[0]
                expression = next((part for part in child.named_children[1:] if part.type == "expression"), None)
                if expression is not None:
                    name = self.text(key)
                    attribute = Attribute(name, key, expression, self.span(child))
                    attributes[name] = attribute
                    items.append(attribute)
            elif child.type == "block":
                block = self._block(child, depth + 1)
                blocks.append(block)
                items.append(block)
        return attributes, blocks, items

    def _block(self, ts_node: Any, depth: int) -> Block:
        children = _named(ts_node)
        block_type = self.text(children[0])
        labels: list[str] = []
        header_end = children[0]
        for child in children[1:]:
            if child.type == "identifier":
                labels.append(self.text(child))
            elif child.type == "string_lit":
                labels.append(self.template(child).value or "")
            else:
                break
            header_end = child
        body = next((child for child in children if child.type == "body"), None)
        attributes, blocks, items = self._body(body, depth) if body is not None else ({}, [], [])
        header = Span(self.position(children[0].start_point), self.position(header_end.end_point))
        return Block(block_type, labels, ts_node, self.span(ts_node), header, attributes, blocks, items)

    # -- values -----------------------------------------------------------------

    def value(self, expression: Any, path: tuple[PathPart, ...], depth: int = 0, *, policy_variables: bool = False) -> Node:
        """Convert an HCL expression into a node; anything only Terraform can compute is unknown.

        ``policy_variables`` turns ``&{...}`` into ``${...}``, as the
        ``aws_iam_policy_document`` data source does. The node limit applies
        to each top-level call.
        """
        if depth == 0:
            self.count = 0
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise LoadFailure(f"document has more than {self.limits.max_nodes:,} values", self.span(expression))
        if depth > self.limits.max_depth:
            raise LoadFailure(f"nesting is deeper than {self.limits.max_depth} levels", self.span(expression))

        node = _unwrap(expression)
        kind = node.type
        if kind == "literal_value":
            return self._literal(node.named_children[0], path, policy_variables)
        if kind in ("string_lit", "template_expr", "quoted_template", "heredoc_template"):
            return self.template(node, path, policy_variables=policy_variables)
        if kind == "collection_value":
            node = node.named_children[0]
            kind = node.type
        if kind == "tuple":
            elements = [child for child in _named(node) if child.type == "expression"]
            items = [
                self.value(element, path + (index,), depth + 1, policy_variables=policy_variables)
                for index, element in enumerate(elements)
            ]
            return SequenceNode(self.span(node), path, items=items)
        if kind == "object":
            return self._object(node, path, depth, policy_variables)
        if kind == "operation":
            number = self._negative_number(node)
            if number is not None:
                return ScalarNode(self.span(node), path, value=number)
        return unknown(self.span(node), path)

    def _literal(self, ts_node: Any, path: tuple[PathPart, ...], policy_variables: bool) -> Node:
        kind = ts_node.type
        if kind == "string_lit":
            return self.template(ts_node, path, policy_variables=policy_variables)
        if kind == "bool_lit":
            return ScalarNode(self.span(ts_node), path, value=self.text(ts_node) == "true")
        if kind == "null_lit":
            return ScalarNode(self.span(ts_node), path, value=None)
        if kind == "numeric_lit":
            return ScalarNode(self.span(ts_node), path, value=_number(self.text(ts_node)))
        return unknown(self.span(ts_node), path)

    def _negative_number(self, ts_node: Any) -> int | float | None:
        unary = ts_node.named_children[0] if ts_node.named_children else None
        if unary is None or unary.type != "unary_operation" or self.text(unary.children[0]) != "-":
            return None
        operand = unary.named_children[-1]
        if operand.type == "literal_value" and operand.named_children[0].type == "numeric_lit":
            number = _number(self.text(operand.named_children[0]))
            return -number if number is not None else None
        return None

    def _object(self, ts_node: Any, path: tuple[PathPart, ...], depth: int, policy_variables: bool) -> MappingNode:
        pairs: list[tuple[ScalarNode, Node]] = []
        for element in _named(ts_node):
            if element.type != "object_elem":
                continue
            key_ts = element.child_by_field_name("key")
            value_ts = element.child_by_field_name("val")
            if key_ts is None or value_ts is None:
                continue
            key_name = self.object_key(key_ts)
            if key_name is None:
                # NOTE: a computed key such as (var.name) = ... is skipped; its value cannot be placed.
                continue
            key = ScalarNode(self.span(key_ts), path + (key_name,), value=key_name, quoted=True)
            value = self.value(value_ts, path + (key_name,), depth + 1, policy_variables=policy_variables)
            pairs.append((key, value))
        return MappingNode(self.span(ts_node), path, pairs=pairs)

    def object_key(self, key_ts: Any) -> str | None:
        """Return an object key: a bare identifier names itself, a string is its text, anything else is None."""
        node = _unwrap(key_ts)
        children = _named(node)
        if node.type == "expression" and len(children) == 1 and children[0].type == "variable_expr":
            return self.text(children[0])
        if node.type == "literal_value":
            node = children[0]
        if node.type in ("string_lit", "template_expr", "quoted_template"):
            key = self.template(node, ())
            return None if is_unknown(key) else str(key.value)
        return None

    # -- templates ----------------------------------------------------------------

    def template_parts(self, ts_node: Any) -> tuple[int, int, list[tuple[int, int, bool]]]:
        """Split a quoted or heredoc template into byte ranges.

        Returns the start and end byte of its content and, in order, each
        range with True for an interpolation or directive (only known when
        Terraform runs) and False for literal text, including the spaces
        tree-sitter leaves between tokens.
        """
        node = ts_node
        while node.type in ("template_expr", "literal_value") and node.named_children:
            node = node.named_children[0]
        children = node.children
        if node.type == "heredoc_template":
            opening = next(child for child in children if child.type == "heredoc_identifier")
            newline = self.data.find(b"\n", opening.end_byte)
            start = len(self.data) if newline == -1 else newline + 1
            closing = [child for child in children if child.type == "heredoc_identifier"][-1]
            end = closing.start_byte - closing.start_point[1] if closing is not opening else start
        else:
            start = children[0].end_byte if children else node.start_byte
            end = children[-1].start_byte if len(children) > 1 else start
        ranges: list[tuple[int, int, bool]] = []
        cursor = start
        for child in children:
            if child.type in ("template_interpolation", "template_directive") and child.start_byte >= start:
                if child.start_byte > cursor:
                    ranges.append((cursor, child.start_byte, False))
                ranges.append((child.start_byte, child.end_byte, True))
                cursor = child.end_byte
        if end > cursor:
            ranges.append((cursor, end, False))
        return start, end, ranges

    def template(self, ts_node: Any, path: tuple[PathPart, ...] = (), *, policy_variables: bool = False) -> ScalarNode:
        """Read a string template; interpolations become ``*``, and a lone interpolation is unknown."""
        node = ts_node
        while node.type in ("template_expr", "literal_value") and node.named_children:
            node = node.named_children[0]
        heredoc = node.type == "heredoc_template"
        _start, _end, ranges = self.template_parts(node)
        pieces: list[str] = []
        literal_text = ""
        for begin, finish, dynamic in ranges:
            if dynamic:
                pieces.append(UNKNOWN_PART)
            else:
                raw = self.data[begin:finish].decode("utf-8")
                text = decode_heredoc(raw) if heredoc else decode_quoted(raw)
                if policy_variables:
                    text = text.replace("&{", "${")
                pieces.append(text)
                literal_text += text
        span = self.span(node)
        if any(dynamic for _begin, _finish, dynamic in ranges) and not literal_text.strip():
            return unknown(span, path)
        return ScalarNode(span, path, value="".join(pieces), quoted=True)

    def only_interpolation(self, ts_node: Any) -> Any | None:
        """Return the expression of a template that is one interpolation and blank text, as in ``"${var.x}"``."""
        node = _unwrap(ts_node)
        while node.type in ("template_expr", "literal_value") and node.named_children:
            node = node.named_children[0]
        if node.type not in ("quoted_template", "heredoc_template", "string_lit"):
            return None
        _start, _end, ranges = self.template_parts(node)
        literal = b"".join(self.data[begin:finish] for begin, finish, dynamic in ranges if not dynamic)
        interpolations = [child for child in node.children if child.type == "template_interpolation"]
        if len(interpolations) != 1 or sum(dynamic for _begin, _finish, dynamic in ranges) != 1 or literal.strip():
            return None
        return next((child for child in interpolations[0].named_children if child.type == "expression"), None)

    # -- expressions: functions and references ------------------------------------

    def function_call(self, ts_node: Any) -> tuple[str, list[Any]] | None:
        """Return the name and argument expressions of a function call, or None."""
        node = _unwrap(ts_node)
        if node.type != "function_call":
            return None
        name = self.text(node.named_children[0])
        arguments_node = next((child for child in node.named_children if child.type == "function_arguments"), None)
        arguments = [child for child in _named(arguments_node) if child.type == "expression"] if arguments_node else []
        return name, arguments

    def references(self, ts_node: Any, depth: int = 0) -> Iterator[Reference]:
        """Yield the references an expression may evaluate to.

        A conditional yields both branches, a list each item, and a template
        that is one interpolation (Terraform 0.11's ``"${aws_iam_user.x.name}"``)
        the reference inside it. Other expressions, and anything nested
        deeper than the depth limit, yield nothing.
        """
        if depth > self.limits.max_depth:
            return
        node = _unwrap(ts_node)
        if node.type == "expression" and _named(node) and _named(node)[0].type == "variable_expr":
            reference = self._reference(node)
            if reference is not None:
                yield reference
            return
        if node.type == "conditional":
            branches = [child for child in node.named_children if child.type == "expression"]
            for branch in branches[1:]:
                yield from self.references(branch, depth + 1)
            return
        if node.type == "collection_value" and node.named_children[0].type == "tuple":
            for child in _named(node.named_children[0]):
                if child.type == "expression":
                    yield from self.references(child, depth + 1)
            return
        inner = self.only_interpolation(node)
        if inner is not None:
            yield from self.references(inner, depth + 1)

    def _reference(self, expression: Any) -> Reference | None:
        parts: list[str] = []
        for child in _named(expression):
            if child.type == "variable_expr":
                parts.append(self.text(child))
            elif child.type == "get_attr":
                parts.append(self.text(child.named_children[-1]))
            elif child.type in ("index", "splat"):
                # aws_iam_user.x[0].name and aws_iam_user.x.*.name name the same resource.
                if child.type == "splat":
                    attribute = [part for part in child.named_children[0].named_children if part.type == "get_attr"]
                    parts.extend(self.text(part.named_children[-1]) for part in attribute)
                continue
            else:
                return None
        return Reference(tuple(parts), self.span(expression)) if parts else None


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def decode_quoted(raw: str) -> str:
    """Decode the escapes of a quoted HCL string: backslash sequences, ``$${`` and ``%%{``."""

    def replace(match: re.Match[str]) -> str:
        sequence = match.group(0)
        if sequence in ("$${", "%%{"):
            return sequence[1:]
        letter = sequence[1]
        if letter in ("u", "U"):
            try:
                return chr(int(sequence[2:], 16))
            except ValueError:
                return sequence
        return _SIMPLE_ESCAPES.get(letter, sequence)

    return _QUOTED_ESCAPES.sub(replace, raw)


def decode_heredoc(raw: str) -> str:
    """Decode a heredoc's escapes: only ``$${`` and ``%%{``, because heredocs take backslashes literally."""
    return _HEREDOC_ESCAPES.sub(lambda match: match.group(0)[1:], raw)
