"""Benchmark 2: what isolation costs. 1,000 test plugins through the pool vs one plain in-process loop.

Both sides run end to end in a fresh process, timed from starting it to its exit:
the baseline runs `VST3Format.scan` on every bundle in one process without any
isolation; the pool side creates a `WorkerPool` of 1, then 2 workers, scans the
same bundles and closes it. So imports, the zygote's and the workers' start-up,
the first result and the shutdown are all counted on the side that pays them.
Targets (end to end): ≥ 0.9× the baseline's speed with 1 worker, ≥ 1.6× with 2.
The steady rate (first to last result, in this process) is printed beside, as
what a large scan tends to.

    python benchmarks/bench_pool_overhead.py [--count 1000] [--seed 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

TARGETS = {1: 0.9, 2: 1.6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs of each variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        bundles = scanbench.make_test_plugins(Path(scratch) / "plugins", args.count, args.seed)
        print(f"{len(bundles)} test bundles; load average {scanbench.load_average()}")
        base = min((scanbench.in_process_scan(bundles) for _ in range(args.rounds)), key=lambda f: f["wall"])
        print(
            f"in-process, end to end: {base['wall']:.2f} s ({base['loop']:.2f} s of it scanning, "
            f"{base['plugins'] / base['loop']:.0f} plugins/s)  [baseline]"
        )
        ok = True
        for workers in (1, 2):
            wall = min(scanbench.pool_process_scan(bundles, workers)["wall"] for _ in range(args.rounds))
            ratio = base["wall"] / wall
            passed = ratio >= TARGETS[workers]
            ok &= passed
            steady = min(
                (scanbench.pool_scan(bundles, workers, keep=False) for _ in range(args.rounds)), key=lambda r: r.steady
            )
            steady_ratio = ((steady.plugins - 1) / steady.steady) / (base["plugins"] / base["loop"])
            startup_ms = steady.stats.startup_seconds / max(1, steady.stats.workers_started) * 1000
            print(
                f"pool, {workers} worker{'s' if workers > 1 else ''}: end to end {wall:.2f} s = {ratio:.2f}× "
                f"the baseline [target ≥ {TARGETS[workers]}×: {'met' if passed else 'MISSED'}]; steady rate "
                f"{steady_ratio:.2f}× the baseline's loop; {startup_ms:.0f} ms mean worker start-up"
            )
        print(f"load average {scanbench.load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
