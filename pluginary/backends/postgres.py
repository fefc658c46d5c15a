"""A studio's shared catalogue: one PostgreSQL database for every machine (psycopg 3).

Each machine scans its own plugins (they must be loaded where they are installed) and
writes its own rows, keyed by host (`pluginary.core.fleet.host_name`, overridable with
`PLUGINARY_HOST`). So the pipeline's side of the backend (`stored_files`, `failures`,
`write`, `remove`, `plugins`) sees this machine's part only, and diff, quarantine and
the journal work per machine as they do with a file; machines writing at once touch
disjoint rows in short READ COMMITTED transactions, with no lock between them.

The query side answers for this machine too unless a `Query` names a `host` or asks for
`all_hosts`. It means what the SQLite backend means: the same `Query`, the same filters,
sort keys (ASCII case folding, as SQLite's NOCASE), paging, word-prefix search ranked by
field (name over vendor over categories and tags over parameters) and the same
did-you-mean vocabulary; the record building, copy preference and label rules are the
SQLite backend's own functions, not copies of them.

Reads run in one REPEATABLE READ snapshot (a plugin and its labels agree while others
write). The URL's password is never shown: `self.path` is the redacted URL, and every
driver error passes through `_errors_reported`, which scrubs it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, TypeVar

import attrs

from pluginary.backends import postgres_schema as schema
from pluginary.backends import sqlite_schema
from pluginary.backends.sqlite import (
    _ancestors,
    _decode,
    _encode,
    _name,
    _now,
    _plugin,
    _user_first,
    preferred,
)
from pluginary.core.errors import CatalogError
from pluginary.core.fleet import DatabaseURL, host_name, scrub
from pluginary.core.models import Category, CategorySource, FileResult, Host, Plugin, PluginFile, ScanFailure, converter
from pluginary.core.query import Query, QueryError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Rows fetched per round trip while streaming plugins.
_BATCH = 500

#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 10

#: Times a write is retried when the server picked it as a deadlock's victim.
_RETRIES = 5

#: Search weights for ts_rank, in PostgreSQL's order {D, C, B, A}: parameters, categories and
#: tags, vendor, name (SQLite's bm25 weights 1, 3, 5, 10, scaled).
_RANK_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"

#: The longest lexeme PostgreSQL stores (bytes): longer words are not searchable anyway.
_MAX_LEXEME = 2046
#: The largest position a tsvector holds.
_MAX_POSITION = 16383

_NOCASE = schema.NOCASE.format
_SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (_NOCASE("p.name"),),
    "vendor": (_NOCASE("p.vendor"), _NOCASE("p.name")),
    "format": ('p.format COLLATE "C"', _NOCASE("p.name")),
    "category": (_NOCASE("p.category"), _NOCASE("p.name")),
    "params": ("p.param_count", _NOCASE("p.name")),
    "scanned": ('p.scanned_at COLLATE "C"', _NOCASE("p.name")),
}
#: What `_hydrate` reads: the pk, then what `sqlite._plugin` takes, then the record.
_SELECT = "p.pk, p.id, p.format, p.name, p.vendor, p.path, p.is_instrument, p.is_effect, p.scanned_at, p.data, p.packed"
_COLUMNS = (
    "host, id, format, name, vendor, path, version, is_instrument, is_effect, scanned_at, category, categories,"
    " category_keys, param_count, param_names, param_keys, base_search, search, data, packed"
)
_INSERT = (
    f"INSERT INTO plugins ({_COLUMNS}) VALUES"
    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector,"
    " %s::tsvector || %s::tsvector, %s, %s)"
)
_FAILURE_FIELDS = tuple(field.name for field in attrs.fields(ScanFailure))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The searchable words of `text` as SQLite's unicode61 tokenizer (remove_diacritics 2)
    finds them: runs of letters and digits, case folded, accents and compatibility forms
    ("Ｓｏｎｉｃ") folded away."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from undecodable argv
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in folded if not unicodedata.combining(char)).casefold()
    return [word for word in _WORD.findall(folded) if len(word.encode()) <= _MAX_LEXEME]


def tsvector(fields: Iterable[tuple[str, str]]) -> str:
    """A tsvector literal for (text, weight) fields, each word at its position; a gap between
    fields keeps a phrase from spanning two of them, as in FTS5's columns."""
    positions: dict[str, list[str]] = defaultdict(list)
    position = 1
    for text, weight in fields:
        for word in words(text):
            positions[word].append(f"{min(position, _MAX_POSITION)}{weight}")
            position += 1
        position += 1
    return " ".join(f"'{word}':{','.join(marks)}" for word, marks in positions.items())


def tsquery(text: str) -> str:
    """User text as a tsquery that matches it literally, as `sqlite.fts_query` does for FTS5:
    each whitespace-separated chunk a phrase whose last word is a prefix, all chunks required.
    "" when no chunk has a word (nothing can match)."""
    text = _CONTROL.sub(" ", text)
    phrases = []
    for chunk in text.split():
        found = words(chunk)
        if found:
            phrases.append(" <-> ".join([*(f"'{word}'" for word in found[:-1]), f"'{found[-1]}':*"]))
    return " & ".join(f"({phrase})" for phrase in phrases)


_RAW_WEIGHTS = re.compile(r":[*A-Da-d]+")
_RAW_LEXEMES = re.compile(r"'((?:[^']|'')*)'|([^\s&|!()<>':]+)")


