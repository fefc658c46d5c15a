"""Reads while a scan rewrites the catalogue: no false "damaged", no traceback.

    python benchmarks/soak_catalog.py [--runs 500] [--cli-runs 40] [--plugins 500]

A writer process rewrites every plugin of a generated catalogue in a loop, batch by
batch as `pluginary scan --full` stores them (each rewrite deletes a plugin's rows and
inserts new ones). Meanwhile this process reads it as the commands do, `--runs` times:
a list page and its count, a search, `info` (get and find), stats and a whole export
iteration; then `--cli-runs` times each of `list`, `search`, `info` and `export json`
through the real CLI. Every read must succeed with whole records.

Prints the runs, the reads, the writer's rewrites, and the false errors (target 0:
every error here is false, since nothing is damaged); exits 1 when any happened or
when the writer did not rewrite anything during the reads (then nothing was tested).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pluginary import Catalog  # noqa: E402
from pluginary.backends.sqlite import SQLiteBackend  # noqa: E402
from tests.catalog_data import batches, iter_plugins, iter_results  # noqa: E402

#: The writer: rewrites every plugin until the stop file appears, then prints how many rounds it did.
WRITER = """
import sys
from pathlib import Path
from attrs import evolve
from pluginary.backends.sqlite import SQLiteBackend
from tests.catalog_data import batches, iter_plugins, iter_results
path, stop, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
results = list(iter_results(iter_plugins(count, 20)))
backend = SQLiteBackend(path, exclusive=True)
print("writing", flush=True)
rounds = 0
while not stop.exists():
    rounds += 1
    for batch in batches(iter(results), 50):
        backend.write([evolve(r, file=evolve(r.file, fingerprint=f"v{rounds}")) for r in batch])
backend.close()
print(rounds)
"""


def read_once(path: Path, plugin_id: str, name: str) -> int:
    """Everything a command reads, once; how many plugins were read. Raises on any error."""
    with Catalog.open(path, create=False) as catalog:
        page = list(catalog.plugins(category="Effect", sort="vendor", limit=50))
        catalog.count(category="Effect")
        found = catalog.search("reverb")
        plugin = catalog.get(plugin_id)
        named = catalog.find(name)
        catalog.stats()
        exported = list(catalog.plugins())
    if plugin is None or not named or not exported:
        raise AssertionError("a plugin that is always stored was not found")
    return len(page) + len(found) + 1 + len(named) + len(exported)


def cli_once(path: Path, out: Path, plugin_id: str) -> list[str]:
    """`list`, `search`, `info` and `export` through the CLI; the failures, as text."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLUGINARY_CATALOG": str(path)}
    failures = []
    for args in (
        ["list", "--output", "json"],
        ["search", "reverb"],
        ["info", plugin_id],
        ["export", "json", str(out)],
    ):
        done = subprocess.run([sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, env=env)
        if done.returncode != 0 or "Traceback" in done.stderr:
            failures.append(f"`pluginary {' '.join(args)}` exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="in-process rounds of reads")
    parser.add_argument("--cli-runs", type=int, default=40, help="rounds of CLI commands")
    parser.add_argument("--plugins", type=int, default=500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pluginary-soak-") as folder:
        path, stop, out = Path(folder, "catalog.sqlite"), Path(folder, "stop"), Path(folder, "out.json")
        backend = SQLiteBackend(path)
        for batch in batches(iter_results(iter_plugins(args.plugins, 20))):
            backend.write(batch)
        always = next(backend.plugins())
        backend.close()

        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(stop), str(args.plugins)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        errors: list[str] = []
        reads = 0
        started = time.monotonic()
        for _ in range(args.runs):
            try:
                reads += read_once(path, always.id, always.name)
            except Exception as exc:  # every error is a finding: nothing is damaged
                errors.append(f"{type(exc).__name__}: {exc}")
        for _ in range(args.cli_runs):
            errors += cli_once(path, out, always.id)
        seconds = time.monotonic() - started
        stop.touch()
        rewrites = int(writer.communicate(timeout=120)[0].strip() or 0)

    print(f"runs: {args.runs} in-process, {args.cli_runs} through the CLI ({args.plugins} plugins, {seconds:.1f} s)")
    print(f"reads: {reads} plugins read; writer rewrites meanwhile: {rewrites} × {args.plugins} plugins")
    print(f"false errors: {len(errors)} (target 0)")
    for error in errors[:10]:
        print(f"  {error}")
    if rewrites < 2:
        print("the writer did not rewrite the catalogue during the reads: nothing was tested")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
