"""Account dumps (aws iam get-account-authorization-details), read by the real loaders and linter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from mfalint.document import Document
from mfalint.findings import Severity
from mfalint.loaders import JsonLoader, YamlLoader, account_dump
from mfalint.model import PolicyKind

FIXTURES = Path(__file__).parent / "fixtures"
DUMPS = FIXTURES / "account_dump"
SAMPLE = FIXTURES / "cases" / "force-mfa-aws-sample.json"
ACCOUNT = "arn:aws:iam::123456789012"
FORCE_MFA = "managed policy ForceMFA (default version v3)"
KIND = "mfalint.loaders.account_dump"


def load(path: Path) -> Document:
    """Load and extract a file as the runner does, with the loader its suffix selects."""
    loader = YamlLoader() if path.suffix == ".yaml" else JsonLoader()
    document = loader.load(path.read_text(encoding="utf-8"), str(path))
    document.policies = loader.extract(document)
    return document


def policy_kinds(path: Path) -> dict[str, PolicyKind]:
    return {policy.name: policy.kind for policy in load(path).policies}


def text_at(path: Path, line: int, column: int, length: int) -> str:
    """Return the text of a file at a 1-based line and column."""
    return path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1 : column - 1 + length]


def codes(findings) -> list[str]:
    return [finding.code for finding in findings]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (FORCE_MFA, PolicyKind.IDENTITY),
        ("managed policy DeveloperBoundary (default version v1)", PolicyKind.BOUNDARY),
        ("managed policy IAMUserChangePassword (default version v2)", PolicyKind.IDENTITY),
        ("inline policy ReadBilling of group engineers", PolicyKind.IDENTITY),
        ("inline policy ManageOwnAccessKeys of user bob", PolicyKind.IDENTITY),
        ("trust policy of role deploy", PolicyKind.TRUST),
        ("inline policy WriteLogs of role deploy", PolicyKind.IDENTITY),
    ],
)
@pytest.mark.parametrize("fixture", ["cli-output.json", "url-encoded.json", "cli-output.yaml"])
def test_policy_name_and_kind(fixture: str, name: str, kind: PolicyKind) -> None:
    assert policy_kinds(DUMPS / fixture).get(name) is kind


@pytest.mark.parametrize("fixture", ["cli-output.json", "url-encoded.json", "cli-output.yaml"])
def test_dump_policy_count(fixture: str) -> None:
    assert len(load(DUMPS / fixture).policies) == 7


@pytest.mark.parametrize("fixture", ["cli-output.json", "url-encoded.json", "cli-output.yaml"])
def test_dump_claimed(fixture: str) -> None:
    assert load(DUMPS / fixture).facts.get("kind") == KIND


def test_only_default_version_read() -> None:
    assert [policy.name for policy in load(DUMPS / "policy-versions.json").policies] == [FORCE_MFA]


def test_default_version_document() -> None:
    # v3 is the AWS sample, whose last statement is the MFA deny with BoolIfExists.
    policy = load(DUMPS / "policy-versions.json").policies[0]
    assert policy.statements[-1].conditions[0].operator.text == "BoolIfExists"


def test_non_default_versions_not_linted(lint) -> None:
    # v2 (a deny keyed on Bool, MFA003) and v1 (an inverted deny, MFA005) are not enforced by IAM.
    found = codes(lint(DUMPS / "policy-versions.json"))
    assert "MFA003" not in found
    assert "MFA005" not in found


def test_default_version_linted(lint) -> None:
    assert "MFA001" in codes(lint(DUMPS / "policy-versions.json"))


@pytest.mark.parametrize("fixture", ["cli-output.json", "url-encoded.json", "cli-output.yaml"])
def test_mfa001_on_force_mfa(lint, fixture: str) -> None:
    hits = [finding for finding in lint(DUMPS / fixture) if finding.code == "MFA001"]
    assert len(hits) == 1
    assert hits[0].jsonpath == "$.Policies[0].PolicyVersionList[0].Document.Statement[8].NotAction"


def test_mfa001_warning_without_evidence(lint) -> None:
    # A dump contains no login profiles and no password policy.
    hits = [finding for finding in lint(DUMPS / "cli-output.json") if finding.code == "MFA001"]
    assert hits[0].severity.label == "warning"


def test_mfa001_error_when_required(lint) -> None:
    hits = [finding for finding in lint(DUMPS / "cli-output.json", password_reset="required") if finding.code == "MFA001"]
    assert hits[0].severity.label == "error"


def test_object_finding_position(lint) -> None:
    hit = next(finding for finding in lint(DUMPS / "cli-output.json") if finding.code == "MFA001")
    assert text_at(DUMPS / "cli-output.json", hit.span.start.line, hit.span.start.column, 1) == "["


def test_url_encoded_finding_position(lint) -> None:
    # The NotAction array starts with "[", URL-encoded as %5B inside the string.
    hit = next(finding for finding in lint(DUMPS / "url-encoded.json") if finding.code == "MFA001")
    assert text_at(DUMPS / "url-encoded.json", hit.span.start.line, hit.span.start.column, 3) == "%5B"


def test_url_encoded_finding_end(lint) -> None:
    hit = next(finding for finding in lint(DUMPS / "url-encoded.json") if finding.code == "MFA001")
    assert text_at(DUMPS / "url-encoded.json", hit.span.end.line, hit.span.end.column - 3, 3) == "%5D"


def test_url_encoded_same_findings(lint) -> None:
    def summary(path: Path) -> list[tuple[str, str, str, str]]:
        return sorted((f.code, f.severity.label, f.message, f.jsonpath) for f in lint(path, password_reset="required"))

    objects = summary(DUMPS / "cli-output.json")
    assert objects
    assert summary(DUMPS / "url-encoded.json") == objects


def test_no_fix_inside_string(lint) -> None:
    # An edit inside a URL-encoded string would have to be URL-encoded too.
    hit = next(finding for finding in lint(DUMPS / "url-encoded.json") if finding.code == "MFA001")
    assert hit.fix is None


def test_url_encoded_non_ascii_position(lint, tmp_path: Path) -> None:
    # A two-byte character (%C3%A9) before the deny must not shift the position.
    dump = json.loads((DUMPS / "url-encoded.json").read_text(encoding="utf-8"))
    version = dump["Policies"][0]["PolicyVersionList"][0]
    sid = quote('"AllowViewAccountInfo"', safe="")
    condition = quote(',"Condition": {"StringEquals": {"aws:PrincipalTag/team": "équipe"}}', safe="")
    version["Document"] = version["Document"].replace(sid, sid + condition)
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(dump, indent=4), encoding="utf-8")
    hit = next(finding for finding in lint(path) if finding.code == "MFA001")
    assert text_at(path, hit.span.start.line, hit.span.start.column, 3) == "%5B"


@pytest.fixture(scope="module")
def workspace():
    return JsonLoader().link([load(DUMPS / "url-encoded.json")])


def test_yaml_string_points_at_string(lint, tmp_path: Path) -> None:
    # A YAML scalar cannot be traced character by character, so the finding covers the whole string.
    dump = json.loads((DUMPS / "url-encoded.json").read_text(encoding="utf-8"))
    path = tmp_path / "dump.yaml"
    path.write_text(yaml.safe_dump(dump, sort_keys=False, width=100_000), encoding="utf-8")
    hit = next(finding for finding in lint(path) if finding.code == "MFA001")
    assert text_at(path, hit.span.start.line, hit.span.start.column, 4) == "'%7B"


class TestLinks:
    def test_user_keyed_by_arn(self, workspace) -> None:
        assert f"{ACCOUNT}:user/staff/alice" in workspace.principals

    def test_user_path(self, workspace) -> None:
        assert workspace.principals[f"{ACCOUNT}:user/staff/alice"].path == "/staff/"

    def test_group_membership(self, workspace) -> None:
        assert workspace.principals[f"{ACCOUNT}:user/staff/alice"].groups == [f"{ACCOUNT}:group/engineers"]

    def test_group_policy_reaches_user(self, workspace) -> None:
        alice = workspace.principals[f"{ACCOUNT}:user/staff/alice"]
        assert FORCE_MFA in [policy.name for policy in workspace.policy_set(alice)]

    def test_inline_and_managed_on_user(self, workspace) -> None:
        bob = workspace.principals[f"{ACCOUNT}:user/bob"]
        assert [policy.name for policy in bob.policies] == [
            "inline policy ManageOwnAccessKeys of user bob",
            "managed policy IAMUserChangePassword (default version v2)",
        ]

    def test_boundary(self, workspace) -> None:
        bob = workspace.principals[f"{ACCOUNT}:user/bob"]
        assert bob.boundary.name == "managed policy DeveloperBoundary (default version v1)"

    def test_role_inline_policy(self, workspace) -> None:
        role = workspace.principals[f"{ACCOUNT}:role/deploy"]
        assert [policy.name for policy in role.policies] == ["inline policy WriteLogs of role deploy"]

    def test_no_reset_evidence(self, workspace) -> None:
        assert workspace.evidence == []


class TestMalformedDocument:
    PATH = DUMPS / "malformed-document.json"

    def iam001(self, lint):
        return [finding for finding in lint(self.PATH) if finding.code == "IAM001"]

    def test_one_iam001(self, lint) -> None:
        assert len(self.iam001(lint)) == 1

    def test_iam001_inside_string(self, lint) -> None:
        # The string was cut after "%2", so the JSON parser stops at that "%".
        hit = self.iam001(lint)[0]
        assert text_at(self.PATH, hit.span.start.line, hit.span.start.column, 3) == '%2"'

    def test_iam001_names_policy(self, lint) -> None:
        assert self.iam001(lint)[0].message.startswith("inline policy ManageOwnAccessKeys of user bob: invalid JSON")

    def test_iam001_jsonpath(self, lint) -> None:
        assert self.iam001(lint)[0].jsonpath == "$.UserDetailList[0].UserPolicyList[0].PolicyDocument"

    def test_other_policies_read(self) -> None:
        assert [policy.name for policy in load(self.PATH).policies] == [FORCE_MFA]

    def test_other_files_linted(self, lint) -> None:
        findings = lint(self.PATH, DUMPS / "cli-output.json")
        assert any(f.code == "MFA001" and f.path.endswith("cli-output.json") for f in findings)

    def test_same_file_still_linted(self, lint) -> None:
        assert "MFA001" in codes(lint(self.PATH))


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE.read_text(encoding="utf-8"),
        json.dumps({"name": "console", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}}),
        json.dumps({"Policies": ["ReadOnly"], "Statement": []}),
        json.dumps({"format_version": "1.2", "planned_values": {"root_module": {}}}),
    ],
    ids=["policy", "package-json", "policies-of-names", "terraform-plan"],
)
def test_not_claimed(text: str) -> None:
    document = JsonLoader().load(text, "input.json")
    assert account_dump.detect(document) is False


def test_policy_file_read_as_policy() -> None:
    document = load(SAMPLE)
    assert document.facts.get("kind") is None
    assert len(document.policies) == 1


def test_package_json_quiet(lint, tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"name": "console", "version": "1.0.0", "scripts": {"test": "jest"}}), encoding="utf-8")
    assert lint(path) == []


def test_cli_reports_dump() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mfalint", "--format", "json", str(DUMPS / "url-encoded.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    # The sample pins devices to mfa/${aws:username} (MFA002) and blocks the reset (MFA001).
    assert [finding["code"] for finding in json.loads(result.stdout)] == ["MFA002", "MFA001"]


# An administrator grant that works only with MFA, as a group policy.
ADMIN_WITH_MFA = {
    "Sid": "AdminWithMFA",
    "Effect": "Allow",
    "Action": "*",
    "Resource": "*",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
}


def _two_group_dump() -> dict:
    """Return a dump where group 'enforced' has an MFA deny and group 'contractors' has none."""
    deny = {
        "Sid": "DenyWithoutMFA",
        "Effect": "Deny",
        "NotAction": ["iam:ChangePassword", "iam:GetAccountPasswordPolicy", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }
    def group(name: str, statement: dict) -> dict:
        document = {"Version": "2012-10-17", "Statement": [statement]}
        return {"GroupName": name, "Arn": f"{ACCOUNT}:group/{name}", "GroupPolicyList": [{"PolicyName": name, "PolicyDocument": document}]}

    def user(name: str, group_name: str) -> dict:
        return {"UserName": name, "Arn": f"{ACCOUNT}:user/{name}", "GroupList": [group_name]}

    return {
        "UserDetailList": [user("alice", "enforced"), user("carol", "contractors")],
        "GroupDetailList": [group("enforced", deny), group("contractors", ADMIN_WITH_MFA)],
        "RoleDetailList": [],
        "Policies": [],
    }


def test_dump_evaluated_per_user(lint, tmp_path: Path) -> None:
    """A deny that only alice's group has does not count for carol, whose group has none."""
    path = tmp_path / "account.json"
    path.write_text(json.dumps(_two_group_dump(), indent=2), encoding="utf-8")
    findings = [finding for finding in lint(path) if finding.code == "MFA006"]
    assert len(findings) == 1
    assert "AdminWithMFA" in findings[0].message


