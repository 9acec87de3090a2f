"""Conversions between mfalint's findings and spans and the LSP types.

Every position goes through ``LineIndex.to_lsp`` or ``LineIndex.from_lsp``
with the position encoding negotiated at initialize, so this module never
counts UTF-16 code units itself.
"""

from __future__ import annotations

from typing import Callable

from lsprotocol import types

from mfalint.findings import Edit, Finding, Severity
from mfalint.positions import LineIndex, Position, Span

__all__ = [
    "SOURCE",
    "to_lsp_range",
    "from_lsp_position",
    "to_diagnostic",
    "to_text_edit",
    "workspace_edit",
    "ranges_overlap",
]

SOURCE = "mfalint"

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def to_lsp_range(lines: LineIndex, span: Span, encoding: str) -> types.Range:
    start_line, start_character = lines.to_lsp(span.start, encoding)
    end_line, end_character = lines.to_lsp(span.end, encoding)
    return types.Range(
        start=types.Position(line=start_line, character=start_character),
        end=types.Position(line=end_line, character=end_character),
    )


def from_lsp_position(lines: LineIndex, position: types.Position, encoding: str) -> Position:
    return lines.from_lsp(position.line, position.character, encoding)


def to_diagnostic(
    finding: Finding, lines: LineIndex, encoding: str, docs_url: Callable[[str], str | None]
) -> types.Diagnostic:
    """Build the LSP diagnostic of a finding. ``docs_url`` maps a rule code to its page URL, or to None."""
    href = docs_url(finding.code)
    return types.Diagnostic(
        range=to_lsp_range(lines, finding.span, encoding),
        message=finding.message,
        severity=_SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
    )


def to_text_edit(lines: LineIndex, edit: Edit, encoding: str) -> types.TextEdit:
    return types.TextEdit(range=to_lsp_range(lines, edit.span, encoding), new_text=edit.new_text)


def workspace_edit(
    uri: str, version: int | None, edits: list[types.TextEdit], document_changes: bool
) -> types.WorkspaceEdit:
    """Wrap edits of one document. With ``document_changes``, the client rejects them once the version has moved on."""
    if document_changes:
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


def ranges_overlap(first: types.Range, second: types.Range) -> bool:
    """Return True when two ranges share a position. Touching ends count, so a cursor at an edge matches."""
    first_start = (first.start.line, first.start.character)
    first_end = (first.end.line, first.end.character)
    second_start = (second.start.line, second.start.character)
    second_end = (second.end.line, second.end.character)
    return first_start <= second_end and second_start <= first_end
