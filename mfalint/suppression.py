"""Suppressing findings: inline comments, CloudFormation Metadata and configuration.

Precedence (the first that matches a finding suppresses it, and is the one
counted as used):

1. an inline comment on the line where the finding starts, on a comment line
   right above it, or after a key whose value starts on the next line:
   ``# mfalint: ignore[MFA002]`` (YAML and Terraform; ``//`` works in
   Terraform too); ``# mfalint: ignore`` without codes suppresses every code;
2. a file-wide comment anywhere in the file: ``# mfalint: ignore-file[MFA002]``;
3. CloudFormation resource Metadata: ``Metadata: {mfalint: {ignore: [MFA002]}}``
   suppresses the codes for findings inside that resource;
4. ``per-file-ignores`` in the configuration (glob pattern -> codes);
5. ``per-sid-ignores`` in the configuration (statement Sid -> codes), for
   plain JSON, which has no comments.

Codes may be prefixes (``MFA``). Internal errors (INT001) are never
suppressed. Baselines (``--baseline``) apply after all of these.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Sequence

from mfalint.document import Document
from mfalint.findings import INTERNAL_ERROR_CODE, Finding, Severity
from mfalint.model import Policy
from mfalint.nodes import MappingNode, ScalarNode, SequenceNode
from mfalint.positions import Position, Span

__all__ = [
    "Suppression",
    "collect_suppressions",
    "apply_suppressions",
    "unused_findings",
    "statement_sid",
    "UNUSED_CODE",
    "UNUSED_NAME",
]

UNUSED_CODE = "SUP001"
UNUSED_NAME = "unused-suppression"

_COMMENT = re.compile(r"(?:#|//)\s*mfalint:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?")
_UNSUPPRESSIBLE = (INTERNAL_ERROR_CODE,)


@dataclass(eq=False)
class Suppression:
    """One suppression and the findings it matched."""

    source: str  # "comment", "file-comment", "metadata", "per-file-ignores", "per-sid-ignores"
    codes: tuple[str, ...]  # empty: every code
    span: Span  # where it is written (for comments and Metadata), or the whole file
    lines: tuple[int, int] = (0, 0)  # first and last line it covers; (0, 0) for the whole file
    sid: str | None = None
    used: set[str] = field(default_factory=set)

    def matches(self, finding: Finding, sid: str | None) -> bool:
        if self.sid is not None and self.sid != sid:
            return False
        first, last = self.lines
        if (first, last) != (0, 0) and not first <= finding.span.start.line <= last:
            return False
        return not self.codes or any(finding.code.startswith(code) for code in self.codes)


def _codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(code.strip().upper() for code in text.split(",") if code.strip())


def _comment_suppressions(document: Document) -> list[Suppression]:
    if document.format not in ("yaml", "terraform"):
        return []
    found = []
    lines = document.text.splitlines()
    for number, line in enumerate(lines, start=1):
        match = _COMMENT.search(line)
        if match is None or _inside_string(line, match.start()):
            continue
        kind, codes = match.group(1), _codes(match.group(2))
        span = Span(Position(number, match.start() + 1), Position(number, match.end() + 1))
        if kind == "ignore-file":
            found.append(Suppression("file-comment", codes, span))
            continue
        code = line[: match.start()].rstrip()
        following = next((index for index in range(number + 1, len(lines) + 1) if lines[index - 1].strip()), number)
        if not code:
            # A comment on its own line covers the next line that is not blank,
            # and the line after that when the next line is a key whose value follows.
            after = next((index for index in range(following + 1, len(lines) + 1) if lines[index - 1].strip()), following)
            ends_key = lines[following - 1].split("#", 1)[0].rstrip().endswith((":", "[", "{", "=")) if following <= len(lines) else False
            covered = (following, after if ends_key else following)
        elif code.endswith((":", "[", "{", "=")):
            # After a key whose value starts on the next line, it covers that line too.
            covered = (number, following)
        else:
            covered = (number, number)
        found.append(Suppression("comment", codes, span, covered))
    return found


def _inside_string(line: str, end: int) -> bool:
    """Return True when position ``end`` of a line falls inside a quoted string."""
    quote = None
    for char in line[:end]:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
    return quote is not None


def _metadata_suppressions(document: Document) -> list[Suppression]:
    found = []
    for root in document.roots:
        resources = root.get("Resources") if isinstance(root, MappingNode) else None
        if not isinstance(resources, MappingNode):
            continue
        for _name, resource in resources.pairs:
            if not isinstance(resource, MappingNode):
                continue
            metadata = resource.get("Metadata")
            settings = metadata.get("mfalint") if isinstance(metadata, MappingNode) else None
            ignore = settings.get("ignore") if isinstance(settings, MappingNode) else None
            if ignore is None:
                continue
            items = ignore.items if isinstance(ignore, SequenceNode) else [ignore]
            codes = tuple(str(item.value).upper() for item in items if isinstance(item, ScalarNode))
            lines = (resource.span.start.line, resource.span.end.line)
            found.append(Suppression("metadata", codes, ignore.span, lines))
    return found


def collect_suppressions(
    document: Document,
    per_file_ignores: dict[str, Sequence[str]] | None = None,
    per_sid_ignores: dict[str, Sequence[str]] | None = None,
) -> list[Suppression]:
    """Return the suppressions that apply to one document, in precedence order."""
    whole_file = Span.point(1, 1)
    suppressions = _comment_suppressions(document)
    suppressions.sort(key=lambda item: item.source != "comment")
    suppressions += _metadata_suppressions(document)
    for pattern, codes in (per_file_ignores or {}).items():
        if fnmatch.fnmatch(document.path.replace("\\", "/"), pattern):
            suppressions.append(Suppression("per-file-ignores", tuple(code.upper() for code in codes), whole_file))
    for sid, codes in (per_sid_ignores or {}).items():
        suppressions.append(Suppression("per-sid-ignores", tuple(code.upper() for code in codes), whole_file, sid=sid))
    return suppressions


def statement_sid(policies: list[Policy], finding: Finding) -> str | None:
    """Return the Sid of the statement that contains a finding, if any."""
    start = finding.span.start
    for policy in policies:
        for statement in policy.statements:
            span = statement.node.span
            if span.start <= start < span.end or span.start == start:
                return statement.sid
    return None


def apply_suppressions(
    findings: list[Finding], suppressions: list[Suppression], policies: list[Policy]
) -> list[Finding]:
    """Return the findings no suppression matches; mark the suppressions that matched."""
    kept = []
    for finding in findings:
        if finding.code in _UNSUPPRESSIBLE:
            kept.append(finding)
            continue
        sid = statement_sid(policies, finding) if any(item.sid for item in suppressions) else None
        match = next((item for item in suppressions if item.matches(finding, sid)), None)
        if match is None:
            kept.append(finding)
        else:
            match.used.add(finding.code)
    return kept


def unused_findings(document: Document, suppressions: list[Suppression]) -> list[Finding]:
    """Return a finding for each code of an inline or Metadata suppression that matched nothing."""
    findings = []
    for item in suppressions:
        if item.source not in ("comment", "file-comment", "metadata"):
            continue
        if item.codes:
            unused = [code for code in item.codes if not any(used.startswith(code) for used in item.used)]
        else:
            unused = [] if item.used else ["every code"]
        if not unused:
            continue
        findings.append(
            Finding(
                UNUSED_CODE,
                UNUSED_NAME,
                Severity.INFO,
                f"suppression of {', '.join(unused)} matches no finding here; remove it",
                document.path,
                item.span,
            )
        )
    return findings