def _check_raw(text: str) -> None:
    """A QueryError for a raw tsquery word the index can never hold (PostgreSQL would accept
    `"unbalanced` as a word and silently match nothing)."""
    for quoted, plain in _RAW_LEXEMES.findall(_RAW_WEIGHTS.sub(" ", text)):
        lexeme = quoted.replace("''", "'") if quoted else plain
        if words(lexeme) != [lexeme]:
            raise QueryError(
                f"{lexeme!r} can never match: the index holds words of lower-case letters and digits",
                where=repr(text),
                fix="write tsquery words in lower case without accents or punctuation, or leave out --raw",
            )


def _fold(text: str) -> str:
    """What the folded arrays hold: Unicode lower case (filters compare folded with folded)."""
    return text.lower()


def _guarded(method: Callable[Concatenate[PostgresBackend, P], R]) -> Callable[Concatenate[PostgresBackend, P], R]:
    """A read in one snapshot; the server's errors as one-line CatalogErrors without the password."""

    @functools.wraps(method)
    def guarded(self: PostgresBackend, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._errors_reported(), self._reading():
            return method(self, *args, **kwargs)

    return guarded


class PostgresBackend:
    """A fleet's catalogue in a PostgreSQL database; see `pluginary.catalog.CatalogBackend`.

    `path` is the database URL (`postgresql://user:password@server:5432/db`, any libpq URL;
    `?options=-csearch_path%3Dname` keeps several catalogues apart in one database). `host`
    is the machine this backend writes as and answers for (default: `host_name()`).
    Opening for writing creates the tables in an empty database (unless `create=False`) and
    upgrades an older schema; a database holding other tables is refused, untouched.
    `exclusive=True` (a scan) holds a lock on this host's part until `close`: a second scan
    of the same machine waits, then is refused; other machines are never held up.
    """

    default_filename: ClassVar[str] = "postgresql://"  # no file: a URL is always given
    file_version: ClassVar[int] = schema.SCHEMA_VERSION

    def __init__(
        self,
        path: DatabaseURL | Path | str,
        *,
        read_only: bool = False,
        create: bool = True,
        exclusive: bool = False,
        host: str | None = None,
    ) -> None:
        if isinstance(path, Path):
            raise CatalogError(
                "a PostgreSQL catalogue is named by a URL, not a file",
                where=str(path),
                fix="pass --catalog postgresql://USER@SERVER/DATABASE (see docs/fleet.md)",
            )
        self.url = DatabaseURL(path)
        self.path = self.url  # the redacted URL is what every message shows
        self.read_only = read_only
        self.create = create and not read_only
        self.host = host or host_name()
        self.migrated: tuple[int, int] | None = None
        self._stream_conn: psycopg.Connection | None = None
        self._conn = self._connect()
        try:
            self._open_schema()
            if exclusive and not read_only:
                self._lock_host()
        except BaseException:
            self._conn.close()
            raise

    # -- opening -------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        import psycopg

        with self._errors_reported():
            conn = psycopg.connect(
                self.url.secret,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name=f"pluginary {self.host}"[:63],
            )
        if self.read_only:
            conn.execute("SET default_transaction_read_only = on")
        return conn

    def _open_schema(self) -> None:
        """Check the database is a catalogue (or create one), deciding under a lock so that
        machines opening a new or older database at once create or upgrade it once."""
        with self._errors_reported():
            version = self._version()
            if version == schema.SCHEMA_VERSION:
                return
            if version is None and not self.create:
                raise CatalogError(
                    "no catalogue here (the database has no tables)",
                    where=self.path,
                    fix="run `pluginary scan --catalog URL` on a machine first (it creates the tables)",
                )
            if self.read_only:
                raise CatalogError(
                    f"written by an older Pluginary (schema v{version}) and opened read-only",
                    where=self.path,
                    fix="run `pluginary db migrate` with a role that may change the tables",
                )
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (schema.CREATE_LOCK,))
                version = self._version()
                if version is None:
                    schema.create(self._conn)
                    return
                if version == schema.SCHEMA_VERSION:
                    return
                schema.migrate(self._conn, version)
            self.migrated = (version, schema.SCHEMA_VERSION)

    def _version(self) -> int | None:
        try:
            version = schema.stored_version(self._conn)
        except ValueError as exc:
            raise CatalogError(str(exc), where=self.path, fix=sqlite_schema.RECOVERY) from exc
        if version is not None and version > schema.SCHEMA_VERSION:
            raise CatalogError(
                f"written by a newer Pluginary (schema v{version}; this one reads up to v{schema.SCHEMA_VERSION})",
                where=self.path,
                fix="upgrade pluginary (pip install -U pluginary) on this machine",
            )
        return version

    def _lock_host(self) -> None:
        """One scan at a time per machine: a session lock on this host's name, released when the
        connection ends (however the process ends)."""
        key = int.from_bytes(hashlib.sha1(self.host.encode()).digest()[:8], "big", signed=True)
        deadline = time.monotonic() + 5.0
        while not self._conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() > deadline:
                raise CatalogError(
                    f"another scan of {self.host} is writing to this catalogue",
                    where=self.path,
                    fix="wait for it to finish, or stop it",
                )
            time.sleep(0.1)

    @contextlib.contextmanager
    def _errors_reported(self) -> Iterator[None]:
        """The driver's errors as one-line CatalogErrors naming the redacted URL; the
        message scrubbed of the password, which libpq may echo back."""
        import psycopg

        try:
            yield
        except psycopg.OperationalError as exc:
            message = scrub(" ".join(str(exc).split()), self.url.secret)
            raise CatalogError(
                f"cannot use the catalogue database ({message})",
                where=self.path,
                fix="check that the server runs, the URL, and the role's password and rights (docs/fleet.md)",
            ) from None  # not chained: the original exception may carry the URL
        except psycopg.errors.InsufficientPrivilege as exc:
            raise CatalogError(
                f"the database refused ({scrub(str(exc).splitlines()[0], self.url.secret)})",
                where=self.path,
                fix="grant the role the rights docs/fleet.md lists",
            ) from None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """One REPEATABLE READ snapshot for every statement inside (none inside a write's own)."""
        if self._conn.info.transaction_status != _idle():
            yield
            return
        with self._conn.transaction():
            self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write, all of it or none of it."""
        if self.read_only:
            raise CatalogError(
                "the catalogue is open read-only", where=self.path, fix="open it without read_only to change it"
            )
        with self._errors_reported(), self._conn.transaction():
            yield

    def _retried(self, write: Callable[[], R]) -> R:
        """`write` in a transaction, run again when the server chose it as a deadlock's victim
        (machines storing the same plugin id's labels at once)."""
        import psycopg

        for attempt in range(_RETRIES):
            try:
                with self._transaction():
                    return write()
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                if attempt == _RETRIES - 1:
                    raise
                log.info("write to %s retried after a deadlock", self.path)
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        try:
            if self._stream_conn is not None:
                self._stream_conn.close()
        finally:
            self._conn.close()

    # -- the pipeline's write side ---------------------------------------------------

    @_guarded
    def stored_files(self) -> dict[str, PluginFile]:
        rows = self._conn.execute(
            "SELECT path, format, size, mtime_ns, fingerprint FROM files WHERE host = %s", (self.host,)
        )
        return {row[0]: PluginFile(*row) for row in rows}

    @_guarded
    def failures(self) -> dict[str, ScanFailure]:
        columns = ", ".join(_FAILURE_FIELDS)
        rows = self._conn.execute(f"SELECT {columns} FROM failures WHERE host = %s", (self.host,))
        return {row[0]: converter.structure(dict(zip(_FAILURE_FIELDS, row, strict=True)), ScanFailure) for row in rows}

    def write(self, results: Sequence[FileResult]) -> list[str]:
        """See `Backend.write` (and `SQLiteBackend.write`: the same rules, on this host's rows)."""
        return self._retried(lambda: self._write(results))

    def _write(self, results: Sequence[FileResult]) -> list[str]:
        duplicated: set[str] = set()
        held = self._forget([result.file.path for result in results])
        files: dict[str, PluginFile] = {}
        failed: dict[str, ScanFailure] = {}
        for result in results:
            path = result.file.path
            if result.failure is None:
                self._carry_labels(held.get(path, {}), result.plugins)
                duplicated |= self._place(result.plugins)
                self._conn.cursor().executemany(
                    "INSERT INTO file_plugins (host, path, plugin_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(self.host, path, plugin.id) for plugin in result.plugins],
                )
                files[path] = result.file
                failed.pop(path, None)
            else:
                files.pop(path, None)
                failed[path] = attrs.evolve(result.failure, path=path)
        paths = [result.file.path for result in results]
        # A file that now scans is no longer quarantined; one that fails again is counted on top.
        self._conn.execute("DELETE FROM failures WHERE host = %s AND path = ANY(%s)", (self.host, list(files)))
        self._conn.execute("DELETE FROM files WHERE host = %s AND path = ANY(%s)", (self.host, paths))
        self._conn.cursor().executemany(
            "INSERT INTO files (host, path, format, size, mtime_ns, fingerprint) VALUES (%s, %s, %s, %s, %s, %s)",
            [(self.host, f.path, f.format, f.size, f.mtime_ns, f.fingerprint) for f in files.values()],
        )
        self._put_failures(failed.values())
        self._touch_host(scanned=bool(files))
        return [self._installed_twice(plugin_id) for plugin_id in sorted(duplicated)]

    def remove(self, paths: Sequence[str]) -> None:
        """See `Backend.remove`; a plugin another stored file of this host holds stays, from that file."""

        def remove() -> None:
            self._forget(list(paths))
            for table in ("files", "failures"):
                self._conn.execute(f"DELETE FROM {table} WHERE host = %s AND path = ANY(%s)", (self.host, list(paths)))

        self._retried(remove)

    def _forget(self, paths: list[str]) -> dict[str, dict[str, str]]:
        """Drop what these files held (path → plugin id → name): plugins, copies, links.

        A plugin whose record came from one of them and that another file of this host also
        holds is stored again from the preferred remaining copy.
        """
        held: dict[str, dict[str, str]] = defaultdict(dict)
        args = (self.host, paths)
        for path, plugin_id, name in self._conn.execute(
            "SELECT path, id, name FROM plugins WHERE host = %s AND path = ANY(%s)", args
        ):
            held[path][plugin_id] = name
        copies_here = self._conn.execute(
            "DELETE FROM plugin_copies WHERE host = %s AND path = ANY(%s) RETURNING path, record", args
        ).fetchall()
        for path, record in copies_here:
            copy = _decode(record)
            held[path][copy.id] = copy.name
        self._conn.execute("DELETE FROM file_plugins WHERE host = %s AND path = ANY(%s)", args)
        self._conn.execute("DELETE FROM plugins WHERE host = %s AND path = ANY(%s)", args)
        ids = sorted({plugin_id for by_id in held.values() for plugin_id in by_id})
        if ids:
            rows = self._conn.execute(
                "SELECT record FROM plugin_copies WHERE host = %s AND plugin_id = ANY(%s)", (self.host, ids)
            ).fetchall()
            remaining: defaultdict[str, list[Plugin]] = defaultdict(list)
            for (record,) in rows:
                copy = _decode(record)
                remaining[copy.id].append(copy)
            promoted = [preferred(copies) for copies in remaining.values()]
            self._conn.cursor().executemany(
                "DELETE FROM plugin_copies WHERE host = %s AND plugin_id = %s AND path = %s",
                [(self.host, best.id, best.path) for best in promoted],
            )
            self._insert_plugins(promoted)
        return held

    def _carry_labels(self, held: dict[str, str], plugins: Sequence[Plugin]) -> None:
        """As `SQLiteBackend._carry_labels`: a new id in a rescanned file takes the user labels of
        the one id of the same name the file held before and holds no more."""
        found = {plugin.id for plugin in plugins}
        gone: defaultdict[str, list[str]] = defaultdict(list)
        for plugin_id, name in held.items():
            if plugin_id not in found:
                gone[name.casefold()].append(plugin_id)
        for plugin in plugins:
            old = gone.get(plugin.name.casefold(), [])
            if plugin.id in held or len(old) != 1:
                continue
            self._conn.execute(
                "INSERT INTO user_tags (plugin_id, tag, changed_at) SELECT %s, tag, changed_at FROM user_tags"
                " WHERE plugin_id = %s ON CONFLICT DO NOTHING",
                (plugin.id, old[0]),
            )
            self._conn.execute(
                "INSERT INTO user_categories (plugin_id, name, confidence, changed_at)"
                " SELECT %s, name, confidence, changed_at FROM user_categories WHERE plugin_id = %s"
                " ON CONFLICT DO NOTHING",
                (plugin.id, old[0]),
            )
            # Moved, unless the old id is still stored elsewhere (on any machine: then both keep them).
            still = self._conn.execute(
                "SELECT 1 FROM plugins WHERE id = %(id)s"
                " UNION ALL SELECT 1 FROM plugin_copies WHERE plugin_id = %(id)s",
                {"id": old[0]},
            ).fetchone()
            if not still:
                for table in ("user_tags", "user_categories"):
                    self._conn.execute(f"DELETE FROM {table} WHERE plugin_id = %s", (old[0],))

    def _place(self, plugins: Sequence[Plugin]) -> set[str]:
        """As `SQLiteBackend._place`: each plugin as its record or, when the preferred copy of the
        id is in another file of this host, as another copy. Returns the ids now held twice."""
        unique = {plugin.id: plugin for plugin in plugins}  # a repeated id: the last one wins
        stored = {
            plugin.id: plugin
            for plugin in self._hydrate(
                self._conn.execute(
                    f"SELECT {_SELECT} FROM plugins p WHERE p.host = %s AND p.id = ANY(%s)",
                    (self.host, list(unique)),
                ).fetchall(),
                labels=False,
            )
        }
        chosen: list[Plugin] = []
        copies: list[Plugin] = []
        duplicated: set[str] = set()
        for plugin in unique.values():
            old = stored.get(plugin.id)
            if old is None or old.path == plugin.path:
                chosen.append(plugin)
                continue
            duplicated.add(plugin.id)
            if preferred([plugin, old]) is plugin:
                chosen.append(plugin)
                copies.append(old)
            else:
                copies.append(plugin)
        self._keep_labels(copies)
        self._conn.cursor().executemany(
            "INSERT INTO plugin_copies (host, plugin_id, path, record) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (host, plugin_id, path) DO UPDATE SET record = excluded.record",
            [(self.host, copy.id, copy.path, _encode(copy)) for copy in copies],
        )
        self._insert_plugins(chosen)
        return duplicated

    def _installed_twice(self, plugin_id: str) -> str:
        name, path = self._conn.execute(
            "SELECT name, path FROM plugins WHERE host = %s AND id = %s", (self.host, plugin_id)
        ).fetchone()  # type: ignore[misc]
        others = [
            row[0]
            for row in self._conn.execute(
                'SELECT path FROM plugin_copies WHERE host = %s AND plugin_id = %s ORDER BY path COLLATE "C"',
                (self.host, plugin_id),
            )
        ]
        times = "twice" if len(others) == 1 else f"{len(others) + 1} times"
        return f"{name} ({plugin_id}) is installed {times}: {', '.join([path, *others])}; using {path}"

    def _put_failures(self, failures: Iterable[ScanFailure]) -> None:
        """Store failures, each counted on top of the one stored for its path (attempts, first seen)."""
        failures = list(failures)
        if not failures:
            return
        previous = {
            path: (attempts, first_seen)
            for path, attempts, first_seen in self._conn.execute(
                "SELECT path, attempts, first_seen FROM failures WHERE host = %s AND path = ANY(%s)",
                (self.host, [failure.path for failure in failures]),
            )
        }
        rows = []
        for failure in failures:
            last_seen = failure.last_seen or _now()
            attempts, first_seen = previous.get(failure.path, (0, ""))
            merged = attrs.evolve(
                failure,
                attempts=attempts + failure.attempts,
                first_seen=first_seen or failure.first_seen or last_seen,
                last_seen=last_seen,
            )
            values = converter.unstructure(merged)
            rows.append((self.host, *(values[field] for field in _FAILURE_FIELDS)))
        columns = ", ".join(_FAILURE_FIELDS)
        marks = ", ".join(["%s"] * (len(_FAILURE_FIELDS) + 1))
        updates = ", ".join(f"{field} = excluded.{field}" for field in _FAILURE_FIELDS if field != "path")
        self._conn.cursor().executemany(
            f"INSERT INTO failures (host, {columns}) VALUES ({marks}) ON CONFLICT (host, path) DO UPDATE SET {updates}",
            rows,
        )

    def _touch_host(self, *, scanned: bool) -> None:
        """This machine in `hosts`, with when it last stored a scan."""
        now = _now()
        self._conn.execute(
            "INSERT INTO hosts (name, os, first_seen, last_scanned) VALUES (%s, '', %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET last_scanned = excluded.last_scanned",
            (self.host, now, now if scanned else ""),
        )

    def record_run(self, run: dict[str, Any]) -> None:
        def record() -> None:
            self._conn.execute(
                "INSERT INTO runs (host, started_at, data) VALUES (%s, %s, %s)",
                (self.host, str(run.get("started_at", "")), json.dumps(run, default=str)),
            )

        self._retried(record)

    def plugins(self) -> Iterator[Plugin]:
        return self._stream(
            f'SELECT {_SELECT} FROM plugins p WHERE p.host = %s ORDER BY p.id COLLATE "C"', (self.host,)
        )

    def _keep_labels(self, plugins: Iterable[Plugin]) -> None:
        """Keep the tags and user categories a written record carries with the user's own.
        In key order, so machines storing the same ids at once take row locks in one order."""
        plugins = list(plugins)
        now = _now()
        tags = sorted({(plugin.id, tag) for plugin in plugins for tag in plugin.tags})
        self._conn.cursor().executemany(
            "INSERT INTO user_tags (plugin_id, tag, changed_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(plugin_id, tag, now) for plugin_id, tag in tags],
        )
        categories = sorted(
            {
                (plugin.id, category.name): category.confidence
                for plugin in plugins
                for category in plugin.categories
                if category.source is CategorySource.USER
            }.items()
        )
        self._conn.cursor().executemany(
            "INSERT INTO user_categories (plugin_id, name, confidence, changed_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (plugin_id, name) DO UPDATE SET confidence = excluded.confidence,"
            " changed_at = excluded.changed_at WHERE user_categories.confidence <> excluded.confidence",
            [(plugin_id, name, confidence, now) for (plugin_id, name), confidence in categories],
        )

    def _insert_plugins(self, plugins: Iterable[Plugin]) -> None:
        """Store plugins as this host's, replacing any stored under the same ids; the caller holds
        the transaction."""
        by_id = {plugin.id: plugin for plugin in plugins}
        if not by_id:
            return
        self._keep_labels(by_id.values())
        tags, user_categories = self._labels(list(by_id))
        self._conn.execute("DELETE FROM plugins WHERE host = %s AND id = ANY(%s)", (self.host, list(by_id)))
        rows = []
        for plugin in by_id.values():
            others = tuple(c for c in plugin.categories if c.source is not CategorySource.USER)
            categories = [c.name for c in _user_first(user_categories[plugin.id], list(others), _name)]
            data = converter.unstructure(attrs.evolve(plugin, parameters=(), tags=(), categories=others))
            for field in (*sqlite_schema.PLUGIN_COLUMNS, "parameters", "tags"):
                del data[field]
            names = [parameter.name for parameter in plugin.parameters]
            base = tsvector(
                [
                    (plugin.name, "A"),
                    (plugin.vendor, "B"),
                    (" ".join([*categories, *plugin.native_categories]), "C"),
                    (" ".join(names), "D"),
                ]
            )
            rows.append(
                (
                    self.host,
                    plugin.id,
                    plugin.format,
                    plugin.name,
                    plugin.vendor,
                    plugin.path,
                    plugin.version,
                    plugin.is_instrument,
                    plugin.is_effect,
                    plugin.scanned_at,
                    categories[0] if categories else "",
                    categories,
                    sorted({_fold(name) for name in [*categories, *_ancestors(categories)]}),
                    len(plugin.parameters),
                    names,
                    sorted({_fold(name) for name in names}),
                    base,
                    base,
                    tsvector([(" ".join(tags[plugin.id]), "C")]),
                    json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                    sqlite_schema.pack_parameters(plugin.parameters),
                )
            )
        self._conn.cursor().executemany(_INSERT, rows)

    def _labels(
        self, ids: Sequence[str], conn: psycopg.Connection | None = None
    ) -> tuple[defaultdict[str, list[str]], defaultdict[str, list[Category]]]:
        """User tags (sorted, ignoring case) and user categories (by name) of these plugin ids."""
        conn = conn or self._conn
        tags: defaultdict[str, list[str]] = defaultdict(list)
        categories: defaultdict[str, list[Category]] = defaultdict(list)
        if not ids:
            return tags, categories
        unique = list(set(ids))
        for plugin_id, tag in conn.execute(
            f"SELECT plugin_id, tag FROM user_tags WHERE plugin_id = ANY(%s) ORDER BY {_NOCASE('tag')}", (unique,)
        ):
            tags[plugin_id].append(tag)
        for plugin_id, name, confidence in conn.execute(
            "SELECT plugin_id, name, confidence FROM user_categories WHERE plugin_id = ANY(%s)"
            ' ORDER BY name COLLATE "C"',
            (unique,),
        ):
            categories[plugin_id].append(Category(name, CategorySource.USER, confidence))
        return tags, categories

    def _hydrate(
        self, rows: Sequence[tuple[Any, ...]], conn: psycopg.Connection | None = None, *, labels: bool = True
    ) -> list[Plugin]:
        """Plugins from `_SELECT` rows, with their user labels (one query each per batch)."""
        tags, user_categories = self._labels([row[1] for row in rows] if labels else [], conn)
        plugins = []
        for _pk, *columns, data, packed in rows:
            plugin_id = columns[0]
            try:
                parameters = sqlite_schema.unpack_parameters(bytes(packed))
            except ValueError as exc:
                raise CatalogError(
                    f"the catalogue is damaged (the parameters of plugin {plugin_id!r} are unreadable)",
                    where=self.path,
                    fix="rescan that machine: `pluginary scan --full`",
                ) from exc
            plugins.append(_plugin(columns, data, parameters, tags[plugin_id], user_categories[plugin_id]))
        return plugins

    def _stream(self, sql: str, args: Sequence[Any]) -> Iterator[Plugin]:
        """The plugins `sql` selects, read in batches from one snapshot on a connection of its
        own, so a slow reader (an export) holds up nothing and sees one moment."""
        import psycopg

        with self._errors_reported():
            if self._stream_conn is None or self._stream_conn.closed:
                self._stream_conn = psycopg.connect(self.url.secret, connect_timeout=CONNECT_TIMEOUT)
            conn = self._stream_conn
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            try:
                with conn.cursor(name="plugins") as cursor:
                    cursor.execute(sql, args)
                    while rows := cursor.fetchmany(_BATCH):
                        yield from self._hydrate(rows, conn)
            finally:
                if not conn.closed:
                    conn.rollback()

    # -- queries -----------------------------------------------------------------------

    def _filtered(self, query: Query) -> tuple[str, list[Any]]:
        """What follows `FROM plugins p` for a query's filters: the WHERE clause and its
        arguments. Each filter means what `sqlite._filtered` makes it mean."""
        clauses: list[str] = []
        args: list[Any] = []
        if not query.all_hosts:
            clauses.append("p.host = %s")
            args.append(query.host or self.host)
        if query.category is not None:
            clauses.append("p.category_keys @> ARRAY[%s]")
            args.append(_fold(query.category))
        if query.tag is not None:
            clauses.append(f"p.id IN (SELECT plugin_id FROM user_tags WHERE {_NOCASE('tag')} = {_NOCASE('%s')})")
            args.append(query.tag)
        for clause, value in (
            ('p.format = %s COLLATE "C"', query.format),
            (f"{_NOCASE('p.vendor')} = {_NOCASE('%s')}", query.vendor),
            ("p.is_instrument = %s", query.instrument),
            ("p.is_effect = %s", query.effect),
        ):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        if query.params is not None:
            if query.params.low is not None:
                clauses.append("p.param_count >= %s")
                args.append(query.params.low)
            if query.params.high is not None:
                clauses.append("p.param_count <= %s")
                args.append(query.params.high)
        if query.has_param is not None:
            clauses.append("p.param_keys @> ARRAY[%s]")
            args.append(_fold(query.has_param))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def query(self, query: Query) -> Iterator[Plugin]:
        filtered, args = self._filtered(query)
        direction = " DESC" if query.reverse else ""
        keys = (*_SORT_COLUMNS[query.sort], 'p.id COLLATE "C"', 'p.host COLLATE "C"')
        order = ", ".join(f"{column}{direction}" for column in keys)
        sql = f"SELECT {_SELECT} FROM plugins p{filtered} ORDER BY {order} LIMIT %s OFFSET %s"
        return self._stream(sql, [*args, query.limit, query.offset])

    @_guarded
    def count(self, query: Query) -> int:
        filtered, args = self._filtered(query)
        return int(self._conn.execute(f"SELECT count(*) FROM plugins p{filtered}", args).fetchone()[0])  # type: ignore[index]

    @_guarded
    def search(self, text: str, *, limit: int, raw: bool) -> list[Plugin]:
        """See `CatalogBackend.search`; `raw` text is PostgreSQL's tsquery syntax (`'pro':* & !eq`)."""
        import psycopg

        if raw:
            _check_raw(text)
        expression = text if raw else tsquery(text)
        if not expression.strip():
            return []
        sql = (
            f"SELECT {_SELECT} FROM plugins p, CAST(%s AS tsquery) q WHERE p.host = %s AND p.search @@ q"
            f" ORDER BY ts_rank('{_RANK_WEIGHTS}', p.search, q, 0) DESC, p.pk LIMIT %s"
        )
        try:
            with self._conn.transaction():  # a savepoint: a syntax error leaves the snapshot usable
                rows = self._conn.execute(sql, (expression, self.host, limit)).fetchall()
        except psycopg.errors.SyntaxError as exc:
            if not raw:
                raise
            raise QueryError(
                f"not a valid PostgreSQL tsquery: {str(exc).splitlines()[0]}",
                where=repr(text),
                fix="leave out --raw to search for the text as typed",
            ) from None
        return self._hydrate(rows)

    @_guarded
    def get(self, plugin_id: str) -> Plugin | None:
        rows = self._conn.execute(
            f"SELECT {_SELECT} FROM plugins p WHERE p.host = %s AND p.id = %s", (self.host, plugin_id)
        ).fetchall()
        found = self._hydrate(rows)
        return found[0] if found else None

    @_guarded
    def named(self, name: str) -> list[Plugin]:
        rows = self._conn.execute(
            f"SELECT {_SELECT} FROM plugins p WHERE p.host = %s AND {_NOCASE('p.name')} = {_NOCASE('%s')}"
            ' ORDER BY p.id COLLATE "C"',
            (self.host, name),
        ).fetchall()
        return self._hydrate(rows)

    @_guarded
    def vocabulary(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM plugins WHERE host = %(h)s UNION SELECT vendor FROM plugins WHERE host = %(h)s"
            " UNION SELECT unnest(categories) FROM plugins WHERE host = %(h)s"
            " UNION SELECT tag FROM user_tags UNION SELECT unnest(param_names) FROM plugins WHERE host = %(h)s",
            {"h": self.host},
        )
        return [word for (word,) in rows if word]

    @_guarded
    def stats(self) -> dict[str, Any]:
        host = {"h": self.host}

        def one(sql: str) -> Any:
            return self._conn.execute(sql, host).fetchone()[0]  # type: ignore[index]

        def counts(sql: str) -> dict[str, int]:
            rows = self._conn.execute(sql, host).fetchall()
            return {key: int(value) for key, value in sorted(rows, key=lambda row: (-row[1], row[0]))}

        param_counts = [
            n for (n,) in self._conn.execute("SELECT param_count FROM plugins WHERE host = %(h)s ORDER BY 1", host)
        ]
        buckets = {"0": (0, 0), "1–10": (1, 10), "11–50": (11, 50), "51–100": (51, 100), "101–500": (101, 500)}
        histogram = {label: sum(low <= n <= high for n in param_counts) for label, (low, high) in buckets.items()}
        histogram["501+"] = sum(n > 500 for n in param_counts)
        runs = self._conn.execute(
            "SELECT data FROM runs WHERE host = %(h)s ORDER BY started_at DESC, id DESC LIMIT 5", host
        )
        return {
            "path": str(self.path),
            "host": self.host,
            "schema_version": self.file_version,
            "size_bytes": int(self._conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]),  # type: ignore[index]
            "plugins": len(param_counts),
            "files": one("SELECT count(*) FROM files WHERE host = %(h)s"),
            "failures": one("SELECT count(*) FROM failures WHERE host = %(h)s"),
            "instruments": one("SELECT count(*) FROM plugins WHERE host = %(h)s AND is_instrument"),
            "effects": one("SELECT count(*) FROM plugins WHERE host = %(h)s AND is_effect"),
            "formats": counts("SELECT format, count(*) FROM plugins WHERE host = %(h)s GROUP BY format"),
            "vendors": counts(
                'SELECT min(vendor), count(*) FROM plugins WHERE host = %(h)s GROUP BY lower(vendor COLLATE "C")'
            ),
            "categories": counts("SELECT c, count(*) FROM plugins, unnest(categories) c WHERE host = %(h)s GROUP BY c"),
            "parameters": {
                "total": sum(param_counts),
                "min": param_counts[0] if param_counts else 0,
                "median": param_counts[len(param_counts) // 2] if param_counts else 0,
                "max": param_counts[-1] if param_counts else 0,
                "histogram": histogram,
            },
            "runs": [json.loads(data) for (data,) in runs],
        }

    def tag(self, plugin_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        def tag() -> tuple[str, ...]:
            now = _now()
            self._conn.cursor().executemany(
                "INSERT INTO user_tags (plugin_id, tag, changed_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(plugin_id, t, now) for t in tags],
            )
            return self._refresh_tags(plugin_id)

        return self._retried(tag)

    def untag(self, plugin_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        def untag() -> tuple[str, ...]:
            self._conn.execute(
                f"DELETE FROM user_tags WHERE plugin_id = %s AND {_NOCASE('tag')} = ANY(SELECT {_NOCASE('t')}"
                " FROM unnest(%s::text[]) t)",
                (plugin_id, list(tags)),
            )
            return self._refresh_tags(plugin_id)

        return self._retried(untag)

    def _refresh_tags(self, plugin_id: str) -> tuple[str, ...]:
        """The id's tags, and every machine's row of it searchable by them."""
        tags = self._labels([plugin_id])[0][plugin_id]
        self._conn.execute(
            "UPDATE plugins SET search = base_search || %s::tsvector WHERE id = %s",
            (tsvector([(" ".join(tags), "C")]), plugin_id),
        )
        return tuple(tags)

    # -- the fleet -------------------------------------------------------------------------

    @_guarded
    def hosts(self) -> list[dict[str, Any]]:
        """Every machine in the catalogue: name, when it last stored a scan, its counts."""
        rows = self._conn.execute(
            "SELECT h.name, h.last_scanned,"
            " (SELECT count(*) FROM plugins p WHERE p.host = h.name),"
            " (SELECT count(*) FROM files f WHERE f.host = h.name),"
            " (SELECT count(*) FROM failures f WHERE f.host = h.name)"
            ' FROM hosts h ORDER BY h.name COLLATE "C"'
        )
        return [
            {"host": name, "last_scanned": last, "plugins": plugins, "files": files, "failures": failures}
            for name, last, plugins, files, failures in rows
        ]

    @_guarded
    def inventory(
        self, hosts: Sequence[str] | None = None, plugin_ids: Sequence[str] | None = None, name: str | None = None
    ) -> list[Plugin]:
        """Light records (no parameters or labels) of these hosts' plugins (every host's when
        None), restricted to these ids or this name (any case) when given: what fleet questions compare."""
        clauses: list[str] = []
        args: list[Any] = []
        if name is not None:
            clauses.append(f"{_NOCASE('name')} = {_NOCASE('%s')}")
            args.append(name)
        if hosts is not None:
            clauses.append("host = ANY(%s)")
            args.append(list(hosts))
        if plugin_ids is not None:
            clauses.append("id = ANY(%s)")
            args.append(list(plugin_ids))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._conn.execute(
            f"SELECT host, id, format, name, vendor, version, path FROM plugins{where}"
            ' ORDER BY host COLLATE "C", id COLLATE "C"',
            args,
        )
        return [
            Plugin(id=plugin_id, format=fmt, name=name, vendor=vendor, version=version, path=path,
                   host=Host(name=host))
            for host, plugin_id, fmt, name, vendor, version, path in rows
        ]  # fmt: skip

    def settle_category(self, plugin_id: str, name: str, confidence: float) -> None:
        """Set a user category's confidence (what `fleet.merge` decided in a conflict)."""

        def settle() -> None:
            self._conn.execute(
                "UPDATE user_categories SET confidence = %s, changed_at = %s WHERE plugin_id = %s AND name = %s",
                (confidence, _now(), plugin_id, name),
            )

        self._retried(settle)

    # -- maintenance ---------------------------------------------------------------------

    def check(self) -> list[str]:
        """Rows that disagree with each other (this host's and the fleet's labels)."""
        checks = {
            "plugins from no stored file": (
                "SELECT count(*) FROM plugins p WHERE NOT EXISTS"
                " (SELECT 1 FROM files f WHERE f.host = p.host AND f.path = p.path)"
            ),
            "other copies from no stored file": (
                "SELECT count(*) FROM plugin_copies c WHERE NOT EXISTS"
                " (SELECT 1 FROM files f WHERE f.host = c.host AND f.path = c.path)"
            ),
            "plugins of stored files that are missing (`pluginary scan --full` finds them again)": (
                "SELECT count(*) FROM file_plugins l WHERE NOT EXISTS (SELECT 1 FROM plugins p WHERE"
                " p.host = l.host AND p.id = l.plugin_id AND p.path = l.path) AND NOT EXISTS (SELECT 1 FROM"
                " plugin_copies c WHERE c.host = l.host AND c.plugin_id = l.plugin_id AND c.path = l.path)"
            ),
            "files both stored and quarantined": (
                "SELECT count(*) FROM files f JOIN failures x ON x.host = f.host AND x.path = f.path"
            ),
            "plugins whose search words are out of date": (
                "SELECT count(*) FROM plugins WHERE NOT tsvector_to_array(base_search) <@ tsvector_to_array(search)"
            ),
        }
        problems = []
        with self._errors_reported(), self._reading():
            for what, sql in checks.items():
                (count,) = self._conn.execute(sql).fetchone()  # type: ignore[misc]
                if count:
                    problems.append(f"{count} {what}")
        return problems

    def vacuum(self) -> None:
        """Reclaim dead rows and refresh the planner's statistics (the server rebuilds indexes itself)."""
        with self._errors_reported():
            for table in ("plugins", "plugin_copies", "file_plugins", "files", "failures", "user_tags"):
                self._conn.execute(f"VACUUM (ANALYZE) {table}")

    def backup(self, dest: Path) -> None:
        """This machine's part of the catalogue, from one snapshot, as a SQLite (or, for a `.json`
        name, JSON) catalogue at `dest`: what `pluginary merge` pushes back. The whole fleet's
        backup is the server's job (`pg_dump`)."""
        from pluginary.backends.jsonfile import JSONBackend
        from pluginary.backends.sqlite import SQLiteBackend, reserve_backup

        dest = Path(dest)
        partial = reserve_backup(dest)
        kind = JSONBackend if dest.suffix.lower() == ".json" else SQLiteBackend
        try:
            copy = kind(partial)
            try:
                with self._errors_reported(), self._reading():
                    copy.write(self._file_results())
                    for (data,) in self._conn.execute(
                        "SELECT data FROM runs WHERE host = %s ORDER BY id", (self.host,)
                    ):
                        copy.record_run(json.loads(data))
            finally:
                copy.close()
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)

    def _file_results(self) -> list[FileResult]:
        """This host's catalogue as scan results: every stored file with every copy it holds,
        every quarantined file with its failure (what `write` would store again), labels included."""
        by_path: defaultdict[str, list[Plugin]] = defaultdict(list)
        for plugin in self._hydrate(
            self._conn.execute(f"SELECT {_SELECT} FROM plugins p WHERE p.host = %s", (self.host,)).fetchall()
        ):
            by_path[plugin.path].append(plugin)
        for (record,) in self._conn.execute("SELECT record FROM plugin_copies WHERE host = %s", (self.host,)):
            copy = _decode(record)
            by_path[copy.path].append(copy)
        results = [
            FileResult(file, plugins=tuple(sorted(by_path.get(path, ()), key=lambda p: p.id)))
            for path, file in sorted(self.stored_files().items())
        ]
        results += [
            FileResult(PluginFile(path, f.format, 0, 0, f.fingerprint), failure=f)
            for path, f in sorted(self.failures().items())
        ]
        return results


def _idle() -> Any:
    import psycopg.pq

    return psycopg.pq.TransactionStatus.IDLE
