"""mfalint-lsp: the language server, on standard input and output, built with pygls.

The server publishes diagnostics for JSON, YAML (CloudFormation included)
and Terraform documents on open, change and save. It offers each finding's
safe fix and an inline ignore comment as quick fixes. Hover shows rule
documentation and facts about actions, and completion offers action names,
condition keys and condition operators.

Every lint goes through ``Linter.lint_text``, the pipeline of the command
line. Lints run one at a time in a worker thread, so hover and completion
stay responsive while a large policy is linted. A lint whose document has
changed again by the time it finishes is dropped instead of published.

Standard output carries the protocol and nothing else: ``main`` moves the
process's file descriptor 1 to standard error before the server starts, so a
stray ``print`` in a plugin cannot corrupt the message stream.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import from_fs_path, to_fs_path

from mfalint import __version__
from mfalint.cache import cache_dir, write_cache_file
from mfalint.findings import Finding, Severity
from mfalint.lsp_actions import code_actions
from mfalint.lsp_completion import TRIGGER_CHARACTERS, complete
from mfalint.lsp_convert import to_diagnostic
from mfalint.lsp_documents import (
    CONFIG_FILE_NAMES,
    DocumentName,
    LintOutcome,
    LintResult,
    SettingsResolver,
    document_name,
    lint_document,
)
from mfalint.lsp_hover import hover
from mfalint.plugins import Plugins, load_plugins
from mfalint.positions import Span
from mfalint.rule import RuleDocs
from mfalint.ruledocs import render_rule_markdown
from mfalint.runner import INTERNAL_ERROR_CODE

LOG = logging.getLogger(__name__)

__all__ = ["MfalintLanguageServer", "create_server", "main"]

SERVER_NAME = "mfalint-lsp"
# The plugin label, distribution[entry point], of the rules whose pages live in docs/rules/.
_BUILTIN_RULES = "mfalint[builtin]"
# Position encodings the server accepts. The LSP makes UTF-16 the fallback when the client offers neither.
_OFFERED_ENCODINGS = (types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16)
_CONFIG_GLOBS = tuple(f"**/{name}" for name in CONFIG_FILE_NAMES)


class MfalintProtocol(LanguageServerProtocol):
    """pygls's protocol, offering only UTF-8 and UTF-16 positions at initialize."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        general = params.capabilities.general
        if general is not None and general.position_encodings is not None:
            offered = [encoding for encoding in general.position_encodings if encoding in _OFFERED_ENCODINGS]
            # pygls takes the client's first supported encoding, and UTF-16 when none is left.
            general.position_encodings = offered or None
        return (yield from super().lsp_initialize(params))


