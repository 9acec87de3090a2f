"""The language server, run as a subprocess and driven over stdio by pytest-lsp's client.

The client announces Neovim 0.11's capabilities, once with UTF-16 and once
with UTF-8 positions. A plugin written into a temporary folder, found by
``importlib.metadata`` through PYTHONPATH like any installed plugin, adds a
rule with a fix, and a rule that prints to standard output and then raises.

pytest-lsp fails a test when the server sends a result outside the client's
capabilities. Because pygls's reader skips stray lines between messages, one
test reads the server's standard output itself. Tests wait for the server's
notifications, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities, make_test_lsp_client

from mfalint.iam.catalog import catalog
from mfalint.lsp_actions import comment_blocked_lines, ignore_edit
from mfalint.plugins import load_plugins
from mfalint.positions import LineIndex

CASES = Path(__file__).parent / "fixtures" / "cases"
SAMPLE = CASES / "force-mfa-aws-sample.json"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
TERRAFORM_SAMPLE = CASES / "terraform-user-reset-required.tf"
CHECKOUT_DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"
CONFIGURED_DOCS_URL = "https://docs.example.com/mfalint/rules"

# AWS's sample with both reset actions exempt and devices allowed on mfa/*: clean.
CLEAN_TEXT = (CASES / "force-mfa-repaired.json").read_text(encoding="utf-8").replace("mfa/${aws:username}", "mfa/*")
# The sample as YAML in the same key order. safe_dump quotes the Version date.
SAMPLE_YAML = yaml.safe_dump(json.loads(SAMPLE_TEXT), sort_keys=False)

# MFA001 in the sample points at the NotAction list of DenyAllExceptListedIfNoMFA:
# line 92, column 20 up to line 100, column 8 (1-based), so 0-based (91, 19)-(99, 7).
MFA001_RANGE = ((91, 19), (99, 7))

TIMEOUT = 60
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS

PLUGIN_MODULE = '''
"""Rules for the language server tests: one with a fix, one that raises."""

import os
import sys

from mfalint import Rule, RuleDocs, Severity, hookimpl
from mfalint.findings import Edit, Fix

_DOCS = RuleDocs(what="Test rule.", why="Test rule.", example="{}", use_instead="{}", fix="Test rule.")


class SidNeedsFix(Rule):
    code = "LSPT001"
    name = "sid-needs-fix"
    severity = Severity.INFO
    summary = "A statement's Sid is NeedsFix."
    docs = _DOCS
    fixable = True

    def check(self, context):
        for policy in context.policies:
            for statement in policy.statements:
                if statement.sid == "NeedsFix":
                    node = statement.node.get("Sid")
                    fix = Fix("Rename the Sid to Fixed", (Edit(node.span, '"Fixed"'),))
                    yield context.finding(self, node, "sid 'NeedsFix' needs a fix", fix=fix)


class RaisesOnMarker(Rule):
    code = "LSPT002"
    name = "raises-on-marker"
    severity = Severity.ERROR
    summary = "Raises when the text contains RaiseInRule."
    docs = _DOCS

    def check(self, context):
        if "RaiseInRule" in context.document.text:
            print("a rule printing to standard output")
            sys.stdout.flush()
            os.write(1, b"a rule writing to file descriptor 1\\n")
            raise RuntimeError("failed on purpose")
        return []


@hookimpl
def mfalint_rules():
    return [SidNeedsFix(), RaisesOnMarker()]
'''


# -------------------------------------------------------------------------
# Fixtures: the test plugin, the workspace and the clients
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the test plugin with a dist-info folder, so importlib.metadata lists its entry point."""
    site = tmp_path_factory.mktemp("lsp-plugin-site")
    (site / "mfalint_lsp_test_rules.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    dist_info = site / "mfalint_lsp_test_rules-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mfalint-lsp-test-rules\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text("[mfalint.rules]\nlsp-tests = mfalint_lsp_test_rules\n", encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lsp-workspace")


def cache_folder(plugin_site: Path) -> Path:
    return plugin_site.parent / f"{plugin_site.name}-cache"


def server_config(plugin_site: Path, client_factory=make_test_lsp_client) -> ClientServerConfig:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_site), env.get("PYTHONPATH")]))
    # Generated rule pages go to a cache folder of the test run, not the user's.
    env["MFALINT_CACHE_DIR"] = str(cache_folder(plugin_site))
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "mfalint.lsp"], server_env=env, client_factory=client_factory
    )


