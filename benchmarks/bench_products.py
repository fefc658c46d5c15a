"""Grouping a generated catalogue into products (default 10,000 plugins × 30 parameters, SQLite).

    python benchmarks/bench_products.py [--plugins 10000] [--params 30] [--runs 3] [--dir DIR]

Prints, each against a baseline from the same run:

- `Catalog.products()`: every product, whole (target ≤ 1 s); baseline: `list(catalog.plugins())`,
  the same records without grouping, and the ratio between them;
- the grouping alone: `backend.product_keys()` and `pluginary.core.products.group` over
  plugins already read, to tell reading records apart from grouping them.

Exits 1 when `Catalog.products()` misses its target. Timings are medians of wall-clock time
(CPU time beside them: a shared machine's wall clock includes waiting for a core). `--dir`
keeps the catalogue and reuses it when it holds `--plugins` plugins.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginary import Catalog
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.core.products import group
from tests.catalog_data import batches, iter_plugins, iter_results

TARGET_S = 1.0


def timed(function: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of `runs` calls (after one warm-up), and the last result."""
    result = function()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def catalogue(path: Path, plugins: int, params: int) -> None:
    """A catalogue of `plugins` generated plugins at `path`, written as the store stage writes."""
    if path.exists():
        with Catalog.open(path, read_only=True, create=False) as catalog:
            if catalog.count() == plugins:
                return
        path.unlink()
    backend = SQLiteBackend(path)
    try:
        for batch in batches(iter_results(iter_plugins(plugins, params))):
            backend.write(batch)
    finally:
        backend.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugins", type=int, default=10_000)
    parser.add_argument("--params", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3, help="timed calls per figure")
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the catalogue here")
    args = parser.parse_args()

    folder = args.dir or Path(tempfile.mkdtemp(prefix="pluginary-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "products.sqlite"
    catalogue(path, args.plugins, args.params)
    load = os.getloadavg()
    print(f"{args.plugins} plugins × {args.params} parameters → {path}")
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")

    with Catalog.open(path, read_only=True, create=False) as catalog:
        base_wall, base_cpu, plugins = timed(lambda: list(catalog.plugins()), args.runs)
        wall, cpu, products = timed(catalog.products, args.runs)
        group_wall, group_cpu, _ = timed(lambda: group(plugins, catalog.backend.product_keys()), args.runs)
    several = sum(len(product.formats) > 1 for product in products)
    print(f"{len(plugins)} plugins → {len(products)} products ({several} in more than one format)")
    print(f"baseline list(catalog.plugins())   {base_wall:.3f} s (CPU {base_cpu:.3f} s)")
    print(f"Catalog.products()                 {wall:.3f} s (CPU {cpu:.3f} s)  ×{wall / base_wall:.2f} the baseline")
    print(f"grouping alone (keys + group)      {group_wall:.3f} s (CPU {group_cpu:.3f} s)")
    verdict = "ok" if wall <= TARGET_S else "MISSED"
    print(f"target: Catalog.products() ≤ {TARGET_S:.1f} s → {verdict}")
    return 0 if wall <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
