"""The acceptance cases: real policies with the findings a user must see.

Each input is in tests/fixtures/cases. An expectation lists codes that must
appear (optionally with a severity and a line range) and codes that must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CASES_DIR = Path(__file__).parent / "fixtures" / "cases"

NEVER_ON_REPAIRED = [
    "MFA001", "MFA003", "MFA004", "MFA005", "MFA006", "MFA007", "MFA009", "MFA013", "MFA014", "MFA017",
    "MFA018", "IAM001", "IAM002", "IAM003", "IAM004", "IAM009",
]

# (file, settings, must appear: (code, severity or None, (first line, last line) or None), must not appear)
CASES = [
    ("force-mfa-repaired.json", {"password_reset": "required"}, [("MFA002", None, None)], NEVER_ON_REPAIRED),
    ("force-mfa-aws-sample.json", {"password_reset": "required"}, [("MFA001", "error", (92, 101)), ("MFA002", None, None)], []),
    ("force-mfa-aws-sample.json", {"password_reset": "never"}, [("MFA002", None, None)], ["MFA001"]),
    ("force-mfa-aws-sample.json", {}, [("MFA001", "warning", None)], []),
    ("password-reset-partial.json", {}, [("MFA001", None, None)], []),
    ("device-name-pinned.json", {"password_reset": "required"}, [("MFA002", None, None)], ["MFA001", "MFA009"]),
    ("deny-inverted.json", {}, [("MFA005", None, None)], []),
    ("deny-uses-bool.json", {}, [("MFA003", None, None)], []),
    ("bare-statement.json", {}, [("IAM002", None, None)], []),
    ("old-version-variable.json", {}, [("IAM009", None, None)], []),
    ("enrolment-deadlock.json", {}, [("MFA009", None, None)], []),
    ("force-mfa-policy.yaml", {}, [("IAM014", None, None), ("MFA001", None, (15, 22))], []),
    ("password-reset-user-arn-scope.json", {}, [("MFA001", None, None), ("IAM013", None, None)], []),
    ("typo-in-notaction.json", {}, [("IAM004", None, None), ("MFA001", None, None)], []),
    ("trust-boolifexists-true.json", {}, [("MFA004", None, None), ("MFA011", None, None)], ["IAM003"]),
    ("mfa-removable.json", {}, [("MFA007", None, None)], []),
    ("no-rotation-no-deny.json", {}, [("MFA006", None, None), ("MFA013", None, None)], []),
    ("allow-only-mfa-policy.json", {}, [("MFA006", None, None)], []),
    ("null-on-mfa-present.json", {}, [("MFA010", None, None)], []),
    ("deny-scoped-to-own-user.json", {}, [("MFA008", None, None)], []),
    ("exempt-all-of-iam.json", {}, [("MFA014", None, None)], []),
    ("self-service-any-user.json", {}, [("MFA017", None, None)], []),
    ("misspelled-mfa-key.json", {}, [("MFA018", None, None)], []),
]


def test_age_deny_only_without_ifexists(lint):
    # Only the statement without IfExists lets long-term keys through.
    hits = [finding for finding in lint(CASES_DIR / "mfa-age-deny.json") if finding.code == "MFA011"]
    assert len(hits) == 1
    assert 18 <= hits[0].span.start.line <= 28


def test_broken_mfa_key_reported_once(lint):
    # A misspelt key is MFA018's finding; IAM007 and the deny's consequences stay quiet.
    codes = [finding.code for finding in lint(CASES_DIR / "misspelled-mfa-key.json", password_reset="required")]
    assert codes == ["MFA018"]


def _label(case) -> str:
    file, settings = case[0], case[1]
    return file + "".join(f"-{value}" for value in settings.values())


@pytest.mark.parametrize(("file", "settings", "expected", "forbidden"), CASES, ids=[_label(case) for case in CASES])
def test_expected_findings(lint, file, settings, expected, forbidden):
    findings = lint(CASES_DIR / file, **settings)
    for code, severity, lines in expected:
        hits = [finding for finding in findings if finding.code == code]
        if severity:
            hits = [finding for finding in hits if finding.severity.label == severity]
        if lines:
            hits = [finding for finding in hits if lines[0] <= finding.span.start.line <= lines[1]]
        assert hits, f"missing {code} {severity or ''} {lines or ''} in {file}"


@pytest.mark.parametrize(("file", "settings", "expected", "forbidden"), CASES, ids=[_label(case) for case in CASES])
def test_forbidden_findings(lint, file, settings, expected, forbidden):
    codes = {finding.code for finding in lint(CASES_DIR / file, **settings)}
    assert codes.isdisjoint(forbidden)


def test_repaired_sample_clean(lint, tmp_path):
    # The repaired sample with devices on mfa/* is clean under every setting.
    text = (CASES_DIR / "force-mfa-repaired.json").read_text(encoding="utf-8")
    path = tmp_path / "clean.json"
    path.write_text(text.replace("mfa/${aws:username}", "mfa/*"), encoding="utf-8")
    for mode in ("auto", "required", "never"):
        serious = [finding.code for finding in lint(path, password_reset=mode) if finding.severity.label != "info"]
        assert serious == [], mode