def capabilities(encodings: list[str] | None) -> types.ClientCapabilities:
    """Return Neovim 0.11's client capabilities, offering ``encodings`` for positions."""
    result = client_capabilities("neovim@v0.11.0")
    assert result.general is not None
    result.general.position_encodings = encodings
    return result


def initialize_params(
    workspace: Path, caps: types.ClientCapabilities, options: dict[str, Any] | None = None
) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=caps,
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="workspace")],
        initialization_options=options,
    )


@pytest.fixture(scope="module", params=["utf-16", "utf-8"])
def encoding(request: pytest.FixtureRequest) -> str:
    """The position encoding the module's client offers first."""
    return request.param


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(encoding: str, plugin_site: Path, workspace: Path):
    """Start a server and initialize it; the UTF-8 client also sets the rule pages' base URL."""
    language_client = await server_config(plugin_site).start()
    if encoding == "utf-8":
        params = initialize_params(workspace, capabilities(["utf-8", "utf-16"]), {"docsUrl": CONFIGURED_DOCS_URL})
    else:
        params = initialize_params(workspace, capabilities(["utf-16"]))
    result = await language_client.initialize_session(params)
    language_client.initialize_result = result  # type: ignore[attr-defined]
    yield language_client
    await language_client.shutdown_session()
    await language_client.stop()


# -------------------------------------------------------------------------
# Helpers
# -------------------------------------------------------------------------


async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """Wait until the server publishes diagnostics for ``uri``; callers pop the old ones first."""

    async def wait() -> list[types.Diagnostic]:
        # Checking and registering the waiter happen without a suspension in
        # between, so a notification cannot slip past.
        while uri not in client.diagnostics:
            await client.wait_for_notification(PUBLISH)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), TIMEOUT)


def uri_of(path: Path | str) -> str:
    """Return a file's URI; a string is taken for a URI already, such as ``untitled:Untitled-1``."""
    return path if isinstance(path, str) else path.as_uri()


async def open_document(
    client: LanguageClient, path: Path | str, text: str, language_id: str
) -> list[types.Diagnostic]:
    uri = uri_of(path)
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
        )
    )
    return await published(client, uri)


async def replace_text(client: LanguageClient, path: Path, version: int, text: str) -> list[types.Diagnostic]:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await published(client, uri)


async def close_document(client: LanguageClient, path: Path | str) -> list[types.Diagnostic]:
    uri = uri_of(path)
    client.diagnostics.pop(uri, None)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return await published(client, uri)


def lsp_character(line: str, column: int, encoding: str) -> int:
    """Return the LSP character of 0-based code-point ``column``, counted with Python's codecs."""
    prefix = line[:column]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    return len(prefix.encode("utf-16-le")) // 2


def position_in(text: str, needle: str, encoding: str, shift: int = 0) -> types.Position:
    """Return the LSP position of the first ``needle`` in ``text``, moved ``shift`` code points right."""
    for number, line in enumerate(text.split("\n")):
        column = line.find(needle)
        if column >= 0:
            return types.Position(line=number, character=lsp_character(line, column + shift, encoding))
    raise AssertionError(f"{needle!r} is not in the text")


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        line = lines[position.line]
        column = next(
            index for index in range(len(line) + 1) if lsp_character(line, index, encoding) >= position.character
        )
        return sum(len(item) + 1 for item in lines[: position.line]) + column

    for edit in sorted(edits, key=lambda item: (item.range.start.line, item.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def only(diagnostics: list[types.Diagnostic], code: str) -> types.Diagnostic:
    matching = [diagnostic for diagnostic in diagnostics if diagnostic.code == code]
    assert len(matching) == 1, [diagnostic.code for diagnostic in diagnostics]
    return matching[0]


def as_pairs(lsp_range: types.Range) -> tuple[tuple[int, int], tuple[int, int]]:
    return (lsp_range.start.line, lsp_range.start.character), (lsp_range.end.line, lsp_range.end.character)


async def request_actions(
    client: LanguageClient, path: Path, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    actions = [item for item in result or [] if isinstance(item, types.CodeAction)]
    assert len(actions) == len(result or []), "the server sent a bare Command"
    return actions


def action_edits(action: types.CodeAction, path: Path) -> list[types.TextEdit]:
    """Return the text edits of an action for ``path``, from documentChanges or changes."""
    assert action.edit is not None
    if action.edit.document_changes:
        (change,) = action.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == path.as_uri()
        return [edit for edit in change.edits if isinstance(edit, types.TextEdit)]
    assert action.edit.changes is not None
    return list(action.edit.changes[path.as_uri()])


async def hover_text(client: LanguageClient, path: Path, position: types.Position) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=position)
    )
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def completion_labels(client: LanguageClient, path: Path, position: types.Position) -> dict[str, types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=position)
    )
    assert isinstance(result, types.CompletionList)
    return {item.label: item for item in result.items}


