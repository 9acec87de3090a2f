"""The GitLab Code Quality format: a JSON array of issues for ``artifacts:reports:codequality``.

GitLab reads ``description``, ``check_name``, ``fingerprint``, ``severity``,
``location.path`` and ``location.lines.begin`` of each issue. The report also
has the fields the Code Climate issue format requires (``type`` and
``categories``) and ``location.lines.end``, which GitLab ignores.

Severities map as GitLab linters commonly map them: error to ``major``,
warning to ``minor`` and info to ``info``. Fingerprints are the same stable
hashes as in the SARIF report. GitLab merges issues with equal fingerprints,
so they are unique within a report.

An issue must name a file, so a finding without a path (a plugin that failed
to load) is left out of the report and logged as a warning instead.
"""

from __future__ import annotations

import json
import logging
from pathlib import PurePath
from typing import Any, Sequence

from mfalint.findings import Finding, Severity
from mfalint.reporters import ReportContext
from mfalint.reporters.sarif import finding_fingerprints

__all__ = ["GitlabReporter", "SEVERITIES"]

LOG = logging.getLogger(__name__)

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _categories(code: str) -> list[str]:
    """Return the Code Climate categories of a rule code."""
    return ["Security"] if code.startswith("MFA") else ["Bug Risk"]


def issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    """Return the Code Quality issue of one finding with a path."""
    start, end = finding.span.start, finding.span.end
    return {
        "type": "issue",
        "check_name": finding.code,
        "description": f"{finding.code} {finding.message}",
        "categories": _categories(finding.code),
        "severity": SEVERITIES[finding.severity],
        "fingerprint": fingerprint,
        "location": {
            "path": PurePath(finding.path).as_posix(),
            "lines": {"begin": start.line, "end": max(start.line, end.line)},
        },
    }


class GitlabReporter:
    name = "gitlab"

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str:
        issues = []
        for finding, fingerprint in zip(findings, finding_fingerprints(findings)):
            if not finding.path:
                LOG.warning(
                    "%s %s is not in the Code Quality report, which needs a file: %s",
                    finding.code,
                    finding.name,
                    finding.message,
                )
                continue
            issues.append(issue(finding, fingerprint))
        # GitLab's parser rejects a byte order mark, and json.dumps never writes one.
        return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
