"""Settings from ``[tool.mfalint]`` in pyproject.toml or from ``.mfalint.toml``.

The file is searched upward from the current directory. Command-line options
override the file. Unknown keys and bad values raise ConfigError naming the
key and, for a misspelt key, the nearest valid one.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mfalint.findings import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "ConfigError",
    "Settings",
    "find_config_file",
    "load_settings",
    "PASSWORD_RESET_CHOICES",
    "REPORT_UNPARSABLE_CHOICES",
]

PASSWORD_RESET_CHOICES = ("auto", "required", "never")
REPORT_UNPARSABLE_CHOICES = ("all", "policy-like")


class ConfigError(Exception):
    """Invalid configuration: a message that names the file, key and fix."""


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default. Field names use underscores; files use dashes."""

    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    password_reset: str = "auto"
    exclude: tuple[str, ...] = ()
    # Apply exclude to files named on the command line too, as pre-commit names every file.
    force_exclude: bool = False
    # "policy-like": report a file that cannot be parsed only when its text
    # mentions policy elements, so other JSON and YAML files stay silent.
    report_unparsable: str = "all"
    max_file_size: int = 16 * 1024 * 1024
    # Glob pattern -> codes, and statement Sid -> codes, never reported there.
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    per_sid_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    report_unused_suppressions: bool = False
    baseline: str | None = None
    jobs: int = 0  # 0: the number of CPUs
    output_format: str = "text"
    show_source: bool = False
    source: str | None = field(default=None, compare=False)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with every override that is not None applied."""
        return replace(self, **{key: value for key, value in overrides.items() if value is not None})


_FILE_KEYS = {item.name.replace("_", "-"): item.name for item in fields(Settings) if item.name != "source"}
_FILE_KEYS["format"] = _FILE_KEYS.pop("output-format")


def find_config_file(start: Path) -> Path | None:
    """Return the nearest .mfalint.toml, or pyproject.toml with [tool.mfalint], at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / ".mfalint.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if isinstance(data.get("tool"), dict) and "mfalint" in data["tool"]:
                return pyproject
    return None


def _as_codes(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{key} must be a list of rule codes or prefixes, such as [\"MFA\", \"IAM004\"]")
    return tuple(item.strip().upper() for item in value)


def parse_settings(table: dict[str, Any], source: str) -> Settings:
    """Validate a configuration table and turn it into Settings."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _FILE_KEYS:
            close = difflib.get_close_matches(key, list(_FILE_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys are {', '.join(sorted(_FILE_KEYS))}"
            raise ConfigError(f"{source}: unknown key {key!r}{hint}")
        name = _FILE_KEYS[key]
        try:
            values[name] = _convert(name, key, value)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None
    return Settings(**values, source=source)


def _convert(name: str, key: str, value: Any) -> Any:
    if name in ("select", "extend_select", "ignore"):
        return _as_codes(key, value)
    if name == "exclude":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{key} must be a list of glob patterns")
        return tuple(value)
    if name == "fail_on":
        try:
            return Severity.parse(str(value))
        except ValueError as error:
            raise ConfigError(f"{key}: {error}") from None
    if name == "password_reset":
        if value not in PASSWORD_RESET_CHOICES:
            raise ConfigError(f"{key} must be one of {', '.join(PASSWORD_RESET_CHOICES)}, not {value!r}")
        return value
    if name == "max_file_size":
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{key} must be a positive number of bytes, not {value!r}")
        return value
    if name == "output_format":
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string such as \"json\"")
        return value
    if name in ("per_file_ignores", "per_sid_ignores"):
        if not isinstance(value, dict) or not all(
            isinstance(codes, list) and all(isinstance(code, str) for code in codes) for codes in value.values()
        ):
            raise ConfigError(f'{key} must be a table of lists of codes, such as {{"legacy/*.json" = ["MFA002"]}}')
        return {str(pattern): tuple(code.strip().upper() for code in codes) for pattern, codes in value.items()}
    if name == "baseline":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key} must be the path of a baseline file")
        return value
    if name == "jobs":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{key} must be a number of processes, or 0 for one per CPU")
        return value
    if name in ("show_source", "force_exclude", "report_unused_suppressions"):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false")
        return value
    if name == "report_unparsable":
        if value not in REPORT_UNPARSABLE_CHOICES:
            raise ConfigError(f"{key} must be one of {', '.join(REPORT_UNPARSABLE_CHOICES)}, not {value!r}")
        return value
    raise ConfigError(f"unsupported key {key!r}")  # pragma: no cover - _FILE_KEYS and this match


def load_settings(config_path: Path | None = None, start: Path | None = None) -> Settings:
    """Load settings from ``config_path``, or from the nearest configuration file."""
    path = config_path or find_config_file(start or Path.cwd())
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("mfalint", {})
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.mfalint] must be a table")
    return parse_settings(table, str(path))
