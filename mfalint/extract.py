"""Recognise policy documents in a node tree and build the policy model.

A mapping with ``Statement`` is a policy. A mapping that looks like a single
statement (``Effect`` with ``Action`` or ``Resource``), or a list of such
mappings, is reported as IAM002 and analysed as if it were wrapped in a
policy with Version 2012-10-17. Anything else, including CloudFormation
templates, is not a policy for this loader and is skipped without a word,
because pre-commit hands every JSON and YAML file of a repository to mfalint.
"""

from __future__ import annotations

from mfalint.document import Document, Problem
from mfalint.model import VERSION_2012, Condition, Policy, PolicyKind, Statement, Value, parse_operator
from mfalint.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["extract_policies", "build_policy", "scalar_text", "classify", "terraform_statement"]

STATEMENT_HINTS = ("Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal")
_TRUST_ACTIONS = ("sts:assumerole", "sts:tagsession", "sts:setsourceidentity", "sts:setcontext")


def scalar_text(node: Node) -> str | None:
    """Return the text IAM would see for a scalar: booleans as ``true``/``false``."""
    if not isinstance(node, ScalarNode):
        return None
    value = node.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and node.yaml_type != "float":
        return str(int(value))
    return str(value)


def _values(node: Node | None) -> list[Value] | None:
    """Read a string-or-list element; non-scalar items are left to IAM003."""
    if node is None:
        return None
    items = node.items if isinstance(node, SequenceNode) else [node]
    values = []
    for item in items:
        text = scalar_text(item)
        if text is not None:
            values.append(Value(text, item))
    return values


def _looks_like_statement(node: Node) -> bool:
    return isinstance(node, MappingNode) and node.get("Effect") is not None and any(
        node.get(key) is not None for key in STATEMENT_HINTS
    )


# Terraform's aws_iam_policy_document statement schema: attribute -> policy element.
TERRAFORM_KEYS = {
    "sid": "Sid",
    "effect": "Effect",
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}


def _looks_like_terraform_statement(node: Node) -> bool:
    return isinstance(node, MappingNode) and any(
        key in node.keys() for key in ("actions", "not_actions")
    ) and all(key in (*TERRAFORM_KEYS, "condition", "principals", "not_principals") for key in node.keys())


def terraform_statement(node: MappingNode) -> MappingNode:
    """Rewrite a statement in Terraform's policy-document schema into policy elements.

    The result reuses the original value nodes, so positions still point into
    the file that was read. ``condition`` blocks (``test``, ``variable``,
    ``values``) become a Condition mapping with one operator pair per block,
    whose operator and key nodes are the ``test`` and ``variable`` values.
    Terraform's default effect is Allow.
    """
    pairs: list[tuple[ScalarNode, Node]] = []
    for key_node, value in node.pairs:
        name = TERRAFORM_KEYS.get(str(key_node.value))
        if name is not None:
            pairs.append((ScalarNode(key_node.span, key_node.path, value=name), value))
        elif key_node.value in ("principals", "not_principals"):
            label = "Principal" if key_node.value == "principals" else "NotPrincipal"
            pairs.append((ScalarNode(key_node.span, key_node.path, value=label), value))
    if node.get("effect") is None:
        pairs.append((ScalarNode(node.span, node.path, value="Effect"), ScalarNode(node.span, node.path, value="Allow")))
    condition = node.get("condition")
    blocks: list[Node] = []
    if isinstance(condition, SequenceNode):
        blocks = condition.items
    elif condition is not None:
        blocks = [condition]
    # One operator pair per block, even when two blocks share a test. Each test
    # then keeps its own node, so renaming one block's test changes that block only.
    operators: list[tuple[ScalarNode, Node]] = []
    for block in blocks:
        if not isinstance(block, MappingNode):
            continue
        test, variable, values = block.get("test"), block.get("variable"), block.get("values")
        if not isinstance(test, ScalarNode) or not isinstance(variable, ScalarNode) or values is None:
            continue
        operators.append((test, MappingNode(block.span, block.path, pairs=[(variable, values)])))
    if operators and condition is not None:
        mapping = MappingNode(condition.span, condition.path, pairs=operators)
        pairs.append((ScalarNode(condition.span, condition.path, value="Condition"), mapping))
    return MappingNode(node.span, node.path, pairs=pairs)


