"""What infrastructure code states about principals: who has which policies, and who must reset a password.

Loaders for CloudFormation, Terraform and account dumps fill a Workspace for
the files they read together (one template, one Terraform module, one dump).
Rules use it to evaluate a user's whole set of policies and to decide how
serious a finding is: a deny that blocks ``iam:ChangePassword`` is an error
when the same code creates a user who must change a password at sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from mfalint.positions import Span

if TYPE_CHECKING:
    from mfalint.model import Policy

__all__ = ["ResetEvidence", "Principal", "Workspace"]


@dataclass(frozen=True)
class ResetEvidence:
    """A fact in the scanned files that forces a password change at sign-in.

    ``principal`` is the key of the user it concerns, or None for an
    account-wide fact such as a password policy whose passwords expire.
    ``description`` is a phrase for messages, such as
    ``user 'new-engineer' must change its password at first sign-in``.
    """

    description: str
    path: str
    span: Span
    principal: str | None = None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.span.start.line}"


@dataclass(eq=False)
class Principal:
    """A user, group or role defined in the scanned files.

    ``key`` is unique within a workspace (a CloudFormation logical ID, a
    Terraform address such as ``aws_iam_user.alice``, or an ARN from a dump).
    ``policies`` are attached directly (inline or managed); a user's group
    policies are reached through ``groups``.
    """

    kind: str  # "user", "group" or "role"
    key: str
    name: str
    path: str
    span: Span
    policies: list[Policy] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    console_password: bool = False
    boundary: Policy | None = None
    # The file that defines the principal, as findings name it.
    file: str = ""


@dataclass
class Workspace:
    """Principals and password-reset evidence of the files linked together."""

    principals: dict[str, Principal] = field(default_factory=dict)
    evidence: list[ResetEvidence] = field(default_factory=list)
    # Built on first use, after linking: each user's policy set, and indexes by
    # policy identity of the principals that hold a policy themselves and of
    # the users that have it.
    _user_sets: list[tuple[Principal, list[Policy]]] | None = field(default=None, init=False, repr=False, compare=False)
    _holders: dict[int, list[Principal]] | None = field(default=None, init=False, repr=False, compare=False)
    _users: dict[int, list[Principal]] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def merged(cls, parts: Iterable[Workspace | None]) -> Workspace:
        """Return one workspace with the principals and evidence of all ``parts``."""
        workspace = cls()
        for part in parts:
            if part is not None:
                workspace.principals.update(part.principals)
                workspace.evidence.extend(part.evidence)
        return workspace

    def add(self, principal: Principal) -> Principal:
        return self.principals.setdefault(principal.key, principal)

    def users(self) -> Iterator[Principal]:
        return (principal for principal in self.principals.values() if principal.kind == "user")

    def policy_set(self, user: Principal) -> list[Policy]:
        """Return every policy that applies to a user: its own and its groups'."""
        policies = list(user.policies)
        for group_key in user.groups:
            group = self.principals.get(group_key)
            if group is not None:
                policies.extend(policy for policy in group.policies if policy not in policies)
        return policies

    def user_policy_sets(self) -> list[tuple[Principal, list[Policy]]]:
        """Return every user with its policy set, computed once."""
        if self._user_sets is None:
            self._user_sets = [(user, self.policy_set(user)) for user in self.users()]
        return self._user_sets

    def holders(self, policy: Policy) -> list[Principal]:
        """Return the users, groups and roles that hold ``policy`` themselves."""
        if self._holders is None:
            self._holders = {}
            for principal in self.principals.values():
                for policy_id in {id(item) for item in principal.policies}:
                    self._holders.setdefault(policy_id, []).append(principal)
        return self._holders.get(id(policy), [])

    def users_with(self, policy: Policy) -> list[Principal]:
        """Return the users that have ``policy``, directly or through a group."""
        if self._users is None:
            self._users = {}
            for user, policies in self.user_policy_sets():
                for policy_id in {id(item) for item in policies}:
                    self._users.setdefault(policy_id, []).append(user)
        return self._users.get(id(policy), [])

    def reset_evidence_for(self, policy: Policy) -> ResetEvidence | None:
        """Return evidence that a user who has ``policy`` must change a password at sign-in.

        Evidence about one of the policy's users comes first; an account-wide
        password policy with expiry applies to every user.
        """
        users = {user.key for user in self.users_with(policy)}
        for item in self.evidence:
            if item.principal is not None and item.principal in users:
                return item
        for item in self.evidence:
            if item.principal is None:
                return item
        return None
