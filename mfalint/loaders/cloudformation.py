"""Policies, principals and password-reset evidence in CloudFormation templates.

This document kind reads CloudFormation templates in JSON and YAML (CDK's
``cdk.out/*.template.json`` included), SAM templates, and the ``resources``
and provider IAM statements of Serverless Framework files. The JSON and YAML
loaders have already built the node tree. This module resolves the intrinsic
functions in the policy documents, builds one Policy per document, and
links users, groups and roles to their policies.

Intrinsic functions are resolved statically and nothing is fetched:

- ``Ref``, ``Fn::Sub`` and ``Fn::GetAtt`` resolve ``AWS::Partition`` to
  ``aws`` and ``AWS::URLSuffix`` to ``amazonaws.com``. The names and ARNs of
  IAM users, groups, roles and managed policies declared in the template
  resolve to the name or ARN they will have. ``${!Literal}`` in ``Fn::Sub``
  is the literal text ``${Literal}``, so ``${!aws:username}`` is the policy
  variable ``${aws:username}``.
- A value known only at deployment (the account ID, the region, a parameter,
  ``Fn::ImportValue``, a dynamic reference ``{{resolve:...}}``) becomes
  ``*``. In an ARN that makes the unknown part match anything, so the
  statement applies whether it allows or denies. It is never an error. A
  value that begins with an unknown part (``${BucketArn}/*``) has no known
  shape and is ``*`` as a whole.
- ``Fn::Join``, ``Fn::Select``, ``Fn::Split`` and ``Fn::FindInMap`` are
  evaluated on the resolved values. Other functions (``Fn::Base64``,
  ``Fn::GetAZs``, ``Fn::Cidr`` and the like) are unknown.
- ``Fn::If`` keeps both branches, merged so that the statement applies
  wherever either branch would make it apply. The statement list, Action,
  Resource, Principal values and condition values take the values of both
  branches. NotAction and NotResource keep only the values that both branches
  list, so an exception that one branch leaves out counts as missing. Where
  the element takes a single value (Effect, Sid, Version, a whole Condition
  block), and inside another function, the enclosing value is built once per
  branch: a statement becomes two statements, a policy document two policies.
  ``AWS::NoValue`` removes the element. Condition names are not tracked, so
  two Fn::If on the same condition are combined as if independent.

Every value that a function produces is a ScalarNode (or a list of them)
whose span is the function's span in the template, so findings point into
the file that was read. Values that no function touches keep their own nodes.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator

from mfalint.context import Principal, ResetEvidence, Workspace
from mfalint.document import Document, Problem
from mfalint.extract import build_policy, scalar_text
from mfalint.model import Policy, PolicyKind
from mfalint.nodes import MappingNode, Node, ScalarNode, SequenceNode
from mfalint.positions import Span

__all__ = ["detect", "extract", "link"]

# The text that stands for a value known only at deployment.
UNKNOWN = "*"

# Fn::If keeps both branches, so n independent Fn::If in one value give 2**n
# alternatives. Past this many, the later combinations are not analysed.
MAX_ALTERNATIVES = 16

_FACTS_KEY = "cloudformation"

# The alternative in which Ref AWS::NoValue removes an element.
_NO_VALUE = ScalarNode(Span.point(1, 1), (), value=None)

_PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

# Keys whose list takes the values of both Fn::If branches.
_UNION_KEYS = frozenset(
    {
        "Statement", "Action", "Resource",
        "ManagedPolicyArns", "Policies", "Users", "Groups", "Roles",
    }
)

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]*\}\}")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

# Serverless Framework variables such as ${self:custom.stage} or ${opt:region},
# innermost first. ${aws:username} is not one of them and stays a policy variable.
_SERVERLESS_VARIABLE = re.compile(
    r"\$\{\s*(?:(?:self|opt|env|sls|cf|s3|ssm|param|git)[:(]|file\(|strToBool\(|aws:(?:accountId|region)\b)[^${}]*\}"
)

_NAME_PROPERTY = {
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
}
_ARN_RESOURCE = {
    "AWS::IAM::User": "user",
    "AWS::IAM::Group": "group",
    "AWS::IAM::Role": "role",
    "AWS::IAM::ManagedPolicy": "policy",
}
_PRINCIPAL_KIND = {"AWS::IAM::User": "user", "AWS::IAM::Group": "group", "AWS::IAM::Role": "role"}


# -- recognising a template ---------------------------------------------------


@dataclass
class _Shape:
    """The location of one template's sections in a document root."""

    root: MappingNode
    # The mapping that contains Resources, Parameters and Mappings: the root
    # itself, or the ``resources`` section of a Serverless Framework file.
    sections: MappingNode
    serverless: bool = False


def _is_typed_resource(node: Node) -> bool:
    if not isinstance(node, MappingNode):
        return False
    kind = node.get("Type")
    return isinstance(kind, ScalarNode) and isinstance(kind.value, str) and kind.value.startswith(("AWS::", "Custom::"))


def _has_typed_resources(node: Node | None) -> bool:
    return isinstance(node, MappingNode) and any(_is_typed_resource(value) for _key, value in node.pairs)


