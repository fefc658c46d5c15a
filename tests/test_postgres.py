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
from pluginary.core.errors import CatalogError
from pluginary.core.fleet import redact
from pluginary.core.models import FileResult, Plugin
from pluginary.testing.backend_suite import BackendFactory, BackendSuite, failure_at, file_of, results_for
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

    def test_backup_is_a_catalogue_with_the_same_content(  # type: ignore[override]
        self, catalog: Catalog, tmp_path: Path
    ) -> None:
        """A server's backup is pg_dump's job; `db backup` writes this machine's part as a SQLite catalogue."""
        catalog.tag("Diva", "analog")
        catalog.backend.write([failure_at("/plugins/broken.vst3", last_seen="2025-01-01")])
        dest = tmp_path / "backups" / "studio-1.sqlite"
        catalog.backup(dest)
        copy = Catalog(SQLiteBackend(dest, read_only=True))
        try:
            assert list(copy.plugins()) == list(catalog.plugins())
            assert copy.backend.stored_files() == catalog.backend.stored_files()
            assert copy.backend.failures() == catalog.backend.failures()
        finally:
            copy.close()
        with pytest.raises(CatalogError, match="already exists"):
            catalog.backup(dest)
