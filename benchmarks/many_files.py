"""Compare mfalint with parliament, cfn-lint and checkov on many files, and time the evaluator.

Benchmarks, selected with ``--only`` (default: all):

a. 2,000 JSON policy files: mfalint against ``parliament --directory``.
   Target: mfalint's median time at most 0.50 of parliament's.
b. The evaluator: ``reachable()`` for every scenario on the largest corpus
   policy, in one process, after the catalog is loaded. Target: the median
   time for all scenarios of one policy under 10 ms.
c. 500 CloudFormation templates: mfalint against cfn-lint on the same files.
   Target: a ratio of at most 0.10.
d. 500 Terraform files, one module folder each: mfalint against
   ``checkov -d DIR --framework terraform``. Target: a ratio of at most 0.20.
e. 10,000 files (6,000 policies, 2,000 templates, 2,000 Terraform files):
   mfalint's time and peak memory, beside parliament's on the 6,000 policies.
   Target: mfalint's peak memory under 300 MB.

The inputs come from generate_inputs.py, run on the corpus folder given with
``--corpus``. The tools are installed in the benchmark venv that
single_file.py also uses (``benchmarks/.work/venv``); cfn-lint and checkov
only when their benchmark is selected. Each timed run is a new process, timed
from start to exit, and every tool runs with a fresh temporary HOME, as in
single_file.py. mfalint runs twice per round: with its default ``--jobs``
(one worker process per CPU) and with ``--jobs 1``. In each round the tools
take turns at going first, so a slow spell on a shared machine falls on all.

Peak memory is ``ru_maxrss`` from ``os.wait4``: the largest resident set of
the process or of any child process it waited for, so for a run with worker
processes it is the largest single process, not their sum. Benchmark e also
samples the proportional set size (PSS) of the whole process tree from
``/proc`` every 50 ms, which counts memory shared between processes once.

Run it with any Python 3.10 or newer on Linux or macOS (``os.wait4``); it needs
only the standard library, and pip needs to reach PyPI:

    python benchmarks/many_files.py [--only a,b,c,d,e] [--runs N] [--reuse-venv]

The exit status is 0 when the benchmarks ran, whether or not the targets were
met, and 2 when the setup failed or a tool exited with an unexpected status.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from _common import (
    BENCHMARKS_DIR,
    WORK_DIR,
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
    venv_python,
    venv_python_version,
)
from generate_inputs import DEFAULT_CORPUS, InputError, Written, generate

# Pinned, like parliament, so that results from different days compare the
# same tools. Both were the newest releases on PyPI on 2026-12-04.
CFN_LINT_REQUIREMENT = "cfn-lint==1.58.0"
CHECKOV_REQUIREMENT = "checkov==3.3.30"

INPUTS_DIR = WORK_DIR / "inputs"
EVALUATOR_SCRIPT = BENCHMARKS_DIR / "_evaluator_timing.py"

# Inputs of benchmarks a, c and d, and of benchmark e.
STANDARD_COUNTS = {"policies": 2000, "templates": 500, "terraform": 500}
SCALE_COUNTS = {"policies": 6000, "templates": 2000, "terraform": 2000}

POLICY_TARGET_RATIO = 0.50
EVALUATOR_TARGET_MS = 10.0
CLOUDFORMATION_TARGET_RATIO = 0.10
TERRAFORM_TARGET_RATIO = 0.20
MEMORY_TARGET_MB = 300.0

# Exit statuses of a normal run that may have reported findings. cfn-lint
# adds 2 for errors, 4 for warnings and 8 for informational findings.
MFALINT_EXIT_CODES = (0, 1)
PARLIAMENT_EXIT_CODES = (0, 1)
CFN_LINT_EXIT_CODES = (0, 2, 4, 6, 8, 10, 12, 14)
CHECKOV_EXIT_CODES = (0, 1)

MEMORY_SAMPLE_SECONDS = 0.05
MEGABYTE = 1024 * 1024

BENCHMARK_NAMES = {
    "a": "2,000 JSON policy files: mfalint against parliament",
    "b": "the evaluator: reachable() for every scenario on the largest corpus policy",
    "c": "500 CloudFormation templates: mfalint against cfn-lint",
    "d": "500 Terraform files: mfalint against checkov",
    "e": "10,000 files: mfalint's time and peak memory, beside parliament on the policies among them",
}


@dataclass
class Run:
    seconds: float
    max_rss: int | None
    tree_pss: int | None


@dataclass
class Command:
    """One command to time, and the runs measured so far."""

    label: str
    distribution: str
    argv: list[str]
    files: int
    exit_codes: tuple[int, ...]
    version: str = "unknown"
    runs: list[Run] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def median_seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    def peak_rss(self) -> int | None:
        values = [run.max_rss for run in self.runs if run.max_rss is not None]
        return max(values) if values else None

    def peak_tree_pss(self) -> int | None:
        values = [run.tree_pss for run in self.runs if run.tree_pss is not None]
        return max(values) if values else None


@dataclass
class Context:
    bin_dir: Path
    env: dict[str, str]
    home: Path
    args: argparse.Namespace


# -- measuring -------------------------------------------------------------------


def proc_children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children.extend(int(child) for child in (task / "children").read_text().split())
    except OSError:
        pass
    return children


def process_pss(pid: int) -> int:
    """Return a process's proportional set size in bytes from /proc, or its resident set size where PSS is missing."""
    for name, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(name, encoding="ascii") as handle:
                for line in handle:
                    if line.startswith(key):
                        return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0


