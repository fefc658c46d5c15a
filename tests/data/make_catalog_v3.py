"""How `catalog-v3.sqlite` was made: a real catalogue of schema v3, for the v3 → v4 migration
test (presets and products), written by the Pluginary that wrote schema v3 (commit d481ee7), e.g.

    mkdir /tmp/v3 && git archive d481ee7 pluginary | tar -x -C /tmp/v3
    PYTHONPATH=/tmp/v3 python tests/data/make_catalog_v3.py

The file is small (1 KiB pages, vacuumed). It holds: five plugins (two in one VST3 shell, one LV2
plugin installed twice, "Pro-Q 3" as VST3 and as AU: one product), user tags on three of them, a
user category on one, a quarantined file, and two runs. `tests/test_backends.py` names what it
expects of each.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from attrs import evolve

from pluginary.backends import sqlite_schema as schema
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import Catalog
from pluginary.core.models import Category, CategorySource, FailureKind
from pluginary.testing.backend_suite import failure_at, make_plugin, results_for

HERE = Path(__file__).parent
SHELL = "/usr/lib/vst3/ZamShell.vst3"


def main() -> None:
    if schema.SCHEMA_VERSION != 3:
        sys.exit(f"this Pluginary writes schema v{schema.SCHEMA_VERSION}; run it with one that writes v3")
    path = HERE / "catalog-v3.sqlite"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("VACUUM")
    conn.close()

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
    backend = SQLiteBackend(path)
    for result in results_for(plugins):
        backend.write([result])
    backend.write([failure_at("/usr/lib/vst3/Crashes.vst3", last_seen="2025-02-01T10:00:00", signal=11)])
    backend.write([failure_at("/usr/lib/vst3/Hangs.vst3", last_seen="2025-02-02T10:00:00", kind=FailureKind.TIMEOUT)])
    backend.record_run({"started_at": "2025-02-01T10:00:00", "pipeline": "full", "seconds": 3.5, "stored": 6})
    backend.record_run({"started_at": "2025-02-02T10:00:00", "pipeline": "scan", "seconds": 0.5})
    catalog = Catalog(backend)
    catalog.tag(plugins[0].id, "surgical")
    catalog.tag(plugins[2].id, "mixing", "eq")
    catalog.tag(compressor.id, "mixing")
    backend.vacuum()
    backend.close()


if __name__ == "__main__":
    main()
