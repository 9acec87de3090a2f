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

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from mfalint.document import Document
from mfalint.loaders.reading import DEFAULT_LIMITS, Limits, LoadFailure, decode_bytes, read_bytes
from mfalint.model import Policy

if TYPE_CHECKING:
    from mfalint.context import Workspace

__all__ = [
    "Loader",
    "JsonLoader",
    "YamlLoader",
    "StructuredLoader",
    "DOCUMENT_KINDS",
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


# Modules that recognise a kind of JSON or YAML document by its content and
# read the policies in it. Each has detect(document) -> bool,
# extract(document) -> list[Policy] and link(documents) -> Workspace. A
# document that none of them claims is read as a plain policy.
DOCUMENT_KINDS: tuple[str, ...] = ("mfalint.loaders.cloudformation", "mfalint.loaders.account_dump", "mfalint.loaders.terraform_plan")


def _kind_modules():
    import importlib

    return [importlib.import_module(name) for name in DOCUMENT_KINDS]


class StructuredLoader:
    """Shared extract and link steps of the JSON and YAML loaders."""

    name = "structured"
    suffixes: tuple[str, ...] = ()
    link_scope = "file"

    def extract(self, document: Document) -> list[Policy]:
        from mfalint.extract import extract_policies

        if document.readable:
            for module in _kind_modules():
                if module.detect(document):
                    document.facts["kind"] = module.__name__
                    return module.extract(document)
        return extract_policies(document)

    def link(self, documents: list[Document]) -> Workspace | None:
        from mfalint.context import Workspace

        parts = []
        for module in _kind_modules():
            mine = [document for document in documents if document.facts.get("kind") == module.__name__]
            if mine:
                parts.append(module.link(mine))
        return Workspace.merged(parts) if parts else None


class JsonLoader(StructuredLoader):
    """Policy documents, CloudFormation templates, Terraform plans and account dumps in JSON."""

    name = "json"
    suffixes = (".json",)

    def load(self, text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
        from mfalint.loaders.json_loader import load_json

        return load_json(text, path, limits)


class YamlLoader(StructuredLoader):
    """Policy documents and CloudFormation templates in YAML."""

    name = "yaml"
    suffixes = (".yaml", ".yml")

    def load(self, text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Document:
        from mfalint.loaders.yaml_loader import load_yaml

        return load_yaml(text, path, limits)
