"""Write benchmark inputs made from the public MFA-policy corpus: policies, CloudFormation templates and Terraform files.

The corpus folder must contain ``json/`` (policy documents), ``cfn-json/`` and
``cfn-yaml/`` (CloudFormation templates) and ``terraform/`` (``.tf`` files).
The script writes three folders under the output folder:

- ``policies/``: one JSON policy per file. The first copy of each corpus
  policy is byte-for-byte the corpus file. Later copies are variations: every
  Sid gets a suffix, the statements are shuffled, and identity policies get
  one more statement from ``EXTRA_STATEMENTS``.
- ``cloudformation/``: the corpus templates, copied unchanged, and templates
  that wrap a corpus identity policy (or a variation of it) in an
  ``AWS::IAM::ManagedPolicy`` attached to an ``AWS::IAM::Group``, written
  alternately as JSON and as YAML.
- ``terraform/``: one module folder per file, each with a ``main.tf``: the
  corpus ``.tf`` files, copied unchanged, and files that put a corpus identity
  policy in an ``aws_iam_policy``, alternately as a heredoc and through
  ``jsonencode``, attached to an ``aws_iam_group``.

Identity policies are the corpus policies without ``Principal`` or
``NotPrincipal``; trust and resource policies are used only in ``policies/``.
Every Terraform file gets its own folder because Terraform reads all ``.tf``
files of a folder as one module, where two copies of a corpus file would
declare the same resource twice.

The output depends only on the arguments and the corpus: the same arguments
give byte-identical files. File ``i`` of a kind does not depend on how many
files of that kind are written. The output folder is deleted and rewritten on
each run, which the script does only to a folder it wrote before (it leaves a
marker file there) or to an empty one.

Run it with any Python 3.10 or newer; it needs only the standard library:

    python benchmarks/generate_inputs.py [--corpus DIR] [--output DIR]
        [--policies N] [--templates N] [--terraform N] [--seed N]

The exit status is 0 when the files were written and 2 when the corpus or the
output folder is not usable.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "public"
DEFAULT_OUTPUT = BENCHMARKS_DIR / ".work" / "inputs"
DEFAULT_SEED = 20261204

MARKER_NAME = ".mfalint-benchmark-inputs"
CORPUS_FOLDERS = ("json", "cfn-json", "cfn-yaml", "terraform")

# Statements added to the variations of identity policies. They use the
# same elements and MFA condition keys as the corpus policies.
EXTRA_STATEMENTS: tuple[dict[str, Any], ...] = (
    {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::example-reports", "arn:aws:s3:::example-reports/*"],
    },
    {
        "Effect": "Deny",
        "Action": ["ec2:StopInstances", "ec2:TerminateInstances"],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
    {
        "Effect": "Allow",
        "Action": "iam:ChangePassword",
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    },
    {
        "Effect": "Allow",
        "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    },
    {
        "Effect": "Deny",
        "Action": ["iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice"],
        "Resource": "*",
        "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}},
    },
)


class InputError(Exception):
    """The corpus or the output folder cannot be used."""


@dataclass(frozen=True)
class CorpusPolicy:
    name: str
    raw: bytes
    document: dict[str, Any]

    @property
    def is_identity_policy(self) -> bool:
        return not any("Principal" in statement or "NotPrincipal" in statement for statement in statements_of(self.document))


@dataclass(frozen=True)
class CorpusFile:
    name: str
    raw: bytes


@dataclass(frozen=True)
class Corpus:
    policies: tuple[CorpusPolicy, ...]
    templates: tuple[CorpusFile, ...]
    terraform: tuple[CorpusFile, ...]

    @property
    def identity_policies(self) -> tuple[CorpusPolicy, ...]:
        return tuple(policy for policy in self.policies if policy.is_identity_policy)


@dataclass(frozen=True)
class Written:
    """The folders written and the number of files in each."""

    policies: Path
    templates: Path
    terraform: Path
    policy_count: int
    template_count: int
    terraform_count: int

    @property
    def total(self) -> int:
        return self.policy_count + self.template_count + self.terraform_count


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the statement objects of a policy; a Statement item that is not an object is left out."""
    statement = document.get("Statement", [])
    items = statement if isinstance(statement, list) else [statement]
    return [item for item in items if isinstance(item, dict)]


