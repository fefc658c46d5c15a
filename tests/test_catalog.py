"""The catalogue beyond the shared backend suite: opening, damaged and foreign files,
read-only disks, migrations, search safety over any text, suggestions, streaming,
and what `db check` finds. Real SQLite and JSON files throughout."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pluginary import Catalog
from pluginary.backends import schema
from pluginary.backends.jsonfile import JSONBackend
from pluginary.backends.sqlite import SQLiteBackend, fts_query
from pluginary.catalog import ParamRange, QueryError, UnknownPluginError, writable
from pluginary.core.errors import CatalogError
from pluginary.core.models import FileResult, Parameter, Plugin
from pluginary.testing_backend import failure_at, make_plugin, results_for, sample_plugins
from tests.catalog_data import batches, file_for, iter_plugins, iter_results


def stored(path: Path, backend: type[SQLiteBackend] = SQLiteBackend) -> Path:
    """A closed catalogue holding the sample plugins."""
    written = backend(path)
    written.write(results_for(sample_plugins()))
    written.close()
    return path


def files_in(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


# -- opening ---------------------------------------------------------------------------


def test_the_backend_follows_the_suffix_or_the_argument(tmp_path: Path) -> None:
    with Catalog.open(tmp_path / "a.json") as by_suffix, Catalog.open(tmp_path / "b.db") as default:
        assert isinstance(by_suffix.backend, JSONBackend)
        assert type(default.backend) is SQLiteBackend
    with Catalog.open(tmp_path / "c.data", backend="json") as named:
        assert isinstance(named.backend, JSONBackend)
    assert json.loads((tmp_path / "c.data").read_text())["format"] == "pluginary-catalog"


def test_without_a_path_the_catalogue_lives_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLUGINARY_DATA_DIR", str(tmp_path / "data"))
    with Catalog.open() as catalog:
        assert catalog.path == tmp_path / "data" / "catalog.sqlite"
    with Catalog.open(backend="json") as catalog:
        assert catalog.path == tmp_path / "data" / "catalog.json"
    assert files_in(tmp_path / "data") == ["catalog.json", "catalog.sqlite"]


def test_writable_looks_at_the_nearest_existing_folder(tmp_path: Path) -> None:
    # (the negative case needs a read-only disk: see test_writing_to_a_read_only_disk_fails_before_any_work)
    assert writable(tmp_path / "not" / "yet" / "catalog.sqlite")


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_an_empty_file_becomes_a_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.touch()
    with Catalog.open(path) as catalog:
        catalog.backend.write(results_for(sample_plugins()[:2]))
        assert catalog.count() == 2


def test_read_only_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with Catalog.open(path, read_only=True) as catalog:
        assert catalog.search("diva")[0].name == "Diva"
        assert catalog.stats()["plugins"] == len(sample_plugins())
        assert catalog.check() == []
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def _read_only_mount(folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` with `folder` bind-mounted read-only (a private mount namespace: needs root)."""
    command = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" "{folder}"'
        f' && exec "{sys.executable}" -c "$0"'
    )
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", command, script], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    probe = _read_only_mount(folder, f"open({str(folder / 'x')!r}, 'w')") if shutil.which("unshare") else None
    if probe is None or "Read-only file system" not in probe.stderr:
        pytest.skip("needs unshare and mount rights (root) to make a read-only disk")
    return folder