class TreeMemorySampler(threading.Thread):
    """Sample the summed PSS of a process and its descendants until stopped, and keep the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(MEMORY_SAMPLE_SECONDS):
            pids = [self.pid]
            for pid in pids:
                pids.extend(proc_children(pid))
            self.peak = max(self.peak, sum(process_pss(pid) for pid in pids))

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak


def tree_sampling_available() -> bool:
    return Path("/proc/self/smaps_rollup").exists() and Path(f"/proc/{os.getpid()}/task").is_dir()


def max_rss_bytes(usage) -> int:
    # Linux reports ru_maxrss in kilobytes, macOS in bytes.
    return usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024


def run_once(command: Command, context: Context, sample_tree: bool, argv: list[str] | None = None) -> Run:
    """Run a command once, check its exit status, and return its wall-clock time and memory."""
    argv = argv or command.argv
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=context.env, cwd=context.home
        )
        sampler = TreeMemorySampler(process.pid) if sample_tree else None
        if sampler:
            sampler.start()
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
            # Popen must not wait for the process again.
            process.returncode = os.waitstatus_to_exitcode(status)
            max_rss: int | None = max_rss_bytes(usage)
        else:
            process.wait()
            elapsed = time.perf_counter() - start
            max_rss = None
        tree_pss = sampler.stop() if sampler else None
        if process.returncode not in command.exit_codes:
            stderr.seek(0)
            message = stderr.read().decode("utf-8", errors="replace").strip()[-3000:]
            raise BenchmarkError(
                f"{command.label} exited with status {process.returncode}, expected one of "
                f"{', '.join(map(str, command.exit_codes))}: {' '.join(argv)}\n{message}"
            )
    command.statuses[process.returncode] += 1
    return Run(elapsed, max_rss, tree_pss)


def measure(commands: list[Command], context: Context, sample_tree: bool = False) -> None:
    """Run every command warmup + runs times, rotating which goes first, and keep the timed runs."""
    warmup, runs = context.args.warmup, context.args.runs
    total = (warmup + runs) * len(commands)
    done = 0
    for round_number in range(warmup + runs):
        shift = round_number % len(commands)
        for command in commands[shift:] + commands[:shift]:
            done += 1
            kind = "warm-up" if round_number < warmup else "timed"
            print(f"  [{done}/{total}] {kind} run of {command.label}", file=sys.stderr, flush=True)
            run = run_once(command, context, sample_tree)
            if round_number >= warmup:
                command.runs.append(run)


# -- what mfalint read ---------------------------------------------------------


@dataclass(frozen=True)
class InputFolder:
    path: Path
    files: int
    label: str


@dataclass
class FolderCoverage:
    """Counts from one untimed mfalint run, with the JSON report, on one input folder."""

    folder: InputFolder
    files_checked: int | None
    findings: Counter
    files_with_findings: int
    internal_errors: list[str]

    @property
    def usable(self) -> bool:
        """True when mfalint read the folder's files without internal errors, so timing it means something."""
        return not self.internal_errors and self.files_checked != 0


