"""Policy text in Terraform: jsonencode objects, heredoc JSON, file() and aws_iam_policy_document.

Every form becomes a node tree in IAM's policy grammar whose spans point
into the ``.tf`` file, except a ``file()`` policy, whose nodes all point at
the ``file()`` call (see ``file_policy``). Values that only Terraform can
compute stay unknown, and ``prune_policy`` decides what an unknown value
does to its statement.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from mfalint.document import Document, Problem
from mfalint.extract import TERRAFORM_KEYS, terraform_statement
from mfalint.loaders.json_loader import load_json
from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure, decode_bytes, read_bytes
from mfalint.loaders.terraform_hcl import UNKNOWN_PART, Block, HclReader, Reference, decode_quoted, is_unknown, unknown
from mfalint.model import VERSION_2012
from mfalint.nodes import MappingNode, Node, PathPart, ScalarNode, SequenceNode
from mfalint.positions import Position, Span

__all__ = ["HEREDOC_SPANS", "PolicySource", "DocumentSource", "policy_source", "policy_document", "prune_policy"]

# Placeholders that keep a heredoc's columns while its template parts are
# replaced, so that the JSON parser reports positions of the original text.
# They are Unicode private-use characters, which no policy contains.
_MARK_PART = "\ue000"  # one character of an interpolation inside a JSON string
_MARK_DROPPED = "\ue001"  # the first "$" of "$${" or "%" of "%%{", which Terraform removes
_MARK_VALUE = "\ue002"  # one character of an interpolation that stands for a whole JSON value
_PART_RUN = re.compile(_MARK_PART + "+")

# Key in ``Document.facts`` of the spans of the heredocs read as policy JSON.
# A node inside one of them has JSON syntax with Terraform's escapes, and
# any other node of a ``.tf`` file has HCL syntax, so fixes read this to
# write each node in its own syntax.
HEREDOC_SPANS = "terraform:heredoc_spans"

_ACTION_AND_RESOURCE = ("Action", "NotAction", "Resource", "NotResource")
_PATH_PREFIXES = ("path.module", "path.root", "path.cwd")


@dataclass(eq=False)
class PolicySource:
    """The content of an attribute such as ``policy``: policy trees read in place, and referenced documents."""

    roots: list[MappingNode] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass(eq=False)
class DocumentSource:
    """An ``aws_iam_policy_document`` data source: its policy tree and the documents it merges."""

    root: MappingNode
    sources: list[Reference] = field(default_factory=list)
    overrides: list[Reference] = field(default_factory=list)


# -- attributes that hold a policy ---------------------------------------------


def policy_source(
    reader: HclReader, document: Document, expression: Any, limits: Limits = DEFAULT_LIMITS, depth: int = 0
) -> PolicySource:
    """Read the policy in an attribute.

    ``jsonencode({...})``, heredoc JSON, a quoted JSON string and
    ``file("...")`` are read; references such as
    ``data.aws_iam_policy_document.x.json`` are returned for linking;
    ``templatefile()`` and any other computed value give nothing.
    """
    source = PolicySource()
    if depth > limits.max_depth:
        raise LoadFailure(f"interpolations are nested deeper than {limits.max_depth} levels", reader.span(expression))
    call = reader.function_call(expression)
    if call is not None:
        name, arguments = call
        if name == "jsonencode" and len(arguments) == 1:
            root = reader.value(arguments[0], ())
            if isinstance(root, MappingNode):
                source.roots.append(root)
        elif name == "file" and len(arguments) == 1:
            root = file_policy(reader, document, arguments[0], reader.span(expression), limits)
            if root is not None:
                source.roots.append(root)
        return source

    inner = reader.only_interpolation(expression)
    if inner is not None:
        # Terraform 0.11 wrote references as "${data.aws_iam_policy_document.x.json}".
        return policy_source(reader, document, inner, limits, depth + 1)

    source.references.extend(reader.references(expression))
    if source.references:
        return source

    template = _template_node(expression)
    if template is not None and template.type == "heredoc_template":
        root = heredoc_policy(reader, document, template, limits)
        if root is not None:
            source.roots.append(root)
    elif template is not None:
        text = reader.template(template)
        if isinstance(text.value, str) and text.value.lstrip().startswith("{"):
            root = _json_at(text.value, document, text.span, limits)
            if root is not None:
                source.roots.append(root)
    return source


def _template_node(expression: Any) -> Any | None:
    node = expression
    while node.type in ("expression", "template_expr", "literal_value") and node.named_children:
        if node.type == "expression" and len(node.named_children) != 1:
            return None
        node = node.named_children[0]
    return node if node.type in ("heredoc_template", "quoted_template", "string_lit") else None


# -- heredoc JSON ------------------------------------------------------------------


def heredoc_policy(reader: HclReader, document: Document, template: Any, limits: Limits = DEFAULT_LIMITS) -> MappingNode | None:
    """Parse a heredoc's JSON with mfalint's JSON loader, with positions in the ``.tf`` file.

    Each interpolation is replaced by as many placeholder characters as it
    has, so lines and columns stay those of the file. Inside a JSON string
    the interpolation becomes ``*``, or an unknown value when it is the
    whole string. Elsewhere it becomes an unknown value. A heredoc with
    template directives (``%{ if }``) is left unread. Invalid JSON is an
    IAM001 problem at its position in the file.
    """
    start, _end, ranges = reader.template_parts(template)
    shadow = _shadow_text(reader, ranges, template)
    if shadow is None:
        return None
    first_line = reader.data.count(b"\n", 0, start) + 1

    def move(span: Span) -> Span:
        return Span(
            Position(span.start.line + first_line - 1, span.start.column),
            Position(span.end.line + first_line - 1, span.end.column),
        )

    parsed = load_json(shadow, document.path, limits)
    for problem in parsed.problems:
        message = problem.message
        if problem.code == "IAM001":
            message = f"{message} (in the heredoc policy; IAM rejects a policy that is not valid JSON)"
        document.problems.append(Problem(problem.code, move(problem.span), message, problem.jsonpath))
    if not parsed.readable or not parsed.roots:
        return None
    root = _copy(parsed.roots[0], move)
    if not isinstance(root, MappingNode):
        return None
    document.facts.setdefault(HEREDOC_SPANS, []).append(reader.span(template))
    return root


def _shadow_text(reader: HclReader, ranges: list[tuple[int, int, bool]], template: Any) -> str | None:
    if any(child.type == "template_directive" for child in template.children):
        # NOTE: %{ if } and %{ for } directives are not expanded, so such a heredoc is not read.
        return None
    pieces: list[str] = []
    in_string = escaped = False
    for begin, finish, dynamic in ranges:
        raw = reader.data[begin:finish].decode("utf-8")
        if not dynamic:
            text = raw.replace("$${", _MARK_DROPPED + "${").replace("%%{", _MARK_DROPPED + "%{")
            for character in text:
                if escaped:
                    escaped = False
                elif character == "\\" and in_string:
                    escaped = True
                elif character == '"':
                    in_string = not in_string
            pieces.append(text)
            continue
        lines = raw.split("\n")
        if in_string:
            if len(lines) > 1:
                return None  # a JSON string cannot hold the line break
            pieces.append(_MARK_PART * len(raw))
        elif len(lines[0]) >= 3:
            placeholder = '"' + _MARK_VALUE * (len(lines[0]) - 2) + '"'
            pieces.append("\n".join([placeholder] + [" " * len(line) for line in lines[1:]]))
        else:
            return None
    return "".join(pieces)


def _clean(value: str) -> str | None:
    """Return a JSON string with placeholders resolved, or None when the whole value is unknown."""
    if value and set(value) == {_MARK_VALUE}:
        return None
    value = value.replace(_MARK_DROPPED, "")
    if _MARK_PART in value:
        if not _PART_RUN.sub("", value).strip():
            return None
        value = _PART_RUN.sub(UNKNOWN_PART, value)
    return value


def _copy(node: Node, move: Callable[[Span], Span]) -> Node:
    """Copy a JSON node tree with moved spans and placeholders resolved."""
    span = move(node.span)
    if isinstance(node, MappingNode):
        pairs = []
        for key, value in node.pairs:
            key_text = _clean(str(key.value))
            new_key = ScalarNode(move(key.span), key.path, value=UNKNOWN_PART if key_text is None else key_text, quoted=True)
            pairs.append((new_key, _copy(value, move)))
        return MappingNode(span, node.path, pairs=pairs)
    if isinstance(node, SequenceNode):
        return SequenceNode(span, node.path, items=[_copy(item, move) for item in node.items])
    assert isinstance(node, ScalarNode)
    if isinstance(node.value, str):
        text = _clean(node.value)
        if text is None:
            return unknown(span, node.path)
        return ScalarNode(span, node.path, value=text, quoted=node.quoted)
    return ScalarNode(span, node.path, value=node.value, quoted=node.quoted)


def _json_at(text: str, document: Document, span: Span, limits: Limits) -> MappingNode | None:
    """Parse JSON read from elsewhere, giving every node ``span``; unparsable text gives None."""
    parsed = load_json(text, document.path, limits)
    if not parsed.readable or not parsed.roots:
        return None
    root = _copy(parsed.roots[0], lambda _span: span)
    return root if isinstance(root, MappingNode) else None


# -- file() ------------------------------------------------------------------------


def file_policy(reader: HclReader, document: Document, argument: Any, call_span: Span, limits: Limits = DEFAULT_LIMITS) -> MappingNode | None:
    """Read the JSON file that ``file("...")`` names, relative to the ``.tf`` file's folder.

    NOTE: findings are reported per file, so every node of such a policy
    points at the ``file()`` call, not into the JSON file. The JSONPath still
    names the element inside it. A path that is absolute, computed or
    missing, and a file that is not valid JSON, are treated as unknown text,
    because the JSON file's own lint reports its syntax errors.
    """
    if document.path.startswith("<"):
        return None
    relative = _file_argument(reader, argument)
    if relative is None or os.path.isabs(relative):
        return None
    folder = os.path.dirname(document.path) or "."
    try:
        text = decode_bytes(read_bytes(os.path.join(folder, relative), limits))
    except LoadFailure:
        return None
    return _json_at(text, document, call_span, limits)


def _file_argument(reader: HclReader, argument: Any) -> str | None:
    """Return the path a ``file()`` argument names, with ``${path.module}`` as the current folder."""
    template = _template_node(argument)
    if template is None:
        return None
    _start, _end, ranges = reader.template_parts(template)
    pieces = []
    for begin, finish, dynamic in ranges:
        raw = reader.data[begin:finish].decode("utf-8")
        if dynamic:
            inner = raw[2:-1].strip() if raw.startswith("${") else ""
            if inner not in _PATH_PREFIXES:
                return None
            pieces.append(".")
        else:
            pieces.append(decode_quoted(raw))
    return os.path.normpath("".join(pieces))


# -- aws_iam_policy_document -------------------------------------------------------


def policy_document(reader: HclReader, block: Block) -> DocumentSource:
    """Build the policy tree of a ``data "aws_iam_policy_document"`` block.

    Static ``statement`` blocks, ``dynamic "statement"`` blocks (whose
    ``content`` counts as one statement that may exist, unless ``for_each``
    is an empty literal) and Terraform 0.11's ``statement = {...}`` are read
    in source order. The default Version is 2012-10-17, as the data source's.
    """
    statements: list[Node] = []
    for item in block.items:
        path: tuple[PathPart, ...] = ("Statement", len(statements))
        if isinstance(item, Block) and item.type == "statement":
            statements.append(_statement(reader, _block_mapping(reader, item, path), path))
        elif isinstance(item, Block) and item.type == "dynamic" and item.labels == ["statement"]:
            content = _dynamic_content(item)
            if content is not None:
                statements.append(_statement(reader, _block_mapping(reader, content, path), path))
        elif not isinstance(item, Block) and item.name == "statement":
            value = reader.value(item.expression, path, policy_variables=True)
            for mapping in value.items if isinstance(value, SequenceNode) else [value]:
                if isinstance(mapping, MappingNode):
                    statements.append(_statement(reader, mapping, ("Statement", len(statements))))

    version_attribute = block.attributes.get("version")
    if version_attribute is not None:
        version_key = ScalarNode(reader.span(version_attribute.key), ("Version",), value="Version")
        version: Node = reader.value(version_attribute.expression, ("Version",))
    else:
        version_key = ScalarNode(block.header, ("Version",), value="Version")
        version = ScalarNode(block.header, ("Version",), value=VERSION_2012)
    statement_key = ScalarNode(block.header, ("Statement",), value="Statement")
    root = MappingNode(
        block.span,
        (),
        pairs=[(version_key, version), (statement_key, SequenceNode(block.span, ("Statement",), items=statements))],
    )

    result = DocumentSource(root)
    for name, target in (
        ("source_policy_documents", result.sources),
        ("source_json", result.sources),
        ("override_policy_documents", result.overrides),
        ("override_json", result.overrides),
        ("override_policy_document", result.overrides),
    ):
        attribute = block.attributes.get(name)
        if attribute is not None:
            target.extend(reader.references(attribute.expression))
    return result


def _dynamic_content(block: Block) -> Block | None:
    for_each = block.attributes.get("for_each")
    if for_each is not None and _empty_literal(for_each.expression):
        return None
    contents = block.nested("content")
    return contents[0] if contents else None


def _empty_literal(expression: Any) -> bool:
    text = expression.text.decode("utf-8") if expression.text else ""
    return text.replace(" ", "") in ("[]", "{}")


def _block_mapping(reader: HclReader, block: Block, path: tuple[PathPart, ...]) -> MappingNode:
    """Turn a statement block into a mapping with Terraform's attribute names.

    ``condition`` and ``principals`` blocks, static or dynamic, become lists
    of mappings under their block type.
    """
    pairs: list[tuple[ScalarNode, Node]] = []
    for name, attribute in block.attributes.items():
        element = TERRAFORM_KEYS.get(name, name)
        key = ScalarNode(reader.span(attribute.key), path + (element,), value=name)
        pairs.append((key, reader.value(attribute.expression, path + (element,), policy_variables=True)))
    nested: dict[str, list[Block]] = {}
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            content = _dynamic_content(child)
            if content is not None:
                nested.setdefault(child.labels[0], []).append(content)
        else:
            nested.setdefault(child.type, []).append(child)
    for name, children in nested.items():
        element = {"condition": "Condition", "principals": "Principal", "not_principals": "NotPrincipal"}.get(name, name)
        items: list[Node] = [_block_mapping(reader, child, path + (element,)) for child in children]
        key = ScalarNode(children[0].header, path + (element,), value=name)
        span = Span(children[0].span.start, children[-1].span.end)
        pairs.append((key, SequenceNode(span, path + (element,), items=items)))
    return MappingNode(block.span, path, pairs=pairs)


def _statement(reader: HclReader, mapping: MappingNode, path: tuple[PathPart, ...]) -> MappingNode:
    """Rewrite a statement mapping in Terraform's schema into IAM policy elements."""
    pairs: list[tuple[ScalarNode, Node]] = []
    for key, value in mapping.pairs:
        if key.value in ("principals", "not_principals"):
            value = _principals(value, key.path)
        elif key.value == "condition":
            value = _known_tests(value)
        pairs.append((key, value))
    statement = terraform_statement(MappingNode(mapping.span, path, pairs=pairs))
    _set_paths(statement, path)
    return statement


