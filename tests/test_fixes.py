"""Automatic fixes: minimal edits, checked by linting again, written atomically.

Each case below is a policy and the exact text the fixes must produce, so
a test that compares them also proves every untouched byte (indentation,
quotes, key order, comments, line endings) stayed as it was.
"""

from __future__ import annotations

import difflib
import gc
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfalint.config import Settings
from mfalint.findings import Edit, Finding, Fix, Severity
from mfalint.fixes import FileChangedError, apply_edits, fix_paths, fix_text, unified_diff, write_atomic
from mfalint.positions import Position, Span
from mfalint.rule import CheckContext, Rule, RuleDocs
from mfalint.runner import Linter

FIXTURES = Path(__file__).parent / "fixtures"
SETTINGS = Settings(password_reset="required")
LINTER = Linter(SETTINGS)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def codes(text: str, name: str, linter: Linter = LINTER) -> list[str]:
    return [finding.code for finding in linter.lint_text(text, name)]


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the file name; its suffix picks the loader
    code: str  # the rule whose finding the fix resolves
    before: str
    after: str


# -- MFA001: add the blocked actions to the deny's NotAction -------------------

_DENY_JSON = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllExceptListedIfNoMFA",
      "Effect": "Deny",
      "NotAction": [
%s
      ],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
"""

MFA001_CASES = [
    Case(
        "json-sorted-block",
        "policy.json",
        "MFA001",
        _DENY_JSON
        % """        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetUser",
        "iam:ListMFADevices",
        "sts:GetSessionToken\"""",
        _DENY_JSON
        % """        "iam:ChangePassword",
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetAccountPasswordPolicy",
        "iam:GetUser",
        "iam:ListMFADevices",
        "sts:GetSessionToken\"""",
    ),
    Case(
        "json-inline-crlf-non-ascii",
        "policy.json",
        "MFA001",
        crlf(
            """{
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Zoë ✓ 日本 😀", "Effect": "Deny", "NotAction": ["iam:EnableMFADevice", "iam:ListMFADevices"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    ]
}
"""
        ),
        crlf(
            """{
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Zoë ✓ 日本 😀", "Effect": "Deny", "NotAction": ["iam:ChangePassword", "iam:EnableMFADevice", "iam:GetAccountPasswordPolicy", "iam:ListMFADevices"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    ]
}
"""
        ),
    ),
    Case(
        "json-tabs-unsorted",
        "policy.json",
        "MFA001",
        '{\n\t"Version": "2012-10-17",\n\t"Statement": [\n\t\t{\n\t\t\t"Effect": "Deny",\n\t\t\t"NotAction": [\n'
        '\t\t\t\t"sts:GetSessionToken",\n\t\t\t\t"iam:EnableMFADevice"\n\t\t\t],\n\t\t\t"Resource": "*",\n'
        '\t\t\t"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}\n\t\t}\n\t]\n}',
        '{\n\t"Version": "2012-10-17",\n\t"Statement": [\n\t\t{\n\t\t\t"Effect": "Deny",\n\t\t\t"NotAction": [\n'
        '\t\t\t\t"sts:GetSessionToken",\n\t\t\t\t"iam:EnableMFADevice",\n\t\t\t\t"iam:ChangePassword",\n'
        '\t\t\t\t"iam:GetAccountPasswordPolicy"\n\t\t\t],\n\t\t\t"Resource": "*",\n'
        '\t\t\t"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}\n\t\t}\n\t]\n}',
    ),
    Case(
        "json-string-becomes-list",
        "policy.json",
        "MFA001",
        """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Deny",
      "NotAction": "sts:GetSessionToken",
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
""",
        """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Deny",
      "NotAction": ["iam:ChangePassword", "iam:GetAccountPasswordPolicy", "sts:GetSessionToken"],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}
""",
    ),
    Case(
        "json-corrects-misspelling",
        "policy.json",
        "MFA001",
        _DENY_JSON
        % """        "iam:EnableMFADevice",
        "iam:ChangePasword\"""",
        _DENY_JSON
        % """        "iam:EnableMFADevice",
        "iam:ChangePassword",
        "iam:GetAccountPasswordPolicy\"""",
    ),
    Case(
        "yaml-block-2-spaces",
        "policy.yaml",
        "MFA001",
        """Version: '2012-10-17'
Statement:
  - Sid: DenyAllExceptListedIfNoMFA
    Effect: Deny
    NotAction:
      - iam:CreateVirtualMFADevice
      - iam:EnableMFADevice
      - iam:GetUser
    Resource: '*'
    Condition:
      BoolIfExists:
        aws:MultiFactorAuthPresent: 'false'
""",
        """Version: '2012-10-17'
Statement:
  - Sid: DenyAllExceptListedIfNoMFA
    Effect: Deny
    NotAction:
      - iam:ChangePassword
      - iam:CreateVirtualMFADevice
      - iam:EnableMFADevice
      - iam:GetAccountPasswordPolicy
      - iam:GetUser
    Resource: '*'
    Condition:
      BoolIfExists:
        aws:MultiFactorAuthPresent: 'false'
""",
    ),
    Case(
        "yaml-block-4-spaces-crlf-quoted",
        "policy.yml",
        "MFA001",
        crlf(
            """Version: "2012-10-17"
Statement:
    -   Effect: Deny
        NotAction:
            - "iam:EnableMFADevice"
            - "iam:ListMFADevices"
        Resource: "*"
        Condition:
            BoolIfExists:
                aws:MultiFactorAuthPresent: "false"
"""
        ),
        crlf(
            """Version: "2012-10-17"
Statement:
    -   Effect: Deny
        NotAction:
            - "iam:ChangePassword"
            - "iam:EnableMFADevice"
            - "iam:GetAccountPasswordPolicy"
            - "iam:ListMFADevices"
        Resource: "*"
        Condition:
            BoolIfExists:
                aws:MultiFactorAuthPresent: "false"
"""
        ),
    ),
    Case(
        "yaml-flow-single-quotes",
        "policy.yaml",
        "MFA001",
        """Version: '2012-10-17'
Statement:
  - Effect: Deny
    NotAction: ['iam:EnableMFADevice', 'iam:ListMFADevices',
                'sts:GetSessionToken']
    Resource: '*'
    Condition: {BoolIfExists: {'aws:MultiFactorAuthPresent': 'false'}}
""",
        """Version: '2012-10-17'
Statement:
  - Effect: Deny
    NotAction: ['iam:ChangePassword', 'iam:EnableMFADevice', 'iam:GetAccountPasswordPolicy', 'iam:ListMFADevices',
                'sts:GetSessionToken']
    Resource: '*'
    Condition: {BoolIfExists: {'aws:MultiFactorAuthPresent': 'false'}}
""",
    ),
    Case(
        "yaml-string-becomes-list",
        "policy.yaml",
        "MFA001",
        """Version: '2012-10-17'
Statement:
  - Effect: Deny
    NotAction: sts:GetSessionToken
    Resource: '*'
    Condition:
      BoolIfExists:
        aws:MultiFactorAuthPresent: 'false'
""",
        """Version: '2012-10-17'
Statement:
  - Effect: Deny
    NotAction: [iam:ChangePassword, iam:GetAccountPasswordPolicy, sts:GetSessionToken]
    Resource: '*'
    Condition:
      BoolIfExists:
        aws:MultiFactorAuthPresent: 'false'
""",
    ),
    Case(
        "yaml-append-after-comment",
        "policy.yaml",
        "MFA001",
        """# Politique MFA: ne pas modifier à la main ✓
Version: '2012-10-17'
Statement:
- Effect: Deny
  NotAction:
  - sts:GetSessionToken
  - iam:EnableMFADevice  # activer l'appareil ✓

  Resource: '*'
  Condition:
    BoolIfExists:
      aws:MultiFactorAuthPresent: 'false'
""",
        """# Politique MFA: ne pas modifier à la main ✓
Version: '2012-10-17'
Statement:
- Effect: Deny
  NotAction:
  - sts:GetSessionToken
  - iam:EnableMFADevice  # activer l'appareil ✓
  - iam:ChangePassword
  - iam:GetAccountPasswordPolicy

  Resource: '*'
  Condition:
    BoolIfExists:
      aws:MultiFactorAuthPresent: 'false'
""",
    ),
]

