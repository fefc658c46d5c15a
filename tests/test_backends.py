"""The shared backend suite (`pluginary.testing.backend_suite.BackendSuite`) against both built-in backends,
and their upgrades to presets and products (SQLite schema v3 → v4, JSON document 1 → 2)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pluginary.backends import jsonfile
from pluginary.backends import sqlite_schema as schema
from pluginary.backends.jsonfile import JSONBackend
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import Catalog
from pluginary.core.errors import CatalogError
from pluginary.testing.backend_suite import (
    BackendFactory,
    BackendSuite,
    failure_at,
    preset_results,
    results_for,
    sample_plugins,
    sample_presets,
)
from tests.catalog_data import check_products_and_presets_work


class TestSQLiteBackend(BackendSuite):
    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        return SQLiteBackend


class TestJSONBackend(BackendSuite):
    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        return JSONBackend


# -- migrations to presets and products (SQLite v3 → v4, JSON document 1 → 2) ------------------
# tests/data/catalog-v3.sqlite was written by the schema-v3 Pluginary (see tests/data/make_catalog_v3.py).

V3 = Path(__file__).parent / "data" / "catalog-v3.sqlite"


def rows_of(path: Path, columns: dict[str, list[str]], mode: str = "mode=ro") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of these tables (only these columns), in a stable order: what a file holds, read plainly."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    try:
        return {
            table: sorted(conn.execute(f"SELECT {', '.join(names)} FROM {table}"), key=repr)
            for table, names in columns.items()
        }
    finally:
        conn.close()


def v3_columns() -> dict[str, list[str]]:
    """The tables (not the search index's) and columns of schema v3, read from the v3 file itself."""
    conn = sqlite3.connect(f"{V3.resolve().as_uri()}?immutable=1", uri=True)
    try:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB '*fts*'")
        ]
        return {table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")] for table in tables}
    finally:
        conn.close()


def test_a_v3_catalogue_keeps_every_record_and_gains_presets_and_products(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    shutil.copyfile(V3, path)
    columns = v3_columns()
    assert {"plugins", "plugin_copies", "user_tags", "user_categories", "files", "failures", "runs"} <= set(columns)
    before = rows_of(V3, columns, "immutable=1")  # nothing written beside the file
    # Read-only, the old file is refused untouched: upgrading is a write.
    with pytest.raises(CatalogError, match=r"older Pluginary \(schema v3\)"):
        Catalog.open(path, read_only=True)
    assert V3.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.sqlite"]

    with Catalog.open(path) as catalog:
        assert catalog.migrated == (3, schema.SCHEMA_VERSION)
        assert catalog.check() == []
        after = rows_of(path, columns)
        del before["metadata"], after["metadata"]  # its schema version, and only that, changed
        assert after == before
        assert catalog.stats()["schema_version"] == schema.SCHEMA_VERSION
        plugins = {p.id: p for p in catalog.backend.plugins()}
        assert {p.name: p.tags for p in plugins.values()} == {
            "ZamEQ2": ("surgical",),
            "ZamDelay": (),
            "Pro-Q 3": ("eq", "mixing"),
            "Dynamic Compressor": ("mixing",),
        } and len(plugins) == 5
        assert {p.name for p in catalog.plugins(category="Effect/Favourites")} == {"ZamDelay"}
        assert {p.name for p in catalog.plugins(tag="mixing")} == {"Pro-Q 3", "Dynamic Compressor"}
        assert set(catalog.backend.failures()) == {"/usr/lib/vst3/Crashes.vst3", "/usr/lib/vst3/Hangs.vst3"}
        assert [run["pipeline"] for run in catalog.stats()["runs"]] == ["scan", "full"]

        check_products_and_presets_work(catalog, plugins)


def test_an_upgraded_v3_catalogue_has_exactly_the_tables_of_a_new_one(tmp_path: Path) -> None:
    shutil.copyfile(V3, tmp_path / "old.sqlite")
    for name in ("old.sqlite", "new.sqlite"):
        SQLiteBackend(tmp_path / name).close()
    layouts = [
        rows_of(tmp_path / name, {"sqlite_master": ["type", "name", "tbl_name", "sql"]})
        for name in ("old.sqlite", "new.sqlite")
    ]
    assert layouts[0] == layouts[1]


def test_a_version_1_json_catalogue_opens_whole_and_is_written_as_version_2(tmp_path: Path) -> None:
    """A version-1 document is what version 2 writes without presets and products (which it added)."""
    path = tmp_path / "catalog.json"
    plugins = sample_plugins()
    with Catalog(JSONBackend(path)) as catalog:
        catalog.backend.write([*results_for(plugins), failure_at("/plugins/broken.vst3", last_seen="2025-01-01")])
        catalog.backend.record_run({"started_at": "2025-01-02T00:00:00", "pipeline": "full"})
        catalog.tag(plugins[1].id, "shimmer")
        expected = (list(catalog.backend.plugins()), catalog.backend.stored_files(), catalog.backend.failures())
    document = json.loads(path.read_text(encoding="utf-8"))
    for added in ("presets", "product_links", "product_tags"):
        assert document.pop(added) == {}
    document["schema_version"] = 1
    path.write_text(json.dumps(document), encoding="utf-8")
    old = path.read_bytes()

    with Catalog(JSONBackend(path, read_only=True)) as reader:
        assert (list(reader.backend.plugins()), reader.backend.stored_files(), reader.backend.failures()) == expected
    assert path.read_bytes() == old  # read-only: not rewritten
    with Catalog(JSONBackend(path)) as catalog:
        assert (list(catalog.backend.plugins()), catalog.backend.stored_files(), catalog.backend.failures()) == expected
        assert [run["pipeline"] for run in catalog.stats()["runs"]] == ["full"]
        key = catalog.backend.product_keys([plugins[1].id])[plugins[1].id]
        catalog.backend.tag_product(key, ["fabfilter"])
        catalog.backend.write(preset_results(sample_presets(plugins)))
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == jsonfile.FORMAT_VERSION == 2
    with Catalog(JSONBackend(path, read_only=True)) as again:
        assert again.get(plugins[1].id).tags == ("fabfilter", "shimmer")  # type: ignore[union-attr]
        assert again.count_presets() == len(sample_presets(plugins))


def test_check_finds_presets_of_files_that_are_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with Catalog(SQLiteBackend(path)) as catalog:
        catalog.backend.write(preset_results(sample_presets(sample_plugins())))
        assert catalog.check() == []
    conn = sqlite3.connect(path)  # a file row lost behind the backend's back
    conn.execute("DELETE FROM files WHERE path = '/presets/lv2/calf.preset.lv2'")
    conn.commit()
    conn.close()
    with Catalog(SQLiteBackend(path)) as catalog:
        assert catalog.check() == ["3 presets of files that are not stored"]
