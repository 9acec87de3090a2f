"""Text edits at node spans: the building blocks of rule fixes.

A rule that offers a fix builds its edits with a ``SourceEditor``. The editor
reads the source text under a node's span and returns edits that keep the
file's layout: quotes, indentation, list style and line endings.

Every helper returns None when it cannot make a minimal edit safely:

- the document's syntax has no renderer here (only ``json``, ``yaml`` and
  ``terraform``);
- the node was not read from a literal at its span, as with a value that a
  CloudFormation function produces, a policy kept inside a string, or a
  Terraform value built by an interpolation or read by ``file()``;
- the node carries a YAML tag (``!Ref``, ``!Sub``), or is a block scalar.

In a Terraform file, a node has one of two syntaxes. Inside a heredoc the
policy is JSON, except that a ``${`` the fix writes must be escaped as
``$${`` (and ``%{`` as ``%%{``), because Terraform would read it as an
interpolation. Everywhere else (``jsonencode`` objects and
``aws_iam_policy_document`` blocks) the node is HCL: double-quoted strings
with the same escapes, lists with commas, and objects whose pairs
(``key = value`` or ``"key" : value``) are separated by newlines or commas.

The fix runner lints the edited text again before anything is written, so
a helper that returns an edit need not prove the result parses.

A node that YAML aliases share is edited at its anchor, so the change
applies to every alias. That is what the YAML means, but the diff shows
only the anchor's line.
"""

from __future__ import annotations

import json
import re
import weakref
from bisect import bisect_right
from collections import Counter
from typing import Sequence

import yaml

from mfalint.document import Document
from mfalint.loaders.terraform_hcl import decode_heredoc, decode_quoted
from mfalint.loaders.terraform_policies import HEREDOC_SPANS
from mfalint.findings import Edit
from mfalint.model import Condition, Statement
from mfalint.nodes import MappingNode, Node, ScalarNode, SequenceNode
from mfalint.positions import Position, Span

__all__ = ["SUPPORTED_FORMATS", "SourceEditor", "editor_for", "rename_condition_operator"]

# Document formats whose literals this module can read and write.
SUPPORTED_FORMATS = ("json", "yaml", "terraform")

# Separator of two items of a flow list or object that new items may copy:
# a comma with whitespace (line breaks included) around it, and no comment.
_ITEM_SEPARATOR = re.compile(r"\s*,\s*")
# Separator of a key and its value on one line.
_KEY_SEPARATOR = re.compile(r"[ \t]*:[ \t]*")
# Separator of two pairs of an HCL object: a comma, or only line breaks.
_HCL_PAIR_SEPARATOR = re.compile(r"\s*,\s*|[ \t]*(?:\r?\n[ \t]*)+")
# Separator of an HCL object key and its value: "=" or ":".
_HCL_KEY_SEPARATOR = re.compile(r"[ \t]*[=:][ \t]*")
# Tokens of a quoted HCL string that matter for reading it as a literal: a
# backslash escape, the escapes "$${" and "%%{", and the starts of an
# interpolation or directive, or a quote that ends the string early.
_HCL_STRING_TOKEN = re.compile(r'\\.|\$\$\{|%%\{|\$\{|%\{|"', re.DOTALL)
_HEREDOC_TOKEN = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_HCL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HCL_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The text before a YAML block item or key on its line: indentation and the
# dashes of enclosing sequence items (``- - item``).
_BLOCK_PREFIX = re.compile(r"[ \t]*(?:-[ \t]+)*")

# A YAML anchor (&name) or tag (!Ref) and the whitespace after it.
_PROPERTY = re.compile(r"[&!]\S*\s+")

_EDITORS: weakref.WeakKeyDictionary[Document, SourceEditor] = weakref.WeakKeyDictionary()


def editor_for(document: Document) -> SourceEditor:
    """Return the SourceEditor of a document, creating it on first use."""
    editor = _EDITORS.get(document)
    if editor is None:
        editor = _EDITORS[document] = SourceEditor(document)
    return editor