def read_corpus(corpus: Path) -> Corpus:
    """Read the corpus files in name order; raise InputError when a folder is missing or empty."""
    if not corpus.is_dir():
        raise InputError(
            f"corpus folder not found: {corpus}; pass --corpus DIR, the folder that contains {', '.join(CORPUS_FOLDERS)}"
        )
    missing = [name for name in CORPUS_FOLDERS if not (corpus / name).is_dir()]
    if missing:
        raise InputError(f"corpus folder {corpus} has no {', '.join(missing)} folder; pass the corpus root with --corpus")

    policies = []
    for path in sorted((corpus / "json").glob("*.json")):
        raw = path.read_bytes()
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"corpus policy {path} is not valid JSON ({error}); remove it or fix it") from None
        if not isinstance(document, dict):
            raise InputError(f"corpus policy {path} is not a JSON object; remove it or fix it")
        policies.append(CorpusPolicy(path.name, raw, document))

    templates = [
        CorpusFile(path.name, path.read_bytes())
        for path in sorted(
            [*(corpus / "cfn-json").glob("*.json"), *(corpus / "cfn-yaml").glob("*.yaml"), *(corpus / "cfn-yaml").glob("*.yml")],
            key=lambda path: path.name,
        )
    ]
    terraform = [CorpusFile(path.name, path.read_bytes()) for path in sorted((corpus / "terraform").glob("*.tf"))]

    result = Corpus(tuple(policies), tuple(templates), tuple(terraform))
    for label, items in (("json/*.json", result.policies), ("identity policies in json/", result.identity_policies),
                         ("templates in cfn-json/ and cfn-yaml/", result.templates), ("terraform/*.tf", result.terraform)):
        if not items:
            raise InputError(f"corpus folder {corpus} has no {label}")
    return result


def file_rng(seed: int, kind: str, index: int) -> random.Random:
    """Return the random generator of one output file, so file ``index`` does not depend on the file count."""
    return random.Random(f"{seed}:{kind}:{index}")


def vary_policy(policy: CorpusPolicy, variant: int, rng: random.Random) -> dict[str, Any]:
    """Return variation ``variant`` of a corpus policy; variation 0 is the policy unchanged."""
    document = copy.deepcopy(policy.document)
    if variant == 0:
        return document
    statements = statements_of(document)
    for statement in statements:
        if isinstance(statement.get("Sid"), str):
            statement["Sid"] = f"{statement['Sid']}V{variant}"
    rng.shuffle(statements)
    if policy.is_identity_policy:
        extra = copy.deepcopy(rng.choice(EXTRA_STATEMENTS))
        statements.insert(rng.randrange(len(statements) + 1), {"Sid": f"BenchmarkExtraV{variant}", **extra})
    document["Statement"] = statements
    return document


def slug(name: str) -> str:
    """Return a file name's stem, cut at the first dot, for use in new file names."""
    return name.split(".", 1)[0]


def json_text(value: Any, indent: int = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False) + "\n"


# -- YAML --------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def yaml_scalar(value: Any) -> str:
    # A JSON string is a valid YAML double-quoted scalar: YAML's escapes include all of JSON's.
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def yaml_lines(value: Any, indent: int) -> list[str]:
    """Return block-style YAML lines for a mapping or a sequence of JSON values."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = key if _PLAIN_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key_text}:")
                lines.extend(yaml_lines(item, indent + 2))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key_text}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key_text}: {yaml_scalar(item)}")
        return lines
    for item in value:
        if isinstance(item, (dict, list)) and item:
            nested = yaml_lines(item, indent + 2)
            nested[0] = f"{pad}- {nested[0][indent + 2:]}"
            lines.extend(nested)
        elif isinstance(item, (dict, list)):
            lines.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]'}")
        else:
            lines.append(f"{pad}- {yaml_scalar(item)}")
    return lines


# -- HCL ---------------------------------------------------------------------

_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_template_escape(text: str) -> str:
    """Escape Terraform's template sequences, so ``${aws:username}`` stays literal text."""
    return text.replace("${", "$${").replace("%{", "%%{")


