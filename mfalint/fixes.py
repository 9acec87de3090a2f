"""Applying fixes: minimal text edits, checked by linting the result again.

``fix_text`` applies the fixes of one text in passes. Each pass applies every
fix whose edits do not overlap those of a fix before it, in the order of the
findings. It then lints the result with the same Linter, and keeps it only
when it parses, no rule or loader failed on it, and the findings it fixed
are gone. When a whole pass fails, its fixes are tried one at a time, and a
fix that fails on its own is rejected with the reason. Passes repeat until
no fix is left, so a second run over the result changes nothing.

``fix_paths`` does this for files and writes each changed file atomically,
keeping its permission bits and its UTF-8 byte order mark.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from mfalint.findings import INTERNAL_ERROR_CODE, Edit, Finding, Fix
from mfalint.loaders import LoadFailure, decode_bytes, read_bytes
from mfalint.positions import LineIndex, Position, line_starts

if TYPE_CHECKING:
    from mfalint.runner import Linter

__all__ = [
    "MAX_PASSES",
    "Rejection",
    "FileFix",
    "FixResult",
    "FileChangedError",
    "apply_edits",
    "fix_text",
    "fix_paths",
    "unified_diff",
    "write_atomic",
]

# Passes of fix_text. One pass applies every fix that does not overlap
# another, so more than two or three are needed only when fixes overlap.
MAX_PASSES = 20

PARSE_ERROR_CODE = "IAM001"
_UTF8_BOM = b"\xef\xbb\xbf"
_LINES = re.compile(r"[^\n]*\n|[^\n]+")


@dataclass(frozen=True)
class Rejection:
    """A fix that was not applied, and why."""

    code: str
    title: str
    reason: str


@dataclass
class FileFix:
    """The outcome of fixing one file or text.

    ``findings`` are those of the fixed text, as linted by ``Linter.lint_text``.
    """

    path: str
    display_path: str
    original: str
    fixed: str
    applied: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    written: bool = False
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    @property
    def diff(self) -> str:
        """A unified diff from the original to the fixed text, empty when nothing changed."""
        return unified_diff(self.original, self.fixed, self.display_path)


@dataclass
class FixResult:
    """The outcome of ``fix_paths``: one FileFix per file that could be read."""

    files: list[FileFix] = field(default_factory=list)
    files_checked: int = 0

    @property
    def changed(self) -> list[FileFix]:
        return [file for file in self.files if file.changed]

    @property
    def fixed_count(self) -> int:
        """The number of fixes applied (or, without writing, that would be applied)."""
        return sum(len(file.applied) for file in self.files)

    @property
    def errors(self) -> list[FileFix]:
        return [file for file in self.files if file.error is not None]

    @property
    def diff(self) -> str:
        return "".join(file.diff for file in self.files)


class FileChangedError(OSError):
    """The file changed on disk after it was read for fixing."""


def unified_diff(original: str, fixed: str, path: str) -> str:
    """Return a unified diff of a file's text, empty when nothing changed.

    A relative path is named ``a/PATH`` and ``b/PATH``, as ``git diff`` does,
    so ``patch -p1`` and ``git apply`` accept the diff. An absolute path is
    named as it is. Lines are split at ``\\n`` only, so a ``\\r`` or a Unicode
    line separator inside a line stays part of it, and a last line without a
    line ending is marked as such. Unlike ``difflib.unified_diff``, this
    matches lines that repeat often (the same action in several statements),
    so the diff shows only the lines that changed.
    """
    if original == fixed:
        return ""
    old_name, new_name = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
    old_lines, new_lines = _LINES.findall(original), _LINES.findall(fixed)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    out = [f"--- {old_name}\n", f"+++ {new_name}\n"]
    for group in matcher.get_grouped_opcodes(3):
        old_range = _hunk_range(group[0][1], group[-1][2])
        new_range = _hunk_range(group[0][3], group[-1][4])
        out.append(f"@@ -{old_range} +{new_range} @@\n")
        for tag, old_start, old_end, new_start, new_end in group:
            if tag == "equal":
                out.extend(_diff_line(" ", line) for line in old_lines[old_start:old_end])
                continue
            out.extend(_diff_line("-", line) for line in old_lines[old_start:old_end])
            out.extend(_diff_line("+", line) for line in new_lines[new_start:new_end])
    return "".join(out)


def _hunk_range(start: int, stop: int) -> str:
    """Format a hunk's line range as unified diffs do: ``first,count``, or ``first`` for one line."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _diff_line(marker: str, line: str) -> str:
    if line.endswith("\n"):
        return marker + line
    return f"{marker}{line}\n\\ No newline at end of file\n"


