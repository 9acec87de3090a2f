"""Bad input through the real command line: one IAM001 finding per file, and the run goes on.

Every case runs ``python -m mfalint --format json`` as a subprocess in a
temporary folder and checks the JSON findings, the exit status and that
standard error contains no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest

from mfalint.config import Settings

GOOD_POLICY = Path(__file__).parent / "fixtures" / "force-mfa-aws-sample.json"
DEFAULT_MAX_FILE_SIZE = Settings().max_file_size
# Guards against a run that hangs, for example on a FIFO. No test measures time.
HANG_GUARD_SECONDS = 120
# The unreadable-file test drops to this user ("nobody") when it runs as root.
UNPRIVILEGED_ID = 65534
BOM = b"\xef\xbb\xbf"
# The second "Version" key starts at column 27 of line 1.
ONE_LINE_DUPLICATE = b'{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}\n'
BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
PACKAGE_JSON = """\
{
  "name": "web-console",
  "version": "1.4.0",
  "private": true,
  "scripts": {"build": "tsc -p .", "test": "jest"},
  "dependencies": {"aws-sdk": "^2.1500.0"}
}
"""
CLOUDFORMATION_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
Conditions:
  IsProduction: !Equals [!Ref Stage, production]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-${Stage}-logs"
      Tags:
        - Key: stage
          Value: !If [IsProduction, prod, !Ref Stage]
Outputs:
  BucketArn:
    Value: !GetAtt Bucket.Arn
  BucketName:
    Value: !Ref Bucket
  Region:
    Value: !Join ["-", [!Ref "AWS::Region", !GetAtt [Bucket, DomainName]]]
"""


@dataclass
class CliRun:
    """The outcome of one command-line run."""

    status: int
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[dict]:
        return json.loads(self.stdout)


def run_cli(cwd: Path, *arguments: str, stdin: bytes = b"", prefix: Sequence[str] = ()) -> CliRun:
    """Run ``mfalint --format json`` in ``cwd``, with ``prefix`` (such as setpriv) before the interpreter."""
    completed = subprocess.run(
        [*prefix, sys.executable, "-m", "mfalint", "--format", "json", *arguments],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=HANG_GUARD_SECONDS,
    )
    return CliRun(
        completed.returncode,
        completed.stdout.decode("utf-8", errors="replace"),
        completed.stderr.decode("utf-8", errors="replace"),
    )


# -- how each bad file is made -------------------------------------------------


def contents(data: bytes | str) -> Callable[[Path], None]:
    """Return a function that writes ``data`` (text as UTF-8) to a path."""
    encoded = data.encode("utf-8") if isinstance(data, str) else data
    return lambda path: path.write_bytes(encoded)


def padded_policy(size: int) -> Callable[[Path], None]:
    """Return a function that writes the good policy followed by spaces up to ``size`` bytes."""

    def write(path: Path) -> None:
        policy = GOOD_POLICY.read_bytes()
        path.write_bytes(policy + b" " * (size - len(policy)))

    return write


def symlink_loop(path: Path) -> None:
    partner = path.with_name("loop-partner.json")
    path.symlink_to(partner.name)
    partner.symlink_to(path.name)


def broken_symlink(path: Path) -> None:
    path.symlink_to("deleted.json")


def directory(path: Path) -> None:
    path.mkdir()


def fifo(path: Path) -> None:
    os.mkfifo(path)


@dataclass(frozen=True)
class BadInput:
    """A file that cannot be linted and the IAM001 finding it must give."""

    id: str
    name: str
    create: Callable[[Path], None]
    line: int
    column: int | None  # None where the YAML parser in use decides the column
    words: tuple[str, ...]  # substrings that the message must contain


