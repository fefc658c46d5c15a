"""Benchmark: what VST3 presets add to a full scan and to a no-change rescan.

Generates N test bundles (tests/plugins/generator, one class each) three ways, each with 10
presets per class where it has any:

- plain: no presets (the baseline);
- factory: 10 factory programs per class (IUnitInfo), read while the plugin is loaded;
- files: the plain bundles plus 10 .vstpreset files per class under `presets/<vendor>/<plugin>/`,
  each file a job of its own (discovered, fingerprinted, read in a worker, stored).

Each is timed as `pluginary scan DIR` end to end (process start to exit), in wall time and in CPU
time of the scan process and its workers (those reaped before it exits: a full scan's CPU figure is
a floor): a full scan into a new catalogue, then the best of 3
no-change rescans, taken in turns. Prints each against the plain set's figure in the same run.
Target: a no-change rescan ≤ 1.2× the plain one's CPU time, for both kinds (wall time on a machine
others share measures them too; it is printed beside); exits 1 on a miss. The full scans' ratios
are printed, with no target (presets are work a first scan must do). Beside each rescan ratio, the
same ratio for a bare walk that stats every file (bench_rescan's baseline): no rescan that looks
at each preset file can do better than that floor.

    python benchmarks/bench_preset_scan.py [--count 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package (test plugins)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rescan import WALK_AND_STAT

from pluginary.catalog import Catalog
from tests.plugins import build_library, default_cache_dir
from tests.plugins.generator import GeneratorOptions, make_plugins, make_preset_tree

PER_CLASS = 10
TARGET_RESCAN = 1.2


@attrs.frozen
class Timing:
    wall: float
    #: CPU seconds of the scan process and the workers reaped before it exits: what the run costs on a
    #: machine others share.
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_scan(folder: Path, catalog: Path) -> tuple[Timing, dict[str, Any]]:
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "pluginary.cli.app", "scan", str(folder), "--catalog", str(catalog), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Timing(time.perf_counter() - start, _children_cpu() - cpu), json.loads(done.stdout)


def walk_and_stat(folder: Path) -> Timing:
    """A fresh interpreter stat-ing every file under `folder`: the least a rescan that looks at each file does."""
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-c", WALK_AND_STAT, str(folder)], check=True)
    return Timing(time.perf_counter() - start, _children_cpu() - cpu)


def full_scan(name: str, folder: Path, catalog: Path, expected_presets: int) -> Timing:
    """A full scan into a new catalogue, in seconds, after checking what it stored."""
    seconds, summary = timed_scan(folder, catalog)
    assert summary["failed"] == 0, summary["failures"][:3]
    with Catalog.open(catalog, read_only=True) as stored:
        presets = stored.count_presets()
    assert presets == expected_presets, (name, presets, expected_presets)
    print(
        f"{name:8} {summary['found']:7} files, {summary['plugins']:6} plugins, {presets:7} presets: "
        f"full scan {seconds.wall:7.2f} s ({seconds.cpu:7.2f} s CPU)"
    )
    return seconds


def rescan(folder: Path, catalog: Path) -> Timing:
    """One no-change rescan."""
    seconds, summary = timed_scan(folder, catalog)
    assert summary["scanned"] == 0 and summary["changed"] == summary["new"] == 0, summary
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000, help="bundles per set (one plugin class each)")
    args = parser.parse_args()
    library = build_library(default_cache_dir())
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        plain = GeneratorOptions(count=args.count, seed=1, max_params=5)
        expected = make_plugins(base / "plain", library, plain)
        make_plugins(base / "factory", library, attrs.evolve(plain, programs=PER_CLASS))
        make_plugins(base / "files", library, plain)  # the same bundles (same seed), and then a preset tree
        classes = expected["summary"]["plugins"]
        print(f"{args.count} bundles, {classes} plugin classes per set; {PER_CLASS} presets per class")

        sets = {
            "plain": (base / "plain", base / "plain.sqlite"),
            "factory": (base / "factory", base / "factory.sqlite"),
            "files": (base / "files", base / "files.sqlite"),
        }
        written = make_preset_tree(base / "files" / "presets", expected, PER_CLASS)
        full = {
            "plain": full_scan("plain", *sets["plain"], 0),
            "factory": full_scan("factory", *sets["factory"], classes * PER_CLASS),
            "files": full_scan("files", *sets["files"], written),
        }
        # Rescans in turns, so a machine busy for a while slows every set alike; the best of 3 each.
        rounds = [{name: rescan(*where) for name, where in sets.items()} for _ in range(3)]
        best = {name: Timing(min(t[name].wall for t in rounds), min(t[name].cpu for t in rounds)) for name in sets}
        floor = {name: min((walk_and_stat(sets[name][0]) for _ in range(3)), key=lambda t: t.cpu) for name in sets}
        print(
            f"baseline (plain): full scan {full['plain'].wall:.2f} s ({full['plain'].cpu:.2f} s CPU), "
            f"no-change rescan {best['plain'].wall:.3f} s ({best['plain'].cpu:.3f} s CPU)"
        )
        met = True
        for name in ("factory", "files"):
            # CPU time is judged: wall time on a shared machine measures the neighbours too.
            ratio = best[name].cpu / best["plain"].cpu
            met = met and ratio <= TARGET_RESCAN
            print(
                f"{name}: full scan {full[name].cpu / full['plain'].cpu:.2f}× the plain set's CPU "
                f"({full[name].wall / full['plain'].wall:.2f}× wall); no-change rescan {best[name].cpu:.3f} s CPU "
                f"= {ratio:.2f}× ({best[name].wall / best['plain'].wall:.2f}× wall) "
                f"[target ≤ {TARGET_RESCAN}× CPU: {'met' if ratio <= TARGET_RESCAN else 'MISSED'}]; "
                f"a bare walk and stat of its files: {floor[name].cpu / floor['plain'].cpu:.2f}× the plain set's CPU"
            )
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
