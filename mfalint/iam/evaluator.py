"""The policy evaluator: ``decide`` for one request, ``reachable`` for all actions.

Both follow AWS's documented evaluation logic for identity-based policies
(AWS IAM User Guide, "Policy evaluation logic"): a request starts implicitly
denied; any matching Deny statement makes it explicitly denied, which is
final; otherwise any matching Allow statement allows it. Statement order and
policy boundaries do not matter. A statement matches when its action part,
its resource part and all of its conditions match.

``sts:GetSessionToken`` and ``sts:GetCallerIdentity`` are always permitted,
because IAM policies do not control them.

``reachable`` answers "which actions can this principal perform in this
scenario" for every action of the catalog at once, with Python integers as
bitsets over the action universe. Each action is tried against one sample
resource per resource type it supports (an ARN built from the type's template
for the scenario's principal), or ``"*"`` when it supports none.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

from mfalint.iam.catalog import Universe, catalog
from mfalint.iam.conditions import Tri, evaluate_conditions
from mfalint.iam.patterns import (
    ArnPattern,
    action_matcher,
    action_regex,
    compile_arn_pattern,
    glob_regex,
    split_arn,
    substitute,
    tokenize,
)
from mfalint.iam.scenarios import DEFAULT_PRINCIPAL, Principal, RequestContext, scenario
from mfalint.model import Policy, Statement

__all__ = [
    "ALWAYS_PERMITTED",
    "Outcome",
    "StatementRef",
    "Decision",
    "decide",
    "statement_applies",
    "Reachability",
    "reachable",
    "pattern_mask",
    "sample_resources",
    "DEVICE_NAME",
    "service_wide",
]

ALWAYS_PERMITTED = frozenset({"sts:getsessiontoken", "sts:getcalleridentity"})

# The device name used for ``mfa/`` sample resources. Users name their own
# virtual MFA devices, so it deliberately differs from the user name.
DEVICE_NAME = "my-phone"


class Outcome(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


@dataclass(frozen=True)
class StatementRef:
    policy: Policy
    statement: Statement


@dataclass(frozen=True)
class Decision:
    """The result of evaluating one request.

    ``certain`` is false when a condition on a key the scenario does not
    define could change the outcome. ``statements`` are the statements that
    decided: the matching Deny statements for an explicit deny, the matching
    Allow statements for an allow. ``possible`` lists statements whose
    conditions were unknown.
    """

    outcome: Outcome
    certain: bool = True
    statements: tuple[StatementRef, ...] = ()
    possible: tuple[StatementRef, ...] = ()
    reason: str = ""

    @property
    def allowed(self) -> Tri:
        """True when allowed, False when not, None when it depends on unknown keys."""
        if self.outcome is Outcome.ALLOW:
            return True if self.certain else None
        if self.outcome is Outcome.IMPLICIT_DENY and not self.certain:
            return None
        return False


# Bound on the substituted patterns kept per request context.
_MAX_CONTEXT_PATTERNS = 4096


@lru_cache(maxsize=8192)
def _fixed_resource_pattern(text: str, variables: bool) -> ArnPattern:
    # No variable to substitute: the tokens are already literal text and wildcards.
    return compile_arn_pattern(tokenize(text, variables))  # type: ignore[arg-type]


def _resource_pattern(text: str, variables: bool, context: RequestContext) -> ArnPattern:
    if not variables or "${" not in text:
        return _fixed_resource_pattern(text, variables)
    memo = context.patterns
    pattern = memo.get(text)
    if pattern is None:
        if len(memo) >= _MAX_CONTEXT_PATTERNS:
            memo.clear()
        pattern = memo[text] = compile_arn_pattern(substitute(tokenize(text, True), context.variable))
    return pattern


def service_wide(text: str, service: str, context: RequestContext | None = None) -> bool:
    """Return True for an ARN pattern that covers every resource of ``service``, such as ``arn:aws:s3:::*``.

    AWS documents ``"*"`` for actions without resource-level permissions, but its
    own examples grant such actions (``s3:ListAllMyBuckets``) on
    ``arn:aws:s3:::*`` as well, so a pattern whose resource part is ``*`` counts
    when its partition and account can be the principal's.
    """
    parts = split_arn(text)
    if parts is None or parts[5] != "*":
        return False
    if not _segment_matches(parts[2], service, ignore_case=True) or not _segment_matches(parts[1], "aws"):
        return False
    account = context.variable("aws:PrincipalAccount") if context is not None else None
    return parts[4] == "" or account is None or _segment_matches(parts[4], account)


def _segment_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    tokens = tokenize(pattern, variables=False)
    return glob_regex(tokens, ignore_case=ignore_case).fullmatch(value) is not None


def _matches_resource(patterns: Sequence[str], resource: str, variables: bool, context: RequestContext, service: str) -> bool:
    for text in patterns:
        if text == "*":
            return True
        if resource == "*":
            # An action without resource types is matched only by "*" or a service-wide pattern.
            if service_wide(text, service, context):
                return True
            continue
        if _resource_pattern(text, variables, context).matches(resource):
            return True
    return False


def statement_applies(policy: Policy, statement: Statement, action: str, resource: str, context: RequestContext) -> Tri:
    """Return whether ``statement`` matches the request, in three-valued logic."""
    if statement.effect not in ("Allow", "Deny"):
        return False

    if statement.action_texts is not None:
        action_match = action_matcher(statement.action_texts).matches(action)
    elif statement.not_action_texts is not None:
        action_match = not action_matcher(statement.not_action_texts).matches(action)
    else:
        return False
    if not action_match:
        return False

    variables = policy.uses_variables
    service = action.partition(":")[0].lower()
    if statement.resource_texts is not None:
        resource_match = _matches_resource(statement.resource_texts, resource, variables, context, service)
    elif statement.not_resource_texts is not None:
        resource_match = not _matches_resource(statement.not_resource_texts, resource, variables, context, service)
    else:
        # A trust policy names no Resource: the role itself is the resource.
        resource_match = statement.has_principal
    if not resource_match:
        return False

    return evaluate_conditions(statement.conditions, context, variables)


def decide(policies: Iterable[Policy], action: str, resource: str, context: RequestContext) -> Decision:
    """Evaluate one request (``service:Action`` on ``resource``) against ``policies``."""
    if action.lower() in ALWAYS_PERMITTED:
        return Decision(Outcome.ALLOW, reason=f"{action} is not controlled by IAM policies")

    denies: list[StatementRef] = []
    possible_denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    possible_allows: list[StatementRef] = []
    for policy in policies:
        for statement in policy.statements:
            applies = statement_applies(policy, statement, action, resource, context)
            if applies is False:
                continue
            ref = StatementRef(policy, statement)
            if statement.is_deny:
                (denies if applies else possible_denies).append(ref)
            else:
                (allows if applies else possible_allows).append(ref)

    possible = tuple(possible_denies + possible_allows)
    if denies:
        return Decision(Outcome.EXPLICIT_DENY, True, tuple(denies), possible)
    if allows:
        return Decision(Outcome.ALLOW, not possible_denies, tuple(allows), possible)
    if possible_allows:
        return Decision(Outcome.ALLOW, False, (), possible)
    if possible_denies:
        # Denied either way: explicitly if the deny applies, implicitly if not.
        return Decision(Outcome.IMPLICIT_DENY, True, (), possible)
    return Decision(Outcome.IMPLICIT_DENY, True)


# --- bulk evaluation -------------------------------------------------------


def _fill_template(template: str, principal: Principal) -> str:
    """Build a sample ARN from a catalog template for ``principal``."""
    result = []
    position = 0
    while True:
        start = template.find("${", position)
        if start == -1:
            result.append(template[position:])
            break
        end = template.find("}", start)
        if end == -1:
            result.append(template[position:])
            break
        result.append(template[position:start])
        name = template[start + 2 : end]
        if name == "Partition":
            result.append(principal.partition)
        elif name == "Account":
            result.append(principal.account)
        elif name == "Region":
            result.append("us-east-1")
        elif name in ("UserNameWithPath", "UserName"):
            result.append(principal.path.lstrip("/") + principal.user_name)
        elif name == "MfaTokenIdWithPath":
            result.append(DEVICE_NAME)
        else:
            result.append("example")
        position = end + 1
    return "".join(result)


def sample_resources(action: str, principal: Principal = DEFAULT_PRINCIPAL) -> tuple[str, ...]:
    """Return the sample resources ``reachable`` tries for ``action``."""
    info = catalog().action(action)
    if info is None or not info.resource_types:
        return ("*",)
    samples = []
    for resource_type in info.resource_types:
        template = catalog().arn_template(info.service, resource_type)
        samples.append(_fill_template(template, principal) if template else "*")
    return tuple(samples)


@dataclass
class _Index:
    """Per-universe data for bulk evaluation, built once per process."""

    universe: Universe
    full: int
    groups: list[tuple[int, tuple[str, ...], str]]  # (mask, samples, service)
    groups_by_service: dict[str, list[int]]
    has_sample: list[int]  # has_sample[j]: actions with more than j samples
    names: tuple[str, ...] = ()  # "service:Name" of every action, by position
    # Groups by the service segment of their sample ARNs, so a resource
    # pattern is tried only on the groups whose ARNs it can match. Groups with
    # a "*" sample (or a sample that is no ARN) are always tried.
    groups_by_arn_service: dict[str, list[int]] = field(default_factory=dict)
    arn_service_masks: dict[str, int] = field(default_factory=dict)
    always_tried: set[int] = field(default_factory=set)
    always_tried_mask: int = 0
    real_sample: list[int] = field(default_factory=list)  # real_sample[j]: actions whose sample j is an ARN
    pattern_masks: dict[str, int] = field(default_factory=dict)
    segment_services: dict[re.Pattern[str], frozenset[str]] = field(default_factory=dict)

    def services_matching(self, segment: re.Pattern[str]) -> frozenset[str]:
        """Return the ARN service segments of the samples that ``segment`` matches."""
        found = self.segment_services.get(segment)
        if found is None:
            found = self.segment_services[segment] = frozenset(
                service for service in self.groups_by_arn_service if segment.fullmatch(service)
            )
        return found

    def pattern_mask(self, pattern: str) -> int:
        key = pattern.lower()
        cached = self.pattern_masks.get(key)
        if cached is not None:
            return cached
        mask = 0
        if pattern == "*":
            mask = self.full
        else:
            regex = action_regex(pattern)
            if regex is not None:
                service = key.partition(":")[0]
                if "*" in service or "?" in service:
                    candidates: Iterable[int] = range(len(self.universe.actions))
                else:
                    first, last = self.universe.service_ranges.get(service, (0, 0))
                    candidates = range(first, last)
                actions = self.universe.actions
                for position in candidates:
                    service_name, name, _level, _types = actions[position]
                    if regex.fullmatch(f"{service_name}:{name}"):
                        mask |= 1 << position
        self.pattern_masks[key] = mask
        return mask


@lru_cache(maxsize=4)
def _index(principal: Principal) -> _Index:
    universe = catalog().universe()
    groups_by_key: dict[tuple[str, tuple[str, ...]], int] = {}
    for position, (service, _name, _level, types) in enumerate(universe.actions):
        key = (service, types)
        groups_by_key[key] = groups_by_key.get(key, 0) | (1 << position)
    groups = []
    groups_by_service: dict[str, list[int]] = {}
    max_samples = 1
    for (service, types), mask in groups_by_key.items():
        if types:
            samples = tuple(
                _fill_template(universe.arn_templates[(service, name)], principal)
                if (service, name) in universe.arn_templates
                else "*"
                for name in types
            )
        else:
            samples = ("*",)
        max_samples = max(max_samples, len(samples))
        groups_by_service.setdefault(service, []).append(len(groups))
        groups.append((mask, samples, service))
    has_sample = []
    for j in range(max_samples):
        mask = 0
        for group_mask, samples, _service in groups:
            if len(samples) > j:
                mask |= group_mask
        has_sample.append(mask)
    names = tuple(f"{service}:{name}" for service, name, _level, _types in universe.actions)
    index = _Index(universe, (1 << len(universe.actions)) - 1, groups, groups_by_service, has_sample, names)
    index.real_sample = [0] * max_samples
    for group_id, (mask, samples, _service) in enumerate(groups):
        arn_services: set[str] = set()
        split = [split_arn(sample) if sample != "*" else None for sample in samples]
        if any(parts is None for parts in split):
            index.always_tried.add(group_id)
            index.always_tried_mask |= mask
            continue
        for j, parts in enumerate(split):
            arn_services.add(parts[2])
            index.real_sample[j] |= mask
        for arn_service in arn_services:
            index.groups_by_arn_service.setdefault(arn_service, []).append(group_id)
            index.arn_service_masks[arn_service] = index.arn_service_masks.get(arn_service, 0) | mask
    return index


@dataclass(frozen=True)
class Reachability:
    """The actions a principal can perform in one scenario, for every action of the catalog.

    ``allowed``: allowed on at least one sample resource, for certain.
    ``maybe``: may be allowed, depending on keys the scenario leaves unknown.
    ``denied``: explicitly denied on every sample resource.
    Actions named in the policies but missing from the catalog take part as
    extra positions after the catalog's actions (see ``names``).
    """

    scenario: str
    names: tuple[str, ...]
    allowed: int
    maybe: int
    denied: int

    def _names_of(self, mask: int) -> list[str]:
        result = []
        position = 0
        while mask:
            if mask & 1:
                result.append(self.names[position])
            mask >>= 1
            position += 1
        return result

    def allowed_actions(self) -> list[str]:
        return self._names_of(self.allowed)

    def maybe_actions(self) -> list[str]:
        return self._names_of(self.maybe)

    def denied_actions(self) -> list[str]:
        return self._names_of(self.denied)

    def status(self, action: str) -> Tri:
        """Return True (allowed), None (may be allowed) or False for one action."""
        lowered = action.lower()
        for position, name in enumerate(self.names):
            if name.lower() == lowered:
                if self.allowed >> position & 1:
                    return True
                if self.maybe >> position & 1:
                    return None
                return False
        return False


def _statement_action_mask(index: _Index, statement: Statement, phantoms: list[str]) -> int:
    base = len(index.universe.actions)

    def mask_of(values) -> int:
        mask = 0
        for value in values:
            mask |= index.pattern_mask(value.text)
            regex = action_regex(value.text)
            if regex is not None:
                for offset, name in enumerate(phantoms):
                    if regex.fullmatch(name):
                        mask |= 1 << (base + offset)
        return mask

    full = (1 << (base + len(phantoms))) - 1
    if statement.actions is not None:
        return mask_of(statement.actions)
    if statement.not_actions is not None:
        return full & ~mask_of(statement.not_actions)
    return 0


def pattern_mask(pattern: str) -> int:
    """Return the catalog actions an action pattern matches, as a bitset over the positions of ``reachable``'s names."""
    return _index(DEFAULT_PRINCIPAL).pattern_mask(pattern)


