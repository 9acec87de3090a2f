"""The JUnit XML format, for the test reports of GitLab, Jenkins and other CI systems.

The report has one ``testsuite`` named ``mfalint`` inside ``testsuites``,
and one ``testcase`` per checked file, named after its path. A clean file is
a passing test. Each finding in a file is one ``failure`` element whose
``type`` is the rule code and whose ``message`` is the finding's message. An
internal error (INT001) is an ``error`` element instead, because the file
was not fully checked. Findings without a path, such as a plugin that failed
to load, go into a test case named ``mfalint``.

Jenkins and GitLab show the first ``failure`` of a test case in detail, so
each test case with findings also lists all of them in ``system-out``.

The suite's ``failures`` counts test cases with failures and no error, and
``errors`` counts test cases with an error, as JUnit's own reports count
tests rather than failure elements.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePath
from typing import Sequence

from mfalint.findings import INTERNAL_ERROR_CODE, Finding
from mfalint.reporters import ReportContext

__all__ = ["JunitReporter"]

SUITE_NAME = "mfalint"
# The test case of findings that name no file.
RUN_CASE_NAME = "mfalint"

# Characters that XML 1.0 does not allow in a document, even escaped.
_INVALID_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Replace characters XML cannot carry with a visible ``\\uXXXX`` escape."""
    return _INVALID_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _describe(finding: Finding) -> str:
    where = f"{finding.path}:{finding.span.start.line}:{finding.span.start.column}" if finding.path else "mfalint"
    label = f"{finding.code} [{finding.severity.label}] {finding.name}"
    return f"{where}: {label}: {finding.message} (at {finding.jsonpath})"


def _checked_paths(findings: Sequence[Finding], context: ReportContext) -> list[str]:
    """Return the paths that get a test case: every checked file, then any other path a finding names."""
    # NOTE: when the caller leaves ReportContext.files empty, the files whose text was
    # read stand in for it. A file that could not be read and has no finding is then missing.
    paths = list(dict.fromkeys(context.files)) if context.files else sorted(context.sources)
    known = set(paths)
    for finding in findings:
        if finding.path and finding.path not in known:
            paths.append(finding.path)
            known.add(finding.path)
    return paths


class JunitReporter:
    name = "junit"

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str:
        by_path: dict[str, list[Finding]] = {}
        for finding in findings:
            by_path.setdefault(finding.path, []).append(finding)

        # Each case: its name, the file it checks (None for the run itself) and its findings.
        cases: list[tuple[str, str | None, list[Finding]]] = []
        for path in _checked_paths(findings, context):
            posix = PurePath(path).as_posix()
            cases.append((posix, posix, by_path.get(path, [])))
        if "" in by_path:
            cases.append((RUN_CASE_NAME, None, by_path[""]))

        failed = errored = 0
        suite = ET.Element("testsuite", name=SUITE_NAME)
        for name, file, case_findings in cases:
            case = ET.SubElement(suite, "testcase", name=_xml_text(name), classname=SUITE_NAME)
            if file is not None:
                case.set("file", _xml_text(file))
            for finding in case_findings:
                tag = "error" if finding.code == INTERNAL_ERROR_CODE else "failure"
                element = ET.SubElement(case, tag, type=finding.code, message=_xml_text(finding.message))
                element.text = _xml_text(_describe(finding))
            if case_findings:
                output = ET.SubElement(case, "system-out")
                output.text = _xml_text("\n".join(_describe(finding) for finding in case_findings) + "\n")
            if any(finding.code == INTERNAL_ERROR_CODE for finding in case_findings):
                errored += 1
            elif case_findings:
                failed += 1

        counts = {"tests": str(len(cases)), "failures": str(failed), "errors": str(errored), "skipped": "0"}
        for key, value in counts.items():
            suite.set(key, value)
        root = ET.Element(
            "testsuites", name=SUITE_NAME, tests=counts["tests"], failures=counts["failures"], errors=counts["errors"]
        )
        root.append(suite)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