# -------------------------------------------------------------------------
# Initialize
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_initialize_negotiates_encoding(client, encoding):
    result = client.initialize_result
    assert result.capabilities.position_encoding == encoding
    assert result.server_info.name == "mfalint-lsp"


@pytest.mark.asyncio(loop_scope="module")
async def test_initialize_announces_features(client):
    capabilities = client.initialize_result.capabilities
    assert capabilities.hover_provider
    assert list(capabilities.code_action_provider.code_action_kinds) == [types.CodeActionKind.QuickFix]
    assert ":" in capabilities.completion_provider.trigger_characters
    assert capabilities.text_document_sync.save


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        (["utf-32", "utf-8", "utf-16"], "utf-8"),
        (["utf-32", "utf-16"], "utf-16"),
        (["utf-32"], "utf-16"),
        (None, "utf-16"),
    ],
)
async def test_initialize_never_picks_utf32(plugin_site, workspace, offered, expected):
    language_client = await server_config(plugin_site).start()
    try:
        result = await language_client.initialize_session(initialize_params(workspace, capabilities(offered)))
        assert result.capabilities.position_encoding == expected
        await language_client.shutdown_session()
    finally:
        await language_client.stop()


# -------------------------------------------------------------------------
# Diagnostics
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_sample_reports_mfa001_at_exact_range(client, encoding, tmp_path):
    path = tmp_path / "force-mfa.json"
    diagnostics = await open_document(client, path, SAMPLE_TEXT, "json")
    diagnostic = only(diagnostics, "MFA001")
    assert as_pairs(diagnostic.range) == MFA001_RANGE
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.source == "mfalint"
    assert "'iam:ChangePassword'" in diagnostic.message
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_diagnostic_links_rule_page(client, encoding, plugin_site, tmp_path):
    path = tmp_path / "force-mfa.json"
    diagnostic = only(await open_document(client, path, SAMPLE_TEXT, "json"), "MFA001")
    assert diagnostic.code_description is not None
    if encoding == "utf-8":
        assert diagnostic.code_description.href == f"{CONFIGURED_DOCS_URL}/MFA001.md"
    else:
        # Without docsUrl the page is generated from the rule's documentation,
        # so it is the same text as the rule's page in docs/rules.
        assert diagnostic.code_description.href == (cache_folder(plugin_site) / "rules" / "MFA001.md").as_uri()
        page = cache_folder(plugin_site) / "rules" / "MFA001.md"
        assert page.read_text(encoding="utf-8") == (CHECKOUT_DOCS / "MFA001.md").read_text(encoding="utf-8")
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_plugin_rule_page(client, encoding, plugin_site, tmp_path):
    """docsUrl covers the built-in rules only, but generated pages cover every documented rule."""
    path = tmp_path / "needs-fix.json"
    text = CLEAN_TEXT.replace('"AllowViewAccountInfo"', '"NeedsFix"')
    diagnostic = only(await open_document(client, path, text, "json"), "LSPT001")
    if encoding == "utf-8":
        assert diagnostic.code_description is None
    else:
        page = cache_folder(plugin_site) / "rules" / "LSPT001.md"
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href == page.as_uri()
        assert page.read_text(encoding="utf-8").startswith("# LSPT001 sid-needs-fix\n")
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_fixing_text_clears_diagnostic(client, tmp_path):
    path = tmp_path / "force-mfa.json"
    await open_document(client, path, SAMPLE_TEXT, "json")
    fixed = SAMPLE_TEXT.replace(
        '"NotAction": [\n', '"NotAction": [\n        "iam:ChangePassword",\n        "iam:GetAccountPasswordPolicy",\n'
    )
    codes = [diagnostic.code for diagnostic in await replace_text(client, path, 2, fixed)]
    assert "MFA001" not in codes
    assert "MFA002" in codes
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_incremental_change_clears_diagnostic(client, encoding, tmp_path):
    path = tmp_path / "force-mfa.json"
    await open_document(client, path, SAMPLE_TEXT, "json")
    end_of_not_action = position_in(SAMPLE_TEXT, '"NotAction": [', encoding, shift=len('"NotAction": ['))
    insert = types.Range(start=end_of_not_action, end=end_of_not_action)
    client.diagnostics.pop(path.as_uri(), None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=insert, text='\n "iam:ChangePassword", "iam:GetAccountPasswordPolicy",'
                )
            ],
        )
    )
    codes = [diagnostic.code for diagnostic in await published(client, path.as_uri())]
    assert codes == ["MFA002"]
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_clean_file_publishes_empty_list(client, tmp_path):
    path = tmp_path / "clean.json"
    assert await open_document(client, path, CLEAN_TEXT, "json") == []
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_close_clears_diagnostics(client, tmp_path):
    path = tmp_path / "force-mfa.json"
    assert await open_document(client, path, SAMPLE_TEXT, "json")
    assert await close_document(client, path) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_non_ascii_line_offsets(client, encoding, tmp_path):
    # The Sid has an umlaut (one UTF-16 unit, two UTF-8 bytes) and an emoji
    # (two UTF-16 units, four UTF-8 bytes) before MFA002's Resource value.
    line = (
        '    {"Sid": "Zugriff für Ärzte 🩺", "Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", '
        '"Resource": "arn:aws:iam::*:mfa/${aws:username}"}'
    )
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n' + line + "\n  ]\n}\n"
    path = tmp_path / "umlauts.json"
    diagnostic = only(await open_document(client, path, text, "json"), "MFA002")

    value = '"arn:aws:iam::*:mfa/${aws:username}"'
    start = line.index(value)
    # Extra units before the value: in UTF-16 one for the emoji, in UTF-8 one each for ü and Ä and three for the emoji.
    extra = {"utf-16": 1, "utf-8": 5}[encoding]
    assert diagnostic.range.start.line == 3
    assert diagnostic.range.end.line == 3
    assert diagnostic.range.start.character == start + extra
    assert diagnostic.range.end.character == start + len(value) + extra
    assert diagnostic.range.start.character == lsp_character(line, start, encoding)
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_after_emoji(client, encoding, tmp_path):
    line = '    {"Sid": "🩺🩺", "Effect": "Allow", "Action": "iam:EnableMFADevice", "Resource": "*"}'
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n' + line + "\n  ]\n}\n"
    path = tmp_path / "emoji.json"
    await open_document(client, path, text, "json")
    contents = await hover_text(client, path, position_in(text, "iam:EnableMFADevice", encoding, shift=4))
    assert "**iam:EnableMFADevice**" in contents
    await close_document(client, path)