def reachable(policies: Sequence[Policy], scenario_name: str, principal: Principal = DEFAULT_PRINCIPAL) -> Reachability:
    """Compute every action the principal can perform in the named scenario."""
    index = _index(principal)
    context = scenario(scenario_name).context(principal)
    universe = index.universe

    phantoms: list[str] = []
    seen = set()
    for policy in policies:
        for statement in policy.statements:
            for value in (statement.actions or []) + (statement.not_actions or []):
                lowered = value.text.lower()
                if "*" in lowered or "?" in lowered or ":" not in lowered:
                    continue
                if lowered not in universe.index and lowered not in seen:
                    seen.add(lowered)
                    phantoms.append(value.text)
    base = len(universe.actions)
    phantom_mask = ((1 << len(phantoms)) - 1) << base
    full = index.full | phantom_mask

    # star_*: statements whose resource part matches every resource;
    # per_sample_*: statements that match sample j only, keyed by j.
    star = {"allow": 0, "allow?": 0, "deny": 0, "deny?": 0}
    per_sample: dict[str, dict[int, int]] = {key: {} for key in star}

    for policy in policies:
        variables = policy.uses_variables
        for statement in policy.statements:
            if statement.effect not in ("Allow", "Deny"):
                continue
            conditions = evaluate_conditions(statement.conditions, context, variables)
            if conditions is False:
                continue
            actions = _statement_action_mask(index, statement, phantoms)
            if not actions:
                continue
            kind = "allow" if statement.is_allow else "deny"
            if conditions is None:
                kind += "?"

            patterns, negated = _resource_patterns(statement)
            if patterns is None:
                if statement.has_principal:
                    star[kind] |= actions
                continue
            if not negated and "*" in patterns:
                star[kind] |= actions
                continue
            compiled = [(text, _resource_pattern(text, variables, context)) for text in patterns]

            def matches(resource: str, service: str) -> bool:
                if resource == "*":
                    found = any(text == "*" or service_wide(text, service, context) for text, _pattern in compiled)
                else:
                    found = any(text == "*" or pattern.matches(resource) for text, pattern in compiled)
                return not found if negated else found

            # Phantom actions have no known resource types: sample "*", in their own service.
            for offset, name in enumerate(phantoms):
                bit = 1 << (base + offset)
                if actions & bit and matches("*", name.partition(":")[0].lower()):
                    star[kind] |= bit
            group_ids = _candidate_groups(index, statement, actions)
            arn_services = _arn_services(index, [pattern for _text, pattern in compiled])
            if arn_services is not None:
                # No pattern matches a sample ARN of another service. Such groups
                # need no trying, and under NotResource they match as a whole.
                tried = index.always_tried.union(*(index.groups_by_arn_service[name] for name in arn_services))
                group_ids = [group_id for group_id in group_ids if group_id in tried]
                if negated:
                    tried_mask = index.always_tried_mask
                    for name in arn_services:
                        tried_mask |= index.arn_service_masks[name]
                    outside = actions & ~tried_mask
                    for j, real in enumerate(index.real_sample):
                        if outside & real:
                            bucket = per_sample[kind]
                            bucket[j] = bucket.get(j, 0) | (outside & real)
            for group_id in group_ids:
                group_mask, samples, service = index.groups[group_id]
                hit = actions & group_mask
                if not hit:
                    continue
                for j, sample in enumerate(samples):
                    if matches(sample, service):
                        bucket = per_sample[kind]
                        bucket[j] = bucket.get(j, 0) | hit

    allowed = maybe = 0
    denied = full
    for j, in_sample in enumerate(index.has_sample):
        if j > 0:
            in_sample_all = in_sample
        else:
            in_sample_all = in_sample | phantom_mask
        allow_true = star["allow"] | per_sample["allow"].get(j, 0)
        allow_unknown = star["allow?"] | per_sample["allow?"].get(j, 0)
        deny_true = star["deny"] | per_sample["deny"].get(j, 0)
        deny_unknown = star["deny?"] | per_sample["deny?"].get(j, 0)
        allowed_here = allow_true & ~deny_true & ~deny_unknown & in_sample_all
        maybe_here = (allow_true | allow_unknown) & ~deny_true & in_sample_all & ~allowed_here
        allowed |= allowed_here
        maybe |= maybe_here
        denied &= deny_true | ~in_sample_all
    maybe &= ~allowed

    for name in ALWAYS_PERMITTED:
        position = universe.index.get(name)
        if position is not None:
            allowed |= 1 << position
            maybe &= ~(1 << position)
            denied &= ~(1 << position)

    names = index.names + tuple(phantoms)
    return Reachability(scenario_name, names, allowed & full, maybe & full, denied & full)


def _resource_patterns(statement: Statement) -> tuple[tuple[str, ...] | None, bool]:
    if statement.resource_texts is not None:
        return statement.resource_texts, False
    if statement.not_resource_texts is not None:
        return statement.not_resource_texts, True
    return None, False


def _arn_services(index: _Index, patterns: list[ArnPattern]) -> set[str] | None:
    """Return the ARN service segments of the samples the patterns can match, or None when one matches any ARN."""
    services: set[str] = set()
    for pattern in patterns:
        if pattern.match_all:
            return None
        if pattern.segments is not None:
            services |= index.services_matching(pattern.segments[2])
    return services


def _candidate_groups(index: _Index, statement: Statement, actions: int) -> Iterable[int]:
    """Return the action groups a statement can touch, narrowed by service when possible."""
    if statement.actions is not None:
        services = set()
        for value in statement.actions:
            service = value.text.lower().partition(":")[0]
            if value.text == "*" or "*" in service or "?" in service:
                return range(len(index.groups))
            services.add(service)
        return [group for service in sorted(services) for group in index.groups_by_service.get(service, [])]
    return range(len(index.groups))
