"""Each built-in rule fires on its fixtures under fires/ and stays silent under ok/.

Fixtures live in tests/fixtures/rules/<CODE>/fires and .../ok; the folder
names are the expectations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mfalint.findings import Severity

RULES_DIR = Path(__file__).parent / "fixtures" / "rules"


def _cases(kind: str) -> list:
    cases = []
    for rule_dir in sorted(RULES_DIR.iterdir()):
        for path in sorted((rule_dir / kind).glob("*")):
            cases.append(pytest.param(rule_dir.name, path, id=f"{rule_dir.name}-{path.name}"))
    return cases


# Opt-in rules run only when selected by name.
OPT_IN = ("MFA015", "MFA016", "MFA020")


def _lint_for(lint, code, path):
    extend = (code,) if code in OPT_IN else ()
    return lint(path, password_reset="required", extend_select=extend)


@pytest.mark.parametrize(("code", "path"), _cases("fires"))
def test_rule_fires(lint, code, path):
    codes = [finding.code for finding in _lint_for(lint, code, path)]
    assert code in codes


@pytest.mark.parametrize(("code", "path"), _cases("ok"))
def test_rule_silent(lint, code, path):
    findings = [finding for finding in _lint_for(lint, code, path) if finding.code == code]
    assert findings == []


@pytest.mark.parametrize("code", OPT_IN)
def test_opt_in_off_by_default(lint, code):
    path = next((RULES_DIR / code / "fires").glob("*"))
    assert code not in [finding.code for finding in lint(path)]


def test_every_rule_has_fixtures(lint):
    from mfalint.plugins import load_plugins

    builtin = [code for code, plugin in load_plugins().rule_plugins.items() if plugin == "mfalint[builtin]"]
    missing = [code for code in builtin if not (RULES_DIR / code / "fires").is_dir() or not (RULES_DIR / code / "ok").is_dir()]
    assert missing == []


def _one(findings, code):
    matching = [finding for finding in findings if finding.code == code]
    assert len(matching) == 1, matching
    return matching[0]


class TestPasswordReset:
    sample = RULES_DIR / "MFA001" / "fires" / "aws-sample-deny.json"
    partial = RULES_DIR / "MFA001" / "fires" / "partial.json"

    def test_required_is_error(self, lint):
        assert _one(lint(self.sample, password_reset="required"), "MFA001").severity is Severity.ERROR

    def test_auto_is_warning(self, lint):
        assert _one(lint(self.sample, password_reset="auto"), "MFA001").severity is Severity.WARNING

    def test_never_is_silent(self, lint):
        assert [f for f in lint(self.sample, password_reset="never") if f.code == "MFA001"] == []

    def test_points_at_notaction(self, lint):
        finding = _one(lint(self.sample), "MFA001")
        assert finding.jsonpath == "$.Statement[0].NotAction"

    def test_span_covers_array(self, lint):
        finding = _one(lint(self.sample), "MFA001")
        assert (finding.span.start.line, finding.span.start.column) == (7, 20)

    def test_message_names_actions(self, lint):
        message = _one(lint(self.sample), "MFA001").message
        assert "'iam:ChangePassword' and 'iam:GetAccountPasswordPolicy'" in message

    def test_message_names_statement(self, lint):
        message = _one(lint(self.sample), "MFA001").message
        assert "'DenyAllExceptListedIfNoMFA'" in message

    def test_message_gives_both_remedies(self, lint):
        message = _one(lint(self.sample), "MFA001").message
        assert "add them to its NotAction" in message
        assert "first sign-in" in message

    def test_partial_required_is_warning(self, lint):
        assert _one(lint(self.partial, password_reset="required"), "MFA001").severity is Severity.WARNING

    def test_partial_auto_is_info(self, lint):
        assert _one(lint(self.partial), "MFA001").severity is Severity.INFO

    def test_partial_names_only_policy_read(self, lint):
        message = _one(lint(self.partial), "MFA001").message
        assert "iam:ChangePassword" not in message

    def test_region_condition_named(self, lint):
        path = RULES_DIR / "MFA001" / "fires" / "deny-with-region.json"
        assert "aws:RequestedRegion" in _one(lint(path), "MFA001").message


class TestOtherRules:
    def test_device_pinned_points_at_resource(self, lint):
        finding = _one(lint(RULES_DIR / "MFA002" / "fires" / "username-device.json"), "MFA002")
        assert finding.jsonpath == "$.Statement[0].Resource"

    def test_bool_points_at_operator(self, lint):
        finding = _one(lint(RULES_DIR / "MFA003" / "fires" / "bool-false.json"), "MFA003")
        assert finding.jsonpath == "$.Statement[0].Condition.Bool"

    def test_boolifexists_allow_points_at_operator(self, lint):
        finding = _one(lint(RULES_DIR / "MFA004" / "fires" / "trust-boolifexists.json"), "MFA004")
        assert finding.jsonpath == "$.Statement[0].Condition.BoolIfExists"

    def test_inverted_points_at_action_key(self, lint):
        finding = _one(lint(RULES_DIR / "MFA005" / "fires" / "inverted.json"), "MFA005")
        assert finding.jsonpath == "$.Statement[0].Action"

    def test_inverted_not_reported_twice(self, lint):
        codes = [finding.code for finding in lint(RULES_DIR / "MFA005" / "fires" / "inverted.json")]
        assert "MFA009" not in codes

    def test_enrolment_deny_is_error(self, lint):
        finding = _one(lint(RULES_DIR / "MFA009" / "fires" / "deny-blocks-enable.json"), "MFA009")
        assert finding.severity is Severity.ERROR

    def test_enrolment_deny_names_action(self, lint):
        finding = _one(lint(RULES_DIR / "MFA009" / "fires" / "deny-blocks-enable.json"), "MFA009")
        assert "'iam:EnableMFADevice'" in finding.message

    def test_console_helpers_are_warning(self, lint):
        finding = _one(lint(RULES_DIR / "MFA009" / "fires" / "helpers-only.json"), "MFA009")
        assert finding.severity is Severity.WARNING

    def test_deadlock_points_at_condition(self, lint):
        finding = _one(lint(RULES_DIR / "MFA009" / "fires" / "allow-only-with-mfa.json"), "MFA009")
        assert finding.jsonpath == "$.Statement[0].Condition"

    def test_unquoted_version_position(self, lint):
        finding = _one(lint(RULES_DIR / "IAM014" / "fires" / "unquoted.yaml"), "IAM014")
        assert (finding.span.start.line, finding.span.start.column) == (1, 10)

    def test_duplicate_key_at_second(self, lint):
        finding = _one(lint(RULES_DIR / "IAM015" / "fires" / "duplicate.json"), "IAM015")
        assert finding.span.start.line == 7

    def test_duplicate_key_yaml_at_second(self, lint):
        finding = _one(lint(RULES_DIR / "IAM015" / "fires" / "duplicate.yaml"), "IAM015")
        assert finding.span.start.line == 6

    def test_variable_literal_names_version(self, lint):
        finding = _one(lint(RULES_DIR / "IAM009" / "fires" / "version-2008.json"), "IAM009")
        assert "Version is '2008-10-17'" in finding.message

    def test_missing_version_named(self, lint):
        finding = _one(lint(RULES_DIR / "IAM009" / "fires" / "no-version.json"), "IAM009")
        assert "has no Version" in finding.message

    def test_unknown_key_suggests(self, lint):
        finding = _one(lint(RULES_DIR / "IAM003" / "fires" / "unknown-statement-key.json"), "IAM003")
        assert "did you mean 'NotAction'?" in finding.message

    def test_bare_statement_still_analysed(self, lint):
        codes = [finding.code for finding in lint(RULES_DIR / "IAM002" / "fires" / "bare-statement.json")]
        assert "MFA001" in codes

    def test_terraform_style_list_analysed(self, lint):
        path = RULES_DIR / "IAM002" / "ok" / "terraform-style-list.yaml"
        assert [finding.code for finding in lint(path)] == []


class TestReviewedBehaviour:
    def test_delete_device_is_warning(self, lint):
        findings = [f for f in lint(RULES_DIR / "MFA007" / "fires" / "delete-exempt.json") if f.code == "MFA007"]
        assert {finding.severity for finding in findings} == {Severity.WARNING}

    def test_deactivate_is_error(self, lint):
        findings = [f for f in lint(RULES_DIR / "MFA007" / "fires" / "exempt-and-allowed.json") if f.code == "MFA007"]
        assert {finding.severity for finding in findings} == {Severity.ERROR}

    def test_both_values_named(self, lint):
        finding = _one(lint(RULES_DIR / "MFA018" / "fires" / "both-values.json"), "MFA018")
        assert "lists both true and false" in finding.message

    def test_both_values_deny_everyone(self, lint):
        finding = _one(lint(RULES_DIR / "MFA018" / "fires" / "both-values.json"), "MFA018")
        assert "even with MFA" in finding.message
