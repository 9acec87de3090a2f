"""The sarif, github, junit and gitlab formats, read back the way their consumers read them.

Most tests run ``python -m mfalint --format FORMAT`` in a subprocess on a
folder of real policies. The folder has the AWS sample, a clean policy and a
file that does not parse. It also has a file in a subfolder whose name has a
space and non-ASCII letters, a file whose name needs escaping, and a file with
findings after characters outside the Basic Multilingual Plane. Each report
is checked against its format's schema or its consumer's parsing rules, and
against the JSON report of the same run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from rfc3986_validator import validate_rfc3986

from mfalint.findings import Edit, Finding, Fix, Severity
from mfalint.plugins import load_plugins
from mfalint.positions import Position, Span
from mfalint.reporters import ReportContext
from mfalint.reporters.github import GithubReporter, annotation
from mfalint.reporters.gitlab import GitlabReporter
from mfalint.reporters.junit import JunitReporter
from mfalint.reporters.sarif import SarifReporter, _rule_docs_url, artifact_location, finding_fingerprints

TESTS = Path(__file__).parent
REPOSITORY = TESTS.parent
CASES = TESTS / "fixtures" / "cases"
SAMPLE = CASES / "force-mfa-aws-sample.json"
SARIF_SCHEMA = TESTS / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
GITLAB_SCHEMA = TESTS / "fixtures" / "gitlab" / "code-quality-report.schema.json"
BROKEN_PLUGIN = TESTS / "plugins" / "mfalint-broken-plugin"

FORMATS = ("sarif", "github", "junit", "gitlab")

# The files of the ``policies`` fixture, relative to the folder the command runs in.
SAMPLE_PATH = "policies/sample.json"
CLEAN_PATH = "policies/clean.json"
BROKEN_PATH = "policies/broken.json"
UNICODE_PATH = "policies/sub dir/pólítica ñ.json"
# A Sid with a control character, CR LF, '%', '::' and ',', which every format must carry.
ESCAPES_PATH = "policies/odd, name: 100% #1.json"
# Findings on a line after two characters that take two UTF-16 code units each.
WIDE_PATH = "policies/wide.json"
ALL_PATHS = (SAMPLE_PATH, CLEAN_PATH, BROKEN_PATH, UNICODE_PATH, ESCAPES_PATH, WIDE_PATH)

# AWS's sample with both reset actions exempt and devices allowed on mfa/*: clean.
CLEAN_POLICY = (CASES / "force-mfa-repaired.json").read_text(encoding="utf-8").replace("mfa/${aws:username}", "mfa/*")
BROKEN_POLICY = '{"Version": "2012-10-17", "Statement": [\n'
ESCAPES_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "A\\u0001\\r\\nB%25::,", "Effect": "Deny",'
    ' "NotAction": ["iam:ListMFADevices"], "Resource": "*",'
    ' "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}\n'
)
ESCAPES_SID = "A\x01\r\nB%25::,"
WIDE_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "\U0001f600\U0001f600", "Effect": "Deny",'
    ' "NotAction": ["iam:ListMFADevices"], "Resource": "*",'
    ' "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}\n'
)


def write_policies(root: Path) -> Path:
    """Write the policy folder under ``root`` and return ``root``."""
    files = {
        SAMPLE_PATH: SAMPLE.read_text(encoding="utf-8"),
        CLEAN_PATH: CLEAN_POLICY,
        BROKEN_PATH: BROKEN_POLICY,
        UNICODE_PATH: SAMPLE.read_text(encoding="utf-8"),
        ESCAPES_PATH: ESCAPES_POLICY,
        WIDE_PATH: WIDE_POLICY,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mfalint", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_policies(tmp_path_factory.mktemp("reporters"))


@pytest.fixture(scope="module")
def reports(tree: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every format, and json for reference, once on the policy folder."""
    return {name: run("--format", name, "policies", cwd=tree) for name in ("json",) + FORMATS}


@pytest.fixture(scope="module")
def expected(reports) -> list[dict]:
    """Return the findings of the run, in the public JSON shape."""
    return json.loads(reports["json"].stdout)