def _serverless_statements(root: MappingNode) -> Node | None:
    """Return the provider's IAM role statements of a Serverless Framework file, if any."""
    provider = root.get("provider")
    if not isinstance(provider, MappingNode):
        return None
    statements = provider.get("iamRoleStatements")
    iam = provider.get("iam")
    role = iam.get("role") if isinstance(iam, MappingNode) else None
    if isinstance(role, MappingNode) and role.get("statements") is not None:
        statements = role.get("statements")
    return statements


def _shape_of(root: Node) -> _Shape | None:
    if not isinstance(root, MappingNode):
        return None
    if root.get("AWSTemplateFormatVersion") is not None or _has_typed_resources(root.get("Resources")):
        return _Shape(root, root)
    if root.get("service") is None and root.get("provider") is None:
        return None
    resources = root.get("resources")
    if isinstance(resources, MappingNode) and _has_typed_resources(resources.get("Resources")):
        return _Shape(root, resources, serverless=True)
    if _serverless_statements(root) is not None:
        return _Shape(root, MappingNode(root.span, root.path), serverless=True)
    return None


def detect(document: Document) -> bool:
    """Return True when a root of the document is a CloudFormation, SAM or Serverless Framework template."""
    return any(_shape_of(root) is not None for root in document.roots)


# -- intrinsic functions ------------------------------------------------------


def _scalar(site: Node, text: str) -> ScalarNode:
    return ScalarNode(site.span, site.path, value=text, quoted=True)


def _relocate(node: Node, site: Node, path: tuple | None = None) -> Node:
    """Copy a value to the span of the function that produced it, such as Fn::FindInMap."""
    path = site.path if path is None else path
    if isinstance(node, ScalarNode):
        return ScalarNode(site.span, path, value=node.value, quoted=node.quoted, yaml_type=node.yaml_type)
    if isinstance(node, SequenceNode):
        return SequenceNode(site.span, path, items=[_relocate(item, site, path + (i,)) for i, item in enumerate(node.items)])
    if isinstance(node, MappingNode):
        pairs = []
        for key, value in node.pairs:
            key_path = path + (key.value,)
            pairs.append((ScalarNode(site.span, key_path, value=key.value), _relocate(value, site, key_path)))
        return MappingNode(site.span, path, pairs=pairs)
    return node


def _from_python(value: Any, site: Node, path: tuple) -> Node:
    """Build nodes for a JSON value parsed from a string, all at the string's span."""
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            pairs.append((ScalarNode(site.span, path + (key,), value=key), _from_python(item, site, path + (key,))))
        return MappingNode(site.span, path, pairs=pairs)
    if isinstance(value, list):
        return SequenceNode(site.span, path, items=[_from_python(item, site, path + (i,)) for i, item in enumerate(value)])
    return ScalarNode(site.span, path, value=value, quoted=isinstance(value, str))


def _intrinsic(node: Node) -> tuple[str, Node] | None:
    """Return the function name and argument of a short-form or long-form intrinsic function."""
    if node.tag and node.tag.startswith("!"):
        short = node.tag[1:]
        name = short if short in ("Ref", "Condition") else f"Fn::{short}"
        return name, replace(node, tag=None)
    if isinstance(node, MappingNode) and len(node.pairs) == 1:
        key, value = node.pairs[0]
        if key.value == "Ref" or (isinstance(key.value, str) and key.value.startswith("Fn::")):
            return key.value, value
    return None


def _limited(combinations: Iterable[Any]) -> list[Any]:
    return list(itertools.islice(combinations, MAX_ALTERNATIVES))


def _merge_rule(key: str, context: tuple[str, ...]) -> str | None:
    """Return how the Fn::If branches of an element merge: "union", "intersection" or None (build it per branch).

    Both rules make the merged statement apply wherever either branch would:
    more actions or resources in Action and Resource, fewer exceptions in
    NotAction and NotResource.
    """
    if key in _UNION_KEYS:
        return "union"
    if key in ("NotAction", "NotResource"):
        return "intersection"
    # Principal values ({"AWS": [...]}) and condition values ({"Bool": {key: [...]}}).
    if context and (context[-1] in ("Principal", "NotPrincipal") or context[-2:-1] == ("Condition",)):
        return "union"
    return None


def _merge_alternatives(alternatives: list[Node], where: Node, rule: str | None) -> list[Node]:
    """Merge the alternatives of one element into a list, or return them unchanged to be built one by one."""
    if all(alternative is _NO_VALUE for alternative in alternatives):
        return [_NO_VALUE]
    if rule == "union":
        items = [item for alternative in alternatives for item in _items_of(alternative)]
        return [SequenceNode(where.span, where.path, items=items)]
    if rule == "intersection":
        common = _common_items(alternatives)
        # NOTE: with no value in common, NotAction: [] would be invalid, so the
        # statement is built once per branch instead (and may be reported twice).
        if common:
            return [SequenceNode(where.span, where.path, items=common)]
    return alternatives


def _items_of(alternative: Node) -> list[Node]:
    if alternative is _NO_VALUE:
        return []
    return alternative.items if isinstance(alternative, SequenceNode) else [alternative]


