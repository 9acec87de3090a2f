"""Finding and loading plugins from the ``mfalint.rules`` entry-point group.

Loading happens in two steps, as flake8 does it: first the entry points are
listed and sorted by distribution and entry-point name, so every run loads
them in the same order; then each is imported and registered. A plugin that
fails to import, or whose hook raises, is recorded as a ``PluginError``
naming ``distribution[entry point]`` and the run goes on without it.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable

import pluggy

from mfalint import hookspecs
from mfalint.rule import Rule

LOG = logging.getLogger(__name__)

__all__ = ["ENTRY_POINT_GROUP", "PluginInfo", "PluginError", "Plugins", "load_plugins"]

ENTRY_POINT_GROUP = "mfalint.rules"


@dataclass(frozen=True)
class PluginInfo:
    """One entry point of the group: its distribution and name."""

    distribution: str
    version: str
    entry_point: str
    value: str

    @property
    def label(self) -> str:
        return f"{self.distribution}[{self.entry_point}]"


@dataclass(frozen=True)
class PluginError:
    """A plugin that could not be used, with the reason and the traceback text."""

    plugin: str
    message: str
    details: str = ""


@dataclass
class Plugins:
    """The loaded plugins and everything they provide."""

    manager: pluggy.PluginManager
    infos: list[PluginInfo] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    rule_plugins: dict[str, str] = field(default_factory=dict)  # rule code -> plugin label
    loaders: list[Any] = field(default_factory=list)
    reporters: dict[str, Any] = field(default_factory=dict)
    errors: list[PluginError] = field(default_factory=list)

    def loader_for_suffix(self, suffix: str) -> Any | None:
        lowered = suffix.lower()
        for loader in self.loaders:
            if lowered in loader.suffixes:
                return loader
        return None

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(sorted({suffix for loader in self.loaders for suffix in loader.suffixes}))


def _entry_points() -> list[tuple[PluginInfo, metadata.EntryPoint]]:
    found = []
    seen = set()
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist
        name = (distribution.metadata["Name"] if distribution is not None else None) or "unknown"
        version = distribution.version if distribution is not None else "unknown"
        key = (name.lower(), entry_point.name)
        if key in seen:  # the same distribution on sys.path twice
            continue
        seen.add(key)
        found.append((PluginInfo(name, version, entry_point.name, entry_point.value), entry_point))
    found.sort(key=lambda pair: (pair[0].distribution.lower(), pair[0].entry_point))
    return found


def _collect(plugins: Plugins, hook_name: str) -> Iterable[tuple[str, Any]]:
    """Call one hook on each plugin separately, so a raising plugin is isolated."""
    hook = getattr(plugins.manager.hook, hook_name)
    for implementation in hook.get_hookimpls():
        label = implementation.plugin_name
        try:
            # list() inside the try: a generator hook raises only while it is iterated.
            items = list(implementation.function() or [])
        except Exception as error:  # a third-party hook may raise anything
            plugins.errors.append(
                PluginError(label, f"hook {hook_name} raised {type(error).__name__}: {error}", traceback.format_exc())
            )
            continue
        for item in items:
            yield label, item


def load_plugins(extra: Iterable[tuple[str, object]] = ()) -> Plugins:
    """Load every plugin of the entry-point group, plus ``extra`` (name, module) pairs."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager)

    candidates: list[tuple[str, Any]] = []
    for info, entry_point in _entry_points():
        plugins.infos.append(info)
        try:
            module = entry_point.load()
        except Exception as error:  # importing a plugin may raise anything
            plugins.errors.append(
                PluginError(info.label, f"failed to load: {type(error).__name__}: {error}", traceback.format_exc())
            )
            continue
        candidates.append((info.label, module))
    candidates.extend(extra)

    for label, module in candidates:
        try:
            manager.register(module, name=label)
        except (ValueError, pluggy.PluginValidationError) as error:
            plugins.errors.append(PluginError(label, f"failed to register: {error}"))

    for label, rule in _collect(plugins, "mfalint_rules"):
        if not isinstance(rule, Rule):
            plugins.errors.append(PluginError(label, f"mfalint_rules returned a {type(rule).__name__}, which is not a Rule"))
            continue
        code = getattr(rule, "code", None)
        if not isinstance(code, str) or not code:
            plugins.errors.append(PluginError(label, f"rule {type(rule).__name__} has no code; set the class attribute code"))
            continue
        if rule.code in plugins.rules:
            other = plugins.rule_plugins[rule.code]
            plugins.errors.append(PluginError(label, f"rule code {rule.code} is already registered by {other}"))
            continue
        plugins.rules[rule.code] = rule
        plugins.rule_plugins[rule.code] = label
    for _label, loader in _collect(plugins, "mfalint_loaders"):
        plugins.loaders.append(loader)
    for _label, reporter in _collect(plugins, "mfalint_reporters"):
        plugins.reporters.setdefault(reporter.name, reporter)
    return plugins
