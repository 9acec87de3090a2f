"""Hook specifications: what a mfalint plugin can provide.

A plugin is a module (or any object) named by an entry point in the
``mfalint.rules`` group. It implements some of the hooks below with the
``hookimpl`` marker::

    from mfalint import hookimpl

    @hookimpl
    def mfalint_rules():
        return [MyRule()]

Every hook is called once per run, when the plugins are loaded. Hooks return
lists; the plugin manager concatenates them in plugin-name order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from mfalint.loaders import Loader
    from mfalint.reporters import Reporter
    from mfalint.rule import Rule

__all__ = ["PROJECT_NAME", "hookspec", "hookimpl", "mfalint_rules", "mfalint_loaders", "mfalint_reporters"]

PROJECT_NAME = "mfalint"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -------------------------------------------------------------------------
# Rules
# -------------------------------------------------------------------------


@hookspec
def mfalint_rules() -> list[Rule]:
    """Return the rules this plugin provides.

    :return: a list of ``mfalint.rule.Rule`` instances. Each rule's ``code``
        must be unique across all plugins; a clash is reported as an internal
        error naming both plugins.

    Called once per run for every plugin; the results are collected, not
    short-circuited.
    """


# -------------------------------------------------------------------------
# Input formats
# -------------------------------------------------------------------------


@hookspec
def mfalint_loaders() -> list[Loader]:
    """Return loaders for input formats.

    :return: a list of objects that follow ``mfalint.loaders.Loader``: a
        ``name``, the file ``suffixes`` they claim, ``load(text, path,
        limits)`` returning a ``Document`` and ``extract(document)``
        returning the policies in it. When two loaders claim a suffix, the
        one from the plugin whose name sorts first wins.

    Called once per run for every plugin; the results are collected.
    """


# -------------------------------------------------------------------------
# Output formats
# -------------------------------------------------------------------------


@hookspec
def mfalint_reporters() -> list[Reporter]:
    """Return reporters for output formats.

    :return: a list of objects that follow ``mfalint.reporters.Reporter``: a
        ``name`` (the value of ``--format``) and ``render(findings, rules)``
        returning the whole report as text.

    Called once per run for every plugin; the results are collected.
    """
