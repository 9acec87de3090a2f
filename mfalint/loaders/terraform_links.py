"""Linking a Terraform module: who has which policy, and who must change a password at sign-in.

References are resolved by address within the module (``aws_iam_user.x.name``,
``aws_iam_policy.y.arn``, ``data.aws_iam_policy_document.z.json``), and a
literal name or policy ARN is matched against the names the module gives its
resources. Anything computed (``each.key``, ``element(var.users, ...)``) links
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from mfalint.context import Principal, ResetEvidence, Workspace
from mfalint.document import Document
from mfalint.loaders.terraform import POLICY_ATTRIBUTES, ModuleFile, ResourcePolicies, resource_kind
from mfalint.loaders.reading import LoadFailure
from mfalint.loaders.terraform_hcl import Block, HclReader, Reference, is_unknown
from mfalint.model import Policy, PolicyKind
from mfalint.nodes import ScalarNode, SequenceNode

__all__ = ["link_module"]

_PRINCIPAL_TYPES = {"aws_iam_user": "user", "aws_iam_group": "group", "aws_iam_role": "role"}

# Resources that give principals policies: type -> (principal attribute -> principal kind, policy attribute).
# The plural attributes (users, groups, roles) contain lists.
_ATTACHMENTS: dict[str, tuple[dict[str, str], str]] = {
    "aws_iam_user_policy": ({"user": "user"}, "policy"),
    "aws_iam_group_policy": ({"group": "group"}, "policy"),
    "aws_iam_role_policy": ({"role": "role"}, "policy"),
    "aws_iam_user_policy_attachment": ({"user": "user"}, "policy_arn"),
    "aws_iam_group_policy_attachment": ({"group": "group"}, "policy_arn"),
    "aws_iam_role_policy_attachment": ({"role": "role"}, "policy_arn"),
    "aws_iam_policy_attachment": ({"users": "user", "groups": "group", "roles": "role"}, "policy_arn"),
}


@dataclass(eq=False)
class _Resource:
    document: Document
    module_file: ModuleFile
    block: Block

    @property
    def reader(self) -> HclReader:
        return self.module_file.reader

    def literal(self, name: str) -> Any:
        """Return an attribute's value when the text alone gives it, else None."""
        attribute = self.block.attributes.get(name)
        if attribute is None:
            return None
        try:
            value = self.reader.value(attribute.expression, ())
        except LoadFailure:  # nested past the limits: as good as unknown
            return None
        if isinstance(value, ScalarNode) and not is_unknown(value):
            return value.value
        return None


