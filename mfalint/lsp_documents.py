"""Open documents for the language server: file names, settings and lint results.

The server lints in-memory text with ``Linter.lint_text``, the pipeline the
command line uses. This module chooses the file name passed to the runner,
whose suffix picks the loader, and the configuration file that applies. It
also keeps the latest findings of each document for code actions and hover.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from mfalint.config import ConfigError, Settings, find_config_file, load_settings
from mfalint.findings import Finding
from mfalint.plugins import Plugins
from mfalint.positions import LineIndex
from mfalint.runner import Linter, discover

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LOG = logging.getLogger(__name__)

__all__ = [
    "CONFIG_FILE_NAMES",
    "DocumentName",
    "document_name",
    "ResolvedSettings",
    "SettingsResolver",
    "LintOutcome",
    "LintResult",
    "lint_document",
]

CONFIG_FILE_NAMES = ("pyproject.toml", ".mfalint.toml")

# Editor language identifiers and the suffix whose loader reads them, for
# buffers whose own name does not pick a loader (unsaved, or ``.template``).
# The YAML loader also reads CloudFormation templates written in JSON.
LANGUAGE_SUFFIXES = {
    "json": ".json",
    "jsonc": ".json",
    "yaml": ".yaml",
    "cloudformation": ".yaml",
    "terraform": ".tf",
    "hcl": ".tf",
}

# Formats with ``#`` comments, where an inline ``# mfalint: ignore[CODE]`` works.
COMMENT_SUFFIXES = frozenset({".yaml", ".yml", ".tf", ".hcl"})


@dataclass(frozen=True)
class DocumentName:
    """Location of a document: its file (None for an unsaved buffer) and the name passed to the runner."""

    fs_path: Path | None
    lint_path: str

    @property
    def suffix(self) -> str:
        return Path(self.lint_path).suffix.lower()

    @property
    def has_comments(self) -> bool:
        return self.suffix in COMMENT_SUFFIXES


def document_name(uri: str, language_id: str | None, claimed_suffixes: tuple[str, ...]) -> DocumentName:
    """Name a document for the runner, adding the suffix of its language when its own suffix picks no loader."""
    fs_path = to_fs_path(uri)
    base = fs_path or uri.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "untitled"
    suffix = Path(base).suffix.lower()
    language_suffix = LANGUAGE_SUFFIXES.get((language_id or "").lower())
    if suffix not in claimed_suffixes and language_suffix is not None and language_suffix != suffix:
        base += language_suffix
    return DocumentName(Path(fs_path) if fs_path else None, base)


@dataclass(frozen=True)
class ResolvedSettings:
    """The linter for one configuration file, or for none, and the error that file raised."""

    linter: Linter
    config_path: Path | None
    error: ConfigError | None = None

    @property
    def settings(self) -> Settings:
        return self.linter.settings


def _configured_keys(config_path: Path) -> set[str]:
    """Return the keys a configuration file sets, or an empty set when it cannot be read."""
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set()
    table = data.get("tool", {}).get("mfalint", {}) if config_path.name == "pyproject.toml" else data
    return set(table) if isinstance(table, dict) else set()


def editor_settings(config_path: Path | None) -> Settings:
    """Load settings for the editor, raising ConfigError for an invalid file.

    Unless the file sets ``report-unparsable``, the editor reports a file that
    cannot be parsed only when it mentions policy elements. Otherwise every
    broken JSON or YAML file the editor opens, such as a half-typed
    package.json, would get an IAM001 error.
    """
    settings = load_settings(config_path) if config_path is not None else Settings()
    if config_path is None or "report-unparsable" not in _configured_keys(config_path):
        settings = settings.with_overrides(report_unparsable="policy-like")
    return settings


class SettingsResolver:
    """Linters per configuration file, found upward from each document's folder.

    Results are cached until ``reset``, which the server calls when a
    configuration file changes (or, for clients that cannot watch files, on
    every save). The lint worker and the event loop both use the resolver, so
    a lock guards the caches.
    """

    def __init__(self, plugins: Plugins, root: Path | None = None) -> None:
        self.plugins = plugins
        self.root = root
        self._lock = threading.Lock()
        self._config_of_folder: dict[Path, Path | None] = {}
        self._resolved: dict[Path | None, ResolvedSettings] = {}

    def reset(self) -> None:
        with self._lock:
            self._config_of_folder.clear()
            self._resolved.clear()

    def resolve(self, name: DocumentName) -> ResolvedSettings:
        """Return the linter for a document, from the configuration file nearest to its folder."""
        folder = name.fs_path.parent if name.fs_path is not None else self.root
        with self._lock:
            if folder is None:
                config_path = None
            elif folder in self._config_of_folder:
                config_path = self._config_of_folder[folder]
            else:
                config_path = self._config_of_folder[folder] = find_config_file(folder)
            resolved = self._resolved.get(config_path)
            if resolved is None:
                resolved = self._resolved[config_path] = self._load(config_path)
            return resolved

    def _load(self, config_path: Path | None) -> ResolvedSettings:
        try:
            settings = editor_settings(config_path)
        except ConfigError as error:
            LOG.error("invalid configuration, linting with the default settings: %s", error)
            return ResolvedSettings(Linter(editor_settings(None), self.plugins), config_path, error)
        LOG.info("settings from %s", config_path or "the defaults")
        return ResolvedSettings(Linter(settings, self.plugins), config_path)

    def excluded(self, name: DocumentName, resolved: ResolvedSettings) -> bool:
        """Return True when the configuration's ``exclude`` globs match the document.

        The command line matches the globs against paths relative to the
        current directory, which is usually the folder of the configuration
        file, so the server matches against the path relative to that folder.
        """
        exclude = resolved.settings.exclude
        if not exclude or name.fs_path is None:
            return False
        base = resolved.config_path.parent if resolved.config_path is not None else self.root
        path = str(name.fs_path)
        if base is not None and name.fs_path.is_relative_to(base):
            path = os.path.relpath(name.fs_path, base)
        return next(discover([path], (), exclude, force_exclude=True), None) is None


@dataclass
class LintOutcome:
    """Result of the lint worker for one text."""

    findings: list[Finding]
    config_error: ConfigError | None = None
    config_path: Path | None = None
    # Reason the text was not linted, for the log, or None when it was linted.
    skipped: str | None = None


def lint_document(resolver: SettingsResolver, name: DocumentName, text: str) -> LintOutcome:
    """Lint one text with the settings of its folder, in the lint worker thread."""
    resolved = resolver.resolve(name)
    outcome = LintOutcome([], resolved.error, resolved.config_path)
    # Unlike the command line, which guesses JSON or YAML for a file it is
    # named, the editor skips documents no loader claims, such as TOML files.
    if resolved.linter.plugins.loader_for_suffix(name.suffix) is None:
        outcome.skipped = f"no installed loader reads {name.suffix or 'suffix-less'} files"
    elif resolver.excluded(name, resolved):
        outcome.skipped = "the configuration's exclude setting matches it"
    else:
        outcome.findings = resolved.linter.lint_text(text, name.lint_path)
    return outcome


@dataclass
class LintResult:
    """The findings of one version of a document, with what code actions and hover need."""

    uri: str
    version: int | None
    text: str
    name: DocumentName
    findings: list[Finding]
    diagnostics: list[types.Diagnostic] = field(default_factory=list)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)