@pytest.mark.parametrize("name", ["catalog.sqlite", "catalog.json"])
def test_a_catalogue_on_a_read_only_disk_is_still_searchable(read_only_disk: Path, name: str) -> None:
    path = read_only_disk / name
    stored(path, JSONBackend if name.endswith(".json") else SQLiteBackend)
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import typer
        from pluginary import Catalog
        from pluginary.core.cli_catalog import register
        catalog = Catalog.open({str(path)!r})
        print(catalog.read_only, [p.name for p in catalog.search("vintageverb")])
        try:
            catalog.tag("Diva", "x")
        except Exception as exc:
            print(type(exc).__name__)
        catalog.close()
        app = typer.Typer()
        app.callback()(lambda: None)
        register(app)
        app(["search", "cutoff", "--catalog", {str(path)!r}], standalone_mode=False)
        """
    )
    done = _read_only_mount(read_only_disk, script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["True ['VintageVerb']", "CatalogError"]
    assert lines[2].split("\t")[1] == "Diva"
    assert files_in(read_only_disk) == [name]
    assert path.read_bytes() == before


def test_writing_to_a_read_only_disk_fails_before_any_work(read_only_disk: Path) -> None:
    path = stored(read_only_disk / "catalog.sqlite")
    script = f"from pluginary.backends.sqlite import SQLiteBackend; SQLiteBackend({str(path)!r})"
    done = _read_only_mount(read_only_disk, script)
    assert "CatalogError" in done.stderr and "cannot be written" in done.stderr


# -- damaged and foreign files -----------------------------------------------------------


def _refused(path: Path, match: str) -> None:
    """Opening `path` (either way) and using it raises one-line CatalogErrors; the file is untouched."""
    before = path.read_bytes()
    side_files = files_in(path.parent)
    for read_only in (True, False):
        with pytest.raises(CatalogError, match=match) as raised, Catalog.open(path, read_only=read_only) as catalog:
            list(catalog.plugins())
            catalog.stats()
        message = str(raised.value)
        assert message.startswith(str(path)) and "\n" not in message
        assert "db check" in message or "upgrade" in message
    assert path.read_bytes() == before
    assert files_in(path.parent) == side_files


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "music.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.execute("INSERT INTO songs VALUES ('Blue in Green')")
    conn.commit()
    conn.close()
    _refused(path, "not a Pluginary catalogue")


def test_a_catalogue_from_a_newer_pluginary_is_refused(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE metadata SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    _refused(path, "newer Pluginary")


@pytest.mark.parametrize("damage", ["truncated", "scribbled"])
def test_a_damaged_catalogue_is_reported_not_crashed_on(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "c.sqlite"
    backend = SQLiteBackend(path)
    for batch in batches(iter_results(iter_plugins(300, 20))):
        backend.write(batch)
    backend.close()
    content = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    else:
        middle = len(content) // 2
        path.write_bytes(content[:middle] + b"\xa5" * 65536 + content[middle + 65536 :])
    _refused(path, "damaged")


def test_db_check_reports_damage_that_opening_does_not_see(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    backend = SQLiteBackend(path)
    for batch in batches(iter_results(iter_plugins(300, 20))):
        backend.write(batch)
    backend.close()
    content = bytearray(path.read_bytes())
    page = 4096
    middle = len(content) // page // 2 * page
    content[middle : middle + page] = b"\x00" * page  # a page of parameters or an index, not the schema
    path.write_bytes(bytes(content))
    with Catalog.open(path, read_only=True) as catalog:
        problems = catalog.check()
    assert problems


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ('{"songs": []}', "not a Pluginary catalogue"),
        ("[1, 2, 3]", "not a Pluginary catalogue"),
        ('{"format": "pluginary-catalog", "schema_version": 99}', "newer Pluginary"),
        ('{"format": "pluginary-catalog"}', "no schema_version"),
        ('{"format": "pluginary-catalog", "schema_version": 1, "plugins": [{"id": "x"}]}', "damaged"),
        ('{"format": "pluginary-catalog", "schema_version": 1, "plugins": [', "not valid JSON"),
    ],
)
def test_a_foreign_or_damaged_json_file_is_refused(tmp_path: Path, document: str, match: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(document)
    _refused(path, match)


# -- migrations ------------------------------------------------------------------------------
# There is only schema v1 so far, so no checked-in v1 file yet: these tests run the
# upgrade machinery with a v2 defined here, on a real v1 file.


def _add_notes(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE notes (plugin_id TEXT PRIMARY KEY, note TEXT NOT NULL)")


def test_an_older_catalogue_is_upgraded_when_opened_for_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = stored(tmp_path / "c.sqlite")
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(schema.MIGRATIONS, 1, _add_notes)
    with pytest.raises(CatalogError, match=r"older Pluginary.*db migrate"):
        SQLiteBackend(path, read_only=True)
    with Catalog.open(path) as catalog:
        assert catalog.migrated == (1, 2)
        assert catalog.count() == len(sample_plugins())
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM metadata WHERE key = 'schema_version'").fetchone() == ("2",)
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    conn.close()
    with Catalog.open(path) as again:
        assert again.migrated is None


def test_a_failed_upgrade_leaves_the_old_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = stored(tmp_path / "c.sqlite")

    def broken(conn: sqlite3.Connection) -> None:
        _add_notes(conn)
        raise RuntimeError("step 2 went wrong")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(schema.MIGRATIONS, 1, broken)
    with pytest.raises(RuntimeError, match="went wrong"):
        SQLiteBackend(path)
    monkeypatch.undo()
    with Catalog.open(path, read_only=True) as catalog:
        assert catalog.count() == len(sample_plugins())
    conn = sqlite3.connect(path)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert "notes" not in tables
    conn.close()


def test_the_tables_hold_every_field_of_the_models() -> None:
    assert tuple(field.name for field in attrs.fields(Parameter)) == schema.PARAMETER_COLUMNS
    assert set(schema.PLUGIN_COLUMNS) <= {field.name for field in attrs.fields(Plugin)}


# -- search ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searchable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    catalog = Catalog.open(tmp_path_factory.mktemp("search") / "catalog.sqlite")
    catalog.backend.write(results_for(sample_plugins()))
    yield catalog
    catalog.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text())
def test_any_text_is_a_safe_search(searchable: Catalog, text: str) -> None:
    assert isinstance(searchable.search(text), list)
    assert isinstance(searchable.suggest(text), list)


names = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def growing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """A catalogue each example adds its plugin to."""
    catalog = Catalog.open(tmp_path_factory.mktemp("names") / "catalog.sqlite")
    catalog.backend.write(results_for(sample_plugins()))
    yield catalog
    catalog.close()


@settings(max_examples=200, deadline=None)
@given(name=names)
def test_a_plugin_is_found_by_its_own_name(growing: Catalog, name: str) -> None:
    plugin = make_plugin(name, "Hypothesis", "vst3", "Effect/Test", id=f"vst3:h-{name.encode().hex()}")
    growing.backend.write([FileResult(file_for(plugin), plugins=(plugin,))])
    found = [p.id for p in growing.search(name, limit=10_000)]
    if fts_query(name):
        assert plugin.id in found
    else:
        assert found == []  # nothing searchable in it, e.g. only punctuation or emoji


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("valhala", "Valhalla DSP"),
        ("vintagverb", "VintageVerb"),
        ("dynamik compresor", "Dynamic Compressor"),
        ("cuttoff", "Cutoff"),
    ],
)
def test_suggestions_for_near_misses(searchable: Catalog, text: str, expected: str) -> None:
    assert searchable.search(text) == []
    assert searchable.suggest(text)[0] == expected


def test_nothing_close_suggests_nothing(searchable: Catalog) -> None:
    assert searchable.suggest("qqqqzzzzxxxx") == []


def test_resolve_names_one_plugin_or_says_why_not(searchable: Catalog) -> None:
    assert searchable.resolve("diva").name == "Diva"
    with pytest.raises(UnknownPluginError, match="2 plugins are named 'Pro-Q 3'"):
        searchable.resolve("Pro-Q 3")
    with pytest.raises(UnknownPluginError, match="did you mean 'VintageVerb'"):
        searchable.resolve("VintagVerb")


def test_blank_tags_are_refused(searchable: Catalog) -> None:
    with pytest.raises(QueryError):
        searchable.tag("Diva", "  ")
    with pytest.raises(QueryError):
        searchable.tag("Diva")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("10..50", ParamRange(10, 50)),
        (" 10 .. 50 ", ParamRange(10, 50)),
        ("10..", ParamRange(10, None)),
        ("..50", ParamRange(None, 50)),
        (">20", ParamRange(21, None)),
        (">=20", ParamRange(20, None)),
        ("<10", ParamRange(None, 9)),
        ("<=10", ParamRange(None, 10)),
        ("12", ParamRange(12, 12)),
        ((3, None), ParamRange(3, None)),
    ],
)
def test_parameter_count_ranges(spec: str | tuple[int | None, int | None], expected: ParamRange) -> None:
    assert ParamRange.parse(spec) == expected


@pytest.mark.parametrize("spec", ["", "..", "ten", "10-50", "> ", "=5", "1..2..3", "-3"])
def test_unreadable_parameter_count_ranges(spec: str) -> None:
    with pytest.raises(QueryError, match=r"10\.\.50"):
        ParamRange.parse(spec)


# -- streaming -------------------------------------------------------------------------------


def test_iterating_a_large_catalogue_does_not_load_it_whole(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "big.sqlite")
    for batch in batches(iter_results(iter_plugins(3000, 20))):
        backend.write(batch)
    catalog = Catalog(backend)

    def peak(consume: object) -> int:
        tracemalloc.start()
        try:
            consume()  # type: ignore[operator]
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    streamed = peak(lambda: sum(1 for _ in catalog.plugins()))
    loaded = peak(lambda: list(catalog.plugins()))
    assert streamed * 8 < loaded, (streamed, loaded)
    first = catalog.plugins(sort="params", reverse=True)
    assert next(first).name  # a generator: nothing more is read until asked
    catalog.close()


# -- db check, vacuum ------------------------------------------------------------------------


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_check_finds_a_search_index_out_of_step_and_vacuum_repairs_it(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)
    conn.execute(
        "INSERT INTO plugins_fts (plugins_fts, rowid, name, vendor, categories_text, tags_text, params_text)"
        " SELECT 'delete', pk, name, vendor, categories_text, tags_text, params_text FROM plugin_records"
        " WHERE name = 'Diva'"
    )
    conn.close()
    with Catalog.open(path) as catalog:
        assert catalog.search("diva") == []
        assert any("search index misses 1 plugins" in problem for problem in catalog.check())
        catalog.vacuum()
        assert catalog.check() == []
        assert [p.name for p in catalog.search("diva")] == ["Diva"]


def test_check_finds_stale_index_text(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)
    conn.execute("DROP TRIGGER plugin_records_au")
    conn.execute("UPDATE plugin_records SET name = 'Renamed' WHERE name = 'Diva'")
    conn.close()
    with Catalog.open(path) as catalog:
        assert any("does not match the plugins" in problem for problem in catalog.check())


def test_check_finds_orphans(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)  # foreign keys are off on a plain connection: orphans can be made
    conn.execute("INSERT INTO plugin_categories (plugin_pk, name, ancestor) VALUES (9999, 'Effect/Ghost', 0)")
    conn.execute("DELETE FROM plugin_records WHERE name = 'Pro-R'")
    conn.execute("DELETE FROM files WHERE path = '/plugins/vst3/diva.vst3'")
    conn.close()
    with Catalog.open(path) as catalog:
        catalog.backend.write([failure_at("/plugins/other.vst3", last_seen="2025-01-01")])
        conn = _raw(path)
        conn.execute("INSERT INTO files SELECT path, format, 1, 1, 'x' FROM failures")
        conn.close()
        problems = catalog.check()
    assert "1 categories of no plugin" in problems
    assert "1 plugins without their record" in problems
    assert "1 plugins from no stored file" in problems
    assert "1 files both stored and quarantined" in problems
    assert any("plugin_categories" in problem for problem in problems)  # PRAGMA foreign_key_check


# -- the JSON file ------------------------------------------------------------------------


def test_json_and_sqlite_hold_the_same_content(tmp_path: Path) -> None:
    plugins = sample_plugins()
    backends = [SQLiteBackend(tmp_path / "c.sqlite"), JSONBackend(tmp_path / "c.json")]
    for backend in backends:
        backend.write(results_for(plugins))
        backend.write([failure_at(plugins[0].path, last_seen="2025-01-01", signal=6)])
        backend.record_run({"started_at": "2025-01-01T00:00:00", "stored": 13})
        Catalog(backend).tag("Diva", "analog")

    def content(backend: SQLiteBackend) -> tuple[object, ...]:
        stats = Catalog(backend).stats()
        del stats["size_bytes"], stats["path"]
        return list(backend.plugins()), backend.stored_files(), backend.failures(), stats

    assert content(backends[0]) == content(backends[1])
    for backend in backends:
        backend.close()


def test_the_json_file_is_readable_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    backend = JSONBackend(path)
    with path.open("rb") as first:
        empty = first.read()
        backend.write(results_for(sample_plugins()))
        Catalog(backend).tag("Diva", "analog")
        backend.close()
        first.seek(0)
        assert first.read() == empty  # a new file was renamed into place; this one was never rewritten
    assert files_in(tmp_path) == ["catalog.json"]  # no temporary file left
    text = path.read_text(encoding="utf-8")
    assert '\n "plugins": [' in text and "Réverbération" in text  # indented, unicode as itself
    document = json.loads(text)
    assert (document["format"], document["schema_version"]) == ("pluginary-catalog", schema.SCHEMA_VERSION)
    diva = next(plugin for plugin in document["plugins"] if plugin["name"] == "Diva")
    assert diva["tags"] == ["analog"]
    assert document["user_labels"][diva["id"]]["tags"] == ["analog"]


def test_a_second_open_sees_tables_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    # The first writer is still running (or was killed): its tables may exist only in
    # catalog.sqlite-wal. A second process must open the catalogue, not recreate it.
    from pluginary.backends.sqlite import SQLiteBackend

    path = tmp_path / "catalog.sqlite"
    first = SQLiteBackend(path)
    assert path.with_name("catalog.sqlite-wal").exists()
    try:
        second = SQLiteBackend(path)
        assert second.stored_files() == {}
        second.close()
    finally:
        first.close()
