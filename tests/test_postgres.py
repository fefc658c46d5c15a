"""The PostgreSQL backend on a real server (`tests.pg`): the shared backend suite, and what a
server catalogue adds — several machines in one database, a URL's password never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from pluginary.backends.postgres import PostgresBackend
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import Catalog, CatalogBackend
from pluginary.core.errors import CatalogError, PluginaryError
from pluginary.core.fleet import redact
from pluginary.core.models import FileResult, Host, Plugin, Preset, PresetSource
from pluginary.testing.backend_suite import (
    BackendFactory,
    BackendSuite,
    failure_at,
    file_of,
    make_plugin,
    results_for,
)
from tests.catalog_data import check_products_and_presets_work
from tests.pg import PASSWORD, Server, pg_server

# Slow (a real PostgreSQL cluster): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

__all__ = ["pg_server"]  # the fixture, imported to be found


@pytest.fixture(scope="module")
def suite_database(pg_server: Server) -> str:
    return pg_server.database("suite")


class TestPostgresBackend(BackendSuite):
    """Each test gets a catalogue of its own: a fresh schema in one database. The suite's tests
    that look at bytes in a file are replaced below by what they mean for a server."""

    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        def factory(path: Any, **options: Any) -> CatalogBackend:
            return PostgresBackend(path, host="studio-1", **options)

        factory.default_filename = PostgresBackend.default_filename  # type: ignore[attr-defined]
        return factory

    @pytest.fixture
    def path(self, pg_server: Server, suite_database: str) -> str:  # type: ignore[override]
        return pg_server.url(suite_database, schema=pg_server.schema(suite_database))

    def test_a_new_catalogue_is_empty_and_exists(self, backend: CatalogBackend, path: Any) -> None:  # type: ignore[override]
        assert backend.stored_files() == {}
        assert backend.failures() == {}
        assert list(backend.plugins()) == []
        # The tables exist now: opening without create finds a catalogue.
        PostgresBackend(path, create=False, read_only=True).close()

    def test_opening_without_create_refuses_a_missing_or_empty_file_untouched(  # type: ignore[override]
        self, backend_factory: BackendFactory, path: str, pg_server: Server, suite_database: str
    ) -> None:
        for read_only in (False, True):
            with pytest.raises(CatalogError, match="no catalogue here") as raised:
                backend_factory(path, create=False, read_only=read_only)
            assert "studio:***@127.0.0.1" in str(raised.value) and PASSWORD not in str(raised.value)
        schema = path.rsplit("%3D", 1)[1]
        assert pg_server.admin(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'", suite_database) == "0\n"

    def test_a_batch_is_stored_whole_or_not_at_all(  # type: ignore[override]
        self, backend: CatalogBackend, path: str, plugins: list[Plugin]
    ) -> None:
        backend.write(results_for(plugins[:3]))
        stats = Catalog(backend).stats
        before = (list(backend.plugins()), backend.stored_files(), {**stats(), "size_bytes": 0})
        unstorable = attrs.evolve(plugins[5], name=object())  # type: ignore[arg-type]
        batch = [*results_for(plugins[3:5]), FileResult(file_of(unstorable.path, [unstorable]), (unstorable,))]
        with pytest.raises(Exception):  # noqa: B017
            backend.write(batch)
        after = (list(backend.plugins()), backend.stored_files(), {**stats(), "size_bytes": 0})
        assert after == before

    def test_read_only_answers_queries_and_refuses_writes(  # type: ignore[override]
        self, backend_factory: BackendFactory, catalog: Catalog, path: str, plugins: list[Plugin]
    ) -> None:
        catalog.close()
        reader = Catalog(backend_factory(path, read_only=True))
        try:
            assert reader.read_only
            assert [p.name for p in reader.search("vintageverb")] == ["VintageVerb"]
            assert reader.count() == len(plugins)
            with pytest.raises(CatalogError, match="read-only"):
                reader.backend.write(results_for(plugins[:1]))
            with pytest.raises(CatalogError, match="read-only"):
                reader.tag(plugins[0].id, "nope")
            assert reader.count() == len(plugins)
        finally:
            reader.close()

    def test_read_only_without_a_catalogue_says_so(  # type: ignore[override]
        self, backend_factory: BackendFactory, pg_server: Server, suite_database: str
    ) -> None:
        missing = pg_server.url(pg_server.database("empty"))
        with pytest.raises(CatalogError, match="no catalogue") as raised:
            backend_factory(missing, read_only=True)
        assert redact(missing) in str(raised.value)

    @pytest.mark.parametrize("read_only", [False, True])
    def test_a_file_that_is_not_a_catalogue_is_refused_and_left_untouched(  # type: ignore[override]
        self, backend_factory: BackendFactory, pg_server: Server, read_only: bool
    ) -> None:
        """A database holding another program's tables."""
        name = pg_server.database("foreign")
        pg_server.admin("SET ROLE studio; CREATE TABLE invoices (id int); INSERT INTO invoices VALUES (7)", name)
        with pytest.raises(CatalogError, match="not a Pluginary catalogue") as raised:
            backend_factory(pg_server.url(name), read_only=read_only)
        assert "restore a backup" in str(raised.value) and "\n" not in str(raised.value)
        assert (
            pg_server.admin("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'", name)
            == "invoices\n"
        )

    def test_text_that_is_copy_or_array_syntax_is_stored_as_it_is(self, catalog: Catalog) -> None:
        """A batch goes in by COPY with array literals built here: quotes, backslashes, braces, commas,
        NULL, tabs, newlines and non-ASCII text in every field come back unchanged and are found."""
        odd = ('Gain "dB"', "a\\b", "{x,y}", "NULL", "", "tab\there", "line\nbreak", "Ünï ☃", "\\N")
        category = 'Effect/"Odd"\\{Cat,1}'
        plugin = make_plugin('Comp "X" \\ {1,2}', "Vendor\tTab", "vst3", category, odd, path="/plugins/odd\\1.vst3")
        preset = Preset(
            "/presets/odd\\p.vstpreset", 'Pre\\set "q"', plugin.id, "vst3", PresetSource.FILE,
            path="/presets/odd\\p.vstpreset", bank="{b,NULL}", author="Jö\tDoe", tags=("t\\1", "NULL"),
        )  # fmt: skip
        catalog.backend.write(
            [
                FileResult(file_of(plugin.path, [plugin]), (plugin,)),
                FileResult(file_of(preset.path, []), presets=(preset,)),
            ]
        )
        assert catalog.get(plugin.id) == plugin
        for name in odd[:4]:
            assert [p.id for p in catalog.plugins(has_param=name)] == [plugin.id], name
        assert [p.id for p in catalog.plugins(category=category)] == [plugin.id]
        assert [p.id for p in catalog.search("ünï")] == [plugin.id]
        assert list(catalog.presets(text='set "q')) == [attrs.evolve(preset, fingerprint="v1")]
        assert [p.name for p in catalog.presets(bank="{B,null}")] == [preset.name]
        assert [p.name for p in catalog.search_presets("jö")] == [preset.name]

    def test_backup_is_a_catalogue_with_the_same_content(  # type: ignore[override]
        self, catalog: Catalog, tmp_path: Path
    ) -> None:
        """A server's backup is pg_dump's job; `db backup` writes this machine's part as a SQLite catalogue,
        the studio's groupings and product labels as such."""
        catalog.tag("Diva", "analog")
        diva = catalog.resolve("Diva").id
        catalog.backend.group([diva], "u-he/diva")
        catalog.backend.tag_product("u-he/diva", ["synth"])
        catalog.backend.categorize_product("u-he/diva", "Instrument/Other")
        catalog.backend.write([failure_at("/plugins/broken.vst3", last_seen="2025-01-01")])
        dest = tmp_path / "backups" / "studio-1.sqlite"
        catalog.backup(dest)
        copy = Catalog(SQLiteBackend(dest, read_only=True))
        try:
            assert list(copy.plugins()) == list(catalog.plugins())
            assert copy.backend.stored_files() == catalog.backend.stored_files()
            assert copy.backend.failures() == catalog.backend.failures()
            assert copy.backend.product_keys() == catalog.backend.product_keys()
            assert copy.get(diva).tags == ("analog", "synth")  # type: ignore[union-attr]
            copy.close()
            copy = Catalog(SQLiteBackend(dest))
            copy.backend.untag_product("u-he/diva", ["synth"])  # a product tag there too, not Diva's own
            assert copy.get(diva).tags == ("analog",)  # type: ignore[union-attr]
            assert copy.get(diva).categories[0].name == "Instrument/Other"  # type: ignore[union-attr]
            copy.backend.categorize_product("u-he/diva", None)  # likewise the product's category
            assert [c.name for c in copy.get(diva).categories] == ["Instrument/Synth"]  # type: ignore[union-attr]
        finally:
            copy.close()
        with pytest.raises(CatalogError, match="already exists"):
            catalog.backup(dest)