@pytest.fixture(scope="module")
def sarif(reports) -> dict:
    return json.loads(reports["sarif"].stdout)


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    checker = validator_class.FORMAT_CHECKER
    # Without rfc3986-validator, jsonschema would skip the "uri" format silently.
    assert "uri" in checker.checkers, "install rfc3986-validator so that jsonschema checks the uri format"
    return validator_class(schema, format_checker=checker)


def schema_errors(validator: jsonschema.protocols.Validator, instance: object) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]


@pytest.fixture(scope="module")
def broken_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the test plugin whose import fails and whose rule raises, with pip, into a folder."""
    root = tmp_path_factory.mktemp("broken-plugin")
    source = root / "src"
    shutil.copytree(BROKEN_PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = root / "site"
    command = [
        sys.executable, "-m", "pip", "install",
        "--no-deps", "--no-build-isolation", "--no-index", "--no-cache-dir",
        "--disable-pip-version-check", "--quiet",
        "--target", str(target), str(source),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"pip failed to install the broken plugin:\n{result.stdout}{result.stderr}")
    return target


@pytest.fixture(scope="module")
def broken_reports(tree: Path, broken_plugin_dir: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every format with the broken plugin installed, so the run has internal errors."""
    env = dict(os.environ, PYTHONPATH=str(broken_plugin_dir))
    return {name: run("--format", name, SAMPLE_PATH, CLEAN_PATH, cwd=tree, env=env) for name in ("json",) + FORMATS}


@pytest.fixture(scope="module")
def broken_expected(broken_reports) -> list[dict]:
    return json.loads(broken_reports["json"].stdout)


def finding(
    code: str = "MFA003", path: str = "p.json", message: str = "a message", line: int = 1, **changes
) -> Finding:
    """Build a finding for the tests that call a reporter directly."""
    values = dict(
        code=code,
        name="deny-skips-access-keys",
        severity=Severity.ERROR,
        message=message,
        path=path,
        span=Span(Position(line, 3), Position(line, 9)),
        jsonpath="$.Statement[0].Condition",
    )
    values.update(changes)
    return Finding(**values)


# -------------------------------------------------------------------------
# All formats
# -------------------------------------------------------------------------


def test_policies_have_findings(expected):
    paths = {item["path"] for item in expected}
    assert paths == {SAMPLE_PATH, BROKEN_PATH, UNICODE_PATH, ESCAPES_PATH, WIDE_PATH}


def test_escapes_finding_quotes_sid(expected):
    messages = [item["message"] for item in expected if item["path"] == ESCAPES_PATH]
    assert any(ESCAPES_SID in message for message in messages)


@pytest.mark.parametrize("name", FORMATS)
def test_format_exit_status(reports, name):
    assert reports[name].returncode == 1, reports[name].stderr


@pytest.mark.parametrize("name", FORMATS)
def test_format_no_stderr(reports, name):
    assert reports[name].stderr == ""


@pytest.mark.parametrize("name", FORMATS)
def test_format_listed_in_unknown_format_error(tree, name):
    result = run("--format", "no-such-format", CLEAN_PATH, cwd=tree)
    assert result.returncode == 2
    assert name in result.stderr


# -------------------------------------------------------------------------
# SARIF: the official schema
# -------------------------------------------------------------------------


def test_sarif_schema_copy_unchanged():
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    assert digest == "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def test_sarif_valid_against_schema(sarif, sarif_validator):
    assert schema_errors(sarif_validator, sarif) == []


def test_sarif_clean_run_valid(tree, sarif_validator):
    result = run("--format", "sarif", CLEAN_PATH, cwd=tree)
    log = json.loads(result.stdout)

    assert result.returncode == 0
    assert schema_errors(sarif_validator, log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"]


def test_sarif_version_and_schema_uri(sarif):
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].startswith("https://")


def test_sarif_one_result_per_finding(sarif, expected):
    results = sarif["runs"][0]["results"]
    assert [result["ruleId"] for result in results] == [item["code"] for item in expected]
    assert [result["message"]["text"] for result in results] == [item["message"] for item in expected]


def test_sarif_levels(sarif, expected):
    levels = {"error": "error", "warning": "warning", "info": "note"}
    results = sarif["runs"][0]["results"]
    assert [result["level"] for result in results] == [levels[item["severity"]] for item in expected]


