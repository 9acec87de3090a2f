"""Every rule documents itself fully, and its documentation's examples are true."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfalint.config import Settings
from mfalint.plugins import load_plugins
from mfalint.ruledocs import generate
from mfalint.runner import Linter

PLUGINS = load_plugins()
BUILTIN = [rule for code, rule in sorted(PLUGINS.rules.items()) if PLUGINS.rule_plugins[code] == "mfalint[builtin]"]
DOCS_DIR = Path(__file__).parent.parent / "docs" / "rules"

# The rule catalog: codes, names and default severities never change meaning.
CATALOG = {
    "IAM001": ("parse-error", "error"),
    "IAM002": ("not-a-policy", "error"),
    "IAM003": ("invalid-element", "error"),
    "IAM004": ("unknown-action", "warning"),
    "IAM005": ("unknown-service", "warning"),
    "IAM006": ("invalid-condition-operator", "error"),
    "IAM007": ("unknown-condition-key", "warning"),
    "IAM008": ("condition-value-type", "error"),
    "IAM009": ("variable-needs-version", "error"),
    "IAM010": ("duplicate-sid", "error"),
    "IAM011": ("policy-too-large", "error"),
    "IAM012": ("invalid-arn", "error"),
    "IAM013": ("resource-never-matches", "warning"),
    "IAM014": ("unquoted-version", "warning"),
    "IAM015": ("duplicate-key", "error"),
    "MFA001": ("password-reset-blocked", "error"),
    "MFA002": ("device-name-pinned", "warning"),
    "MFA003": ("deny-skips-access-keys", "error"),
    "MFA004": ("allow-accepts-no-mfa", "error"),
    "MFA005": ("deny-inverted", "error"),
    "MFA006": ("no-enforcing-deny", "warning"),
    "MFA007": ("mfa-removable-without-mfa", "error"),
    "MFA008": ("deny-resource-narrowed", "error"),
    "MFA009": ("enrolment-blocked", "error"),
    "MFA010": ("null-on-mfa-present", "warning"),
    "MFA011": ("mfa-age-skips-access-keys", "error"),
    "MFA012": ("mfa-deny-in-guardrail", "warning"),
    "MFA013": ("device-rotation-impossible", "warning"),
    "MFA014": ("broad-exemption", "error"),
    "MFA015": ("extra-device-with-one-factor", "info"),
    "MFA016": ("enforcement-removable", "info"),
    "MFA017": ("self-service-not-scoped", "error"),
    "MFA018": ("mfa-condition-broken", "error"),
    "MFA019": ("console-user-without-mfa", "warning"),
    "MFA020": ("role-trust-without-mfa", "info"),
}


def _settings(rule) -> Settings:
    args = list(rule.docs.example_args)
    overrides = {"extend_select": (rule.code,)} if rule.opt_in else {}
    if "--password-reset" in args:
        overrides["password_reset"] = args[args.index("--password-reset") + 1]
    return Settings(**overrides)


def _codes(rule, text: str) -> list[str]:
    path = f"example.{rule.docs.example_format}"
    return [finding.code for finding in Linter(_settings(rule), PLUGINS).lint_text(text, path)]


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda rule: rule.code)
def test_example_fires(rule):
    assert rule.code in _codes(rule, rule.docs.example)


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda rule: rule.code)
def test_use_instead_silent(rule):
    assert rule.code not in _codes(rule, rule.docs.use_instead)


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda rule: rule.code)
@pytest.mark.parametrize("section", ["what", "why", "example", "use_instead", "fix", "references"])
def test_section_present(rule, section):
    assert getattr(rule.docs, section)


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_catalog_name(code):
    assert PLUGINS.rules[code].name == CATALOG[code][0]


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_catalog_severity(code):
    assert PLUGINS.rules[code].severity.label == CATALOG[code][1]


def test_builtin_codes_in_catalog():
    assert sorted(rule.code for rule in BUILTIN) == sorted(CATALOG)


@pytest.mark.parametrize("name", sorted(generate()))
def test_docs_page_current(name):
    expected = generate()[name]
    path = DOCS_DIR / name
    assert path.is_file(), f"docs/rules/{name} is missing; run: python -m mfalint.ruledocs docs/rules"
    assert path.read_text(encoding="utf-8") == expected, (
        f"docs/rules/{name} is stale; run: python -m mfalint.ruledocs docs/rules"
    )


def test_no_stale_docs_pages():
    wanted = set(generate())
    assert {path.name for path in DOCS_DIR.glob("*.md")} <= wanted
