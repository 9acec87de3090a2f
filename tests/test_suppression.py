"""Inline and configured suppressions, baselines and parallel runs, through the real CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "fixtures" / "cases"
YAML_POLICY = (CASES / "force-mfa-policy.yaml").read_text(encoding="utf-8")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mfalint", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def codes(result: subprocess.CompletedProcess) -> list[str]:
    return [item["code"] for item in json.loads(result.stdout)]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copy(CASES / "force-mfa-aws-sample.json", tmp_path / "sample.json")
    return tmp_path


def write_yaml(folder: Path, text: str) -> None:
    (folder / "policy.yaml").write_text(text, encoding="utf-8")


class TestInlineComments:
    def test_same_line(self, work):
        write_yaml(work, YAML_POLICY.replace("Version: 2012-10-17", "Version: 2012-10-17  # mfalint: ignore[IAM014]"))
        assert "IAM014" not in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_after_key(self, work):
        write_yaml(work, YAML_POLICY.replace("    NotAction:\n", "    NotAction:  # mfalint: ignore[MFA001]\n"))
        assert "MFA001" not in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_line_above(self, work):
        write_yaml(work, YAML_POLICY.replace("Version: 2012-10-17", "# mfalint: ignore[IAM014]\nVersion: 2012-10-17"))
        assert "IAM014" not in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_other_code_kept(self, work):
        write_yaml(work, YAML_POLICY.replace("Version: 2012-10-17", "Version: 2012-10-17  # mfalint: ignore[MFA001]"))
        assert "IAM014" in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_prefix(self, work):
        write_yaml(work, YAML_POLICY.replace("Version: 2012-10-17", "Version: 2012-10-17  # mfalint: ignore[IAM]"))
        assert "IAM014" not in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_without_codes(self, work):
        write_yaml(work, YAML_POLICY.replace("Version: 2012-10-17", "Version: 2012-10-17  # mfalint: ignore"))
        assert "IAM014" not in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_whole_file(self, work):
        write_yaml(work, "# mfalint: ignore-file[MFA001, MFA013]\n" + YAML_POLICY)
        assert codes(run("--format", "json", "policy.yaml", cwd=work)) == ["IAM014"]

    def test_inside_string_ignored(self, work):
        text = YAML_POLICY.replace("Sid: AllowManageOwnUserMFA", "Sid: 'AllowManageOwnUserMFA # mfalint: ignore'")
        write_yaml(work, text)
        assert "MFA001" in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_unused_reported_on_request(self, work):
        write_yaml(work, YAML_POLICY.replace("Effect: Allow", "Effect: Allow  # mfalint: ignore[MFA003]"))
        result = run("--format", "json", "--report-unused-suppressions", "policy.yaml", cwd=work)
        assert "SUP001" in codes(result)

    def test_unused_silent_by_default(self, work):
        write_yaml(work, YAML_POLICY.replace("Effect: Allow", "Effect: Allow  # mfalint: ignore[MFA003]"))
        assert "SUP001" not in codes(run("--format", "json", "policy.yaml", cwd=work))

    def test_used_not_reported(self, work):
        write_yaml(work, YAML_POLICY.replace("Version: 2012-10-17", "Version: 2012-10-17  # mfalint: ignore[IAM014]"))
        assert "SUP001" not in codes(run("--format", "json", "--report-unused-suppressions", "policy.yaml", cwd=work))


class TestConfiguredIgnores:
    def test_per_file(self, work):
        (work / ".mfalint.toml").write_text('[per-file-ignores]\n"sample.*" = ["MFA002"]\n', encoding="utf-8")
        assert codes(run("--format", "json", "sample.json", cwd=work)) == ["MFA001"]

    def test_per_file_other_file(self, work):
        (work / ".mfalint.toml").write_text('[per-file-ignores]\n"other.json" = ["MFA002"]\n', encoding="utf-8")
        assert "MFA002" in codes(run("--format", "json", "sample.json", cwd=work))

    def test_per_sid(self, work):
        (work / ".mfalint.toml").write_text('[per-sid-ignores]\nDenyAllExceptListedIfNoMFA = ["MFA001"]\n', encoding="utf-8")
        assert codes(run("--format", "json", "sample.json", cwd=work)) == ["MFA002"]

    def test_per_sid_other_statement(self, work):
        (work / ".mfalint.toml").write_text('[per-sid-ignores]\nAllowViewAccountInfo = ["MFA001"]\n', encoding="utf-8")
        assert "MFA001" in codes(run("--format", "json", "sample.json", cwd=work))

    def test_bad_table_rejected(self, work):
        (work / ".mfalint.toml").write_text('per-file-ignores = ["MFA002"]\n', encoding="utf-8")
        assert run("sample.json", cwd=work).returncode == 2


class TestBaseline:
    def test_write_then_clean(self, work):
        assert run("--write-baseline", "baseline.json", "sample.json", cwd=work).returncode == 0
        result = run("--baseline", "baseline.json", "sample.json", cwd=work)
        assert (result.returncode, result.stdout) == (0, "")

    def test_new_finding_reported(self, work):
        run("--write-baseline", "baseline.json", "sample.json", cwd=work)
        shutil.copy(CASES / "deny-uses-bool.json", work / "new.json")
        assert codes(run("--format", "json", "--baseline", "baseline.json", ".", cwd=work)) == ["MFA003"]

    def test_survives_moved_lines(self, work):
        run("--write-baseline", "baseline.json", "sample.json", cwd=work)
        text = (work / "sample.json").read_text(encoding="utf-8")
        (work / "sample.json").write_text("\n\n\n" + text, encoding="utf-8")
        assert run("--baseline", "baseline.json", "sample.json", cwd=work).stdout == ""

    def test_stale_entries_warned(self, work):
        run("--write-baseline", "baseline.json", "sample.json", cwd=work)
        shutil.copy(CASES / "force-mfa-repaired.json", work / "sample.json")
        assert "matched no finding" in run("--baseline", "baseline.json", "sample.json", cwd=work).stderr

    def test_from_configuration(self, work):
        run("--write-baseline", "baseline.json", "sample.json", cwd=work)
        (work / ".mfalint.toml").write_text('baseline = "baseline.json"\n', encoding="utf-8")
        assert run("sample.json", cwd=work).returncode == 0

    def test_invalid_baseline(self, work):
        (work / "baseline.json").write_text("[]", encoding="utf-8")
        result = run("--baseline", "baseline.json", "sample.json", cwd=work)
        assert result.returncode == 2
        assert "is not a baseline" in result.stderr


def test_jobs_same_output(tmp_path):
    # Enough files to use worker processes, in several folders.
    sources = sorted(CASES.glob("*.json"))
    for index in range(80):
        folder = tmp_path / f"team{index % 5}"
        folder.mkdir(exist_ok=True)
        shutil.copy(sources[index % len(sources)], folder / f"policy{index}.json")
    serial = run("--format", "json", "--jobs", "1", ".", cwd=tmp_path)
    parallel = run("--format", "json", "--jobs", "2", ".", cwd=tmp_path)
    assert serial.stdout == parallel.stdout
    assert serial.returncode == parallel.returncode
    assert len(json.loads(serial.stdout)) > 80


def test_baseline_survives_inserted_statement(work):
    run("--write-baseline", "baseline.json", "sample.json", cwd=work)
    policy = json.loads((work / "sample.json").read_text(encoding="utf-8"))
    policy["Statement"].insert(0, {"Sid": "New", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    (work / "sample.json").write_text(json.dumps(policy, indent=2), encoding="utf-8")
    assert run("--baseline", "baseline.json", "sample.json", cwd=work).stdout == ""


def test_comment_above_key(work):
    write_yaml(work, YAML_POLICY.replace("    NotAction:\n", "    # mfalint: ignore[MFA001]\n    NotAction:\n"))
    assert "MFA001" not in codes(run("--format", "json", "policy.yaml", cwd=work))
