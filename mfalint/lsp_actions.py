"""Code actions: each finding's safe fix, and an inline ignore comment where the format has comments."""

from __future__ import annotations

import logging
import re

import yaml
from lsprotocol import types

from mfalint.findings import Edit, Finding
from mfalint.lsp_convert import SOURCE, ranges_overlap, to_text_edit, workspace_edit
from mfalint.lsp_documents import LintResult
from mfalint.positions import LineIndex, Position, Span
from mfalint.runner import INTERNAL_ERROR_CODE

LOG = logging.getLogger(__name__)

__all__ = ["code_actions", "fix_title", "ignore_edit", "comment_blocked_lines"]

# An existing inline suppression, e.g. ``# mfalint: ignore[MFA001, MFA002]``
# (Terraform also takes ``//`` comments).
_IGNORE_COMMENT = re.compile(r"(?:#|//)\s*mfalint:\s*ignore\[(?P<codes>[^\]]*)\]", re.IGNORECASE)
_HEREDOC_START = re.compile(r"<<-?\s*(?P<marker>[A-Za-z_][A-Za-z0-9_]*)\s*$")
_YAML_SUFFIXES = (".yaml", ".yml")
_HCL_SUFFIXES = (".tf", ".hcl")


def _kind_requested(only: list[str] | None) -> bool:
    """Return True when the request's ``only`` filter admits quick fixes."""
    if not only:
        return True
    quick_fix = types.CodeActionKind.QuickFix.value
    return any(kind == "" or kind == quick_fix or quick_fix.startswith(f"{kind}.") for kind in only)


def code_actions(
    result: LintResult, params: types.CodeActionParams, encoding: str, document_changes: bool
) -> list[types.CodeAction]:
    """Return the quick fixes for the findings that overlap the requested range.

    When the client names diagnostics in the request context, only findings
    with one of their codes get actions.
    """
    if not _kind_requested(params.context.only):
        return []
    requested_codes = {
        str(diagnostic.code) for diagnostic in params.context.diagnostics if diagnostic.source in (None, SOURCE)
    }
    actions: list[types.CodeAction] = []
    ignored_lines: set[tuple[str, int]] = set()
    blocked_lines = comment_blocked_lines(result.text, result.name.suffix) if result.name.has_comments else set()

    for finding, diagnostic in zip(result.findings, result.diagnostics):
        if not ranges_overlap(diagnostic.range, params.range):
            continue
        if requested_codes and finding.code not in requested_codes:
            continue
        if finding.fix is not None and finding.fix.safe:
            actions.append(_fix_action(result, finding, diagnostic, encoding, document_changes))
        key = (finding.code, finding.span.start.line)
        if result.name.has_comments and finding.code != INTERNAL_ERROR_CODE and key not in ignored_lines:
            ignored_lines.add(key)
            edit = ignore_edit(result.lines, finding.span.start.line, finding.code, blocked_lines)
            if edit is not None:
                actions.append(
                    types.CodeAction(
                        title=f"Ignore {finding.code} here",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=workspace_edit(
                            result.uri,
                            result.version,
                            [to_text_edit(result.lines, edit, encoding)],
                            document_changes,
                        ),
                    )
                )
    return actions


def _fix_action(
    result: LintResult, finding: Finding, diagnostic: types.Diagnostic, encoding: str, document_changes: bool
) -> types.CodeAction:
    assert finding.fix is not None
    edits = [to_text_edit(result.lines, edit, encoding) for edit in finding.fix.edits]
    return types.CodeAction(
        title=fix_title(finding),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=True,
        edit=workspace_edit(result.uri, result.version, edits, document_changes),
    )


def fix_title(finding: Finding) -> str:
    """Return the quick fix's title, such as ``Fix MFA001: add 'iam:ChangePassword' to the NotAction``.

    The fix's own title starts lower-case after the colon, unless its first
    word is an acronym such as ``IAM``.
    """
    assert finding.fix is not None
    title = finding.fix.title
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        title = title[0].lower() + title[1:]
    return f"Fix {finding.code}: {title}"


def ignore_edit(lines: LineIndex, line: int, code: str, blocked_lines: set[int]) -> Edit | None:
    """Return the edit that suppresses ``code`` on 1-based ``line``, or None when it cannot or need not.

    An existing ``# mfalint: ignore[...]`` comment on the line gets the code
    added to its list. Otherwise the comment goes at the end of the line,
    unless the line is in ``blocked_lines``, where a ``#`` would become part
    of a string.
    """
    text = lines.line_text(line)
    existing = _IGNORE_COMMENT.search(text)
    if existing is not None:
        codes = {item.strip().upper() for item in re.split(r"[,\s]+", existing.group("codes")) if item.strip()}
        if code.upper() in codes:
            return None
        insert_at = Position(line, existing.end("codes") + 1)
        separator = ", " if codes else ""
        return Edit(Span(insert_at, insert_at), f"{separator}{code}")
    if line in blocked_lines:
        return None
    content = text.rstrip()
    # Replace trailing blanks, so the comment sits two spaces after the content.
    span = Span(Position(line, len(content) + 1), Position(line, len(text) + 1))
    gap = "  " if content else ""
    return Edit(span, f"{gap}# mfalint: ignore[{code}]")


def comment_blocked_lines(text: str, suffix: str) -> set[int]:
    """Return the 1-based lines where a comment added at the end would change a value."""
    if suffix in _YAML_SUFFIXES:
        return _yaml_blocked_lines(text)
    if suffix in _HCL_SUFFIXES:
        return _heredoc_lines(text)
    return set()


def _yaml_blocked_lines(text: str) -> set[int]:
    """Lines inside multi-line YAML scalars, and every line from a scan error on.

    In a block scalar (``|`` or ``>``) a ``#`` is content. In a plain or
    quoted scalar that continues on the next line, a comment would cut the
    value short. A quoted scalar's last line is safe, after its closing quote.
    """
    blocked: set[int] = set()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for token in yaml.scan(text, Loader=loader):
            if not isinstance(token, yaml.ScalarToken):
                continue
            first, last = token.start_mark.line, token.end_mark.line
            if first == last:
                continue
            blocked.update(range(first + 1, last + 1))  # marks are 0-based
            if token.style in ("|", ">") and token.end_mark.column > 0:
                blocked.add(last + 1)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        first_unknown = mark.line + 1 if mark is not None else 1
        LOG.debug("YAML scan stopped at line %d: %s", first_unknown, error)
        blocked.update(range(first_unknown, text.count("\n") + 2))
    return blocked


def _heredoc_lines(text: str) -> set[int]:
    """Lines of Terraform heredocs (``<<EOF`` up to the closing marker), whose text is content.

    NOTE: a ``<<EOF`` inside a string or comment is taken for a heredoc too,
    which only hides the ignore action on the lines that follow.
    """
    blocked: set[int] = set()
    marker: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if marker is not None:
            blocked.add(number)
            if line.strip() == marker:
                marker = None
            continue
        start = _HEREDOC_START.search(line.rstrip("\r"))
        if start is not None:
            marker = start.group("marker")
            blocked.add(number)
    return blocked