# -- MFA002: allow every MFA device name -------------------------------------

MFA002_CASES = [
    Case(
        "json",
        "policy.json",
        "MFA002",
        """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "iam:CreateVirtualMFADevice",
      "Resource": "arn:aws:iam::*:mfa/${aws:username}"
    }
  ]
}
""",
        """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "iam:CreateVirtualMFADevice",
      "Resource": "arn:aws:iam::*:mfa/*"
    }
  ]
}
""",
    ),
    Case(
        "yaml-plain-crlf",
        "policy.yaml",
        "MFA002",
        crlf(
            """Version: "2012-10-17"
Statement:
  - Effect: Allow
    Action: [iam:CreateVirtualMFADevice]
    Resource: arn:aws:iam::123456789012:mfa/${aws:username}  # one device per user
"""
        ),
        crlf(
            """Version: "2012-10-17"
Statement:
  - Effect: Allow
    Action: [iam:CreateVirtualMFADevice]
    Resource: arn:aws:iam::123456789012:mfa/*  # one device per user
"""
        ),
    ),
    Case(
        "yaml-single-quoted-list",
        "policy.yaml",
        "MFA002",
        """Version: '2012-10-17'
Statement:
    - Effect: Allow
      Action: iam:CreateVirtualMFADevice
      Resource:
          - 'arn:aws:iam::*:mfa/${aws:username}'
          - 'arn:aws:iam::*:user/${aws:username}'
""",
        """Version: '2012-10-17'
Statement:
    - Effect: Allow
      Action: iam:CreateVirtualMFADevice
      Resource:
          - 'arn:aws:iam::*:mfa/*'
          - 'arn:aws:iam::*:user/${aws:username}'
""",
    ),
]

# -- MFA003 and MFA004: the IfExists form of Bool ----------------------------

_BOOL_DENY_JSON = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "ec2:TerminateInstances",
            "Resource": "*",
            "Condition": {"%s": {"aws:MultiFactorAuthPresent": "false"}}
        }
    ]
}
"""

_TRUST_JSON = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
      "Action": "sts:AssumeRole",
      "Condition": {
        "%s": {
          "aws:MultiFactorAuthPresent": "true"
        }
      }
    }
  ]
}
"""

