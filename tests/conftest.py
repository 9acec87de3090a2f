"""Shared fixtures: the fixture folder and a linter over the installed plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfalint.config import Settings
from mfalint.runner import Linter

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def lint():
    """Return a function that lints files with optional settings and returns the findings."""
    linters: dict[Settings, Linter] = {}

    def run(*paths: Path | str, **settings):
        key = Settings(**settings)
        linter = linters.get(key)
        if linter is None:
            linter = linters[key] = Linter(key)
        return linter.lint_paths([str(path) for path in paths]).findings

    return run
