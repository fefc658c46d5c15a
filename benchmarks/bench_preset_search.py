"""Preset queries on a generated catalogue: 10,000 plugins with 10 presets each (100,000 presets).

    python benchmarks/bench_preset_search.py [--plugins 10000] [--presets 10] [--runs 200]

The catalogue is written through `SQLiteBackend.write` in batches of 100 files, as the store stage
writes a scan: each plugin's presets ride with its bundle (half factory programs, half declared by
the bundle), named from a small vocabulary so common words hit thousands of presets, as real
libraries do. Then, in the same run, each figure with its p50 and p95 wall time:

- `Catalog.search_presets` for a common word, a rare one and two words (target p50 ≤ 5 ms each);
  baseline: `Catalog.search("reverb")` on the plugins of the same file, and the ratio to it;
- `Catalog.presets(plugin=ID)`: one plugin's presets, resolved and listed (target p50 ≤ 5 ms).

Exits 1 when a target is missed. Wall time on a shared machine includes waiting for a core: the
load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginary import Catalog
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.core.models import FileResult, Preset, PresetSource
from tests.catalog_data import batches, iter_plugins, iter_results

TARGET_MS = 5.0
ADJECTIVES = ("Warm", "Bright", "Dark", "Big", "Small", "Vintage", "Modern", "Wide", "Deep", "Soft", "Hard", "Lush")
NOUNS = ("Hall", "Room", "Plate", "Pad", "Lead", "Bass", "Vocal", "Drums", "Keys", "Strings", "Pluck", "Space")
BANKS = ("Factory", "Ambient", "Mixing", "Sound Design", "Artist Series")
AUTHORS = ("", "Jane Doe", "Sam Smith", "Factory Team")
SEARCHES = ("hall", "artist", "warm pad")  # a word of 1 in 12 names; a bank of 1 in 5; two words of names


def with_presets(results: Iterator[FileResult], per_plugin: int, rng: random.Random) -> Iterator[FileResult]:
    """Each result with `per_plugin` presets for each of its plugins, carried by its bundle."""
    for result in results:
        presets = []
        for plugin in result.plugins:
            for number in range(per_plugin):
                factory = number % 2 == 0
                name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {number}"
                presets.append(
                    Preset(
                        id=f"{plugin.id}#0/{number}" if factory else f"urn:preset:{plugin.id}:{number}",
                        name=name,
                        plugin_id=plugin.id,
                        format=plugin.format,
                        source=PresetSource.FACTORY if factory else PresetSource.BUNDLE,
                        path="" if factory else result.file.path,
                        bank=rng.choice(BANKS),
                        author=rng.choice(AUTHORS),
                        tags=(rng.choice(NOUNS).lower(),),
                        values=(("gain", rng.random()), ("mix", rng.random())),
                        host=plugin.host,
                    )
                )
        yield attrs.evolve(result, presets=tuple(presets))


def percentiles(function: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """p50 and p95 wall time and p50 CPU time, in milliseconds, after one warm-up call."""
    function()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    return statistics.median(walls) * 1e3, walls[int(len(walls) * 0.95)] * 1e3, statistics.median(cpus) * 1e3


def figures(what: str, timing: tuple[float, float, float]) -> str:
    return f"{what:<40} p50 {timing[0]:6.2f} ms  p95 {timing[1]:6.2f} ms  (CPU p50 {timing[2]:5.2f} ms)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugins", type=int, default=10_000)
    parser.add_argument("--presets", type=int, default=10, help="presets per plugin")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per figure")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.sqlite"
        backend = SQLiteBackend(path)
        rng = random.Random(0)
        start = time.perf_counter()
        for batch in batches(with_presets(iter_results(iter_plugins(args.plugins, (0, 20))), args.presets, rng)):
            backend.write(batch)
        stored = time.perf_counter() - start
        backend.close()

        missed = []
        with Catalog.open(path, read_only=True) as catalog:
            size = path.stat().st_size / 1e6
            print(
                f"{catalog.count()} plugins, {catalog.count_presets()} presets stored in {stored:.1f} s ({size:.0f} MB)"
            )
            print()
            baseline = percentiles(lambda: catalog.search("reverb"), args.runs)
            print(figures('baseline: Catalog.search("reverb")', baseline))
            for text in SEARCHES:
                hits = catalog.count_presets(text=text)
                timing = percentiles(lambda text=text: catalog.search_presets(text), args.runs)
                met = timing[0] <= TARGET_MS
                missed += [] if met else [f"search_presets({text!r})"]
                print(
                    figures(f"Catalog.search_presets({text!r})", timing)
                    + f"  ×{timing[0] / baseline[0]:.2f} the baseline; {hits} match, 50 returned"
                    f" [target p50 ≤ {TARGET_MS:g} ms: {'met' if met else 'MISSED'}]"
                )
            ids = [plugin.id for plugin in catalog.plugins(limit=args.runs)]
            picks = iter(ids * 2)
            timing = percentiles(lambda: list(catalog.presets(next(picks))), args.runs)
            met = timing[0] <= TARGET_MS
            missed += [] if met else ["presets(plugin=...)"]
            print(
                figures("Catalog.presets(plugin=ID)", timing)
                + f"  ×{timing[0] / baseline[0]:.2f} the baseline; {args.presets} each, {len(ids)} plugins"
                f" [target p50 ≤ {TARGET_MS:g} ms: {'met' if met else 'MISSED'}]"
            )
    print(f"\nload average at the end {' '.join(f'{figure:.2f}' for figure in os.getloadavg())}")
    if missed:
        print(f"MISSED: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
