"""Terraform plans and state in JSON, as printed by ``terraform show -json``.

Resources are read from ``planned_values`` (the state the plan leads to),
or from ``values`` in the JSON form of a state file, or else from
``prior_state.values``. Resources that exist only in the prior state are
about to be destroyed and are not read. Child modules are read at any
depth; data sources are skipped, because the resources that use them
already hold the resolved policy text.

Policies are JSON text inside JSON strings (``policy``,
``assume_role_policy``, ``content``). Each is parsed with mfalint's JSON
loader, and a finding inside it points at the matching characters of the
string in the plan file.

Values a plan cannot know until apply (such as the ARN of a policy the plan
creates) are omitted from ``planned_values`` or set to null there. For
those, attachments and memberships are linked through the references that
the ``configuration`` section records for each argument, following module
inputs and outputs. Known values are linked by name and ARN.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterator

from mfalint.context import Principal, ResetEvidence, Workspace
from mfalint.document import Document, Problem
from mfalint.model import Policy, PolicyKind
from mfalint.nodes import MappingNode, Node, ScalarNode, SequenceNode

# TODO: move the embedded-policy reader to a module of its own, because both document kinds use it.
from mfalint.loaders.account_dump import items_of, read_policy, text_of

__all__ = ["detect", "extract", "link"]

_FACT = "terraform_plan_workspace"
_VALUE_SECTIONS = ("planned_values", "values", "prior_state", "configuration")
# Terraform 0.12 to 1.0 print format 0.x and Terraform 1.1 and later print 1.x, in the same layout.
_SUPPORTED_MAJOR_VERSIONS = ("0", "1")

# Organizations policy types written in the IAM policy language and read as SCPs.
_SCP_TYPES = (None, "SERVICE_CONTROL_POLICY")

# Attachment resources: (principal kind, principal attribute, policy ARN attribute).
_ATTACHMENTS = {
    "aws_iam_user_policy_attachment": ("user", "user", "policy_arn"),
    "aws_iam_group_policy_attachment": ("group", "group", "policy_arn"),
    "aws_iam_role_policy_attachment": ("role", "role", "policy_arn"),
    "aws_iam_user_policy_attachments_exclusive": ("user", "user_name", "policy_arns"),
    "aws_iam_group_policy_attachments_exclusive": ("group", "group_name", "policy_arns"),
    "aws_iam_role_policy_attachments_exclusive": ("role", "role_name", "policy_arns"),
}

# Inline policy resources: principal kind and attribute.
_INLINE = {
    "aws_iam_user_policy": ("user", "user"),
    "aws_iam_group_policy": ("group", "group"),
    "aws_iam_role_policy": ("role", "role"),
}

_PRINCIPALS = {"aws_iam_user": "user", "aws_iam_group": "group", "aws_iam_role": "role"}

# First words of references that are not resource addresses. Module inputs
# (var) and outputs (module) are followed to the resources they name.
_NOT_RESOURCES = {"var", "module", "data", "local", "each", "count", "path", "self", "terraform"}
_RESOURCE_REFERENCE = re.compile(r'([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)(?:\[(\d+|"(?:[^"\\]|\\.)*")\])?')
_MODULE_REFERENCE = re.compile(r'([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.([A-Za-z_][\w-]*)')
_MODULE_STEP = re.compile(r'module\.([A-Za-z_][\w-]*)(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?(?:\.|$)')
# Module inputs and outputs can pass a value along a chain; this bounds the walk.
_MAX_REFERENCE_DEPTH = 32


def _module_names(address: str) -> tuple[str, ...]:
    """Return the module call names of a module instance address such as ``module.a[0].module.b``."""
    names = []
    position = 0
    while position < len(address):
        match = _MODULE_STEP.match(address, position)
        if match is None:
            break
        names.append(match.group(1))
        position = match.end()
    return tuple(names)


@dataclass(eq=False)
class _Resource:
    """One resource instance of the plan's values.

    ``module`` is the address of the module instance that contains it (empty
    in the root module) and ``module_path`` the names of its module calls.
    """

    node: MappingNode
    address: str
    type: str
    name: str
    index: int | str | None
    module: str
    module_path: tuple[str, ...]
    values: MappingNode | None

    @property
    def config_key(self) -> tuple[tuple[str, ...], str]:
        return self.module_path, f"{self.type}.{self.name}"

    def value(self, key: str) -> Node | None:
        return self.values.get(key) if self.values is not None else None

    def text(self, key: str) -> str | None:
        return text_of(self.value(key))


def _resources(root_module: Node | None) -> Iterator[_Resource]:
    """Yield the managed resources of a module and of its child modules, at any depth."""
    stack: list[tuple[Node | None, str]] = [(root_module, "")]
    while stack:
        module, module_address = stack.pop()
        if not isinstance(module, MappingNode):
            continue
        for node in items_of(module.get("resources")):
            if not isinstance(node, MappingNode) or text_of(node.get("mode")) != "managed":
                continue
            index_node = node.get("index")
            index = index_node.value if isinstance(index_node, ScalarNode) else None
            values = node.get("values")
            yield _Resource(
                node=node,
                address=text_of(node.get("address")) or "",
                type=text_of(node.get("type")) or "",
                name=text_of(node.get("name")) or "",
                index=index if isinstance(index, (int, str)) else None,
                module=module_address,
                module_path=_module_names(module_address),
                values=values if isinstance(values, MappingNode) else None,
            )
        for child in reversed(items_of(module.get("child_modules"))):
            if isinstance(child, MappingNode):
                stack.append((child, text_of(child.get("address")) or ""))


class _Configuration:
    """The ``configuration`` section: which resources each argument refers to."""

    def __init__(self, root_module: Node | None) -> None:
        self.resources: dict[tuple[str, ...], dict[str, MappingNode]] = {}
        self.calls: dict[tuple[str, ...], dict[str, MappingNode]] = {}
        self.outputs: dict[tuple[str, ...], dict[str, MappingNode]] = {}
        stack: list[tuple[Node | None, tuple[str, ...]]] = [(root_module, ())]
        while stack:
            module, path = stack.pop()
            if not isinstance(module, MappingNode):
                continue
            self.resources[path] = {}
            for resource in items_of(module.get("resources")):
                address = text_of(resource.get("address")) if isinstance(resource, MappingNode) else None
                expressions = resource.get("expressions") if isinstance(resource, MappingNode) else None
                if address is not None and isinstance(expressions, MappingNode):
                    self.resources[path][address] = expressions
            self.calls[path] = self._named(module.get("module_calls"))
            self.outputs[path] = self._named(module.get("outputs"))
            for name, call in self.calls[path].items():
                stack.append((call.get("module"), path + (name,)))

    @staticmethod
    def _named(node: Node | None) -> dict[str, MappingNode]:
        if not isinstance(node, MappingNode):
            return {}
        return {str(key.value): value for key, value in node.pairs if isinstance(value, MappingNode)}

    def references(self, resource: _Resource, attribute: str) -> list[tuple[tuple[str, ...], str, int | str | None]]:
        """Return the resources an argument refers to: (module path, ``type.name``, instance key or None)."""
        path, address = resource.config_key
        expression = self.resources.get(path, {}).get(address)
        found: list[tuple[tuple[str, ...], str, int | str | None]] = []
        self._follow(path, expression.get(attribute) if expression is not None else None, found, 0)
        return list(dict.fromkeys(found))

    def _follow(self, path: tuple[str, ...], expression: Node | None, found: list, depth: int) -> None:
        if not isinstance(expression, MappingNode) or depth > _MAX_REFERENCE_DEPTH:
            return
        for item in items_of(expression.get("references")):
            reference = text_of(item) or ""
            head, _, rest = reference.partition(".")
            if head == "var" and path:
                # A module input: follow the argument the calling module passes.
                call = self.calls.get(path[:-1], {}).get(path[-1])
                arguments = call.get("expressions") if call is not None else None
                name = re.split(r"[.\[]", rest)[0]
                if isinstance(arguments, MappingNode):
                    self._follow(path[:-1], arguments.get(name), found, depth + 1)
            elif head == "module":
                # A child module's output: follow the output's expression inside it.
                match = _MODULE_REFERENCE.match(rest)
                if match is not None:
                    child = path + (match.group(1),)
                    output = self.outputs.get(child, {}).get(match.group(2))
                    self._follow(child, output.get("expression") if output is not None else None, found, depth + 1)
            elif head not in _NOT_RESOURCES:
                match = _RESOURCE_REFERENCE.match(reference)
                if match is not None:
                    key = json.loads(match.group(3)) if match.group(3) is not None else None
                    found.append((path, f"{match.group(1)}.{match.group(2)}", key))


def _choose(candidates: list[_Resource], key: int | str | None, referrer: _Resource) -> list[_Resource]:
    """Pick the instances a reference means when the target uses count, for_each or a repeated module.

    Returns an empty list when the reference stays ambiguous.
    """
    if key is not None:
        return [candidate for candidate in candidates if candidate.index == key]
    if len(candidates) == 1:
        return candidates
    same_module = [candidate for candidate in candidates if candidate.module == referrer.module]
    if len(same_module) == 1:
        return same_module
    # aws_iam_policy.x[count.index] and aws_iam_policy.x[each.key] refer to the instance with the same key.
    same_index = [candidate for candidate in same_module if referrer.index is not None and candidate.index == referrer.index]
    return same_index if len(same_index) == 1 else []


class _PlanReader:
    """Policies, principals and password-reset evidence of one plan."""

    def __init__(self, document: Document, resources: list[_Resource], configuration: _Configuration) -> None:
        self.document = document
        self.resources = resources
        self.configuration = configuration
        self.by_config: dict[tuple[tuple[str, ...], str], list[_Resource]] = {}
        for resource in resources:
            self.by_config.setdefault(resource.config_key, []).append(resource)
        self.policies: list[Policy] = []
        self.workspace = Workspace()
        self.keys_by_name: dict[str, dict[str, str]] = {"user": {}, "group": {}, "role": {}}
        self.principal_of: dict[int, Principal] = {}
        # Managed policies keyed by the id of their aws_iam_policy resource.
        self.managed: dict[int, Policy] = {}
        self.managed_resources: list[tuple[_Resource, Policy]] = []
        self.attached: set[int] = set()
        self.boundaries: set[int] = set()

    # -- policies ----------------------------------------------------------

    def read(self, resource: _Resource, attribute: str, label: str, kind: PolicyKind) -> Policy | None:
        policy = read_policy(self.document, resource.value(attribute), label, kind, url_encoded=False)
        if policy is not None:
            self.policies.append(policy)
        return policy

    def read_managed(self, resource: _Resource) -> None:
        name = resource.text("name")
        label = f"managed policy {name} ({resource.address})" if name else f"managed policy {resource.address}"
        policy = self.read(resource, "policy", label, PolicyKind.IDENTITY)
        if policy is not None:
            self.managed[id(resource)] = policy
            self.managed_resources.append((resource, policy))

    def read_organizations_policy(self, resource: _Resource) -> None:
        # NOTE: resource control policies and the other Organizations policy types are not read.
        if resource.text("type") not in _SCP_TYPES:
            return
        name = resource.text("name") or resource.address
        self.read(resource, "content", f"service control policy {name} ({resource.address})", PolicyKind.SCP)

    def read_role_policies(self, resource: _Resource, role: Principal, inline_resources: set[tuple[str, str]]) -> None:
        self.read(resource, "assume_role_policy", f"trust policy of role {role.name} ({resource.address})", PolicyKind.TRUST)
        for block in items_of(resource.value("inline_policy")):
            if not isinstance(block, MappingNode):
                continue
            name = text_of(block.get("name")) or ""
            # The provider reports "no inline policies" as one block with an empty
            # name and policy, and reports policies of aws_iam_role_policy
            # resources here too once they exist.
            if not text_of(block.get("policy")) or (role.name, name) in inline_resources:
                continue
            label = f"inline policy {name} of role {role.name} ({resource.address})"
            policy = read_policy(self.document, block.get("policy"), label, PolicyKind.IDENTITY, url_encoded=False)
            if policy is not None:
                self.policies.append(policy)
                role.policies.append(policy)

    # -- principals ----------------------------------------------------------

    def add_principal(self, resource: _Resource, kind: str) -> Principal:
        name = resource.text("name") or resource.address
        principal = self.workspace.add(
            Principal(
                kind=kind,
                key=resource.address,
                name=name,
                path=resource.text("path") or "/",
                span=resource.node.span,
                file=self.document.path,
            )
        )
        self.keys_by_name[kind].setdefault(name, principal.key)
        self.principal_of[id(resource)] = principal
        return principal

    def principal_named(self, kind: str, name: str, referrer: _Resource) -> Principal:
        """Return the principal with this name. A principal that the plan does not define gets the key ``kind:name``."""
        key = self.keys_by_name[kind].get(name)
        if key is None:
            key = f"{kind}:{name}"
            self.keys_by_name[kind][name] = key
            self.workspace.add(Principal(kind=kind, key=key, name=name, path="/", span=referrer.node.span))
        return self.workspace.principals[key]

    def referenced_principals(self, resource: _Resource, attribute: str, kind: str) -> list[Principal]:
        """Return the principals an argument names, by known name or else by configuration reference."""
        value = resource.value(attribute)
        names: list[str] = []
        unknown = False
        for item in value.items if isinstance(value, SequenceNode) else [value]:
            name = text_of(item)
            if name is None:
                unknown = True
            elif name:
                names.append(name)
        found = [self.principal_named(kind, name, resource) for name in names]
        if unknown:
            for target in self.targets(resource, attribute, f"aws_iam_{kind}"):
                principal = self.principal_of.get(id(target))
                if principal is not None:
                    found.append(principal)
        return list(dict.fromkeys(found))

    # -- links ---------------------------------------------------------------

    def targets(self, resource: _Resource, attribute: str, resource_type: str) -> list[_Resource]:
        """Return the resources of a type that an argument refers to in the configuration."""
        chosen: list[_Resource] = []
        for path, address, key in self.configuration.references(resource, attribute):
            if address.partition(".")[0] == resource_type:
                chosen.extend(_choose(self.by_config.get((path, address), []), key, resource))
        return chosen

    def policy_with_arn(self, arn: str) -> Policy | None:
        """Return the plan's managed policy with this ARN, matching path and name where the ARN is unknown."""
        _, _, policy_path = arn.partition(":policy/")
        for resource, policy in self.managed_resources:
            known, name = resource.text("arn"), resource.text("name")
            if known == arn:
                return policy
            if known is None and name and policy_path and f"{resource.text('path') or '/'}{name}" == f"/{policy_path}":
                return policy
        return None

    def referenced_policies(self, resource: _Resource, attribute: str) -> list[Policy]:
        """Return the plan's managed policies an ARN argument names (a string or a list)."""
        value = resource.value(attribute)
        found: list[Policy] = []
        unknown = False
        for item in value.items if isinstance(value, SequenceNode) else [value]:
            arn = text_of(item)
            if arn is None:
                unknown = True
                continue
            policy = self.policy_with_arn(arn)
            if policy is not None:
                found.append(policy)
        if unknown:
            for target in self.targets(resource, attribute, "aws_iam_policy"):
                policy = self.managed.get(id(target))
                if policy is not None:
                    found.append(policy)
        return list(dict.fromkeys(found))

    def attach(self, principals: list[Principal], policies: list[Policy]) -> None:
        for policy in policies:
            self.attached.add(id(policy))
            for principal in principals:
                if policy not in principal.policies:
                    principal.policies.append(policy)

    def set_boundary(self, resource: _Resource, principal: Principal) -> None:
        for policy in self.referenced_policies(resource, "permissions_boundary"):
            principal.boundary = policy
            self.boundaries.add(id(policy))

    @staticmethod
    def add_to_groups(users: list[Principal], groups: list[Principal]) -> None:
        for user in users:
            for group in groups:
                if group.key not in user.groups:
                    user.groups.append(group.key)

    def add_evidence(self, resource: _Resource) -> None:
        if resource.type == "aws_iam_user_login_profile":
            for user in self.referenced_principals(resource, "user", "user"):
                user.console_password = True
                reset = resource.value("password_reset_required")
                if isinstance(reset, ScalarNode) and reset.value is True:
                    self.workspace.evidence.append(
                        ResetEvidence(
                            f"user '{user.name}' must change its password at first sign-in",
                            self.document.path,
                            reset.span,
                            principal=user.key,
                        )
                    )
        elif resource.type == "aws_iam_account_password_policy":
            age = resource.value("max_password_age")
            days = age.value if isinstance(age, ScalarNode) else None
            if isinstance(age, ScalarNode) and isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
                self.workspace.evidence.append(
                    ResetEvidence(
                        f"the account password policy makes passwords expire after {days:g} days",
                        self.document.path,
                        age.span,
                    )
                )

    # -- the whole plan --------------------------------------------------------

    def run(self) -> None:
        inline_resources = {
            (resource.text("role") or "", resource.text("name") or "")
            for resource in self.resources
            if resource.type == "aws_iam_role_policy"
        }
        # Principals and managed policies first, so that the rest can refer to them.
        for resource in self.resources:
            kind = _PRINCIPALS.get(resource.type)
            if kind is not None:
                principal = self.add_principal(resource, kind)
                if kind == "role":
                    self.read_role_policies(resource, principal, inline_resources)
            elif resource.type == "aws_iam_policy":
                self.read_managed(resource)
            elif resource.type == "aws_organizations_policy":
                self.read_organizations_policy(resource)

        for resource in self.resources:
            self.link_resource(resource)
        self.mark_boundaries()

    def link_resource(self, resource: _Resource) -> None:
        if resource.type in _INLINE:
            kind, attribute = _INLINE[resource.type]
            owners = self.referenced_principals(resource, attribute, kind)
            owner = owners[0].name if owners else resource.text(attribute) or "unknown"
            name = resource.text("name") or resource.address
            label = f"inline policy {name} of {kind} {owner} ({resource.address})"
            policy = self.read(resource, "policy", label, PolicyKind.IDENTITY)
            if policy is not None:
                for principal in owners:
                    principal.policies.append(policy)
        elif resource.type in _ATTACHMENTS:
            kind, principal_attribute, policy_attribute = _ATTACHMENTS[resource.type]
            principals = self.referenced_principals(resource, principal_attribute, kind)
            self.attach(principals, self.referenced_policies(resource, policy_attribute))
        elif resource.type == "aws_iam_policy_attachment":
            principals = [
                principal
                for kind, attribute in (("user", "users"), ("group", "groups"), ("role", "roles"))
                for principal in self.referenced_principals(resource, attribute, kind)
            ]
            self.attach(principals, self.referenced_policies(resource, "policy_arn"))
        elif resource.type == "aws_iam_user_group_membership":
            users = self.referenced_principals(resource, "user", "user")
            self.add_to_groups(users, self.referenced_principals(resource, "groups", "group"))
        elif resource.type == "aws_iam_group_membership":
            users = self.referenced_principals(resource, "users", "user")
            self.add_to_groups(users, self.referenced_principals(resource, "group", "group"))
        elif resource.type in ("aws_iam_user", "aws_iam_role"):
            principal = self.principal_of[id(resource)]
            self.set_boundary(resource, principal)
            if resource.type == "aws_iam_role":
                self.attach([principal], self.referenced_policies(resource, "managed_policy_arns"))
        elif resource.type in ("aws_iam_user_login_profile", "aws_iam_account_password_policy"):
            self.add_evidence(resource)

    def mark_boundaries(self) -> None:
        """Give managed policies that serve only as permissions boundaries the kind BOUNDARY."""
        for policy in self.managed.values():
            if id(policy) in self.boundaries and id(policy) not in self.attached:
                policy.kind = PolicyKind.BOUNDARY


