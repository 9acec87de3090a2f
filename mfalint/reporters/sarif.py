"""The SARIF 2.1.0 format, for GitHub code scanning and other SARIF viewers.

The log has one run. Its ``tool.driver.rules`` describes every loaded rule,
enabled or not, with the rule's documentation as help, so a result of any
rule can be explained. Results point at files by URIs relative to
``%SRCROOT%``, the current directory, so GitHub matches them to the
repository's files when mfalint runs from the repository root. A file outside
the current directory gets an absolute ``file:`` URI, which GitHub cannot
match to a file in the repository.

Regions use 1-based lines and 1-based columns counted in UTF-16 code units,
as ``run.columnKind`` states. ``endColumn`` is the column just after the
region, as in mfalint's own spans.

Internal errors (INT001) make ``executionSuccessful`` false and appear in
``toolExecutionNotifications``. One that names a file is a result as well. A
plugin that failed to load names no file, so it is a notification only.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any, Sequence
from urllib.parse import quote, urlsplit

from mfalint import __version__
from mfalint.findings import INTERNAL_ERROR_CODE, Finding, Severity
from mfalint.positions import LineIndex, Position
from mfalint.reporters import ReportContext
from mfalint.rule import Rule
from mfalint.ruledocs import render_rule_markdown, render_rule_text

__all__ = ["SarifReporter", "finding_fingerprints", "INTERNAL_ERROR_CODE"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"

# The code the runner gives a plugin that fails to load, and a rule or loader that raises.
INTERNAL_ERROR_NAME = "internal-error"
INTERNAL_ERROR_SUMMARY = (
    "mfalint could not finish part of the run: a plugin failed to load, or a rule or loader raised an error."
)

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# GitHub's SARIF documentation reads security-severity as a score in (0, 10]:
# 7.0-8.9 is high, 4.0-6.9 medium and 0.1-3.9 low. Only the MFA rules get one,
# because their findings weaken or break MFA enforcement.
SECURITY_SEVERITIES = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}

# GitHub code scanning uses only the primaryLocationLineHash fingerprint. The
# upload-sarif action computes one from the source lines when it is missing, and
# keeps a given one but logs a warning when its own hash differs. mfalint supplies
# its own, which also survives reformatting. The second key names the scheme.
FINGERPRINT_KEY = "mfalint/v1"
GITHUB_FINGERPRINT_KEY = "primaryLocationLineHash"

# GitHub limits a rule's short and full descriptions to 1,024 characters.
MAX_DESCRIPTION = 1024


def finding_fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Return one stable, unique fingerprint per finding, in the order given.

    The fingerprint is a SHA-256 of the code, the path with forward slashes,
    the JSONPath and the message, so it survives lines moving above the
    finding. When several findings share all four, the second and later ones
    also hash their occurrence number, so the fingerprints stay unique.
    """
    occurrences: dict[str, int] = {}
    fingerprints = []
    for finding in findings:
        path = PurePath(finding.path).as_posix() if finding.path else ""
        identity = "\0".join((finding.code, path, finding.jsonpath, finding.message))
        count = occurrences.get(identity, 0)
        occurrences[identity] = count + 1
        if count:
            identity += f"\0{count}"
        fingerprints.append(hashlib.sha256(identity.encode("utf-8")).hexdigest())
    return fingerprints


def artifact_location(path: str) -> dict[str, str]:
    """Return the SARIF artifactLocation of a reported path.

    A relative path becomes a percent-encoded URI with forward slashes under
    ``%SRCROOT%``. An absolute path, or one that leaves the current directory,
    becomes an absolute ``file:`` URI.
    """
    pure = PurePath(os.path.normpath(path))
    if pure.is_absolute() or (pure.parts and pure.parts[0] == os.pardir):
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(pure.as_posix(), safe="/"), "uriBaseId": SOURCE_ROOT}


def _directory_uri(path: str) -> str:
    uri = Path(path).as_uri()
    return uri if uri.endswith("/") else uri + "/"