BAD_INPUTS = [
    BadInput("empty", "policy.json", contents(b""), 1, 1, ("empty",)),
    BadInput("bom-only", "policy.json", contents(BOM), 1, 1, ("empty",)),
    BadInput("utf-16", "policy.json", contents('{"Version": "2012-10-17"}'.encode("utf-16")), 1, 1, ("UTF-16",)),
    BadInput("invalid-utf-8", "policy.json", contents(b'{\n  "Sid": "caf\xe9"\n}\n'), 2, 14, ("invalid UTF-8", "0xe9")),
    BadInput("binary", "x.json", contents(b'{"a": 1}\x00\x01\x02\xff\xfe'), 1, 9, ("NUL bytes", "binary")),
    BadInput(
        "too-large",
        "policy.json",
        padded_policy(DEFAULT_MAX_FILE_SIZE + 1),
        1,
        1,
        (f"{DEFAULT_MAX_FILE_SIZE + 1:,} bytes", f"limit of {DEFAULT_MAX_FILE_SIZE:,} bytes", "max-file-size"),
    ),
    BadInput("deep-json", "policy.json", contents("[" * 10_000 + "]" * 10_000), 1, 101, ("nesting is deeper than 100 levels",)),
    # libyaml stops flow nesting at its own limit before mfalint's, so the column depends on the parser.
    BadInput("deep-yaml-flow", "policy.yaml", contents("[" * 10_000 + "]" * 10_000 + "\n"), 1, None, ("nesting",)),
    BadInput("deep-yaml-block", "policy.yaml", contents("- " * 10_000 + "x\n"), 1, 201, ("nesting is deeper than 100 levels",)),
    # The seventh alias on line 6 takes the expanded document past 500,000 values.
    BadInput("alias-bomb", "policy.yaml", contents(BILLION_LAUGHS), 6, 26, ("YAML aliases", "500,000 values")),
    BadInput("symlink-loop", "policy.json", symlink_loop, 1, 1, ("symbolic link loop",)),
    BadInput("broken-symlink", "policy.json", broken_symlink, 1, 1, ("no such file",)),
    BadInput("directory", "x.json", directory, 1, 1, ("is a directory",)),
    BadInput("fifo", "policy.json", fifo, 1, 1, ("FIFO", "not a regular file")),
    BadInput(
        "trailing-comma",
        "policy.json",
        contents('{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n'),
        3,
        18,
        ("trailing comma",),
    ),
    BadInput(
        "json-comment",
        "policy.json",
        contents('{\n  // force MFA\n  "Version": "2012-10-17",\n  "Statement": []\n}\n'),
        2,
        3,
        ("comments are not valid JSON",),
    ),
    BadInput(
        "json-control-character",
        "policy.json",
        contents('{"Sid": "a\x01b", "Statement": []}\n'),
        1,
        11,
        ("invalid control character",),
    ),
    BadInput(
        "yaml-tabs",
        "policy.yaml",
        contents('Version: "2012-10-17"\nStatement:\n\t- Effect: Allow\n'),
        3,
        1,
        ("tab character", "indentation"),
    ),
    BadInput(
        "yaml-control-character",
        "policy.yaml",
        contents('Version: "2012-10-17"\nSid: "a\x01b"\nStatement: []\n'),
        2,
        8,
        ("U+0001",),
    ),
]


def make_bad_input(root: Path, case: BadInput) -> str:
    """Create the case's file in its own folder under ``root`` and return its path relative to ``root``."""
    folder = root / case.id
    folder.mkdir()
    case.create(folder / case.name)
    return f"{case.id}/{case.name}"


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.id for case in BAD_INPUTS])
def test_bad_input_one_iam001(case: BadInput, tmp_path: Path) -> None:
    path = make_bad_input(tmp_path, case)

    run = run_cli(tmp_path, path)

    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert [finding["code"] for finding in run.findings] == ["IAM001"]
    finding = run.findings[0]
    assert finding["path"] == path
    assert finding["line"] == case.line
    if case.column is not None:
        assert finding["column"] == case.column
    for word in case.words:
        assert word in finding["message"]


def test_bad_inputs_single_run(tmp_path: Path) -> None:
    bad_paths = [make_bad_input(tmp_path, case) for case in BAD_INPUTS]
    shutil.copyfile(GOOD_POLICY, tmp_path / "good.json")

    run = run_cli(tmp_path, *bad_paths, "good.json")

    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert sorted(finding["path"] for finding in run.findings if finding["code"] == "IAM001") == sorted(bad_paths)
    good_findings = {(finding["code"], finding["line"], finding["column"]) for finding in run.findings if finding["path"] == "good.json"}
    assert ("MFA001", 92, 20) in good_findings


