"""MFA014 broad-exemption."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from mfalint.findings import Finding, Severity
from mfalint.iam import catalog
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import BOOTSTRAP_ACTIONS, broken_mfa_condition, expand_actions, mfa_gated

# Exempting these is reported elsewhere (MFA007) or is harmless: IAM policies
# do not control the two STS calls, and CreateLoginProfile fails for a user
# who already has a password.
TOLERATED = BOOTSTRAP_ACTIONS | {
    "sts:getcalleridentity",
    "iam:deactivatemfadevice",
    "iam:deletevirtualmfadevice",
    "iam:createloginprofile",
    "iam:listmfadevicetags",
}
# Access levels whose actions change something; List and Read are tolerated.
_CHANGING = ("Write", "Permissions management", "Tagging")
# Order of the listing: what hands out credentials or permissions comes first.
_LEVEL_ORDER = ("Permissions management", "Write", "Tagging")
_CREDENTIAL_WORDS = (
    "AccessKey",
    "LoginProfile",
    "Password",
    "SSHPublicKey",
    "SigningCertificate",
    "ServiceSpecificCredential",
    "MFADevice",
    "AssumeRole",
)

_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny",
     "NotAction": %s,
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}
"""
_LIST = """["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                   "iam:GetAccountPasswordPolicy", "iam:GetUser", "iam:ListMFADevices",
                   "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"]"""


@lru_cache(maxsize=None)
def _is_changing(level: str) -> bool:
    return any(part.strip() in _CHANGING for part in level.split(","))


def _rank(name: str, level: str) -> tuple[int, int, str]:
    """Sort credential actions first, then by access level (permissions management first), then by name."""
    lowered = name.lower()
    credential = next((index for index, word in enumerate(_CREDENTIAL_WORDS) if word.lower() in lowered), len(_CREDENTIAL_WORDS))
    level_rank = next((index for index, wanted in enumerate(_LEVEL_ORDER) if wanted in level), len(_LEVEL_ORDER))
    return (credential, level_rank, name)


@lru_cache(maxsize=64)
def summarize(exempt: tuple[tuple[str, str], ...], services_shown: int = 6, names_shown: int = 4) -> str:
    """Describe exempt (action, access level) pairs per service; a fully exempt service is ``service:*``.

    Services with credential or permission-management actions come first.
    """
    by_service: dict[str, list[tuple[str, str]]] = {}
    for name, level in exempt:
        by_service.setdefault(name.split(":", 1)[0], []).append((name, level))
    groups = []
    for service, items in by_service.items():
        items.sort(key=lambda item: _rank(*item))
        best = _rank(*items[0])
        total = len(catalog().actions_of(service))
        if total and len(items) == total:
            text = f"{service}:* (all {total} actions)"
        else:
            names = ", ".join(name for name, _level in items[:names_shown])
            text = names + (f" and {len(items) - names_shown} more" if len(items) > names_shown else "")
        groups.append((best[:2], service, text))
    groups.sort()
    shown = "; ".join(text for _rank_key, _service, text in groups[:services_shown])
    if len(groups) > services_shown:
        shown += f"; and {len(groups) - services_shown} more services"
    return shown


class BroadExemption(Rule):
    code = "MFA014"
    name = "broad-exemption"
    severity = Severity.ERROR
    summary = "The MFA deny exempts more than enrolment and password reset."
    docs = RuleDocs(
        what=(
            "Expands the `NotAction` of each MFA deny over the AWS action catalog and lists "
            "the exempt actions that change something (access levels Write, Permissions "
            "management and Tagging) beyond MFA enrolment and the password change: for "
            "example `iam:*`, `iam:Create*`, `sts:AssumeRole` or whole services. Credential "
            "and permission-management actions are listed first."
        ),
        why=(
            "Every exempt action works without MFA for anyone whose other policies allow "
            "it. With `iam:*` exempt, a stolen password can create access keys, attach "
            "policies or delete the MFA policy itself, which undoes the enforcement."
        ),
        example=_POLICY % '"iam:*"',
        use_instead=_POLICY % _LIST,
        fix="List only the enrolment and password actions in `NotAction`; grant everything else with MFA.",
        references=("AWS IAM User Guide: example policy \"Allows MFA-authenticated IAM users to manage their own credentials\"",),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for statement in policy.statements:
                if not statement.is_deny or not statement.not_actions or not mfa_gated(policy, statement):
                    continue
                if broken_mfa_condition(policy, statement) is not None:
                    continue
                exempt = exempt_actions(frozenset(value.text.lower() for value in statement.not_actions))
                if not exempt:
                    continue
                yield context.finding(
                    self,
                    statement.action_node,
                    f"the MFA deny in {statement.label} exempts {len(exempt)} action(s) that change something, so "
                    f"they work without MFA wherever another policy allows them: {summarize(exempt)}; "
                    "exempt only enrolment and the password change",
                )


# Small on purpose: one entry can hold thousands of pairs (a NotAction that
# exempts whole services), and the same few lists recur across a repository.
@lru_cache(maxsize=64)
def exempt_actions(not_actions: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """Return the (action, access level) pairs a NotAction list exempts that change something.

    Cached by the set of texts, because the same exemption lists recur across
    a repository's policies.
    """
    names: set[str] = set()
    everything = False
    for text in not_actions:
        expanded = expand_actions(text)
        if "*" in expanded:
            everything = True
        else:
            names |= expanded
    if everything:
        # Only a service wildcard or "*" needs the whole catalog.
        universe = catalog().universe()
        names.update(f"{service}:{name}".lower() for service, name, _level, _types in universe.actions)
    exempt = []
    for lowered in sorted(names - TOLERATED):
        info = catalog().action(lowered)
        if info is not None and _is_changing(info.access_level):
            exempt.append((info.full_name, info.access_level))
    return tuple(exempt)