BOOL_CASES = [
    Case("mfa003-json-4-spaces", "policy.json", "MFA003", _BOOL_DENY_JSON % "Bool", _BOOL_DENY_JSON % "BoolIfExists"),
    Case(
        "mfa003-json-tabs",
        "policy.json",
        "MFA003",
        '{\n\t"Version": "2012-10-17",\n\t"Statement": [{\n\t\t"Effect": "Deny",\n\t\t"Action": "s3:*",\n\t\t"Resource": "*",\n'
        '\t\t"Condition": {\n\t\t\t"Bool": {\n\t\t\t\t"aws:MultiFactorAuthPresent": false\n\t\t\t}\n\t\t}\n\t}]\n}\n',
        '{\n\t"Version": "2012-10-17",\n\t"Statement": [{\n\t\t"Effect": "Deny",\n\t\t"Action": "s3:*",\n\t\t"Resource": "*",\n'
        '\t\t"Condition": {\n\t\t\t"BoolIfExists": {\n\t\t\t\t"aws:MultiFactorAuthPresent": false\n\t\t\t}\n\t\t}\n\t}]\n}\n',
    ),
    Case(
        "mfa003-yaml-quoted-key-crlf",
        "policy.yaml",
        "MFA003",
        crlf(
            """"Version": "2012-10-17"
"Statement":
    -   "Effect": "Deny"
        "Action": "ec2:*"
        "Resource": "*"
        "Condition":
            "Bool":
                "aws:MultiFactorAuthPresent": "false"
"""
        ),
        crlf(
            """"Version": "2012-10-17"
"Statement":
    -   "Effect": "Deny"
        "Action": "ec2:*"
        "Resource": "*"
        "Condition":
            "BoolIfExists":
                "aws:MultiFactorAuthPresent": "false"
"""
        ),
    ),
    Case(
        "mfa003-yaml-flow-non-ascii",
        "policy.yaml",
        "MFA003",
        """Version: '2012-10-17'
Statement:
  - {Sid: "Zoë ✓ 😀", Effect: Deny, Action: "ec2:*", Resource: "*", Condition: {Bool: {aws:MultiFactorAuthPresent: "false"}}}
""",
        """Version: '2012-10-17'
Statement:
  - {Sid: "Zoë ✓ 😀", Effect: Deny, Action: "ec2:*", Resource: "*", Condition: {BoolIfExists: {aws:MultiFactorAuthPresent: "false"}}}
""",
    ),
    Case("mfa004-json-crlf", "trust.json", "MFA004", crlf(_TRUST_JSON % "BoolIfExists"), crlf(_TRUST_JSON % "Bool")),
    Case(
        "mfa004-yaml",
        "trust.yaml",
        "MFA004",
        """Version: '2012-10-17'
Statement:
  - Effect: Allow
    Principal: {AWS: 'arn:aws:iam::123456789012:root'}
    Action: sts:AssumeRole
    Condition:
      BoolIfExists:  # console and keys
        aws:MultiFactorAuthPresent: 'true'
""",
        """Version: '2012-10-17'
Statement:
  - Effect: Allow
    Principal: {AWS: 'arn:aws:iam::123456789012:root'}
    Action: sts:AssumeRole
    Condition:
      Bool:  # console and keys
        aws:MultiFactorAuthPresent: 'true'
""",
    ),
]

# -- IAM004: the suggested action ---------------------------------------------

IAM004_CASES = [
    Case(
        "json-inline-list",
        "policy.json",
        "IAM004",
        """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:ListMFADevice", "iam:GetUser"], "Resource": "*"}
  ]
}
""",
        """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:ListMFADevices", "iam:GetUser"], "Resource": "*"}
  ]
}
""",
    ),
    Case(
        "json-wrong-service",
        "policy.json",
        "IAM004",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetSessionToken", "Resource": "*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"}]}',
    ),
    Case(
        "yaml-block-list-crlf",
        "policy.yaml",
        "IAM004",
        crlf(
            """Version: '2012-10-17'
Statement:
  - Effect: Allow
    Action:
      - iam:GetUsr     # typo
      - 'iam:ListMFADevices'
    Resource: '*'
"""
        ),
        crlf(
            """Version: '2012-10-17'
Statement:
  - Effect: Allow
    Action:
      - iam:GetUser     # typo
      - 'iam:ListMFADevices'
    Resource: '*'
"""
        ),
    ),
]

# -- IAM009: Version 2012-10-17 ----------------------------------------------

_USER_ARN = "arn:aws:iam::*:user/${aws:username}"

IAM009_CASES = [
    Case(
        "json-insert-2-spaces",
        "policy.json",
        "IAM009",
        f"""{{
  "Statement": [
    {{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}
  ]
}}
""",
        f"""{{
  "Version": "2012-10-17",
  "Statement": [
    {{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}
  ]
}}
""",
    ),
    Case(
        "json-insert-one-line",
        "policy.json",
        "IAM009",
        f'{{"Statement": [{{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}]}}',
        f'{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}]}}',
    ),
    Case(
        "json-insert-tabs",
        "policy.json",
        "IAM009",
        f'{{\n\t"Id": "Zoë ✓",\n\t"Statement": [{{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}]\n}}\n',
        f'{{\n\t"Version": "2012-10-17",\n\t"Id": "Zoë ✓",\n\t"Statement": [{{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}]\n}}\n',
    ),
    Case(
        "json-replace-crlf",
        "policy.json",
        "IAM009",
        crlf(
            f"""{{
    "Version": "2008-10-17",
    "Statement": [{{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}]
}}
"""
        ),
        crlf(
            f"""{{
    "Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "{_USER_ARN}"}}]
}}
"""
        ),
    ),
    Case(
        "yaml-insert-4-spaces-crlf",
        "policy.yaml",
        "IAM009",
        crlf(
            f"""# Politique ✓
Statement:
    -   Effect: Allow
        Action: iam:ChangePassword
        Resource: '{_USER_ARN}'
"""
        ),
        crlf(
            f"""# Politique ✓
Version: '2012-10-17'
Statement:
    -   Effect: Allow
        Action: iam:ChangePassword
        Resource: '{_USER_ARN}'
"""
        ),
    ),
    Case(
        "yaml-replace-plain",
        "policy.yaml",
        "IAM009",
        f"""Version: 2008-10-17
Statement:
  - Effect: Allow
    Action: iam:ChangePassword
    Resource: {_USER_ARN}
""",
        f"""Version: "2012-10-17"
Statement:
  - Effect: Allow
    Action: iam:ChangePassword
    Resource: {_USER_ARN}
""",
    ),
    Case(
        "yaml-insert-flow",
        "policy.yaml",
        "IAM009",
        f"{{Statement: [{{Effect: Allow, Action: iam:ChangePassword, Resource: '{_USER_ARN}'}}]}}\n",
        f"{{Version: '2012-10-17', Statement: [{{Effect: Allow, Action: iam:ChangePassword, Resource: '{_USER_ARN}'}}]}}\n",
    ),
]