# -- the v1 → v2 migration (presets and products) ------------------------------------------------
# tests/data/postgres-v1.sql was dumped from a catalogue the schema-v1 Pluginary wrote (see
# tests/data/make_postgres_v1.py).

V1 = Path(__file__).parent / "data" / "postgres-v1.sql"


def table_rows(url: str, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of these tables (only these columns), in a stable order, read plainly."""
    import psycopg

    with psycopg.connect(url) as conn:
        return {
            table: sorted(conn.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall(), key=repr)
            for table, names in columns.items()
        }


def layout(url: str) -> dict[str, list[Any]]:
    """The tables' columns and the indexes of a catalogue, as the server describes them."""
    import psycopg

    with psycopg.connect(url) as conn:
        return {
            "columns": conn.execute(
                "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns"
                " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
            ).fetchall(),
            "indexes": conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"
            ).fetchall(),
        }


def v1_catalogue(pg_server: Server) -> str:
    name = pg_server.database("v1")
    pg_server.load(V1, name)
    return pg_server.url(name)


def test_a_v1_catalogue_keeps_every_record_and_gains_presets_and_products(pg_server: Server) -> None:
    url = v1_catalogue(pg_server)
    columns = {table: [column for _table, column, *_ in rows] for table, rows in _by_table(layout(url)).items()}
    assert {"plugins", "plugin_copies", "user_tags", "user_categories", "files", "failures", "runs"} <= set(columns)
    before = table_rows(url, columns)
    # Read-only, the old catalogue is refused untouched: upgrading is a write.
    with pytest.raises(CatalogError, match=r"older Pluginary \(schema v1\)"):
        PostgresBackend(url, host="studio-1", read_only=True)
    assert table_rows(url, columns) == before

    with Catalog(PostgresBackend(url, host="studio-1")) as catalog:
        assert catalog.backend.migrated == (1, 2)  # type: ignore[attr-defined]
        assert catalog.check() == []
        after = table_rows(url, columns)
        assert after.pop("metadata") == [("application", "pluginary"), ("schema_version", "2")]
        del before["metadata"]
        assert after == before
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
        assert {p.host.name for p in catalog.plugins(all_hosts=True)} == {"studio"}  # as the scans stamped them
        assert catalog.count(host="studio-2") == 2

        check_products_and_presets_work(catalog, plugins)
        # On every machine: the product's tag on the other machine's copy, and in search.
        assert [p.tags for p in catalog.plugins(tag="bright", host="studio-2")] == [("bright", "eq", "mixing")]
        assert [p.name for p in catalog.search("bright")] == ["Pro-Q 3", "Pro-Q 3"]


