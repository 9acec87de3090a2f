"""Terraform plans and state (terraform show -json), read by the real loaders and linter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mfalint.document import Document
from mfalint.loaders import JsonLoader, terraform_plan
from mfalint.model import PolicyKind

FIXTURES = Path(__file__).parent / "fixtures"
PLANS = FIXTURES / "terraform_plan"
SAMPLE = FIXTURES / "cases" / "force-mfa-aws-sample.json"
KIND = "mfalint.loaders.terraform_plan"
NOT_ACTION_PATH = "$.planned_values.root_module.resources[2].values.policy.Statement[8].NotAction"


def load(path: Path) -> Document:
    """Load and extract a file as the runner does."""
    loader = JsonLoader()
    document = loader.load(path.read_text(encoding="utf-8"), str(path))
    document.policies = loader.extract(document)
    return document


def text_at(path: Path, line: int, column: int, length: int) -> str:
    """Return the text of a file at a 1-based line and column."""
    return path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1 : column - 1 + length]


def line_of(path: Path, text: str, after: int = 0) -> int:
    """Return the 1-based number of the first line after line ``after`` that contains ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if number > after and text in line)


def mfa001(lint, path: Path, **settings):
    hits = [finding for finding in lint(path, **settings) if finding.code == "MFA001"]
    assert len(hits) == 1
    return hits[0]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("managed policy AuditReadOnly (aws_iam_policy.audit)", PolicyKind.IDENTITY),
        ("service control policy DenyLeaveOrganization (aws_organizations_policy.deny_leave)", PolicyKind.SCP),
        ("managed policy module.identity.aws_iam_policy.boundary", PolicyKind.BOUNDARY),
        ("managed policy ForceMFA (module.identity.aws_iam_policy.force_mfa)", PolicyKind.IDENTITY),
        ("trust policy of role deploy (module.identity.aws_iam_role.deploy)", PolicyKind.TRUST),
        ("inline policy ReadArtifacts of role deploy (module.identity.aws_iam_role.deploy)", PolicyKind.IDENTITY),
        ("inline policy WriteLogs of role deploy (module.identity.aws_iam_role_policy.deploy_logs)", PolicyKind.IDENTITY),
        ("inline policy ManageOwnAccessKeys of user dana (module.identity.aws_iam_user_policy.dana_keys)", PolicyKind.IDENTITY),
    ],
)
def test_policy_name_and_kind(name: str, kind: PolicyKind) -> None:
    kinds = {policy.name: policy.kind for policy in load(PLANS / "platform-modules.json").policies}
    assert kinds.get(name) is kind


def test_platform_policy_count() -> None:
    # The tag policy is not in the IAM policy language and is not read.
    assert len(load(PLANS / "platform-modules.json").policies) == 8


@pytest.mark.parametrize(
    "fixture", ["reset-required.json", "no-login-profile.json", "state-reset-required.json", "platform-modules.json"]
)
def test_plan_claimed(fixture: str) -> None:
    assert load(PLANS / fixture).facts.get("kind") == KIND


def test_root_module_policy() -> None:
    names = [policy.name for policy in load(PLANS / "reset-required.json").policies]
    assert names == ["managed policy ForceMFA (aws_iam_policy.force_mfa)"]


class TestPasswordReset:
    def test_error_with_login_profile(self, lint) -> None:
        assert mfa001(lint, PLANS / "reset-required.json").severity.label == "error"

    def test_names_evidence(self, lint) -> None:
        message = mfa001(lint, PLANS / "reset-required.json").message
        assert "user 'new-engineer' must change its password at first sign-in" in message

    def test_evidence_location(self, lint) -> None:
        # The planned value of password_reset_required, after the login profile's address.
        path = PLANS / "reset-required.json"
        line = line_of(path, '"password_reset_required": true', after=line_of(path, "aws_iam_user_login_profile.new_engineer"))
        assert f"reset-required.json:{line})" in mfa001(lint, path).message

    def test_warning_without_login_profile(self, lint) -> None:
        assert mfa001(lint, PLANS / "no-login-profile.json").severity.label == "warning"

    def test_state_links_by_arn(self, lint) -> None:
        # In a state every ARN is known, so the attachment is linked by its policy_arn value.
        assert mfa001(lint, PLANS / "state-reset-required.json").severity.label == "error"

    def test_password_expiry_is_evidence(self, lint) -> None:
        message = mfa001(lint, PLANS / "platform-modules.json").message
        assert "the account password policy makes passwords expire after 90 days" in message

    def test_password_expiry_error(self, lint) -> None:
        assert mfa001(lint, PLANS / "platform-modules.json").severity.label == "error"