class MfalintLanguageServer(LanguageServer):
    """The mfalint language server: documents, settings and the lint worker."""

    def __init__(self, docs_url: str | None = None) -> None:
        super().__init__(SERVER_NAME, __version__, protocol_cls=MfalintProtocol)
        self.docs_base_url = docs_url
        self.plugins: Plugins | None = None
        self.resolver: SettingsResolver | None = None
        self.results: dict[str, LintResult] = {}
        self.watching_config = False
        self._generations: dict[str, int] = {}
        self._open: set[str] = set()
        self._shown_config_errors: set[str] = set()
        self._logged_skips: set[tuple[str, str]] = set()
        # Generated rule pages, written once per session: code -> file URL.
        self._rule_pages: dict[str, str | None] = {}
        # A single worker runs one lint at a time, in the order of the changes.
        self._lint_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mfalint-lint")

    # -- set-up ----------------------------------------------------------------

    def setup(self, params: types.InitializeParams) -> None:
        """Load the plugins and read the client's initialization options, during initialize."""
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        if isinstance(options.get("docsUrl"), str):
            self.docs_base_url = options["docsUrl"]
        self.plugins = load_plugins()
        self.resolver = SettingsResolver(self.plugins, _workspace_root(params))
        for error in self.plugins.errors:
            LOG.error("plugin %s: %s\n%s", error.plugin, error.message, error.details)
            self.show_message(f"mfalint: plugin {error.plugin}: {error.message}", types.MessageType.Error)
        LOG.info(
            "mfalint-lsp %s started: %d rules, position encoding %s, rule pages at %s",
            __version__,
            len(self.plugins.rules),
            self.encoding,
            self.docs_base_url or f"{cache_dir() / 'rules'} (generated)",
        )

    async def watch_config_files(self) -> None:
        """Ask the client to report changes of configuration files, when it can watch files."""
        if not get_capability(
            self.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False
        ):
            LOG.info("the client cannot watch files; configuration is reloaded on every save")
            return
        watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in _CONFIG_GLOBS]
        registration = types.Registration(
            id="mfalint-configuration-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await self.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as error:  # the client may reject or fail the request in any way
            LOG.warning("could not register configuration file watchers, reloading on save instead: %s", error)
            return
        self.watching_config = True

    # -- client capabilities ---------------------------------------------------

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        return encoding.value if isinstance(encoding, types.PositionEncodingKind) else str(encoding)

    def _supports_markdown(self, field: str) -> bool:
        formats = get_capability(self.client_capabilities, field, None) or []
        return types.MarkupKind.Markdown in formats

    @property
    def hover_markdown(self) -> bool:
        return self._supports_markdown("text_document.hover.content_format")

    @property
    def completion_markdown(self) -> bool:
        return self._supports_markdown("text_document.completion.completion_item.documentation_format")

    @property
    def document_changes(self) -> bool:
        return bool(get_capability(self.client_capabilities, "workspace.workspace_edit.document_changes", False))

    def show_message(self, message: str, kind: types.MessageType) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def docs_url(self, code: str) -> str | None:
        """Return the address of a rule's documentation page, or None.

        With ``docsUrl`` set, built-in rules link to ``docsUrl/CODE.md`` and
        plugin rules to nothing. Otherwise every documented rule links to a
        page generated from its own documentation in mfalint's cache folder,
        so an installed mfalint needs no network to show it.
        """
        if self.plugins is None:
            return None
        if self.docs_base_url:
            if self.plugins.rule_plugins.get(code) != _BUILTIN_RULES:
                return None
            return f"{self.docs_base_url.rstrip('/')}/{code}.md"
        if code not in self._rule_pages:
            self._rule_pages[code] = self._write_rule_page(code)
        return self._rule_pages[code]

    def _write_rule_page(self, code: str) -> str | None:
        rule = self.plugins.rules.get(code) if self.plugins is not None else None
        if rule is None or not isinstance(getattr(rule, "docs", None), RuleDocs):
            return None
        path = cache_dir() / "rules" / f"{code}.md"
        if not write_cache_file(path, render_rule_markdown(rule).encode("utf-8")):
            return None
        return path.as_uri()

    # -- documents -------------------------------------------------------------

    def opened(self, uri: str) -> None:
        self._open.add(uri)

    def closed(self, uri: str) -> None:
        self._open.discard(uri)
        self._generations[uri] = self._generations.get(uri, 0) + 1
        self.results.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def lint_and_publish(self, uri: str) -> LintResult | None:
        """Lint the current text of a document and publish its diagnostics.

        Returns None, publishing nothing, when the document changed or closed
        while the lint ran, because a newer lint is then queued or nothing is
        to be shown.
        """
        if uri not in self._open or self.plugins is None:
            return None
        document = self.workspace.get_text_document(uri)
        generation = self._generations.get(uri, 0) + 1
        self._generations[uri] = generation
        name = document_name(uri, document.language_id, self.plugins.suffixes)
        text, version = document.source, document.version

        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._lint_executor, self._lint_in_worker, uri, generation, name, text)
        if outcome is None or self._generations.get(uri) != generation:
            return None

        self._report_outcome(uri, outcome)
        result = LintResult(uri, version, text, name, outcome.findings)
        result.diagnostics = [
            to_diagnostic(finding, result.lines, self.encoding, self.docs_url) for finding in outcome.findings
        ]
        self.results[uri] = result
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=result.diagnostics, version=version)
        )
        return result

    def _lint_in_worker(self, uri: str, generation: int, name: DocumentName, text: str) -> LintOutcome | None:
        if self._generations.get(uri) != generation:
            return None  # a newer lint was requested while this one waited for the worker
        assert self.resolver is not None
        try:
            return lint_document(self.resolver, name, text)
        except Exception as error:  # the runner isolates rules and loaders, so this is a bug in mfalint itself
            LOG.exception("linting %s failed", uri)
            message = (
                f"mfalint failed on this document: {type(error).__name__}: {error}; "
                "the language server's log has the traceback"
            )
            finding = Finding(
                INTERNAL_ERROR_CODE, "internal-error", Severity.ERROR, message, name.lint_path, Span.point(1, 1)
            )
            return LintOutcome([finding])

    def _report_outcome(self, uri: str, outcome: LintOutcome) -> None:
        if outcome.config_error is not None and str(outcome.config_error) not in self._shown_config_errors:
            self._shown_config_errors.add(str(outcome.config_error))
            self.show_message(
                f"mfalint: {outcome.config_error}. Linting with the default settings until the file is fixed.",
                types.MessageType.Error,
            )
        if outcome.skipped is not None and (uri, outcome.skipped) not in self._logged_skips:
            self._logged_skips.add((uri, outcome.skipped))
            LOG.info("not linting %s: %s", uri, outcome.skipped)

    async def current_result(self, uri: str) -> LintResult | None:
        """Return the lint result of the document's current text, linting it first when the result is stale."""
        if uri not in self._open:
            return None
        document = self.workspace.get_text_document(uri)
        result = self.results.get(uri)
        if result is None or result.version != document.version or result.text != document.source:
            result = await self.lint_and_publish(uri) or self.results.get(uri)
        if result is None or result.version != document.version:
            return None
        return result

    async def reload_settings(self, reason: str) -> None:
        """Forget every loaded configuration and lint the open documents again."""
        LOG.info("reloading the configuration: %s", reason)
        if self.resolver is not None:
            self.resolver.reset()
        self._shown_config_errors.clear()
        await asyncio.gather(*(self.lint_and_publish(uri) for uri in sorted(self._open)))

    def shutdown(self) -> None:
        self._lint_executor.shutdown(wait=False, cancel_futures=True)
        super().shutdown()