class _Regions:
    """Builder of SARIF regions from mfalint's spans, with one line index per file.

    Columns become UTF-16 code units. A parser reports an unexpected end of
    file on the empty line after the final line break, but SARIF consumers
    such as GitHub count the lines without that empty one. So such a position
    moves to the end of the last line.
    """

    def __init__(self, sources: dict[str, str]) -> None:
        self._sources = sources
        self._indexes: dict[str, LineIndex] = {}

    def _index(self, path: str) -> LineIndex | None:
        text = self._sources.get(path)
        if text is None:
            return None
        index = self._indexes.get(path)
        if index is None:
            index = self._indexes[path] = LineIndex(text)
        return index

    def position(self, path: str, position: Position) -> tuple[int, int]:
        """Return the SARIF line and UTF-16 column of ``position`` in the file at ``path``."""
        index = self._index(path)
        if index is None:
            # NOTE: without the source text (a file that could not be decoded), the
            # code-point column is kept. It differs only after non-BMP characters.
            return position.line, position.column
        text = index.text
        line_count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if line_count and position.line > line_count:
            position = Position(line_count, len(index.line_text(line_count)) + 1)
        return position.line, index.to_lsp(position, "utf-16")[1] + 1

    def region(self, path: str, start: Position, end: Position) -> dict[str, int]:
        start_line, start_column = self.position(path, start)
        end_line, end_column = self.position(path, max(start, end))
        return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _project_url(*labels: str) -> str | None:
    """Return the first of the Project-URL entries named ``labels`` in mfalint's installed metadata."""
    try:
        entries = metadata.metadata("mfalint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in labels:
        if urls.get(label, "").startswith(("https://", "http://")):
            return urls[label]
    return None


def _rule_docs_url(repository: str | None, code: str) -> str | None:
    """Return the address of docs/rules/CODE.md on the main branch, for a repository on GitHub or GitLab."""
    if repository is None:
        return None
    base = repository.rstrip("/")
    host = urlsplit(base).hostname or ""
    if host == "github.com":
        return f"{base}/blob/main/docs/rules/{code}.md"
    if host == "gitlab.com":
        return f"{base}/-/blob/main/docs/rules/{code}.md"
    return None


def _is_builtin(rule: Rule) -> bool:
    return type(rule).__module__.split(".")[0] == "mfalint_rules"


def _truncate(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _rule_descriptor(rule: Rule, repository: str | None) -> dict[str, Any]:
    summary = getattr(rule, "summary", "") or rule.name
    docs = getattr(rule, "docs", None)
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _truncate(summary)},
        "fullDescription": {"text": _truncate(docs.what if docs is not None else summary)},
    }
    if docs is not None:
        descriptor["help"] = {"text": render_rule_text(rule), "markdown": render_rule_markdown(rule)}
    else:
        descriptor["help"] = {"text": summary}
    help_uri = _rule_docs_url(repository, rule.code) if _is_builtin(rule) else None
    if help_uri:
        descriptor["helpUri"] = help_uri
    descriptor["defaultConfiguration"] = {"level": LEVELS[rule.severity]}
    if rule.code.startswith("MFA"):
        descriptor["properties"] = {
            "tags": ["security", "mfa", "iam"],
            "security-severity": SECURITY_SEVERITIES[rule.severity],
        }
    elif rule.code.startswith("IAM"):
        descriptor["properties"] = {"tags": ["correctness", "iam"]}
    return descriptor


def _internal_error_descriptor() -> dict[str, Any]:
    return {
        "id": INTERNAL_ERROR_CODE,
        "name": INTERNAL_ERROR_NAME,
        "shortDescription": {"text": INTERNAL_ERROR_SUMMARY},
        "fullDescription": {"text": INTERNAL_ERROR_SUMMARY},
        "help": {
            "text": (
                f"{INTERNAL_ERROR_SUMMARY} The message names the plugin, rule or loader. "
                "Run mfalint with -vv to see the traceback, and report it to that plugin's authors."
            )
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["internal"]},
    }