def mfalint_coverage(folder: InputFolder, context: Context) -> FolderCoverage:
    """Run mfalint once on a folder with the JSON report, untimed, and count what it found.

    The run also serves as a warm-up: it fills the catalog cache. Exit status 2
    is accepted here, because mfalint returns it for INT001 (internal error)
    findings, such as a loader that is still missing a dependency.
    """
    with tempfile.TemporaryDirectory(prefix="mfalint-report-") as report_dir:
        report = Path(report_dir) / "report.json"
        argv = [str(context.bin_dir / "mfalint"), "-v", "--format", "json", "--output-file", str(report), str(folder.path)]
        completed = subprocess.run(argv, capture_output=True, text=True, env=context.env, cwd=context.home, check=False)
        if completed.returncode not in (*MFALINT_EXIT_CODES, 2) or not report.is_file():
            raise BenchmarkError(
                f"mfalint exited with status {completed.returncode}: {' '.join(argv)}\n{completed.stderr[-3000:]}"
            )
        findings = json.loads(report.read_text(encoding="utf-8"))
    checked = re.search(r"checked (\d+) file", completed.stderr)
    internal = [finding["message"] for finding in findings if finding["code"] == "INT001"]
    return FolderCoverage(
        folder,
        int(checked.group(1)) if checked else None,
        Counter(finding["code"] for finding in findings),
        len({finding["path"] for finding in findings}),
        internal,
    )


def print_coverage(coverage: FolderCoverage) -> None:
    folder = coverage.folder
    checked = "an unknown number" if coverage.files_checked is None else f"{coverage.files_checked:,}"
    total = sum(coverage.findings.values())
    print(
        f"mfalint read {checked} of the {folder.files:,} {folder.label} and reported {total:,} findings "
        f"in {coverage.files_with_findings:,} files (untimed run with --format json)."
    )
    if coverage.findings:
        print("  Findings by code: " + ", ".join(f"{code} {count:,}" for code, count in sorted(coverage.findings.items())))
    if coverage.internal_errors:
        messages = Counter(coverage.internal_errors).most_common(2)
        print(
            f"  NOTE: {len(coverage.internal_errors):,} INT001 (internal error) findings, such as "
            + "; ".join(f"{message!r} ({count:,} files)" for message, count in messages)
            + f". mfalint cannot read these {folder.label} in this checkout, so its timed runs leave them out."
        )
    elif coverage.files_checked == 0:
        print(f"  NOTE: mfalint has no loader for these {folder.label} in this checkout, so its timed runs leave them out.")
    elif coverage.files_checked is not None and coverage.files_checked < folder.files:
        print(f"  NOTE: mfalint skipped {folder.files - coverage.files_checked:,} of the {folder.label}.")
    if total == 0 and coverage.files_checked:
        print(f"  NOTE: no findings at all: mfalint may not read the policies in these {folder.label} yet.")


# -- reporting -------------------------------------------------------------------


def megabytes(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MEGABYTE:.0f}"


def print_table(commands: list[Command], with_tree: bool = False) -> None:
    header = f"{'command':<24}{'version':<9}{'files':>7}{'median s':>10}{'min s':>8}{'max s':>8}{'peak RSS MB':>13}"
    if with_tree:
        header += f"{'tree PSS MB':>13}"
    print(header)
    print("-" * len(header))
    for command in commands:
        seconds = [run.seconds for run in command.runs]
        line = (
            f"{command.label:<24}{command.version:<9}{command.files:>7,}"
            f"{statistics.median(seconds):>10.2f}{min(seconds):>8.2f}{max(seconds):>8.2f}{megabytes(command.peak_rss()):>13}"
        )
        if with_tree:
            line += f"{megabytes(command.peak_tree_pss()):>13}"
        print(line)
    statuses = "; ".join(
        f"{command.label} " + ", ".join(f"{code} x{count}" for code, count in sorted(command.statuses.items())) for command in commands
    )
    print(f"Exit statuses, warm-up runs included: {statuses}")


def print_ratios(mfalint_commands: list[Command], other: Command, target: float) -> None:
    for command in mfalint_commands:
        ratio = command.median_seconds() / other.median_seconds()
        verdict = "target met" if ratio <= target else "target missed"
        print(f"Ratio {command.label}/{other.label} (medians): {ratio:.2f}, target at most {target:.2f}: {verdict}")


def print_heading(letter: str, inputs: str) -> None:
    print()
    print(f"({letter}) {BENCHMARK_NAMES[letter]}")
    print(f"Inputs: {inputs}")
    print(f"Load average before: {load_average()}")


def folder_size(folder: Path) -> str:
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return f"{total / MEGABYTE:.1f} MB"


# -- the benchmarks --------------------------------------------------------------


