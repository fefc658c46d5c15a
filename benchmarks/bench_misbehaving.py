"""Benchmark 4: 1,000 test plugins of which 5 % crash and 2 % hang, 2 s deadline.

Checks that every good plugin is stored and every bad one is quarantined with
its true reason (the signal of a segfault or abort, the status of an `exit()`,
a timeout for a hang), and that the wall time stays within what the design
promises. The test plugin's hangs block without using the CPU: the pool looks at
a load min(deadline / 4, 1 s) into it and, finding it asleep, moves its worker
beside the pool, where it waits out its deadline while the slot goes on; the
retry waits beside too. So each hang attempt holds a slot for that look's delay
only, and the budget is
1.2 × (good load time + hang attempts × look delay) / workers
+ (retries + 1) × deadline (the last hang, waiting beside) + 1 s (starting the pool).
The good load time is measured by loading the good bundles in one plain process,
in the same run. Were hangs not moved beside, each would hold its slot for the
whole deadline and the budget would be missed. Hangs one after another (the old,
unfailable budget) are printed beside.

    python benchmarks/bench_misbehaving.py [--count 1000] [--workers 2] [--retries 1] [--seed 4]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

from pluginary.core.models import FailureKind, FileResult

DEADLINE = 2.0
SIGNALS = {"segv": signal.SIGSEGV, "abort": signal.SIGABRT}


def kills_a_scan(entry: dict[str, Any]) -> bool:
    """Whether the bundle's misbehaviour happens during a scan: one set for the "process" stage (audio
    processing) never runs, since a scan reads what a plugin is and never processes audio."""
    bad = entry["plugins"][0]["misbehaviour"]
    return bool(entry["kills"]) and "process" not in (bad["crash_stage"] if bad["crash"] else None, bad["hang_stage"])


def true_reason(entry: dict[str, Any], result: FileResult) -> str | None:
    """Why the result does not tell the truth about the bundle, or None if it does."""
    bad = entry["plugins"][0]["misbehaviour"]
    failure = result.failure
    if not kills_a_scan(entry):
        names = sorted(p.name for p in result.plugins)
        expected = sorted(p["name"] for p in entry["plugins"])
        return None if failure is None and names == expected else f"good plugin not stored: {failure}"
    if failure is None:
        return "bad plugin stored"
    if bad["hang_stage"]:
        return None if failure.kind is FailureKind.TIMEOUT else f"hang recorded as {failure.kind.value}"
    if failure.kind is not FailureKind.CRASH:
        return f"crash recorded as {failure.kind.value}: {failure.message}"
    if bad["crash"] == "exit":
        return None if failure.exit_code == bad["exit_code"] else f"exit({bad['exit_code']}) recorded as {failure}"
    return None if failure.signal == SIGNALS[bad["crash"]] else f"{bad['crash']} recorded as {failure}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "plugins"
        scanbench.make_test_plugins(root, args.count, args.seed, "--crash-fraction", "0.05", "--hang-fraction", "0.02")
        expected = json.loads((root / "expected.json").read_text())
        entries = {str(root / e["path"]): e for e in expected["bundles"]}
        good = [Path(path) for path, e in entries.items() if not kills_a_scan(e)]
        hangs = sum(1 for e in entries.values() if kills_a_scan(e) and e["plugins"][0]["misbehaviour"]["hang_stage"])
        crashes = sum(1 for e in entries.values() if kills_a_scan(e)) - hangs
        print(
            f"{len(entries)} bundles: {len(good)} good, {crashes} crash, {hangs} hang; "
            f"load average {scanbench.load_average()}"
        )

        good_load = scanbench.in_process_scan(good)["loop"]
        run = scanbench.pool_scan(list(map(Path, entries)), args.workers, DEADLINE, retries=args.retries)

        wrong = [(path, why) for r in run.results if (why := true_reason(entries[path := r.file.path], r))]
        missing = len(entries) - len(run.results)
        attempts = hangs * (args.retries + 1)
        look = min(DEADLINE / 4, 1.0)
        budget = 1.2 * (good_load + attempts * look) / args.workers + (args.retries + 1) * DEADLINE + 1.0
        serial = 1.2 * (good_load / args.workers + hangs * DEADLINE * (args.retries + 1) / args.workers)
        print(
            f"scan: {run.wall:.1f} s with {args.workers} workers, retries {args.retries}; "
            f"{run.stats.crashes} worker crashes, {run.stats.timeouts} timeouts, "
            f"{run.stats.workers_started} workers started "
            f"({run.stats.startup_seconds / run.stats.workers_started * 1000:.0f} ms mean start-up)"
        )
        print(f"good plugins loaded in {good_load:.2f} s in one plain process")
        for path, why in wrong[:10]:
            print(f"  WRONG {Path(path).name}: {why}")
        truthful = not wrong and not missing
        print(
            f"every good plugin stored, every bad one quarantined with its true reason: "
            f"{'yes' if truthful else f'NO ({len(wrong)} wrong, {missing} missing)'}"
        )
        within = run.wall <= budget
        print(
            f"wall {run.wall:.1f} s vs 1.2 × (good + hang attempts × {look:g} s) / workers + {args.retries + 1} × "
            f"deadline + 1 s = {budget:.1f} s "
            f"[{'met' if within else 'MISSED'}]; hangs one after another would be {serial:.1f} s"
        )
        print(f"load average {scanbench.load_average()}")
    return 0 if truthful and within else 1


if __name__ == "__main__":
    sys.exit(main())