def _common_items(alternatives: list[Node]) -> list[Node]:
    """Return the items of the first alternative whose text every other alternative lists too."""
    lists = [_items_of(alternative) for alternative in alternatives]
    others = [{scalar_text(item) for item in items} for items in lists[1:]]
    return [item for item in lists[0] if all(scalar_text(item) in texts for texts in others)]


class _Resolver:
    """Resolve intrinsic functions in one template into plain values.

    ``resolve`` returns the alternatives of a value: one for most values,
    and one per branch where ``Fn::If`` cannot be merged into a list. The
    alternative ``_NO_VALUE`` stands for ``AWS::NoValue``; ``values``
    leaves it out.
    """

    def __init__(self, sections: MappingNode, resources: dict[str, MappingNode], serverless: bool) -> None:
        parameters = sections.get("Parameters")
        self.parameters = set(parameters.keys()) if isinstance(parameters, MappingNode) else set()
        mappings = sections.get("Mappings")
        self.mappings = mappings if isinstance(mappings, MappingNode) else None
        self.resources = resources
        self.serverless = serverless
        self._names: dict[str, str] = {}
        self._naming: set[str] = set()

    # -- values ---------------------------------------------------------------

    def resolve(self, node: Node, context: tuple[str, ...] = (), merge: bool = True) -> list[Node]:
        """Return the alternatives of ``node`` with every intrinsic function resolved.

        ``context`` contains the keys above the node, which decide whether
        Fn::If branches merge into a list. With ``merge`` false (inside a function's
        arguments) every combination of branches is its own alternative.
        """
        call = _intrinsic(node)
        if call is not None:
            return self._call(call[0], call[1], node, context, merge)
        if isinstance(node, ScalarNode):
            return [self._plain(node)]
        if isinstance(node, SequenceNode):
            return self._sequence(node, context, merge)
        if isinstance(node, MappingNode):
            return self._mapping(node, context, merge)
        return [node]

    def values(self, node: Node, context: tuple[str, ...] = (), merge: bool = True) -> list[Node]:
        """Return the alternatives of ``node`` that are present, leaving out AWS::NoValue."""
        return [alternative for alternative in self.resolve(node, context, merge) if alternative is not _NO_VALUE]

    def texts(self, node: Node) -> list[str]:
        """Return the string alternatives of a value. Values that are not strings are unknown."""
        return [_text_or_unknown(alternative) for alternative in self.values(node, merge=False)]

    def text(self, node: Node | None) -> str | None:
        """Return the first string alternative of a value, or None when it is absent or removed."""
        if node is None:
            return None
        texts = self.texts(node)
        return texts[0] if texts else None

    def _plain(self, node: ScalarNode) -> ScalarNode:
        if not isinstance(node.value, str):
            return node
        parts: list[str] = []
        for number, piece in enumerate(_DYNAMIC_REFERENCE.split(node.value)):
            parts.extend([UNKNOWN, piece] if number else [piece])
        text = _concatenate(parts)
        if self.serverless:
            text = _replace_serverless_variables(text)
        if text == node.value:
            return node
        return ScalarNode(node.span, node.path, value=text, quoted=node.quoted, yaml_type=node.yaml_type)

    def _sequence(self, node: SequenceNode, context: tuple[str, ...], merge: bool) -> list[Node]:
        options = [self.resolve(item, context, merge) for item in node.items]
        if all(len(option) == 1 and option[0] is item for option, item in zip(options, node.items)):
            return [node]
        rule = _merge_rule(context[-1], context[:-1]) if merge and context else None
        if rule == "union":
            items = [alternative for option in options for alternative in option if alternative is not _NO_VALUE]
            return [SequenceNode(node.span, node.path, items=items)]
        if rule == "intersection":
            # An item counts when every one of its alternatives lists it, so
            # ``!If [c, iam:ChangePassword, !Ref AWS::NoValue]`` adds nothing.
            items = [item for option in options for item in _common_items(option)]
            if items:
                return [SequenceNode(node.span, node.path, items=items)]
        results = []
        for combination in _limited(itertools.product(*options)):
            items = [item for item in combination if item is not _NO_VALUE]
            results.append(SequenceNode(node.span, node.path, items=items))
        return results

    def _mapping(self, node: MappingNode, context: tuple[str, ...], merge: bool) -> list[Node]:
        options: list[list[tuple[ScalarNode, Node]]] = []
        changed = False
        for key, value in node.pairs:
            name = str(key.value)
            alternatives = self.resolve(value, context + (name,), merge)
            if len(alternatives) != 1 or alternatives[0] is not value:
                changed = True
            if len(alternatives) > 1 and merge:
                alternatives = _merge_alternatives(alternatives, value, _merge_rule(name, context))
            options.append([(key, alternative) for alternative in alternatives])
        if not changed:
            return [node]
        results = []
        for combination in _limited(itertools.product(*options)):
            pairs = [(key, value) for key, value in combination if value is not _NO_VALUE]
            results.append(MappingNode(node.span, node.path, pairs=pairs))
        return results

    # -- functions ----------------------------------------------------------

    def _call(self, name: str, argument: Node, site: Node, context: tuple[str, ...], merge: bool) -> list[Node]:
        if name == "Fn::If":
            if not isinstance(argument, SequenceNode) or len(argument.items) != 3:
                return [_scalar(site, UNKNOWN)]
            return self.resolve(argument.items[1], context, merge) + self.resolve(argument.items[2], context, merge)
        if name == "Ref":
            target = self.text(argument)
            if target == "AWS::NoValue":
                return [_NO_VALUE]
            return [_scalar(site, self._ref(target or UNKNOWN))]
        handler = self._FUNCTIONS.get(name)
        if handler is None:
            return [_scalar(site, UNKNOWN)]
        return handler(self, argument, site)

    def _ref(self, target: str) -> str:
        if target in _PSEUDO_PARAMETERS:
            return _PSEUDO_PARAMETERS[target]
        if target in self.parameters or target not in self.resources:
            return UNKNOWN
        kind = _resource_type(self.resources[target])
        if kind in ("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"):
            return self.name_of(target)
        if kind == "AWS::IAM::ManagedPolicy":
            return self.arn_of(target)
        return UNKNOWN

    def _get_att(self, target: str, attribute: str) -> str:
        if target not in self.resources:
            return UNKNOWN
        kind = _resource_type(self.resources[target])
        if (attribute == "Arn" and kind in _PRINCIPAL_KIND) or (attribute == "PolicyArn" and kind == "AWS::IAM::ManagedPolicy"):
            return self.arn_of(target)
        return UNKNOWN

    def name_of(self, logical_id: str) -> str:
        """Return the name a user, group, role or managed policy will have, or ``*`` when CloudFormation picks it."""
        if logical_id in self._names:
            return self._names[logical_id]
        resource = self.resources[logical_id]
        prop = _NAME_PROPERTY.get(_resource_type(resource) or "")
        properties = resource.get("Properties")
        # A name that refers back to its own resource is a cycle, which CloudFormation rejects.
        if prop is None or not isinstance(properties, MappingNode) or logical_id in self._naming:
            return UNKNOWN
        self._naming.add(logical_id)
        try:
            name = self.text(properties.get(prop)) or UNKNOWN
        finally:
            self._naming.discard(logical_id)
        self._names[logical_id] = name
        return name

    def arn_of(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        properties = resource.get("Properties")
        iam_path = self.text(properties.get("Path")) if isinstance(properties, MappingNode) else None
        iam_path = iam_path or "/"
        return f"arn:aws:iam::{UNKNOWN}:{_ARN_RESOURCE[_resource_type(resource) or '']}{iam_path}{self.name_of(logical_id)}"

    def _sub(self, argument: Node, site: Node) -> list[Node]:
        variables: dict[str, Node] = {}
        template = argument
        if isinstance(argument, SequenceNode) and argument.items:
            template = argument.items[0]
            if len(argument.items) > 1 and isinstance(argument.items[1], MappingNode):
                variables = {str(key.value): value for key, value in argument.items[1].pairs}
        if not isinstance(template, ScalarNode) or not isinstance(template.value, str):
            return [_scalar(site, UNKNOWN)]
        pieces: list[list[str]] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(template.value):
            pieces.append([template.value[position : match.start()]])
            pieces.append(self._sub_variable(match.group(1).strip(), variables))
            position = match.end()
        pieces.append([template.value[position:]])
        results = []
        for parts in _limited(itertools.product(*pieces)):
            results.append(self._plain(_scalar(site, _concatenate(parts))))
        return results

    def _sub_variable(self, name: str, variables: dict[str, Node]) -> list[str]:
        if name.startswith("!"):
            return ["${" + name[1:] + "}"]
        if name in variables:
            return self.texts(variables[name])
        if name in _PSEUDO_PARAMETERS or name.startswith("AWS::") or name in self.parameters or name in self.resources:
            return [self._ref(name)]
        if "." in name:
            target, _dot, attribute = name.partition(".")
            return [self._get_att(target, attribute)]
        if ":" in name:
            # NOTE: an Fn::Sub variable names a parameter, resource, attribute or map entry,
            # and aws:username is none of them (${!aws:username} is the escape). The text is
            # kept as the policy variable the author meant.
            return ["${" + name + "}"]
        return [UNKNOWN]

    def _get_att_call(self, argument: Node, site: Node) -> list[Node]:
        if isinstance(argument, SequenceNode) and len(argument.items) == 2:
            target = self.text(argument.items[0]) or UNKNOWN
            attribute = self.text(argument.items[1]) or UNKNOWN
        else:
            target, _dot, attribute = (self.text(argument) or UNKNOWN).partition(".")
        return [_scalar(site, self._get_att(target, attribute))]

    def _lists(self, node: Node) -> list[list[str] | None]:
        """Return the alternatives of a list of strings, with None for an unknown list."""
        lists: list[list[str] | None] = []
        for alternative in self.values(node, merge=False):
            if isinstance(alternative, SequenceNode):
                lists.append([_text_or_unknown(item) for item in alternative.items])
            else:
                lists.append(None)
        return lists

    def _join(self, argument: Node, site: Node) -> list[Node]:
        if not isinstance(argument, SequenceNode) or len(argument.items) != 2:
            return [_scalar(site, UNKNOWN)]
        results = []
        for delimiter, values in _limited(itertools.product(self.texts(argument.items[0]), self._lists(argument.items[1]))):
            results.append(_scalar(site, UNKNOWN if values is None else _concatenate(values, delimiter)))
        return results

    def _select(self, argument: Node, site: Node) -> list[Node]:
        if not isinstance(argument, SequenceNode) or len(argument.items) != 2:
            return [_scalar(site, UNKNOWN)]
        results: list[Node] = []
        indexes = self.texts(argument.items[0])
        for index, chosen in _limited(itertools.product(indexes, self.values(argument.items[1], merge=False))):
            items = chosen.items if isinstance(chosen, SequenceNode) else None
            if items is None or not index.isdigit() or int(index) >= len(items):
                results.append(_scalar(site, UNKNOWN))
            else:
                results.append(_relocate(items[int(index)], site))
        return results

    def _split(self, argument: Node, site: Node) -> list[Node]:
        if not isinstance(argument, SequenceNode) or len(argument.items) != 2:
            return [SequenceNode(site.span, site.path, items=[_scalar(site, UNKNOWN)])]
        results: list[Node] = []
        for delimiter, source in _limited(itertools.product(self.texts(argument.items[0]), self.texts(argument.items[1]))):
            parts = source.split(delimiter) if delimiter else [source]
            items = [ScalarNode(site.span, site.path + (i,), value=part, quoted=True) for i, part in enumerate(parts)]
            results.append(SequenceNode(site.span, site.path, items=items))
        return results

    def _find_in_map(self, argument: Node, site: Node) -> list[Node]:
        if not isinstance(argument, SequenceNode) or len(argument.items) not in (3, 4):
            return [_scalar(site, UNKNOWN)]
        keys = [self.text(item) or UNKNOWN for item in argument.items[:3]]
        value: Node | None = self.mappings
        for key in keys:
            value = value.get(key) if isinstance(value, MappingNode) and key != UNKNOWN else None
        if value is not None:
            return [_relocate(value, site)]
        default = argument.items[3] if len(argument.items) == 4 else None
        if isinstance(default, MappingNode) and default.get("DefaultValue") is not None:
            return [_relocate(alternative, site) for alternative in self.values(default.get("DefaultValue"), merge=False)]
        return [_scalar(site, UNKNOWN)]

    _FUNCTIONS: dict[str, Callable[[_Resolver, Node, Node], list[Node]]] = {
        "Fn::Sub": _sub,
        "Fn::GetAtt": _get_att_call,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::FindInMap": _find_in_map,
    }


def _concatenate(parts: Iterable[str], delimiter: str = "") -> str:
    """Join resolved parts. A value whose first part is unknown is unknown as a whole.

    Its shape cannot be known, because ``${BucketArn}/*`` could be any ARN
    and ``*/*`` would read as an invalid ARN.
    """
    parts = list(parts)
    first = next((part for part in parts if part), "")
    if first == UNKNOWN:
        return UNKNOWN
    return delimiter.join(parts)


def _text_or_unknown(node: Node) -> str:
    text = scalar_text(node) if isinstance(node, ScalarNode) else None
    return UNKNOWN if text is None else text


def _replace_serverless_variables(text: str) -> str:
    while True:
        replaced = _SERVERLESS_VARIABLE.sub(UNKNOWN, text)
        if replaced == text:
            return text
        text = replaced


def _resource_type(resource: MappingNode) -> str | None:
    kind = resource.get("Type")
    return kind.value if isinstance(kind, ScalarNode) and isinstance(kind.value, str) else None


# -- reading the IAM resources ----------------------------------------------


@dataclass
class _PrincipalFacts:
    """The facts a template declares about one user, group or role."""

    kind: str
    logical_id: str
    name: str
    path: str
    span: Span
    policies: list[Policy] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)  # logical IDs of managed policies
    groups: list[str] = field(default_factory=list)  # logical IDs of groups
    console_password: bool = False
    boundary: str | None = None  # logical ID of the boundary's managed policy
    reset_span: Span | None = None  # where PasswordResetRequired is true