def rename_condition_operator(document: Document, statement: Statement, condition: Condition, operator: str) -> Edit | None:
    """Rename the operator of one condition test, such as ``Bool`` to ``BoolIfExists``.

    Returns None when the rename would change more than this test: the
    operator's block tests other keys too, or the Condition already has a
    block under the new name (the two would become duplicate keys), except
    for the separate condition blocks of an aws_iam_policy_document. A set
    qualifier (``ForAnyValue:``) is left for the rules that report it.
    """
    block = statement.node.get("Condition")
    if condition.operator.qualifier or not isinstance(block, MappingNode):
        return None
    tests = next((value for key, value in block.pairs if key is condition.operator_node), None)
    if not isinstance(tests, MappingNode) or len(tests.pairs) != 1:
        return None
    editor = editor_for(document)
    # The ``test`` of an aws_iam_policy_document condition block is a value, not
    # a key, and other blocks under the new name are separate blocks.
    block_test = editor.syntax_of(condition.operator_node) == "hcl" and not editor.is_object_key(condition.operator_node)
    if not block_test and any(str(key.value).lower() == operator.lower() for key, _ in block.pairs):
        return None
    return editor.rename_key(condition.operator_node, operator)


def _same_value(loaded: object, value: object) -> bool:
    # True == 1 in Python, so compare types as well.
    return type(loaded) is type(value) and loaded == value


def _yaml_plain_ok(value: str) -> bool:
    """Return True when ``value`` reads back as the same string unquoted, in block and flow context."""
    if not value or value != value.strip() or "\n" in value or "\r" in value:
        return False
    try:
        block = yaml.safe_load(f"key: {value}\n")
        flow = yaml.safe_load(f"[{value}]\n")
    except yaml.YAMLError:
        return False
    return block == {"key": value} and flow == [value]


def _read_hcl_literal(source: str) -> tuple[object, str] | None:
    """Read an HCL literal: a quoted string without interpolations, a bare identifier, a boolean or a number.

    Returns the value and the escape of ``${`` in it: ``$${`` for a string,
    "" for another literal. Returns None for anything else, such as a
    template with an interpolation or a heredoc.
    """
    if len(source) >= 2 and source[0] == '"' and source[-1] == '"' and "\n" not in source:
        inner = source[1:-1]
        if "$$$" in inner or "%%%" in inner:
            return None  # a run of escape characters whose reading would be a guess
        for match in _HCL_STRING_TOKEN.finditer(inner):
            if match.group(0) in ("${", "%{", '"'):
                return None
        return decode_quoted(inner), "$${"
    if source in ("true", "false"):
        return source == "true", ""
    if _HCL_NUMBER.fullmatch(source):
        if source.lstrip("-").isdigit():
            return int(source), ""
        return float(source), ""
    if _HCL_IDENTIFIER.fullmatch(source):
        return source, ""
    return None


def _render_hcl_string(value: str, variable_escape: str = "$${") -> str:
    """Render a quoted HCL string, writing ``${`` as ``variable_escape`` (``$${`` or ``&{``) and ``%{`` as ``%%{``."""
    pieces = []
    for character in value:
        if character in _HCL_ESCAPES:
            pieces.append(_HCL_ESCAPES[character])
        elif not character.isprintable() and character != " ":
            pieces.append(f"\\u{ord(character):04x}" if ord(character) <= 0xFFFF else f"\\U{ord(character):08x}")
        else:
            pieces.append(character)
    text = "".join(pieces).replace("${", variable_escape).replace("%{", "%%{")
    return '"' + text + '"'


def _render_heredoc_json(value: str) -> str:
    """Render a JSON string for a heredoc, where Terraform reads ``${`` and ``%{`` as template syntax."""
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")