def _by_table(described: dict[str, list[Any]]) -> dict[str, list[Any]]:
    tables: dict[str, list[Any]] = {}
    for row in described["columns"]:
        tables.setdefault(row[0], []).append(row)
    return tables


def test_an_upgraded_v1_catalogue_has_exactly_the_tables_of_a_new_one(pg_server: Server) -> None:
    old = v1_catalogue(pg_server)
    new = pg_server.url(pg_server.database("v2"))
    for url in (old, new):
        PostgresBackend(url, host="studio-1").close()
    assert layout(old) == layout(new)


def test_fleet_diff_groups_each_machines_rows_by_their_stored_product(pg_server: Server) -> None:
    from pluginary import fleet

    url = pg_server.url(pg_server.database("diff"))
    comp, verb, eq, gate = (
        make_plugin(name, "Zam", "vst3", "Effect/Dynamics") for name in ("Comp", "Verb", "EQ", "Gate")
    )
    comp_lv2 = make_plugin("Comp (LV2)", "Zam", "lv2", "Effect/Dynamics")  # the rule's same product
    delay = make_plugin("Delay", "Zam", "clap", "Effect/Delay")
    for host, plugins in (
        ("a", [comp, verb, eq, gate]),
        ("b", [comp_lv2, comp, attrs.evolve(verb, version="2.0"), delay, gate]),
    ):
        writer = PostgresBackend(url, host=host)
        writer.write(results_for(plugins))
        writer.close()
    with Catalog(PostgresBackend(url, host="a")) as catalog:
        assert [(d.name, d.status, d.a, d.b) for d in fleet.diff(catalog, "a", "b")] == [
            ("Comp", "formats differ", {"vst3": "1.2.3"}, {"vst3": "1.2.3", "lv2": "1.2.3"}),
            ("Delay", "only B", {}, {"clap": "1.2.3"}),
            ("EQ", "only A", {"vst3": "1.2.3"}, {}),
            ("Verb", "versions differ", {"vst3": "1.2.3"}, {"vst3": "2.0"}),
        ]
        catalog.backend.group([eq.id, delay.id], "zam/eq-delay")  # one product now, on every machine
        assert [(d.name, d.status) for d in fleet.diff(catalog, "b", "a")] == [
            ("Comp (LV2)", "formats differ"),  # named by its first plugin (by id) on the first machine asked
            ("Delay", "formats differ"),
            ("Verb", "versions differ"),
        ]
        with pytest.raises(PluginaryError, match="no machine named 'c'"):
            fleet.diff(catalog, "a", "c")


