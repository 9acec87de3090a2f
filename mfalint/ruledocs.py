"""Rendering a rule's documentation for the terminal and for docs/rules/."""

from __future__ import annotations

import textwrap

from mfalint.rule import Rule

__all__ = ["render_rule_text", "render_rule_markdown", "doc_sections"]


def doc_sections(rule: Rule) -> list[tuple[str, str]]:
    """Return (title, body) pairs in the documented order; empty optional sections are left out."""
    docs = rule.docs
    fence = docs.example_format
    sections = [
        ("What it does", docs.what),
        ("Why it matters", docs.why),
        ("Example", f"```{fence}\n{docs.example.rstrip()}\n```"),
        ("Use instead", f"```{fence}\n{docs.use_instead.rstrip()}\n```"),
        ("Fix", docs.fix),
    ]
    if docs.known_problems:
        sections.append(("Known problems", docs.known_problems))
    if docs.references:
        sections.append(("References", "\n".join(f"- {reference}" for reference in docs.references)))
    return sections


def _wrap(body: str) -> str:
    if body.startswith("```") or body.startswith("- "):
        return body
    return "\n\n".join(textwrap.fill(paragraph, width=88) for paragraph in body.split("\n\n"))


def render_rule_text(rule: Rule, plugin: str = "") -> str:
    flags = [rule.severity.label]
    if rule.fixable:
        flags.append("fixable")
    if rule.opt_in:
        flags.append("opt-in")
    source = f", from {plugin}" if plugin else ""
    lines = [f"{rule.code} {rule.name} ({', '.join(flags)}{source})", "", rule.summary]
    for title, body in doc_sections(rule):
        lines += ["", f"## {title}", "", _wrap(body)]
    return "\n".join(lines) + "\n"


def render_rule_markdown(rule: Rule) -> str:
    flags = [f"Default severity: {rule.severity.label}", f"Fixable: {'yes' if rule.fixable else 'no'}"]
    if rule.opt_in:
        flags.append("Opt-in: enable it by selecting its code")
    lines = [f"# {rule.code} {rule.name}", "", rule.summary, "", " · ".join(flags)]
    for title, body in doc_sections(rule):
        lines += ["", f"## {title}", "", body]
    return "\n".join(lines) + "\n"
