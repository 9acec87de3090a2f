"""Automatic fixes in Terraform files: policy document blocks, jsonencode objects and heredoc JSON.

Each case is a .tf file and the exact text the fixes must produce. HCL
strings escape a policy variable's "${" as "$${" (or "&{" inside an
aws_iam_policy_document block), heredoc JSON does the same, and a value
built by an interpolation or read by file() is never edited.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from mfalint.config import Settings
from mfalint.fix_edits import editor_for
from mfalint.fixes import fix_text
from mfalint.loaders.terraform import TerraformLoader
from mfalint.runner import Linter

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
LINTER = Linter(Settings(password_reset="required"))


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def codes(text: str, name: str = "main.tf") -> list[str]:
    return [finding.code for finding in LINTER.lint_text(text, name)]


def replaced(text: str, *changes: tuple[str, str]) -> str:
    """Return ``text`` with each (old, new) pair replaced. Each old text must occur exactly once."""
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Case:
    id: str
    code: str  # the rule whose finding the fix resolves
    before: str
    after: str


# -- data "aws_iam_policy_document" ------------------------------------------

_DOCUMENT = """data "aws_iam_policy_document" "force_mfa" {
  statement {
    sid    = "DenyAllExceptListedIfNoMFA"
    effect = "Deny"
    not_actions = [
      "iam:CreateVirtualMFADevice",
      "iam:EnableMFADevice",
      "iam:GetUser",
      "iam:ListMFADevices",
      "iam:ListVirtualMFADevices",
      "iam:ResyncMFADevice",
    ]
    resources = ["*"]

    condition {
      test     = "BoolIfExists"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["false"]
    }
  }
}
"""

_DOCUMENT_FIXED = replaced(
    _DOCUMENT,
    ('      "iam:CreateVirtualMFADevice",\n', '      "iam:ChangePassword",\n      "iam:CreateVirtualMFADevice",\n'),
    ('      "iam:GetUser",\n', '      "iam:GetAccountPasswordPolicy",\n      "iam:GetUser",\n'),
)

_DOCUMENT_INLINE = """data "aws_iam_policy_document" "force_mfa" {
\tstatement {
\t\tsid         = "DenyAllExceptListedIfNoMFA"
\t\teffect      = "Deny"
\t\tnot_actions = ["iam:EnableMFADevice", "iam:CreateVirtualMFADevice", "iam:GetUser", "iam:ListMFADevices"]
\t\tresources   = ["*"]

\t\tcondition {
\t\t\ttest     = "Bool"
\t\t\tvariable = "aws:MultiFactorAuthPresent"
\t\t\tvalues   = ["false"]
\t\t}
\t}
}
"""

_DOCUMENT_ALLOW = """data "aws_iam_policy_document" "assume" {
  statement {
    actions   = ["sts:AssumeRole"]
    resources = ["arn:aws:iam::123456789012:role/admin"]

    condition {
      test     = "BoolIfExists"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}
"""

_DOCUMENT_DEVICE = """data "aws_iam_policy_document" "device" {
  statement {
    actions   = ["iam:CreateVirtualMFADevice"]
    resources = ["arn:aws:iam::&{aws:PrincipalAccount}:mfa/&{aws:username}"]
  }
}
"""

_DOCUMENT_DEVICE_ESCAPED = _DOCUMENT_DEVICE.replace("&{", "$${")

_DOCUMENT_TYPO = """data "aws_iam_policy_document" "read" {
  statement {
    actions   = ["iam:GetUser", "iam:ListMFADevice"]
    resources = ["*"]
  }
}
"""

# Two condition blocks with the same test: only the MFA block's test changes.
_DOCUMENT_SHARED_TEST = _DOCUMENT.replace(
    '      test     = "BoolIfExists"\n      variable = "aws:MultiFactorAuthPresent"\n      values   = ["false"]\n    }\n',
    '      test     = "Bool"\n      variable = "aws:MultiFactorAuthPresent"\n      values   = ["false"]\n    }\n'
    '    condition {\n      test     = "Bool"\n      variable = "aws:ViaAWSService"\n      values   = ["false"]\n    }\n',
)

# Another block already uses the new test name, which is no conflict between blocks.
_DOCUMENT_OTHER_BLOCK_NAMED = _DOCUMENT_SHARED_TEST.replace(
    'test     = "Bool"\n      variable = "aws:ViaAWSService"', 'test     = "BoolIfExists"\n      variable = "aws:ViaAWSService"'
)

def _shared_test_fixed(text: str) -> str:
    """Return a two-block document after its fixes: the reset actions added, the MFA block's test renamed."""
    return replaced(
        text,
        ('      "iam:CreateVirtualMFADevice",\n', '      "iam:ChangePassword",\n      "iam:CreateVirtualMFADevice",\n'),
        ('      "iam:GetUser",\n', '      "iam:GetAccountPasswordPolicy",\n      "iam:GetUser",\n'),
        ('"Bool"\n      variable = "aws:MultiFactorAuthPresent"', '"BoolIfExists"\n      variable = "aws:MultiFactorAuthPresent"'),
    )


DOCUMENT_CASES = [
    Case("document-lines-trailing-comma", "MFA001", _DOCUMENT, _DOCUMENT_FIXED),
    Case("document-lines-crlf", "MFA001", crlf(_DOCUMENT), crlf(_DOCUMENT_FIXED)),
    Case(
        "document-inline-tabs",
        "MFA001",
        _DOCUMENT_INLINE,
        replaced(
            _DOCUMENT_INLINE,
            ('"iam:ListMFADevices"]', '"iam:ListMFADevices", "iam:ChangePassword", "iam:GetAccountPasswordPolicy"]'),
            ('test     = "Bool"', 'test     = "BoolIfExists"'),
        ),
    ),
    Case(
        "document-test-bool",
        "MFA003",
        _DOCUMENT_INLINE,
        replaced(
            _DOCUMENT_INLINE,
            ('"iam:ListMFADevices"]', '"iam:ListMFADevices", "iam:ChangePassword", "iam:GetAccountPasswordPolicy"]'),
            ('test     = "Bool"', 'test     = "BoolIfExists"'),
        ),
    ),
    Case("document-shared-test", "MFA003", _DOCUMENT_SHARED_TEST, _shared_test_fixed(_DOCUMENT_SHARED_TEST)),
    Case(
        "document-other-block-named",
        "MFA003",
        _DOCUMENT_OTHER_BLOCK_NAMED,
        _shared_test_fixed(_DOCUMENT_OTHER_BLOCK_NAMED),
    ),
    Case(
        "document-test-bool-if-exists",
        "MFA004",
        _DOCUMENT_ALLOW,
        replaced(_DOCUMENT_ALLOW, ('test     = "BoolIfExists"', 'test     = "Bool"')),
    ),
    Case(
        "document-device-ampersand",
        "MFA002",
        _DOCUMENT_DEVICE,
        replaced(_DOCUMENT_DEVICE, ("mfa/&{aws:username}", "mfa/*")),
    ),
    Case(
        "document-device-dollar",
        "MFA002",
        _DOCUMENT_DEVICE_ESCAPED,
        replaced(_DOCUMENT_DEVICE_ESCAPED, ("mfa/$${aws:username}", "mfa/*")),
    ),
    Case(
        "document-action-typo",
        "IAM004",
        _DOCUMENT_TYPO,
        replaced(_DOCUMENT_TYPO, ('"iam:ListMFADevice"', '"iam:ListMFADevices"')),
    ),
]


# -- jsonencode ----------------------------------------------------------------

_ENCODED = """resource "aws_iam_policy" "force_mfa" {
  name = "force-mfa"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AllowDevice"
        Effect   = "Allow"
        Action   = "iam:CreateVirtualMFADevice"
        Resource = "arn:aws:iam::*:mfa/$${aws:username}"
      },
      {
        "Sid" : "DenyAllExceptListedIfNoMFA",
        "Effect" : "Deny",
        "NotAction" : [
          "iam:CreateVirtualMFADevice",
          "iam:EnableMFADevice",
          "iam:GetUser",
          "iam:ListMFADevices",
          "iam:ListVirtualMFADevices",
          "iam:ResyncMFADevice",
        ],
        "Resource" : "*",
        "Condition" : {
          "Bool" : {
            "aws:MultiFactorAuthPresent" : false
          }
        }
      }
    ]
  })
}
"""

_ENCODED_FIXED = replaced(
    _ENCODED,
    ("mfa/$${aws:username}", "mfa/*"),
    ('          "iam:CreateVirtualMFADevice",\n', '          "iam:ChangePassword",\n          "iam:CreateVirtualMFADevice",\n'),
    ('          "iam:GetUser",\n', '          "iam:GetAccountPasswordPolicy",\n          "iam:GetUser",\n'),
    ('"Bool" :', '"BoolIfExists" :'),
)

_ENCODED_BARE = """resource "aws_iam_policy" "force_mfa" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Deny"
        NotAction = "iam:EnableMFADevice"
        Resource  = "*"
        Condition = {
          Bool = { "aws:MultiFactorAuthPresent" = "false" }
        }
      },
      {
        Effect    = "Allow"
        Action    = ["sts:AssumeRol"]
        Resource  = "*"
        Condition = { BoolIfExists = { "aws:MultiFactorAuthPresent" = "true" } }
      },
    ]
  })
}
"""

_ENCODED_BARE_FIXED = replaced(
    _ENCODED_BARE,
    ('NotAction = "iam:EnableMFADevice"', 'NotAction = ["iam:ChangePassword", "iam:EnableMFADevice", "iam:GetAccountPasswordPolicy"]'),
    ("Bool = {", "BoolIfExists = {"),
    ('"sts:AssumeRol"', '"sts:AssumeRole"'),
    ("{ BoolIfExists = {", "{ Bool = {"),
)

ENCODED_CASES = [
    Case("jsonencode-quoted-keys", "MFA001", _ENCODED, _ENCODED_FIXED),
    Case("jsonencode-quoted-keys-bool", "MFA003", _ENCODED, _ENCODED_FIXED),
    Case("jsonencode-device-dollar", "MFA002", _ENCODED, _ENCODED_FIXED),
    Case("jsonencode-crlf", "MFA001", crlf(_ENCODED), crlf(_ENCODED_FIXED)),
    Case("jsonencode-string-to-list", "MFA001", _ENCODED_BARE, _ENCODED_BARE_FIXED),
    Case("jsonencode-bare-bool", "MFA003", _ENCODED_BARE, _ENCODED_BARE_FIXED),
    Case("jsonencode-bare-bool-if-exists", "MFA004", _ENCODED_BARE, _ENCODED_BARE_FIXED),
    Case("jsonencode-action-typo", "IAM004", _ENCODED_BARE, _ENCODED_BARE_FIXED),
]


# -- heredoc JSON ----------------------------------------------------------------

_HEREDOC = """resource "aws_iam_policy" "force_mfa" {
  name   = "force-mfa"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowDevice",
      "Effect": "Allow",
      "Action": "iam:CreateVirtualMFADevice",
      "Resource": "arn:aws:iam::$${aws:PrincipalAccount}:mfa/$${aws:username}"
    },
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "NotAction": [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ListMFADevices"
      ],
      "Resource": "*",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    },
    {
      "Effect": "Allow",
      "Action": "iam:ListMFADevice",
      "Resource": "*"
    }
  ]
}
EOF
}
"""

_HEREDOC_FIXED = replaced(
    _HEREDOC,
    ("mfa/$${aws:username}", "mfa/*"),
    ('        "iam:CreateVirtualMFADevice",\n', '        "iam:ChangePassword",\n        "iam:CreateVirtualMFADevice",\n'),
    ('        "iam:EnableMFADevice",\n', '        "iam:EnableMFADevice",\n        "iam:GetAccountPasswordPolicy",\n'),
    ('{"Bool": {', '{"BoolIfExists": {'),
    ('"iam:ListMFADevice"', '"iam:ListMFADevices"'),
)

_HEREDOC_INDENTED = """resource "aws_iam_role" "admin" {
\tname = "admin"
\tassume_role_policy = <<-EOT
\t\t{
\t\t\t"Version": "2012-10-17",
\t\t\t"Statement": [
\t\t\t\t{
\t\t\t\t\t"Effect": "Allow",
\t\t\t\t\t"Principal": {"AWS": "arn:aws:iam::123456789012:root"},
\t\t\t\t\t"Action": "sts:AssumeRole",
\t\t\t\t\t"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}
\t\t\t\t}
\t\t\t]
\t\t}
\t\tEOT
}
"""

HEREDOC_CASES = [
    Case("heredoc-lines", "MFA001", _HEREDOC, _HEREDOC_FIXED),
    Case("heredoc-bool", "MFA003", _HEREDOC, _HEREDOC_FIXED),
    Case("heredoc-device-escaped-prefix", "MFA002", _HEREDOC, _HEREDOC_FIXED),
    Case("heredoc-action-typo", "IAM004", _HEREDOC, _HEREDOC_FIXED),
    Case("heredoc-crlf", "MFA001", crlf(_HEREDOC), crlf(_HEREDOC_FIXED)),
    Case(
        "heredoc-indented-tabs",
        "MFA004",
        _HEREDOC_INDENTED,
        replaced(_HEREDOC_INDENTED, ('{"BoolIfExists": {', '{"Bool": {')),
    ),
]



# -- strings with an interpolation before the device name --------------------------

_INTERPOLATED_DEVICE = """data "aws_iam_policy_document" "device" {
  statement {
    actions   = ["iam:CreateVirtualMFADevice"]
    resources = ["arn:aws:iam::${var.account_id}:mfa/&{aws:username}"]
  }
}
"""

_HEREDOC_INTERPOLATED_DEVICE = """resource "aws_iam_policy" "device" {
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "iam:CreateVirtualMFADevice",
      "Resource": "arn:aws:iam::${var.account_id}:mfa/$${aws:username}"
    }
  ]
}
EOF
}
"""

_ENCODED_INTERPOLATED_DEVICE = """resource "aws_iam_policy" "device" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "iam:CreateVirtualMFADevice"
      Resource = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:mfa/$${aws:username}"
    }]
  })
}
"""

INTERPOLATED_CASES = [
    Case(
        "document-interpolated-device",
        "MFA002",
        _INTERPOLATED_DEVICE,
        replaced(_INTERPOLATED_DEVICE, ("mfa/&{aws:username}", "mfa/*")),
    ),
    Case(
        "heredoc-interpolated-device",
        "MFA002",
        _HEREDOC_INTERPOLATED_DEVICE,
        replaced(_HEREDOC_INTERPOLATED_DEVICE, ("mfa/$${aws:username}", "mfa/*")),
    ),
    Case(
        "jsonencode-interpolated-device",
        "MFA002",
        _ENCODED_INTERPOLATED_DEVICE,
        replaced(_ENCODED_INTERPOLATED_DEVICE, ("mfa/$${aws:username}", "mfa/*")),
    ),
]

CASES = [
    pytest.param(case, id=case.id) for case in DOCUMENT_CASES + ENCODED_CASES + HEREDOC_CASES + INTERPOLATED_CASES
]


class TestTerraformCases:
    @pytest.mark.parametrize("case", CASES)
    def test_case_fires(self, case):
        assert case.code in codes(case.before)

    @pytest.mark.parametrize("case", CASES)
    def test_fixed_text_exact(self, case):
        assert fix_text(LINTER, case.before, "main.tf").fixed == case.after

    @pytest.mark.parametrize("case", CASES)
    def test_result_parses(self, case):
        assert "IAM001" not in codes(case.after)

    @pytest.mark.parametrize("case", CASES)
    def test_finding_gone(self, case):
        assert case.code not in codes(case.after)

    @pytest.mark.parametrize("case", CASES)
    def test_second_pass_noop(self, case):
        once = fix_text(LINTER, case.before, "main.tf").fixed
        assert fix_text(LINTER, once, "main.tf").fixed == once

    @pytest.mark.parametrize("case", CASES)
    def test_nothing_rejected(self, case):
        assert fix_text(LINTER, case.before, "main.tf").rejected == []


# -- values that must not be edited ------------------------------------------------

_QUOTED_JSON = r"""resource "aws_iam_policy" "quoted" {
  policy = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Deny\", \"NotAction\": \"iam:EnableMFADevice\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:MultiFactorAuthPresent\": \"false\"}}}]}"
}
"""

_FILE_POLICY = """resource "aws_iam_policy" "force_mfa" {
  name   = "force-mfa"
  policy = file("${path.module}/force-mfa.json")
}
"""

_FILE_JSON = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Deny",
      "NotAction": ["iam:EnableMFADevice"],
      "Resource": "*",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""


class TestTerraformNoEdit:
    @pytest.mark.parametrize(
        "text, code",
        [
            pytest.param(_QUOTED_JSON, "MFA001", id="quoted-json-not-action"),
            pytest.param(_QUOTED_JSON, "MFA003", id="quoted-json-bool"),
        ],
    )
    def test_finding_without_fix(self, text, code):
        findings = [finding for finding in LINTER.lint_text(text, "main.tf") if finding.code == code]
        assert findings
        assert all(finding.fix is None for finding in findings)

    def test_interpolation_in_device_name_kept(self):
        """Only literal text and escaped policy variables after "mfa/" are replaced."""
        text = _INTERPOLATED_DEVICE.replace("mfa/&{aws:username}", "mfa/&{aws:username}${var.suffix}")
        document, policies = _loaded(text)
        node = policies[0].statements[0].node.get("Resource").items[0]
        assert editor_for(document).replace_string_tail(node, ":mfa/", "*") is None

    def test_file_policy_not_edited(self, tmp_path):
        (tmp_path / "force-mfa.json").write_text(_FILE_JSON)
        path = tmp_path / "main.tf"
        path.write_text(_FILE_POLICY)
        findings = LINTER.lint_text(_FILE_POLICY, str(path))
        assert "MFA003" in [finding.code for finding in findings]
        assert all(finding.fix is None for finding in findings)
        assert fix_text(LINTER, _FILE_POLICY, str(path)).fixed == _FILE_POLICY


# -- every Terraform fixture ---------------------------------------------------------

TERRAFORM_FILES = sorted(FIXTURES.rglob("*.tf"))


@pytest.mark.parametrize("path", TERRAFORM_FILES, ids=lambda path: str(path.relative_to(FIXTURES)))
def test_terraform_fixture_fixed(path, tmp_path):
    # A copy of the module's folder, so that file() policies resolve and nothing in the repository is written.
    folder = tmp_path / "module"
    shutil.copytree(path.parent, folder)
    copy = folder / path.name
    text = copy.read_text(encoding="utf-8")
    outcome = fix_text(LINTER, text, str(copy))
    assert outcome.rejected == []
    if "IAM001" not in codes(text, str(copy)):
        assert "IAM001" not in codes(outcome.fixed, str(copy))
    assert fix_text(LINTER, outcome.fixed, str(copy)).fixed == outcome.fixed


def test_terraform_fixtures_get_fixes():
    changed = [path.name for path in TERRAFORM_FILES if fix_text(LINTER, path.read_text(encoding="utf-8"), str(path)).changed]
    assert len(changed) >= 4


# -- the editor's HCL and heredoc syntax -------------------------------------------


def _loaded(text: str):
    """Load a .tf text and return its document and policies, as the linter does."""
    loader = TerraformLoader()
    document = loader.load(text, "main.tf")
    return document, loader.extract(document)


class TestTerraformEditor:
    def test_hcl_string_escapes_template_syntax(self):
        document, policies = _loaded(_DOCUMENT_TYPO)
        node = policies[0].statements[0].node.get("Action").items[0]
        edit = editor_for(document).replace_scalar(node, 'a${b}%{c}"\\')
        assert edit.new_text == '"a$${b}%%{c}\\"\\\\"'

    def test_heredoc_string_escapes_template_syntax(self):
        document, policies = _loaded(_HEREDOC)
        node = policies[0].statements[2].node.get("Action")
        edit = editor_for(document).replace_scalar(node, "a${b}%{c}")
        assert edit.new_text == '"a$${b}%%{c}"'

    def test_syntax_per_node(self):
        document, policies = _loaded(_HEREDOC + _ENCODED)
        editor = editor_for(document)
        syntaxes = [editor.syntax_of(policy.statements[0].node) for policy in policies]
        assert syntaxes == ["heredoc", "hcl"]

    def test_hcl_object_key_on_new_line(self):
        text = replaced(_ENCODED_BARE, ('    Version = "2012-10-17"\n', ""))
        document, policies = _loaded(text)
        edit = editor_for(document).insert_key(policies[0].node, "Version", "2012-10-17", 0)
        assert edit.new_text == 'Version = "2012-10-17"\n    '

    def test_hcl_inline_object_key_with_comma(self):
        text = 'resource "aws_iam_policy" "x" {\n  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })\n}\n'
        document, policies = _loaded(text)
        edit = editor_for(document).insert_key(policies[0].node, "Version", "2012-10-17", 0)
        assert edit.new_text == 'Version = "2012-10-17", '

    def test_hcl_quoted_object_key(self):
        text = 'resource "aws_iam_policy" "x" {\n  policy = jsonencode({\n    "Statement" : [{ "Effect" : "Allow", "Action" : "s3:GetObject", "Resource" : "*" }]\n  })\n}\n'
        document, policies = _loaded(text)
        edit = editor_for(document).insert_key(policies[0].node, "Version", "2012-10-17", 0)
        assert edit.new_text == '"Version" : "2012-10-17"\n    '

    def test_version_added_to_jsonencode(self):
        text = 'resource "aws_iam_policy" "x" {\n  policy = jsonencode({\n    Statement = [{\n      Effect   = "Allow"\n      Action   = "iam:GetUser"\n      Resource = "arn:aws:iam::*:user/$${aws:username}"\n    }]\n  })\n}\n'
        fixed = fix_text(LINTER, text, "main.tf").fixed
        assert fixed == text.replace("    Statement = [{", '    Version = "2012-10-17"\n    Statement = [{')
        assert "IAM009" not in codes(fixed)
