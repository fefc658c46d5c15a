"""How `catalog-v2.sqlite` was made: a real catalogue of schema v2, for the v2 → v3 migration
tests, holding VST3 plugins under the ids Pluginary gave them before it read class ids
(`vst3:<path>#<name>`), with what the user said about them.

It must run with a Pluginary that writes schema v2 (commit fab4bdf), e.g.

    git worktree add --detach /tmp/v2 fab4bdf
    PYTHONPATH=/tmp/v2 python tests/data/make_catalog_v2.py

The file is small (1 KiB pages, vacuumed). It holds: a VST3 shell with two plugins and
a single VST3 plugin (path-based ids), an LV2 plugin (its URI does not change), user tags
on three of them, a user category on one, a quarantined VST3 file, and two runs.
`tests/test_catalog.py` names what it expects of each.
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
SINGLE = "/usr/lib/vst3/ZamComp.vst3"


def main() -> None:
    if schema.SCHEMA_VERSION != 2:
        sys.exit(f"this Pluginary writes schema v{schema.SCHEMA_VERSION}; run it with one that writes v2")
    path = HERE / "catalog-v2.sqlite"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("VACUUM")
    conn.close()

    mine = Category("Effect/Favourites", CategorySource.USER, 1.0)
    plugins = [
        make_plugin("ZamComp", "Damien Zammit", "vst3", "Effect/Dynamics", ("Attack", "Release"), path=SINGLE),
        make_plugin("ZamEQ2", "Damien Zammit", "vst3", "Effect/EQ", ("Boost",), path=SHELL),
        make_plugin("ZamDelay", "Damien Zammit", "vst3", "Effect/Delay", ("Time", "Feedback"), path=SHELL),
        make_plugin("Dynamic Compressor", "x42", "lv2", "Effect/Dynamics", ("Threshold",), id="lv2:urn:x42:dpl"),
    ]
    plugins = [evolve(p, id=f"vst3:{p.path}#{p.name}") if p.format == "vst3" else p for p in plugins]
    plugins[2] = evolve(plugins[2], categories=(*plugins[2].categories, mine))
    backend = SQLiteBackend(path)
    backend.write(results_for(plugins))
    backend.write([failure_at("/usr/lib/vst3/Crashes.vst3", last_seen="2025-02-01T10:00:00", signal=11)])
    backend.write([failure_at("/usr/lib/vst3/Hangs.vst3", last_seen="2025-02-02T10:00:00", kind=FailureKind.TIMEOUT)])
    backend.record_run({"started_at": "2025-02-01T10:00:00", "pipeline": "full", "seconds": 3.5, "stored": 4})
    backend.record_run({"started_at": "2025-02-02T10:00:00", "pipeline": "scan", "seconds": 0.5})
    catalog = Catalog(backend)
    catalog.tag(plugins[0].id, "glue", "mixing")
    catalog.tag(plugins[1].id, "surgical")
    catalog.tag(plugins[3].id, "mixing")
    backend.vacuum()
    backend.close()


if __name__ == "__main__":
    main()