def _is_template(node: MappingNode) -> bool:
    return node.get("AWSTemplateFormatVersion") is not None or isinstance(node.get("Resources"), MappingNode)


def _build_conditions(node: Node | None) -> list[Condition]:
    conditions: list[Condition] = []
    if not isinstance(node, MappingNode):
        return conditions
    for operator_key, block in node.pairs:
        if not isinstance(block, MappingNode):
            continue
        operator = parse_operator(str(operator_key.value))
        for key_node, values_node in block.pairs:
            values = _values(values_node) or []
            conditions.append(Condition(operator, str(key_node.value), values, operator_key, key_node, values_node))
    return conditions


def build_statement(index: int, node: MappingNode) -> Statement:
    sid_node = node.get("Sid")
    effect_node = node.get("Effect")
    return Statement(
        index=index,
        node=node,
        sid=scalar_text(sid_node) if sid_node is not None else None,
        effect=scalar_text(effect_node) if effect_node is not None else None,
        actions=_values(node.get("Action")),
        not_actions=_values(node.get("NotAction")),
        resources=_values(node.get("Resource")),
        not_resources=_values(node.get("NotResource")),
        conditions=_build_conditions(node.get("Condition")),
        has_principal=node.get("Principal") is not None or node.get("NotPrincipal") is not None,
    )


def classify(statements: list[Statement]) -> PolicyKind:
    """Tell trust and resource policies (which name a Principal) from identity policies."""
    with_principal = [statement for statement in statements if statement.has_principal]
    if not with_principal:
        return PolicyKind.IDENTITY
    actions = [value.text.lower() for statement in with_principal for value in (statement.actions or [])]
    if actions and all(action.startswith(_TRUST_ACTIONS) for action in actions):
        return PolicyKind.TRUST
    return PolicyKind.RESOURCE


def build_policy(document: Document, node: MappingNode, statement_nodes: list[Node], *, wrapped: bool = False) -> Policy:
    statements = [
        build_statement(index, item) for index, item in enumerate(statement_nodes) if isinstance(item, MappingNode)
    ]
    version_node = node.get("Version") if not wrapped else None
    version = scalar_text(version_node) if version_node is not None else None
    if wrapped:
        version = VERSION_2012
    return Policy(
        document=document,
        node=node,
        statements=statements,
        version=version,
        version_node=version_node,
        kind=classify(statements),
        wrapped=wrapped,
    )


def extract_policies(document: Document) -> list[Policy]:
    """Return the policies of a plain JSON or YAML document."""
    policies = []
    for root in document.roots:
        if isinstance(root, MappingNode):
            if _is_template(root):
                continue
            statement_node = root.get("Statement")
            if statement_node is not None:
                items = statement_node.items if isinstance(statement_node, SequenceNode) else [statement_node]
                policies.append(build_policy(document, root, items))
            elif _looks_like_statement(root):
                document.problems.append(
                    Problem(
                        "IAM002",
                        root.span,
                        "document has no 'Statement': it is a single statement, not a policy; "
                        "wrap it as {\"Version\": \"2012-10-17\", \"Statement\": [...]} "
                        "(analysed here as if wrapped)",
                        root.jsonpath,
                    )
                )
                policies.append(build_policy(document, root, [root], wrapped=True))
            elif root.get("Version") is not None and set(root.keys()) <= {"Version", "Id"}:
                document.problems.append(
                    Problem("IAM002", root.span, "policy has no 'Statement', so it grants and denies nothing", root.jsonpath)
                )
        elif isinstance(root, SequenceNode) and root.items and all(
            _looks_like_terraform_statement(item) for item in root.items
        ):
            # A statement list in Terraform's policy-document schema, as kept in
            # YAML catalogs that Terraform modules read.
            statements = [terraform_statement(item) for item in root.items if isinstance(item, MappingNode)]
            policies.append(build_policy(document, MappingNode(root.span, root.path), list(statements), wrapped=True))
        elif isinstance(root, SequenceNode) and root.items and all(_looks_like_statement(item) for item in root.items):
            document.problems.append(
                Problem(
                    "IAM002",
                    root.span,
                    "document is a list of statements, not a policy; "
                    "wrap it as {\"Version\": \"2012-10-17\", \"Statement\": [...]} (analysed here as if wrapped)",
                    root.jsonpath,
                )
            )
            policies.append(build_policy(document, MappingNode(root.span, root.path), list(root.items), wrapped=True))
    return policies