class TestPositions:
    def test_jsonpath(self, lint) -> None:
        assert mfa001(lint, PLANS / "reset-required.json").jsonpath == NOT_ACTION_PATH

    def test_points_into_string(self, lint) -> None:
        path = PLANS / "reset-required.json"
        hit = mfa001(lint, path)
        assert text_at(path, hit.span.start.line, hit.span.start.column, 29) == '[\\"iam:CreateVirtualMFADevice'

    def test_end_of_array(self, lint) -> None:
        path = PLANS / "reset-required.json"
        hit = mfa001(lint, path)
        assert text_at(path, hit.span.end.line, hit.span.end.column - 2, 2) == '"]'

    def test_on_policy_line(self, lint) -> None:
        path = PLANS / "reset-required.json"
        assert mfa001(lint, path).span.start.line == line_of(path, '"policy": ')

    def test_no_fix_inside_string(self, lint) -> None:
        # An edit inside the policy string would have to escape its quotes.
        assert mfa001(lint, PLANS / "reset-required.json").fix is None

    def test_single_line_plan(self, lint) -> None:
        # terraform show -json prints the whole plan on one line.
        path = PLANS / "platform-modules.json"
        hit = mfa001(lint, path)
        assert text_at(path, hit.span.start.line, hit.span.start.column, 29) == '[\\"iam:CreateVirtualMFADevice'

    def test_escaped_characters_before(self, lint, tmp_path: Path) -> None:
        # jsonencode writes "&" as \u0026 in the policy text, and the plan file
        # may escape non-ASCII characters of the string as \u00e9.
        plan = json.loads((PLANS / "reset-required.json").read_text(encoding="utf-8"))
        resource = plan["planned_values"]["root_module"]["resources"][2]
        policy = json.loads(resource["values"]["policy"])
        policy["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "R&D équipe 😀"}}
        resource["values"]["policy"] = json.dumps(policy, ensure_ascii=False).replace("&", "\\u0026")
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(plan, indent=2, ensure_ascii=True), encoding="utf-8")
        assert "\\u00e9" in path.read_text(encoding="utf-8")
        hit = mfa001(lint, path)
        assert text_at(path, hit.span.start.line, hit.span.start.column, 29) == '[\\"iam:CreateVirtualMFADevice'


@pytest.fixture(scope="module")
def workspace():
    return JsonLoader().link([load(PLANS / "platform-modules.json")])


class TestLinks:
    def test_user_keyed_by_address(self, workspace) -> None:
        assert 'module.identity.aws_iam_user.this["dana"]' in workspace.principals

    def test_module_output_link(self, workspace) -> None:
        # policy_arn = module.identity.force_mfa_arn, unknown until apply.
        ops = workspace.principals["aws_iam_user.ops"]
        assert [policy.name for policy in ops.policies] == ["managed policy ForceMFA (module.identity.aws_iam_policy.force_mfa)"]

    def test_module_input_link(self, workspace) -> None:
        # policy_arn = var.audit_policy_arn inside the module, set from the root module.
        staff = workspace.principals["module.identity.aws_iam_group.staff"]
        assert "managed policy AuditReadOnly (aws_iam_policy.audit)" in [policy.name for policy in staff.policies]

    @pytest.mark.parametrize("user", ["dana", "erik"])
    def test_group_membership(self, workspace, user: str) -> None:
        principal = workspace.principals[f'module.identity.aws_iam_user.this["{user}"]']
        assert principal.groups == ["module.identity.aws_iam_group.staff"]

    def test_group_policy_reaches_user(self, workspace) -> None:
        erik = workspace.principals['module.identity.aws_iam_user.this["erik"]']
        names = [policy.name for policy in workspace.policy_set(erik)]
        assert "managed policy ForceMFA (module.identity.aws_iam_policy.force_mfa)" in names

    def test_boundary_with_unknown_name(self, workspace) -> None:
        dana = workspace.principals['module.identity.aws_iam_user.this["dana"]']
        assert dana.boundary.name == "managed policy module.identity.aws_iam_policy.boundary"

    def test_role_policy_by_unknown_id(self, workspace) -> None:
        # role = aws_iam_role.deploy.id is unknown until apply.
        deploy = workspace.principals["module.identity.aws_iam_role.deploy"]
        assert "inline policy WriteLogs of role deploy (module.identity.aws_iam_role_policy.deploy_logs)" in [
            policy.name for policy in deploy.policies
        ]

    def test_account_evidence(self, workspace) -> None:
        assert [item.principal for item in workspace.evidence] == [None]

    def test_console_password(self) -> None:
        workspace = JsonLoader().link([load(PLANS / "reset-required.json")])
        assert workspace.principals["aws_iam_user.new_engineer"].console_password is True

    def test_user_evidence(self) -> None:
        workspace = JsonLoader().link([load(PLANS / "reset-required.json")])
        assert [item.principal for item in workspace.evidence] == ["aws_iam_user.new_engineer"]


