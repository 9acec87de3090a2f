"""Third-party plugins, installed with real pip and run through the real command line.

The distributions under ``tests/plugins/`` are installed once per session
with ``pip install --target`` into one folder each. Every command-line test
runs ``python -m mfalint`` in a subprocess whose PYTHONPATH lists the folders
of the plugins it wants, so ``importlib.metadata`` finds their real
dist-info and entry points.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Iterable

import pytest

from mfalint import CheckContext, Finding, Rule, RuleDocs, Severity, hookimpl
from mfalint.plugins import load_plugins
from mfalint.rule import DOC_SECTIONS
from mfalint.runner import Linter

TESTS = Path(__file__).parent
PLUGIN_SOURCES = TESTS / "plugins"
SAMPLE_POLICY = TESTS / "fixtures" / "force-mfa-aws-sample.json"

EXAMPLE = "mfalint-example-rules"
BROKEN = "mfalint-broken-plugin"
OTHER = "mfalint-other-rules"

# Policy files the command-line tests lint, written by the ``policies`` fixture.
SAMPLE = "force-mfa-aws-sample.json"
WILDCARD_DENIED = "iam-wildcard-denied-without-mfa.json"
WILDCARD_WITH_KEYS = "iam-wildcard-allowed-with-access-keys.json"
POLICY_FILES = (SAMPLE, WILDCARD_DENIED, WILDCARD_WITH_KEYS)

INFO_LINE = re.compile(r"^  (?P<label>\S+\[\S+\]) \S+ \(\S+\)$")


# -------------------------------------------------------------------------
# Installing the plugins and running the command
# -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def plugin_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Install each plugin distribution with pip into a folder of its own."""
    root = tmp_path_factory.mktemp("plugins")
    installed = {}
    for name in (EXAMPLE, BROKEN, OTHER):
        # pip builds in the source tree, so build a copy and leave the repository clean.
        source = root / "src" / name
        shutil.copytree(
            PLUGIN_SOURCES / name, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        )
        target = root / "site" / name
        command = [
            sys.executable, "-m", "pip", "install",
            "--no-deps", "--no-build-isolation", "--no-index", "--no-cache-dir",
            "--disable-pip-version-check", "--quiet",
            "--target", str(target), str(source),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.fail(f"pip failed to install {name}:\n{result.stdout}{result.stderr}")
        installed[name] = target
    return installed


@pytest.fixture(scope="session")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the sample policy and two variants that add an Allow of 'iam:*'."""
    folder = tmp_path_factory.mktemp("policies")
    sample = json.loads(SAMPLE_POLICY.read_text(encoding="utf-8"))
    shutil.copyfile(SAMPLE_POLICY, folder / SAMPLE)

    # The sample's Deny denies every IAM change without MFA, so the wildcard is harmless.
    denied = copy.deepcopy(sample)
    denied["Statement"].append({"Sid": "ManageIam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    (folder / WILDCARD_DENIED).write_text(json.dumps(denied, indent=2) + "\n", encoding="utf-8")

    # With Bool in place of BoolIfExists the Deny skips access keys (MFA003), so they are allowed 'iam:*'.
    with_keys = copy.deepcopy(denied)
    deny = next(statement for statement in with_keys["Statement"] if statement["Effect"] == "Deny")
    deny["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    (folder / WILDCARD_WITH_KEYS).write_text(json.dumps(with_keys, indent=2) + "\n", encoding="utf-8")
    return folder


def run_mfalint(
    *args: str,
    plugin_dirs: Iterable[Path],
    cwd: Path,
    stdin: str | None = None,
    hash_seed: str = "0",
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mfalint`` with only the given plugin folders on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in plugin_dirs)
    env["PYTHONHASHSEED"] = hash_seed
    return subprocess.run(
        [sys.executable, "-m", "mfalint", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def json_findings(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return json.loads(result.stdout)


def internal_errors(findings: list[dict], plugin: str) -> list[dict]:
    """Return the INT001 findings whose message names ``plugin``."""
    return [finding for finding in findings if finding["code"] == "INT001" and plugin in finding["message"]]


def plugin_labels(version_output: str) -> list[str]:
    """Return the ``distribution[entry point]`` labels that ``--version`` lists, in order."""
    labels = []
    for line in version_output.splitlines():
        match = INFO_LINE.match(line)
        if match:
            labels.append(match["label"])
    return labels


def fenced_block(explain_output: str, section: str) -> str:
    """Return the code block under ``## section`` in ``--explain`` output."""
    after = explain_output.split(f"## {section}\n", 1)[1]
    return after.split("```", 2)[1].split("\n", 1)[1]


# -------------------------------------------------------------------------
# A working plugin
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_run(plugin_dirs: dict[str, Path], policies: Path) -> subprocess.CompletedProcess[str]:
    return run_mfalint("--format", "json", *POLICY_FILES, plugin_dirs=[plugin_dirs[EXAMPLE]], cwd=policies)


@pytest.fixture(scope="module")
def example_explain(plugin_dirs: dict[str, Path], policies: Path) -> subprocess.CompletedProcess[str]:
    return run_mfalint("--explain", "EXA001", plugin_dirs=[plugin_dirs[EXAMPLE]], cwd=policies)


def test_example_runs_beside_builtins(example_run):
    codes = {finding["code"] for finding in json_findings(example_run)}

    assert "EXA001" in codes
    assert "MFA001" in codes


def test_example_exit_status(example_run):
    assert example_run.returncode == 1


def test_example_reports_no_internal_error(example_run):
    codes = {finding["code"] for finding in json_findings(example_run)}

    assert "INT001" not in codes


def test_example_finding_location(example_run):
    findings = [finding for finding in json_findings(example_run) if finding["code"] == "EXA001"]

    assert [finding["path"] for finding in findings] == [WILDCARD_WITH_KEYS]
    assert findings[0]["jsonpath"] == "$.Statement[9].Action"
    assert findings[0]["message"].startswith("'iam:*' in statement 'ManageIam' allows 'iam:AttachUserPolicy'")


def test_example_names_scenario(example_run):
    finding = next(finding for finding in json_findings(example_run) if finding["code"] == "EXA001")

    assert "requests signed with long-term access keys" in finding["message"]
    assert "console sign-in without MFA" not in finding["message"]


def test_example_respects_deny(example_run):
    # The Allow of 'iam:*' matches, but the evaluator finds the sample's Deny first.
    paths = {finding["path"] for finding in json_findings(example_run) if finding["code"] == "EXA001"}

    assert WILDCARD_DENIED not in paths


def test_version_lists_example(plugin_dirs, policies):
    result = run_mfalint("--version", plugin_dirs=[plugin_dirs[EXAMPLE]], cwd=policies)

    assert result.returncode == 0
    assert "  mfalint-example-rules[example] 1.0.0 (mfalint_example_rules)" in result.stdout.splitlines()


def test_explain_example_header(example_explain):
    assert example_explain.returncode == 0
    assert example_explain.stdout.splitlines()[0] == (
        "EXA001 iam-wildcard-without-mfa (error, from mfalint-example-rules[example])"
    )


@pytest.mark.parametrize("section", DOC_SECTIONS + ("Known problems",))
def test_explain_example_section(example_explain, section):
    assert f"\n## {section}\n" in example_explain.stdout


def test_docs_example_fires(example_explain, plugin_dirs, policies):
    example = fenced_block(example_explain.stdout, "Example")

    result = run_mfalint(
        "--select", "EXA001", "--format", "json", "--stdin-filename", "example.json", "-",
        plugin_dirs=[plugin_dirs[EXAMPLE]], cwd=policies, stdin=example,
    )  # fmt: skip

    assert [finding["code"] for finding in json_findings(result)] == ["EXA001"]


def test_docs_use_instead_passes(example_explain, plugin_dirs, policies):
    use_instead = fenced_block(example_explain.stdout, "Use instead")

    result = run_mfalint(
        "--select", "EXA001", "--format", "json", "--stdin-filename", "use-instead.json", "-",
        plugin_dirs=[plugin_dirs[EXAMPLE]], cwd=policies, stdin=use_instead,
    )  # fmt: skip

    assert json_findings(result) == []
    assert result.returncode == 0


def test_list_rules_shows_example(plugin_dirs, policies):
    result = run_mfalint("--list-rules", plugin_dirs=[plugin_dirs[EXAMPLE]], cwd=policies)
    rows = [line.split() for line in result.stdout.splitlines()]
    row = next((row for row in rows if row and row[0] == "EXA001"), None)

    assert result.returncode == 0
    assert row is not None
    assert row[1:4] == ["iam-wildcard-without-mfa", "error", "on"]


# -------------------------------------------------------------------------
# A plugin that fails to import and a rule that raises
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken_run(plugin_dirs: dict[str, Path], policies: Path) -> subprocess.CompletedProcess[str]:
    return run_mfalint(
        "--format", "json", *POLICY_FILES,
        plugin_dirs=[plugin_dirs[BROKEN], plugin_dirs[EXAMPLE]], cwd=policies,
    )  # fmt: skip


def test_import_failure_reported(broken_run):
    errors = internal_errors(json_findings(broken_run), f"{BROKEN}[import-fails]")

    assert len(errors) == 1
    assert "ImportError" in errors[0]["message"]
    assert errors[0]["name"] == "internal-error"


def test_raising_rule_reported(broken_run):
    errors = internal_errors(json_findings(broken_run), f"{BROKEN}[rule-raises]")

    assert [error["path"] for error in errors] == sorted(POLICY_FILES)
    assert errors[0]["message"].startswith(f"rule BRK001 from {BROKEN}[rule-raises] raised RuntimeError")


def test_broken_plugin_others_still_report(broken_run):
    codes = {finding["code"] for finding in json_findings(broken_run)}

    assert "MFA001" in codes
    assert "MFA003" in codes
    assert "EXA001" in codes


def test_broken_plugin_exit_status(broken_run):
    assert broken_run.returncode == 2


def test_broken_plugin_no_traceback(broken_run):
    assert "Traceback" not in broken_run.stderr


def test_broken_plugin_traceback_with_vv(plugin_dirs, policies):
    result = run_mfalint("-vv", SAMPLE, plugin_dirs=[plugin_dirs[BROKEN]], cwd=policies)

    assert "Traceback (most recent call last)" in result.stderr
    assert "mfalint_broken_plugin/import_fails.py" in result.stderr
    assert "mfalint_broken_plugin/rule_raises.py" in result.stderr


def test_broken_plugin_in_text_output(plugin_dirs, policies):
    result = run_mfalint(SAMPLE, plugin_dirs=[plugin_dirs[BROKEN]], cwd=policies)
    lines = result.stdout.splitlines()

    assert any(line.startswith(f"mfalint: INT001 [error] plugin {BROKEN}[import-fails]: failed") for line in lines)
    assert any(line.startswith(f"{SAMPLE}:1:1: INT001 [error] rule BRK001 from {BROKEN}[rule-raises]") for line in lines)


# -------------------------------------------------------------------------
# Two plugins with one rule code, and the loading order
# -------------------------------------------------------------------------


def test_code_clash_reported(plugin_dirs, policies):
    result = run_mfalint(
        "--format", "json", SAMPLE, plugin_dirs=[plugin_dirs[OTHER], plugin_dirs[EXAMPLE]], cwd=policies
    )
    errors = internal_errors(json_findings(result), f"{OTHER}[other]")

    assert len(errors) == 1
    assert "EXA001" in errors[0]["message"]
    assert f"{EXAMPLE}[example]" in errors[0]["message"]
    assert result.returncode == 2


@pytest.mark.parametrize("order", [(EXAMPLE, OTHER), (OTHER, EXAMPLE)], ids=["example-first", "other-first"])
def test_code_clash_keeps_first_sorted(plugin_dirs, policies, order):
    result = run_mfalint("--explain", "EXA001", plugin_dirs=[plugin_dirs[name] for name in order], cwd=policies)

    assert result.stdout.splitlines()[0].endswith(f"from {EXAMPLE}[example])")


def test_loading_order_sorted(plugin_dirs, policies):
    forward = [plugin_dirs[name] for name in (BROKEN, EXAMPLE, OTHER)]
    runs = [
        run_mfalint("--version", plugin_dirs=forward, cwd=policies, hash_seed="0"),
        run_mfalint("--version", plugin_dirs=forward[::-1], cwd=policies, hash_seed="1"),
    ]
    expected = [
        "mfalint[builtin]",
        "mfalint[formats]",
        f"{BROKEN}[import-fails]",
        f"{BROKEN}[rule-raises]",
        f"{EXAMPLE}[example]",
        f"{OTHER}[other]",
    ]

    for result in runs:
        assert plugin_labels(result.stdout) == expected


# -------------------------------------------------------------------------
# Plugins passed in-process
# -------------------------------------------------------------------------


class ExtraRule(Rule):
    code = "TST001"
    name = "any-statement"
    severity = Severity.INFO
    summary = "Reports the first statement of every policy."
    docs = RuleDocs(
        what="Reports the first statement of every policy.",
        why="It shows that a rule from a plugin passed in-process runs.",
        example='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}',
        use_instead='{"Version": "2012-10-17", "Statement": []}',
        fix="Nothing to fix.",
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            if policy.statements:
                yield context.finding(self, policy.statements[0].node, "first statement")


def plugin_module(name: str, rules_hook) -> types.ModuleType:
    """Build a plugin module whose ``mfalint_rules`` hook is ``rules_hook``."""
    module = types.ModuleType(name)
    module.mfalint_rules = hookimpl(rules_hook)
    return module


def test_extra_module_registered():
    module = plugin_module("extra_rules", lambda: [ExtraRule()])

    plugins = load_plugins(extra=[("extra-rules", module)])

    assert plugins.manager.get_plugin("extra-rules") is module
    assert plugins.rule_plugins["TST001"] == "extra-rules"
    assert [error for error in plugins.errors if error.plugin == "extra-rules"] == []


def test_extra_module_rule_runs():
    plugins = load_plugins(extra=[("extra-rules", plugin_module("extra_rules", lambda: [ExtraRule()]))])

    findings = Linter(plugins=plugins).lint_text(ExtraRule.docs.example, "example.json")

    assert [finding.code for finding in findings] == ["TST001"]


def _hook_raises_while_iterated() -> Iterable[Rule]:
    yield ExtraRule()
    raise RuntimeError("failed after the first rule")


class RuleWithoutCode(Rule):
    name = "no-code"


FAULTY_HOOKS = {
    "generator-raises": _hook_raises_while_iterated,
    "not-a-list": lambda: 5,
    "rule-without-code": lambda: [RuleWithoutCode()],
}


@pytest.mark.parametrize("label", sorted(FAULTY_HOOKS))
def test_faulty_hook_recorded(label: str):
    module = plugin_module(label.replace("-", "_"), FAULTY_HOOKS[label])

    plugins = load_plugins(extra=[(label, module)])

    assert [error.plugin for error in plugins.errors] == [label]