def mfalint_commands(bin_dir: Path, folders: Sequence[InputFolder]) -> list[Command]:
    mfalint = str(bin_dir / "mfalint")
    paths = [str(folder.path) for folder in folders]
    files = sum(folder.files for folder in folders)
    return [
        Command("mfalint", "mfalint", [mfalint, *paths], files, MFALINT_EXIT_CODES),
        Command("mfalint --jobs 1", "mfalint", [mfalint, "--jobs", "1", *paths], files, MFALINT_EXIT_CODES),
    ]


def set_versions(commands: list[Command], bin_dir: Path) -> None:
    versions: dict[str, str] = {}
    for command in commands:
        if command.distribution not in versions:
            versions[command.distribution] = installed_version(bin_dir, command.distribution)
        command.version = versions[command.distribution]


def compare(context: Context, folders: Sequence[InputFolder], other: Command, sample_tree: bool = False) -> list[Command]:
    """Time mfalint on the folders it can read, and the other tool, in the same rounds.

    Returns the mfalint commands (none when mfalint can read none of the
    folders) followed by the other tool's command.
    """
    usable = []
    for folder in folders:
        coverage = mfalint_coverage(folder, context)
        print_coverage(coverage)
        if coverage.usable:
            usable.append(folder)
    commands = [*(mfalint_commands(context.bin_dir, usable) if usable else []), other]
    set_versions(commands, context.bin_dir)
    measure(commands, context, sample_tree)
    print_table(commands, with_tree=sample_tree)
    return commands


def print_verdicts(commands: list[Command], target: float) -> None:
    if len(commands) == 1:
        print("Ratio: not measured, because mfalint could not read these files in this checkout.")
    else:
        print_ratios(commands[:-1], commands[-1], target)


def parliament_command(bin_dir: Path, folder: Path, files: int) -> Command:
    return Command(
        "parliament --directory", "parliament", [str(bin_dir / "parliament"), "--directory", str(folder)], files, PARLIAMENT_EXIT_CODES
    )


def run_policies(context: Context, inputs: Written) -> None:
    print_heading("a", f"{display_path(inputs.policies)} ({inputs.policy_count:,} JSON files, {folder_size(inputs.policies)})")
    folder = InputFolder(inputs.policies, inputs.policy_count, "policy files")
    commands = compare(context, [folder], parliament_command(context.bin_dir, inputs.policies, inputs.policy_count))
    print_verdicts(commands, POLICY_TARGET_RATIO)


def run_templates(context: Context, inputs: Written) -> None:
    print_heading(
        "c", f"{display_path(inputs.templates)} ({inputs.template_count:,} JSON and YAML templates, {folder_size(inputs.templates)})"
    )
    # cfn-lint gets the file names, so it reads exactly the files that mfalint finds in the folder.
    templates = sorted(path for path in inputs.templates.iterdir() if path.is_file())
    cfn_lint = Command(
        "cfn-lint", "cfn-lint", [str(context.bin_dir / "cfn-lint"), "--", *map(str, templates)], len(templates), CFN_LINT_EXIT_CODES
    )
    folder = InputFolder(inputs.templates, inputs.template_count, "templates")
    print_verdicts(compare(context, [folder], cfn_lint), CLOUDFORMATION_TARGET_RATIO)


CHECKOV_SUMMARY = re.compile(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)")


def checkov_summary(command: Command, context: Context) -> str:
    completed = subprocess.run(command.argv, capture_output=True, text=True, env=context.env, cwd=context.home, check=False)
    totals = [0, 0, 0]
    for match in CHECKOV_SUMMARY.finditer(completed.stdout):
        totals = [total + int(value) for total, value in zip(totals, match.groups())]
    return f"checkov reported {totals[0]:,} passed, {totals[1]:,} failed and {totals[2]:,} skipped checks (untimed run)."


def run_terraform(context: Context, inputs: Written) -> None:
    print_heading(
        "d",
        f"{display_path(inputs.terraform)} ({inputs.terraform_count:,} .tf files, one module folder each, {folder_size(inputs.terraform)})",
    )
    # --skip-download stops checkov 3.3.30 from contacting the Prisma Cloud
    # API, which it otherwise tries at start-up even without an API key.
    checkov = Command(
        "checkov",
        "checkov",
        [str(context.bin_dir / "checkov"), "-d", str(inputs.terraform), "--framework", "terraform", "--quiet", "--skip-download"],
        inputs.terraform_count,
        CHECKOV_EXIT_CODES,
    )
    print(checkov_summary(checkov, context))
    folder = InputFolder(inputs.terraform, inputs.terraform_count, "Terraform files")
    print_verdicts(compare(context, [folder], checkov), TERRAFORM_TARGET_RATIO)


