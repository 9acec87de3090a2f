"""The ``mfalint`` pre-commit hook, run by real git and a real pre-commit.

pre-commit is installed into a temporary virtual environment once per session.
It then builds the hook's own environment by installing mfalint and its
dependencies with pip, so these tests need the package index. They are skipped
only when pip reports that the network cannot be reached.

The hook comes from a temporary git repository whose single commit contains
the files of this working tree that git does not ignore, so uncommitted changes
are tested too.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

# Pinned, so that a new pre-commit release cannot break the suite without a
# change here.
PRE_COMMIT_REQUIREMENT = "pre-commit==4.7.0"

# Phrases in pip's output that mean the package index could not be reached.
# NOTE: pip 23 prints them only in its retry warnings, so with PIP_RETRIES=0 an
# offline run fails instead of being skipped.
NETWORK_ERRORS = (
    "Failed to establish a new connection",
    "NewConnectionError",
    "ConnectTimeoutError",
    "ProxyError",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
)

pytestmark = pytest.mark.slow

CLEAN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowViewAccountInfo",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowManageOwnPasswords",
            "Effect": "Allow",
            "Action": ["iam:ChangePassword", "iam:GetUser"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "AllowManageOwnVirtualMFADevice",
            "Effect": "Allow",
            "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
            "Resource": "arn:aws:iam::*:mfa/*",
        },
        {
            "Sid": "AllowManageOwnUserMFA",
            "Effect": "Allow",
            "Action": [
                "iam:DeactivateMFADevice",
                "iam:EnableMFADevice",
                "iam:ListMFADevices",
                "iam:ResyncMFADevice",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "iam:ChangePassword",
                "iam:GetAccountPasswordPolicy",
                "sts:GetSessionToken",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}

PACKAGE_JSON = {"name": "example-infrastructure", "version": "1.0.0", "private": True, "scripts": {"test": "node test.js"}}

WORKFLOW_YAML = """\
name: CI
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm test
"""

# Files without mistakes, which the hook must not name.
CLEAN_FILES = (
    "policies/clean.json",
    "package.json",
    "tsconfig.json",
    "charts/templates/deployment.yaml",
    ".github/workflows/ci.yml",
    ".pre-commit-config.yaml",
)
# JSON and YAML that do not parse but are no policies: a tsconfig.json with
# comments and a Helm template.
TSCONFIG_WITH_COMMENTS = '{\n  // TypeScript allows comments here\n  "compilerOptions": {"strict": true}\n}\n'
HELM_TEMPLATE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include \"labels\" . | nindent 4 }}\n"


def broken_policy() -> dict:
    """Return the clean policy with the password actions removed from the NotAction of its MFA deny (MFA001)."""
    policy = copy.deepcopy(CLEAN_POLICY)
    exempted = policy["Statement"][-1]["NotAction"]
    exempted.remove("iam:ChangePassword")
    exempted.remove("iam:GetAccountPasswordPolicy")
    return policy


def isolated_environment(pre_commit_home: Path) -> dict[str, str]:
    """Return a copy of os.environ that keeps the user's git and pre-commit settings out.

    Variables such as GIT_DIR leak in when the suite itself runs from a git
    hook, and a global git configuration may require signed commits. The copy
    sets a commit author and a private PRE_COMMIT_HOME. Proxy and pip settings
    stay, because pre-commit installs the hook with pip.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "PRE_COMMIT")) and name != "SKIP"
    }
    environment.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="mfalint tests",
        GIT_AUTHOR_EMAIL="tests@example.com",
        GIT_COMMITTER_NAME="mfalint tests",
        GIT_COMMITTER_EMAIL="tests@example.com",
        PRE_COMMIT_HOME=str(pre_commit_home),
        PRE_COMMIT_COLOR="never",
    )
    return environment