def test_dump_one_group_no_mfa006(lint, tmp_path: Path) -> None:
    """When carol is in both groups, the deny applies to her too."""
    dump = _two_group_dump()
    dump["UserDetailList"][1]["GroupList"] = ["enforced", "contractors"]
    path = tmp_path / "account.json"
    path.write_text(json.dumps(dump, indent=2), encoding="utf-8")
    assert "MFA006" not in codes(lint(path))


def _shared_group_dump(first: str) -> dict:
    """Return a dump where xavier can enrol through his own policy and yolanda, in the same group, cannot."""
    enrol = {
        "Sid": "AllowEnrolWithoutMFA",
        "Effect": "Allow",
        "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"],
        "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"],
    }
    users = {
        "xavier": {
            "UserName": "xavier",
            "Arn": f"{ACCOUNT}:user/xavier",
            "GroupList": ["admins"],
            "UserPolicyList": [{"PolicyName": "SelfEnrol", "PolicyDocument": {"Version": "2012-10-17", "Statement": [enrol]}}],
        },
        "yolanda": {"UserName": "yolanda", "Arn": f"{ACCOUNT}:user/yolanda", "GroupList": ["admins"]},
    }
    order = [first, *(name for name in users if name != first)]
    return {
        "UserDetailList": [users[name] for name in order],
        "GroupDetailList": [
            {
                "GroupName": "admins",
                "Arn": f"{ACCOUNT}:group/admins",
                "GroupPolicyList": [{"PolicyName": "AdminWithMFA", "PolicyDocument": {"Version": "2012-10-17", "Statement": [ADMIN_WITH_MFA]}}],
            }
        ],
        "RoleDetailList": [],
        "Policies": [],
    }


def test_shared_statement_independent_of_user_order(lint, tmp_path: Path) -> None:
    """A statement in two users' sets gets the most severe finding, whichever user the dump lists first."""
    results = []
    for first in ("xavier", "yolanda"):
        path = tmp_path / f"{first}.json"
        path.write_text(json.dumps(_shared_group_dump(first), indent=2), encoding="utf-8")
        results.append([(finding.code, finding.severity, finding.message) for finding in lint(path)])
    assert results[0] == results[1]
    assert ("MFA009", Severity.ERROR) in [(code, severity) for code, severity, _message in results[0]]