# -- the document kind ---------------------------------------------------------


def detect(document: Document) -> bool:
    """Return True for the JSON that ``terraform show -json`` prints for a plan or a state."""
    if len(document.roots) != 1 or not isinstance(document.roots[0], MappingNode):
        return False
    root = document.roots[0]
    return text_of(root.get("format_version")) is not None and any(
        isinstance(root.get(section), MappingNode) for section in _VALUE_SECTIONS
    )


def _root_module(root: MappingNode) -> Node | None:
    for section in ("planned_values", "values"):
        values = root.get(section)
        if isinstance(values, MappingNode):
            return values.get("root_module")
    prior_state = root.get("prior_state")
    if isinstance(prior_state, MappingNode):
        values = prior_state.get("values")
        if isinstance(values, MappingNode):
            return values.get("root_module")
    return None


def extract(document: Document) -> list[Policy]:
    """Return the plan's policies; record its principals and password-reset evidence for ``link``."""
    root = document.roots[0]
    assert isinstance(root, MappingNode)
    version_node = root.get("format_version")
    version = text_of(version_node) or ""
    if version.partition(".")[0] not in _SUPPORTED_MAJOR_VERSIONS:
        # Terraform's format documentation requires readers to reject an unknown major version.
        assert version_node is not None
        document.problems.append(
            Problem(
                "IAM001",
                version_node.span,
                f"Terraform JSON format_version {version!r} is not supported; "
                "mfalint reads formats 0.x and 1.x, as printed by Terraform 0.12 to 1.x",
                version_node.jsonpath,
            )
        )
        return []
    configuration = root.get("configuration")
    reader = _PlanReader(
        document,
        list(_resources(_root_module(root))),
        _Configuration(configuration.get("root_module") if isinstance(configuration, MappingNode) else None),
    )
    reader.run()
    document.facts[_FACT] = reader.workspace
    return reader.policies


def link(documents: list[Document]) -> Workspace:
    """Return the principals and password-reset evidence of the plans."""
    return Workspace.merged(document.facts.get(_FACT) for document in documents)