def _set_paths(node: Node, path: tuple[PathPart, ...]) -> None:
    """Give a rewritten statement the JSONPaths of the policy elements it now contains."""
    node.path = path
    if isinstance(node, MappingNode):
        for key, value in node.pairs:
            key.path = path + (str(key.value),)
            _set_paths(value, key.path)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.items):
            _set_paths(item, path + (index,))


def _principals(value: Node, path: tuple[PathPart, ...]) -> Node:
    """Turn ``principals`` blocks (type, identifiers) into a Principal mapping such as {"AWS": [...]}."""
    blocks = value.items if isinstance(value, SequenceNode) else [value]
    pairs: list[tuple[ScalarNode, Node]] = []
    for block in blocks:
        if not isinstance(block, MappingNode):
            continue
        kind, identifiers = block.get("type"), block.get("identifiers")
        if isinstance(kind, ScalarNode) and not is_unknown(kind) and identifiers is not None:
            pairs.append((ScalarNode(kind.span, path + (str(kind.value),), value=str(kind.value)), identifiers))
    return MappingNode(value.span, path, pairs=pairs)


def _known_tests(value: Node) -> Node:
    """Drop condition blocks whose ``test`` or ``variable`` is computed by Terraform."""
    if not isinstance(value, SequenceNode):
        return value
    kept = [
        block
        for block in value.items
        if isinstance(block, MappingNode) and not is_unknown(block.get("test")) and not is_unknown(block.get("variable"))
    ]
    return SequenceNode(value.span, value.path, items=kept)


