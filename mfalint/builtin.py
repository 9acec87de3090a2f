"""The built-in loaders and reporters, registered as a plugin like any other."""

from __future__ import annotations

from mfalint.hookspecs import hookimpl
from mfalint.loaders import JsonLoader, YamlLoader
from mfalint.reporters.json import JsonReporter
from mfalint.reporters.text import TextReporter


@hookimpl
def mfalint_loaders():
    return [JsonLoader(), YamlLoader()]


@hookimpl
def mfalint_reporters():
    return [TextReporter(), JsonReporter()]