def run_scale(context: Context, inputs: Written, root: Path) -> None:
    print_heading(
        "e",
        f"{display_path(root)} ({inputs.total:,} files: {inputs.policy_count:,} policies, "
        f"{inputs.template_count:,} templates, {inputs.terraform_count:,} Terraform files; {folder_size(root)})",
    )
    folders = [
        InputFolder(inputs.policies, inputs.policy_count, "policy files"),
        InputFolder(inputs.templates, inputs.template_count, "templates"),
        InputFolder(inputs.terraform, inputs.terraform_count, "Terraform files"),
    ]
    parliament = parliament_command(context.bin_dir, inputs.policies, inputs.policy_count)
    sample_tree = tree_sampling_available()
    commands = compare(context, folders, parliament, sample_tree=sample_tree)
    print("parliament reads only the JSON policies, so its time is for fewer files than mfalint's.")
    if not sample_tree:
        print("The PSS of the process tree was not sampled: /proc/PID/smaps_rollup is not available here.")
    for command in commands[:-1]:
        peaks = [value for value in (command.peak_rss(), command.peak_tree_pss()) if value is not None]
        if not peaks:
            print(f"Peak memory of {command.label}: not measured on this platform.")
            continue
        peak = max(peaks) / MEGABYTE
        verdict = "target met" if peak < MEMORY_TARGET_MB else "target missed"
        print(f"Peak memory of {command.label} on {command.files:,} files: {peak:.0f} MB, target under {MEMORY_TARGET_MB:.0f} MB: {verdict}")
    if len(commands) > 1:
        ratio = commands[0].median_seconds() / parliament.median_seconds()
        print(f"Ratio mfalint/parliament (medians, on different numbers of files): {ratio:.2f}; no target.")


def run_evaluator(context: Context, corpus: Path) -> None:
    policies = sorted((corpus / "json").glob("*.json"))
    largest = max(policies, key=lambda path: (path.stat().st_size, path.name))
    print_heading("b", f"{largest.name} from the corpus ({largest.stat().st_size:,} bytes), then each of the {len(policies)} corpus policies")
    python = str(venv_python(context.bin_dir))
    print("  timing reachable() in the benchmark venv ...", file=sys.stderr, flush=True)
    # A first process writes mfalint's catalog cache, so the timed process
    # loads the catalog from it, as every mfalint run after the first does.
    warm = [python, "-c", "from mfalint.iam import catalog; catalog().universe()"]
    subprocess.run(warm, capture_output=True, env=context.env, cwd=context.home, check=False)
    rounds = context.args.evaluator_rounds
    argv = [python, str(EVALUATOR_SCRIPT), str(largest), "--rounds", str(rounds), "--others", *map(str, policies)]
    completed = subprocess.run(argv, capture_output=True, text=True, env=context.env, cwd=context.home, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(
            f"the evaluator timing failed with exit status {completed.returncode}: {' '.join(argv)}\n{completed.stderr[-3000:]}"
        )
    result = json.loads(completed.stdout)

    print(
        f"Catalog: {result['actions']:,} actions, loaded from mfalint's cache in {result['catalog_seconds'] * 1000:.0f} ms (untimed). "
        f"The policy has {result['statements']} statements."
    )
    print(
        f"The first round, which builds the action index, took {result['first_round_seconds'] * 1000:.0f} ms (untimed); "
        f"then 2 untimed rounds and {rounds} timed ones, each calling reachable() once per scenario."
    )
    header = f"{'scenario':<24}{'median ms':>10}{'min ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    for name in result["scenarios"]:
        milliseconds = [value * 1000 for value in result["per_scenario"][name]]
        print(f"{name:<24}{statistics.median(milliseconds):>10.2f}{min(milliseconds):>9.2f}{max(milliseconds):>9.2f}")
    totals = [value * 1000 for value in result["totals"]]
    median_total = statistics.median(totals)
    print(f"{'all scenarios':<24}{median_total:>10.2f}{min(totals):>9.2f}{max(totals):>9.2f}")
    verdict = "target met" if median_total < EVALUATOR_TARGET_MS else "target missed"
    print(f"Median per policy (all scenarios): {median_total:.2f} ms, target under {EVALUATOR_TARGET_MS:.0f} ms: {verdict}")

    others = sorted(item["median_seconds"] * 1000 for item in result["others"])
    slowest = max(result["others"], key=lambda item: item["median_seconds"])
    print(
        f"Each of the {len(others)} corpus policies, all scenarios, median of 5 rounds: "
        f"median {statistics.median(others):.2f} ms, fastest {others[0]:.2f} ms, "
        f"slowest {others[-1]:.2f} ms ({Path(slowest['path']).name})."
    )


# -- command line ------------------------------------------------------------------


def parse_selection(text: str) -> list[str]:
    letters = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [letter for letter in letters if letter not in BENCHMARK_NAMES]
    if unknown or not letters:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(unknown) or repr(text)}; expected a comma-separated list of {', '.join(BENCHMARK_NAMES)}"
        )
    return sorted(set(letters))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time mfalint against parliament, cfn-lint and checkov on many generated files, and time the evaluator.",
        epilog="Benchmarks: " + "; ".join(f"{letter}: {name}" for letter, name in BENCHMARK_NAMES.items()) + ".",
    )
    parser.add_argument(
        "--only", type=parse_selection, default=sorted(BENCHMARK_NAMES), metavar="LIST",
        help="Comma-separated benchmarks to run, from a, b, c, d, e (default: all).",
    )
    parser.add_argument("--runs", type=positive_int, default=3, help="Timed runs of each command in a, c, d and e (default: 3).")
    parser.add_argument("--warmup", type=positive_int, default=1, help="Untimed runs of each command before the timed ones (default: 1).")
    parser.add_argument(
        "--evaluator-rounds", type=positive_int, default=30, help="Timed rounds of reachable() on the largest policy in b (default: 30)."
    )
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS,
        help="Corpus folder with json/, cfn-json/, cfn-yaml/ and terraform/ (default: ../shared/corpus/public from the repository root).",
    )
    parser.add_argument(
        "--reuse-venv", action="store_true",
        help="Keep benchmarks/.work/venv if it exists instead of recreating it. The tools are installed and mfalint reinstalled either way.",
    )
    return parser.parse_args(argv)


