"""Baselines: record today's findings so a large repository fails only on new ones.

A baseline is a JSON file listing a fingerprint per finding. A fingerprint
hashes the code, the path, the JSONPath and the message with digits removed,
so it survives edits that only move a finding to another line; a statement
with a Sid is named by its Sid rather than its index. Each entry
absorbs one matching finding; a finding with no entry left is new.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Sequence

from mfalint.findings import INTERNAL_ERROR_CODE, Finding

__all__ = ["BaselineError", "fingerprint", "write_baseline", "load_baseline", "filter_baseline"]

_FORMAT = 1
_DIGITS = re.compile(r"\d+")
_STATEMENT_INDEX = re.compile(r"(\.Statement)\[\d+\]")


class BaselineError(Exception):
    """A baseline file that cannot be read or written, with the reason."""


def fingerprint(finding: Finding) -> str:
    message = _DIGITS.sub("#", finding.message)
    jsonpath = finding.jsonpath
    sid = finding.details.get("sid")
    if sid:
        # Name the statement by its Sid, so adding a statement above it keeps the entry.
        jsonpath = _STATEMENT_INDEX.sub(lambda match: f"{match.group(1)}[{sid!r}]", jsonpath, count=1)
    text = "\0".join((finding.code, finding.path.replace("\\", "/"), jsonpath, message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def write_baseline(path: Path, findings: Sequence[Finding]) -> int:
    """Write the findings' fingerprints to ``path`` atomically; return how many were written."""
    entries = [
        {"code": finding.code, "path": finding.path, "jsonpath": finding.jsonpath, "fingerprint": fingerprint(finding)}
        for finding in findings
        if finding.code != INTERNAL_ERROR_CODE
    ]
    data = {"format": _FORMAT, "tool": "mfalint", "findings": entries}
    folder = path.parent if str(path.parent) else Path(".")
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(handle.name, path)
    except OSError as error:
        raise BaselineError(f"{path}: cannot be written: {error.strerror or error}") from None
    return len(entries)


def load_baseline(path: Path) -> Counter[str]:
    """Return the fingerprints recorded in a baseline file, with their counts."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot be read: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise BaselineError(f"{path}: is not a baseline written by mfalint --write-baseline: {error}") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(entries, list):
        raise BaselineError(f"{path}: is not a baseline of format {_FORMAT}; write it again with --write-baseline")
    return Counter(str(entry.get("fingerprint")) for entry in entries if isinstance(entry, dict))


def filter_baseline(findings: Sequence[Finding], baseline: Counter[str]) -> tuple[list[Finding], int]:
    """Return the findings the baseline does not absorb, and how many entries stayed unused."""
    remaining = Counter(baseline)
    kept = []
    for finding in findings:
        key = fingerprint(finding)
        if finding.code != INTERNAL_ERROR_CODE and remaining[key] > 0:
            remaining[key] -= 1
        else:
            kept.append(finding)
    return kept, sum(remaining.values())
