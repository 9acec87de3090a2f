"""Terraform HCL: policy forms, escapes, unknown values, positions, linking and MFA001 evidence.

The inputs live in tests/fixtures/terraform, one module per folder. They are
read by the real tree-sitter HCL parser through TerraformLoader, and linted
by the real Linter or command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mfalint.context import Workspace
from mfalint.document import Document
from mfalint.findings import Finding, Severity
from mfalint.loaders.terraform import TerraformLoader
from mfalint.model import Policy, PolicyKind, Statement
from mfalint.plugins import load_plugins
from mfalint.runner import Linter

TERRAFORM = Path(__file__).parent / "fixtures" / "terraform"


def load(*paths: Path) -> tuple[list[Document], Workspace]:
    """Load, extract and link files with the real loader, as the runner does for one folder."""
    loader = TerraformLoader()
    documents = []
    for path in paths:
        document = loader.load(path.read_text(encoding="utf-8"), str(path))
        document.policies = loader.extract(document)
        documents.append(document)
    return documents, loader.link(documents)


def policies_of(path: Path) -> list[Policy]:
    documents, _workspace = load(path)
    return documents[0].policies


def policy_named(path: Path, name: str) -> Policy:
    return next(policy for policy in policies_of(path) if policy.name == name)


def statement(path: Path, sid: str) -> Statement:
    return next(item for policy in policies_of(path) for item in policy.statements if item.sid == sid)


def sids(path: Path) -> list[str | None]:
    return [item.sid for policy in policies_of(path) for item in policy.statements]


def texts(values) -> list[str]:
    return [value.text for value in values or []]


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def start(node) -> tuple[int, int]:
    return node.span.start.line, node.span.start.column


# -- registration ---------------------------------------------------------------


def test_tf_suffix_uses_terraform_loader():
    assert load_plugins().loader_for_suffix(".tf").name == "terraform"


def test_module_linked_per_folder():
    assert TerraformLoader.link_scope == "directory"


# -- jsonencode ---------------------------------------------------------------------

JSONENCODE = TERRAFORM / "jsonencode" / "main.tf"


def test_jsonencode_statements_read():
    assert sids(JSONENCODE) == ["AllowManageOwnUser", "DenyAllExceptListedIfNoMFA"]


def test_jsonencode_hcl_boolean():
    condition = statement(JSONENCODE, "DenyAllExceptListedIfNoMFA").conditions[0]
    assert texts(condition.values) == ["false"]


def test_jsonencode_dollar_escape():
    resource = texts(statement(JSONENCODE, "AllowManageOwnUser").resources)[0]
    assert resource.endswith(":user/${aws:username}")


def test_jsonencode_interpolation_is_wildcard():
    assert texts(statement(JSONENCODE, "AllowManageOwnUser").resources) == ["arn:aws:iam::*:user/${aws:username}"]


def test_jsonencode_unknown_list_leaves_statement_out():
    assert "AllowBuckets" not in sids(JSONENCODE)


def test_jsonencode_not_action_position():
    assert start(statement(JSONENCODE, "DenyAllExceptListedIfNoMFA").action_node) == (31, 23)


def test_jsonencode_jsonpath():
    assert statement(JSONENCODE, "DenyAllExceptListedIfNoMFA").action_node.jsonpath == "$.Statement[2].NotAction"


def test_jsonencode_policy_kind():
    assert policy_named(JSONENCODE, "aws_iam_policy.force_mfa").kind is PolicyKind.IDENTITY


# -- heredoc JSON -------------------------------------------------------------------

HEREDOC = TERRAFORM / "heredoc" / "main.tf"


def test_heredoc_not_action_position():
    assert start(statement(HEREDOC, "DenyAllExceptListedIfNoMFA").action_node) == (19, 20)


def test_indented_heredoc_read():
    assert "AllowOwnUserFromOffice" in sids(HEREDOC)


def test_heredoc_escape_and_interpolation():
    assert texts(statement(HEREDOC, "AllowOwnUserFromOffice").resources) == ["arn:aws:iam::*:user/${aws:username}"]


def test_heredoc_span_keeps_columns_after_interpolation():
    # The interpolation is replaced by placeholders of its own length, so the
    # string still ends at its closing quote in the file.
    resource = statement(HEREDOC, "AllowOwnUserFromOffice").resources[0].node
    line = HEREDOC.read_text(encoding="utf-8").splitlines()[42]
    assert resource.span.end.column == line.index('",') + 2


def test_heredoc_interpolated_value_drops_test():
    conditions = statement(HEREDOC, "AllowOwnUserFromOffice").conditions
    assert [condition.key for condition in conditions] == ["aws:MultiFactorAuthPresent"]


def test_heredoc_invalid_json_position():
    documents, _workspace = load(TERRAFORM / "invalid" / "heredoc-json.tf")
    problem = documents[0].problems[0]
    assert (problem.code, start(problem)) == ("IAM001", (6, 65))


# -- file() and templatefile() -------------------------------------------------------

FILE = TERRAFORM / "file" / "main.tf"


def test_file_policy_read():
    not_actions = texts(statement(FILE, "DenyAllExceptListedIfNoMFA").not_actions)
    assert not_actions == [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
    ]


def test_file_policy_points_at_call():
    assert start(statement(FILE, "DenyAllExceptListedIfNoMFA").action_node) == (3, 12)


def test_file_policy_keeps_json_path():
    assert statement(FILE, "DenyAllExceptListedIfNoMFA").action_node.jsonpath == "$.Statement[0].NotAction"


def test_templatefile_is_unknown_text():
    assert [policy.name for policy in policies_of(FILE)] == ["aws_iam_policy.force_mfa"]


# -- data "aws_iam_policy_document" --------------------------------------------------

DOCUMENT = TERRAFORM / "document" / "main.tf"


def test_document_not_actions_line():
    assert statement(DOCUMENT, "DenyAllExceptListedIfNoMFA").action_node.span.start.line == 24


def test_document_not_actions_read():
    not_actions = texts(statement(DOCUMENT, "DenyAllExceptListedIfNoMFA").not_actions)
    assert "iam:ChangePassword" in not_actions


def test_dynamic_statement_read():
    assert "DenyAllExceptListedIfNoMFA" in sids(DOCUMENT)


def test_dynamic_empty_for_each_skipped():
    assert "NeverCreated" not in sids(DOCUMENT)


def test_document_ampersand_variable():
    resources = texts(statement(DOCUMENT, "AllowManageOwnUserMFA").resources)
    assert resources == ["arn:*:iam::*:user/${aws:username}"]


def test_document_default_effect():
    assert statement(DOCUMENT, "AllowManageOwnUserMFA").effect == "Allow"


def test_document_default_version():
    assert policy_named(DOCUMENT, "data.aws_iam_policy_document.force_mfa").version == "2012-10-17"


def test_document_condition_operator():
    condition = statement(DOCUMENT, "DenyAllExceptListedIfNoMFA").conditions[0]
    assert condition.operator.text == "BoolIfExists"


def test_document_condition_key():
    condition = statement(DOCUMENT, "DenyAllExceptListedIfNoMFA").conditions[0]
    assert condition.key == "aws:MultiFactorAuthPresent"


def test_document_condition_values():
    condition = statement(DOCUMENT, "DenyAllExceptListedIfNoMFA").conditions[0]
    assert texts(condition.values) == ["false"]


def test_assume_role_document_is_trust():
    documents, _workspace = load(DOCUMENT)
    trust = next(policy for policy in documents[0].policies if policy.name == "data.aws_iam_policy_document.assume_with_mfa")
    assert trust.kind is PolicyKind.TRUST


def test_document_with_exemptions_no_mfa001(lint):
    assert "MFA001" not in codes(lint(DOCUMENT, password_reset="required"))


def test_statement_attribute_read():
    # Terraform 0.11 wrote statement = {...}, which HCL 2 still parses.
    assert sids(TERRAFORM / "tf011" / "main.tf") == ["AllowReadOwnUser"]


# -- unknown values ------------------------------------------------------------------

UNKNOWN = TERRAFORM / "unknown" / "main.tf"


def test_unknown_values_no_findings(lint):
    assert lint(UNKNOWN) == []


def test_unknown_statement_left_out():
    assert sids(UNKNOWN) == ["AllowOwnAccessKeys"]


def test_unknown_arn_parts_are_wildcards():
    assert texts(statement(UNKNOWN, "AllowOwnAccessKeys").resources) == ["arn:*:iam::*:user/${aws:username}"]


def test_unknown_condition_value_drops_test():
    assert statement(UNKNOWN, "AllowOwnAccessKeys").conditions == []


def test_computed_policy_gives_no_policy():
    names = [policy.name for policy in policies_of(UNKNOWN)]
    assert names == ["data.aws_iam_policy_document.computed"]


# -- invalid HCL ------------------------------------------------------------------------


def test_invalid_hcl_position(lint):
    finding = lint(TERRAFORM / "invalid" / "comma.tf")[0]
    assert (finding.code, finding.span.start.line, finding.span.start.column) == ("IAM001", 6, 6)


def test_invalid_hcl_only_finding(lint):
    assert codes(lint(TERRAFORM / "invalid" / "comma.tf")) == ["IAM001"]


def test_invalid_hcl_message_quotes_token(lint):
    assert "unexpected ','" in lint(TERRAFORM / "invalid" / "comma.tf")[0].message


def test_resource_document_rejected(lint):
    finding = lint(TERRAFORM / "invalid" / "resource-document.tf")[0]
    assert (finding.code, finding.span.start.line) == ("IAM001", 1)


def test_resource_document_message(lint):
    assert "is a data source, not a resource" in lint(TERRAFORM / "invalid" / "resource-document.tf")[0].message


def test_resource_document_still_checked(lint):
    """The statements of a policy document declared as a resource are checked as if it were the data source."""
    findings = lint(TERRAFORM / "invalid" / "resource-document.tf")
    assert "MFA006" in codes(findings)
    assert codes(findings).count("IAM001") == 1


@pytest.mark.parametrize(
    "text",
    [
        'resource "a" "b" {\n  x = "unterminated\n}\n',
        'resource "a" "b" {\n  x = 1\n',
        "@@@\n",
        'resource "aws_iam_policy" "p" {\n  policy = jsonencode(' + "[" * 3000 + "]" * 3000 + ")\n}\n",
        'resource "aws_iam_user_policy_attachment" "p" {\n  user = ' + "[" * 3000 + "]" * 3000 + "\n}\n",
    ],
    ids=["unterminated-string", "missing-brace", "garbage", "deep-policy", "deep-attachment"],
)
def test_bad_input_is_iam001_or_nothing(text):
    assert set(codes(Linter().lint_text(text, "bad.tf"))) <= {"IAM001"}


def test_unterminated_string_position():
    finding = Linter().lint_text('resource "a" "b" {\n  x = "unterminated\n}\n', "bad.tf")[0]
    assert (finding.span.start.line, finding.span.start.column) == (2, 7)


@pytest.mark.xfail(strict=True, reason="tree-sitter-hcl 1.2.0 rejects an integer with an exponent such as 1e3")
def test_integer_exponent_parses():
    assert Linter().lint_text("x = 1e3\n", "number.tf") == []


def test_integer_exponent_message():
    assert "1.0e3" in Linter().lint_text("x = 1e3\n", "number.tf")[0].message


# -- linking a module ----------------------------------------------------------------

MODULE = TERRAFORM / "module"


def module_workspace() -> tuple[list[Document], Workspace]:
    return load(MODULE / "users.tf", MODULE / "policies.tf")


def test_link_across_files():
    documents, workspace = module_workspace()
    user = workspace.principals["aws_iam_user.new_engineer"]
    assert documents[1].policies[0] in workspace.policy_set(user)


def test_link_group_membership():
    _documents, workspace = module_workspace()
    assert workspace.principals["aws_iam_user.new_engineer"].groups == ["aws_iam_group.engineers"]


def test_login_profile_console_password():
    _documents, workspace = module_workspace()
    assert workspace.principals["aws_iam_user.new_engineer"].console_password


def test_login_profile_evidence_span():
    _documents, workspace = module_workspace()
    assert start(workspace.evidence[0]) == (7, 3)


def test_login_profile_evidence_user():
    _documents, workspace = module_workspace()
    assert workspace.evidence[0].principal == "aws_iam_user.new_engineer"


def test_mfa001_error_with_evidence(lint):
    finding = next(finding for finding in lint(MODULE) if finding.code == "MFA001")
    assert finding.severity is Severity.ERROR


def test_mfa001_names_evidence(lint):
    finding = next(finding for finding in lint(MODULE) if finding.code == "MFA001")
    assert "users.tf:7" in finding.message


def test_mfa001_on_not_actions_line(lint):
    finding = next(finding for finding in lint(MODULE) if finding.code == "MFA001")
    assert (finding.path.endswith("policies.tf"), finding.span.start.line) == (True, 5)


def test_one_file_alone_has_no_evidence(lint):
    finding = next(finding for finding in lint(MODULE / "policies.tf") if finding.code == "MFA001")
    assert finding.severity is Severity.WARNING


def test_cli_reports_module():
    result = subprocess.run(
        [sys.executable, "-m", "mfalint", "--format", "json", str(MODULE)], capture_output=True, text=True, check=False
    )
    findings = json.loads(result.stdout)
    assert (result.returncode, [(item["code"], item["severity"]) for item in findings]) == (1, [("MFA001", "error")])


# -- kinds: boundaries, SCPs, password policy ---------------------------------------

KINDS = TERRAFORM / "kinds" / "main.tf"


def test_permissions_boundary_kind():
    documents, _workspace = load(KINDS)
    boundary = next(policy for policy in documents[0].policies if policy.name == "aws_iam_policy.boundary")
    assert boundary.kind is PolicyKind.BOUNDARY


def test_user_boundary_linked():
    _documents, workspace = load(KINDS)
    assert workspace.principals["aws_iam_user.contractor"].boundary is not None


def test_boundary_not_attached():
    _documents, workspace = load(KINDS)
    assert workspace.principals["aws_iam_user.contractor"].policies == []


def test_organizations_policy_is_scp():
    assert policy_named(KINDS, "aws_organizations_policy.ec2_stop_needs_mfa").kind is PolicyKind.SCP


def test_tag_policy_not_read():
    assert "aws_organizations_policy.tags" not in [policy.name for policy in policies_of(KINDS)]


def test_password_policy_evidence():
    _documents, workspace = load(KINDS)
    assert [(item.principal, item.span.start.line) for item in workspace.evidence] == [(None, 39)]


def test_scp_deny_reported(lint):
    assert codes(lint(KINDS)) == ["MFA012"]


# -- public modules ------------------------------------------------------------------

CORPUS = TERRAFORM / "corpus"


def test_regression_blocks_change_password(lint):
    findings = [finding for finding in lint(CORPUS / "tam-2023-11" / "policies.tf") if finding.code == "MFA001"]
    assert [(finding.severity, finding.span.start.line) for finding in findings] == [(Severity.WARNING, 157)]


def test_fixed_version_info_only(lint):
    findings = [finding for finding in lint(CORPUS / "tam-2024-03" / "policies.tf") if finding.code == "MFA001"]
    assert [finding.severity for finding in findings] == [Severity.INFO]


def test_fixed_version_names_password_policy(lint):
    finding = next(finding for finding in lint(CORPUS / "tam-2024-03" / "policies.tf") if finding.code == "MFA001")
    assert "'iam:ChangePassword'" not in finding.message


def test_trust_heredoc_with_interpolation_clean(lint):
    assert lint(CORPUS / "ccs-developers" / "developers.tf") == []