def _finding_descriptor(finding: Finding) -> dict[str, Any]:
    """Describe a code that no loaded rule has, from what its finding carries."""
    return {
        "id": finding.code,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "fullDescription": {"text": finding.name},
        "help": {"text": f"{finding.code} {finding.name}: no loaded rule documents this code."},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
    }


def _fix(finding: Finding, location: dict[str, str], regions: _Regions) -> dict[str, Any]:
    assert finding.fix is not None
    return {
        "description": {"text": finding.fix.title},
        "artifactChanges": [
            {
                "artifactLocation": location,
                "replacements": [
                    {
                        "deletedRegion": regions.region(finding.path, edit.span.start, edit.span.end),
                        "insertedContent": {"text": edit.new_text},
                    }
                    for edit in finding.fix.edits
                ],
            }
        ],
        "properties": {"safe": finding.fix.safe},
    }


class SarifReporter:
    name = "sarif"

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str:
        return json.dumps(self.log(findings, context), indent=2, ensure_ascii=False) + "\n"

    def log(self, findings: Sequence[Finding], context: ReportContext) -> dict[str, Any]:
        """Build the SARIF log as a JSON-ready dictionary."""
        repository = _project_url("repository", "source", "source code", "homepage")
        descriptors = [_rule_descriptor(rule, repository) for _code, rule in sorted(context.rules.items())]
        if INTERNAL_ERROR_CODE not in context.rules:
            descriptors.append(_internal_error_descriptor())
        rule_index = {descriptor["id"]: index for index, descriptor in enumerate(descriptors)}
        for finding in findings:
            if finding.code not in rule_index:
                rule_index[finding.code] = len(descriptors)
                descriptors.append(_finding_descriptor(finding))

        regions = _Regions(context.sources)
        results = []
        notifications = []
        for finding, fingerprint in zip(findings, finding_fingerprints(findings)):
            location = self._location(finding, regions)
            if finding.code == INTERNAL_ERROR_CODE:
                notification: dict[str, Any] = {
                    "level": "error",
                    "message": {"text": finding.message},
                    "descriptor": {"id": INTERNAL_ERROR_CODE, "index": 0},
                }
                if location is not None:
                    notification["locations"] = [location]
                notifications.append(notification)
                if location is None:
                    continue
            result: dict[str, Any] = {
                "ruleId": finding.code,
                "ruleIndex": rule_index[finding.code],
                "level": LEVELS[finding.severity],
                "message": {"text": finding.message},
            }
            if location is not None:
                result["locations"] = [location]
            result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint, GITHUB_FINGERPRINT_KEY: fingerprint}
            if finding.fix is not None and finding.path:
                result["fixes"] = [_fix(finding, location["physicalLocation"]["artifactLocation"], regions)]
            results.append(result)

        working_directory = _directory_uri(os.getcwd())
        driver: dict[str, Any] = {"name": "mfalint", "version": __version__}
        information_uri = _project_url("homepage", "repository", "source", "documentation")
        if information_uri:
            driver["informationUri"] = information_uri
        driver["rules"] = descriptors
        driver["notifications"] = [
            {
                "id": INTERNAL_ERROR_CODE,
                "name": INTERNAL_ERROR_NAME,
                "shortDescription": {"text": INTERNAL_ERROR_SUMMARY},
                "defaultConfiguration": {"level": "error"},
            }
        ]
        run = {
            "tool": {"driver": driver},
            "invocations": [
                {
                    "executionSuccessful": not notifications,
                    "toolExecutionNotifications": notifications,
                    "workingDirectory": {"uri": working_directory},
                }
            ],
            "originalUriBaseIds": {SOURCE_ROOT: {"uri": working_directory}},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }
        return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}

    @staticmethod
    def _location(finding: Finding, regions: _Regions) -> dict[str, Any] | None:
        if not finding.path:
            return None
        return {
            "physicalLocation": {
                "artifactLocation": artifact_location(finding.path),
                "region": regions.region(finding.path, finding.span.start, finding.span.end),
            },
            "logicalLocations": [{"fullyQualifiedName": finding.jsonpath}],
        }