# -- IAM014: quote the YAML Version ------------------------------------------

IAM014_CASES = [
    Case(
        "double-quotes",
        "policy.yaml",
        "IAM014",
        "Version: 2012-10-17\nStatement:\n  - Effect: Allow\n    Action: iam:ListMFADevices\n    Resource: \"*\"\n",
        "Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n    Action: iam:ListMFADevices\n    Resource: \"*\"\n",
    ),
    Case(
        "single-quotes-crlf",
        "policy.yaml",
        "IAM014",
        crlf("Version: 2012-10-17   # AWS\nStatement:\n- Effect: Allow\n  Action: iam:ListMFADevices\n  Resource: '*'\n"),
        crlf("Version: '2012-10-17'   # AWS\nStatement:\n- Effect: Allow\n  Action: iam:ListMFADevices\n  Resource: '*'\n"),
    ),
]

CASES = [
    *[pytest.param(case, id=f"MFA001-{case.id}") for case in MFA001_CASES],
    *[pytest.param(case, id=f"MFA002-{case.id}") for case in MFA002_CASES],
    *[pytest.param(case, id=f"{case.code}-{case.id.partition('-')[2]}") for case in BOOL_CASES],
    *[pytest.param(case, id=f"IAM004-{case.id}") for case in IAM004_CASES],
    *[pytest.param(case, id=f"IAM009-{case.id}") for case in IAM009_CASES],
    *[pytest.param(case, id=f"IAM014-{case.id}") for case in IAM014_CASES],
]


class TestCases:
    @pytest.mark.parametrize("case", CASES)
    def test_case_fires(self, case):
        assert case.code in codes(case.before, case.name)

    @pytest.mark.parametrize("case", CASES)
    def test_fixed_text_exact(self, case):
        assert fix_text(LINTER, case.before, case.name).fixed == case.after

    @pytest.mark.parametrize("case", CASES)
    def test_result_parses(self, case):
        assert "IAM001" not in codes(case.after, case.name)

    @pytest.mark.parametrize("case", CASES)
    def test_finding_gone(self, case):
        assert case.code not in codes(case.after, case.name)

    @pytest.mark.parametrize("case", CASES)
    def test_second_pass_noop(self, case):
        once = fix_text(LINTER, case.before, case.name).fixed
        assert fix_text(LINTER, once, case.name).fixed == once

    @pytest.mark.parametrize("case", CASES)
    def test_nothing_rejected(self, case):
        assert fix_text(LINTER, case.before, case.name).rejected == []

    @pytest.mark.parametrize("case", [case for case in CASES if "\r\n" in case.values[0].before])
    def test_no_bare_line_feed(self, case):
        fixed = fix_text(LINTER, case.before, case.name).fixed
        assert "\n" not in fixed.replace("\r\n", "")

    @pytest.mark.parametrize("case", [case for case in CASES if "\r" not in case.values[0].before])
    def test_no_carriage_return(self, case):
        assert "\r" not in fix_text(LINTER, case.before, case.name).fixed

    @pytest.mark.parametrize("case", CASES)
    def test_rule_marked_fixable(self, case):
        assert LINTER.plugins.rules[case.code].fixable


class TestDiff:
    def test_diff_lines(self):
        case = MFA001_CASES[0]
        diff = fix_text(LINTER, case.before, case.name).diff
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        assert changed == ['+        "iam:ChangePassword",', '+        "iam:GetAccountPasswordPolicy",']

    def test_diff_headers(self):
        diff = unified_diff("a\n", "b\n", "dir/policy.json")
        assert diff.splitlines()[:2] == ["--- a/dir/policy.json", "+++ b/dir/policy.json"]

    def test_diff_keeps_crlf(self):
        assert "-a\r\n+b\r\n" in unified_diff("a\r\n", "b\r\n", "p.json")

    def test_diff_marks_missing_newline(self):
        assert unified_diff("a", "b", "p.json").endswith("-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n")

    def test_diff_empty_when_unchanged(self):
        assert unified_diff("a\n", "a\n", "p.json") == ""

    def test_diff_same_as_difflib(self):
        case = MFA001_CASES[0]
        fixed = fix_text(LINTER, case.before, case.name).fixed
        expected = difflib.unified_diff(case.before.splitlines(True), fixed.splitlines(True), "a/p.json", "b/p.json")
        assert unified_diff(case.before, fixed, "p.json") == "".join(expected)

    def test_diff_repeated_lines_minimal(self):
        # difflib.unified_diff treats lines in more than 1% of a long text as junk.
        original = '  "iam:GetUser",\n' * 300
        diff = unified_diff(original, '  "iam:ChangePassword",\n' + original, "p.json")
        assert [line for line in diff.splitlines() if line.startswith(("+ ", "- "))] == ['+  "iam:ChangePassword",']

    def test_diff_absolute_path(self):
        assert unified_diff("a\n", "b\n", "/srv/p.json").startswith("--- /srv/p.json\n+++ /srv/p.json\n")

    def test_diff_splits_at_newline_only(self):
        # U+2028 is a line break to str.splitlines(), but not to diff or patch.
        assert unified_diff("x\u2028y\n", "z\n", "p.json").count("\n-") == 1


