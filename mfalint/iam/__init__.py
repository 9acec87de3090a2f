"""The IAM core: action catalog, scenarios, conditions and the evaluator."""

from mfalint.iam.catalog import ActionCatalog, ActionInfo, catalog
from mfalint.iam.conditions import Tri, evaluate_condition, evaluate_conditions
from mfalint.iam.evaluator import (
    ALWAYS_PERMITTED,
    Decision,
    Outcome,
    Reachability,
    StatementRef,
    decide,
    reachable,
    sample_resources,
    statement_applies,
)
from mfalint.iam.global_keys import GLOBAL_KEYS, global_key
from mfalint.iam.scenarios import (
    NO_MFA_SCENARIOS,
    SCENARIOS,
    KeyState,
    Principal,
    RequestContext,
    Scenario,
    scenario,
)

__all__ = [
    "ALWAYS_PERMITTED",
    "ActionCatalog",
    "ActionInfo",
    "Decision",
    "GLOBAL_KEYS",
    "KeyState",
    "NO_MFA_SCENARIOS",
    "Outcome",
    "Principal",
    "Reachability",
    "RequestContext",
    "SCENARIOS",
    "Scenario",
    "StatementRef",
    "Tri",
    "catalog",
    "decide",
    "evaluate_condition",
    "evaluate_conditions",
    "global_key",
    "reachable",
    "sample_resources",
    "scenario",
    "statement_applies",
]
