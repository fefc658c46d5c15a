"""The PostgreSQL fleet catalogue against SQLite, in one run on a throw-away loopback server.

    python benchmarks/bench_postgres.py [--hosts 20 --per-host 2000 --store 10000 --writers 8]

Measures storing `--store` plugins (batches of 100) in each backend; search and a filtered
list on a fleet of `--hosts` × `--per-host` plugins (SQLite: the same number of plugins in
one file) as p50/p95, as the CLI's table, the API and the page ask them (each plugin's
parameters counted, not read) and with whole records; `fleet diff` of two machines; and the total store throughput of
`--writers` machines writing at once against one. Prints each figure with its baseline,
ratio and target, and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.pg

from pluginary.backends.postgres import PostgresBackend
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import Catalog
from pluginary.core.models import FileResult, PluginFile
from pluginary.testing.backend_suite import make_plugin
from tests.pg import running_server, server_bin

SEARCHES = ("reverb", "comp", "pro q", "eq gain", "synth", "vendor7", "delay mix", "nothing-matches")
VENDORS = [f"Vendor{n}" for n in range(40)]
CATEGORIES = ("Effect/Reverb", "Effect/Dynamics", "Effect/EQ", "Instrument/Synth", "Effect/Delay")
NAMES = ("Reverb", "Compressor", "Pro EQ", "Synth", "Delay", "Limiter", "Chorus", "Sampler")


def results(count: int, *, start: int = 0, prefix: str = "") -> list[list[FileResult]]:
    """`count` plausible plugins (one per file, 20 parameters) in batches of 100."""
    batches: list[list[FileResult]] = []
    for first in range(start, start + count, 100):
        batch = []
        for n in range(first, min(first + 100, start + count)):
            plugin = make_plugin(
                f"{NAMES[n % len(NAMES)]} {n}", VENDORS[n % len(VENDORS)], ("vst3", "lv2", "clap")[n % 3],
                CATEGORIES[n % len(CATEGORIES)], tuple(f"Gain {i}" if i % 5 == 0 else f"Mix {i}" for i in range(20)),
                id=f"vst3:{prefix}{n:032X}", path=f"/plugins/{prefix}{n}.vst3",
            )  # fmt: skip
            plugin = attrs.evolve(plugin, version=f"1.{n % 7}")
            batch.append(FileResult(PluginFile(plugin.path, plugin.format, 1, 1, "v1"), plugins=(plugin,)))
        batches.append(batch)
    return batches


def store(backend: object, batches: list[list[FileResult]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        backend.write(batch)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def timings(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """p50 and p95 of `rounds` runs, in milliseconds (after one warm-up)."""
    action()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def _writer(url: str, host: str, count: int, queue: multiprocessing.Queue[float]) -> None:
    batches = results(count)
    backend = PostgresBackend(url, host=host)
    try:
        queue.put(store(backend, batches))
    finally:
        backend.close()


def writers(url: str, count: int, per_writer: int, tag: str) -> float:
    """Total plugins per second of `count` machines each storing `per_writer` plugins at once."""
    queue: multiprocessing.Queue[float] = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=_writer, args=(url, f"{tag}-{n}", per_writer, queue)) for n in range(count)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    assert all(process.exitcode == 0 for process in processes)
    return count * per_writer / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=2000)
    parser.add_argument("--store", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    binaries = server_bin()
    if binaries is None:
        print("needs a PostgreSQL server (apt-get install postgresql)", file=sys.stderr)
        return 2
    missed: list[str] = []

    def report(what: str, value: float, baseline: float | None, unit: str, target: str, ok: bool) -> None:
        ratio = f"{value / baseline:6.2f}× SQLite" if baseline else " " * 14
        base = f"{baseline:9.2f} {unit}" if baseline is not None else " " * 12
        print(
            f"{what:<34} {value:9.2f} {unit:<9} sqlite {base}  {ratio}  target {target:<14} {'ok' if ok else 'MISSED'}"
        )
        if not ok:
            missed.append(what)

    with running_server(binaries) as server, tempfile.TemporaryDirectory() as scratch:
        print(f"# PostgreSQL {binaries.parent.name} on loopback; {args.hosts} hosts × {args.per_host} plugins")
        # 1. Storing.
        batches = results(args.store)
        sqlite = SQLiteBackend(Path(scratch) / "store.sqlite")
        sqlite_store = store(sqlite, batches)
        sqlite.close()
        pg = PostgresBackend(server.url(server.database("store")), host="store")
        pg_store = store(pg, batches)
        pg.close()
        report(f"store {args.store} plugins", pg_store, sqlite_store, "s", "(reported)", True)
        # 2. A fleet: search, filtered list, diff.
        fleet_url = server.url(server.database("fleet"))
        for n in range(args.hosts):
            backend = PostgresBackend(fleet_url, host=f"host{n:02d}")
            store(backend, results(args.per_host, start=n * 50))  # neighbours share most plugins
            backend.close()
        server.admin("ANALYZE", fleet_url.rsplit("/", 1)[1])
        sqlite = SQLiteBackend(Path(scratch) / "fleet.sqlite")
        for n in range(args.hosts):
            store(sqlite, results(args.per_host, start=n * 50, prefix=f"{n:02d}"))
        fleet = Catalog(PostgresBackend(fleet_url, host="host07"))
        single = Catalog(sqlite)
        rounds = iter(range(10**9))

        # As `pluginary search`'s table, the API and the page ask (parameters counted, not read), and
        # with whole records (`search -o json`, Python callers that want the parameters).
        def search(catalog: Catalog, parameters: bool = False) -> object:
            return catalog.search(SEARCHES[next(rounds) % len(SEARCHES)], limit=50, parameters=parameters)

        def filtered(catalog: Catalog, parameters: bool = False) -> object:
            return list(
                catalog.plugins(category="Effect", vendor="vendor7", params="10..", limit=50, parameters=parameters)
            )

        whole = functools.partial(search, parameters=True)
        whole_list = functools.partial(filtered, parameters=True)
        for name, call in (
            ("search (p95)", search),
            ("search, whole records (p95)", whole),
            ("filtered list (p95)", filtered),
            ("filtered list, whole records (p95)", whole_list),
        ):
            pg50, pg95 = timings(functools.partial(call, fleet), args.rounds)
            sq50, sq95 = timings(functools.partial(call, single), args.rounds)
            target_ms = 10.0 if name == "search (p95)" else None
            report(name.replace("p95", "p50"), pg50, sq50, "ms", "(reported)", True)
            report(name, pg95, sq95, "ms", f"≤ {target_ms} ms" if target_ms else "(reported)",
                   target_ms is None or pg95 <= target_ms)  # fmt: skip
        from pluginary import fleet as fleets

        d50, d95 = timings(lambda: fleets.diff(fleet, "host00", "host01"), max(20, args.rounds // 10))
        report("fleet diff of two hosts (p50)", d50, None, "ms", "(reported)", True)
        report("fleet diff of two hosts (p95)", d95, None, "ms", "≤ 100 ms", d95 <= 100)
        fleet.close()
        single.close()
        # 3. Machines writing at once.
        per_writer = 2000
        one = writers(server.url(server.database("one")), 1, per_writer, "solo")
        many = writers(server.url(server.database("many")), args.writers, per_writer, "desk")
        print(f"# one writer {one:.0f} plugins/s; {args.writers} writers {many:.0f} plugins/s together")
        report(f"{args.writers} writers ÷ 1 writer", many / one, None, "×", "≥ 1.5×", many / one >= 1.5)
    if missed:
        print(f"MISSED: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