# -------------------------------------------------------------------------
# Configuration
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_pyproject_ignore_removes_code(client, tmp_path):
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.mfalint]\nignore = ["MFA002"]\n', encoding="utf-8")
    configured = project / "policies" / "force-mfa.json"
    unconfigured = tmp_path / "force-mfa.json"

    configured_codes = [diagnostic.code for diagnostic in await open_document(client, configured, SAMPLE_TEXT, "json")]
    default_codes = [diagnostic.code for diagnostic in await open_document(client, unconfigured, SAMPLE_TEXT, "json")]
    assert configured_codes == ["MFA001"]
    assert sorted(default_codes) == ["MFA001", "MFA002"]
    await close_document(client, configured)
    await close_document(client, unconfigured)


@pytest.mark.asyncio(loop_scope="module")
async def test_excluded_document_stays_silent(client, tmp_path):
    (tmp_path / "vendor").mkdir()
    (tmp_path / ".mfalint.toml").write_text('exclude = ["vendor/*"]\n', encoding="utf-8")
    excluded = tmp_path / "vendor" / "force-mfa.json"
    included = tmp_path / "force-mfa.json"
    assert await open_document(client, excluded, SAMPLE_TEXT, "json") == []
    assert await open_document(client, included, SAMPLE_TEXT, "json") != []
    await close_document(client, excluded)
    await close_document(client, included)


@pytest.mark.asyncio(loop_scope="module")
async def test_unsaved_buffer_uses_language_id(client):
    uri = "untitled:Untitled-1"
    codes = sorted(diagnostic.code for diagnostic in await open_document(client, uri, SAMPLE_YAML, "yaml"))
    assert codes == ["MFA001", "MFA002"]
    await close_document(client, uri)


