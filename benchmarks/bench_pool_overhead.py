"""Benchmark 2: what isolation costs. 1,000 test plugins through the pool vs one plain in-process loop.

The baseline runs `VST3Format.scan` on every bundle in one process without any
isolation (the same data: plugins with their parameters). The pool runs the
same bundles with 1 and then 2 workers. Throughput is plugins per second over
the scanning itself (first to last result for the pool; the loop for the
baseline); end-to-end figures, start-up included, are printed as well.
Targets: ≥ 0.9× the baseline with 1 worker, ≥ 1.6× with 2.

    python benchmarks/bench_pool_overhead.py [--count 1000] [--seed 2] [--rounds 3] [--journal]
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
    parser.add_argument("--journal", action="store_true",
                        help="also time the pool with a scan journal (an fsync before each load)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        bundles = scanbench.make_test_plugins(Path(scratch) / "plugins", args.count, args.seed)
        print(f"{len(bundles)} test bundles; load average {scanbench.load_average()}")
        base = min((scanbench.in_process_scan(bundles) for _ in range(args.rounds)), key=lambda f: f["loop"])
        base_rate = base["plugins"] / base["loop"]
        print(f"in-process loop: {base['loop']:.2f} s, {base_rate:.0f} plugins/s "
              f"(+{base['import']:.2f} s importing pedalboard)")
        ok = True
        variants: list[tuple[int, Path | None]] = [(workers, None) for workers in (1, 2)]
        if args.journal:
            variants += [(workers, Path(scratch) / "scan.journal") for workers in (1, 2)]
        for workers, journal in variants:
            # Results are counted and dropped, as the in-process loop does.
            runs = [scanbench.pool_scan(bundles, workers, journal=journal, keep=False) for _ in range(args.rounds)]
            run = min(runs, key=lambda r: r.steady)
            rate = (run.plugins - 1) / run.steady
            ratio = rate / base_rate
            label = f"pool, {workers} worker{'s' if workers > 1 else ''}" + (", journal" if journal else "")
            end_to_end = (base["loop"] + base["import"]) / run.wall
            line = (f"{label}: {run.steady:.2f} s first-to-last result, {rate:.0f} plugins/s "
                    f"= {ratio:.2f}× in-process; end to end {run.wall:.2f} s ({end_to_end:.2f}× in-process with "
                    f"its import); {run.stats.workers_started} workers started, "
                    f"{run.stats.startup_seconds / run.stats.workers_started * 1000:.0f} ms mean start-up; "
                    f"{run.failed} failed")
            if journal is None:
                passed = ratio >= TARGETS[workers]
                ok &= passed
                line += f" [target ≥ {TARGETS[workers]}×: {'met' if passed else 'MISSED'}]"
            print(line)
        print(f"load average {scanbench.load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
