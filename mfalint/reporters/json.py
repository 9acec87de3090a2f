"""The JSON format: one array of findings, in the public shape of ``Finding.to_json``."""

from __future__ import annotations

import json
from typing import Sequence

from mfalint.findings import Finding
from mfalint.reporters import ReportContext

__all__ = ["JsonReporter"]


class JsonReporter:
    name = "json"

    def render(self, findings: Sequence[Finding], context: ReportContext) -> str:
        return json.dumps([finding.to_json() for finding in findings], indent=2, ensure_ascii=False) + "\n"
