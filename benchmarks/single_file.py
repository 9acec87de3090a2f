"""Compare the whole-process time of ``mfalint FILE`` with parliament's on one file.

The script creates its own virtual environment under ``benchmarks/.work/venv``
and installs parliament from PyPI and mfalint from this checkout into it, so
both tools start from the same kind of installation (regular, not editable).
Each timed run starts a new process and measures it with
``time.perf_counter``, so interpreter start-up, imports, plugin discovery and
output are all included.

parliament gets the policy on standard input (``parliament < FILE``), the
form its ``--help`` documents, because its ``--file`` option exits with a
usage error whenever standard input is not a terminal. Every parliament run
overwrites ``/tmp/parliament.log``, which is parliament's own behaviour.

Both tools run with a fresh temporary HOME and XDG_CACHE_HOME, and the
warm-up runs fill mfalint's catalog cache there before the timed runs start.
The two tools alternate which goes first in each round, so a slow spell on a
shared machine affects both.

Run it with any Python 3.10 or newer; it needs only the standard library:

    python benchmarks/single_file.py [FILE] [--runs N] [--reuse-venv]

The exit status is 0 when the benchmark ran, whether or not the target was
met, and 2 when setting up the environment or running a tool failed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    BENCHMARKS_DIR,
    BenchmarkError,
    describe_checkout,
    display_path,
    installed_version,
    load_average,
    machine_summary,
    positive_int,
    prepare_venv,
    tool_environment,
    utc_now,
    venv_python_version,
)

DEFAULT_POLICY = BENCHMARKS_DIR / "data" / "force-mfa-aws-sample.json"

# mfalint's time divided by parliament's, on the medians, that counts as met.
TARGET_RATIO = 0.5

# Both tools exit 1 when they report a finding, which is a normal run here.
NORMAL_EXIT_CODES = (0, 1)


@dataclass
class Tool:
    """One command to time, with the file it reads on standard input, if any."""

    name: str
    command: list[str]
    stdin_path: Path | None = None
    version: str = "unknown"
    seconds: list[float] = field(default_factory=list)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Print the median whole-process time of mfalint and of parliament on one policy file, and their ratio."
    )
    parser.add_argument(
        "policy",
        nargs="?",
        type=Path,
        default=DEFAULT_POLICY,
        help="JSON policy file to lint (default: benchmarks/data/force-mfa-aws-sample.json).",
    )
    parser.add_argument("--runs", type=positive_int, default=20, help="Timed runs of each tool (default: 20).")
    parser.add_argument(
        "--warmup",
        type=positive_int,
        default=3,
        help="Untimed runs of each tool before the timed ones, which also fill mfalint's catalog cache (default: 3).",
    )
    parser.add_argument(
        "--reuse-venv",
        action="store_true",
        help="Keep benchmarks/.work/venv if it exists instead of recreating it. mfalint is reinstalled from the checkout either way.",
    )
    return parser.parse_args(argv)
















def run_once(tool: Tool, env: dict[str, str], cwd: Path) -> float:
    """Run the tool once and return its wall-clock time in seconds."""
    stdin = open(tool.stdin_path, "rb") if tool.stdin_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        completed = subprocess.run(
            tool.command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd, check=False
        )
        elapsed = time.perf_counter() - start
    finally:
        if tool.stdin_path:
            stdin.close()
    if completed.returncode not in NORMAL_EXIT_CODES:
        message = completed.stderr.decode("utf-8", errors="replace").strip()
        raise BenchmarkError(
            f"{tool.name} exited with status {completed.returncode}, expected 0 or 1: {' '.join(tool.command)}\n{message}"
        )
    return elapsed


def measure(tools: list[Tool], warmup: int, runs: int, env: dict[str, str], cwd: Path) -> None:
    """Run every tool warmup + runs times, alternating which tool goes first, and keep the timed runs."""
    for round_number in range(warmup + runs):
        order = tools if round_number % 2 == 0 else list(reversed(tools))
        for tool in order:
            elapsed = run_once(tool, env, cwd)
            if round_number >= warmup:
                tool.seconds.append(elapsed)






def catalog_cache_state(home: Path) -> str:
    pickles = sorted((home / ".cache" / "mfalint").glob("*.pickle"))
    if not pickles:
        return "not written: no rule needed the full action catalog for this file"
    return "warm: " + ", ".join(path.name for path in pickles)


def print_report(
    policy: Path, tools: list[Tool], args: argparse.Namespace, home: Path, python_version: str, load_before: str
) -> None:
    print()
    print(f"Policy: {display_path(policy)} ({policy.stat().st_size} bytes)")
    print(f"Runs: {args.runs} timed per tool after {args.warmup} warm-up, tools alternating which goes first")
    print(
        f"Machine: {python_version}, {machine_summary()}, load average before the runs {load_before}"
    )
    print(f"Date (UTC): {utc_now()}")
    print(f"mfalint checkout: {describe_checkout()}")
    print(f"mfalint catalog cache: {catalog_cache_state(home)}")
    print()

    header = f"{'tool':<12}{'version':<10}{'median ms':>10}{'min ms':>10}{'max ms':>10}"
    print(header)
    print("-" * len(header))
    for tool in tools:
        milliseconds = [seconds * 1000 for seconds in tool.seconds]
        print(
            f"{tool.name:<12}{tool.version:<10}"
            f"{statistics.median(milliseconds):>10.1f}{min(milliseconds):>10.1f}{max(milliseconds):>10.1f}"
        )
    print()

    mfalint, parliament = tools
    ratio = statistics.median(mfalint.seconds) / statistics.median(parliament.seconds)
    verdict = "target met" if ratio <= TARGET_RATIO else "target missed"
    print(f"Ratio mfalint/parliament (medians): {ratio:.2f}, target at most {TARGET_RATIO:.2f}: {verdict}")
    print("Note: every parliament run overwrites /tmp/parliament.log, which is parliament's own behaviour.")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    policy = args.policy.resolve()
    if not policy.is_file():
        print(f"single_file.py: policy file not found: {args.policy}; pass the path of a JSON policy file", file=sys.stderr)
        return 2

    try:
        bin_dir = prepare_venv(args.reuse_venv)
        tools = [
            Tool("mfalint", [str(bin_dir / "mfalint"), str(policy)]),
            Tool("parliament", [str(bin_dir / "parliament")], stdin_path=policy),
        ]
        for tool in tools:
            tool.version = installed_version(bin_dir, tool.name)
        python_version = venv_python_version(bin_dir)

        load_before = load_average()
        with tempfile.TemporaryDirectory(prefix="mfalint-benchmark-home-") as home_name:
            home = Path(home_name)
            print(f"Timing {args.warmup} warm-up and {args.runs} timed runs of each tool ...", file=sys.stderr, flush=True)
            # The runs start in the empty HOME, so no pyproject.toml or
            # .mfalint.toml above the caller's directory changes mfalint's settings.
            measure(tools, args.warmup, args.runs, tool_environment(bin_dir, home), cwd=home)
            print_report(policy, tools, args, home, python_version, load_before)
    except BenchmarkError as error:
        print(f"single_file.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
