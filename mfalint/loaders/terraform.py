"""Terraform HCL: the IAM policies a module defines, with positions in its .tf files.

Parser choice. Two candidates were measured with a one-off script on 26
public Terraform files that enforce MFA (from terraform-aws-modules,
trussworks, Checkmarx KICS fixtures and others), on Python 3.11 with 2
cores, one process per parser, best of 5 warm runs. Versions: tree-sitter
0.26.1 with tree-sitter-hcl 1.2.0, and python-hcl2 8.1.4 with lark 1.3.1.

    | | tree-sitter-hcl | python-hcl2 |
    |---|---|---|
    | files parsed | 24 of 26 | 24 of 26 (the same two Terraform 0.11 files fail) |
    | position of the first error | an ERROR node, in which the first unexpected token is found | exact token from the exception |
    | line and column in jsonencode objects and policy document blocks | every token | every token, but only in the raw Lark tree; ``loads()`` keeps block lines only |
    | positions inside heredocs | literal text and each interpolation are separate nodes | the heredoc is one token, so interpolations must be found by hand |
    | import and grammar load | 4 ms | 50 ms (1.5 s on first use, which writes a grammar cache into site-packages) |
    | parse time for the 26 files | 21 ms | 120 ms (``loads()``: 280 ms) |

On a busier machine both parse times doubled and the ratio stayed near six.
tree-sitter-hcl is used: it gives positions inside heredocs, is about six
times faster, recovers after a syntax error, and uses the tree-sitter
binding that the JSON loader already needs.

A module's ``.tf`` files are linked together (``link_scope = "directory"``):
a policy resource in one file may use a policy document, user or group
defined in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mfalint.document import Document, Problem
from mfalint.extract import extract_policies
from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure
from mfalint.loaders.terraform_hcl import Block, HclReader, Reference, parse_hcl
from mfalint.loaders.terraform_policies import DocumentSource, policy_document, policy_source, prune_policy
from mfalint.model import Policy, PolicyKind
from mfalint.nodes import MappingNode, ScalarNode, format_jsonpath

if TYPE_CHECKING:
    from mfalint.context import Workspace

__all__ = ["TerraformLoader", "ModuleFile", "ResourcePolicies", "resource_kind"]

# Resource types whose attributes hold a policy, and the attributes.
POLICY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "aws_iam_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_role": ("assume_role_policy",),
    "aws_organizations_policy": ("content",),
}

# aws_organizations_policy types that hold an IAM policy, by kind; tag,
# backup and AI opt-out policies use other grammars and are not read.
ORGANIZATIONS_KINDS = {
    "SERVICE_CONTROL_POLICY": PolicyKind.SCP,
    "RESOURCE_CONTROL_POLICY": PolicyKind.RESOURCE,
}

POLICY_DOCUMENT = "aws_iam_policy_document"


@dataclass(eq=False)
class ResourcePolicies:
    """The policies in one resource attribute: read in place, or referenced documents."""

    policies: list[Policy] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass(eq=False)
class ModuleFile:
    """The parsed blocks and policies of one ``.tf`` file, kept for ``link``."""

    reader: HclReader
    tree: Any  # the tree-sitter tree, kept alive for the nodes the blocks refer to
    blocks: list[Block]
    documents: dict[str, Policy] = field(default_factory=dict)
    merges: dict[str, DocumentSource] = field(default_factory=dict)
    # (resource address, attribute name) -> policies; inline_policy blocks of a role use "inline_policy".
    attributes: dict[tuple[str, str], ResourcePolicies] = field(default_factory=dict)


class TerraformLoader:
    """Terraform ``.tf`` files: policy resources, policy documents, principals and attachments."""

    name = "terraform"
    suffixes = (".tf",)
    link_scope = "directory"

    def load(self, text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
        text = text.removeprefix("\ufeff")
        document = Document(path=path, text=text, format="terraform")
        data = text.encode("utf-8")
        reader = HclReader(data, document.lines, limits)
        try:
            tree = parse_hcl(data)
            if tree.root_node.has_error:
                raise reader.first_error(tree.root_node)
            blocks = reader.blocks(tree.root_node)
        except LoadFailure as failure:
            document.problems.append(Problem("IAM001", failure.span, failure.message))
            return document
        document.problems.extend(_resource_documents(blocks))
        document.facts["terraform"] = ModuleFile(reader, tree, blocks)
        return document

    def extract(self, document: Document) -> list[Policy]:
        module_file: ModuleFile | None = document.facts.get("terraform")
        if module_file is None or not document.readable:
            return []
        try:
            return _extract(document, module_file)
        except LoadFailure as failure:
            document.problems.append(Problem("IAM001", failure.span, failure.message))
            return []

    def link(self, documents: list[Document]) -> Workspace:
        from mfalint.loaders.terraform_links import link_module

        return link_module(documents)


def _resource_documents(blocks: list[Block]) -> list[Problem]:
    """Report each aws_iam_policy_document declared as a resource, which Terraform rejects.

    The block is still read as the data source it was meant to be, so its
    statements are checked too.
    """
    problems = []
    for block in blocks:
        if block.type == "resource" and block.labels and block.labels[0] == POLICY_DOCUMENT:
            name = block.labels[1] if len(block.labels) > 1 else "NAME"
            message = (
                f"'{POLICY_DOCUMENT}' is a data source, not a resource, so Terraform rejects this file; "
                f"declare it as data \"{POLICY_DOCUMENT}\" \"{name}\" and refer to it as "
                f"data.{POLICY_DOCUMENT}.{name}.json"
            )
            # A JSONPath below the root keeps the rest of the file readable.
            problems.append(Problem("IAM001", block.header, message, format_jsonpath(("resource", POLICY_DOCUMENT, name))))
    return problems


def _extract(document: Document, module_file: ModuleFile) -> list[Policy]:
    reader = module_file.reader
    policies: list[Policy] = []
    for block in module_file.blocks:
        address = block.address
        if address is None:
            continue
        if block.type in ("data", "resource") and block.labels[0] == POLICY_DOCUMENT:
            source = policy_document(reader, block)
            root = prune_policy(source.root)
            if root is None:
                continue
            found = _policies(document, root, address, None)
            if found:
                module_file.documents[address] = found[0]
                module_file.merges[address] = source
                policies.extend(found)
            continue
        if block.type != "resource":
            continue
        resource_type = block.labels[0]
        if resource_type not in POLICY_ATTRIBUTES:
            continue
        kind = resource_kind(reader, block)
        if kind is None:
            continue
        for attribute_name in POLICY_ATTRIBUTES[resource_type]:
            attribute = block.attributes.get(attribute_name)
            if attribute is not None:
                entry = _read_attribute(document, reader, attribute.expression, address, kind)
                module_file.attributes[(address, attribute_name)] = entry
                policies.extend(entry.policies)
        if resource_type == "aws_iam_role":
            inline = ResourcePolicies()
            for child in block.nested("inline_policy"):
                attribute = child.attributes.get("policy")
                if attribute is not None:
                    entry = _read_attribute(document, reader, attribute.expression, address, PolicyKind.IDENTITY)
                    inline.policies.extend(entry.policies)
                    inline.references.extend(entry.references)
            module_file.attributes[(address, "inline_policy")] = inline
            policies.extend(inline.policies)
    return policies


def resource_kind(reader: HclReader, block: Block) -> PolicyKind | None:
    """Return the kind a resource gives the policy in its policy attribute, whatever its statements contain.

    Returns None for an ``aws_organizations_policy`` whose type contains no IAM
    policy (tag, backup and AI opt-out policies).
    """
    resource_type = block.labels[0]
    if resource_type == "aws_iam_role":
        return PolicyKind.TRUST  # assume_role_policy; inline policies are identity policies
    if resource_type != "aws_organizations_policy":
        return PolicyKind.IDENTITY
    attribute = block.attributes.get("type")
    if attribute is None:
        return PolicyKind.SCP  # the default type
    value = reader.value(attribute.expression, ())
    if not isinstance(value, ScalarNode) or not isinstance(value.value, str):
        return PolicyKind.SCP  # computed: assume the default
    return ORGANIZATIONS_KINDS.get(value.value)


def _read_attribute(document: Document, reader: HclReader, expression: Any, address: str, kind: PolicyKind | None) -> ResourcePolicies:
    source = policy_source(reader, document, expression, reader.limits)
    entry = ResourcePolicies(references=source.references)
    for root in source.roots:
        pruned = prune_policy(root)
        if pruned is not None:
            entry.policies.extend(_policies(document, pruned, address, kind))
    return entry


def _policies(document: Document, root: MappingNode, name: str, kind: PolicyKind | None) -> list[Policy]:
    """Build the policies of one policy tree, with the shape checks of plain JSON policies."""
    scratch = Document(path=document.path, text=document.text, format=document.format, roots=[root])
    found = extract_policies(scratch)
    document.problems.extend(scratch.problems)
    for policy in found:
        policy.document = document
        policy.name = name
        if kind is not None:
            policy.kind = kind
    return found

