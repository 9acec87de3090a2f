"""Time ``mfalint.iam.reachable`` for every scenario on JSON policy files, inside one process.

many_files.py runs this file with the benchmark venv's Python, so it measures
the mfalint installed there. It prints one JSON object on standard output.

The catalog and the evaluator's action index are built by untimed warm-up
calls first, so the timed rounds measure the evaluation alone. Each round calls
``reachable`` once per scenario, in the order of ``mfalint.iam.SCENARIOS``;
the round's total is the time one policy takes for all scenarios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def load_policies(path: Path) -> list:
    from mfalint.loaders import JsonLoader

    loader = JsonLoader()
    document = loader.load(path.read_text(encoding="utf-8"), str(path))
    if not document.readable:
        raise SystemExit(f"_evaluator_timing.py: {path} is not a readable JSON policy")
    return loader.extract(document)


def time_rounds(policies: list, rounds: int) -> tuple[list[float], dict[str, list[float]]]:
    """Return the seconds of each round and, per scenario, the seconds of each of its calls."""
    from mfalint.iam import SCENARIOS, reachable

    totals = []
    per_scenario: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    for _ in range(rounds):
        total = 0.0
        for name in SCENARIOS:
            start = time.perf_counter()
            reachable(policies, name)
            elapsed = time.perf_counter() - start
            per_scenario[name].append(elapsed)
            total += elapsed
        totals.append(total)
    return totals, per_scenario


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy", type=Path, help="JSON policy file to time in detail.")
    parser.add_argument("--others", type=Path, nargs="*", default=[], help="More JSON policy files, timed with --other-rounds each.")
    parser.add_argument("--rounds", type=int, default=30, help="Timed rounds on POLICY.")
    parser.add_argument("--other-rounds", type=int, default=5, help="Timed rounds on each of --others.")
    args = parser.parse_args()

    from mfalint.iam import SCENARIOS, catalog

    start = time.perf_counter()
    universe = catalog().universe()
    catalog_seconds = time.perf_counter() - start

    policies = load_policies(args.policy)
    # The first round builds the action index and the pattern caches.
    first_round, _ = time_rounds(policies, 1)
    time_rounds(policies, 2)
    totals, per_scenario = time_rounds(policies, args.rounds)

    others = []
    for path in args.others:
        other_policies = load_policies(path)
        time_rounds(other_policies, 1)
        other_totals, _ = time_rounds(other_policies, args.other_rounds)
        others.append({"path": str(path), "median_seconds": statistics.median(other_totals)})

    json.dump(
        {
            "actions": len(universe.actions),
            "scenarios": list(SCENARIOS),
            "catalog_seconds": catalog_seconds,
            "first_round_seconds": first_round[0],
            "statements": sum(len(policy.statements) for policy in policies),
            "totals": totals,
            "per_scenario": per_scenario,
            "others": others,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
