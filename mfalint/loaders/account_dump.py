"""Account dumps: the output of ``aws iam get-account-authorization-details``.

The dump lists users (``UserDetailList``), groups (``GroupDetailList``),
roles (``RoleDetailList``) and managed policies (``Policies``), in any
subset. Each policy document is either a JSON object, as the AWS CLI prints
it, or a URL-encoded JSON string (RFC 3986), as the IAM API returns it and
some tools keep it. Both forms are read, and findings in a string point at
the matching characters inside that string in the dump.

Only the default version of a managed policy is read, because that is the
version IAM enforces. The role entries under ``InstanceProfileList`` repeat
roles listed in ``RoleDetailList`` and are skipped. One page of a
paginated response (``IsTruncated`` true) links only what that page lists.

The dump has no password-reset evidence: ``UserDetail`` has only Path,
UserName, UserId, Arn, CreateDate, UserPolicyList, GroupList,
AttachedManagedPolicies, PermissionsBoundary and Tags (IAM API Reference,
UserDetail), so neither login profiles nor the account password policy
appear. Use ``password-reset = "required"`` when users must reset.
"""

from __future__ import annotations

import codecs
import re
from typing import Callable
from urllib.parse import unquote

from mfalint.context import Principal, Workspace
from mfalint.document import Document, Problem
from mfalint.extract import extract_policies
from mfalint.loaders.json_loader import load_json
from mfalint.model import Policy, PolicyKind
from mfalint.nodes import MappingNode, Node, PathPart, ScalarNode, SequenceNode
from mfalint.positions import Position, Span, line_starts

__all__ = ["EMBEDDED_TAG", "detect", "extract", "link", "read_policy", "text_of", "items_of"]

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList")

# The tag of nodes read from JSON text inside a string. Fix edits skip tagged
# nodes, which keeps them from writing unescaped text into the string.
EMBEDDED_TAG = "mfalint:embedded-json"
_FACT = "account_dump_workspace"


# -- reading nodes -----------------------------------------------------------