# -- applying edits ----------------------------------------------------------


def _offset(starts: list[int], text: str, position: Position) -> int:
    """Return the code-point offset of a Position; raise ValueError when it lies outside the text."""
    if not 1 <= position.line <= len(starts):
        raise ValueError(f"line {position.line} is outside the text")
    line_end = starts[position.line] if position.line < len(starts) else len(text)
    offset = starts[position.line - 1] + position.column - 1
    if position.column < 1 or offset > line_end:
        raise ValueError(f"column {position.column} is outside line {position.line}")
    return offset


def _ranges(text: str, edits: Iterable[Edit], starts: list[int] | None = None) -> list[tuple[int, int, str]]:
    """Return (start, end, new text) offsets of edits, sorted; raise ValueError for a bad span or an overlap."""
    starts = starts if starts is not None else line_starts(text)
    ranges = []
    for edit in edits:
        start, end = _offset(starts, text, edit.span.start), _offset(starts, text, edit.span.end)
        if end < start:
            raise ValueError("an edit ends before it starts")
        ranges.append((start, end, edit.new_text))
    ranges.sort(key=lambda item: (item[0], item[1]))
    for before, after in zip(ranges, ranges[1:]):
        if _conflict(before[:2], after[:2]):
            raise ValueError("two edits overlap")
    return ranges