class TestNoFix:
    """Findings that keep their fix to themselves, because no minimal edit is safe."""

    def _fix_of(self, text: str, name: str, code: str) -> Fix | None:
        findings = [finding for finding in LINTER.lint_text(text, name) if finding.code == code]
        assert findings, f"{code} does not fire"
        return findings[0].fix

    def test_deny_with_action(self):
        text = (FIXTURES / "rules" / "MFA001" / "fires" / "deny-iam-wildcard-action.json").read_text(encoding="utf-8")
        assert self._fix_of(text, "policy.json", "MFA001") is None

    def test_bool_block_tests_other_key(self):
        # Condition keys are case-insensitive, so the second key is another test of the same key.
        text = _BOOL_DENY_JSON.replace(
            '{"aws:MultiFactorAuthPresent": "false"}', '{"aws:MultiFactorAuthPresent": "false", "aws:multifactorauthpresent": "false"}'
        ) % "Bool"
        assert self._fix_of(text, "policy.json", "MFA003") is None

    def test_target_operator_exists(self):
        text = _BOOL_DENY_JSON.replace(
            '"Condition": {"%s"', '"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}, "%s"'
        ) % "Bool"
        assert self._fix_of(text, "policy.json", "MFA003") is None

    def test_ambiguous_suggestion(self):
        text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstance", "Resource": "*"}]}'
        assert self._fix_of(text, "policy.json", "IAM004") is None

    def test_malformed_action(self):
        text = (FIXTURES / "rules" / "IAM004" / "fires" / "malformed.json").read_text(encoding="utf-8")
        assert self._fix_of(text, "policy.json", "IAM004") is None

    def test_duplicate_key(self):
        text = (FIXTURES / "rules" / "IAM015" / "fires" / "duplicate.json").read_text(encoding="utf-8")
        assert self._fix_of(text, "policy.json", "MFA001") is None

    def test_yaml_tag(self):
        text = "Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: iam:CreateVirtualMFADevice\n    Resource: !Sub 'arn:aws:iam::*:mfa/${aws:username}'\n"
        assert self._fix_of(text, "policy.yaml", "MFA002") is None


class TestUnsafe:
    # Widening this Resource also lets users delete any unassigned device.
    text = (FIXTURES / "rules" / "MFA002" / "fires" / "username-device.yaml").read_text(encoding="utf-8")

    def _fix(self) -> Fix | None:
        return next(finding.fix for finding in LINTER.lint_text(self.text, "p.yaml") if finding.code == "MFA002")

    def test_fix_offered(self):
        assert self._fix() is not None

    def test_fix_marked_unsafe(self):
        assert self._fix().safe is False

    def test_not_applied_by_default(self):
        assert not fix_text(LINTER, self.text, "p.yaml").changed

    def test_applied_when_asked(self):
        fixed = fix_text(LINTER, self.text, "p.yaml", unsafe=True).fixed
        assert "Resource: arn:aws:iam::123456789012:mfa/*\n" in fixed


class TestApplyEdits:
    def edit(self, line: int, column: int, end_line: int, end_column: int, text: str) -> Edit:
        return Edit(Span(Position(line, column), Position(end_line, end_column)), text)

    def test_replace_and_insert(self):
        edits = [self.edit(1, 3, 1, 4, "X"), self.edit(2, 1, 2, 1, ">")]
        assert apply_edits("abcd\nef\n", edits) == "abXd\n>ef\n"

    def test_insert_at_replacement_end(self):
        edits = [self.edit(1, 2, 1, 2, "+"), self.edit(1, 1, 1, 2, "X")]
        assert apply_edits("ab", edits) == "X+b"

    def test_overlap_rejected(self):
        with pytest.raises(ValueError):
            apply_edits("abcd", [self.edit(1, 1, 1, 3, "X"), self.edit(1, 2, 1, 4, "Y")])

    def test_two_inserts_same_place_rejected(self):
        with pytest.raises(ValueError):
            apply_edits("abcd", [self.edit(1, 2, 1, 2, "X"), self.edit(1, 2, 1, 2, "Y")])

    def test_span_outside_text_rejected(self):
        with pytest.raises(ValueError):
            apply_edits("ab\n", [self.edit(1, 5, 1, 5, "X")])

    def test_columns_are_code_points(self):
        assert apply_edits("😀é x\n", [self.edit(1, 4, 1, 5, "y")]) == "😀é y\n"


# -- guards: fixes that must not be written ----------------------------------


class _EditRule(Rule):
    """A test rule that reports line 1 with a fix made of the given edits."""

    name = "test-edit"
    severity = Severity.WARNING
    summary = "Test rule."
    docs = RuleDocs(what="-", why="-", example="-", use_instead="-", fix="-")

    def __init__(self, code: str, edits: Iterable[Edit], title: str = "test fix") -> None:
        self.code = code
        self.edits = tuple(edits)
        self.title = title

    def check(self, context: CheckContext) -> Iterable[Finding]:
        if context.policies:
            yield context.finding(self, Span.point(1, 1), "test finding", fix=Fix(self.title, self.edits))


def _linter_with(*rules: Rule) -> Linter:
    linter = Linter(SETTINGS)
    linter.rules = [*linter.rules, *rules]
    return linter


POLICY = (FIXTURES / "rules" / "MFA003" / "fires" / "bool-false.json").read_text(encoding="utf-8")
# Deletes the policy's opening brace, so the result cannot parse.
BREAKS_JSON = Edit(Span(Position(1, 1), Position(1, 2)), "")
# Appends a space to line 2: harmless, but it fixes nothing.
KEEPS_FINDING = Edit(Span(Position(2, 3), Position(2, 3)), " ")