@dataclass
class _TemplateFacts:
    """The principals and policy resources of one template, for link()."""

    principals: dict[str, _PrincipalFacts] = field(default_factory=dict)
    # Logical ID of an AWS::IAM::ManagedPolicy or AWS::IAM::Policy -> its policies.
    policy_resources: dict[str, list[Policy]] = field(default_factory=dict)


class _TemplateReader:
    """Build the policies and the principal facts of one template."""

    def __init__(self, document: Document, shape: _Shape) -> None:
        self.document = document
        self.shape = shape
        resources = shape.sections.get("Resources")
        self.resource_keys: dict[str, ScalarNode] = {}
        self.resources: dict[str, MappingNode] = {}
        if isinstance(resources, MappingNode):
            for key, value in resources.pairs:
                if isinstance(value, MappingNode):
                    self.resources[str(key.value)] = value
                    self.resource_keys[str(key.value)] = key
        self.resolver = _Resolver(shape.sections, self.resources, shape.serverless)
        self.facts = _TemplateFacts()
        self.policies: list[Policy] = []

    def read(self) -> list[Policy]:
        boundaries, attached = self._policy_references()
        for logical_id, resource in self.resources.items():
            kind = _resource_type(resource)
            properties = resource.get("Properties")
            if not isinstance(properties, MappingNode):
                properties = MappingNode(resource.span, resource.path + ("Properties",))
            if kind in _PRINCIPAL_KIND:
                self._principal(logical_id, kind, properties)
            elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                policy_kind = PolicyKind.BOUNDARY if logical_id in boundaries and logical_id not in attached else PolicyKind.IDENTITY
                self._policy_resource(logical_id, kind, properties, policy_kind)
            elif kind in ("AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy", "AWS::IAM::RolePolicy"):
                self._inline_policy_resource(logical_id, kind, properties)
            elif kind == "AWS::IAM::UserToGroupAddition":
                self._group_addition(properties)
            elif kind == "AWS::Organizations::Policy":
                if self.resolver.text(properties.get("Type")) == "SERVICE_CONTROL_POLICY":
                    self._add_policies(properties.get("Content"), f"{logical_id} ({kind})", PolicyKind.SCP)
            elif kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
                self._serverless_function(logical_id, kind, properties)
        if self.shape.serverless:
            self._serverless_provider()
        return self.policies

    # -- references between resources ----------------------------------------

    def targets(self, node: Node | None, types: tuple[str, ...]) -> list[str]:
        """Return the logical IDs that a list of references or names points to.

        A reference is ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub`` of one resource, or
        a name or ARN that matches a resource declared with that literal name.
        Both branches of ``Fn::If`` count.
        """
        if node is None:
            return []
        found: list[str] = []
        for item in self._reference_items(node):
            logical_id = self._referenced_id(item)
            if logical_id is not None and _resource_type(self.resources[logical_id]) in types:
                found.append(logical_id)
                continue
            for text in self.resolver.texts(item):
                found.extend(self._named(text, types))
        return list(dict.fromkeys(found))

    def _reference_items(self, node: Node) -> Iterator[Node]:
        call = _intrinsic(node)
        if call is not None and call[0] == "Fn::If":
            if isinstance(call[1], SequenceNode) and len(call[1].items) == 3:
                for branch in call[1].items[1:]:
                    yield from self._reference_items(branch)
            return
        if isinstance(node, SequenceNode) and call is None:
            for item in node.items:
                yield from self._reference_items(item)
            return
        yield node

    def _referenced_id(self, node: Node) -> str | None:
        call = _intrinsic(node)
        if call is None:
            return None
        name, argument = call
        target: str | None = None
        if name == "Ref":
            target = self.resolver.text(argument)
        elif name == "Fn::GetAtt":
            if isinstance(argument, SequenceNode) and argument.items:
                target = self.resolver.text(argument.items[0])
            else:
                target = (self.resolver.text(argument) or "").partition(".")[0]
        elif name == "Fn::Sub" and isinstance(argument, ScalarNode) and isinstance(argument.value, str):
            match = _SUB_VARIABLE.fullmatch(argument.value.strip())
            target = match.group(1).strip().partition(".")[0] if match else None
        return target if target in self.resources else None

    def _named(self, text: str, types: tuple[str, ...]) -> list[str]:
        """Return the resources of ``types`` whose literal name, or ARN name part, is ``text``."""
        if text.startswith("arn:") and ":iam::aws:" in text:
            return []  # a policy that AWS manages, never one of this template's
        name = text.rsplit("/", 1)[-1] if text.startswith("arn:") else text
        if UNKNOWN in name:
            return []
        found = []
        for logical_id, resource in self.resources.items():
            kind = _resource_type(resource)
            if kind in types and kind in _NAME_PROPERTY and self.resolver.name_of(logical_id) == name:
                found.append(logical_id)
        return found

    def _policy_references(self) -> tuple[set[str], set[str]]:
        """Return the managed policies used as permissions boundaries, and those attached as permissions."""
        boundaries: set[str] = set()
        attached: set[str] = set()
        for resource in self.resources.values():
            properties = resource.get("Properties")
            if not isinstance(properties, MappingNode):
                continue
            managed = ("AWS::IAM::ManagedPolicy",)
            boundaries.update(self.targets(properties.get("PermissionsBoundary"), managed))
            attached.update(self.targets(properties.get("ManagedPolicyArns"), managed))
        for logical_id, resource in self.resources.items():
            properties = resource.get("Properties")
            if _resource_type(resource) == "AWS::IAM::ManagedPolicy" and isinstance(properties, MappingNode):
                if any(properties.get(key) is not None for key in ("Users", "Groups", "Roles")):
                    attached.add(logical_id)
        return boundaries, attached

    # -- policies -------------------------------------------------------------

    def _add_policies(self, node: Node | None, name: str, kind: PolicyKind) -> list[Policy]:
        """Build a policy from each alternative of a policy document and return them."""
        if node is None:
            return []
        alternatives = self.resolver.values(node)
        built = []
        for number, alternative in enumerate(alternatives, start=1):
            document = self._document_node(alternative)
            if document is None:
                continue
            statement = document.get("Statement")
            if statement is None:
                self.document.problems.append(
                    Problem("IAM002", document.span, f"policy document of {name} has no 'Statement', so it grants and denies nothing", document.jsonpath)
                )
                continue
            items = statement.items if isinstance(statement, SequenceNode) else [statement]
            policy = build_policy(self.document, document, items)
            policy.kind = kind
            policy.name = name if len(alternatives) == 1 else f"{name}, Fn::If alternative {number}"
            built.append(policy)
        self.policies.extend(built)
        return built

    @staticmethod
    def _document_node(node: Node) -> MappingNode | None:
        """Return a policy document as a mapping, parsing it when it is a JSON string."""
        if isinstance(node, MappingNode):
            return node
        if isinstance(node, ScalarNode) and isinstance(node.value, str) and node.value.lstrip().startswith("{"):
            try:
                parsed = json.loads(node.value)
            except ValueError:
                # NOTE: a policy document string that is not JSON is skipped without a finding.
                return None
            built = _from_python(parsed, node, node.path)
            return built if isinstance(built, MappingNode) else None
        return None

    def _inline_policies(self, logical_id: str, kind: str, properties: MappingNode) -> list[Policy]:
        policies = []
        for entry in self._list_property(properties, "Policies"):
            if not isinstance(entry, MappingNode):
                continue
            policy_name = self.resolver.text(entry.get("PolicyName")) or "unnamed"
            policies += self._add_policies(entry.get("PolicyDocument"), f"{logical_id} policy '{policy_name}' ({kind})", PolicyKind.IDENTITY)
        return policies

    def _list_property(self, properties: MappingNode, key: str) -> list[Node]:
        value = properties.get(key)
        if value is None:
            return []
        items: list[Node] = []
        for alternative in self.resolver.values(value, (key,)):
            items.extend(alternative.items if isinstance(alternative, SequenceNode) else [alternative])
        return items

    def _policy_resource(self, logical_id: str, kind: str, properties: MappingNode, policy_kind: PolicyKind) -> None:
        policies = self._add_policies(properties.get("PolicyDocument"), f"{logical_id} ({kind})", policy_kind)
        self.facts.policy_resources[logical_id] = policies
        self._attach_to(policies, properties.get("Users"), "AWS::IAM::User")
        self._attach_to(policies, properties.get("Groups"), "AWS::IAM::Group")
        self._attach_to(policies, properties.get("Roles"), "AWS::IAM::Role")

    def _inline_policy_resource(self, logical_id: str, kind: str, properties: MappingNode) -> None:
        owner = {"AWS::IAM::UserPolicy": ("UserName", "AWS::IAM::User"),
                 "AWS::IAM::GroupPolicy": ("GroupName", "AWS::IAM::Group"),
                 "AWS::IAM::RolePolicy": ("RoleName", "AWS::IAM::Role")}[kind]
        policies = self._add_policies(properties.get("PolicyDocument"), f"{logical_id} ({kind})", PolicyKind.IDENTITY)
        self._attach_to(policies, properties.get(owner[0]), owner[1])

    def _attach_to(self, policies: list[Policy], names: Node | None, principal_type: str) -> None:
        for logical_id in self.targets(names, (principal_type,)):
            self._principal_facts(logical_id).policies.extend(policies)

    def _serverless_function(self, logical_id: str, kind: str, properties: MappingNode) -> None:
        # Each item of SAM's Policies is a managed policy name or ARN, a SAM policy
        # template such as {S3ReadPolicy: {...}}, or a policy document. Only documents are read.
        policies = []
        for number, entry in enumerate(self._list_property(properties, "Policies"), start=1):
            if isinstance(entry, MappingNode) and entry.get("Statement") is not None:
                policies += self._add_policies(entry, f"{logical_id} policy {number} ({kind})", PolicyKind.IDENTITY)
        if policies:
            # SAM names the execution role it creates <LogicalId>Role.
            facts = self._principal_facts(f"{logical_id}Role", kind="role", span=self.resource_keys[logical_id].span)
            facts.policies.extend(policies)

    def _serverless_provider(self) -> None:
        statements = _serverless_statements(self.shape.root)
        if statements is None:
            return
        items: list[Node] = []
        for alternative in self.resolver.values(statements, ("Statement",)):
            items.extend(alternative.items if isinstance(alternative, SequenceNode) else [alternative])
        # The framework wraps the statements in a policy with Version 2012-10-17.
        policy = build_policy(self.document, MappingNode(statements.span, statements.path), items, wrapped=True)
        policy.kind = PolicyKind.IDENTITY
        policy.name = "provider IAM role statements (Serverless Framework)"
        self.policies.append(policy)
        # The framework's logical ID for the functions' shared role.
        facts = self._principal_facts("IamRoleLambdaExecution", kind="role", span=statements.span)
        facts.policies.append(policy)

    # -- principals -----------------------------------------------------------

    def _principal_facts(self, logical_id: str, kind: str | None = None, span: Span | None = None) -> _PrincipalFacts:
        facts = self.facts.principals.get(logical_id)
        if facts is None:
            resource = self.resources.get(logical_id)
            resource_type = _resource_type(resource) if resource is not None else None
            kind = kind or _PRINCIPAL_KIND.get(resource_type or "", "role")
            name = self.resolver.name_of(logical_id) if resource is not None else UNKNOWN
            properties = resource.get("Properties") if resource is not None else None
            iam_path = self.resolver.text(properties.get("Path")) if isinstance(properties, MappingNode) else None
            key = self.resource_keys.get(logical_id)
            facts = _PrincipalFacts(
                kind=kind,
                logical_id=logical_id,
                name=logical_id if name == UNKNOWN else name,
                path=iam_path or "/",
                span=span or (key.span if key is not None else Span.point(1, 1)),
            )
            self.facts.principals[logical_id] = facts
        return facts

    def _principal(self, logical_id: str, kind: str, properties: MappingNode) -> None:
        facts = self._principal_facts(logical_id)
        facts.policies.extend(self._inline_policies(logical_id, kind, properties))
        facts.managed.extend(self.targets(properties.get("ManagedPolicyArns"), ("AWS::IAM::ManagedPolicy",)))
        boundary = self.targets(properties.get("PermissionsBoundary"), ("AWS::IAM::ManagedPolicy",))
        facts.boundary = boundary[0] if boundary else None
        if kind == "AWS::IAM::Role":
            self._add_policies(properties.get("AssumeRolePolicyDocument"), f"{logical_id} trust policy ({kind})", PolicyKind.TRUST)
        if kind == "AWS::IAM::User":
            facts.groups.extend(self.targets(properties.get("Groups"), ("AWS::IAM::Group",)))
            self._login_profile(facts, properties.get("LoginProfile"))

    def _login_profile(self, facts: _PrincipalFacts, node: Node | None) -> None:
        if node is None:
            return
        for profile in self.resolver.values(node, ("LoginProfile",)):
            if not isinstance(profile, MappingNode):
                continue
            facts.console_password = True
            key = profile.key_node("PasswordResetRequired")
            value = profile.get("PasswordResetRequired")
            if key is None or value is None:
                continue
            # Both Fn::If branches count, because a user who may have to reset is evidence.
            if any(text.lower() == "true" for text in self.resolver.texts(value)):
                facts.reset_span = Span(key.span.start, value.span.end)

    def _group_addition(self, properties: MappingNode) -> None:
        groups = self.targets(properties.get("GroupName"), ("AWS::IAM::Group",))
        for user in self.targets(properties.get("Users"), ("AWS::IAM::User",)):
            self._principal_facts(user).groups.extend(groups)


