"""Benchmark 1: Debian's zam-plugins, three ways, in the same run, with each gain reported apart.

- naive: what pedalboard-pluginary does, a fresh Python process per bundle calling
  `pedalboard.load_plugin(path)` and reading `.parameters` (pedalboard probes up to
  ~1000 value texts per parameter there);
- per-process: Pluginary's own reader (`VST3Format.scan`), also in a fresh process
  per bundle: isolation done the naive way;
- pool: Pluginary's isolated scan (`WorkerPool`, one worker per core).

So naive ÷ per-process is what the reader gains (same isolation), per-process ÷ pool
is what the pool gains (same reader), and naive ÷ pool is the whole. Per plugin, the
reader gain is printed with its median, since one slow plugin (ZamVerb) can carry a
total. Targets: the whole ≥ 20× with no timeout, and the pool ahead of a process per
bundle (≥ 1×). Exits 1 when either is missed.

    python benchmarks/bench_scan_real_vst3.py [--root /usr/lib/vst3] [--naive-timeout SECONDS]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

from pluginary.core.models import FailureKind

TARGET_WHOLE = 20.0
TARGET_POOL = 1.0
NAIVE = "import sys, pedalboard; plugin = pedalboard.load_plugin(sys.argv[1]); print(len(plugin.parameters))"
OURS = (
    "import sys; from pathlib import Path; from pluginary.core.interfaces import ScanSettings;"
    "from pluginary.formats.vst3 import VST3Format;"
    "print(sum(len(p.parameters) for p in VST3Format().scan(Path(sys.argv[1]), ScanSettings())))"
)


def one_process(code: str, bundle: Path, timeout: float | None) -> tuple[float, str]:
    """Seconds for a fresh interpreter to run `code` on `bundle`, from process start; and what it said."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(bundle)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=scanbench.REPO,
        )
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
    timeouts = [r for r in run.results if r.failure and r.failure.kind is FailureKind.TIMEOUT]
    plugins = sum(len(r.plugins) for r in run.results)
    parameters = sum(len(p.parameters) for r in run.results for p in r.plugins)
    print(
        f"pool: {run.wall:.2f} s from creating the pool to closing it, {plugins} plugins, {parameters} parameters, "
        f"{sum(1 for r in run.results if r.failure)} failed, {len(timeouts)} timeouts"
    )

    naive_total = ours_total = 0.0
    gains = []
    print(f"  {'bundle':24} {'naive':>9} {'ours':>9} {'reader gain':>12}")
    for bundle in bundles:
        naive_s, naive_said = one_process(NAIVE, bundle, args.naive_timeout)
        ours_s, ours_said = one_process(OURS, bundle, args.naive_timeout)
        naive_total += naive_s
        ours_total += ours_s
        gains.append(naive_s / ours_s)
        print(
            f"  {bundle.name:24} {naive_s:8.2f}s {ours_s:8.2f}s {naive_s / ours_s:11.1f}×   "
            f"(naive: {naive_said}; ours: {ours_said})"
        )
    reader, pool, whole = naive_total / ours_total, ours_total / run.wall, naive_total / run.wall
    print(f"naive (a process per bundle, pedalboard): {naive_total:.2f} s  [baseline]")
    print(f"per-process (a process per bundle, our reader): {ours_total:.2f} s")
    print(
        f"reader gain (naive ÷ per-process): {reader:.1f}× in total, median {statistics.median(gains):.1f}× per "
        f"plugin (min {min(gains):.1f}×, max {max(gains):.1f}×)"
    )
    pool_met = pool >= TARGET_POOL
    whole_met = whole >= TARGET_WHOLE and not timeouts
    verdict = "met" if pool_met else "MISSED"
    print(f"pool gain (per-process ÷ pool): {pool:.1f}×  [target ≥ {TARGET_POOL:g}×: {verdict}]")
    print(
        f"whole (naive ÷ pool): {whole:.1f}×  [target ≥ {TARGET_WHOLE:g}× and no timeout: "
        f"{'met' if whole_met else 'MISSED'}]"
    )
    print(f"load average {scanbench.load_average()}")
    return 0 if pool_met and whole_met else 1


if __name__ == "__main__":
    sys.exit(main())
