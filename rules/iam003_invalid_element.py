"""IAM003 invalid-element."""

from __future__ import annotations

import difflib
from typing import Iterable, Iterator

from mfalint.findings import Finding, Severity
from mfalint.model import VERSION_2008, VERSION_2012, Policy, PolicyKind
from mfalint.nodes import MappingNode, Node, ScalarNode, SequenceNode
from mfalint.rule import CheckContext, Rule, RuleDocs

POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition")


def _suggest(key: str, choices: tuple[str, ...]) -> str:
    lowered = {choice.lower(): choice for choice in choices}
    if key.lower() in lowered:
        return f"; element names are case-sensitive, write '{lowered[key.lower()]}'"
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; valid elements are {', '.join(choices)}"


def _is_string(node: Node) -> bool:
    return isinstance(node, ScalarNode) and isinstance(node.value, str)


class InvalidElement(Rule):
    code = "IAM003"
    name = "invalid-element"
    severity = Severity.ERROR
    summary = "A policy or statement element is unknown, missing, duplicated or of the wrong type."
    docs = RuleDocs(
        what=(
            "Checks the shape of each policy. The top level has only `Version`, `Id` and "
            "`Statement`, and statements have only the documented elements. `Effect` is "
            "`Allow` or `Deny`. A statement has exactly one of `Action` and `NotAction`, and "
            "at most one of `Resource` and `NotResource`, of which a statement of an identity "
            "policy needs one. An identity policy or permissions boundary has no `Principal` "
            "or `NotPrincipal`. "
            "Elements are strings or lists of strings where IAM expects them, and a "
            "`Condition` maps operators to keys to values."
        ),
        why=(
            "IAM rejects such a policy when it is uploaded, or, for a misspelt key in a tool "
            "that does not validate, silently ignores the element. A deny whose `NotAction` "
            "is spelt `NotActions` blocks nothing that the author meant to exempt."
        ),
        example='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Deny",\n      "NotActions": ["iam:ChangePassword"],\n      "Resource": "*"\n    }\n  ]\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Deny",\n      "NotAction": ["iam:ChangePassword"],\n      "Resource": "*"\n    }\n  ]\n}\n',
        fix="Correct the element name or value as the message says.",
        references=("AWS IAM User Guide: IAM JSON policy element reference", "AWS IAM User Guide: Grammar of the IAM JSON policy language"),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        for policy in context.policies:
            for node, message in self._problems(policy):
                yield context.finding(self, node, message)

    def _problems(self, policy: Policy) -> Iterator[tuple[Node, str]]:
        root = policy.node
        if not policy.wrapped:
            for key, _value in root.pairs:
                if key.value not in POLICY_KEYS:
                    yield key, f"unknown policy element '{key.value}'{_suggest(str(key.value), POLICY_KEYS)}"
            version = policy.version_node
            if version is not None and policy.version not in (VERSION_2012, VERSION_2008):
                yield version, f"Version '{policy.version}' is not one IAM accepts; use \"2012-10-17\""
            statement = root.get("Statement")
            if statement is not None and not isinstance(statement, (SequenceNode, MappingNode)):
                yield statement, "'Statement' must be a statement object or a list of them"
            if isinstance(statement, SequenceNode):
                for item in statement.items:
                    if not isinstance(item, MappingNode):
                        yield item, "each item of 'Statement' must be an object with Effect, Action and Resource"

        for statement in policy.statements:
            node = statement.node
            misspelt = set()
            for key, _value in node.pairs:
                if key.value not in STATEMENT_KEYS:
                    suggestion = _suggest(str(key.value), STATEMENT_KEYS)
                    misspelt.update(name for name in STATEMENT_KEYS if f"'{name}'" in suggestion)
                    yield key, f"unknown statement element '{key.value}'{suggestion}"

            effect = node.get("Effect")
            if effect is None:
                yield node, f"{statement.label} has no 'Effect'; add \"Effect\": \"Allow\" or \"Deny\""
            elif not _is_string(effect) or effect.value not in ("Allow", "Deny"):
                shown = effect.value if isinstance(effect, ScalarNode) else "a non-string value"
                yield effect, f"'Effect' is '{shown}', but IAM accepts only \"Allow\" or \"Deny\" (case-sensitive)"

            has_action, has_not_action = node.get("Action") is not None, node.get("NotAction") is not None
            if has_action and has_not_action:
                yield node.key_node("NotAction") or node, f"{statement.label} has both 'Action' and 'NotAction'; keep one"
            elif not has_action and not has_not_action and not misspelt & {"Action", "NotAction"}:
                yield node, f"{statement.label} has neither 'Action' nor 'NotAction', so it applies to nothing"

            has_resource, has_not_resource = node.get("Resource") is not None, node.get("NotResource") is not None
            if has_resource and has_not_resource:
                yield node.key_node("NotResource") or node, f"{statement.label} has both 'Resource' and 'NotResource'; keep one"
            elif (
                not has_resource
                and not has_not_resource
                and policy.kind is PolicyKind.IDENTITY
                and not misspelt & {"Resource", "NotResource"}
            ):
                yield node, f"{statement.label} has no 'Resource'; an identity policy statement needs \"Resource\" (use \"*\" for all)"

            if policy.kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY):
                for element in ("Principal", "NotPrincipal"):
                    key_node = node.key_node(element)
                    if key_node is not None:
                        yield key_node, (
                            f"'{element}' is not allowed in an identity policy, because the policy applies to the "
                            "user, group or role it is attached to; IAM rejects the policy, so remove the element"
                        )

            for key in ("Action", "NotAction", "Resource", "NotResource"):
                yield from self._string_list(node, key)

            sid = node.get("Sid")
            if sid is not None and not _is_string(sid):
                yield sid, "'Sid' must be a string"
            yield from self._condition_shape(node.get("Condition"))

    @staticmethod
    def _string_list(node: MappingNode, key: str) -> Iterator[tuple[Node, str]]:
        value = node.get(key)
        if value is None:
            return
        if isinstance(value, SequenceNode):
            if not value.items:
                yield value, f"'{key}' is an empty list, so the statement matches nothing"
            for item in value.items:
                if not _is_string(item):
                    yield item, f"each item of '{key}' must be a string"
        elif not _is_string(value):
            yield value, f"'{key}' must be a string or a list of strings"

    @staticmethod
    def _condition_shape(condition: Node | None) -> Iterator[tuple[Node, str]]:
        if condition is None:
            return
        if not isinstance(condition, MappingNode):
            yield condition, "'Condition' must map operators to {key: values} objects"
            return
        for operator, block in condition.pairs:
            if not isinstance(block, MappingNode):
                yield block, f"condition operator '{operator.value}' must map condition keys to values"
                continue
            for key, values in block.pairs:
                items = values.items if isinstance(values, SequenceNode) else [values]
                if isinstance(values, MappingNode) or any(not isinstance(item, ScalarNode) for item in items):
                    yield values, f"the values of condition key '{key.value}' must be a string or a list of strings"