def _workspace_root(params: types.InitializeParams) -> Path | None:
    """Return the first workspace folder, the folder of unsaved buffers' configuration."""
    uri = None
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    elif params.root_path:
        uri = from_fs_path(params.root_path)
    path = to_fs_path(uri) if uri else None
    return Path(path) if path else None


# -------------------------------------------------------------------------
# Features
# -------------------------------------------------------------------------


def create_server(docs_url: str | None = None) -> MfalintLanguageServer:
    """Build the server with every feature registered."""
    server = MfalintLanguageServer(docs_url)

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: MfalintLanguageServer, params: types.InitializeParams) -> None:
        ls.setup(params)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: MfalintLanguageServer, params: types.InitializedParams) -> None:
        await ls.watch_config_files()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def on_open(ls: MfalintLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.opened(params.text_document.uri)
        await ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def on_change(ls: MfalintLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        await ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def on_save(ls: MfalintLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if not ls.watching_config:
            await ls.reload_settings(f"{params.text_document.uri} was saved")
        else:
            await ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls: MfalintLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def on_watched_files(ls: MfalintLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        changed = [change.uri for change in params.changes if change.uri.endswith(CONFIG_FILE_NAMES)]
        if changed:
            await ls.reload_settings(f"{', '.join(changed)} changed")

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def on_code_action(ls: MfalintLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        result = await ls.current_result(params.text_document.uri)
        if result is None:
            return None
        return code_actions(result, params, ls.encoding, ls.document_changes) or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: MfalintLanguageServer, params: types.HoverParams) -> types.Hover | None:
        result = await ls.current_result(params.text_document.uri)
        if result is None or ls.plugins is None:
            return None
        return hover(result, params.position, ls.encoding, ls.plugins, ls.hover_markdown)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS),
    )
    def on_completion(ls: MfalintLanguageServer, params: types.CompletionParams) -> types.CompletionList | None:
        if ls.plugins is None:
            return None
        document = ls.workspace.get_text_document(params.text_document.uri)
        name = document_name(document.uri, document.language_id, ls.plugins.suffixes)
        yaml = name.suffix in (".yaml", ".yml")
        return complete(document.source, params.position, ls.encoding, yaml, ls.completion_markdown)

    return server


# -------------------------------------------------------------------------
# Entry point
# -------------------------------------------------------------------------


def _claim_stdout() -> BinaryIO:
    """Keep standard output for the protocol and send anything else written to it to standard error.

    File descriptor 1 is duplicated for the protocol and then pointed at
    standard error, which also catches output from C extensions and
    subprocesses.
    """
    sys.stdout.flush()
    try:
        protocol_fd = os.dup(sys.stdout.fileno())
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    except (OSError, AttributeError, ValueError) as error:  # no real file descriptors, e.g. an embedded interpreter
        LOG.warning("cannot redirect standard output, only Python's sys.stdout is redirected: %s", error)
        stream = sys.stdout.buffer
    else:
        stream = os.fdopen(protocol_fd, "wb")
    sys.stdout = sys.stderr
    return stream


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=SERVER_NAME,
        description="Language server for mfalint, on standard input and output.",
    )
    parser.add_argument(
        "--docs-url",
        metavar="URL",
        help="base URL of the rule pages, so a diagnostic of rule CODE links to URL/CODE.md "
        "(default: pages generated from each rule's documentation in mfalint's cache folder)",
    )
    parser.add_argument(
        "--stdio",
        action="store_true",
        help="accepted and ignored, for clients that always pass it (standard input and output are the only transport)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more to standard error: -v for progress, -vv for debugging details",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the language server until the client sends exit or closes standard input."""
    args = _parse_arguments(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        # pygls logs every message at INFO, which would drown the server's own lines.
        logging.getLogger("pygls").setLevel(max(level, logging.WARNING))
    protocol_stdout = _claim_stdout()
    server = create_server(docs_url=args.docs_url)
    server.start_io(sys.stdin.buffer, protocol_stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