def test_a_user_category_holds_on_every_machine(pg_server: Server) -> None:
    """Set on one machine, a plugin's or a product's user category shows on every machine's rows of it:
    in their listing, the category filter and search there."""
    url = pg_server.url(pg_server.database("categories"))
    comp = make_plugin("Comp", "Zam", "vst3", "Effect/Dynamics")
    comp_lv2 = make_plugin("Comp", "Zam", "lv2", "Effect/Dynamics")  # the same product
    verb = make_plugin("Verb", "Zam", "vst3", "Effect/Reverb")
    for host in ("a", "b"):
        writer = PostgresBackend(url, host=host)
        writer.write(results_for([comp, comp_lv2, verb]))
        writer.close()
    with Catalog(PostgresBackend(url, host="a")) as on_a:
        on_a.categorize(verb.id, "Effect/Delay")
        on_a.categorize_product(comp.id, "Effect/Mastering")
    with Catalog(PostgresBackend(url, host="b")) as on_b:
        assert [p.id for p in on_b.plugins(category="Effect/Delay")] == [verb.id]
        assert {p.id for p in on_b.plugins(category="Effect/Mastering")} == {comp.id, comp_lv2.id}
        assert {p.id for p in on_b.search("mastering")} == {comp.id, comp_lv2.id}
        assert on_b.count(category="Effect/Mastering", all_hosts=True) == 4
        assert on_b.get(comp_lv2.id).categories[0].name == "Effect/Mastering"  # type: ignore[union-attr]
        on_b.categorize_product(comp.id, None)
        assert on_b.count(category="Effect/Mastering", all_hosts=True) == 0
        assert on_b.check() == []


def test_search_asks_one_machine_or_every_machine(pg_server: Server) -> None:
    """A search finds this machine's plugins, or the asked machine's, or every machine's (a plugin
    once per machine), within the filters, and raw text the same way."""
    url = pg_server.url(pg_server.database("fleet_search"))
    verb = make_plugin("Verb", "Zam", "vst3", "Effect/Reverb")
    plate = make_plugin("Plate Verb", "Zam", "lv2", "Effect/Reverb")
    for host, plugins in (("a", [verb]), ("b", [verb, plate])):
        writer = PostgresBackend(url, host=host)
        writer.write(results_for([attrs.evolve(plugin, host=Host(name=host)) for plugin in plugins]))
        writer.close()
    with Catalog(PostgresBackend(url, host="a")) as catalog:
        assert [(p.id, p.host.name) for p in catalog.search("verb")] == [(verb.id, "a")]
        assert {(p.id, p.host.name) for p in catalog.search("verb", host="b")} == {(verb.id, "b"), (plate.id, "b")}
        assert [p.host.name for p in catalog.search("verb", host="b", format="lv2")] == ["b"]
        assert catalog.search("plate", host="c") == []
        every = catalog.search("verb", all_hosts=True)
        assert sorted((p.id, p.host.name) for p in every) == sorted([(verb.id, "a"), (verb.id, "b"), (plate.id, "b")])
        assert [p.host.name for p in catalog.search("plate:*", raw=True, all_hosts=True)] == ["b"]
        assert catalog.search("plate:*", raw=True) == []  # not on this machine
