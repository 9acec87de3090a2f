"""The GitHub Actions format: one workflow command per finding, shown as an annotation.

Each line reads ``::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=CODE name::message``.
The command is ``error``, ``warning`` or ``notice`` after the finding's
severity. Columns are 1-based code points, as in the text format.

The escaping is the one GitHub's actions/toolkit applies and the runner
undoes. In the message, ``%``, CR and LF become ``%25``, ``%0D`` and ``%0A``.
In a property value, ``:`` and ``,`` also become ``%3A`` and ``%2C``, because
``::`` ends the properties and ``,`` separates them.

The runner drops ``col`` and ``endColumn`` from an annotation that spans
several lines, so they are written only when the finding starts and ends on
one line. A finding without a path, such as a plugin that failed to load,
gets an annotation with a title and no file.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Sequence

from mfalint.findings import Finding, Severity
from mfalint.reporters import ReportContext

__all__ = ["GithubReporter", "escape_data", "escape_property"]

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape the message of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """Return the workflow command that annotates ``finding``."""
    start, end = finding.span.start, finding.span.end
    properties: list[tuple[str, str]] = []
    if finding.path:
        properties.append(("file", PurePath(finding.path).as_posix()))
        properties.append(("line", str(start.line)))
        if start.line == end.line:
            properties.append(("col", str(start.column)))
        properties.append(("endLine", str(max(start.line, end.line))))
        if start.line == end.line:
            properties.append(("endColumn", str(max(start.column, end.column))))
    properties.append(("title", f"{finding.code} {finding.name}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(finding.message)}"


class GithubReporter:
    name = "github"

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str:
        return "".join(annotation(finding) + "\n" for finding in findings)