def run(command: list[str], cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` and return its result with standard error merged into standard output."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def git(arguments: list[str], cwd: Path, environment: dict[str, str]) -> str:
    """Run git with ``arguments`` and return its output, or fail the test when git fails."""
    command = ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *arguments]
    result = run(command, cwd, environment)
    if result.returncode != 0:
        pytest.fail(f"git {' '.join(arguments)} failed with exit status {result.returncode}:\n{result.stdout}")
    return result.stdout


def skip_when_offline(output: str, step: str) -> None:
    """Skip the test when ``output`` shows that pip could not reach the package index."""
    for phrase in NETWORK_ERRORS:
        if phrase in output:
            pytest.skip(f"{step} needs the Python package index, which cannot be reached ({phrase!r} in pip's output)")


@pytest.fixture(scope="session")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if shutil.which("git") is None:
        pytest.fail("git was not found on PATH. Install git to run the pre-commit tests.")
    return isolated_environment(tmp_path_factory.mktemp("pre-commit-home"))


@pytest.fixture(scope="session")
def pre_commit(tmp_path_factory: pytest.TempPathFactory, environment: dict[str, str]) -> Path:
    """Install pre-commit into a new virtual environment and return its executable."""
    location = tmp_path_factory.mktemp("pre-commit-venv")
    venv.create(location, with_pip=True)
    scripts = location / ("Scripts" if sys.platform == "win32" else "bin")
    install = run(
        [str(scripts / "python"), "-m", "pip", "install", "--disable-pip-version-check", PRE_COMMIT_REQUIREMENT],
        location,
        environment,
    )
    if install.returncode != 0:
        skip_when_offline(install.stdout, f"installing {PRE_COMMIT_REQUIREMENT}")
        pytest.fail(f"pip could not install {PRE_COMMIT_REQUIREMENT}:\n{install.stdout}")
    return scripts / "pre-commit"


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory, environment: dict[str, str]) -> tuple[Path, str]:
    """Commit a copy of the working tree into a new git repository and return its path and commit."""
    copy_root = tmp_path_factory.mktemp("mfalint-hook")
    listed = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPOSITORY_ROOT, environment)
    for name in listed.split("\0"):
        source = REPOSITORY_ROOT / name
        # A tracked file deleted in the working tree is still listed by --cached.
        if not name or not source.is_file():
            continue
        target = copy_root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)

    git(["init", "--quiet"], copy_root, environment)
    git(["add", "--all"], copy_root, environment)
    git(["commit", "--quiet", "--no-verify", "--message", "Working tree under test"], copy_root, environment)
    commit = git(["rev-parse", "HEAD"], copy_root, environment).strip()
    return copy_root, commit


def make_project(root: Path, hook_repository: tuple[Path, str], broken: bool, environment: dict[str, str]) -> Path:
    """Create a git repository with policies, non-policy JSON and YAML files, and a config that uses the hook."""
    repository, commit = hook_repository
    (root / "policies").mkdir()
    (root / "policies" / "clean.json").write_text(json.dumps(CLEAN_POLICY, indent=2) + "\n", encoding="utf-8")
    if broken:
        (root / "policies" / "broken.json").write_text(json.dumps(broken_policy(), indent=2) + "\n", encoding="utf-8")
        (root / "policies" / "broken.yaml").write_text(yaml.safe_dump(broken_policy(), sort_keys=False), encoding="utf-8")
    (root / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2) + "\n", encoding="utf-8")
    (root / "tsconfig.json").write_text(TSCONFIG_WITH_COMMENTS, encoding="utf-8")
    (root / "charts" / "templates").mkdir(parents=True)
    (root / "charts" / "templates" / "deployment.yaml").write_text(HELM_TEMPLATE, encoding="utf-8")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW_YAML, encoding="utf-8")
    config = {"repos": [{"repo": str(repository), "rev": commit, "hooks": [{"id": "mfalint"}]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    git(["init", "--quiet"], root, environment)
    git(["add", "--all"], root, environment)
    return root


def run_hook(pre_commit: Path, project: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``pre-commit run --all-files`` in ``project`` and return the result.

    The test is skipped when the hook's environment cannot be built because the
    package index cannot be reached.
    """
    result = run([str(pre_commit), "run", "--all-files"], project, environment)
    if result.returncode == 3:
        # Exit status 3 is an error of pre-commit itself, such as a failed
        # install of the hook's environment. pre-commit.log adds the traceback
        # and the versions of pre-commit and git.
        log = Path(environment["PRE_COMMIT_HOME"]) / "pre-commit.log"
        details = log.read_text(encoding="utf-8") if log.is_file() else ""
        skip_when_offline(result.stdout + details, "building the hook environment")
        pytest.fail(f"pre-commit failed with exit status 3:\n{result.stdout}\n{details}")
    return result


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory, pre_commit, hook_repository, environment) -> subprocess.CompletedProcess[str]:
    project = make_project(tmp_path_factory.mktemp("broken-project"), hook_repository, True, environment)
    return run_hook(pre_commit, project, environment)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, pre_commit, hook_repository, environment) -> subprocess.CompletedProcess[str]:
    project = make_project(tmp_path_factory.mktemp("clean-project"), hook_repository, False, environment)
    return run_hook(pre_commit, project, environment)


def test_broken_policy_fails_hook(broken_run):
    assert broken_run.returncode == 1, broken_run.stdout


def test_broken_json_policy_named(broken_run):
    assert "policies/broken.json:" in broken_run.stdout, broken_run.stdout


def test_broken_yaml_policy_named(broken_run):
    assert "policies/broken.yaml:" in broken_run.stdout, broken_run.stdout


def test_broken_run_reports_mfa001(broken_run):
    assert "MFA001" in broken_run.stdout, broken_run.stdout


@pytest.mark.parametrize("name", CLEAN_FILES)
def test_broken_run_omits_clean_file(broken_run, name):
    assert name not in broken_run.stdout, broken_run.stdout


def test_clean_project_passes(clean_run):
    assert clean_run.returncode == 0, clean_run.stdout


def test_clean_project_hook_passed(clean_run):
    assert "Passed" in clean_run.stdout, clean_run.stdout


def test_clean_project_not_skipped(clean_run):
    assert "Skipped" not in clean_run.stdout, clean_run.stdout