def test_sarif_execution_successful(sarif):
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []


# -------------------------------------------------------------------------
# SARIF: what GitHub code scanning needs
# -------------------------------------------------------------------------


def test_sarif_driver(sarif):
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "mfalint"
    assert driver["version"]


def test_sarif_rules_cover_loaded_rules(sarif):
    ids = [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert set(load_plugins().rules) <= set(ids)
    assert "INT001" in ids
    assert len(ids) == len(set(ids))


def test_sarif_rules_have_help(sarif):
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["name"], rule["id"]
        assert rule["shortDescription"]["text"], rule["id"]
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024, rule["id"]
        assert rule["help"]["text"], rule["id"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note"), rule["id"]


def test_sarif_builtin_rules_have_markdown_help(sarif):
    builtin = set(load_plugins().rules)
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        if rule["id"] in builtin:
            assert rule["help"]["markdown"].startswith(f"# {rule['id']} {rule['name']}"), rule["id"]


def test_sarif_builtin_rules_documented_in_repository(sarif):
    builtin = set(load_plugins().rules)
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        if rule["id"] in builtin:
            assert (REPOSITORY / "docs" / "rules" / f"{rule['id']}.md").is_file(), rule["id"]


def test_sarif_help_uri_absolute_when_present(sarif):
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        if "helpUri" in rule:
            assert rule["helpUri"].startswith("https://"), rule["id"]
            assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md"), rule["id"]


def test_sarif_security_severity(sarif):
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        properties = rule.get("properties", {})
        if "security-severity" in properties:
            assert "security" in properties["tags"], rule["id"]
            assert 0.0 < float(properties["security-severity"]) <= 10.0, rule["id"]
    mfa = [rule for rule in sarif["runs"][0]["tool"]["driver"]["rules"] if rule["id"].startswith("MFA")]
    assert all("security-severity" in rule["properties"] for rule in mfa)


def test_sarif_rule_index_points_at_rule(sarif):
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    for result in sarif["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_uris_relative(sarif, expected):
    results = sarif["runs"][0]["results"]
    for result, item in zip(results, expected):
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        uri = location["uri"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri), uri
        assert not uri.startswith("/"), uri
        assert "\\" not in uri
        assert ".." not in uri.split("/")
        assert validate_rfc3986(uri, rule="URI_reference"), uri
        assert unquote(uri, encoding="utf-8", errors="strict") == item["path"]


def test_sarif_uri_percent_encoded(sarif):
    results = sarif["runs"][0]["results"]
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results}
    assert "policies/sub%20dir/p%C3%B3l%C3%ADtica%20%C3%B1.json" in uris
    assert "policies/odd%2C%20name%3A%20100%25%20%231.json" in uris


def test_sarif_source_root_defined(sarif, tree):
    run_object = sarif["runs"][0]
    root = run_object["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root == tree.resolve().as_uri() + "/"
    assert run_object["invocations"][0]["workingDirectory"]["uri"] == root


def test_sarif_regions(sarif, expected):
    assert sarif["runs"][0]["columnKind"] == "utf16CodeUnits"
    for result, item in zip(sarif["runs"][0]["results"], expected):
        if item["path"] in (WIDE_PATH, BROKEN_PATH):
            continue
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (item["line"], item["column"])
        assert (region["endLine"], region["endColumn"]) == (item["end_line"], item["end_column"])


def test_sarif_regions_inside_file(sarif, expected, tree):
    for result, item in zip(sarif["runs"][0]["results"], expected):
        text = (tree / item["path"]).read_text(encoding="utf-8")
        # Lines as GitHub counts them: a final line break starts no new line.
        lines = text.splitlines()
        region = result["locations"][0]["physicalLocation"]["region"]
        assert 1 <= region["startLine"] <= region["endLine"] <= len(lines), item
        assert region["endColumn"] <= len(lines[region["endLine"] - 1].encode("utf-16-le")) // 2 + 1, item


def test_sarif_end_of_file_moves_to_last_line():
    at_end = finding(span=Span.point(2, 1))
    log = SarifReporter().log([at_end], ReportContext(sources={"p.json": '{"a": [\n'}))
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 8, "endLine": 1, "endColumn": 8}


def test_sarif_columns_count_utf16_units(sarif, expected, tree):
    line = (tree / WIDE_PATH).read_text(encoding="utf-8").splitlines()[0]
    wide = [(result, item) for result, item in zip(sarif["runs"][0]["results"], expected) if item["path"] == WIDE_PATH]
    assert any(item["column"] > line.index("\U0001f600") + 2 for _result, item in wide)
    for result, item in wide:
        region = result["locations"][0]["physicalLocation"]["region"]
        start_units = len(line[: item["column"] - 1].encode("utf-16-le")) // 2 + 1
        end_units = len(line[: item["end_column"] - 1].encode("utf-16-le")) // 2 + 1
        assert (region["startColumn"], region["endColumn"]) == (start_units, end_units)


def test_sarif_fixes_match_json(sarif, expected):
    for result, item in zip(sarif["runs"][0]["results"], expected):
        if item["fix"] is None:
            assert "fixes" not in result
            continue
        fix = result["fixes"][0]
        change = fix["artifactChanges"][0]
        assert fix["description"]["text"] == item["fix"]["title"]
        assert change["artifactLocation"] == result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert [replacement["insertedContent"]["text"] for replacement in change["replacements"]] == [
            edit["new_text"] for edit in item["fix"]["edits"]
        ]
        assert [replacement["deletedRegion"]["startLine"] for replacement in change["replacements"]] == [
            edit["line"] for edit in item["fix"]["edits"]
        ]


def test_sarif_logical_location_jsonpath(sarif, expected):
    for result, item in zip(sarif["runs"][0]["results"], expected):
        assert result["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": item["jsonpath"]}]


def test_sarif_fingerprints_present_and_unique(sarif):
    fingerprints = [result["partialFingerprints"] for result in sarif["runs"][0]["results"]]
    line_hashes = [fingerprint["primaryLocationLineHash"] for fingerprint in fingerprints]
    assert all(fingerprint["mfalint/v1"] == fingerprint["primaryLocationLineHash"] for fingerprint in fingerprints)
    assert len(set(line_hashes)) == len(line_hashes)


def test_sarif_fingerprints_survive_moved_lines(tmp_path):
    write_policies(tmp_path)
    before = json.loads(run("--format", "sarif", SAMPLE_PATH, cwd=tmp_path).stdout)
    sample = tmp_path / SAMPLE_PATH
    sample.write_text("\n\n\n" + sample.read_text(encoding="utf-8"), encoding="utf-8")
    after = json.loads(run("--format", "sarif", SAMPLE_PATH, cwd=tmp_path).stdout)

    old, new = before["runs"][0]["results"], after["runs"][0]["results"]
    assert [result["partialFingerprints"] for result in old] == [result["partialFingerprints"] for result in new]
    old_lines = [result["locations"][0]["physicalLocation"]["region"]["startLine"] for result in old]
    new_lines = [result["locations"][0]["physicalLocation"]["region"]["startLine"] for result in new]
    assert new_lines == [line + 3 for line in old_lines]


def test_fingerprints_unique_for_equal_findings():
    first = finding(line=1)
    second = finding(line=5)
    fingerprints = finding_fingerprints([first, second])
    assert len(set(fingerprints)) == 2
    assert finding_fingerprints([first, second]) == fingerprints


# -------------------------------------------------------------------------
# SARIF: internal errors and findings without a path
# -------------------------------------------------------------------------


def test_sarif_internal_errors_exit_two(broken_reports):
    assert broken_reports["sarif"].returncode == 2


def test_sarif_internal_errors_valid(broken_reports, sarif_validator):
    assert schema_errors(sarif_validator, json.loads(broken_reports["sarif"].stdout)) == []


def test_sarif_internal_errors_unsuccessful(broken_reports, broken_expected):
    invocation = json.loads(broken_reports["sarif"].stdout)["runs"][0]["invocations"][0]
    internal = [item for item in broken_expected if item["code"] == "INT001"]

    assert invocation["executionSuccessful"] is False
    assert [notification["message"]["text"] for notification in invocation["toolExecutionNotifications"]] == [
        item["message"] for item in internal
    ]


def test_sarif_pathless_error_not_a_result(broken_reports, broken_expected):
    results = json.loads(broken_reports["sarif"].stdout)["runs"][0]["results"]
    with_path = [item for item in broken_expected if item["path"]]

    assert any(not item["path"] for item in broken_expected)
    assert [result["message"]["text"] for result in results] == [item["message"] for item in with_path]
    assert all(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results)


def test_sarif_pathless_notification_has_no_location(broken_reports):
    invocation = json.loads(broken_reports["sarif"].stdout)["runs"][0]["invocations"][0]
    notifications = invocation["toolExecutionNotifications"]
    pathless = [notification for notification in notifications if "import-fails" in notification["message"]["text"]]
    assert pathless
    assert all("locations" not in notification for notification in pathless)


def test_sarif_plugin_rule_described(broken_reports):
    driver = json.loads(broken_reports["sarif"].stdout)["runs"][0]["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert rules["BRK001"]["help"]["text"].startswith("BRK001 rule-raises")
    assert "helpUri" not in rules["BRK001"]


# -------------------------------------------------------------------------
# SARIF: called directly
# -------------------------------------------------------------------------


def test_sarif_fix_as_replacement(sarif_validator):
    edit = Edit(Span(Position(2, 5), Position(2, 9)), "BoolIfExists")
    fixed = finding(fix=Fix("use BoolIfExists", (edit,)))
    log = SarifReporter().log([fixed], ReportContext(rules=load_plugins().rules))
    replacement = log["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0]

    assert schema_errors(sarif_validator, log) == []
    assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 9}
    assert replacement["insertedContent"] == {"text": "BoolIfExists"}


def test_sarif_unknown_code_described(sarif_validator):
    log = SarifReporter().log([finding(code="XYZ001")], ReportContext())
    rules = log["runs"][0]["tool"]["driver"]["rules"]

    assert schema_errors(sarif_validator, log) == []
    assert rules[log["runs"][0]["results"][0]["ruleIndex"]]["id"] == "XYZ001"


def test_sarif_absolute_path_outside_root(tmp_path):
    outside = tmp_path / "elsewhere" / "p q.json"
    location = artifact_location(str(outside))
    assert location == {"uri": outside.as_uri()}


def test_sarif_relative_path_leaving_root():
    location = artifact_location(os.path.join(os.pardir, "p.json"))
    assert location["uri"].startswith("file:///")
    assert "uriBaseId" not in location


def test_rule_docs_url_github():
    url = _rule_docs_url("https://github.com/owner/mfalint/", "MFA001")
    assert url == "https://github.com/owner/mfalint/blob/main/docs/rules/MFA001.md"


def test_rule_docs_url_gitlab():
    url = _rule_docs_url("https://gitlab.com/owner/mfalint", "MFA001")
    assert url == "https://gitlab.com/owner/mfalint/-/blob/main/docs/rules/MFA001.md"


def test_rule_docs_url_other_host():
    assert _rule_docs_url("https://example.org/mfalint", "MFA001") is None


# -------------------------------------------------------------------------
# GitHub annotations
# -------------------------------------------------------------------------

# The runner's syntax: "::" command, optional " " and properties, "::", data.
# Escaped properties hold no ':', so the first "::" after the command ends them.
COMMAND = re.compile(r"^::(?P<command>[A-Za-z]+)(?: (?P<properties>[^:\r\n]*))?::(?P<data>[^\r\n]*)$")


def unescape_data(text: str) -> str:
    """Undo GitHub's data escaping in the order the runner does it."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    """Undo GitHub's property escaping in the order the runner does it."""
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Parse one workflow command as the runner does. Fail the test when the line is not one."""
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    properties = {}
    for pair in (match["properties"] or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            properties[key] = unescape_property(value)
    return match["command"], properties, unescape_data(match["data"])


@pytest.fixture(scope="module")
def annotations(reports) -> list[tuple[str, dict[str, str], str]]:
    return [parse_command(line) for line in reports["github"].stdout.split("\n")[:-1]]


def test_github_output_ends_with_newline(reports):
    assert reports["github"].stdout.endswith("\n")


def test_github_one_command_per_finding(annotations, expected):
    assert len(annotations) == len(expected)


def test_github_commands_follow_severity(annotations, expected):
    commands = {"error": "error", "warning": "warning", "info": "notice"}
    assert [command for command, _properties, _data in annotations] == [commands[item["severity"]] for item in expected]


def test_github_messages_round_trip(annotations, expected):
    assert [data for _command, _properties, data in annotations] == [item["message"] for item in expected]


def test_github_escaped_message_round_trips(annotations):
    assert any(ESCAPES_SID in data for _command, _properties, data in annotations)


def test_github_files_round_trip(annotations, expected):
    assert [properties["file"] for _command, properties, _data in annotations] == [item["path"] for item in expected]
    assert ESCAPES_PATH in {properties["file"] for _command, properties, _data in annotations}


def test_github_titles(annotations, expected):
    titles = [properties["title"] for _command, properties, _data in annotations]
    assert titles == [f"{item['code']} {item['name']}" for item in expected]


def test_github_lines(annotations, expected):
    for (_command, properties, _data), item in zip(annotations, expected):
        assert int(properties["line"]) == item["line"]
        assert int(properties["endLine"]) == item["end_line"]


def test_github_columns_on_one_line_only(annotations, expected):
    assert any(item["line"] != item["end_line"] for item in expected)
    for (_command, properties, _data), item in zip(annotations, expected):
        if item["line"] == item["end_line"]:
            assert (int(properties["col"]), int(properties["endColumn"])) == (item["column"], item["end_column"])
        else:
            assert "col" not in properties
            assert "endColumn" not in properties


def test_github_clean_run_prints_nothing(tree):
    result = run("--format", "github", CLEAN_PATH, cwd=tree)
    assert (result.returncode, result.stdout) == (0, "")


def test_github_pathless_error_has_no_file(broken_reports):
    commands = [parse_command(line) for line in broken_reports["github"].stdout.splitlines()]
    pathless = [(command, properties) for command, properties, data in commands if "import-fails" in data]

    assert pathless
    assert all(command == "error" and "file" not in properties for command, properties in pathless)
    assert all(properties["title"] == "INT001 internal-error" for _command, properties in pathless)


def test_github_escapes_every_special_character():
    message = "100% sure:\r\nnext, line :: end"
    path = "a, b: 100%.json"
    command, properties, data = parse_command(annotation(finding(path=path, message=message)))

    assert command == "error"
    assert properties["file"] == path
    assert data == message


def test_github_reporter_renders_lines():
    output = GithubReporter().render([finding(), finding(line=2)], ReportContext())
    assert len(output.splitlines()) == 2


# -------------------------------------------------------------------------
# JUnit XML
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit(reports) -> ET.Element:
    return ET.fromstring(reports["junit"].stdout.encode("utf-8"))


def test_junit_one_suite(junit):
    assert junit.tag == "testsuites"
    assert [child.tag for child in junit] == ["testsuite"]


def test_junit_one_case_per_file(junit):
    names = [case.get("name") for case in junit.iter("testcase")]
    assert sorted(names) == sorted(ALL_PATHS)


def test_junit_cases_name_class_and_file(junit):
    for case in junit.iter("testcase"):
        assert case.get("classname") == "mfalint"
        assert case.get("file") == case.get("name")


def test_junit_counts_match(junit, expected):
    suite = junit.find("testsuite")
    cases = list(suite.iter("testcase"))
    failing = {item["path"] for item in expected}

    assert int(suite.get("tests")) == len(cases) == len(ALL_PATHS)
    assert int(suite.get("failures")) == len(failing)
    assert int(suite.get("errors")) == 0
    assert int(junit.get("tests")) == len(cases)
    assert int(junit.get("failures")) == len(failing)


def test_junit_clean_file_passes(junit):
    case = next(case for case in junit.iter("testcase") if case.get("name") == CLEAN_PATH)
    assert list(case) == []


def test_junit_one_failure_per_finding(junit, expected):
    for case in junit.iter("testcase"):
        failures = case.findall("failure")
        file_findings = [item for item in expected if item["path"] == case.get("name")]
        assert [failure.get("type") for failure in failures] == [item["code"] for item in file_findings]
        assert [failure.get("message") for failure in failures] == [
            item["message"].replace("\x01", "\\u0001") for item in file_findings
        ]


def test_junit_control_character_escaped(junit):
    messages = [failure.get("message") for failure in junit.iter("failure")]
    assert any("A\\u0001\r\nB%25::," in message for message in messages)


def test_junit_lists_findings_in_output(junit):
    case = next(case for case in junit.iter("testcase") if case.get("name") == SAMPLE_PATH)
    output = case.find("system-out").text
    assert output.count(SAMPLE_PATH) == len(case.findall("failure"))


def test_junit_internal_errors(broken_reports, broken_expected):
    root = ET.fromstring(broken_reports["junit"].stdout.encode("utf-8"))
    suite = root.find("testsuite")
    run_case = next(case for case in suite.iter("testcase") if case.get("name") == "mfalint")
    errored = {item["path"] or "mfalint" for item in broken_expected if item["code"] == "INT001"}

    assert run_case.get("file") is None
    assert [error.get("type") for error in run_case.findall("error")] == ["INT001"]
    assert int(suite.get("errors")) == len(errored)
    assert int(suite.get("tests")) == 3


def test_junit_files_from_context():
    context = ReportContext(files=("a.json", "b.json"), files_checked=2)
    root = ET.fromstring(JunitReporter().render([finding(path="b.json")], context))
    assert [case.get("name") for case in root.iter("testcase")] == ["a.json", "b.json"]
    assert root.find("testsuite").get("failures") == "1"


# -------------------------------------------------------------------------
# GitLab Code Quality
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gitlab(reports) -> list[dict]:
    return json.loads(reports["gitlab"].stdout)


def test_gitlab_valid_against_documented_fields(gitlab):
    schema = json.loads(GITLAB_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    assert schema_errors(validator_class(schema), gitlab) == []


def test_gitlab_no_byte_order_mark(reports):
    assert not reports["gitlab"].stdout.startswith("\ufeff")


def test_gitlab_one_issue_per_finding(gitlab, expected):
    assert [issue["check_name"] for issue in gitlab] == [item["code"] for item in expected]


def test_gitlab_locations(gitlab, expected):
    for issue, item in zip(gitlab, expected):
        assert issue["location"]["path"] == item["path"]
        assert issue["location"]["lines"] == {"begin": item["line"], "end": item["end_line"]}


def test_gitlab_severities(gitlab, expected):
    severities = {"error": "major", "warning": "minor", "info": "info"}
    assert [issue["severity"] for issue in gitlab] == [severities[item["severity"]] for item in expected]


def test_gitlab_descriptions(gitlab, expected):
    assert [issue["description"] for issue in gitlab] == [f"{item['code']} {item['message']}" for item in expected]


def test_gitlab_fingerprints_unique(gitlab):
    fingerprints = [issue["fingerprint"] for issue in gitlab]
    assert len(set(fingerprints)) == len(fingerprints)


def test_gitlab_fingerprints_match_sarif(gitlab, sarif):
    sarif_fingerprints = [result["partialFingerprints"]["mfalint/v1"] for result in sarif["runs"][0]["results"]]
    assert [issue["fingerprint"] for issue in gitlab] == sarif_fingerprints


def test_gitlab_fingerprints_stable(tree, gitlab):
    again = json.loads(run("--format", "gitlab", "policies", cwd=tree).stdout)
    assert [issue["fingerprint"] for issue in again] == [issue["fingerprint"] for issue in gitlab]


def test_gitlab_clean_run_empty(tree):
    result = run("--format", "gitlab", CLEAN_PATH, cwd=tree)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_gitlab_pathless_error_logged(broken_reports, broken_expected):
    issues = json.loads(broken_reports["gitlab"].stdout)

    assert len(issues) == len([item for item in broken_expected if item["path"]])
    assert "INT001 internal-error is not in the Code Quality report" in broken_reports["gitlab"].stderr


def test_gitlab_reporter_skips_pathless():
    output = GitlabReporter().render([finding(path=""), finding()], ReportContext())
    assert [issue["location"]["path"] for issue in json.loads(output)] == ["p.json"]