@pytest.mark.asyncio(loop_scope="module")
async def test_unclaimed_suffix_stays_silent(client, tmp_path):
    path = tmp_path / "pyproject.toml"
    assert await open_document(client, path, 'Statement = "broken', "toml") == []
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_configuration_reloads_on_save(client, tmp_path):
    # Neovim 0.11 cannot watch files on Linux, so the server rereads the configuration on save.
    path = tmp_path / "force-mfa.json"
    assert "MFA002" in [diagnostic.code for diagnostic in await open_document(client, path, SAMPLE_TEXT, "json")]
    (tmp_path / ".mfalint.toml").write_text('ignore = ["MFA002"]\n', encoding="utf-8")

    client.diagnostics.pop(path.as_uri(), None)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    codes = [diagnostic.code for diagnostic in await published(client, path.as_uri())]
    assert codes == ["MFA001"]
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_invalid_configuration_shows_message(client, tmp_path):
    (tmp_path / ".mfalint.toml").write_text('ignor = ["MFA002"]\n', encoding="utf-8")
    path = tmp_path / "force-mfa.json"
    message = client.protocol.wait_for_notification_async(types.WINDOW_SHOW_MESSAGE)
    diagnostics = await open_document(client, path, SAMPLE_TEXT, "json")
    message_params = await asyncio.wait_for(message, TIMEOUT)
    assert message_params.type == types.MessageType.Error
    assert "unknown key 'ignor'" in message_params.message
    assert "did you mean 'ignore'?" in message_params.message
    assert sorted(diagnostic.code for diagnostic in diagnostics) == ["MFA001", "MFA002"]
    await close_document(client, path)


def watching_client() -> LanguageClient:
    """Return a test client that accepts the server's client/registerCapability request."""
    language_client = make_test_lsp_client()
    language_client.registrations = []  # type: ignore[attr-defined]
    language_client.registered = asyncio.Event()  # type: ignore[attr-defined]

    @language_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(ls: LanguageClient, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)  # type: ignore[attr-defined]
        ls.registered.set()  # type: ignore[attr-defined]

    return language_client


@pytest.mark.asyncio(loop_scope="module")
async def test_configuration_reloads_on_watched_change(plugin_site, tmp_path):
    caps = capabilities(["utf-16"])
    caps.workspace.did_change_watched_files = types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)
    language_client = await server_config(plugin_site, watching_client).start()
    try:
        await language_client.initialize_session(initialize_params(tmp_path, caps))
        await asyncio.wait_for(language_client.registered.wait(), TIMEOUT)
        (registration,) = language_client.registrations
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        globs = sorted(watcher["globPattern"] for watcher in registration.register_options["watchers"])
        assert globs == ["**/.mfalint.toml", "**/pyproject.toml"]

        path = tmp_path / "force-mfa.json"
        assert "MFA002" in [item.code for item in await open_document(language_client, path, SAMPLE_TEXT, "json")]
        config = tmp_path / "pyproject.toml"
        config.write_text('[tool.mfalint]\nignore = ["MFA002"]\n', encoding="utf-8")
        language_client.diagnostics.pop(path.as_uri(), None)
        language_client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]
            )
        )
        codes = [item.code for item in await published(language_client, path.as_uri())]
        assert codes == ["MFA001"]
        await language_client.shutdown_session()
    finally:
        await language_client.stop()


# -------------------------------------------------------------------------
# Robustness
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_raising_rule_becomes_internal_error(client, tmp_path):
    # The rule also prints to standard output; the test below checks that stream.
    path = tmp_path / "raises.json"
    text = CLEAN_TEXT.replace('"AllowViewAccountInfo"', '"RaiseInRule"')
    diagnostic = only(await open_document(client, path, text, "json"), "INT001")
    assert "rule LSPT002" in diagnostic.message
    assert "RuntimeError: failed on purpose" in diagnostic.message
    assert diagnostic.severity == types.DiagnosticSeverity.Error

    contents = await hover_text(client, path, position_in(text, "iam:GetAccountSummary", "utf-16", shift=3))
    assert "iam:GetAccountSummary" in contents
    await close_document(client, path)


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def read_message(stdout: asyncio.StreamReader) -> dict[str, Any]:
    """Read one message, failing on any byte that is not part of a framed LSP message."""
    headers = {}
    while True:
        line = await asyncio.wait_for(stdout.readline(), TIMEOUT)
        if line == b"\r\n":
            break
        name, separator, value = line.decode("utf-8", errors="replace").partition(": ")
        assert separator and line.endswith(b"\r\n"), f"not a protocol header on standard output: {line!r}"
        assert name in ("Content-Length", "Content-Type"), f"not a protocol header on standard output: {line!r}"
        headers[name] = value.strip()
    body = await asyncio.wait_for(stdout.readexactly(int(headers["Content-Length"])), TIMEOUT)
    return json.loads(body)


async def read_until(stdout: asyncio.StreamReader, accept) -> dict[str, Any]:
    while True:
        message = await read_message(stdout)
        if accept(message):
            return message


