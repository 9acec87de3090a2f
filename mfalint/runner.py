"""The runner: from paths or text to sorted findings.

The command line, the language server and the library all call this module;
no other code loads files or runs rules.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from mfalint.baseline import filter_baseline, load_baseline
from mfalint.config import Settings
from mfalint.context import Workspace
from mfalint.document import Document, Problem
from mfalint.findings import INTERNAL_ERROR_CODE, INTERNAL_ERROR_NAME, Finding, Severity
from mfalint.loaders import Limits, LoadFailure, decode_bytes, read_bytes
from mfalint.model import Policy
from mfalint.plugins import Plugins, load_plugins
from mfalint.positions import Span
from mfalint.rule import CheckContext, Rule
from mfalint.suppression import UNUSED_CODE, apply_suppressions, collect_suppressions, statement_sid, unused_findings

LOG = logging.getLogger(__name__)

__all__ = ["INTERNAL_ERROR_CODE", "RunResult", "Selector", "Linter", "discover", "display_path"]


# Files that hold policies only after a template engine renders them
# (Terraform templatefile, ERB, Jinja).
TEMPLATE_SUFFIXES = (".tpl", ".tftpl", ".erb", ".j2", ".jinja", ".jinja2", ".tmpl")

# Folders that never hold policies of the project being linted.
_SKIPPED_DIRS = {"node_modules", "__pycache__"}


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    # Reported path of every checked file, in the order read.
    files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    # Baseline entries that matched no finding: fixed since the baseline was written.
    stale_baseline_entries: int = 0

    @property
    def internal_errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.code == INTERNAL_ERROR_CODE]


class Selector:
    """Decide which rule codes run, from select, extend-select and ignore.

    The longest matching prefix wins, so ``--ignore MFA --select MFA001``
    runs MFA001 alone among the MFA rules. ``ALL`` matches every code.
    Opt-in rules run only when a select entry names their full code.
    """

    def __init__(self, settings: Settings) -> None:
        self.select = tuple(settings.select) + tuple(settings.extend_select)
        self.ignore = tuple(settings.ignore)

    @staticmethod
    def _longest(code: str, prefixes: Iterable[str]) -> int:
        best = -1
        for prefix in prefixes:
            if prefix == "ALL":
                best = max(best, 0)
            elif code.startswith(prefix):
                best = max(best, len(prefix))
        return best

    def enabled(self, rule: Rule) -> bool:
        if rule.opt_in and rule.code not in self.select:
            return False
        selected = self._longest(rule.code, self.select)
        ignored = self._longest(rule.code, self.ignore)
        return selected >= 0 and selected > ignored


def display_path(path: str) -> str:
    """Return ``path`` relative to the current directory when it lies under it."""
    if path == "-" or path.startswith("<"):
        return path
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd)
    return os.path.normpath(path)


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    name = os.path.basename(path)
    normalized = path.replace(os.sep, "/")
    return any(fnmatch.fnmatch(normalized, pattern) or fnmatch.fnmatch(name, pattern) for pattern in patterns)


def discover(
    paths: Sequence[str], suffixes: Sequence[str], exclude: Sequence[str] = (), force_exclude: bool = False
) -> Iterator[str]:
    """Yield the files to lint, in a stable order.

    A named file is linted unless ``force_exclude`` is set and it matches
    ``exclude``. A named directory is searched for files
    with one of ``suffixes``, skipping hidden folders, ``node_modules`` and
    ``exclude`` globs. A directory whose own name ends in a policy suffix is
    yielded as a file, so it is reported rather than silently searched.
    Symbolic links to folders are not followed.
    """
    lowered = tuple(suffix.lower() for suffix in suffixes)
    for path in paths:
        if os.path.isdir(path) and not path.lower().rstrip("/").endswith(lowered):
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    name for name in dirs
                    if not name.startswith(".") and name not in _SKIPPED_DIRS and not _excluded(os.path.join(folder, name), exclude)
                )
                for name in sorted(files):
                    candidate = os.path.join(folder, name)
                    if _excluded(candidate, exclude):
                        continue
                    if name.lower().endswith(lowered):
                        yield candidate
                    elif name.lower().endswith(TEMPLATE_SUFFIXES):
                        LOG.warning(
                            "skipped %s: a template that must be rendered before it is a policy; "
                            "lint the rendered output",
                            candidate,
                        )
        elif not (force_exclude and _excluded(os.path.normpath(path), exclude)):
            yield path


def _policy_sets(policies: list[Policy], workspace: Workspace | None) -> list[list[Policy]]:
    """Split a file's policies into the sets that apply together, one per distinct user.

    The workspace may place the policies on IAM users, as in an account dump,
    a plan or a Terraform module. Then each user's policies of this file,
    their own and their groups', form one set, and the policies that no user
    has form one more. Otherwise all policies are one set.
    """
    if workspace is None or not policies:
        return [policies]
    positions = {id(policy): index for index, policy in enumerate(policies)}
    sets: dict[tuple[int, ...], list[Policy]] = {}
    for _user, user_policies in workspace.user_policy_sets():
        indexes = sorted({positions[id(policy)] for policy in user_policies if id(policy) in positions})
        if indexes:
            sets.setdefault(tuple(indexes), [policies[index] for index in indexes])
    if not sets:
        return [policies]
    placed = {index for key in sets for index in key}
    rest = [policy for index, policy in enumerate(policies) if index not in placed]
    # Sets in the order of their policies in the file, not of the users, so
    # listing users in another order gives the same findings.
    return [sets[key] for key in sorted(sets)] + ([rest] if rest else [])


def _hint_template(document: Document) -> None:
    """Add to a named template's parse error that the rendered output is what to lint."""
    document.problems[:] = [
        replace(problem, message=f"{problem.message} (this is a template file, so lint its rendered output instead)")
        if problem.code == "IAM001" and problem.jsonpath == "$"
        else problem
        for problem in document.problems
    ]


