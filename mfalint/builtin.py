"""The built-in loaders and reporters, registered as a plugin like any other."""

from __future__ import annotations

from mfalint.hookspecs import hookimpl
from mfalint.loaders import JsonLoader, YamlLoader
from mfalint.loaders.terraform import TerraformLoader
from mfalint.reporters.github import GithubReporter
from mfalint.reporters.gitlab import GitlabReporter
from mfalint.reporters.json import JsonReporter
from mfalint.reporters.junit import JunitReporter
from mfalint.reporters.sarif import SarifReporter
from mfalint.reporters.text import TextReporter


@hookimpl
def mfalint_loaders():
    return [JsonLoader(), YamlLoader(), TerraformLoader()]


@hookimpl
def mfalint_reporters():
    return [TextReporter(), JsonReporter(), SarifReporter(), GithubReporter(), JunitReporter(), GitlabReporter()]