def extract(document: Document) -> list[Policy]:
    """Return the policies of every template in the document, and keep its principals for link()."""
    policies: list[Policy] = []
    facts: list[_TemplateFacts] = []
    for root in document.roots:
        shape = _shape_of(root)
        if shape is None:
            continue
        reader = _TemplateReader(document, shape)
        policies.extend(reader.read())
        facts.append(reader.facts)
    document.facts[_FACTS_KEY] = facts
    return policies


# -- linking ------------------------------------------------------------------


def _describe_user(facts: _PrincipalFacts) -> str:
    if facts.name == facts.logical_id:
        return f"user {facts.logical_id}"
    return f"user '{facts.name}' ({facts.logical_id})"


def link(documents: list[Document]) -> Workspace:
    """Build the principals of the templates, with their policies, groups and password-reset evidence.

    Principal keys are the templates' logical IDs. When several templates are
    linked together, each key is prefixed with its file path and the
    template's position in the file, so equal logical IDs stay apart.
    """
    workspace = Workspace()
    templates = [(document, facts) for document in documents for facts in document.facts.get(_FACTS_KEY, [])]
    for number, (document, facts) in enumerate(templates):
        prefix = f"{document.path}#{number}:" if len(templates) > 1 else ""
        for spec in facts.principals.values():
            policies = list(spec.policies)
            for managed in spec.managed:
                policies.extend(policy for policy in facts.policy_resources.get(managed, []) if policy not in policies)
            boundary = facts.policy_resources.get(spec.boundary, []) if spec.boundary else []
            workspace.add(
                Principal(
                    kind=spec.kind,
                    key=prefix + spec.logical_id,
                    name=spec.name,
                    path=spec.path,
                    span=spec.span,
                    policies=policies,
                    groups=[prefix + group for group in dict.fromkeys(spec.groups)],
                    console_password=spec.console_password,
                    boundary=boundary[0] if boundary else None,
                    file=document.path,
                )
            )
            if spec.reset_span is not None:
                workspace.evidence.append(
                    ResetEvidence(
                        f"{_describe_user(spec)} must change its password at first sign-in",
                        document.path,
                        spec.reset_span,
                        principal=prefix + spec.logical_id,
                    )
                )
    return workspace