# -- unknown values ------------------------------------------------------------------


def prune_policy(root: MappingNode) -> MappingNode | None:
    """Decide what unknown values do to a policy tree; return None when nothing is left to check.

    - A statement whose Effect is unknown, or whose Action, NotAction,
      Resource or NotResource has no known item, is left out: what it allows
      or denies cannot be known. Unknown items of a list are dropped.
    - A condition test whose values are all unknown is dropped, so the
      statement is checked as if that test held. This matches how the
      evaluator treats a test on a key a scenario leaves open.
    - An unknown Sid, Version or principal is dropped.

    NOTE: the model has no unknown value, so a list with some known items
    is checked with those items alone, which narrows a NotAction.
    """
    statement = root.get("Statement")
    if statement is None or is_unknown(statement):
        return None
    pairs: list[tuple[ScalarNode, Node]] = []
    for key, value in root.pairs:
        if is_unknown(value):
            continue
        if key.value == "Statement":
            items = value.items if isinstance(value, SequenceNode) else [value]
            kept = [item for item in items if not is_unknown(item) and (not isinstance(item, MappingNode) or _prune_statement(item))]
            if isinstance(value, SequenceNode):
                value = SequenceNode(value.span, value.path, items=kept)
            elif not kept:
                continue
        pairs.append((key, value))
    root.pairs = pairs
    return root