# Words that appear in every policy or template. A file that cannot be parsed
# and contains none of them is taken for some other JSON or YAML file.
_POLICY_WORDS = (
    "Statement",
    "Effect",
    "PolicyDocument",
    "AWSTemplateFormatVersion",
    "2012-10-17",
    "2008-10-17",
    "aws_iam_",
    "aws_organizations_policy",
)


def looks_like_policy(text: str) -> bool:
    return any(word in text for word in _POLICY_WORDS)


# NOTE: an estimate, not a measurement: below this many files, starting
# worker processes is assumed to cost more than it saves.
PARALLEL_MIN_FILES = 64

_WORKER_LINTER: Linter | None = None


def _lint_chunk(task: tuple[Settings, list[str]]) -> RunResult:
    """Lint a list of files in a worker process, reusing one Linter per process."""
    global _WORKER_LINTER
    settings, files = task
    if _WORKER_LINTER is None or _WORKER_LINTER.settings != settings:
        _WORKER_LINTER = Linter(settings)
    return _WORKER_LINTER._lint_files(files)


@dataclass
class _Loaded:
    """One input after loading: its document, or the findings that replace it."""

    path: str
    loader: Any = None
    document: Document | None = None
    findings: list[Finding] = field(default_factory=list)
    text: str | None = None
    folder: str | None = None
    workspace: Workspace | None = None