@pytest.mark.asyncio(loop_scope="module")
async def test_stdout_carries_only_protocol_messages(plugin_site, tmp_path):
    # The test plugin's rule prints to standard output before it raises.
    config = server_config(plugin_site)
    process = await asyncio.create_subprocess_exec(
        *config.server_command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=config.server_env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    uri = (tmp_path / "raises.json").as_uri()
    text = CLEAN_TEXT.replace('"AllowViewAccountInfo"', '"RaiseInRule"')

    process.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}))
    await read_until(process.stdout, lambda message: message.get("id") == 1)
    process.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    open_params = {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}
    process.stdin.write(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": open_params}))
    published_message = await read_until(process.stdout, lambda message: message.get("method") == PUBLISH)
    assert [item["code"] for item in published_message["params"]["diagnostics"]] == ["INT001"]

    process.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    await read_until(process.stdout, lambda message: message.get("id") == 2)
    process.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert await asyncio.wait_for(process.stdout.read(), TIMEOUT) == b""
    stderr = await asyncio.wait_for(process.stderr.read(), TIMEOUT)
    assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
    assert b"a rule printing to standard output" in stderr
    assert b"a rule writing to file descriptor 1" in stderr


@pytest.mark.asyncio(loop_scope="module")
async def test_unparsable_policy_reports_parse_error(client, tmp_path):
    path = tmp_path / "half-typed.json"
    diagnostics = await open_document(client, path, SAMPLE_TEXT[:400], "json")
    assert [diagnostic.code for diagnostic in diagnostics] == ["IAM001"]
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_other_json_stays_silent(client, tmp_path):
    # A broken JSON file that mentions no policy element is not a policy being typed.
    path = tmp_path / "package.json"
    assert await open_document(client, path, '{"name": "app", "version": ', "json") == []
    await close_document(client, path)


# -------------------------------------------------------------------------
# Hover
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_diagnostic_shows_rule_docs(client, tmp_path):
    path = tmp_path / "force-mfa.json"
    await open_document(client, path, SAMPLE_TEXT, "json")
    # Inside the NotAction list, between two action names.
    contents = await hover_text(client, path, types.Position(line=93, character=4))
    assert contents.startswith("# MFA001 password-reset-blocked")
    assert "## Why it matters" in contents
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_action_name(client, encoding, tmp_path):
    path = tmp_path / "force-mfa.json"
    await open_document(client, path, SAMPLE_TEXT, "json")
    contents = await hover_text(client, path, position_in(SAMPLE_TEXT, '"iam:ChangePassword"', encoding, shift=5))
    info = catalog().action("iam:ChangePassword")
    assert info is not None
    assert contents.startswith("**iam:ChangePassword** (access level: Write)")
    assert info.description in contents
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_action_in_diagnostic_shows_both(client, tmp_path):
    path = tmp_path / "force-mfa.json"
    await open_document(client, path, SAMPLE_TEXT, "json")
    # Line 98 (1-based) lists "iam:ResyncMFADevice" in the NotAction that MFA001 reports.
    assert SAMPLE_TEXT.split("\n")[97].strip() == '"iam:ResyncMFADevice",'
    contents = await hover_text(client, path, types.Position(line=97, character=12))
    assert contents.startswith("**iam:ResyncMFADevice**")
    assert "# MFA001 password-reset-blocked" in contents
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_wildcard_lists_matches(client, tmp_path):
    path = tmp_path / "wildcard.json"
    text = CLEAN_TEXT.replace('"iam:GetAccountSummary"', '"iam:*VirtualMFADevice*"')
    await open_document(client, path, text, "json")
    contents = await hover_text(client, path, position_in(text, "iam:*VirtualMFADevice*", "utf-16", shift=2))
    assert "`iam:CreateVirtualMFADevice`" in contents
    assert "`iam:ListVirtualMFADevices`" in contents
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_global_condition_key(client, tmp_path):
    path = tmp_path / "force-mfa.json"
    await open_document(client, path, SAMPLE_TEXT, "json")
    contents = await hover_text(client, path, position_in(SAMPLE_TEXT, "aws:MultiFactorAuthPresent", "utf-16", shift=6))
    assert contents.startswith("**aws:MultiFactorAuthPresent**: global condition key of type Bool")
    await close_document(client, path)


# -------------------------------------------------------------------------
# Completion
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_action_names(client, encoding, tmp_path):
    text = '{\n  "Statement": [\n    {"Sid": "Ärzte", "Effect": "Allow", "Action": ["iam:Ch'
    path = tmp_path / "typing.json"
    await open_document(client, path, text, "json")
    end = position_in(text, "iam:Ch", encoding, shift=len("iam:Ch"))
    items = await completion_labels(client, path, end)
    info = catalog().action("iam:ChangePassword")
    assert info is not None

    item = items["iam:ChangePassword"]
    assert item.detail == info.description
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "iam:ChangePassword"
    assert as_pairs(item.text_edit.range) == ((2, end.character - 6), (2, end.character))
    assert all(label.startswith("iam:Ch") for label in items)
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_services(client, tmp_path):
    text = '{"Statement": [{"Effect": "Allow", "Action": "ia'
    path = tmp_path / "typing.json"
    await open_document(client, path, text, "json")
    items = await completion_labels(client, path, types.Position(line=0, character=len(text)))
    assert "iam:" in items
    assert items["iam:"].detail == "AWS Identity and Access Management (IAM)"
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_operators_in_condition(client, tmp_path):
    text = '{"Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Condition": {"Bo'
    path = tmp_path / "typing.json"
    await open_document(client, path, text, "json")
    items = await completion_labels(client, path, types.Position(line=0, character=len(text)))
    assert sorted(items) == ["Bool", "BoolIfExists"]
    assert items["Bool"].kind == types.CompletionItemKind.Operator
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_global_keys(client, tmp_path):
    text = '{"Statement": [{"Effect": "Deny", "Condition": {"BoolIfExists": {"aws:MultiFactorA'
    path = tmp_path / "typing.json"
    await open_document(client, path, text, "json")
    items = await completion_labels(client, path, types.Position(line=0, character=len(text)))
    assert sorted(items) == ["aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent"]
    assert items["aws:MultiFactorAuthPresent"].detail == "global condition key, Bool"
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_service_keys(client, tmp_path):
    text = '{"Statement": [{"Effect": "Allow", "Condition": {"StringEquals": {"iam:PassedTo'
    path = tmp_path / "typing.json"
    await open_document(client, path, text, "json")
    items = await completion_labels(client, path, types.Position(line=0, character=len(text)))
    assert list(items) == ["iam:PassedToService"]
    assert items["iam:PassedToService"].detail == "condition key of iam, String"
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_in_yaml_list(client, tmp_path):
    text = "Version: '2012-10-17'\nStatement:\n  - Effect: Deny\n    NotAction:\n      - iam:GetUser\n      - iam:ChangeP"
    path = tmp_path / "typing.yaml"
    await open_document(client, path, text, "yaml")
    items = await completion_labels(client, path, types.Position(line=5, character=len("      - iam:ChangeP")))
    assert list(items) == ["iam:ChangePassword"]
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_in_terraform_condition(client, tmp_path):
    text = 'data "aws_iam_policy_document" "force_mfa" {\n  statement {\n    condition {\n      test = "BoolIf'
    path = tmp_path / "typing.tf"
    await open_document(client, path, text, "terraform")
    items = await completion_labels(client, path, types.Position(line=3, character=len('      test = "BoolIf')))
    assert list(items) == ["BoolIfExists"]
    await close_document(client, path)


# -------------------------------------------------------------------------
# Code actions
# -------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_quick_fix_title_names_rule_code(client, encoding, tmp_path):
    path = tmp_path / "needs-fix.json"
    text = CLEAN_TEXT.replace('"AllowViewAccountInfo"', '"NeedsFix"')
    diagnostic = only(await open_document(client, path, text, "json"), "LSPT001")
    (action,) = await request_actions(client, path, diagnostic)
    assert action.title == "Fix LSPT001: rename the Sid to Fixed"
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.is_preferred
    assert list(action.diagnostics) == [diagnostic]

    fixed = apply_edits(text, action_edits(action, path), encoding)
    assert '"Sid": "Fixed"' in fixed
    assert await replace_text(client, path, 2, fixed) == []
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_quick_fix_of_mfa001_clears_it(client, encoding, tmp_path):
    path = tmp_path / "force-mfa.json"
    diagnostic = only(await open_document(client, path, SAMPLE_TEXT, "json"), "MFA001")
    actions = await request_actions(client, path, diagnostic)
    fixes = [action for action in actions if action.title.startswith("Fix MFA001: ")]
    if not fixes:
        await close_document(client, path)
        pytest.skip("MFA001 offers no fix in this checkout")
    (fix,) = fixes
    fixed = apply_edits(SAMPLE_TEXT, action_edits(fix, path), encoding)
    codes = [item.code for item in await replace_text(client, path, 2, fixed)]
    assert "MFA001" not in codes
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_json_gets_no_ignore_action(client, tmp_path):
    path = tmp_path / "needs-fix.json"
    text = SAMPLE_TEXT.replace('"AllowViewAccountInfo"', '"NeedsFix"')
    diagnostics = await open_document(client, path, text, "json")
    for diagnostic in diagnostics:
        titles = [action.title for action in await request_actions(client, path, diagnostic)]
        assert not any(title.startswith("Ignore") for title in titles), titles
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_ignore_action_for_yaml(client, encoding, tmp_path):
    path = tmp_path / "force-mfa.yaml"
    diagnostic = only(await open_document(client, path, SAMPLE_YAML, "yaml"), "MFA001")
    actions = {action.title: action for action in await request_actions(client, path, diagnostic)}
    action = actions["Ignore MFA001 here"]
    assert action.kind == types.CodeActionKind.QuickFix
    assert list(action.diagnostics) == [diagnostic]

    (edit,) = action_edits(action, path)
    line = SAMPLE_YAML.split("\n")[diagnostic.range.start.line]
    assert edit.new_text == "  # mfalint: ignore[MFA001]"
    assert edit.range.start.line == diagnostic.range.start.line
    assert edit.range.start.character == lsp_character(line, len(line), encoding)
    fixed = apply_edits(SAMPLE_YAML, [edit], encoding)
    assert fixed.split("\n")[diagnostic.range.start.line] == line + "  # mfalint: ignore[MFA001]"
    assert [item.code for item in await replace_text(client, path, 2, fixed)] == ["MFA002"]
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_ignore_action_extends_existing_comment(client, tmp_path):
    path = tmp_path / "force-mfa.yaml"
    diagnostic = only(await open_document(client, path, SAMPLE_YAML, "yaml"), "MFA001")
    lines = SAMPLE_YAML.split("\n")
    lines[diagnostic.range.start.line] += "  # mfalint: ignore[MFA002]"
    text = "\n".join(lines)
    diagnostic = only(await replace_text(client, path, 2, text), "MFA001")

    actions = {action.title: action for action in await request_actions(client, path, diagnostic)}
    (edit,) = action_edits(actions["Ignore MFA001 here"], path)
    fixed = apply_edits(text, [edit], "utf-16")
    assert fixed.split("\n")[diagnostic.range.start.line].endswith("# mfalint: ignore[MFA002, MFA001]")
    await close_document(client, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_ignore_action_for_terraform(client, tmp_path):
    if load_plugins().loader_for_suffix(".tf") is None:
        pytest.skip("no installed loader reads .tf files")
    path = tmp_path / "main.tf"
    text = TERRAFORM_SAMPLE.read_text(encoding="utf-8")
    diagnostic = only(await open_document(client, path, text, "terraform"), "MFA001")
    actions = {action.title: action for action in await request_actions(client, path, diagnostic)}
    (edit,) = action_edits(actions["Ignore MFA001 here"], path)
    assert edit.new_text == "  # mfalint: ignore[MFA001]"
    await close_document(client, path)


# -------------------------------------------------------------------------
# Ignore comments, without a server
# -------------------------------------------------------------------------


def test_ignore_edit_skips_yaml_block_scalar():
    text = "Description: |\n  text # not a comment\n  more\nSid: X\n"
    blocked = comment_blocked_lines(text, ".yaml")
    assert blocked == {1, 2, 3}
    assert ignore_edit(LineIndex(text), 2, "MFA001", blocked) is None
    assert ignore_edit(LineIndex(text), 4, "MFA001", blocked) is not None


def test_ignore_edit_skips_multiline_plain_scalar():
    text = "Sid: first\n  second\nEffect: Deny\n"
    assert comment_blocked_lines(text, ".yaml") == {1}


def test_ignore_edit_skips_terraform_heredoc():
    text = 'resource "aws_iam_policy" "p" {\n  policy = <<EOF\n{"Statement": []}\nEOF\n}\n'
    assert comment_blocked_lines(text, ".tf") == {2, 3, 4}


def test_ignore_edit_keeps_code_already_listed():
    text = "Sid: X  # mfalint: ignore[MFA001]\n"
    assert ignore_edit(LineIndex(text), 1, "MFA001", set()) is None


def test_ignore_edit_replaces_trailing_blanks():
    text = "Sid: X   \n"
    edit = ignore_edit(LineIndex(text), 1, "MFA001", set())
    assert edit is not None
    assert (edit.span.start.column, edit.span.end.column) == (7, 10)
    assert edit.new_text == "  # mfalint: ignore[MFA001]"


def test_ignore_edit_extends_terraform_slash_comment():
    text = 'sid = "X" // mfalint: ignore[MFA002]\n'
    edit = ignore_edit(LineIndex(text), 1, "MFA001", set())
    assert edit is not None
    assert edit.new_text == ", MFA001"
    assert edit.span.start.column == text.index("]") + 1
