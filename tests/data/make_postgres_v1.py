"""How `postgres-v1.sql` was made: a real PostgreSQL catalogue of schema v1, for the v1 → v2
migration test (presets and products), written by the Pluginary that wrote schema v1 (commit
d481ee7) on a throw-away server and dumped with `pg_dump --inserts`, e.g.

    mkdir /tmp/v1 && git archive d481ee7 pluginary tests/pg.py tests/support.py tests/__init__.py | tar -x -C /tmp/v1
    PYTHONPATH=/tmp/v1 python tests/data/make_postgres_v1.py

It holds two machines. studio-1: five plugins (two in one VST3 shell, one LV2 plugin installed
twice, "Pro-Q 3" as VST3 and as AU: one product), a quarantined file, two runs; studio-2: two of
the same plugins. User tags on three plugin ids and a user category on one (shared by both
machines). `tests/test_postgres.py` names what it expects of each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from attrs import evolve

from pluginary.backends import postgres_schema as schema
from pluginary.backends.postgres import PostgresBackend
from pluginary.catalog import Catalog
from pluginary.core.models import Category, CategorySource, FailureKind
from pluginary.testing.backend_suite import failure_at, make_plugin, results_for
from tests.pg import running_server, server_bin

HERE = Path(__file__).parent
SHELL = "/usr/lib/vst3/ZamShell.vst3"


def main() -> None:
    if schema.SCHEMA_VERSION != 1:
        sys.exit(f"this Pluginary writes schema v{schema.SCHEMA_VERSION}; run it with one that writes v1")
    binaries = server_bin()
    if binaries is None:
        sys.exit("needs a PostgreSQL server (apt-get install postgresql)")
    mine = Category("Effect/Favourites", CategorySource.USER, 1.0)
    compressor = make_plugin(
        "Dynamic Compressor", "x42", "lv2", "Effect/Dynamics", ("Threshold",), id="lv2:urn:x42:dpl"
    )
    plugins = [
        make_plugin("ZamEQ2", "Damien Zammit", "vst3", "Effect/EQ", ("Boost",), path=SHELL, id="vst3:" + "1" * 32),
        make_plugin("ZamDelay", "Damien Zammit", "vst3", "Effect/Delay", ("Time",), path=SHELL, id="vst3:" + "2" * 32),
        make_plugin("Pro-Q 3", "FabFilter", "vst3", "Effect/EQ", ("Gain",), id="vst3:" + "3" * 32),
        make_plugin("Pro-Q 3", "FabFilter", "au", "Effect/EQ", ("Gain",), id="au:aufx:pq3:fabf"),
        compressor,
        evolve(compressor, path="/usr/local/lib/lv2/dynamic-compressor.lv2", version="2.0"),
    ]
    plugins[1] = evolve(plugins[1], categories=(*plugins[1].categories, mine))
    with running_server(binaries) as server:
        url = server.url()
        backend = PostgresBackend(url, host="studio-1")
        for result in results_for(plugins):
            backend.write([result])
        backend.write([failure_at("/usr/lib/vst3/Crashes.vst3", last_seen="2025-02-01T10:00:00", signal=11)])
        backend.write(
            [failure_at("/usr/lib/vst3/Hangs.vst3", last_seen="2025-02-02T10:00:00", kind=FailureKind.TIMEOUT)]
        )
        backend.record_run({"started_at": "2025-02-01T10:00:00", "pipeline": "full", "seconds": 3.5, "stored": 6})
        backend.record_run({"started_at": "2025-02-02T10:00:00", "pipeline": "scan", "seconds": 0.5})
        catalog = Catalog(backend)
        catalog.tag(plugins[0].id, "surgical")
        catalog.tag(plugins[2].id, "mixing", "eq")
        catalog.tag(compressor.id, "mixing")
        catalog.close()
        other = PostgresBackend(url, host="studio-2")
        other.write(results_for([evolve(plugins[2], version="3.1"), compressor]))
        other.close()
        dump = subprocess.run(
            [str(server.bin / "pg_dump"), "-h", str(server.socket_dir), "-p", str(server.port), "-U", "postgres",
             "--inserts", "--no-owner", "--no-privileges", "--no-comments", "pluginary"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    (HERE / "postgres-v1.sql").write_text(dump, encoding="utf-8")


if __name__ == "__main__":
    main()