def text_of(node: Node | None) -> str | None:
    """Return a string scalar's value, or None for anything else (missing, null, a number)."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return node.value
    return None


def items_of(node: Node | None) -> list[Node]:
    return node.items if isinstance(node, SequenceNode) else []


def _mappings(node: Node | None) -> list[MappingNode]:
    return [item for item in items_of(node) if isinstance(item, MappingNode)]


# -- policies embedded as strings -------------------------------------------

_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX = frozenset("0123456789abcdefABCDEF")


def _decode_json_literal(literal: str) -> tuple[str, list[int]] | None:
    """Decode a JSON string literal, quotes included, keeping where each character came from.

    Returns the value and a list with, for each character of the value, the
    offset in ``literal`` where its character or escape sequence starts,
    followed by the offset of the closing quote. Returns None for text that
    is not a JSON string literal.
    """
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        return None
    chars: list[str] = []
    offsets: list[int] = []
    index, end = 1, len(literal) - 1
    while index < end:
        char = literal[index]
        if char != "\\":
            chars.append(char)
            offsets.append(index)
            index += 1
            continue
        escape = literal[index + 1] if index + 1 < end else ""
        if escape == "u":
            digits = literal[index + 2 : index + 6]
            if len(digits) != 4 or not set(digits) <= _HEX:
                return None
            code, width = int(digits, 16), 6
            low_digits = literal[index + 8 : index + 12]
            # A surrogate pair written as two escapes is one character.
            pair = literal[index + 6 : index + 8] == "\\u" and len(low_digits) == 4 and set(low_digits) <= _HEX
            if 0xD800 <= code < 0xDC00 and pair and 0xDC00 <= int(low_digits, 16) < 0xE000:
                code, width = 0x10000 + ((code - 0xD800) << 10) + (int(low_digits, 16) - 0xDC00), 12
            chars.append(chr(code))
            offsets.append(index)
            index += width
        elif escape in _JSON_ESCAPES:
            chars.append(_JSON_ESCAPES[escape])
            offsets.append(index)
            index += 2
        else:
            return None
    offsets.append(end)
    return "".join(chars), offsets


def _is_percent_escape(text: str, index: int) -> bool:
    return text.startswith("%", index) and index + 3 <= len(text) and set(text[index + 1 : index + 3]) <= _HEX


def _url_decode(text: str) -> tuple[str, list[int]]:
    """Decode %XX escapes as ``urllib.parse.unquote`` does, keeping where each character came from.

    Returns the decoded text and, for each of its characters, the offset in
    ``text`` of the escape (or character) it came from, followed by
    ``len(text)``. A character made of several UTF-8 bytes maps to its first
    byte's escape.
    """
    decoded = unquote(text)
    chars: list[str] = []
    offsets: list[int] = []
    index = 0
    while index < len(text):
        if not _is_percent_escape(text, index):
            chars.append(text[index])
            offsets.append(index)
            index += 1
            continue
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        start = index
        while _is_percent_escape(text, index):
            out = decoder.decode(bytes([int(text[index + 1 : index + 3], 16)]))
            chars.extend(out)
            offsets.extend([start] * len(out))
            index += 3
            if out:
                start = index
        out = decoder.decode(b"", final=True)
        chars.extend(out)
        offsets.extend([start] * len(out))
    if "".join(chars) != decoded:
        # Invalid UTF-8 can be replaced differently byte by byte than in one
        # run; positions then fall back to the start of the string.
        return decoded, [0] * (len(decoded) + 1)
    offsets.append(len(text))
    return decoded, offsets


def _span_mapper(document: Document, node: ScalarNode, url_encoded: bool) -> tuple[str, Callable[[Span], Span]]:
    """Return the policy text inside a string node and a function from its spans to the file's.

    In a JSON file a string literal lies on one line, so a character at
    offset k of the literal is at the literal's column plus k. Where the
    literal cannot be traced character by character (YAML scalars, or a
    value that does not match its literal), every span maps to the whole
    string.
    """
    value = str(node.value)
    text, text_to_value = _url_decode(value) if url_encoded else (value, list(range(len(value) + 1)))
    string_span = node.span
    traced = None
    if document.format == "json" and string_span.start.line == string_span.end.line:
        start, end = string_span.start.column - 1, string_span.end.column - 1
        traced = _decode_json_literal(document.lines.line_text(string_span.start.line)[start:end])
        if traced is not None and traced[0] != value:
            traced = None
    if traced is None:
        # NOTE: outside JSON files, findings in an embedded policy point at the whole string.
        return text, lambda _span: string_span

    value_to_literal = traced[1]
    starts = line_starts(text)

    def to_file(position: Position) -> Position:
        line = min(max(position.line, 1), len(starts))
        offset = min(starts[line - 1] + position.column - 1, len(text))
        column = string_span.start.column + value_to_literal[text_to_value[offset]]
        return Position(string_span.start.line, column)

    return text, lambda span: Span(to_file(span.start), to_file(span.end))


def _relocate(root: Node, to_file: Callable[[Span], Span], prefix: tuple[PathPart, ...]) -> None:
    """Move every node of an embedded document to its place in the enclosing file, and tag it."""
    stack = [root]
    while stack:
        node = stack.pop()
        node.span = to_file(node.span)
        node.path = prefix + node.path
        node.tag = EMBEDDED_TAG
        if isinstance(node, MappingNode):
            for key, value in node.pairs:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.items)


def _embedded_root(document: Document, node: ScalarNode, label: str, url_encoded: bool) -> Node | None:
    """Parse the JSON policy inside a string node and record its problems in ``document``.

    Returns the root of the embedded document, its nodes placed in
    ``document``, or None when the text is empty (IAM002) or not valid JSON
    (IAM001 at the bad character).
    """
    text, to_file = _span_mapper(document, node, url_encoded)
    if not text.strip():
        document.problems.append(Problem("IAM002", node.span, f"{label} is an empty string, not a policy document", node.jsonpath))
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        # An escape such as \ud800 without its pair decodes to no character at all.
        line = text.count("\n", 0, error.start) + 1
        column = error.start - (text.rfind("\n", 0, error.start) + 1) + 1
        span = to_file(Span(Position(line, column), Position(line, column + 1)))
        message = f"{label}: invalid text: \\u{ord(text[error.start]):04x} is half of a UTF-16 surrogate pair"
        document.problems.append(Problem("IAM001", span, message, node.jsonpath))
        return None
    inner = load_json(text, document.path)
    prefix_path = node.jsonpath
    for problem in inner.problems:
        message = problem.message
        if problem.code == "IAM015":
            # The JSON loader names the first key's line in the embedded text, not in the file.
            message = re.sub(r" \(first at line \d+\)", "", message)
        document.problems.append(
            Problem(
                problem.code,
                to_file(problem.span),
                f"{label}: {message}" if problem.code == "IAM001" else message,
                prefix_path + problem.jsonpath[1:],
            )
        )
    if not inner.roots:
        return None
    root = inner.roots[0]
    _relocate(root, to_file, node.path)
    return root


def read_policy(
    document: Document, node: Node | None, label: str, kind: PolicyKind | None = None, *, url_encoded: bool = True
) -> Policy | None:
    """Read the policy document held by ``node``: an object, or JSON text in a string.

    A string is URL-decoded first when ``url_encoded`` is true and the text
    does not already start with ``{`` or ``[``. ``label`` names the policy in
    messages and becomes ``Policy.name``; ``kind`` overrides the kind read
    from the statements. Problems go to ``document.problems``. Returns None
    when there is no policy to read.
    """
    if node is None or (isinstance(node, ScalarNode) and node.value is None):
        return None
    root: Node | None = node
    if isinstance(node, ScalarNode):
        if not isinstance(node.value, str):
            document.problems.append(
                Problem("IAM002", node.span, f"{label} is {node.value!r}, not a policy document", node.jsonpath)
            )
            return None
        decode = url_encoded and not node.value.lstrip().startswith(("{", "["))
        root = _embedded_root(document, node, label, decode)
        if root is None:
            return None

    # extract_policies reads a document's roots, and this one contains only the policy node.
    holder = Document(path=document.path, text="", format=document.format, roots=[root])
    policies = extract_policies(holder)
    document.problems.extend(holder.problems)
    if not policies:
        if not holder.problems:
            document.problems.append(
                Problem("IAM002", root.span, f"{label} is not a policy document: it has no 'Statement'", root.jsonpath)
            )
        return None
    policy = policies[0]
    policy.document = document
    policy.name = label
    if kind is not None:
        policy.kind = kind
    return policy


# -- the document kind ---------------------------------------------------------


def _looks_like_managed_policy(node: Node) -> bool:
    return isinstance(node, MappingNode) and (
        node.get("PolicyVersionList") is not None or (node.get("PolicyName") is not None and node.get("Arn") is not None)
    )


def detect(document: Document) -> bool:
    """Return True for a mapping with the lists of an authorization details response."""
    if len(document.roots) != 1 or not isinstance(document.roots[0], MappingNode):
        return False
    root = document.roots[0]
    if root.get("Statement") is not None:
        return False
    if any(isinstance(root.get(key), SequenceNode) for key in LISTS):
        return True
    policies = root.get("Policies")
    return isinstance(policies, SequenceNode) and bool(policies.items) and all(
        _looks_like_managed_policy(item) for item in policies.items
    )


def _is_true(node: Node | None) -> bool:
    return isinstance(node, ScalarNode) and node.value is True


def _count(node: Node | None) -> int:
    """Return an integer field's value, or 0 when it is missing or not an integer."""
    if isinstance(node, ScalarNode) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return 0


def _default_version(detail: MappingNode) -> MappingNode | None:
    """Return the entry of PolicyVersionList that IAM enforces, if the dump has it."""
    versions = _mappings(detail.get("PolicyVersionList"))
    for version in versions:
        if _is_true(version.get("IsDefaultVersion")):
            return version
    default_id = text_of(detail.get("DefaultVersionId"))
    for version in versions:
        if default_id is not None and text_of(version.get("VersionId")) == default_id:
            return version
    return None


class _DumpReader:
    """Policies and principals of one dump, linked as the dump states them."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.policies: list[Policy] = []
        self.workspace = Workspace()
        self.managed: dict[str, Policy] = {}
        self.attached: set[str] = set()
        self.boundaries: set[str] = set()
        # ARN -> (AttachmentCount, PermissionsBoundaryUsageCount) as the dump reports them.
        self.usage_counts: dict[str, tuple[int, int]] = {}
        self.group_keys: dict[str, str] = {}

    def add(self, policy: Policy | None) -> Policy | None:
        if policy is not None:
            self.policies.append(policy)
        return policy

    def read_managed(self, node: Node | None) -> None:
        for detail in _mappings(node):
            name = text_of(detail.get("PolicyName")) or text_of(detail.get("Arn")) or "(unnamed)"
            version = _default_version(detail)
            if version is None:
                continue
            version_id = text_of(version.get("VersionId")) or "unknown"
            label = f"managed policy {name} (default version {version_id})"
            policy = self.add(read_policy(self.document, version.get("Document"), label, PolicyKind.IDENTITY))
            arn = text_of(detail.get("Arn"))
            if policy is not None and arn is not None:
                self.managed[arn] = policy
                self.usage_counts[arn] = (
                    _count(detail.get("AttachmentCount")),
                    _count(detail.get("PermissionsBoundaryUsageCount")),
                )

    def principal(self, kind: str, detail: MappingNode) -> Principal:
        name = text_of(detail.get(f"{kind.capitalize()}Name")) or "(unnamed)"
        key = text_of(detail.get("Arn")) or f"{kind}:{name}"
        return self.workspace.add(
            Principal(
                kind=kind,
                key=key,
                name=name,
                path=text_of(detail.get("Path")) or "/",
                span=detail.span,
                file=self.document.path,
            )
        )

    def read_inline(self, principal: Principal, node: Node | None) -> None:
        for entry in _mappings(node):
            name = text_of(entry.get("PolicyName")) or "(unnamed)"
            label = f"inline policy {name} of {principal.kind} {principal.name}"
            policy = self.add(read_policy(self.document, entry.get("PolicyDocument"), label, PolicyKind.IDENTITY))
            if policy is not None:
                principal.policies.append(policy)

    def read_attached(self, principal: Principal, detail: MappingNode) -> None:
        for entry in _mappings(detail.get("AttachedManagedPolicies")):
            arn = text_of(entry.get("PolicyArn"))
            if arn is None:
                continue
            self.attached.add(arn)
            policy = self.managed.get(arn)
            if policy is not None and policy not in principal.policies:
                principal.policies.append(policy)
        boundary = detail.get("PermissionsBoundary")
        arn = text_of(boundary.get("PermissionsBoundaryArn")) if isinstance(boundary, MappingNode) else None
        if arn is not None:
            self.boundaries.add(arn)
            principal.boundary = self.managed.get(arn)

    def read_groups(self, node: Node | None) -> None:
        for detail in _mappings(node):
            group = self.principal("group", detail)
            self.group_keys[group.name] = group.key
            self.read_inline(group, detail.get("GroupPolicyList"))
            self.read_attached(group, detail)

    def read_users(self, node: Node | None) -> None:
        for detail in _mappings(node):
            user = self.principal("user", detail)
            self.read_inline(user, detail.get("UserPolicyList"))
            self.read_attached(user, detail)
            for item in items_of(detail.get("GroupList")):
                key = self.group_keys.get(text_of(item) or "")
                # A group missing from GroupDetailList (a filtered dump) adds no policies.
                if key is not None and key not in user.groups:
                    user.groups.append(key)

    def read_roles(self, node: Node | None) -> None:
        for detail in _mappings(node):
            role = self.principal("role", detail)
            trust = detail.get("AssumeRolePolicyDocument")
            self.add(read_policy(self.document, trust, f"trust policy of role {role.name}", PolicyKind.TRUST))
            self.read_inline(role, detail.get("RolePolicyList"))
            self.read_attached(role, detail)

    def mark_boundaries(self) -> None:
        """Give managed policies that serve only as permissions boundaries the kind BOUNDARY."""
        for arn, policy in self.managed.items():
            attachments, boundary_uses = self.usage_counts.get(arn, (0, 0))
            used_as_boundary = arn in self.boundaries or boundary_uses > 0
            if used_as_boundary and arn not in self.attached and attachments == 0:
                policy.kind = PolicyKind.BOUNDARY


def extract(document: Document) -> list[Policy]:
    """Return every policy of the dump: managed (default version), inline and trust policies."""
    root = document.roots[0]
    assert isinstance(root, MappingNode)
    reader = _DumpReader(document)
    # Managed policies come first so that attachments can find them by ARN.
    reader.read_managed(root.get("Policies"))
    reader.read_groups(root.get("GroupDetailList"))
    reader.read_users(root.get("UserDetailList"))
    reader.read_roles(root.get("RoleDetailList"))
    reader.mark_boundaries()
    document.facts[_FACT] = reader.workspace
    return reader.policies


def link(documents: list[Document]) -> Workspace:
    """Return the principals of the dumps. A dump contains no password-reset evidence."""
    return Workspace.merged(document.facts.get(_FACT) for document in documents)
