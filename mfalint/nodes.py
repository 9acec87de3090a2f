"""The format-neutral node tree that every loader produces.

A loader turns JSON, YAML or any other input into mappings, sequences and
scalars. Each node keeps the span it was read from and its path from the
document root, so findings can point at the exact element and name it as a
JSONPath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator, Union

from mfalint.positions import Span

__all__ = ["Node", "MappingNode", "SequenceNode", "ScalarNode", "PathPart", "format_jsonpath"]

PathPart = Union[str, int]


def format_jsonpath(path: tuple[PathPart, ...]) -> str:
    """Render a node path as a JSONPath string that jsonpath-ng parses back.

    Field names that are plain identifiers are written bare, others quoted,
    and indexes in brackets: ``$.Statement[0].Condition.BoolIfExists.'aws:MultiFactorAuthPresent'``.
    """
    parts = ["$"]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part.isidentifier():
            parts.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f".'{escaped}'")
    return "".join(parts)


@dataclass(eq=False)
class Node:
    """A node read from a document, with its source span and path."""

    span: Span
    path: tuple[PathPart, ...]
    tag: str | None = field(default=None, kw_only=True)

    @cached_property
    def jsonpath(self) -> str:
        return format_jsonpath(self.path)

    def to_python(self) -> Any:
        raise NotImplementedError


@dataclass(eq=False)
class ScalarNode(Node):
    """A string, number, boolean or null.

    ``quoted`` is true for a quoted YAML scalar or any JSON string.
    ``yaml_type`` names the type a YAML 1.1 reader gave a plain scalar
    (``timestamp`` for an unquoted date, ``bool`` for ``yes``) when it differs
    from what the text looks like to a person.
    """

    value: Any = None
    quoted: bool = field(default=False, kw_only=True)
    yaml_type: str | None = field(default=None, kw_only=True)

    def to_python(self) -> Any:
        return self.value


@dataclass(eq=False)
class SequenceNode(Node):
    items: list[Node] = field(default_factory=list)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_python(self) -> list[Any]:
        return [item.to_python() for item in self.items]


@dataclass(eq=False)
class MappingNode(Node):
    """A mapping; ``pairs`` keeps every key in order, duplicates included."""

    pairs: list[tuple[ScalarNode, Node]] = field(default_factory=list)

    def get(self, key: str) -> Node | None:
        """Return the value of ``key`` (the last one, as JSON readers do)."""
        found = None
        for key_node, value in self.pairs:
            if key_node.value == key:
                found = value
        return found

    def key_node(self, key: str) -> ScalarNode | None:
        found = None
        for key_node, _value in self.pairs:
            if key_node.value == key:
                found = key_node
        return found

    def keys(self) -> list[str]:
        return [str(key.value) for key, _value in self.pairs]

    def to_python(self) -> dict[Any, Any]:
        return {key.value: value.to_python() for key, value in self.pairs}