class TestGuards:
    def test_unparsable_rejected(self):
        outcome = fix_text(_linter_with(_EditRule("TST001", [BREAKS_JSON])), POLICY, "p.json")
        assert [rejection.code for rejection in outcome.rejected] == ["TST001"]

    def test_unparsable_reason(self):
        outcome = fix_text(_linter_with(_EditRule("TST001", [BREAKS_JSON])), POLICY, "p.json")
        assert outcome.rejected[0].reason.startswith("the result would not parse")

    def test_other_fixes_still_applied(self):
        outcome = fix_text(_linter_with(_EditRule("TST001", [BREAKS_JSON])), POLICY, "p.json")
        assert '"BoolIfExists": {' in outcome.fixed

    def test_unparsable_not_written(self, tmp_path):
        path = tmp_path / "p.json"
        path.write_text(POLICY, encoding="utf-8")
        linter = _linter_with(_EditRule("TST001", [BREAKS_JSON]), _EditRule("TST002", [BREAKS_JSON], "other"))
        linter.rules = [rule for rule in linter.rules if rule.code.startswith("TST")]
        fix_paths(linter, [str(path)], write=True)
        assert path.read_text(encoding="utf-8") == POLICY

    def test_unparsable_rejected_without_iam001(self):
        # The parse check loads the result itself, so it holds when IAM001 is not selected.
        linter = _linter_with(_EditRule("TST001", [BREAKS_JSON]))
        linter.rules = [rule for rule in linter.rules if rule.code != "IAM001"]
        outcome = fix_text(linter, POLICY, "p.json")
        assert outcome.rejected[0].reason.startswith("the result would not parse")

    def test_finding_left_in_place_rejected(self):
        outcome = fix_text(_linter_with(_EditRule("TST003", [KEEPS_FINDING])), POLICY, "p.json")
        assert outcome.rejected[0].reason.startswith("the fix leaves its finding in place")

    def test_invalid_span_rejected(self):
        outside = Edit(Span(Position(99, 1), Position(99, 1)), "x")
        outcome = fix_text(_linter_with(_EditRule("TST004", [outside])), POLICY, "p.json")
        assert outcome.rejected[0].reason.startswith("the fix is invalid")

    def test_unparsable_input_unchanged(self):
        broken = (FIXTURES / "rules" / "IAM001" / "fires" / "trailing-comma.json").read_text(encoding="utf-8")
        assert not fix_text(LINTER, broken, "p.json").changed

    def test_overlapping_fixes_both_resolved(self):
        # MFA001 corrects the misspelt entry and adds the other action; IAM004's
        # fix of the same entry overlaps it and is left for a later pass.
        text = _DENY_JSON % '        "iam:ChangePasword",\n        "iam:EnableMFADevice"'
        fixed = fix_text(LINTER, text, "p.json").fixed
        assert fixed.count('"iam:ChangePassword"') == 1


class TestIgnored:
    """Findings that are not reported are not fixed either."""

    def test_suppressed_not_fixed(self):
        text = (
            "Version: '2012-10-17'\nStatement:\n  - Effect: Deny\n    Action: 'ec2:*'\n    Resource: '*'\n"
            "    Condition:\n      Bool:  # mfalint: ignore[MFA003] console only\n        aws:MultiFactorAuthPresent: 'false'\n"
        )
        assert not fix_text(LINTER, text, "p.yaml").changed

    def test_baselined_not_fixed(self, tmp_path, monkeypatch):
        from mfalint.baseline import write_baseline

        monkeypatch.chdir(tmp_path)
        (tmp_path / "policy.json").write_text(_BOOL_DENY_JSON % "Bool", encoding="utf-8")
        write_baseline(tmp_path / "baseline.json", LINTER.lint_paths(["policy.json"]).findings)
        linter = Linter(Settings(password_reset="required", baseline="baseline.json"))
        assert not fix_paths(linter, ["policy.json"], write=True).changed


class TestEditor:
    """Edit helpers on shapes the rules' fixtures do not reach."""

    def apply(self, text: str, name: str, build) -> str | None:
        from mfalint.fix_edits import SourceEditor
        from mfalint.loaders.json_loader import load_json
        from mfalint.loaders.yaml_loader import load_yaml

        document = (load_json if name.endswith(".json") else load_yaml)(text, name)
        edits = build(SourceEditor(document), document.roots[0])
        if edits is None:
            return None
        return apply_edits(text, edits if isinstance(edits, tuple) else (edits,))

    def test_empty_json_list(self):
        result = self.apply('{"a": []}', "p.json", lambda editor, root: editor.add_to_sequence(root.get("a"), ["y", "x"]))
        assert result == '{"a": ["x", "y"]}'

    def test_empty_json_object(self):
        result = self.apply('{"a": {}}', "p.json", lambda editor, root: editor.insert_key(root.get("a"), "k", "v"))
        assert result == '{"a": {"k": "v"}}'

    def test_json_key_appended(self):
        result = self.apply('{\n  "a": 1\n}\n', "p.json", lambda editor, root: editor.insert_key(root, "k", "v", 1))
        assert result == '{\n  "a": 1,\n  "k": "v"\n}\n'

    def test_yaml_key_appended_nested(self):
        text = "a: 1\nb:\n  c: 2  # note\n  d: [3]\n"
        result = self.apply(text, "p.yaml", lambda editor, root: editor.insert_key(root.get("b"), "z", "2012-10-17", 2))
        assert result == 'a: 1\nb:\n  c: 2  # note\n  d: [3]\n  z: "2012-10-17"\n'

    def test_yaml_nested_sequence(self):
        result = self.apply("- - a\n  - b\n- c\n", "p.yaml", lambda editor, root: editor.add_to_sequence(root.items[0], ["aa"]))
        assert result == "- - a\n  - aa\n  - b\n- c\n"

    def test_yaml_after_block_scalar(self):
        text = "l:\n- x\n- |\n  block\nm: 1\n"
        result = self.apply(text, "p.yaml", lambda editor, root: editor.add_to_sequence(root.get("l"), ["y"]))
        assert result == "l:\n- x\n- |\n  block\n- y\nm: 1\n"

    def test_yaml_flow_comment_separator(self):
        text = "k: [a, # note\n  b]\n"
        result = self.apply(text, "p.yaml", lambda editor, root: editor.add_to_sequence(root.get("k"), ["c"]))
        assert result == "k: [a, # note\n  b, c]\n"

    def test_yaml_number_like_value_quoted(self):
        result = self.apply("k: [a]\n", "p.yaml", lambda editor, root: editor.add_to_sequence(root.get("k"), ["0"]))
        assert result == 'k: ["0", a]\n'

    def test_value_already_present(self):
        result = self.apply('{"a": ["X"]}', "p.json", lambda editor, root: editor.add_to_sequence(root.get("a"), ["x"]))
        assert result is None

    def test_block_scalar_not_replaced(self):
        result = self.apply("k: |\n  text\n", "p.yaml", lambda editor, root: editor.replace_scalar(root.get("k"), "y"))
        assert result is None

    def test_anchor_kept(self):
        result = self.apply("k: &name old\nl: *name\n", "p.yaml", lambda editor, root: editor.replace_scalar(root.get("k"), "new"))
        assert result == "k: &name new\nl: *name\n"

    def test_value_inside_string_not_edited(self):
        # A policy kept as a JSON string: its nodes' spans are not literals of the file.
        from mfalint.nodes import ScalarNode

        def build(editor, root):
            inner = root.get("Policy")
            fake = ScalarNode(inner.span, inner.path, value="iam:GetUser", quoted=True)
            return editor.replace_scalar(fake, "iam:ListUsers")

        assert self.apply('{"Policy": "{\\"Action\\": \\"iam:GetUser\\"}"}', "p.json", build) is None


