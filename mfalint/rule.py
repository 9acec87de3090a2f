"""The rule interface: metadata, documentation and the check context.

A rule is a subclass of ``Rule`` whose class attributes carry its metadata
and whose ``check`` method yields findings. Plugins return rule instances
from the ``mfalint_rules`` hook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.nodes import Node
from mfalint.positions import Span

if TYPE_CHECKING:
    from mfalint.config import Settings
    from mfalint.context import Workspace
    from mfalint.document import Document
    from mfalint.model import Policy

__all__ = ["RuleDocs", "Rule", "CheckContext", "DOC_SECTIONS"]

# Section titles of a rule's documentation, in the order they are printed.
DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead", "Fix", "References")


@dataclass(frozen=True)
class RuleDocs:
    """A rule's documentation, one field per section.

    ``example`` must produce the rule's finding and ``use_instead`` must not;
    a test runs both. ``example_format`` is the loader that reads them.
    """

    what: str
    why: str
    example: str
    use_instead: str
    fix: str
    references: tuple[str, ...] = ()
    known_problems: str = ""
    example_format: str = "json"
    # Command-line arguments under which the example fires, e.g. a setting.
    example_args: tuple[str, ...] = ()


class Rule:
    """Base class of every rule, built-in or third-party."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    docs: ClassVar[RuleDocs]
    fixable: ClassVar[bool] = False
    # Opt-in rules run only when their code is selected by name.
    opt_in: ClassVar[bool] = False

    def check(self, context: CheckContext) -> Iterable[Finding]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"


@dataclass
class CheckContext:
    """The input of a rule for one file: the document, its policies, the settings and the linked workspace."""

    document: Document
    policies: list[Policy]
    settings: Settings
    # Principals and password-reset evidence from the files linked with this one, if any.
    workspace: Workspace | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def finding(
        self,
        rule: Rule,
        where: Node | Span,
        message: str,
        *,
        severity: Severity | None = None,
        fix: Fix | None = None,
        jsonpath: str | None = None,
        **details: Any,
    ) -> Finding:
        """Build a finding of ``rule`` at a node or span of this document."""
        if isinstance(where, Node):
            span = where.span
            path = jsonpath or where.jsonpath
        else:
            span = where
            path = jsonpath or "$"
        return Finding(
            code=rule.code,
            name=rule.name,
            severity=severity if severity is not None else rule.severity,
            message=message,
            path=self.document.path,
            span=span,
            jsonpath=path,
            fix=fix,
            details=details,
        )