class _Linker:
    def __init__(self, documents: list[Document]) -> None:
        self.workspace = Workspace()
        self.resources: list[_Resource] = []
        self.documents: dict[str, Policy] = {}
        self.merges: dict[str, tuple[list[Reference], list[Reference]]] = {}
        self.attributes: dict[tuple[str, str], ResourcePolicies] = {}
        self.names: dict[tuple[str, str], str] = {}  # (kind, IAM name) -> principal key
        self.policy_names: dict[str, str] = {}  # IAM policy name -> aws_iam_policy address
        for document in documents:
            module_file = document.facts.get("terraform")
            if not isinstance(module_file, ModuleFile) or not document.readable:
                continue
            self.documents.update(module_file.documents)
            for address, source in module_file.merges.items():
                self.merges[address] = (source.sources, source.overrides)
            self.attributes.update(module_file.attributes)
            for block in module_file.blocks:
                if block.type == "resource" and len(block.labels) == 2:
                    self.resources.append(_Resource(document, module_file, block))

    # -- policies ------------------------------------------------------------

    def document_policies(self, address: str, seen: set[str] | None = None) -> list[Policy]:
        """Return a policy document and, transitively, the documents it merges.

        NOTE: overriding by Sid is not modelled, so a statement that an
        override document replaces is still checked beside its replacement.
        """
        seen = seen if seen is not None else set()
        if address in seen or address not in self.documents:
            return []
        seen.add(address)
        policies = [self.documents[address]]
        sources, overrides = self.merges.get(address, ([], []))
        for reference in [*sources, *overrides]:
            if reference.address is not None:
                policies.extend(self.document_policies(reference.address, seen))
        return policies

    def resolve(self, entry: ResourcePolicies | None, seen: set[int] | None = None) -> list[Policy]:
        """Return the policies of an attribute: its own and those of the documents or resources it references."""
        seen = seen if seen is not None else set()
        if entry is None or id(entry) in seen:
            return []
        seen.add(id(entry))
        policies = list(entry.policies)
        for reference in entry.references:
            address = reference.address
            if address is None:
                continue
            if address in self.documents:
                policies.extend(self.document_policies(address))
            elif reference.attribute == "policy":
                # policy = aws_iam_policy.other.policy
                policies.extend(self.resolve(self.attributes.get((address, "policy")), seen))
        return _unique(policies)

    def policies_for_arn(self, resource: _Resource, attribute_name: str) -> list[Policy]:
        """Return the policies an ARN attribute (``policy_arn``, ``permissions_boundary``) names."""
        attribute = resource.block.attributes.get(attribute_name)
        if attribute is None:
            return []
        policies: list[Policy] = []
        for reference in resource.reader.references(attribute.expression):
            if reference.address is not None and reference.address.startswith("aws_iam_policy."):
                policies.extend(self.resolve(self.attributes.get((reference.address, "policy"))))
        for arn in _strings(resource, attribute_name):
            # A customer managed policy ARN names the policy last; AWS managed ones (":aws:policy/") are never defined here.
            managed_by_aws = ":aws:policy/" in arn
            address = self.policy_names.get(arn.rsplit("/", 1)[-1]) if ":policy/" in arn and not managed_by_aws else None
            if address is not None:
                policies.extend(self.resolve(self.attributes.get((address, "policy"))))
        return _unique(policies)

    # -- principals --------------------------------------------------------------

    def principal_keys(self, resource: _Resource, attribute_name: str, kind: str) -> list[str]:
        """Return the principals an attribute names, by reference or by literal IAM name."""
        attribute = resource.block.attributes.get(attribute_name)
        if attribute is None:
            return []
        keys = []
        for reference in resource.reader.references(attribute.expression):
            address = reference.address
            if address is not None and address in self.workspace.principals and self.workspace.principals[address].kind == kind:
                keys.append(address)
        for name in _strings(resource, attribute_name):
            key = self.names.get((kind, name))
            if key is None:
                # A principal this module does not define, named literally: link it by name.
                key = f"{kind}:{name}"
                self.workspace.add(Principal(kind, key, name, "/", attribute.span))
                self.names[(kind, name)] = key
            keys.append(key)
        return keys

    def add_principals(self) -> None:
        for resource in self.resources:
            resource_type, label = resource.block.labels
            kind = _PRINCIPAL_TYPES.get(resource_type)
            if resource_type == "aws_iam_policy":
                name = resource.literal("name")
                if isinstance(name, str):
                    self.policy_names[name] = f"{resource_type}.{label}"
            if kind is None:
                continue
            name = resource.literal("name")
            name = name if isinstance(name, str) else label
            iam_path = resource.literal("path")
            key = f"{resource_type}.{label}"
            iam_path = iam_path if isinstance(iam_path, str) else "/"
            self.workspace.add(Principal(kind, key, name, iam_path, resource.block.header, file=resource.document.path))
            self.names[(kind, name)] = key

    def attach(self, keys: list[str], policies: list[Policy]) -> None:
        for key in keys:
            principal = self.workspace.principals[key]
            principal.policies.extend(policy for policy in policies if not any(policy is held for held in principal.policies))

    # -- resources -------------------------------------------------------------

    def link(self) -> Workspace:
        self.add_principals()
        self.set_kinds()
        for resource in self.resources:
            resource_type = resource.block.labels[0]
            address = ".".join(resource.block.labels)
            kind = _PRINCIPAL_TYPES.get(resource_type)
            if kind is not None:
                self.link_principal(resource, address, kind)
            elif resource_type in _ATTACHMENTS:
                self.link_attachment(resource, address, resource_type)
            elif resource_type == "aws_iam_user_group_membership":
                groups = self.principal_keys(resource, "groups", "group")
                for user in self.principal_keys(resource, "user", "user"):
                    self.workspace.principals[user].groups.extend(groups)
            elif resource_type == "aws_iam_group_membership":
                groups = self.principal_keys(resource, "group", "group")
                for user in self.principal_keys(resource, "users", "user"):
                    self.workspace.principals[user].groups.extend(groups)
            elif resource_type == "aws_iam_user_login_profile":
                self.link_login_profile(resource)
            elif resource_type == "aws_iam_account_password_policy":
                self.link_password_policy(resource)
        return self.workspace

    def set_kinds(self) -> None:
        """Give referenced policy documents the kind their resource gives them.

        Identity policies come first, so that a document also used as a trust
        policy, SCP or (later, in ``link_principal``) permissions boundary
        takes that more specific kind.
        """
        kinds: list[tuple[PolicyKind, list[Policy]]] = []
        for resource in self.resources:
            resource_type = resource.block.labels[0]
            if resource_type not in POLICY_ATTRIBUTES:
                continue
            address = ".".join(resource.block.labels)
            kind = resource_kind(resource.reader, resource.block)
            if kind is not None:
                kinds.append((kind, self.resolve(self.attributes.get((address, POLICY_ATTRIBUTES[resource_type][0])))))
            if resource_type == "aws_iam_role":
                kinds.append((PolicyKind.IDENTITY, self.resolve(self.attributes.get((address, "inline_policy")))))
        kinds.sort(key=lambda item: item[0] is not PolicyKind.IDENTITY)
        for kind, policies in kinds:
            self.set_kind(policies, kind)

    def set_kind(self, policies: list[Policy], kind: PolicyKind) -> None:
        for policy in policies:
            policy.kind = kind

    def link_principal(self, resource: _Resource, address: str, kind: str) -> None:
        principal = self.workspace.principals[address]
        if kind in ("user", "role"):
            boundary = self.policies_for_arn(resource, "permissions_boundary")
            self.set_kind(boundary, PolicyKind.BOUNDARY)
            if boundary:
                principal.boundary = boundary[0]
        if kind == "role":
            self.attach([address], self.resolve(self.attributes.get((address, "inline_policy"))))
            self.attach([address], self.policies_for_arn(resource, "managed_policy_arns"))

    def link_attachment(self, resource: _Resource, address: str, resource_type: str) -> None:
        principal_attributes, source = _ATTACHMENTS[resource_type]
        if source == "policy":
            policies = self.resolve(self.attributes.get((address, "policy")))
        else:
            policies = self.policies_for_arn(resource, source)
        for attribute_name, kind in principal_attributes.items():
            self.attach(self.principal_keys(resource, attribute_name, kind), policies)

    def link_login_profile(self, resource: _Resource) -> None:
        users = self.principal_keys(resource, "user", "user")
        reset = resource.literal("password_reset_required")
        attribute = resource.block.attributes.get("password_reset_required")
        for key in users:
            user = self.workspace.principals[key]
            user.console_password = True
            if (reset is True or reset == "true") and attribute is not None:
                self.workspace.evidence.append(
                    ResetEvidence(
                        f"user '{user.name}' must change its password at first sign-in",
                        resource.document.path,
                        attribute.span,
                        principal=key,
                    )
                )

    def link_password_policy(self, resource: _Resource) -> None:
        days = resource.literal("max_password_age")
        attribute = resource.block.attributes.get("max_password_age")
        if isinstance(days, str) and days.isdigit():
            days = int(days)
        if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0 and attribute is not None:
            self.workspace.evidence.append(
                ResetEvidence(
                    f"the account password policy expires passwords after {days:g} days, "
                    "so every user must then change the password at sign-in",
                    resource.document.path,
                    attribute.span,
                )
            )


def _strings(resource: _Resource, attribute_name: str) -> Iterator[str]:
    """Yield the literal strings of an attribute holding a string or a list of strings."""
    attribute = resource.block.attributes.get(attribute_name)
    if attribute is None:
        return
    try:
        value = resource.reader.value(attribute.expression, ())
    except LoadFailure:  # nested past the limits: as good as unknown
        return
    items = value.items if isinstance(value, SequenceNode) else [value]
    for item in items:
        if isinstance(item, ScalarNode) and isinstance(item.value, str) and not is_unknown(item):
            yield item.value


def _unique(policies: list[Policy]) -> list[Policy]:
    unique: list[Policy] = []
    for policy in policies:
        if not any(policy is seen for seen in unique):
            unique.append(policy)
    return unique


def link_module(documents: list[Document]) -> Workspace:
    """Link the ``.tf`` files of one folder into a workspace of principals and reset evidence."""
    return _Linker(documents).link()