def render_template_escapes(value: Any) -> Any:
    """Replace ``$${`` by ``${`` in every string, as Terraform's templatefile() renders a policy template.

    Some corpus policies are Terraform templates, where ``$${aws:username}``
    stands for the policy variable ``${aws:username}``.
    """
    if isinstance(value, dict):
        return {key: render_template_escapes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [render_template_escapes(item) for item in value]
    if isinstance(value, str):
        return value.replace("$${", "${")
    return value


def hcl_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in _HCL_ESCAPES:
            escaped.append(_HCL_ESCAPES[char])
        elif ord(char) < 0x20:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + hcl_template_escape("".join(escaped)) + '"'


def hcl_value(value: Any, indent: int) -> str:
    """Return an HCL expression for a JSON value, as Terraform's ``jsonencode`` argument."""
    pad = " " * indent
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for key, item in value.items():
            key_text = key if _PLAIN_KEY.fullmatch(key) else hcl_string(key)
            lines.append(f"{inner}{key_text} = {hcl_value(item, indent + 2)}")
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{hcl_value(item, indent + 2)}" for item in value) + f",\n{pad}]"
    if isinstance(value, str):
        return hcl_string(value)
    return json.dumps(value)


# -- the three kinds ----------------------------------------------------------


def policy_file(corpus: Corpus, index: int, seed: int) -> tuple[str, bytes]:
    """Return the name and content of policy file ``index``."""
    policy = corpus.policies[index % len(corpus.policies)]
    variant = index // len(corpus.policies)
    if variant == 0:
        return f"{slug(policy.name)}.json", policy.raw
    rng = file_rng(seed, "policy", index)
    document = vary_policy(policy, variant, rng)
    return f"{slug(policy.name)}-v{variant}.json", json_text(document, indent=rng.choice((2, 4))).encode("utf-8")


def managed_policy_template(policy: CorpusPolicy, document: dict[str, Any]) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Benchmark input: the corpus policy {policy.name} in a managed policy attached to a group",
        "Resources": {
            "BenchmarkGroup": {"Type": "AWS::IAM::Group"},
            "BenchmarkPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Description": f"Made from {policy.name}",
                    "Groups": [{"Ref": "BenchmarkGroup"}],
                    "PolicyDocument": document,
                },
            },
        },
    }


