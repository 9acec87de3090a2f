"""Loaders: turn files into Documents, then Documents into policies.

A loader is any object with a ``name``, the file ``suffixes`` it claims, a
``load(text, path, limits) -> Document`` method and an
``extract(document) -> list[Policy]`` method. The built-in JSON and YAML
loaders are registered through the ``mfalint_loaders`` hook, like any third
party's.

A loader that understands principals (CloudFormation, Terraform, account
dumps) also has ``link(documents) -> Workspace``, which the runner calls once
for the documents read together, and ``link_scope``: ``"file"`` to link each
file alone, or ``"directory"`` to link all of its files in one folder (a
Terraform module). The documents passed to ``link`` are those this loader
loaded, each with the policies ``extract`` returned in ``document.policies``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from mfalint.document import Document
from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure, decode_bytes, read_bytes
from mfalint.model import Policy

__all__ = [
    "Loader",
    "JsonLoader",
    "YamlLoader",
    "Limits",
    "LoadFailure",
    "DEFAULT_LIMITS",
    "read_bytes",
    "decode_bytes",
]


@runtime_checkable
class Loader(Protocol):
    name: str
    suffixes: tuple[str, ...]

    def load(self, text: str, path: str, limits: Limits) -> Document: ...

    def extract(self, document: Document) -> list[Policy]: ...


class JsonLoader:
    """Plain policy documents in JSON."""

    name = "json"
    suffixes = (".json",)

    def load(self, text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
        from mfalint.loaders.json_loader import load_json

        return load_json(text, path, limits)

    def extract(self, document: Document) -> list[Policy]:
        from mfalint.extract import extract_policies

        return extract_policies(document)


class YamlLoader:
    """Plain policy documents in YAML."""

    name = "yaml"
    suffixes = (".yaml", ".yml")

    def load(self, text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
        from mfalint.loaders.yaml_loader import load_yaml

        return load_yaml(text, path, limits)

    def extract(self, document: Document) -> list[Policy]:
        from mfalint.extract import extract_policies

        return extract_policies(document)