class Linter:
    """Lint files or text with one set of settings and plugins."""

    def __init__(self, settings: Settings | None = None, plugins: Plugins | None = None) -> None:
        self.settings = settings or Settings()
        self.plugins = plugins or load_plugins()
        self.selector = Selector(self.settings)
        self.limits = Limits(max_file_size=self.settings.max_file_size)
        self.rules = [rule for code, rule in sorted(self.plugins.rules.items()) if self.selector.enabled(rule)]

    # -- entry points ------------------------------------------------------

    def unknown_codes(self) -> list[str]:
        """Return the select, extend-select and ignore entries that match no rule code."""
        known = set(self.plugins.rules) | {INTERNAL_ERROR_CODE, UNUSED_CODE}
        entries = (*self.settings.select, *self.settings.extend_select, *self.settings.ignore)
        return [entry for entry in entries if entry != "ALL" and not any(code.startswith(entry) for code in known)]

    def lint_paths(self, paths: Sequence[str]) -> RunResult:
        """Load every file, link the ones read together, then run the rules on each.

        With more than one job and enough files, folders are spread over
        worker processes; the findings are sorted the same way either way.
        """
        files = list(discover(paths, self.plugins.suffixes, self.settings.exclude, self.settings.force_exclude))
        jobs = self.settings.jobs or os.cpu_count() or 1
        if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
            result = self._lint_parallel(files, jobs)
        else:
            result = self._lint_files(files)
        result.findings[:0] = self.plugin_error_findings()
        result.findings.sort(key=lambda finding: finding.sort_key)
        if self.settings.baseline:
            baseline = load_baseline(Path(self.settings.baseline))
            result.findings, result.stale_baseline_entries = filter_baseline(result.findings, baseline)
        return result

    def _lint_parallel(self, files: list[str], jobs: int) -> RunResult:
        import concurrent.futures
        import multiprocessing

        # Files linked together (a Terraform module) stay in one chunk.
        chunks: list[list[str]] = [[] for _ in range(jobs * 4)]
        for group in sorted(self._link_groups(files), key=len, reverse=True):
            min(chunks, key=len).extend(group)
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        LOG.info("linting %d files in %d worker processes (%s)", len(files), jobs, method)
        result = RunResult()
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method)) as pool:
            for part in pool.map(_lint_chunk, [(self.settings, chunk) for chunk in chunks if chunk]):
                result.findings.extend(part.findings)
                result.sources.update(part.sources)
                result.files_checked += part.files_checked
                result.files.extend(part.files)
        return result

    def _link_groups(self, files: list[str]) -> list[list[str]]:
        """Split files into the groups their loaders link together, in discovery order.

        A file whose loader links a whole folder (Terraform) joins the other
        files of that folder with the same loader; every other file is alone.
        """
        groups: dict[tuple[str, ...], list[str]] = {}
        for path in files:
            loader = self.plugins.loader_for_suffix(Path(path).suffix) if Path(path).suffix else None
            if loader is not None and getattr(loader, "link_scope", "file") == "directory":
                key: tuple[str, ...] = ("folder", loader.name, os.path.dirname(os.path.abspath(path)))
            else:
                key = ("file", path)
            groups.setdefault(key, []).append(path)
        return list(groups.values())

    def _lint_files(self, files: list[str]) -> RunResult:
        """Lint one link group at a time, so only one group's documents are in memory."""
        result = RunResult()
        for group in self._link_groups(files):
            loaded: list[_Loaded] = []
            for path in group:
                result.files_checked += 1
                shown = display_path(path)
                result.files.append(shown)
                loaded.append(self._load_file(path, shown))
            self._link(loaded)
            for item in loaded:
                findings = list(item.findings)
                if item.document is not None:
                    findings.extend(self._run_rules(item.document, item.document.policies, item.workspace))
                # Reporters need the text of files with findings (snippets, UTF-16 columns).
                if findings and item.text is not None:
                    result.sources[item.path] = item.text
                result.findings.extend(findings)
        return result

    def lint_text(self, text: str, path: str = "<stdin>") -> list[Finding]:
        """Lint in-memory text, choosing the format from the suffix of ``path``."""
        item = self._load_text(self.loader_for(path, text), text, path)
        self._link([item])
        findings = list(item.findings)
        if item.document is not None:
            findings.extend(self._run_rules(item.document, item.document.policies, item.workspace))
        findings.sort(key=lambda finding: finding.sort_key)
        return findings

    def lint_bytes(self, data: bytes, path: str = "<stdin>") -> tuple[list[Finding], str | None]:
        """Lint raw input such as standard input; return the findings and the decoded text, if any."""
        try:
            if len(data) > self.limits.max_file_size:
                raise LoadFailure(
                    f"input is {len(data):,} bytes, over the limit of {self.limits.max_file_size:,} bytes; "
                    "raise max-file-size in the configuration to read it"
                )
            text = decode_bytes(data)
            if not text.strip():
                # An empty YAML or Terraform file is valid, but empty standard input is a mistake.
                raise LoadFailure("input is empty")
        except LoadFailure as failure:
            document = Document(path=path, text="", format="unknown")
            document.problems.append(Problem("IAM001", failure.span, failure.message))
            return self._run_rules(document, []), None
        return self.lint_text(text, path), text

    def plugin_error_findings(self) -> list[Finding]:
        findings = []
        for error in self.plugins.errors:
            LOG.debug("plugin %s: %s\n%s", error.plugin, error.message, error.details)
            findings.append(
                Finding(
                    INTERNAL_ERROR_CODE,
                    INTERNAL_ERROR_NAME,
                    Severity.ERROR,
                    f"plugin {error.plugin}: {error.message}",
                    "",
                    Span.point(1, 1),
                )
            )
        return findings

    # -- steps ---------------------------------------------------------------

    def loader_for(self, path: str, text: str | None) -> Any:
        suffix = Path(path).suffix
        loader = self.plugins.loader_for_suffix(suffix) if suffix else None
        if loader is None:
            # An unknown suffix (or standard input): JSON if it looks like JSON.
            looks_json = text is not None and text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")
            loader = self.plugins.loader_for_suffix(".json" if looks_json else ".yaml")
        return loader

    def _load_file(self, path: str, shown: str) -> _Loaded:
        try:
            data = read_bytes(path, self.limits)
            text = decode_bytes(data)
        except LoadFailure as failure:
            if self.settings.report_unparsable == "policy-like" and not self._readable_policy_words(path):
                return _Loaded(shown)
            document = Document(path=shown, text="", format="unknown")
            document.problems.append(Problem("IAM001", failure.span, failure.message))
            return _Loaded(shown, document=document)
        item = self._load_text(self.loader_for(path, text), text, shown)
        if item.document is not None and path.lower().endswith(TEMPLATE_SUFFIXES):
            _hint_template(item.document)
        item.text = text
        item.folder = os.path.dirname(os.path.abspath(path))
        return item

    def _load_text(self, loader: Any, text: str, path: str) -> _Loaded:
        if loader is None:
            return _Loaded(path)
        try:
            document = loader.load(text, path, self.limits)
            document.policies = loader.extract(document)
        except Exception as error:  # a third-party loader may raise anything
            LOG.debug("loader %s failed on %s", getattr(loader, "name", loader), path, exc_info=True)
            message = f"loader {getattr(loader, 'name', loader)!r} raised {type(error).__name__}: {error}"
            return _Loaded(path, findings=[self._internal_error(path, message)])
        return _Loaded(path, loader=loader, document=document)

    def _link(self, loaded: list[_Loaded]) -> None:
        """Give each document the Workspace of the files its loader links it with."""
        groups: dict[tuple[int, str], list[_Loaded]] = {}
        for item in loaded:
            if item.document is None or item.loader is None or not hasattr(item.loader, "link"):
                continue
            scope = getattr(item.loader, "link_scope", "file")
            key = (id(item.loader), item.folder if scope == "directory" and item.folder else item.path)
            groups.setdefault(key, []).append(item)
        for items in groups.values():
            loader = items[0].loader
            try:
                workspace = loader.link([item.document for item in items])
            except Exception as error:  # a third-party loader may raise anything
                LOG.debug("loader %s failed to link %s", loader.name, items[0].path, exc_info=True)
                message = f"loader {loader.name!r} failed to link the files: {type(error).__name__}: {error}"
                items[0].findings.append(self._internal_error(items[0].path, message))
                continue
            for item in items:
                item.workspace = workspace

    def _run_rules(self, document: Document, policies: list[Policy], workspace: Workspace | None = None) -> list[Finding]:
        has_principals = workspace is not None and any(
            principal.file == document.path for principal in workspace.principals.values()
        )
        if not policies and not has_principals and not any(problem.code in ("IAM001", "IAM002") for problem in document.problems):
            # Not a policy file: nothing to say about it.
            return []
        if (
            not document.readable
            and document.format != "unknown"  # undecodable standard input is always reported
            and self.settings.report_unparsable == "policy-like"
            and not looks_like_policy(document.text)
        ):
            return []
        # A statement in several users' sets is reported once, with the highest
        # severity any set gives. Among equals, the first set's finding stays.
        chosen: dict[tuple[str, Span, str], Finding] = {}
        policy_sets = _policy_sets(policies, workspace)
        if len(policy_sets) > 1:
            LOG.info("%s: checking %d sets of policies that apply together", document.path, len(policy_sets))
        for policy_set in policy_sets:
            context = CheckContext(document=document, policies=policy_set, settings=self.settings, workspace=workspace)
            for finding in self._check(context):
                key = (finding.code, finding.span, finding.jsonpath)
                if key not in chosen or finding.severity > chosen[key].severity:
                    chosen[key] = finding
        findings = list(chosen.values())
        for finding in findings:
            if "sid" not in finding.details:
                sid = statement_sid(policies, finding)
                if sid:
                    finding.details["sid"] = sid
        suppressions = collect_suppressions(document, self.settings.per_file_ignores, self.settings.per_sid_ignores)
        if suppressions:
            findings = apply_suppressions(findings, suppressions, policies)
            if self.settings.report_unused_suppressions:
                findings.extend(unused_findings(document, suppressions))
        return findings

    def _check(self, context: CheckContext) -> list[Finding]:
        document = context.document
        findings: list[Finding] = []
        for rule in self.rules:
            if not document.readable and rule.code != "IAM001":
                continue
            try:
                findings.extend(rule.check(context))
            except Exception as error:  # a rule may raise anything; the run goes on
                plugin = self.plugins.rule_plugins.get(rule.code, "unknown plugin")
                LOG.debug("rule %s raised on %s:\n%s", rule.code, document.path, traceback.format_exc())
                findings.append(
                    self._internal_error(
                        document.path,
                        f"rule {rule.code} from {plugin} raised {type(error).__name__}: {error}; "
                        "run with -vv for the traceback and report it to the plugin's authors",
                    )
                )
        return findings

    def _readable_policy_words(self, path: str) -> bool:
        """Return True when the start of an unreadable file mentions policy elements."""
        try:
            with open(path, "rb") as handle:
                head = handle.read(min(self.limits.max_file_size, 1 << 20))
        except OSError:
            return False
        return looks_like_policy(head.decode("utf-8", errors="replace"))

    @staticmethod
    def _internal_error(path: str, message: str) -> Finding:
        return Finding(INTERNAL_ERROR_CODE, INTERNAL_ERROR_NAME, Severity.ERROR, message, path, Span.point(1, 1))
