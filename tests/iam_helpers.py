"""Builders for the IAM evaluator tests: policies and conditions from plain dicts.

Every builder runs the real JSON loader and policy extractor, so the tests
evaluate the same model that mfalint builds from a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mfalint.iam import RequestContext, Tri, evaluate_condition
from mfalint.loaders import JsonLoader
from mfalint.model import VERSION_2012, Condition, Policy

FIXTURES = Path(__file__).parent / "fixtures"

ACCOUNT = "123456789012"
ALICE_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB_ARN = f"arn:aws:iam::{ACCOUNT}:user/bob"

# The force-MFA statement of AWS's "manage own credentials" example, with the
# "Deny" + "NotAction" + "BoolIfExists false" idiom that AWS recommends.
FORCE_MFA_DENY: dict[str, Any] = {
    "Sid": "DenyAllExceptListedIfNoMFA",
    "Effect": "Deny",
    "NotAction": [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetUser",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:ResyncMFADevice",
        "sts:GetSessionToken",
    ],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
}


def load_policies(document: Any, path: str = "p.json") -> list[Policy]:
    """Serialise ``document`` to JSON and return the policies the JSON loader extracts."""
    loader = JsonLoader()
    loaded = loader.load(json.dumps(document), path)
    assert loaded.readable, loaded.problems
    return loader.extract(loaded)


def policy(*statements: dict[str, Any], version: str | None = VERSION_2012) -> Policy:
    """Build one policy from statement dicts; ``version=None`` leaves out Version."""
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document = {"Version": version, **document}
    (result,) = load_policies(document)
    return result


def load_fixture(name: str) -> list[Policy]:
    """Return the policies of a JSON file in tests/fixtures."""
    return load_policies(json.loads((FIXTURES / name).read_text(encoding="utf-8")), name)


def condition(operator: str, key: str, values: Any, version: str | None = VERSION_2012) -> tuple[Condition, bool]:
    """Build one condition key test; also return whether its policy substitutes variables."""
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {operator: {key: values}}}
    built = policy(statement, version=version)
    (result,) = built.statements[0].conditions
    return result, built.uses_variables


def evaluate(
    operator: str,
    key: str,
    values: Any,
    context: dict[str, Any] | RequestContext,
    version: str | None = VERSION_2012,
) -> Tri:
    """Evaluate ``{operator: {key: values}}`` against a context (a dict means a complete context)."""
    built, variables = condition(operator, key, values, version)
    if not isinstance(context, RequestContext):
        context = RequestContext(values=context)
    return evaluate_condition(built, context, variables)