# -- writing files -----------------------------------------------------------


@pytest.fixture
def policy_file(tmp_path: Path, monkeypatch) -> Path:
    """A policy with an MFA001 fix, mode 640, in the current directory."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "policy.json"
    path.write_bytes(MFA001_CASES[0].before.encode("utf-8"))
    path.chmod(0o640)
    return path


def test_documents_with_fixes_are_freed(tmp_path, monkeypatch):
    """Fix edits are cached per document, and the cache must not keep a linted document alive.

    A run over many files keeps only findings, so every document must be
    freed once its file is checked, or memory grows with the number of files.
    """
    import weakref

    for name in ("aws-sample-deny.json", "deny-own-user-scope.json"):
        (tmp_path / name).write_bytes((FIXTURES / "rules" / "MFA001" / "fires" / name).read_bytes())
    (tmp_path / "main.tf").write_bytes((FIXTURES / "terraform" / "heredoc" / "main.tf").read_bytes())
    documents: list[weakref.ref] = []
    run_rules = Linter._run_rules

    def recording(self, document, *args, **kwargs):
        documents.append(weakref.ref(document))
        return run_rules(self, document, *args, **kwargs)

    monkeypatch.setattr(Linter, "_run_rules", recording)
    result = Linter(Settings(password_reset="required", jobs=1)).lint_paths([str(tmp_path)])
    assert any(finding.fix is not None for finding in result.findings)
    assert len(documents) == 3
    gc.collect()
    assert [ref() for ref in documents] == [None, None, None]


class TestWrite:
    def test_written(self, policy_file):
        fix_paths(LINTER, [str(policy_file)], write=True)
        assert policy_file.read_text(encoding="utf-8") == MFA001_CASES[0].after

    def test_result_flags_written(self, policy_file):
        result = fix_paths(LINTER, [str(policy_file)], write=True)
        assert result.files[0].written

    def test_mode_kept(self, policy_file):
        fix_paths(LINTER, [str(policy_file)], write=True)
        assert stat.S_IMODE(policy_file.stat().st_mode) == 0o640

    def test_no_temporary_left(self, policy_file):
        fix_paths(LINTER, [str(policy_file)], write=True)
        assert sorted(path.name for path in policy_file.parent.iterdir()) == ["policy.json"]

    def test_crlf_bytes_kept(self, tmp_path):
        case = MFA001_CASES[1]
        path = tmp_path / "policy.json"
        path.write_bytes(case.before.encode("utf-8"))
        fix_paths(LINTER, [str(path)], write=True)
        assert path.read_bytes() == case.after.encode("utf-8")

    def test_bom_kept(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_bytes(b"\xef\xbb\xbf" + MFA001_CASES[0].before.encode("utf-8"))
        fix_paths(LINTER, [str(path)], write=True)
        assert path.read_bytes() == b"\xef\xbb\xbf" + MFA001_CASES[0].after.encode("utf-8")

    def test_symlink_kept(self, policy_file):
        link = policy_file.parent / "link.json"
        link.symlink_to(policy_file.name)
        fix_paths(LINTER, [str(link)], write=True)
        assert link.is_symlink()

    def test_symlink_target_written(self, policy_file):
        link = policy_file.parent / "link.json"
        link.symlink_to(policy_file.name)
        fix_paths(LINTER, [str(link)], write=True)
        assert policy_file.read_text(encoding="utf-8") == MFA001_CASES[0].after

    def test_directory_searched(self, policy_file):
        result = fix_paths(LINTER, [str(policy_file.parent)], write=True)
        assert [file.display_path for file in result.changed] == ["policy.json"]

    def test_clean_file_not_written(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_text(MFA001_CASES[0].after, encoding="utf-8")
        before = path.stat().st_mtime_ns
        fix_paths(LINTER, [str(path)], write=True)
        assert path.stat().st_mtime_ns == before

    def test_failed_rename_keeps_original(self, policy_file, monkeypatch):
        def fail(*_args):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", fail)
        fix_paths(LINTER, [str(policy_file)], write=True)
        assert policy_file.read_text(encoding="utf-8") == MFA001_CASES[0].before

    def test_failed_rename_reported(self, policy_file, monkeypatch):
        def fail(*_args):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", fail)
        result = fix_paths(LINTER, [str(policy_file)], write=True)
        assert result.files[0].error == "cannot write policy.json: No space left on device"

    def test_failed_rename_leaves_no_temporary(self, policy_file, monkeypatch):
        def fail(*_args):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", fail)
        fix_paths(LINTER, [str(policy_file)], write=True)
        assert sorted(path.name for path in policy_file.parent.iterdir()) == ["policy.json"]

    def test_changed_file_not_overwritten(self, policy_file):
        with pytest.raises(FileChangedError):
            write_atomic(str(policy_file), b"new", expected=b"what was read earlier")

    def test_changed_file_intact(self, policy_file):
        with pytest.raises(FileChangedError):
            write_atomic(str(policy_file), b"new", expected=b"what was read earlier")
        assert policy_file.read_text(encoding="utf-8") == MFA001_CASES[0].before


class TestDiffMode:
    def test_nothing_written(self, policy_file):
        before = policy_file.read_bytes()
        fix_paths(LINTER, [str(policy_file)], write=False)
        assert policy_file.read_bytes() == before

    def test_mtime_unchanged(self, policy_file):
        before = policy_file.stat().st_mtime_ns
        fix_paths(LINTER, [str(policy_file)], write=False)
        assert policy_file.stat().st_mtime_ns == before

    def test_diff_returned(self, policy_file):
        result = fix_paths(LINTER, [str(policy_file)], write=False)
        assert result.diff.startswith("--- a/policy.json\n+++ b/policy.json\n")

    def test_fix_count(self, policy_file):
        assert fix_paths(LINTER, [str(policy_file)], write=False).fixed_count == 1


# -- the command line --------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mfalint", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _cli_has_fix() -> bool:
    return "--diff" in run_cli("--help", cwd=Path(__file__).parent).stdout


needs_cli = pytest.mark.skipif(not _cli_has_fix(), reason="mfalint has no --fix and --diff options yet")


@needs_cli
class TestCommandLine:
    def test_fix_writes(self, policy_file):
        run_cli("--fix", policy_file.name, cwd=policy_file.parent)
        assert policy_file.read_text(encoding="utf-8") == MFA001_CASES[0].after

    def test_fix_exit_zero_when_all_fixed(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_text(_BOOL_DENY_JSON % "Bool", encoding="utf-8")
        assert run_cli("--fix", path.name, cwd=tmp_path).returncode == 0

    def test_fix_reports_remaining(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_text((FIXTURES / "rules" / "MFA001" / "fires" / "deny-iam-wildcard-action.json").read_text(encoding="utf-8"))
        result = run_cli("--fix", "--password-reset", "required", path.name, cwd=tmp_path)
        assert "MFA001" in result.stdout

    def test_diff_writes_nothing(self, policy_file):
        before = policy_file.read_bytes()
        run_cli("--diff", policy_file.name, cwd=policy_file.parent)
        assert policy_file.read_bytes() == before

    def test_diff_printed(self, policy_file):
        result = run_cli("--diff", policy_file.name, cwd=policy_file.parent)
        assert result.stdout.startswith("--- a/policy.json\n+++ b/policy.json\n")

    def test_diff_exit_one(self, policy_file):
        assert run_cli("--diff", policy_file.name, cwd=policy_file.parent).returncode == 1

    def test_diff_clean_exit_zero(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_text(MFA001_CASES[0].after, encoding="utf-8")
        assert run_cli("--diff", path.name, cwd=tmp_path).returncode == 0


# -- properties over the fixture corpus --------------------------------------

CORPUS = sorted(
    path for folder in (FIXTURES / "cases", FIXTURES / "rules") for path in folder.rglob("*") if path.is_file()
)
# Opt-in rules run too, so that every rule's fixes are exercised.
CORPUS_LINTER = Linter(Settings(password_reset="required", extend_select=("MFA015", "MFA016")))


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None


def _check_fixed(text: str, name: str) -> None:
    outcome = fix_text(CORPUS_LINTER, text, name)
    after = CORPUS_LINTER.lint_text(outcome.fixed, name)
    still_fixable = [finding.code for finding in after if finding.fix is not None and finding.fix.safe]
    assert still_fixable == []
    assert outcome.rejected == []
    if outcome.changed:
        assert "IAM001" not in [finding.code for finding in after]
    assert fix_text(CORPUS_LINTER, outcome.fixed, name).fixed == outcome.fixed


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: str(path.relative_to(FIXTURES)))
def test_corpus_file(path):
    text = _read(path)
    if text is None:
        pytest.skip("not UTF-8 text")
    _check_fixed(text, path.name)


def _reindent(text: str, unit: str) -> str:
    """Replace each pair of leading spaces with ``unit``, which changes nothing but layout in JSON."""
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        lines.append(unit * ((len(line) - len(stripped)) // 2) + " " * ((len(line) - len(stripped)) % 2) + stripped)
    return "\n".join(lines)


@st.composite
def corpus_variants(draw) -> tuple[str, str]:
    """Draw a corpus file, re-indented (JSON) or led by a non-ASCII comment (YAML), with LF or CRLF line endings."""
    path = draw(st.sampled_from(CORPUS))
    text = _read(path) or ""
    if path.suffix == ".json":
        text = _reindent(text, draw(st.sampled_from(["  ", "    ", "\t"])))
    elif path.suffix in (".yaml", ".yml") and draw(st.booleans()):
        text = "# Zoë ✓ 日本 😀\n" + text
    if draw(st.booleans()):
        text = crlf(text)
    return text, path.name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus_variants())
def test_corpus_variants(variant):
    text, name = variant
    _check_fixed(text, name)
