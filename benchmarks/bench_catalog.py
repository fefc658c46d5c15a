"""The catalogue's figures on a generated catalogue (default 10,000 plugins × 30 parameters).

    python benchmarks/bench_catalog.py [--plugins 10000] [--params 30] [--runs 200] [--dir DIR]

Prints, each with what it measures and a baseline from the same run:

- storing it through `SQLiteBackend.write` in batches of 100 files, as the
  store stage does (target ≤ 5 s); baseline: serialising the same plugins to
  JSON text, the least any store must do;
- the file's size, as stored and after `db vacuum` (target ≤ 50 MB);
- `Catalog.search("reverb")` (50 whole records, target median ≤ 5 ms);
  baseline: the same full-text query returning row ids only;
- a filtered list: 50 records (target ≤ 10 ms), and with the count that
  `pluginary list` adds for "showing 1–50 of N"; baseline: the same SQL, ids only;
- `pluginary search reverb` from process start to exit (target ≤ 300 ms);
  baselines: `python -c pass` and `pluginary --version`;
- peak RSS of `pluginary list --output json` over every plugin (target ≤ 100 MB,
  and flat); baseline: the same command with `--limit 100`.

Timings are medians (p90 beside them) of wall-clock time; CPU time is shown
too because a shared machine's wall clock includes time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginary import Catalog
from pluginary.backends.sqlite import _RANK, SQLiteBackend, _filtered
from pluginary.catalog import Query
from pluginary.core.models import converter
from tests.catalog_data import batches, iter_plugins, iter_results

FILTER: dict[str, Any] = {"format": "vst3", "category": "Effect", "params": "10..50"}


def timed(function: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """Median and p90 wall time and median CPU time, in milliseconds, after one warm-up call."""
    function()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    return statistics.median(walls) * 1e3, walls[int(len(walls) * 0.9)] * 1e3, statistics.median(cpus) * 1e3


def command(*args: str) -> list[str]:
    found = shutil.which("pluginary")
    return [found, *args] if found else [sys.executable, "-m", "pluginary.cli.app", *args]


def process_ms(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1e3, times[int(len(times) * 0.9)] * 1e3


#: Runs a command and prints its peak RSS in KiB. A child forked from this
#: process would report this process's size (fork shares its pages), so a small
#: fresh interpreter starts the command.
RSS_HELPER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", RSS_HELPER, *argv], env=env, capture_output=True, text=True)
    status, kib = map(int, done.stdout.split())
    assert status == 0, (argv, done.stderr)
    return kib / 1024


def line(what: str, figure: str, how: str) -> None:
    print(f"{what:<44} {figure:<34} {how}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugins", type=int, default=10_000)
    parser.add_argument("--params", type=int, default=30)
    parser.add_argument("--runs", type=int, default=200, help="timed calls per in-process figure")
    parser.add_argument("--process-runs", type=int, default=15, help="timed processes per CLI figure")
    parser.add_argument("--dir", type=Path, help="keep the catalogue here (default: a temporary folder)")
    args = parser.parse_args()

    folder = args.dir or Path(tempfile.mkdtemp(prefix="pluginary-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "catalog.sqlite"
    path.unlink(missing_ok=True)
    load = os.getloadavg()
    print(f"{args.plugins} plugins × {args.params} parameters → {path}")
    print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    print()

    work = list(batches(iter_results(iter_plugins(args.plugins, args.params))))
    plugins = [plugin for batch in work for result in batch for plugin in result.plugins]

    start, cpu = time.perf_counter(), time.process_time()
    for plugin in plugins:
        json.dumps(converter.unstructure(plugin))
    serialise = (time.perf_counter() - start, time.process_time() - cpu)

    backend = SQLiteBackend(path)
    start, cpu = time.perf_counter(), time.process_time()
    for batch in work:
        backend.write(batch)
    store = (time.perf_counter() - start, time.process_time() - cpu)
    backend.close()
    stored_mb = path.stat().st_size / 1e6
    line(
        "store (SQLiteBackend.write, 100 files/batch)",
        f"{store[0]:.2f} s (CPU {store[1]:.2f} s)",
        f"baseline: JSON-serialise the same {serialise[0]:.2f} s → ×{store[0] / serialise[0]:.1f}",
    )

    with Catalog.open(path) as catalog:
        catalog.vacuum()
    line("file size", f"{stored_mb:.1f} MB stored", f"{path.stat().st_size / 1e6:.1f} MB after `db vacuum`")
    del work, plugins

    with Catalog.open(path, read_only=True) as catalog:
        conn = catalog.backend._conn  # type: ignore[attr-defined]  # the baselines query the same connection
        fts = f"SELECT rowid FROM plugins_fts WHERE plugins_fts MATCH ? ORDER BY {_RANK} LIMIT 50"
        bare = timed(lambda: conn.execute(fts, ('"reverb"*',)).fetchall(), args.runs)
        found = timed(lambda: catalog.search("reverb"), args.runs)
        hits = len(catalog.search("reverb"))
        line(
            'Catalog.search("reverb")',
            f"median {found[0]:.2f} ms, p90 {found[1]:.2f} (CPU {found[2]:.2f})",
            f"{hits} records; baseline: FTS ids only {bare[0]:.2f} ms → ×{found[0] / bare[0]:.1f}",
        )

        filtered, where_args = _filtered(Query(**FILTER))
        ids = f"SELECT p.id FROM plugins p{filtered} ORDER BY p.name COLLATE NOCASE, p.id LIMIT 50"
        bare = timed(lambda: conn.execute(ids, where_args).fetchall(), args.runs)
        page = timed(lambda: list(catalog.plugins(**FILTER, limit=50)), args.runs)
        listed = timed(lambda: (list(catalog.plugins(**FILTER, limit=50)), catalog.count(**FILTER)), args.runs)
        line(
            f"filtered list {FILTER}",
            f"median {page[0]:.2f} ms, p90 {page[1]:.2f} (CPU {page[2]:.2f})",
            f"50 of {catalog.count(**FILTER)}; baseline: ids only {bare[0]:.2f} ms → ×{page[0] / bare[0]:.1f}",
        )
        line(
            "  + the count (all `pluginary list` asks)",
            f"median {listed[0]:.2f} ms, p90 {listed[1]:.2f} (CPU {listed[2]:.2f})",
            "",
        )

    env = {**os.environ, "PLUGINARY_CATALOG": str(path)}
    runs = args.process_runs
    python = process_ms([sys.executable, "-c", "pass"], runs, env)
    version = process_ms(command("--version"), runs, env)
    search = process_ms(command("search", "reverb"), runs, env)
    line(
        "`pluginary search reverb`, start to exit",
        f"median {search[0]:.0f} ms, p90 {search[1]:.0f}",
        f"baselines: `python -c pass` {python[0]:.0f} ms, `pluginary --version` {version[0]:.0f} ms",
    )

    full = peak_rss_mb(command("list", "--output", "json"), env)
    small = peak_rss_mb(command("list", "--output", "json", "--limit", "100"), env)
    line(
        f"`pluginary list --output json` ({args.plugins})",
        f"peak RSS {full:.0f} MB",
        f"baseline: --limit 100 → {small:.0f} MB (×{full / small:.2f})",
    )
    # The machine may be shared: a load that rose during the run explains slow figures.
    print(f"\nload average at the end {' '.join(f'{figure:.2f}' for figure in os.getloadavg())}")
    if args.dir is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
