"""The default text format: ``path:line:column: CODE message``."""

from __future__ import annotations

from typing import Sequence

from mfalint.findings import Finding
from mfalint.positions import LineIndex
from mfalint.reporters import ReportContext

__all__ = ["TextReporter"]


class TextReporter:
    name = "text"

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str:
        lines = []
        indexes: dict[str, LineIndex] = {}
        for finding in findings:
            where = f"{finding.path}:{finding.span.start.line}:{finding.span.start.column}" if finding.path else "mfalint"
            lines.append(f"{where}: {finding.code} [{finding.severity.label}] {finding.message}")
            if context.show_source and finding.path in context.sources:
                index = indexes.setdefault(finding.path, LineIndex(context.sources[finding.path]))
                lines.extend(_snippet(index, finding))
        if findings:
            counts = {}
            for finding in findings:
                counts[finding.severity.label] = counts.get(finding.severity.label, 0) + 1
            summary = ", ".join(f"{count} {label}{'s' if count != 1 else ''}" for label, count in sorted(counts.items()))
            files = len({finding.path for finding in findings})
            lines.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} in {files} file{'s' if files != 1 else ''} ({summary}).")
        return "\n".join(lines) + ("\n" if lines else "")


def _snippet(index: LineIndex, finding: Finding) -> list[str]:
    start = finding.span.start
    text = index.line_text(start.line)
    if not text and start.line > 1 and start.column == 1:
        return []
    width = len(str(start.line))
    end_column = finding.span.end.column if finding.span.end.line == start.line else len(text) + 1
    carets = max(1, end_column - start.column)
    prefix = "".join(char if char == "\t" else " " for char in text[: start.column - 1])
    return [
        f"  {start.line:>{width}} | {text}",
        f"  {' ' * width} | {prefix}{'^' * carets}",
    ]