def print_machine(bin_dir: Path, args: argparse.Namespace) -> None:
    print()
    print(f"Benchmarks: {', '.join(args.only)}; {args.runs} timed runs per command after {args.warmup} warm-up")
    print(f"Machine: {venv_python_version(bin_dir)}, {machine_summary()}, load average {load_average()}")
    print(f"Date (UTC): {utc_now()}")
    print(f"mfalint checkout: {describe_checkout()}")
    completed = subprocess.run([str(bin_dir / "mfalint"), "--version"], capture_output=True, text=True, check=False)
    lines = [line.strip() for line in completed.stdout.splitlines() if line.strip()]
    print(f"mfalint --version: {'; '.join(lines).replace(':; ', ': ')}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"many_files.py: corpus folder not found: {args.corpus}; pass --corpus DIR, the folder with json/, cfn-json/, cfn-yaml/ and terraform/", file=sys.stderr)
        return 2

    extra = []
    if "c" in args.only:
        extra.append(CFN_LINT_REQUIREMENT)
    if "d" in args.only:
        extra.append(CHECKOV_REQUIREMENT)
    try:
        standard = scale = None
        if set(args.only) & {"a", "c", "d"}:
            print("Generating the inputs of a, c and d ...", file=sys.stderr, flush=True)
            standard = generate(corpus, INPUTS_DIR / "standard", **STANDARD_COUNTS)
        if "e" in args.only:
            print("Generating the inputs of e ...", file=sys.stderr, flush=True)
            scale = generate(corpus, INPUTS_DIR / "scale", **SCALE_COUNTS)

        bin_dir = prepare_venv(args.reuse_venv, extra)
        print_machine(bin_dir, args)
        steps: dict[str, Callable[[Context], None]] = {
            "a": lambda context: run_policies(context, standard),
            "b": lambda context: run_evaluator(context, corpus),
            "c": lambda context: run_templates(context, standard),
            "d": lambda context: run_terraform(context, standard),
            "e": lambda context: run_scale(context, scale, INPUTS_DIR / "scale"),
        }
        for letter in args.only:
            # Each benchmark starts with an empty HOME and catalog cache.
            with tempfile.TemporaryDirectory(prefix="mfalint-benchmark-home-") as home_name:
                home = Path(home_name)
                steps[letter](Context(bin_dir, tool_environment(bin_dir, home), home, args))
                sys.stdout.flush()
    except InputError as error:
        print(f"many_files.py: {error}", file=sys.stderr)
        return 2
    except BenchmarkError as error:
        print(f"many_files.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
