"""Helpers shared by the benchmark scripts: the benchmark venv, tool environments and machine facts.

Only the standard library is used, so the scripts run with any Python 3.10 or
newer before the venv exists.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Sequence

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
WORK_DIR = BENCHMARKS_DIR / ".work"
VENV_DIR = WORK_DIR / "venv"
SOURCE_COPY_DIR = WORK_DIR / "mfalint-src"

# Pinned so that results from different days compare the same parliament.
# parliament 1.6.4 imports pkg_resources, which setuptools removed in 82.
# Python 3.12 and later create venvs without setuptools, so it is installed
# here. Version 80.8.0 still ships pkg_resources and, unlike 80.10.2, prints
# no deprecation warning when parliament imports it.
PARLIAMENT_REQUIREMENTS = ("parliament==1.6.4", "setuptools==80.8.0")

# Left out of the copy of the checkout that pip builds mfalint from. The copy
# keeps pip's build/ and *.egg-info output out of the working tree.
SOURCE_COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".work", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"
)


class BenchmarkError(Exception):
    """A setup step or a tool run failed, so no numbers can be reported."""


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def venv_bin_dir(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin")


def venv_python(bin_dir: Path) -> Path:
    return bin_dir / ("python.exe" if os.name == "nt" else "python")


def run_in_venv(bin_dir: Path, code: str) -> str:
    """Run Python code with the venv's interpreter and return its output, or "unknown" if it failed."""
    completed = subprocess.run([str(venv_python(bin_dir)), "-c", code], capture_output=True, text=True, check=False)
    return completed.stdout.strip() if completed.returncode == 0 else "unknown"


def run_setup_command(command: list[str], description: str) -> None:
    print(f"{description} ...", file=sys.stderr, flush=True)
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{description} failed with exit status {completed.returncode}: {' '.join(command)}; see pip's output above"
        )


def prepare_venv(reuse: bool, extra_requirements: Sequence[str] = ()) -> Path:
    """Create the benchmark's virtual environment, install the tools and return its bin directory.

    parliament and ``extra_requirements`` are installed from PyPI in one pip
    command, so pip resolves their pins together, and mfalint is installed
    last from a copy of the checkout.
    """
    bin_dir = venv_bin_dir(VENV_DIR)
    python = venv_python(bin_dir)
    if reuse and python.exists():
        print(f"Reusing {VENV_DIR.relative_to(REPO_ROOT)}", file=sys.stderr)
    else:
        print(f"Creating {VENV_DIR.relative_to(REPO_ROOT)}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)

    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    requirements = (*PARLIAMENT_REQUIREMENTS, *extra_requirements)
    run_setup_command([*pip, *requirements], f"Installing {' and '.join(requirements)} from PyPI")

    # A fresh copy of the working tree, uncommitted changes included, so the
    # numbers are for the code as it is now.
    if SOURCE_COPY_DIR.exists():
        shutil.rmtree(SOURCE_COPY_DIR)
    shutil.copytree(REPO_ROOT, SOURCE_COPY_DIR, ignore=SOURCE_COPY_IGNORED)
    # pip always rebuilds and reinstalls a project given as a local folder.
    run_setup_command([*pip, str(SOURCE_COPY_DIR)], "Installing mfalint from the checkout")
    return bin_dir


def installed_version(bin_dir: Path, distribution: str) -> str:
    return run_in_venv(bin_dir, f"import importlib.metadata as m; print(m.version({distribution!r}))")


def venv_python_version(bin_dir: Path) -> str:
    return run_in_venv(bin_dir, "import platform; print(platform.python_implementation(), platform.python_version())")


def tool_environment(bin_dir: Path, home: Path) -> dict[str, str]:
    """Return the environment of the timed runs: the caller's, with a fresh HOME and cache directory.

    Python and mfalint variables are dropped so that neither PYTHONPATH nor
    MFALINT_CACHE_DIR from the caller's shell changes what is measured.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "MFALINT_")) and name != "VIRTUAL_ENV"
    }
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", os.defpath)
    env["HOME"] = str(home)
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    return env


def describe_checkout() -> str:
    try:
        completed = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown (git not found)"
    return completed.stdout.strip() if completed.returncode == 0 else "unknown (not a git checkout)"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, or "unknown" where the OS has none."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def utc_now() -> str:
    return f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}"


def machine_summary() -> str:
    return f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