def template_file(corpus: Corpus, index: int, seed: int) -> tuple[str, bytes]:
    """Return the name and content of CloudFormation template ``index``."""
    identity = corpus.identity_policies
    sources = len(corpus.templates) + 2 * len(identity)
    position, variant = index % sources, index // sources
    if position < len(corpus.templates):
        template = corpus.templates[position]
        return template.name, template.raw

    position -= len(corpus.templates)
    policy = identity[position // 2]
    document = vary_policy(policy, variant, file_rng(seed, "template", index))
    template = managed_policy_template(policy, document)
    stem = f"{slug(policy.name)}-managed-policy-v{variant}"
    if position % 2 == 0:
        return f"{stem}.json", json_text(template).encode("utf-8")
    return f"{stem}.yaml", ("\n".join(yaml_lines(template, 0)) + "\n").encode("utf-8")


def aws_iam_policy_module(policy: CorpusPolicy, index: int, policy_expression: str) -> str:
    return (
        f"# Benchmark input: the corpus policy {policy.name} in an aws_iam_policy attached to a group.\n"
        'resource "aws_iam_group" "benchmark" {\n'
        f'  name = "benchmark-users-{index}"\n'
        "}\n"
        "\n"
        'resource "aws_iam_policy" "benchmark" {\n'
        f'  name        = "benchmark-policy-{index}"\n'
        f'  description = {hcl_string("Made from " + policy.name)}\n'
        f"  policy      = {policy_expression}\n"
        "}\n"
        "\n"
        'resource "aws_iam_group_policy_attachment" "benchmark" {\n'
        "  group      = aws_iam_group.benchmark.name\n"
        "  policy_arn = aws_iam_policy.benchmark.arn\n"
        "}\n"
    )


def terraform_file(corpus: Corpus, index: int, seed: int) -> tuple[str, bytes]:
    """Return the module folder name and the ``main.tf`` content of Terraform file ``index``."""
    identity = corpus.identity_policies
    sources = len(corpus.terraform) + 2 * len(identity)
    position, variant = index % sources, index // sources
    if position < len(corpus.terraform):
        source = corpus.terraform[position]
        return slug(source.name), source.raw

    position -= len(corpus.terraform)
    policy = identity[position // 2]
    document = render_template_escapes(vary_policy(policy, variant, file_rng(seed, "terraform", index)))
    if position % 2 == 0:
        expression = "<<EOF\n" + hcl_template_escape(json_text(document)) + "EOF"
        style = "heredoc"
    else:
        expression = f"jsonencode({hcl_value(document, 2)})"
        style = "jsonencode"
    return f"{slug(policy.name)}-{style}-v{variant}", aws_iam_policy_module(policy, index, expression).encode("utf-8")


# -- writing -------------------------------------------------------------------


def prepare_output(output: Path) -> None:
    """Delete a folder this script wrote before; raise InputError for any other non-empty folder."""
    if output.is_file():
        raise InputError(f"output path {output} is a file; pass a folder with --output")
    if output.is_dir() and any(output.iterdir()):
        if not (output / MARKER_NAME).is_file():
            raise InputError(
                f"output folder {output} is not empty and was not written by generate_inputs.py; pass another folder with --output"
            )
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)


def index_width(count: int) -> int:
    return max(5, len(str(max(count - 1, 0))))


def generate(corpus_dir: Path, output: Path, policies: int, templates: int, terraform: int, seed: int = DEFAULT_SEED) -> Written:
    """Write the inputs and return where they are; raise InputError when the corpus or output is not usable."""
    corpus = read_corpus(corpus_dir)
    prepare_output(output)
    (output / MARKER_NAME).write_text(
        "Written by benchmarks/generate_inputs.py, which deletes and rewrites this folder on each run.\n"
        f"policies={policies} templates={templates} terraform={terraform} seed={seed}\n",
        encoding="utf-8",
        newline="\n",
    )

    folders = {"policies": output / "policies", "templates": output / "cloudformation", "terraform": output / "terraform"}
    for folder in folders.values():
        folder.mkdir()

    width = index_width(policies)
    for index in range(policies):
        name, content = policy_file(corpus, index, seed)
        (folders["policies"] / f"{index:0{width}d}-{name}").write_bytes(content)

    width = index_width(templates)
    for index in range(templates):
        name, content = template_file(corpus, index, seed)
        (folders["templates"] / f"{index:0{width}d}-{name}").write_bytes(content)

    width = index_width(terraform)
    for index in range(terraform):
        name, content = terraform_file(corpus, index, seed)
        module = folders["terraform"] / f"{index:0{width}d}-{name}"
        module.mkdir()
        (module / "main.tf").write_bytes(content)

    return Written(folders["policies"], folders["templates"], folders["terraform"], policies, templates, terraform)


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write benchmark inputs (JSON policies, CloudFormation templates, Terraform files) made from the public corpus."
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="Corpus folder with json/, cfn-json/, cfn-yaml/ and terraform/ (default: ../shared/corpus/public from the repository root).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Folder to write; deleted and rewritten if this script wrote it before (default: benchmarks/.work/inputs).",
    )
    parser.add_argument("--policies", type=non_negative_int, default=2000, help="JSON policy files to write (default: 2000).")
    parser.add_argument("--templates", type=non_negative_int, default=500, help="CloudFormation templates to write (default: 500).")
    parser.add_argument("--terraform", type=non_negative_int, default=500, help="Terraform files to write, one module folder each (default: 500).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Seed of the variations (default: {DEFAULT_SEED}).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        written = generate(args.corpus.resolve(), args.output.resolve(), args.policies, args.templates, args.terraform, args.seed)
    except InputError as error:
        print(f"generate_inputs.py: {error}", file=sys.stderr)
        return 2
    print(
        f"Wrote {written.total} files: {written.policy_count} policies in {written.policies}, "
        f"{written.template_count} templates in {written.templates}, "
        f"{written.terraform_count} Terraform files in {written.terraform}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
