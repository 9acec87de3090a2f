"""CloudFormation, SAM and Serverless Framework templates: intrinsics, positions, principals and MFA001 evidence.

The templates live in tests/fixtures/cloudformation. They are read by the
registered JSON and YAML loaders and linted by the real Linter, so the tests
cover detection, extraction, linking and the rules together.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mfalint.findings import Severity
from mfalint.loaders import DOCUMENT_KINDS
from mfalint.loaders.cloudformation import detect
from mfalint.model import Policy, PolicyKind, Statement
from mfalint.plugins import load_plugins

TEMPLATES = Path(__file__).parent / "fixtures" / "cloudformation"

# Each intrinsics fixture has one statement per function, named by its Sid,
# in the short YAML form, the long YAML form and the long JSON form.
FORMS = ["intrinsics-short.yaml", "intrinsics-long.yaml", "intrinsics.template.json"]
INTRINSICS = [
    ("RefParameter", ["*"]),
    ("RefPseudoAndUser", ["arn:aws:iam::123456789012:user/auditor"]),
    ("SubPseudo", ["arn:aws:iam::*:user/${aws:username}"]),
    ("SubParameter", ["arn:aws:s3:::*-logs/*"]),
    ("SubVariables", ["arn:aws:s3:::prod-logs/*"]),
    ("SubAttribute", ["arn:aws:iam::*:user/auditor"]),
    ("GetAtt", ["arn:aws:iam::*:user/auditor"]),
    ("GetAttList", ["arn:aws:iam::*:user/auditor"]),
    ("Join", ["arn:aws:s3:::logs"]),
    ("If", ["arn:aws:s3:::prod-logs", "arn:aws:s3:::test-logs"]),
    ("IfNoValue", ["arn:aws:s3:::always", "arn:aws:s3:::test-only"]),
    ("Select", ["arn:aws:s3:::second"]),
    ("Split", ["arn:aws:s3:::a", "arn:aws:s3:::b"]),
    ("ImportValue", ["*"]),
    ("FindInMap", ["arn:aws:s3:::prod-logs"]),
    ("FindInMapUnknownKey", ["arn:aws:s3:::*"]),
    ("DynamicReference", ["*"]),
    ("DynamicReferenceInSub", ["arn:aws:s3:::*/*"]),
]


def load(path: Path):
    """Load and extract a file with the registered loader for its suffix, and link it alone."""
    loader = load_plugins().loader_for_suffix(path.suffix)
    document = loader.load(path.read_text(encoding="utf-8"), str(path))
    document.policies = loader.extract(document)
    return document, loader.link([document])


def statements(path: Path) -> dict[str, Statement]:
    document, _workspace = load(path)
    return {statement.sid: statement for policy in document.policies for statement in policy.statements}


def policy_named(policies: list[Policy], name: str) -> Policy:
    return next(policy for policy in policies if policy.name == name)


def codes(findings) -> list[str]:
    return [finding.code for finding in findings]


def only(findings, code: str):
    hits = [finding for finding in findings if finding.code == code]
    assert len(hits) == 1, hits
    return hits[0]


# -- registration and detection ----------------------------------------------


def test_registered_as_document_kind():
    assert "mfalint.loaders.cloudformation" in DOCUMENT_KINDS


@pytest.mark.parametrize("name", ["reset-required.yaml", "reset-required.template.json", "no-iam.yaml", "serverless.yml"])
def test_detects_template(name):
    document, _workspace = load(TEMPLATES / name)
    assert detect(document)


def test_plain_policy_not_detected():
    document, _workspace = load(Path(__file__).parent / "fixtures" / "force-mfa-aws-sample.json")
    assert not detect(document)


# -- intrinsic functions -----------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("sid", "expected"), INTRINSICS, ids=[sid for sid, _expected in INTRINSICS])
def test_intrinsic_resolved(form, sid, expected):
    statement = statements(TEMPLATES / form)[sid]
    assert [value.text for value in statement.resources] == expected


@pytest.mark.parametrize("form", FORMS)
def test_intrinsics_lint_clean(lint, form):
    # Parameters, imports, account IDs and dynamic references are unknown, never errors.
    assert lint(TEMPLATES / form) == []


def test_short_form_value_span():
    # The resolved !Sub value points at the !Sub in the template.
    value = statements(TEMPLATES / "intrinsics-short.yaml")["SubPseudo"].resources[0]
    assert (value.node.span.start.line, value.node.span.start.column) == (34, 23)


def test_long_form_value_span():
    # The resolved Fn::Sub value points at the Fn::Sub mapping, on the line below Resource.
    value = statements(TEMPLATES / "intrinsics-long.yaml")["SubPseudo"].resources[0]
    assert (value.node.span.start.line, value.node.span.start.column) == (43, 15)


def test_json_value_span():
    # The {"Fn::Sub": ...} object starts after "Resource": on line 71.
    value = statements(TEMPLATES / "intrinsics.template.json")["SubPseudo"].resources[0]
    assert (value.node.span.start.line, value.node.span.start.column) == (71, 20)


def test_if_branch_keeps_own_span():
    # Each branch value keeps its own column in `Resource: !If [IsProd, "...", "..."]`.
    values = statements(TEMPLATES / "intrinsics-short.yaml")["If"].resources
    assert [value.node.span.start.column for value in values] == [36, 62]


# -- unknown values ------------------------------------------------------------


def test_unknown_values_lint_clean(lint):
    assert lint(TEMPLATES / "unknown-values.yaml") == []


def test_unknown_account_in_principal():
    document, _workspace = load(TEMPLATES / "unknown-values.yaml")
    trust = policy_named(document.policies, "Operator trust policy (AWS::IAM::Role)")
    principal = trust.statements[0].node.get("Principal").get("AWS")
    assert principal.value == "arn:aws:iam::*:root"


def test_unknown_prefix_is_unknown():
    # An imported ARN followed by "/*" has no known shape, so the whole value is "*".
    document, _workspace = load(TEMPLATES / "unknown-values.yaml")
    read_logs = policy_named(document.policies, "Operator policy 'read-logs' (AWS::IAM::Role)")
    assert [value.text for value in read_logs.statements[0].resources] == [
        "arn:aws:s3:::*/*",
        "*",
        "arn:aws:s3:::*/*",
    ]


# -- templates without policies ------------------------------------------------


def test_no_iam_resources_no_policies():
    document, _workspace = load(TEMPLATES / "no-iam.yaml")
    assert document.policies == []


def test_no_iam_resources_no_findings(lint):
    assert lint(TEMPLATES / "no-iam.yaml") == []


# -- positions of findings -----------------------------------------------------


def test_yaml_finding_at_notaction(lint):
    finding = only(lint(TEMPLATES / "reset-required.yaml"), "MFA001")
    assert (finding.span.start.line, finding.span.start.column) == (29, 15)


def test_yaml_finding_jsonpath(lint):
    finding = only(lint(TEMPLATES / "reset-required.yaml"), "MFA001")
    assert finding.jsonpath == "$.Resources.ForceMfaPolicy.Properties.PolicyDocument.Statement[2].NotAction"


def test_json_finding_at_notaction(lint):
    finding = only(lint(TEMPLATES / "reset-required.template.json"), "MFA001")
    assert (finding.span.start.line, finding.span.start.column) == (26, 28)


def test_finding_on_sub_value(lint):
    # MFA002 reports the device ARN that !Sub builds, at the !Sub.
    finding = only(lint(TEMPLATES / "reset-required.yaml"), "MFA002")
    assert (finding.span.start.line, finding.span.start.column) == (17, 23)


def test_finding_on_join_value(lint):
    finding = only(lint(TEMPLATES / "chan9390-serverless-mfa-group-fn-join.yml"), "MFA002")
    assert (finding.span.start.line, finding.span.start.column) == (95, 17)


# -- Fn::If ------------------------------------------------------------------


def test_if_statement_branch_analysed(lint):
    # The deny exists only when IsProd holds; MFA001 still reports it, inside the branch.
    hits = [finding for finding in lint(TEMPLATES / "if-branches.yaml") if finding.code == "MFA001"]
    assert (19, 23) in [(finding.span.start.line, finding.span.start.column) for finding in hits]


def test_if_missing_exemption_reported(lint):
    # iam:ChangePassword is exempt only when IsProd holds, so other stages lock users out.
    hits = [finding for finding in lint(TEMPLATES / "if-branches.yaml") if finding.code == "MFA001"]
    assert 34 in [finding.span.start.line for finding in hits]


def test_if_exemption_intersection():
    statement = statements(TEMPLATES / "if-branches.yaml")["DenyAllExceptListedIfNoMFA"]
    assert "iam:ChangePassword" not in [value.text for value in statement.not_actions]


def test_if_whole_document_two_policies():
    document, _workspace = load(TEMPLATES / "if-branches.yaml")
    names = [policy.name for policy in document.policies if policy.name.startswith("WholeDocument")]
    assert names == [
        "WholeDocument (AWS::IAM::ManagedPolicy), Fn::If alternative 1",
        "WholeDocument (AWS::IAM::ManagedPolicy), Fn::If alternative 2",
    ]


def test_if_effect_builds_statement_twice(tmp_path):
    template = tmp_path / "effect.yaml"
    template.write_text(
        "Resources:\n"
        "  Policy:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: !If [Strict, Deny, Allow]\n"
        "            Action: s3:DeleteObject\n"
        "            Resource: '*'\n",
        encoding="utf-8",
    )
    document, _workspace = load(template)
    assert [statement.effect for statement in document.policies[0].statements] == ["Deny", "Allow"]


# -- linking and password-reset evidence -------------------------------------


def test_user_in_group():
    _document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert workspace.principals["NewDeveloper"].groups == ["Developers"]


def test_group_has_managed_policy():
    _document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert [policy.name for policy in workspace.principals["Developers"].policies] == [
        "ForceMfaPolicy (AWS::IAM::ManagedPolicy)"
    ]


def test_policy_reaches_user_through_group():
    document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert [user.key for user in workspace.users_with(document.policies[0])] == ["NewDeveloper"]


def test_user_name_from_property():
    _document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert workspace.principals["NewDeveloper"].name == "new-developer"


def test_login_profile_console_password():
    _document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert workspace.principals["NewDeveloper"].console_password


def test_reset_evidence_description():
    _document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert [item.description for item in workspace.evidence] == [
        "user 'new-developer' (NewDeveloper) must change its password at first sign-in"
    ]


def test_reset_evidence_span():
    _document, workspace = load(TEMPLATES / "reset-required.yaml")
    assert workspace.evidence[0].span.start.line == 53


def test_no_evidence_when_reset_false():
    _document, workspace = load(TEMPLATES / "reset-not-required.yaml")
    assert workspace.evidence == []


def test_user_to_group_addition():
    _document, workspace = load(TEMPLATES / "reset-required.template.json")
    assert workspace.principals["NewDeveloper"].groups == ["Developers"]


def test_managed_policy_groups_property():
    document, workspace = load(TEMPLATES / "reset-required.template.json")
    assert [user.key for user in workspace.users_with(document.policies[0])] == ["NewDeveloper"]


def test_permissions_boundary_linked():
    _document, workspace = load(TEMPLATES / "scp-and-boundary.yaml")
    assert workspace.principals["Worker"].boundary.name == "Boundary (AWS::IAM::ManagedPolicy)"


def test_permissions_boundary_kind():
    document, _workspace = load(TEMPLATES / "scp-and-boundary.yaml")
    assert policy_named(document.policies, "Boundary (AWS::IAM::ManagedPolicy)").kind is PolicyKind.BOUNDARY


# -- MFA001 severity under password-reset = auto -----------------------------


def test_mfa001_error_with_evidence(lint):
    finding = only(lint(TEMPLATES / "reset-required.yaml"), "MFA001")
    assert finding.severity is Severity.ERROR


def test_mfa001_names_evidence(lint):
    finding = only(lint(TEMPLATES / "reset-required.yaml"), "MFA001")
    assert "user 'new-developer' (NewDeveloper) must change its password at first sign-in" in finding.message


def test_mfa001_evidence_location(lint):
    finding = only(lint(TEMPLATES / "reset-required.yaml"), "MFA001")
    assert "reset-required.yaml:53" in finding.message


def test_mfa001_error_json_template(lint):
    finding = only(lint(TEMPLATES / "reset-required.template.json"), "MFA001")
    assert finding.severity is Severity.ERROR


def test_mfa001_warning_when_reset_false(lint):
    finding = only(lint(TEMPLATES / "reset-not-required.yaml"), "MFA001")
    assert finding.severity is Severity.WARNING


def test_mfa001_off_with_never(lint):
    assert "MFA001" not in codes(lint(TEMPLATES / "reset-required.yaml", password_reset="never"))


# -- resource types ------------------------------------------------------------


def test_policy_names():
    document, _workspace = load(TEMPLATES / "reset-required.yaml")
    assert [policy.name for policy in document.policies] == ["ForceMfaPolicy (AWS::IAM::ManagedPolicy)"]


def test_sam_reads_only_documents():
    # The managed policy name and the SAM policy template are skipped.
    document, _workspace = load(TEMPLATES / "sam-function.yaml")
    assert [policy.name for policy in document.policies] == ["Rotator policy 3 (AWS::Serverless::Function)"]


def test_sam_function_role():
    _document, workspace = load(TEMPLATES / "sam-function.yaml")
    assert workspace.principals["RotatorRole"].kind == "role"


def test_scp_kind():
    document, _workspace = load(TEMPLATES / "scp-and-boundary.yaml")
    assert policy_named(document.policies, "DenyLeavingOrganization (AWS::Organizations::Policy)").kind is PolicyKind.SCP


def test_tag_policy_skipped():
    document, _workspace = load(TEMPLATES / "scp-and-boundary.yaml")
    assert not [policy for policy in document.policies if policy.name.startswith("CostCenterTags")]


def test_trust_policy_kind():
    document, _workspace = load(TEMPLATES / "scp-and-boundary.yaml")
    assert policy_named(document.policies, "Worker trust policy (AWS::IAM::Role)").kind is PolicyKind.TRUST


def test_policy_document_string():
    document, _workspace = load(TEMPLATES / "policy-document-string.yaml")
    assert [value.text for value in document.policies[0].statements[0].actions] == ["s3:ListAllMyBuckets"]


def test_serverless_variables_unknown():
    document, _workspace = load(TEMPLATES / "serverless.yml")
    assert [value.text for value in document.policies[0].statements[0].resources] == ["arn:aws:s3:::*/*/*"]


def test_serverless_join_policy_variable():
    document, _workspace = load(TEMPLATES / "serverless.yml")
    assert [value.text for value in document.policies[0].statements[1].resources] == [
        "arn:aws:iam::*:user/${aws:username}"
    ]


# -- copies of public templates ----------------------------------------------


def test_serverless_group_lockout(lint):
    # The group policy from the 2017 AWS tutorial, built with Fn::Join, leaves iam:ChangePassword denied.
    finding = only(lint(TEMPLATES / "chan9390-serverless-mfa-group-fn-join.yml"), "MFA001")
    assert finding.span.start.line == 126


def test_serverless_group_device_pinned(lint):
    finding = only(lint(TEMPLATES / "chan9390-serverless-mfa-group-fn-join.yml"), "MFA002")
    assert "arn:aws:iam::*:mfa/${aws:username}" in finding.message


@pytest.mark.parametrize(
    "name",
    [
        "aws-cdk-snapshot-principal-with-conditions-and-tags.template.json",
        "cdk-synth-principal-with-conditions-anyprincipal-mfa.template.json",
    ],
)
def test_cdk_trust_policy_read(name):
    document, _workspace = load(TEMPLATES / name)
    assert [policy.kind for policy in document.policies] == [PolicyKind.TRUST]


@pytest.mark.parametrize(
    "name",
    [
        "aws-cdk-snapshot-principal-with-conditions-and-tags.template.json",
        "cdk-synth-principal-with-conditions-anyprincipal-mfa.template.json",
    ],
)
def test_cdk_trust_policy_clean(lint, name):
    # Bool aws:MultiFactorAuthPresent true in a trust policy is the safe form.
    assert lint(TEMPLATES / name) == []


# -- command line --------------------------------------------------------------


def test_cli_on_fixture_folder():
    result = subprocess.run(
        [sys.executable, "-m", "mfalint", "--format", "json", str(TEMPLATES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "INT001" not in result.stdout
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