def _conflict(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Return True when two ranges overlap, or two insertions are at the same place.

    Ranges that only touch do not conflict: sorted by (start, end), an
    insertion where a replacement starts goes before the new text, and one
    where it ends goes after. Two insertions at one place do, because their
    order would be a guess.
    """
    (start_a, end_a), (start_b, end_b) = first, second
    if start_a == end_a and start_b == end_b:
        return start_a == start_b
    if start_a == end_a:
        return start_b < start_a < end_b
    if start_b == end_b:
        return start_a < start_b < end_a
    return start_a < end_b and start_b < end_a


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Return ``text`` with the edits applied; raise ValueError when edits overlap or fall outside it."""
    pieces = []
    cursor = 0
    for start, end, new_text in _ranges(text, edits):
        pieces.append(text[cursor:start])
        pieces.append(new_text)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _map_offset(offset: int, ranges: list[tuple[int, int, str]]) -> int:
    """Return where ``offset`` of the old text lies after the edits: inside a replaced range, at its start."""
    shift = 0
    for start, end, new_text in ranges:
        if start > offset or (start == offset and start != end):
            break
        if offset < end:
            return start + shift
        shift += len(new_text) - (end - start)
    return offset + shift


# -- fixing a text -----------------------------------------------------------


def _rejection_key(text: str, starts: list[int], finding: Finding) -> tuple:
    """Identify a fix by what it changes, so it is still known after other edits have moved it."""
    assert finding.fix is not None
    try:
        changes = tuple((text[start:end], new_text) for start, end, new_text in _ranges(text, finding.fix.edits, starts))
    except ValueError:
        changes = tuple((edit.span, edit.new_text) for edit in finding.fix.edits)
    return (finding.code, finding.fix.title, changes)


def _choose(text: str, candidates: list[Finding]) -> tuple[list[Finding], dict[int, str]]:
    """Pick the findings whose fixes do not overlap an earlier pick; also return the fixes that are invalid on their own."""
    starts = line_starts(text)
    chosen: list[Finding] = []
    claimed: list[tuple[int, int]] = []  # ranges that the chosen fixes edit
    invalid: dict[int, str] = {}
    seen: set[tuple] = set()
    for position, finding in enumerate(candidates):
        assert finding.fix is not None
        try:
            ranges = _ranges(text, finding.fix.edits, starts)
        except ValueError as error:
            invalid[position] = f"the fix is invalid: {error}"
            continue
        if not ranges:
            invalid[position] = "the fix is invalid: it has no edits"
            continue
        changes = tuple(ranges)
        if changes in seen:
            continue  # the same fix as an earlier finding's
        if any(_conflict(span[:2], other) for span in ranges for other in claimed):
            continue
        seen.add(changes)
        chosen.append(finding)
        claimed.extend(span[:2] for span in ranges)
    return chosen, invalid


def _parse_error(linter: Linter, text: str, path: str) -> str | None:
    """Return why ``text`` cannot be read by the loader that linting would use, or None when it can.

    This loads the text itself rather than looking for IAM001 among the
    findings, so it holds when IAM001 is not selected.
    """
    # Fixing must pick the loader linting picks, by suffix and content.
    loader = linter.loader_for(path, text)
    if loader is None:
        return None
    try:
        document = loader.load(text, path, linter.limits)
        loader.extract(document)
    except Exception as error:  # a third-party loader may raise anything
        return f"loader {getattr(loader, 'name', loader)!r} raised {type(error).__name__}: {error}"
    for problem in document.problems:
        if problem.code == PARSE_ERROR_CODE:
            return f"line {problem.span.start.line}: {problem.message}"
    return None


def _attempt(linter: Linter, path: str, text: str, chosen: list[Finding], internal_errors: int) -> tuple[str, list[Finding]] | str:
    """Apply the fixes of ``chosen`` and lint the result; return (text, findings), or the reason to reject it."""

    edits = [edit for finding in chosen for edit in finding.fix.edits]  # type: ignore[union-attr]
    try:
        ranges = _ranges(text, edits)
    except ValueError as error:
        return f"the fix is invalid: {error}"
    new_text = apply_edits(text, edits)
    parse_error = _parse_error(linter, new_text, path)
    if parse_error is not None:
        return f"the result would not parse: {parse_error}"
    findings = linter.lint_text(new_text, path)
    failures = [finding for finding in findings if finding.code == INTERNAL_ERROR_CODE]
    if len(failures) > internal_errors:
        return f"linting the result failed: {failures[0].message}"

    old_starts = line_starts(text)
    new_lines = LineIndex(new_text)
    for finding in chosen:
        moved = new_lines.position_of_offset(_map_offset(_offset(old_starts, text, finding.span.start), ranges))
        for after in findings:
            if after.code != finding.code:
                continue
            same_place = after.span.start == moved
            same_element = finding.jsonpath != "$" and after.jsonpath == finding.jsonpath
            if same_place or same_element:
                return f"the fix leaves its finding in place: {after.message}"
    return new_text, findings


def fix_text(
    linter: Linter, text: str, path: str = "<stdin>", *, unsafe: bool = False, baseline: Counter[str] | None = None
) -> FileFix:
    """Apply the fixes of one text until none is left, checking each pass by linting the result.

    ``path`` picks the loader by its suffix and names the file in findings
    and in the diff. Fixes marked unsafe are applied only with ``unsafe``.
    Findings that ``baseline`` (fingerprints from ``load_baseline``) absorbs
    are not fixed, like suppressed ones, because they are not reported. A
    text that does not parse is returned unchanged. A byte order mark at the
    start of ``text`` is kept.
    """
    from mfalint.baseline import filter_baseline

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    current = text[len(bom) :]
    outcome = FileFix(path=path, display_path=path, original=text, fixed=text)
    findings = linter.lint_text(current, path)
    internal_errors = sum(1 for finding in findings if finding.code == INTERNAL_ERROR_CODE)
    rejected: dict[tuple, Rejection] = {}
    passes = MAX_PASSES if _parse_error(linter, current, path) is None else 0

    for _ in range(passes):
        starts = line_starts(current)

        def reject(finding: Finding, reason: str) -> None:
            rejected[_rejection_key(current, starts, finding)] = Rejection(finding.code, _title(finding.fix), reason)

        reported = filter_baseline(findings, baseline)[0] if baseline else findings
        candidates = [
            finding
            for finding in reported
            if finding.fix is not None
            and (finding.fix.safe or unsafe)
            and not (rejected and _rejection_key(current, starts, finding) in rejected)
        ]
        if not candidates:
            break
        chosen, invalid = _choose(current, candidates)
        for position, reason in invalid.items():
            reject(candidates[position], reason)
        if not chosen:
            continue

        result = _attempt(linter, path, current, chosen, internal_errors)
        if isinstance(result, str) and len(chosen) > 1:
            # Find the first fix that works on its own; those before it are rejected.
            for finding in chosen:
                result = _attempt(linter, path, current, [finding], internal_errors)
                if not isinstance(result, str):
                    chosen = [finding]
                    break
                reject(finding, result)
            else:
                continue
        elif isinstance(result, str):
            reject(chosen[0], result)
            continue

        current, findings = result
        outcome.applied.extend(_title(finding.fix) for finding in chosen)

    outcome.fixed = bom + current
    outcome.findings = findings
    outcome.rejected = list(rejected.values())
    return outcome


def _title(fix: Fix | None) -> str:
    return fix.title if fix is not None else ""


# -- fixing files ------------------------------------------------------------


def write_atomic(path: str, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace a file's content with ``data`` in one step, keeping its permission bits.

    The data goes to a temporary file in the same folder, is flushed to disk
    and then renamed over the file, so a reader sees the old or the new
    content and never a mix. A symbolic link is followed and its target
    replaced. The owner and group are kept where the process may set them.
    Other hard links to the file keep the old content, because the rename
    puts a new file in place.

    With ``expected``, the file is compared with those bytes just before the
    rename, and FileChangedError is raised, with nothing written, when they
    differ. A write by another program between that check and the rename is
    still lost.
    """
    target = os.path.realpath(path)
    info = os.stat(target)
    folder = os.path.dirname(target)
    handle_fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".mfalint-tmp")
    try:
        with os.fdopen(handle_fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(PermissionError):
                os.chown(temporary, info.st_uid, info.st_gid)
        if expected is not None:
            with open(target, "rb") as current:
                if current.read() != expected:
                    raise FileChangedError(f"{path} changed while it was being fixed; run again")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Flush the folder entry of a renamed file to disk, where the platform allows it."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def fix_paths(linter: Linter, paths: Sequence[str], write: bool, *, unsafe: bool = False) -> FixResult:
    """Fix the policy files under ``paths``, found as ``Linter.lint_paths`` finds them.

    With ``write``, each changed file is written atomically; a file that
    cannot be written gets ``error`` set and the others go on. Without it,
    nothing is written and each FileFix contains the text and diff the fix
    would produce. Files that cannot be read or decoded are skipped here,
    and linting reports them. Findings absorbed by the configured baseline
    are not fixed; a baseline that cannot be read raises BaselineError.
    """
    from mfalint.baseline import load_baseline
    from mfalint.runner import discover, display_path

    result = FixResult()
    settings = linter.settings
    baseline = load_baseline(Path(settings.baseline)) if settings.baseline else None
    for path in discover(paths, linter.plugins.suffixes, settings.exclude, settings.force_exclude):
        result.files_checked += 1
        try:
            data = read_bytes(path, linter.limits)
            text = decode_bytes(data)
        except LoadFailure:
            continue
        display = display_path(path)
        outcome = fix_text(linter, text, display, unsafe=unsafe, baseline=baseline)
        outcome.path = path
        if write and outcome.changed:
            bom = _UTF8_BOM if data.startswith(_UTF8_BOM) else b""
            try:
                write_atomic(path, bom + outcome.fixed.encode("utf-8"), expected=data)
            except FileChangedError as error:
                outcome.error = str(error)
            except OSError as error:
                outcome.error = f"cannot write {display}: {error.strerror or error}"
            else:
                outcome.written = True
        result.files.append(outcome)
    return result
