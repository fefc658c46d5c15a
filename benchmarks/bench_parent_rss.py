"""Benchmark 6: the scanner process's peak memory while 10,000 plugins go through the pool.

The scanner never loads a plugin, so its memory should not grow with the scan.
Results are consumed the way the store stage does (batches of 100, then
dropped), and the scan journal is on, as in a pipeline run. Baseline: the
scanner's RSS once the first result is in (the pool, its imports and the first
batch in place). Targets: peak RSS ≤ 150 MB, and growth from that baseline to
the end of the scan ≤ 10 % (a leak per plugin would show here long before the
peak does).

    python benchmarks/bench_parent_rss.py [--count 10000] [--workers 2] [--no-journal]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

from pluginary.scanning.journal import Journal
from pluginary.scanning.pool import WorkerPool

TARGET_MB = 150.0
TARGET_GROWTH = 0.10
BATCH = 100


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-journal", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        made = time.perf_counter()
        bundles = scanbench.make_test_plugins(Path(scratch) / "plugins", args.count, 6)
        print(
            f"{len(bundles)} test bundles made in {time.perf_counter() - made:.1f} s; "
            f"scanner RSS before the scan {rss_mb():.1f} MB; load average {scanbench.load_average()}"
        )
        journal = None if args.no_journal else Journal(Path(scratch) / "scan.journal")
        started = time.perf_counter()
        batch, plugins, failed, samples = [], 0, 0, []
        first = 0.0
        with WorkerPool(args.workers, journal=journal) as pool:
            for index, result in enumerate(pool.run(scanbench.jobs(bundles, 30.0)), 1):
                batch.append(result)
                if index == 1:
                    first = rss_mb()
                plugins += len(result.plugins)
                failed += result.failure is not None
                if len(batch) == BATCH:
                    batch = []  # stored
                if index % (len(bundles) // 10 or 1) == 0:
                    samples.append(f"{index}: {rss_mb():.0f}")
            stats = pool.stats
            last = rss_mb()
        if journal:
            journal.clear()
        elapsed = time.perf_counter() - started
        peak = peak_mb()
        print(
            f"scanned {len(bundles)} bundles ({plugins} plugins, {failed} failed) in {elapsed:.1f} s with "
            f"{args.workers} workers, journal {'off' if args.no_journal else 'on'}; "
            f"{stats.workers_started} workers started, {stats.recycled_by_count} recycled by count"
        )
        print(f"scanner RSS (MB) after n results: {', '.join(samples)}")
        growth = (last - first) / first
        grew_ok = growth <= TARGET_GROWTH
        print(
            f"scanner RSS after the first result {first:.1f} MB [baseline], at the end {last:.1f} MB: growth "
            f"{growth:+.1%} [target ≤ {TARGET_GROWTH:.0%}: {'met' if grew_ok else 'MISSED'}]"
        )
        print(f"scanner peak RSS {peak:.1f} MB [target ≤ {TARGET_MB:g} MB: {'met' if peak <= TARGET_MB else 'MISSED'}]")
    return 0 if peak <= TARGET_MB and grew_ok else 1


if __name__ == "__main__":
    sys.exit(main())
