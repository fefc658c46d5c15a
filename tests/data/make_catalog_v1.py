"""How `catalog-v1.sqlite` and `catalog-v1.expected.json` were made: a real catalogue of
the first schema, for the migration tests, and what it holds as that version read it back.

It must run with a Pluginary that writes schema v1 (commit c4420ee), e.g.

    git archive c4420ee | tar -x -C /tmp/v1
    PYTHONPATH=/tmp/v1 python tests/data/make_catalog_v1.py

The file is small: few plugins, 1 KiB pages, vacuumed. It covers every table a
migration must carry over: plugins (a shell file with several, one without
parameters, choices, unicode), files, user tags and categories, failures, runs.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from attrs import evolve

from pluginary.backends import sqlite_schema as schema
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import Catalog
from pluginary.core.models import Category, CategorySource, FailureKind, converter
from pluginary.testing.backend_suite import failure_at
from tests.catalog_data import batches, iter_plugins, iter_results

HERE = Path(__file__).parent


def main() -> None:
    if schema.SCHEMA_VERSION != 1:
        sys.exit(f"this Pluginary writes schema v{schema.SCHEMA_VERSION}; run it with one that writes v1")
    path = HERE / "catalog-v1.sqlite"
    path.unlink(missing_ok=True)
    # Small pages keep the file small: each table and index takes at least one.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("VACUUM")
    conn.close()

    plugins = list(iter_plugins(8, (0, 6), seed=5))
    plugins[3] = evolve(plugins[3], parameters=())
    mine = Category("Effect/Favourites", CategorySource.USER, 1.0)
    plugins[1] = evolve(plugins[1], categories=(*plugins[1].categories, mine))
    backend = SQLiteBackend(path)
    for batch in batches(iter_results(plugins, shells=0.3, seed=5)):
        backend.write(batch)
    backend.write([failure_at("/plugins/crashes.vst3", last_seen="2025-02-01T10:00:00", signal=11)])
    backend.write(
        [failure_at("/plugins/slow.vst3", last_seen="2025-02-02T10:00:00", kind=FailureKind.TIMEOUT, message="30 s")]
    )
    backend.record_run({"started_at": "2025-02-01T10:00:00", "pipeline": "full", "seconds": 3.5, "stored": 8})
    backend.record_run({"started_at": "2025-02-02T10:00:00", "pipeline": "incremental", "seconds": 0.5})
    catalog = Catalog(backend)
    catalog.tag(plugins[0].id, "favourite", "Bright")
    catalog.tag(plugins[2].id, "mixing")
    expected = {
        "plugins": [converter.unstructure(plugin) for plugin in backend.plugins()],
        "files": [converter.unstructure(file) for _, file in sorted(backend.stored_files().items())],
        "failures": [converter.unstructure(failure) for _, failure in sorted(backend.failures().items())],
        "runs": catalog.stats()["runs"],
    }
    backend.vacuum()
    backend.close()
    (HERE / "catalog-v1.expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
