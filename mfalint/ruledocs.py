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


def render_index(rules: list[Rule]) -> str:
    lines = [
        "# Rules",
        "",
        "Generated from the rules' own documentation by `python -m mfalint.ruledocs docs/rules`; do not edit.",
        "",
        "| Code | Name | Severity | Fixable | Summary |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        name = f"[{rule.name}]({rule.code}.md)"
        opt_in = " (opt-in)" if rule.opt_in else ""
        lines.append(f"| {rule.code} | {name} | {rule.severity.label}{opt_in} | {'yes' if rule.fixable else 'no'} | {rule.summary} |")
    return "\n".join(lines) + "\n"


def generate() -> dict[str, str]:
    """Return the files of the rule documentation folder, name -> content, for the built-in rules."""
    from mfalint.plugins import load_plugins

    plugins = load_plugins()
    rules = [rule for code, rule in sorted(plugins.rules.items()) if plugins.rule_plugins[code] == "mfalint[builtin]"]
    files = {f"{rule.code}.md": render_rule_markdown(rule) for rule in rules}
    files["README.md"] = render_index(rules)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write docs/rules/ (or the folder given) from the built-in rules' documentation."""
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "docs/rules")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = generate()
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, content in wanted.items():
        (folder / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(wanted)} files to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
