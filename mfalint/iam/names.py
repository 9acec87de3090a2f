"""Checking action names against the catalog, with suggestions for near misses."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

from mfalint.iam.catalog import catalog
from mfalint.iam.patterns import action_regex

__all__ = ["ActionCheck", "check_action", "nearest_service"]


@dataclass(frozen=True)
class ActionCheck:
    """The verdict on one Action or NotAction entry.

    ``problem`` is None for a known action or a pattern that matches some
    action, ``"malformed"``, ``"unknown-service"``, ``"unknown-action"`` or
    ``"no-match"`` (a pattern that matches no action). ``suggestion`` is the
    nearest real action or service, when one is close enough.
    """

    text: str
    problem: str | None
    suggestion: str | None = None


@lru_cache(maxsize=None)
def _names_of(service: str) -> dict[str, str]:
    return {info.name.lower(): info.full_name for info in catalog().actions_of(service)}


@lru_cache(maxsize=None)
def _services_with_action(name: str) -> tuple[str, ...]:
    """Return the services that have an action called ``name`` (case-insensitive)."""
    lowered = name.lower()
    universe = catalog().universe()
    found = []
    for service, (first, last) in universe.service_ranges.items():
        if any(universe.actions[position][1].lower() == lowered for position in range(first, last)):
            found.append(service)
    return tuple(found)


@lru_cache(maxsize=1024)
def nearest_service(service: str) -> str | None:
    close = difflib.get_close_matches(service.lower(), sorted(catalog().services()), n=1, cutoff=0.75)
    return close[0] if close else None


@lru_cache(maxsize=8192)
def check_action(text: str) -> ActionCheck:
    """Check one Action or NotAction entry against the catalog."""
    if text == "*":
        return ActionCheck(text, None)
    service, colon, name = text.partition(":")
    if not colon or not service or not name or action_regex(text) is None:
        return ActionCheck(text, "malformed")
    wildcard_service = "*" in service or "?" in service
    wildcard_name = "*" in name or "?" in name

    if wildcard_service:
        regex = action_regex(text)
        universe = catalog().universe()
        matched = any(regex.fullmatch(f"{svc}:{action}") for svc, action, _level, _types in universe.actions)
        return ActionCheck(text, None if matched else "no-match")

    if not catalog().service_exists(service):
        owners = _services_with_action(name) if not wildcard_name else ()
        if owners:
            return ActionCheck(text, "unknown-service", f"{owners[0]}:{_names_of(owners[0])[name.lower()].split(':', 1)[1]}")
        nearest = nearest_service(service)
        return ActionCheck(text, "unknown-service", f"{nearest}:{name}" if nearest else None)

    names = _names_of(service)
    if wildcard_name:
        regex = action_regex(text)
        matched = any(regex.fullmatch(full) for full in names.values())
        return ActionCheck(text, None if matched else "no-match")
    if name.lower() in names:
        return ActionCheck(text, None)

    owners = [owner for owner in _services_with_action(name) if owner != service.lower()]
    if owners:
        owner = owners[0]
        return ActionCheck(text, "unknown-action", _names_of(owner)[name.lower()])
    close = difflib.get_close_matches(name.lower(), list(names), n=1, cutoff=0.8)
    return ActionCheck(text, "unknown-action", names[close[0]] if close else None)