class SourceEditor:
    """Edits of one document's text, each keyed on a node's span."""

    def __init__(self, document: Document) -> None:
        # The editor is the value of a weak mapping keyed on the document, so it
        # must not refer to the document, or neither would ever be freed.
        self._lines = document.lines
        self._roots = document.roots
        self.text = document.text
        self.syntax = document.format if document.format in SUPPORTED_FORMATS else None
        self._starts = self._lines.starts
        self._quote: str | None = None
        # Paths under a duplicate key: which of the values counts depends on the reader, so none is edited.
        self._duplicated = [problem.jsonpath for problem in document.problems if problem.code == "IAM015"]
        # Offset ranges of the heredocs whose JSON the Terraform loader read.
        self._heredocs = [
            (self._offset(span.start), self._offset(span.end)) for span in document.facts.get(HEREDOC_SPANS, [])
        ]

    def syntax_of(self, node: Node) -> str | None:
        """Return the syntax of a node's text: json, yaml, hcl, heredoc (JSON in a Terraform heredoc) or None."""
        if self.syntax != "terraform":
            return self.syntax
        offset = self._offset(node.span.start)
        if any(start <= offset < end for start, end in self._heredocs):
            return "heredoc"
        return "hcl"

    # -- public helpers ------------------------------------------------------

    def replace_scalar(self, node: Node, value: str, *, quoted: bool = False) -> Edit | None:
        """Replace a string, number or boolean with the string ``value``, in the node's own style.

        JSON writes a JSON string. YAML keeps the node's quotes, and writes a
        plain scalar unquoted unless ``quoted`` is set or the value would then
        read back as something else (``2012-10-17`` reads as a date). A YAML
        anchor before the value stays in place.
        """
        if self.syntax is None or not isinstance(node, ScalarNode) or not self._is_literal(node):
            return None
        if self._under_duplicate_key(node):
            return None
        start, end = self._value_start(node), self._offset(node.span.end)
        syntax = self.syntax_of(node)
        if syntax == "json":
            rendered = json.dumps(value, ensure_ascii=False)
        elif syntax == "heredoc":
            rendered = _render_heredoc_json(value)
        elif syntax == "hcl":
            rendered = self._render_hcl_scalar(node, value)
        else:
            style = self._yaml_style(node)
            if quoted and style == "plain":
                style = self.preferred_quote()
            rendered = self._render_yaml(value, style)
        if rendered is None or rendered == self.text[start:end]:
            return None
        return self._edit(start, end, rendered)

    def replace_string_tail(self, node: Node, marker: str, tail: str) -> Edit | None:
        """Replace what follows the last ``marker`` in a Terraform string with ``tail``.

        It serves strings that ``replace_scalar`` rejects because an
        interpolation comes before the marker, such as
        ``"arn:aws:iam::${var.account_id}:mfa/&{aws:username}"``. The text
        after the marker must read as the end of the node's value, so only
        literal text and escaped policy variables are replaced. Returns None
        otherwise, and for JSON and YAML strings.
        """
        if not isinstance(node, ScalarNode) or not isinstance(node.value, str) or self._under_duplicate_key(node):
            return None
        syntax = self.syntax_of(node)
        if syntax not in ("hcl", "heredoc"):
            return None
        start, end = self._value_start(node), self._offset(node.span.end)
        source = self.text[start:end]
        marker_at = source.rfind(marker)
        value_at = node.value.rfind(marker)
        if len(source) < 2 or source[0] != '"' or source[-1] != '"' or marker_at < 1 or value_at == -1:
            return None
        old_tail = '"' + source[marker_at + len(marker) : -1] + '"'
        expected = node.value[value_at + len(marker) :]
        if syntax == "hcl":
            read = _read_hcl_literal(old_tail)
            if read is None or not isinstance(read[0], str):
                return None
            if read[0] == expected:
                escape = "$${"
            elif read[0].replace("&{", "${") == expected:
                escape = "&{"  # aws_iam_policy_document's escape of a policy variable
            else:
                return None
            rendered = _render_hcl_string(tail, escape)
        else:
            if any(match.group(0) in ("${", "%{") for match in _HEREDOC_TOKEN.finditer(old_tail)):
                return None
            try:
                if json.loads(decode_heredoc(old_tail)) != expected:
                    return None
            except ValueError:
                return None
            rendered = _render_heredoc_json(tail)
        tail_start = start + marker_at + len(marker)
        if rendered == old_tail:
            return None
        return self._edit(tail_start, end - 1, rendered[1:-1])

    def rename_key(self, key: Node, name: str) -> Edit | None:
        """Rename a mapping key, keeping its quotes."""
        return self.replace_scalar(key, name)

    def add_to_sequence(self, node: Node, values: Sequence[str]) -> tuple[Edit, ...] | None:
        """Add strings to a list, or turn a string into a list that contains it and them.

        Values already in the list (compared case-insensitively) are skipped.
        A list whose string items are in case-insensitive order gets each new
        value at its sorted place, and any other list gets them at its end.
        New items copy their neighbours' quotes and the separator between
        items, so a one-item-per-line list stays one item per line with the
        same indentation, and an inline list stays inline.
        """
        if self.syntax is None or self._under_duplicate_key(node):
            return None
        if isinstance(node, ScalarNode):
            return self._scalar_to_sequence(node, values)
        if not isinstance(node, SequenceNode):
            return None
        layout = self._container_layout(node)
        if layout is None:
            return None
        present = {str(item.value).lower() for item in node.items if isinstance(item, ScalarNode)}
        new_values = list(dict.fromkeys(value for value in values if value.lower() not in present))
        if not new_values:
            return None
        texts = [item.value if isinstance(item, ScalarNode) and isinstance(item.value, str) else None for item in node.items]
        in_order = all(text is not None for text in texts) and [t.lower() for t in texts] == sorted(t.lower() for t in texts)
        keys = [text.lower() for text in texts] if in_order else []
        groups: dict[int, list[str]] = {}
        for value in sorted(new_values, key=str.lower) if in_order else new_values:
            index = bisect_right(keys, value.lower()) if in_order else len(node.items)
            groups.setdefault(index, []).append(self._render_item(node, value))
        if layout == "flow":
            starts = [self._offset(item.span.start) for item in node.items]
            return self._flow_insert(node, starts, [self._content_end(item) for item in node.items], groups)
        return self._block_sequence_insert(node, groups)

    def insert_key(self, mapping: Node, key: str, value: str, index: int = 0) -> Edit | None:
        """Insert ``key: value`` (both strings) as the pair at ``index`` of a mapping.

        The new pair copies the neighbouring keys' quotes, the separator after
        them and their indentation. In YAML a value that would read back as
        something else unquoted, such as a date, is quoted with the quote
        character most used in the file.
        """
        if self.syntax is None or not isinstance(mapping, MappingNode):
            return None
        if self._under_duplicate_key(mapping) or key in mapping.keys():
            return None
        if any(not isinstance(key_node, ScalarNode) or not self._is_literal(key_node) for key_node, _ in mapping.pairs):
            return None
        layout = self._container_layout(mapping)
        if layout is None:
            return None
        index = max(0, min(index, len(mapping.pairs)))
        pair = self._render_pair(mapping, key, value)
        starts = [self._offset(key_node.span.start) for key_node, _ in mapping.pairs]
        ends = [self._content_end(value_node) for _, value_node in mapping.pairs]
        if layout == "flow":
            edits = self._flow_insert(mapping, starts, ends, {index: [pair]})
            return edits[0] if edits else None
        if index < len(starts):
            prefix = self._block_prefix(starts[index])
            if prefix is None:
                return None
            return self._edit(starts[index], starts[index], pair + self._newline_at(starts[index]) + prefix)
        prefix = self._block_prefix(starts[-1])
        if prefix is None:
            return None
        at = self._line_end(ends[-1])
        return self._edit(at, at, self._newline_at(at) + prefix + pair)

    def preferred_quote(self) -> str:
        """Return the quote character most used by the document's quoted YAML scalars (``"`` by default)."""
        if self._quote is None:
            counts: Counter[str] = Counter()
            for node in self._scalars():
                if node.quoted and self.syntax == "yaml":
                    first = self.text[self._value_start(node) : self._value_start(node) + 1]
                    if first in ("'", '"'):
                        counts[first] += 1
            self._quote = "'" if counts["'"] > counts['"'] else '"'
        return self._quote

    def _under_duplicate_key(self, node: Node) -> bool:
        path = node.jsonpath
        return any(path == duplicated or path.startswith((duplicated + ".", duplicated + "[")) for duplicated in self._duplicated)

    # -- positions -----------------------------------------------------------

    def _offset(self, position: Position) -> int:
        line = max(1, min(position.line, len(self._starts)))
        return min(self._starts[line - 1] + position.column - 1, len(self.text))

    def _edit(self, start: int, end: int, new_text: str) -> Edit:
        lines = self._lines
        return Edit(Span(lines.position_of_offset(start), lines.position_of_offset(end)), new_text)

    def _line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def _line_end(self, offset: int) -> int:
        """Return the offset of the line ending after ``offset`` (before any ``\\r``), or the end of the text.

        An offset at the start of a line (where a block scalar ends) counts as
        the end of the line before it.
        """
        if offset > 0 and self.text[offset - 1] == "\n":
            offset -= 1
        else:
            found = self.text.find("\n", offset)
            offset = len(self.text) if found == -1 else found
        if offset > 0 and self.text[offset - 1] == "\r" and offset < len(self.text):
            offset -= 1
        return offset

    def _newline_at(self, offset: int) -> str:
        """Return the line ending used near ``offset``: that of its own line, else the nearest one."""
        found = self.text.find("\n", offset)
        if found == -1:
            found = self.text.rfind("\n", 0, offset)
        if found > 0 and self.text[found - 1] == "\r":
            return "\r\n"
        return "\n"

    def _indentation(self, offset: int) -> str:
        start = self._line_start(offset)
        line = self.text[start:]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def _block_prefix(self, offset: int) -> str | None:
        """Return the indentation that puts a new line's item or key in the same column as the one at ``offset``.

        Returns None when the text before it on its line is not indentation
        and sequence dashes (a ``---`` marker, for example).
        """
        start = self._line_start(offset)
        before = self.text[start:offset]
        if _BLOCK_PREFIX.fullmatch(before) is None:
            return None
        if not before.strip():
            return before
        return " " * len(before)

    # -- reading literals ----------------------------------------------------

    def _value_start(self, node: Node) -> int:
        """Return the offset where a node's value starts, after any YAML anchor or tag."""
        return self._properties(node)[1]

    def _properties(self, node: Node) -> tuple[bool, int]:
        """Return whether a YAML tag is at the start of a node's span, and where its value starts."""
        offset = self._offset(node.span.start)
        tagged = False
        if self.syntax != "yaml":
            return tagged, offset
        while offset < len(self.text) and self.text[offset] in "&!":
            match = _PROPERTY.match(self.text, offset)
            if match is None:
                break
            tagged = tagged or self.text[offset] == "!"
            offset = match.end()
        return tagged, offset

    def _tagged(self, node: Node) -> bool:
        """Return True for a node with a YAML tag, in the tree or in the text.

        A loader that resolves tags (CloudFormation's ``!If``, ``!Split``)
        gives the node it builds the tagged text's span, but no tag.
        """
        return node.tag is not None or self._properties(node)[0]

    def _yaml_style(self, node: ScalarNode) -> str:
        first = self.text[self._value_start(node) : self._value_start(node) + 1]
        if first in ("'", '"'):
            return first
        if first in ("|", ">"):
            return "block"
        return "plain"

    def _is_literal(self, node: ScalarNode) -> bool:
        """Return True when the text at the node's span is a literal of the node's own value."""
        if self._tagged(node):
            return False
        start, end = self._value_start(node), self._offset(node.span.end)
        if not 0 <= start < end <= len(self.text):
            return False
        source = self.text[start:end]
        syntax = self.syntax_of(node)
        if syntax == "hcl":
            return self._hcl_variable_escape(node) is not None
        if syntax == "heredoc":
            if any(match.group(0) in ("${", "%{") for match in _HEREDOC_TOKEN.finditer(source)):
                return False  # an interpolation inside the string
            source = decode_heredoc(source)
        if syntax in ("json", "heredoc"):
            try:
                return _same_value(json.loads(source), node.value)
            except ValueError:
                return False
        style = self._yaml_style(node)
        if style == "block":
            return False
        if style == "plain":
            if "\n" in source or source != source.strip():
                return False
            if isinstance(node.value, str):
                return source == node.value
        try:
            return _same_value(yaml.safe_load(source), node.value)
        except yaml.YAMLError:
            return False

    def _hcl_variable_escape(self, node: ScalarNode) -> str | None:
        """Return the escape an HCL literal uses for ``${``: "$${", "&{", or "" for a non-string.

        Returns None when the text at the node's span is not a literal of its
        value. ``aws_iam_policy_document`` turns ``&{`` into ``${``, so a string
        whose text reads as the value only after that change uses ``&{``.
        """
        source = self.text[self._value_start(node) : self._offset(node.span.end)]
        read = _read_hcl_literal(source)
        if read is None:
            return None
        value, escape = read
        if _same_value(value, node.value):
            return escape
        if escape and isinstance(value, str) and "&{" in value and value.replace("&{", "${") == node.value:
            return "&{"
        return None

    def _render_hcl_scalar(self, node: ScalarNode, value: str) -> str:
        """Render a string in place of an HCL literal: a bare key stays bare when the new name is an identifier."""
        source = self.text[self._value_start(node) : self._offset(node.span.end)]
        escape = self._hcl_variable_escape(node) or "$${"
        if _HCL_IDENTIFIER.fullmatch(source) and _HCL_IDENTIFIER.fullmatch(value) and self.is_object_key(node):
            return value
        return _render_hcl_string(value, escape)

    def is_object_key(self, node: ScalarNode) -> bool:
        """Return True when the text after a node is a key separator (``=`` or ``:``) of an HCL object."""
        rest = self.text[self._offset(node.span.end) :].lstrip(" \t")
        return rest[:1] == ":" or (rest[:1] == "=" and rest[:2] != "==")

    def _container_layout(self, node: SequenceNode | MappingNode) -> str | None:
        """Return "flow" for ``[...]`` or ``{...}`` (JSON, YAML flow), "block" for a YAML block collection, else None.

        None also when the children's spans are not in order inside the
        container, as for a node that a loader built from several places.
        """
        if self._tagged(node):
            return None
        start = self._value_start(node)
        opener = self.text[start : start + 1]
        children = node.items if isinstance(node, SequenceNode) else [key for key, _ in node.pairs]
        offsets = [self._offset(child.span.start) for child in children]
        if offsets != sorted(offsets) or len(set(offsets)) != len(offsets) or any(offset < start for offset in offsets):
            return None
        if opener == ("[" if isinstance(node, SequenceNode) else "{"):
            end = self._offset(node.span.end)
            if self.text[end - 1 : end] != ("]" if opener == "[" else "}") or any(offset >= end for offset in offsets):
                return None
            return "flow"
        if self.syntax != "yaml" or not children:
            return None
        if isinstance(node, SequenceNode):
            return "block" if opener == "-" and all(self._dash_of(child) is not None for child in children) else None
        return "block" if offsets[0] == start else None

    def _content_end(self, node: Node) -> int:
        """Return the offset just past a node's own text.

        A YAML block collection's span runs to the next token, possibly lines
        later, so its content ends with its last child's.
        """
        end = self._offset(node.span.end)
        if self.syntax != "yaml" or isinstance(node, ScalarNode):
            return end
        opener = self.text[self._value_start(node) : self._value_start(node) + 1]
        if opener in ("[", "{"):
            return end
        if isinstance(node, SequenceNode) and node.items:
            return self._content_end(node.items[-1])
        if isinstance(node, MappingNode) and node.pairs:
            return self._content_end(node.pairs[-1][1])
        return self._offset(node.span.start)

    def _dash_of(self, item: Node) -> int | None:
        """Return the offset of the ``-`` that introduces a YAML block sequence item."""
        offset = self._offset(item.span.start) - 1
        while offset >= 0 and self.text[offset] in " \t":
            offset -= 1
        if offset >= 0 and self.text[offset] == "-":
            return offset
        return None

    def _scalars(self):
        stack = list(self._roots)
        while stack:
            node = stack.pop()
            if isinstance(node, ScalarNode):
                yield node
            elif isinstance(node, SequenceNode):
                stack.extend(node.items)
            elif isinstance(node, MappingNode):
                for key, value in node.pairs:
                    stack.extend((key, value))

    # -- writing literals ----------------------------------------------------

    def _render_yaml(self, value: str, style: str) -> str:
        """Render a YAML string in ``style`` (plain, ' or "), quoting a plain value that would read back as something else."""
        if style == "plain":
            if _yaml_plain_ok(value):
                return value
            style = self.preferred_quote()
        if style == "'" and value.isprintable():
            return "'" + value.replace("'", "''") + "'"
        # JSON string escapes are a subset of YAML's double-quoted escapes.
        return json.dumps(value, ensure_ascii=False)

    def _sibling_style(self, nodes: Sequence[Node]) -> str:
        """Return the YAML style most used by the scalars among ``nodes`` (plain when there are none)."""
        styles = Counter(self._yaml_style(node) for node in nodes if isinstance(node, ScalarNode))
        styles.pop("block", None)
        if not styles:
            return "plain"
        return styles.most_common(1)[0][0]

    def _render_string(self, node: Node, value: str) -> str | None:
        """Render a new string beside ``node`` in JSON, a heredoc or HCL.

        Returns None for YAML, where the caller picks a style from the siblings.
        """
        syntax = self.syntax_of(node)
        if syntax == "json":
            return json.dumps(value, ensure_ascii=False)
        if syntax == "heredoc":
            return _render_heredoc_json(value)
        if syntax == "hcl":
            return _render_hcl_string(value)
        return None

    def _render_item(self, sequence: SequenceNode, value: str) -> str:
        rendered = self._render_string(sequence, value)
        if rendered is not None:
            return rendered
        return self._render_yaml(value, self._sibling_style(sequence.items))

    def _render_pair(self, mapping: MappingNode, key: str, value: str) -> str:
        syntax = self.syntax_of(mapping)
        if syntax == "hcl":
            return self._render_hcl_pair(mapping, key, value)
        if syntax in ("json", "heredoc"):
            key_text, value_text = self._render_string(mapping, key), self._render_string(mapping, value)
            assert key_text is not None and value_text is not None
        else:
            key_text = self._render_yaml(key, self._sibling_style([key_node for key_node, _ in mapping.pairs]))
            values = [value_node for _, value_node in mapping.pairs if isinstance(value_node, ScalarNode)]
            value_text = self._render_yaml(value, self._sibling_style(values) if values else "plain")
        separator = ": "
        for key_node, value_node in mapping.pairs:
            between = self.text[self._offset(key_node.span.end) : self._value_start(value_node)]
            if _KEY_SEPARATOR.fullmatch(between) and (syntax != "yaml" or between.endswith((" ", "\t"))):
                separator = between
                break
        return key_text + separator + value_text

    def _render_hcl_pair(self, mapping: MappingNode, key: str, value: str) -> str:
        """Render ``key = value`` for an HCL object, bare or quoted like the other keys, with their separator."""
        keys = [self.text[self._offset(key_node.span.start) : self._offset(key_node.span.end)] for key_node, _ in mapping.pairs]
        bare = bool(keys) and all(_HCL_IDENTIFIER.fullmatch(text) for text in keys) and _HCL_IDENTIFIER.fullmatch(key)
        key_text = key if bare else _render_hcl_string(key)
        separator = " = "
        for key_node, value_node in mapping.pairs:
            between = self.text[self._offset(key_node.span.end) : self._value_start(value_node)]
            if _HCL_KEY_SEPARATOR.fullmatch(between):
                # Padding that aligns the "=" of other keys would not fit this key.
                separator = " : " if ":" in between else " = "
                break
        return key_text + separator + _render_hcl_string(value)

    # -- inserting -----------------------------------------------------------

    def _flow_insert(self, node: Node, starts: list[int], ends: list[int], groups: dict[int, list[str]]) -> tuple[Edit, ...] | None:
        """Insert rendered items into ``[...]`` or ``{...}``.

        ``starts`` and ``ends`` are the offsets of the existing items (or
        pairs), and ``groups`` maps an index to the items that go before the
        existing item at that index.
        """
        open_at = self._value_start(node)
        close_at = self._offset(node.span.end) - 1
        if not starts:
            inner = self.text[open_at + 1 : close_at]
            if inner.strip():
                return None  # a comment inside an empty YAML flow collection
            return (self._edit(open_at + 1, close_at, ", ".join(text for index in sorted(groups) for text in groups[index])),)

        separators = [self.text[ends[index] : starts[index + 1]] for index in range(len(starts) - 1)]
        hcl_object = isinstance(node, MappingNode) and self.syntax_of(node) == "hcl"
        pattern = _HCL_PAIR_SEPARATOR if hcl_object else _ITEM_SEPARATOR
        clean = [separator if pattern.fullmatch(separator) else None for separator in separators]
        if "\n" in self.text[open_at : starts[0]]:
            # HCL object pairs on their own lines need no comma.
            comma = "" if hcl_object else ","
            fallback = comma + self._newline_at(starts[0]) + self._indentation(starts[0])
        else:
            fallback = ", "

        def separator_near(index: int) -> str:
            # The separator between items index - 1 and index, or the nearest one.
            for candidate in (index - 1, index, index - 2):
                if 0 <= candidate < len(clean) and clean[candidate] is not None:
                    return clean[candidate]
            return fallback

        edits = []
        for index in sorted(groups):
            separator = separator_near(index)
            items = separator.join(groups[index])
            if index == 0:
                edits.append(self._edit(starts[0], starts[0], items + separator))
            else:
                at = ends[index - 1]
                edits.append(self._edit(at, at, separator + items))
        return tuple(edits)

    def _block_sequence_insert(self, node: SequenceNode, groups: dict[int, list[str]]) -> tuple[Edit, ...] | None:
        edits = []
        for index in sorted(groups):
            neighbour = node.items[min(index, len(node.items) - 1)]
            dash = self._dash_of(neighbour)
            if dash is None:
                return None
            prefix = self._block_prefix(dash)
            if prefix is None:
                return None
            gap = self.text[dash + 1 : self._offset(neighbour.span.start)]
            if index < len(node.items):
                newline = self._newline_at(dash)
                text = "".join(f"-{gap}{item}{newline}{prefix}" for item in groups[index])
                edits.append(self._edit(dash, dash, text))
            else:
                at = self._line_end(self._content_end(neighbour))
                newline = self._newline_at(at)
                text = "".join(f"{newline}{prefix}-{gap}{item}" for item in groups[index])
                edits.append(self._edit(at, at, text))
        return tuple(edits)

    def _scalar_to_sequence(self, node: ScalarNode, values: Sequence[str]) -> tuple[Edit, ...] | None:
        """Replace a string with an inline list of it and ``values``, in case-insensitive order."""
        if not isinstance(node.value, str) or not self._is_literal(node):
            return None
        start, end = self._value_start(node), self._offset(node.span.end)
        if start != self._offset(node.span.start):
            return None  # an anchored string: aliases would turn into lists too
        new_values = [value for value in dict.fromkeys(values) if value.lower() != node.value.lower()]
        if not new_values:
            return None
        existing = self.text[start:end]
        if self.syntax_of(node) != "yaml":
            entries = [(value, self._render_string(node, value) or "") for value in new_values]
        else:
            style = self._yaml_style(node)
            if style == "plain" and not _yaml_plain_ok(node.value):
                # A plain string that flow context would read differently, such as one with a comma.
                existing = self._render_yaml(node.value, self.preferred_quote())
            entries = [(value, self._render_yaml(value, style)) for value in new_values]
        entries.append((node.value, existing))
        entries.sort(key=lambda entry: entry[0].lower())
        return (self._edit(start, end, "[" + ", ".join(text for _, text in entries) + "]"),)
