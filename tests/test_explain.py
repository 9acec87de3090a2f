"""explain_access(): what policies allow per scenario, and the bootstrap verdicts of a new user.

force-mfa-aws-sample.json is AWS's example policy that lets users manage their
own credentials only with MFA. Its virtual MFA device statement names
``mfa/${aws:username}``, so a device the user names is not covered, and its
no-MFA deny does not exempt iam:ChangePassword or iam:GetAccountPasswordPolicy.
force-mfa-repaired.json adds both exemptions. Tests that name no other
policy use the AWS sample. In test names, "no_mfa" is the console-no-mfa
scenario and "mfa" the console-mfa scenario.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mfalint.explain import (
    ALLOWED,
    DENIED,
    MAY_BE_ALLOWED,
    NOT_ALLOWED,
    AccessReport,
    explain_access,
    load_policies,
    render_text,
    report_to_json,
    run_explain_access,
)
from mfalint.iam import SCENARIOS

CASES = Path(__file__).parent / "fixtures" / "cases"
SAMPLE = CASES / "force-mfa-aws-sample.json"
REPAIRED = CASES / "force-mfa-repaired.json"

DENY_SID = "DenyAllExceptListedIfNoMFA"
# The line where the sample's DenyAllExceptListedIfNoMFA statement starts.
DENY_LINE = 89


def explain_file(path: Path) -> AccessReport:
    policies, problems = load_policies([str(path)])
    assert problems == []
    return explain_access(policies)


def write_policy(folder: Path, *statements: dict) -> Path:
    path = folder / "policy.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample() -> AccessReport:
    return explain_file(SAMPLE)


@pytest.fixture(scope="module")
def sample_text(sample: AccessReport) -> str:
    return render_text(sample)


@pytest.fixture(scope="module")
def sample_json(sample: AccessReport) -> dict:
    return report_to_json(sample)


@pytest.fixture(scope="module")
def admin_with_mfa(tmp_path_factory) -> AccessReport:
    folder = tmp_path_factory.mktemp("admin")
    path = write_policy(
        folder,
        {
            "Sid": "AdminWithMFA",
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
    )
    return explain_file(path)


# --- bootstrap verdicts ------------------------------------------------------


def test_no_mfa_change_password_denied(sample):
    assert sample.scenario("console-no-mfa").step("change-password").verdict == DENIED


def test_change_password_deny_sid(sample):
    step = sample.scenario("console-no-mfa").step("change-password")
    assert [info.sid for info in step.decided_by] == [DENY_SID]


def test_change_password_deny_line(sample):
    step = sample.scenario("console-no-mfa").step("change-password")
    assert step.decided_by[0].line == DENY_LINE


def test_change_password_deny_path(sample):
    step = sample.scenario("console-no-mfa").step("change-password")
    assert step.decided_by[0].path.endswith("force-mfa-aws-sample.json")


def test_no_mfa_password_policy_denied(sample):
    assert sample.scenario("console-no-mfa").step("read-password-policy").verdict == DENIED


def test_no_mfa_create_device_not_allowed(sample):
    assert sample.scenario("console-no-mfa").step("create-mfa-device").verdict == NOT_ALLOWED


def test_device_not_named_after_user(sample):
    step = sample.scenario("console-no-mfa").step("create-mfa-device")
    assert not step.step.resource.endswith("/alice")


def test_no_mfa_enable_device_allowed(sample):
    assert sample.scenario("console-no-mfa").step("enable-mfa-device").verdict == ALLOWED


def test_no_mfa_list_devices_allowed(sample):
    assert sample.scenario("console-no-mfa").step("list-mfa-devices").verdict == ALLOWED


def test_mfa_change_password_allowed(sample):
    assert sample.scenario("console-mfa").step("change-password").verdict == ALLOWED


def test_role_session_password_policy_uncertain(sample):
    assert sample.scenario("role-session").step("read-password-policy").verdict == MAY_BE_ALLOWED


def test_role_session_names_mfa_key(sample):
    step = sample.scenario("role-session").step("read-password-policy")
    assert "aws:MultiFactorAuthPresent" in step.unknown_keys


def test_repaired_change_password_allowed():
    report = explain_file(REPAIRED)
    assert report.scenario("console-no-mfa").step("change-password").verdict == ALLOWED


# --- action groups -----------------------------------------------------------


def test_no_mfa_denies_all_but_eight(sample):
    denied = sample.scenario("console-no-mfa").denied
    assert sum(group.count for group in denied.excluded) == 8


def test_no_mfa_denied_as_star(sample):
    denied = sample.scenario("console-no-mfa").denied
    assert [group.patterns for group in denied.groups] == [("*",)]


def test_star_deny_sid(sample):
    star = sample.scenario("console-no-mfa").denied.groups[0]
    assert [info.sid for info in star.decided_by] == [DENY_SID]


def test_mfa_allowed_count(sample):
    assert sample.scenario("console-mfa").allowed.count == 29


def test_credential_group_first(sample):
    first = sample.scenario("console-mfa").allowed.groups[0]
    assert first.patterns[0] == "iam:ChangePassword"


def test_admin_with_mfa_single_star_group(admin_with_mfa):
    allowed = admin_with_mfa.scenario("console-mfa").allowed
    assert [group.patterns for group in allowed.groups] == [("*",)]


def test_admin_with_mfa_nothing_excluded(admin_with_mfa):
    assert admin_with_mfa.scenario("console-mfa").allowed.excluded == ()


def test_star_group_names_broad_statement(tmp_path):
    """A '*' group is credited to the statement that grants the bulk, not to a narrow one that also matches."""
    path = write_policy(
        tmp_path,
        {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Sid": "ReadAccount", "Effect": "Allow", "Action": ["iam:GetAccount*", "iam:ListUsers"], "Resource": "*"},
    )
    star = explain_file(path).scenario("console-mfa").allowed.groups[0]
    assert star.patterns == ("*",)
    assert [info.sid for info in star.decided_by] == ["AllButIam"]


def test_star_group_lists_narrow_grant(tmp_path):
    """A narrow Allow beside a broad one is named under the '*' group, with the actions it decides."""
    path = write_policy(
        tmp_path,
        {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Sid": "ReadPasswordPolicy", "Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
        {"Sid": "ListUsersWithMFA", "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    )
    star = explain_file(path).scenario("console-no-mfa").allowed.groups[0]
    assert [(other.statement.sid, other.count, other.actions) for other in star.also_by] == [
        ("ReadPasswordPolicy", 1, ("iam:GetAccountPasswordPolicy",))
    ]


def test_admin_without_mfa_not_allowed(admin_with_mfa):
    assert admin_with_mfa.scenario("console-no-mfa").step("change-password").verdict == NOT_ALLOWED


def test_wildcard_preferred_over_names(tmp_path):
    path = write_policy(tmp_path, {"Effect": "Allow", "Action": ["iam:List*", "iam:GetUser"], "Resource": "*"})
    groups = explain_file(path).scenario("console-mfa").allowed.groups
    assert "iam:List*" in [pattern for group in groups for pattern in group.patterns]


def test_partial_prefix_not_wildcarded(tmp_path):
    path = write_policy(tmp_path, {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListRoles"], "Resource": "*"})
    groups = explain_file(path).scenario("console-mfa").allowed.groups
    patterns = sorted(pattern for group in groups if group.service == "iam" for pattern in group.patterns)
    assert patterns == ["iam:ListRoles", "iam:ListUsers"]


def test_whole_service_compressed(tmp_path):
    path = write_policy(tmp_path, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    groups = explain_file(path).scenario("console-mfa").allowed.groups
    assert ("s3:*",) in [group.patterns for group in groups]


def test_credentials_before_other_services(tmp_path):
    path = write_policy(tmp_path, {"Effect": "Allow", "Action": ["s3:GetObject", "iam:CreateAccessKey"], "Resource": "*"})
    groups = explain_file(path).scenario("console-mfa").allowed.groups
    assert groups[0].patterns == ("iam:CreateAccessKey",)


def test_unknown_action_grouped(tmp_path):
    path = write_policy(tmp_path, {"Effect": "Allow", "Action": "iam:ChangePasword", "Resource": "*"})
    groups = explain_file(path).scenario("console-mfa").allowed.groups
    assert ("iam", "unknown") in [(group.service, group.access_level) for group in groups]


def test_trust_policy_not_evaluated(tmp_path):
    path = tmp_path / "trust.json"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    path.write_text(json.dumps(trust), encoding="utf-8")
    report = explain_file(path)
    assert [source.evaluated for source in report.policies] == [False]


# --- JSON --------------------------------------------------------------------


def test_json_top_level_keys(sample_json):
    assert set(sample_json) == {"format_version", "principal", "catalog", "policies", "problems", "scenarios"}


def test_json_scenario_names(sample_json):
    assert [scenario["name"] for scenario in sample_json["scenarios"]] == list(SCENARIOS)


def test_json_scenario_keys(sample_json):
    keys = {"name", "description", "bootstrap", "allowed", "may_be_allowed", "denied", "not_allowed"}
    assert all(set(scenario) == keys for scenario in sample_json["scenarios"])


def test_json_step_keys(sample_json):
    keys = {"id", "title", "action", "resource", "console_helper", "verdict", "decided_by", "depends_on", "unknown_keys", "reason"}
    assert set(sample_json["scenarios"][0]["bootstrap"][0]) == keys


def test_json_summary_keys(sample_json):
    assert set(sample_json["scenarios"][0]["denied"]) == {"count", "groups", "except"}


def test_json_group_keys(sample_json):
    keys = {"service", "access_level", "count", "patterns", "example", "decided_by", "depends_on", "unknown_keys", "reason", "also_by"}
    assert set(sample_json["scenarios"][0]["allowed"]["groups"][0]) == keys


def test_json_statement_keys(sample_json):
    statement = sample_json["scenarios"][0]["bootstrap"][0]["decided_by"][0]
    assert set(statement) == {"label", "sid", "effect", "path", "line", "column"}


def test_json_change_password_verdict(sample_json):
    steps = {step["id"]: step for step in sample_json["scenarios"][0]["bootstrap"]}
    assert steps["change-password"]["verdict"] == "denied"


def test_json_round_trips(sample_json):
    assert json.loads(json.dumps(sample_json)) == sample_json


# --- text --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_text_scenario_heading(sample_text, name):
    assert f"{name}: {SCENARIOS[name].description}" in sample_text.splitlines()


def test_text_change_password_line(sample_text):
    pattern = rf"^ +change password +denied +statement '{DENY_SID}' \(line {DENY_LINE}\)$"
    assert re.search(pattern, sample_text, re.MULTILINE)


def test_text_width(sample_text):
    # The first line names the file, whose path may be long.
    assert max(len(line) for line in sample_text.splitlines()[1:]) <= 100


def test_text_no_colours(sample_text):
    assert "\x1b" not in sample_text


def test_text_star_policy_short(admin_with_mfa):
    assert len(render_text(admin_with_mfa).splitlines()) < 120


def test_text_star_policy_every_action(admin_with_mfa):
    assert "    *  every action" in render_text(admin_with_mfa).splitlines()


# --- command line helper ----------------------------------------------------


def test_run_text_status():
    _output, status = run_explain_access([str(SAMPLE)], "text")
    assert status == 0


def test_run_json_parses():
    output, _status = run_explain_access([str(SAMPLE)], "json")
    assert json.loads(output)["format_version"] == 1


def test_run_unreadable_file_line(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"Statement": [', encoding="utf-8")
    output, _status = run_explain_access([str(broken), str(SAMPLE)], "text")
    assert any(line.startswith(f"{broken}:") and "invalid JSON" in line for line in output.splitlines())


def test_run_unreadable_file_still_explains(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"Statement": [', encoding="utf-8")
    _output, status = run_explain_access([str(broken), str(SAMPLE)], "text")
    assert status == 0


def test_run_missing_file_reported(tmp_path):
    missing = tmp_path / "missing.json"
    output, _status = run_explain_access([str(missing)], "text")
    assert output.startswith(f"{missing}: ")


def test_run_no_policy_status(tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"name": "not a policy"}', encoding="utf-8")
    _output, status = run_explain_access([str(other)], "text")
    assert status == 2


def test_run_no_policy_json_status(tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"name": "not a policy"}', encoding="utf-8")
    _output, status = run_explain_access([str(other)], "json")
    assert status == 2


def test_run_unsupported_format():
    _output, status = run_explain_access([str(SAMPLE)], "sarif")
    assert status == 2
