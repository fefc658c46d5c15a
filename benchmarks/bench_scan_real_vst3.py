"""Benchmark 1: Debian's zam-plugins, isolated scan vs the naive way, in the same run.

Isolated: every bundle through `WorkerPool` (one worker per core, default 30 s
deadline, cheap parameter reading). Naive: a fresh Python process per bundle
calling `pedalboard.load_plugin(path)` and reading `.parameters`, one after
another. Target: the isolated scan ≥ 20× faster, with no timeout.

    python benchmarks/bench_scan_real_vst3.py [--root /usr/lib/vst3] [--naive-timeout SECONDS]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

from pluginary.core.models import FailureKind

TARGET = 20.0
NAIVE = "import sys, pedalboard; plugin = pedalboard.load_plugin(sys.argv[1]); print(len(plugin.parameters))"


def naive(bundle: Path, timeout: float | None) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", NAIVE, str(bundle)], capture_output=True, text=True,
                              timeout=timeout)
        lines = done.stdout.strip().splitlines()
        outcome = f"{lines[-1]} parameters" if done.returncode == 0 and lines else f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        outcome = "gave up (timeout)"
    return time.perf_counter() - started, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("/usr/lib/vst3"))
    parser.add_argument("--naive-timeout", type=float, default=None, help="cap each naive load (default: none)")
    args = parser.parse_args()
    bundles = sorted(args.root.glob("*.vst3"))
    if not bundles:
        print(f"no VST3 bundles in {args.root}: apt-get install zam-plugins")
        return 2
    print(f"{len(bundles)} bundles in {args.root}; load average {scanbench.load_average()}")

    run = scanbench.pool_scan(bundles, workers=0)
    arrival = {Path(r.file.path).name: t for r, t in zip(run.results, run.arrivals, strict=True)}
    failures = [r for r in run.results if r.failure]
    timeouts = [r for r in failures if r.failure and r.failure.kind is FailureKind.TIMEOUT]
    plugins = sum(len(r.plugins) for r in run.results)
    parameters = sum(len(p.parameters) for r in run.results for p in r.plugins)
    print(f"isolated scan: {run.wall:.2f} s end to end, {plugins} plugins, {parameters} parameters, "
          f"{len(failures)} failed, {len(timeouts)} timeouts; {run.stats.workers_started} workers")

    naive_total = 0.0
    for bundle in bundles:
        seconds, outcome = naive(bundle, args.naive_timeout)
        naive_total += seconds
        print(f"  {bundle.name:24} naive {seconds:7.2f} s ({outcome}); isolated result after "
              f"{arrival.get(bundle.name, float('nan')):.2f} s")
    ratio = naive_total / run.wall
    print(f"naive: {naive_total:.2f} s; isolated is {ratio:.1f}× faster "
          f"[target ≥ {TARGET:g}× and no timeout: {'met' if ratio >= TARGET and not timeouts else 'MISSED'}]")
    print(f"load average {scanbench.load_average()}")
    return 0 if ratio >= TARGET and not timeouts else 1


if __name__ == "__main__":
    sys.exit(main())