# -- input that is valid but unusual ------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "column"),
    [
        ("policy.json", '{\n  "Version": "2012-10-17",\n  "Statement": [],\n  "Version": "2012-10-17"\n}\n', 4, 3),
        ("policy.yaml", 'Version: "2012-10-17"\nStatement: []\nVersion: "2012-10-17"\n', 3, 1),
    ],
    ids=["json", "yaml"],
)
def test_duplicate_key_iam015(name: str, text: str, line: int, column: int, tmp_path: Path) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")

    run = run_cli(tmp_path, name)

    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert [finding["code"] for finding in run.findings] == ["IAM015"]
    finding = run.findings[0]
    assert finding["line"] == line
    assert finding["column"] == column
    assert "duplicate key 'Version'" in finding["message"]


@pytest.mark.parametrize(
    ("name", "text"),
    [("package.json", PACKAGE_JSON), ("template.yaml", CLOUDFORMATION_TEMPLATE)],
    ids=["package-json", "cloudformation-yaml"],
)
def test_non_policy_no_findings(name: str, text: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")

    run = run_cli(tmp_path, name)

    assert "Traceback" not in run.stderr
    assert run.status == 0
    assert run.findings == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 100 + "]" * 100),
        ("deep-flow.yaml", "[" * 100 + "]" * 100 + "\n"),
        ("deep-block.yaml", "- " * 99 + "[]\n"),
    ],
    ids=["json", "yaml-flow", "yaml-block"],
)
def test_nesting_at_limit_loads(name: str, text: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")

    run = run_cli(tmp_path, name)

    assert run.status == 0
    assert run.findings == []


def test_large_yaml_without_aliases_loads(tmp_path: Path) -> None:
    # 100,000 values seven levels down: far below the 500,000-value limit once each
    # value is counted once, whatever its depth.
    lines = [f"{'  ' * level}level{level}:" for level in range(7)]
    lines += [f"{'  ' * 7}- value{index}" for index in range(100_000)]
    (tmp_path / "inventory.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = run_cli(tmp_path, "inventory.yaml")

    assert run.status == 0
    assert run.findings == []


def test_yaml_python_tags_not_run(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(
        'Description: !!python/object/apply:os.system ["touch executed-by-yaml"]\n'
        'Owner: !!python/object/new:subprocess.Popen [["touch", "executed-by-yaml"]]\n'
        "Stage: !!python/name:os.system\n",
        encoding="utf-8",
    )

    run = run_cli(tmp_path, "policy.yaml")

    assert "Traceback" not in run.stderr
    assert run.status == 0
    assert not (tmp_path / "executed-by-yaml").exists()


def test_bom_policy_positions(tmp_path: Path) -> None:
    (tmp_path / "plain.json").write_bytes(GOOD_POLICY.read_bytes())
    (tmp_path / "bom.json").write_bytes(BOM + GOOD_POLICY.read_bytes())

    run = run_cli(tmp_path, "plain.json", "bom.json")

    def places(path: str) -> list[tuple]:
        keys = ("code", "line", "column", "end_line", "end_column")
        return [tuple(finding[key] for key in keys) for finding in run.findings if finding["path"] == path]

    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert ("MFA001", 92, 20, 100, 8) in places("bom.json")
    assert places("bom.json") == places("plain.json")


def test_bom_first_line_column(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_bytes(BOM + ONE_LINE_DUPLICATE)

    run = run_cli(tmp_path, "policy.json")

    assert [(finding["code"], finding["line"], finding["column"]) for finding in run.findings] == [("IAM015", 1, 27)]


def test_max_file_size_config(tmp_path: Path) -> None:
    padded_policy(DEFAULT_MAX_FILE_SIZE + 1)(tmp_path / "policy.json")
    (tmp_path / ".mfalint.toml").write_text(f"max-file-size = {2 * DEFAULT_MAX_FILE_SIZE}\n", encoding="utf-8")

    run = run_cli(tmp_path, "policy.json")

    codes = [finding["code"] for finding in run.findings]
    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert "IAM001" not in codes
    assert "MFA001" in codes


# -- an unreadable file --------------------------------------------------------


@pytest.fixture
def searchable_tmp_path() -> Iterator[Path]:
    """Yield an empty folder that every user can enter.

    pytest's tmp_path lies under a folder only its owner can enter, so the
    unprivileged user could not run in it.
    """
    folder = Path(tempfile.mkdtemp(prefix="mfalint-unreadable-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def unprivileged_prefix(unreadable: Path) -> list[str]:
    """Return the command prefix under which ``unreadable`` cannot be read, or skip the test."""
    if not os.access(unreadable, os.R_OK):
        return []
    if os.geteuid() != 0:
        pytest.skip("this user can read a file with mode 000, and only root can switch to another user")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, where mode 000 does not stop reading, and setpriv is not installed")
    prefix = [setpriv, f"--reuid={UNPRIVILEGED_ID}", f"--regid={UNPRIVILEGED_ID}", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import mfalint.cli"],
        cwd=unreadable.parent,
        capture_output=True,
        timeout=HANG_GUARD_SECONDS,
    )
    if probe.returncode != 0:
        pytest.skip(f"user {UNPRIVILEGED_ID} cannot run this interpreter or import mfalint")
    return prefix


def test_unreadable_file_iam001(searchable_tmp_path: Path) -> None:
    unreadable = searchable_tmp_path / "unreadable.json"
    unreadable.write_bytes(GOOD_POLICY.read_bytes())
    unreadable.chmod(0o000)
    good = searchable_tmp_path / "good.json"
    good.write_bytes(GOOD_POLICY.read_bytes())
    good.chmod(0o644)
    prefix = unprivileged_prefix(unreadable)

    run = run_cli(searchable_tmp_path, "unreadable.json", "good.json", prefix=prefix)

    assert "Traceback" not in run.stderr
    assert run.status == 1
    unreadable_findings = [finding for finding in run.findings if finding["path"] == "unreadable.json"]
    assert [(finding["code"], finding["line"], finding["column"]) for finding in unreadable_findings] == [("IAM001", 1, 1)]
    assert "permission denied" in unreadable_findings[0]["message"]
    assert "MFA001" in [finding["code"] for finding in run.findings if finding["path"] == "good.json"]


@pytest.mark.parametrize("name", ["outputs.tf", "values.yaml", "blank.yml"])
def test_empty_valid_file_no_findings(name: str, tmp_path: Path) -> None:
    """An empty Terraform or YAML file is valid, unlike an empty JSON file."""
    (tmp_path / name).write_text("" if name != "blank.yml" else "  \n\n", encoding="utf-8")

    run = run_cli(tmp_path, name)

    assert "Traceback" not in run.stderr
    assert run.status == 0
    assert run.findings == []


def test_named_template_hint(tmp_path: Path) -> None:
    """A template named on the command line is read, and its parse error points to the rendered output."""
    (tmp_path / "policy.json.erb").write_text('{\n  "Statement": <%= statements %>\n}\n', encoding="utf-8")

    run = run_cli(tmp_path, "policy.json.erb")

    assert [finding["code"] for finding in run.findings] == ["IAM001"]
    assert "lint its rendered output" in run.findings[0]["message"]


# -- standard input ------------------------------------------------------------


def test_stdin_empty(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "-", "--stdin-filename", "main.tf", stdin=b"")

    assert run.status == 1
    assert [(finding["code"], finding["message"]) for finding in run.findings] == [("IAM001", "input is empty")]


def test_stdin_policy(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "-", "--stdin-filename", "policies/force-mfa.json", stdin=GOOD_POLICY.read_bytes())

    assert "Traceback" not in run.stderr
    assert run.status == 1
    places = [(finding["code"], finding["path"], finding["line"]) for finding in run.findings]
    assert ("MFA001", "policies/force-mfa.json", 92) in places


def test_stdin_bom_column(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "-", "--stdin-filename", "policy.json", stdin=BOM + ONE_LINE_DUPLICATE)

    assert [(finding["code"], finding["line"], finding["column"]) for finding in run.findings] == [("IAM015", 1, 27)]


def test_stdin_with_bad_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{\n  "Version": "2012-10-17",\n}\n', encoding="utf-8")

    run = run_cli(tmp_path, "broken.json", "-", "--stdin-filename", "good.json", stdin=GOOD_POLICY.read_bytes())

    codes = {(finding["code"], finding["path"]) for finding in run.findings}
    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert ("IAM001", "broken.json") in codes
    assert ("MFA001", "good.json") in codes


def test_stdin_invalid_utf8(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "-", "--stdin-filename", "policy.json", stdin=b'{\n  "Sid": "caf\xe9"\n}\n')

    assert "Traceback" not in run.stderr
    assert run.status == 1
    assert [(finding["code"], finding["line"], finding["column"]) for finding in run.findings] == [("IAM001", 2, 14)]
    assert "invalid UTF-8" in run.findings[0]["message"]