class TestMalformedPolicy:
    PATH = PLANS / "malformed-policy.json"

    def iam001(self, lint):
        return [finding for finding in lint(self.PATH) if finding.code == "IAM001"]

    def test_one_iam001(self, lint) -> None:
        # The same string in resource_changes is not read, so it is reported once.
        assert len(self.iam001(lint)) == 1

    def test_iam001_at_comma(self, lint) -> None:
        hit = self.iam001(lint)[0]
        assert text_at(self.PATH, hit.span.start.line, hit.span.start.column, 3) == ",}]"

    def test_iam001_in_planned_values(self, lint) -> None:
        assert self.iam001(lint)[0].jsonpath == "$.planned_values.root_module.resources[1].values.policy"

    def test_iam001_names_policy(self, lint) -> None:
        message = self.iam001(lint)[0].message
        assert message.startswith("managed policy AuditReadOnly (aws_iam_policy.audit): invalid JSON: trailing comma")

    def test_other_policies_read(self) -> None:
        assert len(load(self.PATH).policies) == 7

    def test_other_files_linted(self, lint) -> None:
        findings = lint(self.PATH, PLANS / "reset-required.json")
        assert any(f.code == "MFA001" and f.path.endswith("reset-required.json") for f in findings)

    def test_same_file_still_linted(self, lint) -> None:
        assert "MFA001" in [finding.code for finding in lint(self.PATH)]


def test_lone_surrogate_iam001(lint, tmp_path: Path) -> None:
    # "\ud800" is valid JSON in the plan file, but the policy text it decodes to is not Unicode.
    plan = json.loads((PLANS / "reset-required.json").read_text(encoding="utf-8"))
    resource = plan["planned_values"]["root_module"]["resources"][2]
    resource["values"]["policy"] = resource["values"]["policy"].replace("AllowViewAccountInfo", "Allow\ud800")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    hit = next(finding for finding in lint(path) if finding.code == "IAM001")
    assert text_at(path, hit.span.start.line, hit.span.start.column, 6) == "\\ud800"


def test_unsupported_format_version(lint, tmp_path: Path) -> None:
    plan = json.loads((PLANS / "reset-required.json").read_text(encoding="utf-8"))
    plan["format_version"] = "2.0"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    assert [finding.code for finding in lint(path)] == ["IAM001"]


def test_empty_plan_quiet(lint, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {"root_module": {}}}), encoding="utf-8")
    assert lint(path) == []


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE.read_text(encoding="utf-8"),
        json.dumps({"name": "console", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}}),
        json.dumps({"format_version": "1.0", "provider_schemas": {}}),
        json.dumps({"UserDetailList": [], "Policies": []}),
    ],
    ids=["policy", "package-json", "provider-schemas", "account-dump"],
)
def test_not_claimed(text: str) -> None:
    document = JsonLoader().load(text, "input.json")
    assert terraform_plan.detect(document) is False


def test_policy_file_read_as_policy() -> None:
    document = load(SAMPLE)
    assert document.facts.get("kind") is None
    assert len(document.policies) == 1


def test_package_json_quiet(lint, tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"name": "console", "version": "1.0.0", "scripts": {"test": "jest"}}), encoding="utf-8")
    assert lint(path) == []


def test_cli_reports_plan() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mfalint", "--format", "json", str(PLANS / "reset-required.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert {(finding["code"], finding["severity"]) for finding in json.loads(result.stdout)} == {
        ("MFA001", "error"),
        ("MFA002", "warning"),
    }