def _prune_statement(node: MappingNode) -> bool:
    pairs: list[tuple[ScalarNode, Node]] = []
    for key, value in node.pairs:
        name = key.value
        if name == "Effect" and is_unknown(value):
            return False
        if name in _ACTION_AND_RESOURCE:
            if is_unknown(value):
                return False
            if isinstance(value, SequenceNode):
                known = [item for item in value.items if not is_unknown(item)]
                if not known and value.items:
                    return False
                value.items = known
        elif name in ("Principal", "NotPrincipal"):
            known = _drop_unknown(value)
            value = known if known is not None else MappingNode(value.span, value.path)
        elif name == "Condition":
            value = _prune_condition(value)
            if value is None:
                continue
        elif is_unknown(value):
            continue
        pairs.append((key, value))
    node.pairs = pairs
    return True


def _prune_condition(condition: Node) -> Node | None:
    if not isinstance(condition, MappingNode):
        return None if is_unknown(condition) else condition
    operators: list[tuple[ScalarNode, Node]] = []
    for operator, block in condition.pairs:
        if is_unknown(block):
            continue
        if isinstance(block, MappingNode):
            tests = []
            for key, values in block.pairs:
                known = _drop_unknown(values)
                if known is not None:
                    tests.append((key, known))
            if not tests:
                continue
            block = MappingNode(block.span, block.path, pairs=tests)
        operators.append((operator, block))
    if not operators:
        return None
    return MappingNode(condition.span, condition.path, pairs=operators)


def _drop_unknown(node: Node) -> Node | None:
    """Remove unknown items from a value; return None when nothing known is left."""
    if is_unknown(node):
        return None
    if isinstance(node, SequenceNode):
        known = [item for item in node.items if not is_unknown(item)]
        if node.items and not known:
            return None
        return SequenceNode(node.span, node.path, items=known)
    if isinstance(node, MappingNode):
        pairs = [(key, kept) for key, value in node.pairs if (kept := _drop_unknown(value)) is not None]
        return MappingNode(node.span, node.path, pairs=pairs)
    return node
