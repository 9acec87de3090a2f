"""Measure how long mfalint-lsp takes from a didChange to its publishDiagnostics.

The script starts the language server as a subprocess with ``python -m
mfalint.lsp``, the code behind the ``mfalint-lsp`` command, and drives it
with pytest-lsp's client over stdio. It opens a generated policy with a few
hundred statements and then sends single-character edits one at a time. For
each edit it records the time from just before the didChange notification is
written to the moment the client has read and decoded the matching
publishDiagnostics. The figure therefore includes the JSON-RPC encoding and
decoding on both sides and the pipe, which is what an editor waits for.

For comparison it also times ``Linter.lint_text`` on the same text inside
this process, which is the lint work alone. The difference between the two
medians is the server's own overhead.

Run it from a checkout with mfalint and pytest-lsp installed:

    python benchmarks/lsp_latency.py [--statements 200] [--changes 30]

It prints numbers and ``target met`` or ``target missed`` (median under
50 ms) and exits 0 either way; it exits 2 when the server fails to start or
to respond.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

TARGET_MS = 50.0
TIMEOUT_SECONDS = 60.0

# AWS's force-MFA deny, so the MFA rules have real work to do.
_DENY_WITHOUT_MFA = {
    "Sid": "DenyAllExceptListedIfNoMFA",
    "Effect": "Deny",
    "NotAction": [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetUser",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:ResyncMFADevice",
        "sts:GetSessionToken",
    ],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
}


def _statement(index: int) -> dict:
    """Return one of five kinds of Allow statement, varied by ``index`` so no two are equal."""
    kind = index % 5
    sid = f"Statement{index:03d}"
    if kind == 0:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::team-bucket-{index}", f"arn:aws:s3:::team-bucket-{index}/*"],
        }
    if kind == 1:
        return {"Sid": sid, "Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:GetMetricData"], "Resource": "*"}
    if kind == 2:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
            "Resource": f"arn:aws:dynamodb:eu-west-1:123456789012:table/orders-{index}",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        }
    if kind == 3:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["iam:ChangePassword", "iam:GetUser", "iam:ListAccessKeys", "iam:CreateAccessKey"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        }
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": f"arn:aws:iam::123456789012:role/deploy-{index}",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }


def generate_policy(statements: int) -> str:
    """Return an identity policy of ``statements`` statements, the last one the force-MFA deny."""
    body = [_statement(index) for index in range(statements - 1)] + [_DENY_WITHOUT_MFA]
    return json.dumps({"Version": "2012-10-17", "Statement": body}, indent=2) + "\n"


def edit_position(text: str) -> types.Position:
    """Return the position just after the first Sid value's last digit, where the edits go."""
    for number, line in enumerate(text.split("\n")):
        column = line.find('"Statement000"')
        if column >= 0:
            return types.Position(line=number, character=column + len('"Statement000'))
    raise ValueError("the generated policy has no Statement000")


def time_lint_text(text: str, path: str, rounds: int) -> list[float]:
    from mfalint.runner import Linter

    linter = Linter()
    linter.lint_text(text, path)  # warm-up: catalog and caches
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        linter.lint_text(text, path)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


async def time_server(text: str, path: Path, changes: int, warmup: int) -> tuple[list[float], int]:
    """Return the didChange-to-publishDiagnostics times in milliseconds and the findings per publish."""
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "mfalint.lsp")
    try:
        capabilities = client_capabilities("neovim@v0.11.0")
        await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(capabilities=capabilities, root_uri=path.parent.as_uri())
            ),
            TIMEOUT_SECONDS,
        )
        uri = path.as_uri()
        arrivals: list[float] = []

        def published(params: types.PublishDiagnosticsParams) -> None:
            arrivals.append(time.perf_counter())

        waiter = client.protocol.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, published)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="json", version=1, text=text)
            )
        )
        first = await asyncio.wait_for(asyncio.wrap_future(waiter), TIMEOUT_SECONDS)
        finding_count = len(first.diagnostics)

        position = edit_position(text)
        timings = []
        for round_number in range(warmup + changes):
            # Insert an "x" after the Sid, then remove it again, so every other text is the original.
            if round_number % 2 == 0:
                change = types.TextDocumentContentChangePartial(
                    range=types.Range(start=position, end=position), text="x"
                )
            else:
                after = types.Position(line=position.line, character=position.character + 1)
                change = types.TextDocumentContentChangePartial(range=types.Range(start=position, end=after), text="")
            waiter = client.protocol.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, published)
            start = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=round_number + 2),
                    content_changes=[change],
                )
            )
            await asyncio.wait_for(asyncio.wrap_future(waiter), TIMEOUT_SECONDS)
            if round_number >= warmup:
                timings.append((arrivals[-1] - start) * 1000)
        await client.shutdown_session()
        return timings, finding_count
    finally:
        await client.stop()


def describe(label: str, timings: list[float]) -> str:
    return (
        f"{label:<44} median {statistics.median(timings):7.1f} ms   "
        f"min {min(timings):7.1f}   max {max(timings):7.1f}   (n={len(timings)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=200, help="statements in the generated policy (default 200)")
    parser.add_argument("--changes", type=int, default=30, help="timed edits (default 30)")
    parser.add_argument("--warmup", type=int, default=4, help="untimed edits first (default 4)")
    args = parser.parse_args(argv)
    if args.statements < 2 or args.changes < 1 or args.warmup < 0:
        parser.error("--statements needs at least 2, --changes at least 1, --warmup at least 0")

    text = generate_policy(args.statements)
    with tempfile.TemporaryDirectory(prefix="mfalint-lsp-latency-") as folder:
        path = Path(folder) / "policy.json"  # never written: the server lints the text it is sent
        try:
            server_timings, finding_count = asyncio.run(time_server(text, path, args.changes, args.warmup))
        except (asyncio.TimeoutError, RuntimeError, OSError) as error:
            print(f"lsp_latency: the server failed: {type(error).__name__}: {error}", file=sys.stderr)
            return 2
        lint_timings = time_lint_text(text, str(path), args.changes)

    print(f"policy: {args.statements} statements, {len(text):,} characters, {finding_count} findings")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(describe("server: didChange to publishDiagnostics", server_timings))
    print(describe("in process: Linter.lint_text alone", lint_timings))
    median = statistics.median(server_timings)
    overhead = median - statistics.median(lint_timings)
    print(f"server overhead over lint_text (difference of medians): {overhead:.1f} ms")
    print(f"target: median under {TARGET_MS:.0f} ms: {'target met' if median < TARGET_MS else 'target missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
