"""The default catalogue: one SQLite file (WAL, FTS5), written through sqlite-utils.

Reads go through plain `sqlite3` cursors: importing sqlite-utils costs more
than the rest of `pluginary search` together, so it is imported only when
something is written. Every filter, sort key and the search ranking are
defined here once; the JSON backend reuses them on an in-memory database.

Other processes share the file: a scan writes while `list` or `export` read. So
every read runs in one read transaction (one WAL snapshot, in which a plugin and its
record agree), every write takes the write lock first (`BEGIN IMMEDIATE`, waiting up
to `locks.BUSY_TIMEOUT`), creating or upgrading the file is decided under that lock,
and a lock held too long is a one-line CatalogError naming its holder.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import operator
import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, TypeVar

import attrs
import msgspec

from pluginary.backends import locks
from pluginary.backends import sqlite_schema as schema
from pluginary.core import models
from pluginary.core.errors import CatalogError
from pluginary.core.models import (
    IO,
    Category,
    CategorySource,
    FileResult,
    Host,
    Parameter,
    Plugin,
    PluginFile,
    Preset,
    PresetSource,
    ScanFailure,
)
from pluginary.core.paths import writable
from pluginary.core.products import product_of
from pluginary.core.query import PresetQuery, Query, QueryError

if TYPE_CHECKING:
    import sqlite_utils

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

#: Plugins hydrated per round trip while streaming: bounds memory, amortises queries.
_BATCH = 200

#: Page cache of a connection that stores scan results (negative: KiB).
_WRITE_CACHE_KB = -64 * 1024

#: Search weights, in FTS column order: a hit in the name counts most.
_RANK = "bm25(plugins_fts, 10.0, 5.0, 3.0, 3.0, 1.0)"

_SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("p.name COLLATE NOCASE",),
    "vendor": ("p.vendor COLLATE NOCASE", "p.name COLLATE NOCASE"),
    "format": ("p.format", "p.name COLLATE NOCASE"),
    "category": ("p.category COLLATE NOCASE", "p.name COLLATE NOCASE"),
    "params": ("p.param_count", "p.name COLLATE NOCASE"),
    "scanned": ("p.scanned_at", "p.name COLLATE NOCASE"),
}

#: Preset sort keys (`PRESET_SORT_KEYS`); ties are broken by name, plugin id, id, then file.
_PRESET_SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("s.name COLLATE NOCASE",),
    "plugin": ("s.plugin_id", "s.name COLLATE NOCASE"),
    "bank": ("s.bank COLLATE NOCASE", "s.name COLLATE NOCASE"),
    "format": ("s.format", "s.name COLLATE NOCASE"),
    "source": ("s.source", "s.name COLLATE NOCASE"),
}

_SOURCES = {source.value: source for source in CategorySource}
_plugin_columns = operator.attrgetter(*schema.PLUGIN_COLUMNS)
_PLUGIN_INSERT = (
    f"INSERT INTO plugins ({', '.join(schema.PLUGIN_COLUMNS)}, category, param_count, product)"
    f" VALUES ({', '.join('?' * (len(schema.PLUGIN_COLUMNS) + 3))})"
)
_RECORD_INSERT = (
    "INSERT INTO plugin_records (pk, name, vendor, categories_text, tags_text, params_text, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
#: What `_hydrate` is given: the pk, then the PLUGIN_COLUMNS, then the product key.
_PLUGIN_SELECT = "p.pk, " + ", ".join(f"p.{column}" for column in schema.PLUGIN_COLUMNS) + ", p.product"

#: The `presets` columns that hold a Preset field of the same name (left out of `data`, with the
#: fingerprint, which is the file's).
_PRESET_COLUMNS = ("id", "name", "plugin_id", "format", "source", "bank", "author")
_preset_columns = operator.attrgetter(*_PRESET_COLUMNS)
#: What `_preset` is given, and where from: a preset's row and its file's fingerprint.
_PRESET_SELECT = ", ".join(f"s.{column}" for column in _PRESET_COLUMNS) + ", s.data, coalesce(f.fingerprint, '')"
_PRESET_FROM = "presets s LEFT JOIN files f ON f.path = s.file"
_PRESET_INSERT = (
    f"INSERT INTO presets (file, {', '.join(_PRESET_COLUMNS)}, tags_text, folded, data)"
    f" VALUES ({', '.join('?' * (len(_PRESET_COLUMNS) + 4))})"
)
#: A preset whose plugin is not in the catalogue.
_ORPHANED = "NOT EXISTS (SELECT 1 FROM plugins p WHERE p.id = s.plugin_id)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plugin(
    columns: Sequence[Any],
    data: str,
    parameters: list[Parameter] | int,
    tags: list[str],
    user_categories: list[Category],
) -> Plugin:
    """A plugin from its `_PLUGIN_SELECT` row (after the pk), its `data` and what the other tables hold;
    with `parameters` a count, without parameters or outputs, saying how many it has (a listing that
    shows neither).

    Built directly rather than structured by cattrs (which took twice as long):
    `data` is `models.converter.unstructure` output written by `_insert_plugins`, so
    only its nested records need building; its other fields pass through.
    """
    plugin_id, fmt, name, vendor, path, is_instrument, is_effect, scanned_at = columns
    record = json.loads(data)
    outputs = record.pop("outputs", ())
    stored = [
        Category(name=category["name"], source=_SOURCES[category["source"]], confidence=category["confidence"])
        for category in record.pop("categories")
    ]
    return Plugin(
        id=plugin_id,
        format=fmt,
        name=name,
        vendor=vendor,
        path=path,
        is_instrument=is_instrument == 1,
        is_effect=is_effect == 1,
        scanned_at=scanned_at,
        native_categories=tuple(record.pop("native_categories")),
        categories=tuple(_user_first(user_categories, stored, _name)),
        io=IO(**record.pop("io")),
        host=Host(**record.pop("host")),
        parameters=() if isinstance(parameters, int) else tuple(parameters),
        outputs=() if isinstance(parameters, int) else tuple(msgspec.convert(outputs, list[Parameter])),
        unread_parameters=parameters if isinstance(parameters, int) else 0,
        tags=tuple(tags),
        **record,
    )


def _preset(row: Sequence[Any]) -> Preset:
    """A preset from its `_PRESET_SELECT` row, built directly as `_plugin` builds a plugin."""
    preset_id, name, plugin_id, fmt, source, bank, author, data, fingerprint = row
    record = json.loads(data)
    return Preset(
        id=preset_id,
        name=name,
        plugin_id=plugin_id,
        format=fmt,
        source=PresetSource(source),
        bank=bank,
        author=author,
        tags=tuple(record.pop("tags")),
        values=tuple((key, value) for key, value in record.pop("values")),
        host=Host(**record.pop("host")),
        fingerprint=fingerprint,
        **record,
    )


def _presets(rows: Sequence[Sequence[Any]], _conn: sqlite3.Connection) -> list[Preset]:
    return [_preset(row) for row in rows]


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a writer's connection to WAL. Switching needs the file to itself, and SQLite answers "locked"
    at once there, without waiting as its busy timeout does elsewhere: two first scans of a new file would
    race. So it is asked again until the busy timeout has passed, as any other write waits."""
    deadline = time.monotonic() + locks.BUSY_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def fts_query(text: str) -> str:
    """User text as an FTS5 expression that matches it literally: each word a quoted
    prefix phrase, all of them required. Words with no letter or digit are dropped
    (the tokenizer would drop them anyway), so "" means nothing can match."""
    # Lone surrogates (undecodable bytes in argv) cannot be bound; control characters end FTS strings.
    text = _CONTROL.sub(" ", text.encode("utf-8", "replace").decode("utf-8"))
    words = [word for word in text.split() if any(char.isalnum() for char in word)]
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _chunks(items: Sequence[T]) -> Iterator[tuple[Sequence[T], str]]:
    """`items` in chunks of `_BATCH`, each with as many `?` placeholders (comma-separated) as it holds."""
    for start in range(0, len(items), _BATCH):
        chunk = items[start : start + _BATCH]
        yield chunk, ", ".join("?" * len(chunk))


def _order_by(columns: Sequence[str], reverse: bool) -> str:
    direction = " DESC" if reverse else ""
    return ", ".join(f"{column}{direction}" for column in columns)


def _guarded(method: Callable[Concatenate[SQLiteBackend, P], R]) -> Callable[Concatenate[SQLiteBackend, P], R]:
    """A read in one read transaction; a damaged or locked file reported as a CatalogError naming it."""

    @functools.wraps(method)
    def guarded(self: SQLiteBackend, *args: P.args, **kwargs: P.kwargs) -> R:
        with _errors_reported(self.path), self._reading():
            return method(self, *args, **kwargs)

    return guarded


@contextlib.contextmanager
def _errors_reported(path: Path) -> Iterator[None]:
    """sqlite3's damage and lock errors as one-line CatalogErrors; anything else is a bug."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorname", "")
        # A table or column its schema version promises and it lacks: edited by hand, or half copied.
        missing = str(exc).startswith(("no such table", "no such column"))
        if code.startswith("SQLITE_CORRUPT") or code == "SQLITE_NOTADB" or missing:
            raise CatalogError(f"the catalogue is damaged ({exc})", where=str(path), fix=schema.RECOVERY) from exc
        if locks.is_busy(exc):
            raise locks.locked_error(path) from exc
        raise


def preferred(copies: Sequence[Plugin]) -> Plugin:
    """Which installed copy of one plugin its record shows: the newest version, then one
    in the user's home folder (a user's own install usually overrides the system's),
    then the first path in order. The same answer whatever order the copies came in."""
    home = Path.home()
    by_path = sorted(copies, key=lambda copy: copy.path)
    # Stable, so equal keys keep path order even reversed.
    return sorted(by_path, key=lambda copy: (_version_key(copy.version), Path(copy.path).is_relative_to(home)),
                  reverse=True)[0]  # fmt: skip


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """ "1.10.2" after "1.9": numbers compare as numbers, words as text, below any number."""
    return tuple((1, int(part)) if part.isdigit() else (0, part) for part in re.findall(r"\d+|[^\W\d_]+", version))


def _encode(plugin: Plugin) -> str:
    """A plugin whole, as `plugin_copies` keeps another installed copy."""
    return json.dumps(models.converter.unstructure(plugin), ensure_ascii=False, separators=(",", ":"))


def _decode(record: str) -> Plugin:
    return models.converter.structure(json.loads(record), Plugin)


def _name(category: Category) -> str:
    return category.name


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class SQLiteBackend:
    """A catalogue in one SQLite file; see `pluginary.catalog.CatalogBackend`.

    Opened for writing (the default), the file and its folders are created when
    missing (unless `create=False`: then a missing or empty file is refused,
    untouched) and an older schema is upgraded; a corrupt or foreign file is
    refused with a CatalogError and left as it is. `read_only=True` never writes.
    `exclusive=True` holds a `locks.WriterLock` until `close`, for a scan: a second
    exclusive opener waits up to `locks.BUSY_TIMEOUT`, then is refused naming the first.
    """

    default_filename: ClassVar[str] = "catalog.sqlite"
    #: The version of the file's layout, as `stats` reports it.
    file_version: ClassVar[int] = schema.SCHEMA_VERSION

    def __init__(
        self, path: Path | str, *, read_only: bool = False, create: bool = True, exclusive: bool = False
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.create = create and not read_only
        self.migrated: tuple[int, int] | None = None
        self._sqlite_utils: sqlite_utils.Database | None = None
        self._lock = locks.WriterLock(self.path) if exclusive and not read_only else None
        try:
            self._conn = self._connect()
        except BaseException:
            self._release()
            raise

    # -- opening -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        found = schema.probe(self.path)
        if found.version is None and not self.create:
            raise CatalogError(
                "no catalogue here" if not found.exists else "an empty file, not a catalogue yet",
                where=str(self.path),
                fix="run `pluginary scan` first, or pass --catalog PATH",
            )
        if self.read_only:
            if found.version is not None and found.version < schema.SCHEMA_VERSION:
                raise CatalogError(
                    f"written by an older Pluginary (schema v{found.version}) and opened read-only",
                    where=str(self.path),
                    fix="run `pluginary db migrate` where the file can be written",
                )
            return _connect_read_only(self.path)
        self._require_writable()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=locks.BUSY_TIMEOUT)
        try:
            with _errors_reported(self.path):
                self._conn.execute("PRAGMA foreign_keys = ON")
                # WAL lets searches read while a scan writes; NORMAL is durable at each checkpoint.
                _use_wal(self._conn)
                self._conn.execute("PRAGMA synchronous = NORMAL")
                if found.version != schema.SCHEMA_VERSION:
                    self._create_or_upgrade()
        except BaseException:
            self._conn.close()
            raise
        return self._conn

    def _create_or_upgrade(self) -> None:
        """Create the tables or upgrade them, deciding under the write lock: another process
        opening the same new or old file at once finds it done and does nothing."""
        with self._atomic():  # all steps or none: a failed upgrade leaves the old file as it was
            version = schema.stored_version(self._conn, self.path)
            if version is None:
                schema.create(self._conn)
                return
            if version == schema.SCHEMA_VERSION:
                return
            try:
                schema.migrate(self._conn, version)
            except Exception as exc:
                raise CatalogError(
                    f"cannot upgrade the catalogue from schema v{version} ({exc}); it is left as it was",
                    where=str(self.path),
                    fix=schema.RECOVERY,
                ) from exc
        self.migrated = (version, schema.SCHEMA_VERSION)
        # An upgrade may drop a whole table (1 → 2: every parameter row), whose pages
        # would stay in the file as free space. If the disk is too full to rewrite it,
        # the upgrade stands and `db vacuum` can reclaim the space later.
        with contextlib.suppress(sqlite3.OperationalError):
            self._conn.execute("VACUUM")

    def _require_writable(self) -> None:
        if not writable(self.path):
            raise CatalogError(
                "the catalogue cannot be written (read-only disk or no permission)",
                where=str(self.path),
                fix="open it read-only to search it, or copy it somewhere writable with --catalog PATH",
            )

    @property
    def _db(self) -> sqlite_utils.Database:
        if self._sqlite_utils is None:
            import sqlite_utils

            self._sqlite_utils = sqlite_utils.Database(self._conn, recursive_triggers=False, execute_plugins=False)
        return self._sqlite_utils

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        """All of it or none of it. The write lock is taken first (BEGIN IMMEDIATE): a
        transaction that reads first and then finds another writer fails at once,
        without waiting for it (SQLite does not wait while a read is open)."""
        if self._conn.in_transaction:
            with self._db.atomic():  # a savepoint inside the caller's transaction
                yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:  # an error may already have ended it
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """One read transaction (one WAL snapshot) for every statement inside, so what
        they read agrees even while another process writes; nothing inside a write's own."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own in one read transaction, for a stream of plugins.

        A stream may be read slowly (an export) or left unfinished: on its own
        connection its snapshot neither holds up this backend's writes nor hides
        them from later reads. Inside a write, the write's connection (its view).
        """
        if self._conn.in_transaction:
            yield self._conn
            return
        conn = _connect_read_only(self.path)
        try:
            conn.execute("BEGIN")
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write: all of it or none of it, then `_committed`."""
        if self.read_only:
            raise CatalogError(
                "the catalogue is open read-only", where=str(self.path), fix="open it without read_only to change it"
            )
        with _errors_reported(self.path), self._atomic():
            yield
        self._committed()

    def _committed(self) -> None:
        """Called after each write transaction; a file-per-write backend saves here."""

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- the pipeline's write side ---------------------------------------------------

    @_guarded
    def stored_files(self) -> dict[str, PluginFile]:
        rows = self._conn.execute("SELECT path, format, size, mtime_ns, fingerprint FROM files")
        return {row[0]: PluginFile(*row) for row in rows}

    @_guarded
    def failures(self) -> dict[str, ScanFailure]:
        cursor = self._conn.execute("SELECT * FROM failures")
        columns = [column[0] for column in cursor.description]
        return {row[0]: models.converter.structure(dict(zip(columns, row, strict=True)), ScanFailure) for row in cursor}

    def write(self, results: Sequence[FileResult]) -> list[str]:
        """See `Backend.write`. Returns warnings for the run summary: each plugin found
        installed more than once, with the copy whose record is kept (`preferred`).

        A rescanned file whose plugins now have other ids (VST3 path-based ids became
        class ids) passes the user's tags and categories on from each old id to the new
        one of the same name in that file.
        """
        # The default 2 MB page cache makes index updates re-read pages: a scan's
        # batches store about twice as fast with this (readers keep the default).
        self._conn.execute(f"PRAGMA cache_size = {_WRITE_CACHE_KB}")
        duplicated: set[str] = set()
        with self._transaction():
            files: dict[str, dict[str, Any]] = {}  # upserted together: one statement per batch
            for result in results:
                path = result.file.path
                held = self._forget(path)
                if result.failure is None:
                    self._carry_labels(held, result.plugins)
                    duplicated |= self._place(result.plugins)
                    self._conn.executemany(
                        "INSERT OR IGNORE INTO file_plugins (path, plugin_id) VALUES (?, ?)",
                        [(path, plugin.id) for plugin in result.plugins],
                    )
                    self._insert_presets(path, result.presets)
                    files[path] = models.converter.unstructure(result.file)
                    self._conn.execute("DELETE FROM failures WHERE path = ?", (path,))
                else:
                    files.pop(path, None)
                    self._conn.execute("DELETE FROM files WHERE path = ?", (path,))
                    self._put_failure(self._merge_failure(attrs.evolve(result.failure, path=path)))
            self._db.table("files").upsert_all(files.values(), pk="path")
            return [self._installed_twice(plugin_id) for plugin_id in sorted(duplicated)]

    def remove(self, paths: Sequence[str]) -> None:
        """See `Backend.remove`; a plugin another stored file also holds stays, from that file."""
        with self._transaction():
            for path in paths:
                self._forget(path)
            for table in ("files", "failures"):
                self._conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(path,) for path in paths])

    def _forget(self, path: str) -> dict[str, str]:
        """Drop what `path` held (plugin id → name): its plugins, their copies there, its links, its presets.

        A plugin whose record came from `path` and that another file also holds is
        stored again from the preferred remaining copy. The caller holds the transaction.
        """
        held = dict(self._conn.execute("SELECT id, name FROM plugins WHERE path = ?", (path,)))
        for (record,) in self._conn.execute("SELECT record FROM plugin_copies WHERE path = ?", (path,)).fetchall():
            copy = _decode(record)
            held[copy.id] = copy.name
        self._conn.execute("DELETE FROM plugin_copies WHERE path = ?", (path,))
        self._conn.execute("DELETE FROM file_plugins WHERE path = ?", (path,))
        self._conn.execute("DELETE FROM plugins WHERE path = ?", (path,))
        self._conn.execute("DELETE FROM presets WHERE file = ?", (path,))
        if self._conn.execute("SELECT 1 FROM plugin_copies LIMIT 1").fetchone():  # else nothing to promote
            promoted = []
            for plugin_id in held:
                records = self._conn.execute("SELECT record FROM plugin_copies WHERE plugin_id = ?", (plugin_id,))
                copies = [_decode(record) for (record,) in records]
                if copies:
                    best = preferred(copies)
                    self._conn.execute(
                        "DELETE FROM plugin_copies WHERE plugin_id = ? AND path = ?", (best.id, best.path)
                    )
                    promoted.append(best)
            self._insert_plugins(promoted)
        return held

    def _carry_labels(self, held: dict[str, str], plugins: Sequence[Plugin]) -> None:
        """Give each new id in a rescanned file the user labels of the id it replaces: the
        one, among the ids the file held before and holds no more, with the same name."""
        found = {plugin.id for plugin in plugins}
        gone: defaultdict[str, list[str]] = defaultdict(list)
        for plugin_id, name in held.items():
            if plugin_id not in found:
                gone[name.casefold()].append(plugin_id)
        for plugin in plugins:
            old = gone.get(plugin.name.casefold(), [])
            if plugin.id in held or len(old) != 1:
                continue  # not new, or no single plugin of that name to take over from
            for table, columns in (
                ("user_tags", "tag"),
                ("user_categories", "name, confidence"),
                ("product_links", "product"),
            ):
                self._conn.execute(
                    f"INSERT OR IGNORE INTO {table} (plugin_id, {columns})"
                    f" SELECT ?, {columns} FROM {table} WHERE plugin_id = ?",
                    (plugin.id, old[0]),
                )
                # Moved, unless the old id is still stored elsewhere (then both keep them).
                if not self._conn.execute(
                    "SELECT 1 FROM plugins WHERE id = ?1 UNION ALL SELECT 1 FROM plugin_copies WHERE plugin_id = ?1",
                    (old[0],),
                ).fetchone():
                    self._conn.execute(f"DELETE FROM {table} WHERE plugin_id = ?", (old[0],))

    def _place(self, plugins: Sequence[Plugin]) -> set[str]:
        """Store plugins, each as its record or, when the preferred copy of the same id lives in
        another file, as another copy. Returns the ids now held by more than one file."""
        chosen: list[Plugin] = []
        copies: list[Plugin] = []
        duplicated: set[str] = set()
        for plugin in {plugin.id: plugin for plugin in plugins}.values():  # a repeated id: the last one wins
            row = self._conn.execute(f"SELECT {_PLUGIN_SELECT} FROM plugins p WHERE p.id = ?", (plugin.id,)).fetchone()
            if row is None or row[5] == plugin.path:  # row[5]: its path
                chosen.append(plugin)
                continue
            duplicated.add(plugin.id)
            (stored,) = self._hydrate([row], self._conn, labels=False)
            if preferred([plugin, stored]) is plugin:
                chosen.append(plugin)
                copies.append(stored)
            else:
                copies.append(plugin)
        self._keep_labels(copies)
        self._conn.executemany(
            "INSERT OR REPLACE INTO plugin_copies (plugin_id, path, record) VALUES (?, ?, ?)",
            [(copy.id, copy.path, _encode(copy)) for copy in copies],
        )
        self._insert_plugins(chosen)
        return duplicated

    def _installed_twice(self, plugin_id: str) -> str:
        name, path = self._conn.execute("SELECT name, path FROM plugins WHERE id = ?", (plugin_id,)).fetchone()
        others = [row[0] for row in self._conn.execute(
            "SELECT path FROM plugin_copies WHERE plugin_id = ? ORDER BY path", (plugin_id,)
        )]  # fmt: skip
        times = "twice" if len(others) == 1 else f"{len(others) + 1} times"
        return f"{name} ({plugin_id}) is installed {times}: {', '.join([path, *others])}; using {path}"

    def record_run(self, run: dict[str, Any]) -> None:
        # Plain SQL: every run ends here, and a no-change rescan should not pay for importing sqlite-utils.
        with self._transaction():
            self._conn.execute(
                "INSERT INTO runs (started_at, data) VALUES (?, ?)",
                (str(run.get("started_at", "")), json.dumps(run, default=str)),
            )

    def plugins(self) -> Iterator[Plugin]:
        return self._stream(f"SELECT {_PLUGIN_SELECT} FROM plugins p ORDER BY p.id", (), self._hydrate)

    def _merge_failure(self, failure: ScanFailure) -> ScanFailure:
        """Count this failure on top of the stored one, keeping when it was first seen."""
        last_seen = failure.last_seen or _now()
        stored = self._conn.execute(
            "SELECT attempts, first_seen FROM failures WHERE path = ?", (failure.path,)
        ).fetchone()
        if stored is None:
            return attrs.evolve(failure, first_seen=failure.first_seen or last_seen, last_seen=last_seen)
        attempts, first_seen = stored
        return attrs.evolve(
            failure, attempts=attempts + failure.attempts, first_seen=first_seen or last_seen, last_seen=last_seen
        )

    def _put_failure(self, failure: ScanFailure) -> None:
        self._db.table("failures").upsert(models.converter.unstructure(failure), pk="path")

    def _keep_labels(self, plugins: Iterable[Plugin]) -> None:
        """Keep the tags and user categories a written record carries with the user's own."""
        plugins = list(plugins)
        self._conn.executemany(
            "INSERT OR IGNORE INTO user_tags (plugin_id, tag) VALUES (?, ?)",
            [(plugin.id, tag) for plugin in plugins for tag in plugin.tags],
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO user_categories (plugin_id, name, confidence) VALUES (?, ?, ?)",
            [
                (plugin.id, category.name, category.confidence)
                for plugin in plugins
                for category in plugin.categories
                if category.source is CategorySource.USER
            ],
        )

    def _insert_plugins(self, plugins: Iterable[Plugin]) -> None:
        """Store plugins, replacing any stored under the same ids; the caller holds the transaction."""
        by_id = {plugin.id: plugin for plugin in plugins}  # a repeated id: the last one wins
        self._keep_labels(by_id.values())
        linked: dict[str, str] = {}
        for chunk, marks in _chunks(list(by_id)):
            linked.update(
                self._conn.execute(f"SELECT plugin_id, product FROM product_links WHERE plugin_id IN ({marks})", chunk)
            )
        products = {plugin_id: linked.get(plugin_id) or product_of(plugin) for plugin_id, plugin in by_id.items()}
        tags, user_categories = self._labels(self._conn, products)
        self._conn.executemany("DELETE FROM plugins WHERE id = ?", [(plugin_id,) for plugin_id in by_id])
        record_rows: list[tuple[Any, ...]] = []
        packed_rows: list[tuple[int, bytes]] = []
        name_rows: list[tuple[int, int, str]] = []
        category_rows: list[tuple[int, str, bool]] = []
        for plugin in by_id.values():
            others = tuple(c for c in plugin.categories if c.source is not CategorySource.USER)
            categories = [c.name for c in _user_first(user_categories[plugin.id], list(others), _name)]
            data = models.converter.unstructure(attrs.evolve(plugin, parameters=(), tags=(), categories=others))
            for field in (*schema.PLUGIN_COLUMNS, "parameters", "tags"):
                del data[field]
            pk = self._conn.execute(
                _PLUGIN_INSERT,
                (
                    *_plugin_columns(plugin),
                    categories[0] if categories else "",
                    len(plugin.parameters),
                    products[plugin.id],
                ),
            ).lastrowid
            assert pk is not None  # an INSERT always sets it
            record_rows.append(
                (
                    pk,
                    plugin.name,
                    plugin.vendor,
                    " ".join([*categories, *plugin.native_categories]),
                    " ".join(tags[plugin.id]),
                    " ".join(parameter.name for parameter in plugin.parameters),
                    json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                )
            )
            category_rows.extend((pk, name, False) for name in categories)
            category_rows.extend((pk, name, True) for name in _ancestors(categories))
            packed_rows.append((pk, schema.pack_parameters(plugin.parameters)))
            name_rows.extend((pk, position, parameter.name) for position, parameter in enumerate(plugin.parameters))
        self._conn.executemany(_RECORD_INSERT, record_rows)
        self._conn.executemany("INSERT INTO plugin_parameters (pk, packed) VALUES (?, ?)", packed_rows)
        self._conn.executemany("INSERT INTO parameter_names (plugin_pk, position, name) VALUES (?, ?, ?)", name_rows)
        # Own categories first, so an ancestor that is also one of them stays marked as its own.
        self._conn.executemany(
            "INSERT OR IGNORE INTO plugin_categories (plugin_pk, name, ancestor) VALUES (?, ?, ?)",
            sorted(category_rows, key=operator.itemgetter(2)),
        )

    def _insert_presets(self, file: str, presets: Iterable[Preset]) -> None:
        """Store presets as `file`'s; the caller holds the transaction and has dropped the file's earlier ones."""
        rows = []
        for preset in {(p.id, p.plugin_id): p for p in presets}.values():  # repeated: the last one wins
            data = models.converter.unstructure(preset)
            for field in (*_PRESET_COLUMNS, "fingerprint"):
                del data[field]
            folded = "\n".join((preset.name, preset.bank, preset.author, *preset.tags)).casefold()
            tags_text = " ".join(preset.tags)
            record = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            rows.append((file, *_preset_columns(preset), tags_text, folded, record))
        self._conn.executemany(_PRESET_INSERT, rows)

    @staticmethod
    def _labels(
        conn: sqlite3.Connection, products: Mapping[str, str | None]
    ) -> tuple[defaultdict[str, list[str]], defaultdict[str, list[Category]]]:
        """Tags (the plugin's own and its product's, together, sorted) and user categories (its own by
        name, else its product's) of these plugin ids, each given with its product key (None: none)."""
        tags: defaultdict[str, list[str]] = defaultdict(list)
        categories: defaultdict[str, list[Category]] = defaultdict(list)
        for chunk, _marks in _chunks(list(products)):
            wanted = f"WITH wanted (plugin_id, product) AS (VALUES {', '.join('(?, ?)' for _ in chunk)})"
            args = [value for plugin_id in chunk for value in (plugin_id, products[plugin_id])]
            # A tag both own and the product's is one (the union compares as the columns do: ignoring case).
            for plugin_id, tag in conn.execute(
                f"{wanted} SELECT w.plugin_id, t.tag FROM wanted w JOIN user_tags t USING (plugin_id)"
                " UNION SELECT w.plugin_id, t.tag FROM wanted w JOIN product_tags t USING (product) ORDER BY 1, 2",
                args,
            ):
                tags[plugin_id].append(tag)
            for plugin_id, name, confidence in conn.execute(
                f"{wanted} SELECT w.plugin_id, c.name, c.confidence FROM wanted w"
                " JOIN user_categories c USING (plugin_id)"
                " UNION ALL SELECT w.plugin_id, c.name, 1.0 FROM wanted w JOIN product_categories c USING (product)"
                " WHERE NOT EXISTS (SELECT 1 FROM user_categories o WHERE o.plugin_id = w.plugin_id) ORDER BY 1, 2",
                args,
            ):
                categories[plugin_id].append(Category(name, CategorySource.USER, confidence))
        return tags, categories

    # -- queries -----------------------------------------------------------------------

    def query(self, query: Query) -> Iterator[Plugin]:
        filtered, args = _filtered(query)
        order = _order_by((*_SORT_COLUMNS[query.sort], "p.id"), query.reverse)
        limit = query.limit if query.limit is not None else -1
        sql = f"SELECT {_PLUGIN_SELECT} FROM plugins p{filtered} ORDER BY {order} LIMIT ? OFFSET ?"
        hydrate = self._hydrate if query.parameters else functools.partial(self._hydrate, parameters=False)
        return self._stream(sql, [*args, limit, query.offset], hydrate)

    @_guarded
    def count(self, query: Query) -> int:
        filtered, args = _filtered(query)
        (count,) = self._conn.execute(f"SELECT count(*) FROM plugins p{filtered}", args).fetchone()
        return int(count)

    @_guarded
    def search(self, text: str, *, limit: int, raw: bool, query: Query | None = None) -> list[Plugin]:
        expression = text if raw else fts_query(text)
        if not expression.strip():
            return []
        query = query or Query()
        filtered, args = _filtered(query)
        # Unfiltered, rank and cut in the index first, so only the page's rows are read from
        # `plugins`; filtered, the cut comes after the filters.
        cut = "" if filtered else " ORDER BY score, rowid LIMIT ?"
        sql = (
            f"SELECT {_PLUGIN_SELECT} FROM (SELECT rowid AS pk, {_RANK} AS score FROM plugins_fts"
            f" WHERE plugins_fts MATCH ?{cut}) AS hit JOIN plugins p USING (pk){filtered}"
            " ORDER BY hit.score, hit.pk LIMIT ?"
        )
        try:
            rows = self._conn.execute(sql, [expression, *([] if filtered else [limit]), *args, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            if not raw:
                raise
            raise QueryError(
                f"not a valid FTS5 query: {exc}",
                where=repr(text),
                fix="leave out --raw to search for the text as typed",
            ) from exc
        return self._hydrate(rows, self._conn, parameters=query.parameters)

    @_guarded
    def get(self, plugin_id: str) -> Plugin | None:
        found = self._hydrate(
            self._conn.execute(f"SELECT {_PLUGIN_SELECT} FROM plugins p WHERE p.id = ?", (plugin_id,)).fetchall(),
            self._conn,
        )
        return found[0] if found else None

    @_guarded
    def named(self, name: str) -> list[Plugin]:
        rows = self._conn.execute(
            f"SELECT {_PLUGIN_SELECT} FROM plugins p WHERE p.name = ? COLLATE NOCASE ORDER BY p.id", (name,)
        ).fetchall()
        return self._hydrate(rows, self._conn)

    def presets(self, query: PresetQuery) -> Iterator[Preset]:
        filtered, args = _preset_filtered(query)
        order = _order_by((*_PRESET_SORT_COLUMNS[query.sort], "s.plugin_id", "s.id", "s.file"), query.reverse)
        limit = query.limit if query.limit is not None else -1
        sql = f"SELECT {_PRESET_SELECT} FROM {_PRESET_FROM}{filtered} ORDER BY {order} LIMIT ? OFFSET ?"
        return self._stream(sql, [*args, limit, query.offset], _presets)

    @_guarded
    def count_presets(self, query: PresetQuery) -> int:
        filtered, args = _preset_filtered(query)
        (count,) = self._conn.execute(f"SELECT count(*) FROM presets s{filtered}", args).fetchone()
        return int(count)

    @_guarded
    def search_presets(self, text: str, *, limit: int) -> list[Preset]:
        """See `CatalogBackend.search_presets`: presets whose name has every word first, then those
        with the words anywhere (bank, author, tags too), each in stored order.

        Not ranked by bm25 as plugins are: a common word ("hall") matches a fifth of a large
        library's presets, and scoring 16,000 of 100,000 took 27 ms; these two cuts stop after
        `limit` rows (about 1 ms each). See benchmarks/bench_preset_search.py.
        """
        expression = fts_query(text)
        if not expression:
            return []
        found: list[Preset] = []
        for tier in (f"{{name}} : ({expression})", f"({expression}) NOT {{name}} : ({expression})"):
            if len(found) < limit:
                rows = self._conn.execute(
                    f"SELECT {_PRESET_SELECT} FROM {_PRESET_FROM} WHERE s.pk IN"
                    " (SELECT rowid FROM presets_fts WHERE presets_fts MATCH ? LIMIT ?) ORDER BY s.pk",
                    (tier, limit - len(found)),
                )
                found += [_preset(row) for row in rows]
        return found

    @_guarded
    def vocabulary(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM plugins UNION SELECT vendor FROM plugins"
            " UNION SELECT name FROM plugin_categories WHERE NOT ancestor"
            " UNION SELECT tag FROM user_tags UNION SELECT tag FROM product_tags UNION SELECT name FROM parameter_names"
        )
        return [word for (word,) in rows if word]

    @_guarded
    def stats(self) -> dict[str, Any]:
        def one(sql: str) -> Any:
            return self._conn.execute(sql).fetchone()[0]

        def counts(sql: str) -> dict[str, int]:
            return dict(self._conn.execute(sql + " ORDER BY 2 DESC, 1"))

        param_counts = [n for (n,) in self._conn.execute("SELECT param_count FROM plugins ORDER BY param_count")]
        buckets = {"0": (0, 0), "1–10": (1, 10), "11–50": (11, 50), "51–100": (51, 100), "101–500": (101, 500)}
        histogram = {label: sum(low <= n <= high for n in param_counts) for label, (low, high) in buckets.items()}
        histogram["501+"] = sum(n > 500 for n in param_counts)
        runs = self._conn.execute("SELECT data FROM runs ORDER BY started_at DESC, id DESC LIMIT 5")
        return {
            "path": str(self.path),
            "schema_version": self.file_version,
            "size_bytes": self.path.stat().st_size,
            "plugins": len(param_counts),
            "files": one("SELECT count(*) FROM files"),
            "failures": one("SELECT count(*) FROM failures"),
            "instruments": one("SELECT count(*) FROM plugins WHERE is_instrument"),
            "effects": one("SELECT count(*) FROM plugins WHERE is_effect"),
            "presets": one("SELECT count(*) FROM presets"),
            "orphaned_presets": one(f"SELECT count(*) FROM presets s WHERE {_ORPHANED}"),
            "formats": counts("SELECT format, count(*) FROM plugins GROUP BY format"),
            "vendors": counts("SELECT vendor, count(*) FROM plugins GROUP BY vendor COLLATE NOCASE"),
            "categories": counts("SELECT name, count(*) FROM plugin_categories WHERE NOT ancestor GROUP BY name"),
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
        with self._transaction():
            self._change_tags("user_tags", "plugin_id", plugin_id, tags, add=True)
            return self._plugin_tags(plugin_id)

    def untag(self, plugin_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        with self._transaction():
            self._change_tags("user_tags", "plugin_id", plugin_id, tags, add=False)
            return self._plugin_tags(plugin_id)

    def _change_tags(self, table: str, column: str, key: str, tags: Sequence[str], *, add: bool) -> None:
        """Add or remove a plugin id's (`user_tags`) or a product's (`product_tags`) tags, and re-index
        the plugins that show them."""
        self._conn.executemany(
            f"INSERT OR IGNORE INTO {table} ({column}, tag) VALUES (?, ?)"
            if add
            else f"DELETE FROM {table} WHERE {column} = ? AND tag = ?",
            [(key, tag) for tag in tags],
        )
        self._refresh_tags("id = ?" if table == "user_tags" else "product = ?", key)

    def _refresh_tags(self, where: str, *args: Any) -> None:
        """Re-index for search the tags of the plugins `where` selects (a condition on `plugins`)."""
        products = dict(self._conn.execute(f"SELECT id, product FROM plugins WHERE {where}", args))
        tags = self._labels(self._conn, products)[0]
        # The update trigger re-indexes each row for search.
        self._conn.executemany(
            "UPDATE plugin_records SET tags_text = ? WHERE pk = (SELECT pk FROM plugins WHERE id = ?)",
            [(" ".join(tags[plugin_id]), plugin_id) for plugin_id in products],
        )

    def _plugin_tags(self, plugin_id: str) -> tuple[str, ...]:
        """A plugin id's tags: its own and, while it is stored, its product's."""
        row = self._conn.execute("SELECT product FROM plugins WHERE id = ?", (plugin_id,)).fetchone()
        return tuple(self._labels(self._conn, {plugin_id: row[0] if row else None})[0][plugin_id])

    # -- products ------------------------------------------------------------------------

    @_guarded
    def product_keys(self, plugin_ids: Sequence[str] | None = None) -> dict[str, str]:
        if plugin_ids is None:
            return dict(self._conn.execute("SELECT id, product FROM plugins"))
        keys: dict[str, str] = {}
        for chunk, marks in _chunks(plugin_ids):
            keys.update(self._conn.execute(f"SELECT id, product FROM plugins WHERE id IN ({marks})", chunk))
        return keys

    def group(self, plugin_ids: Sequence[str], key: str | None) -> None:
        with self._transaction():
            if key is None:
                self._conn.executemany("DELETE FROM product_links WHERE plugin_id = ?", [(i,) for i in plugin_ids])
            else:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO product_links (plugin_id, product) VALUES (?, ?)",
                    [(plugin_id, key) for plugin_id in plugin_ids],
                )
            for chunk, marks in _chunks(plugin_ids):
                self._restore(f"p.id IN ({marks})", *chunk)  # with their new product's key and labels

    @_guarded
    def product_tags(self) -> dict[str, tuple[str, ...]]:
        """Product key → the user's tags of that product (its own, not its plugins'), for every
        tagged product: what `pluginary merge` carries to a fleet catalogue, and the JSON file keeps."""
        tags: defaultdict[str, list[str]] = defaultdict(list)
        for key, tag in self._conn.execute("SELECT product, tag FROM product_tags ORDER BY product, tag"):
            tags[key].append(tag)
        return {key: tuple(held) for key, held in tags.items()}

    def tag_product(self, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        with self._transaction():
            self._change_tags("product_tags", "product", key, tags, add=True)
            return self._product_tags(key)

    def untag_product(self, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        with self._transaction():
            self._change_tags("product_tags", "product", key, tags, add=False)
            return self._product_tags(key)

    def _product_tags(self, key: str) -> tuple[str, ...]:
        rows = self._conn.execute("SELECT tag FROM product_tags WHERE product = ? ORDER BY tag", (key,))
        return tuple(tag for (tag,) in rows)

    @_guarded
    def product_categories(self) -> dict[str, str]:
        """Product key → the user's category of that product, for every categorized product."""
        return dict(self._conn.execute("SELECT product, name FROM product_categories ORDER BY product"))

    def categorize(self, plugin_id: str, category: str | None) -> None:
        with self._transaction():
            self._conn.execute("DELETE FROM user_categories WHERE plugin_id = ?", (plugin_id,))
            if category is not None:
                self._conn.execute(
                    "INSERT INTO user_categories (plugin_id, name, confidence) VALUES (?, ?, 1.0)",
                    (plugin_id, category),
                )
            self._restore("p.id = ?", plugin_id)

    def categorize_product(self, key: str, category: str | None) -> None:
        with self._transaction():
            self._conn.execute("DELETE FROM product_categories WHERE product = ?", (key,))
            if category is not None:
                self._conn.execute("INSERT INTO product_categories (product, name) VALUES (?, ?)", (key, category))
            self._restore("p.product = ?", key)

    def _restore(self, where: str, *args: Any) -> None:
        """Store again the plugins `where` selects (a condition on `plugins p`) as they were scanned, so
        what follows from their labels and product (the category column and rows, the search text)
        follows a change to those. The caller holds the transaction."""
        rows = self._conn.execute(f"SELECT {_PLUGIN_SELECT} FROM plugins p WHERE {where}", args).fetchall()
        self._insert_plugins(self._hydrate(rows, self._conn, labels=False))

    def _stream(
        self, sql: str, args: Sequence[Any], build: Callable[[Sequence[tuple[Any, ...]], sqlite3.Connection], list[T]]
    ) -> Iterator[T]:
        """What `build` makes of the rows `sql` selects, all read from one snapshot however long the
        iteration takes."""
        # The cursor is closed before its connection: a statement still alive (an error's traceback
        # keeps the cursor) would keep that connection open, and its lock the WAL files beside the file.
        with (
            _errors_reported(self.path),
            self._reader() as conn,
            contextlib.closing(conn.execute(sql, args)) as cursor,
        ):
            while rows := cursor.fetchmany(_BATCH):
                yield from build(rows, conn)

    def _hydrate(
        self, rows: Sequence[tuple[Any, ...]], conn: sqlite3.Connection, labels: bool = True, parameters: bool = True
    ) -> list[Plugin]:
        """Build plugins from `_PLUGIN_SELECT` rows, with a few queries per batch of them
        (on `conn`, in the transaction the rows were read in). Without `labels`: the
        record as scanned, without the user's tags and categories. Without `parameters`:
        with none, only their count (decoding them is most of the cost of a plugin)."""
        plugins = []
        joined = " JOIN plugin_parameters pp USING (pk)" if parameters else " JOIN plugins p USING (pk)"
        column = "pp.packed" if parameters else "p.param_count"
        for batch, marks in _chunks(rows):
            records = {
                pk: (data, packed)
                for pk, data, packed in conn.execute(
                    f"SELECT pk, r.data, {column} FROM plugin_records r{joined} WHERE pk IN ({marks})",
                    [row[0] for row in batch],
                )
            }
            tags, user_categories = self._labels(conn, {row[1]: row[-1] for row in batch} if labels else {})
            for pk, *columns, _product in batch:
                plugin_id = columns[0]
                try:
                    data, stored = records[pk]
                    read = schema.unpack_parameters(stored) if parameters else stored
                except (KeyError, ValueError) as exc:
                    raise CatalogError(
                        f"the catalogue is damaged (the record of plugin {plugin_id!r} is missing or unreadable)",
                        where=str(self.path),
                        fix=schema.RECOVERY,
                    ) from exc
                plugins.append(_plugin(columns, data, read, tags[plugin_id], user_categories[plugin_id]))
        return plugins

    # -- maintenance ---------------------------------------------------------------------

    def check(self) -> list[str]:
        """See `CatalogBackend.check`; a lock held past the busy timeout is a CatalogError, not damage."""
        try:
            # One snapshot for every count. Writable, it waits for a writer to finish first
            # (the search index check is a write statement, which may not wait inside a read).
            with self._reading() if self.read_only else self._atomic():
                return self._problems()
        except sqlite3.DatabaseError as exc:
            if locks.is_busy(exc):
                raise locks.locked_error(self.path) from exc
            # Damage bad enough to stop the checks themselves is the finding.
            return [f"the file is damaged ({exc})"]

    def _damage(self) -> list[str]:
        """What SQLite's own integrity check finds: damage no rebuild of ours repairs."""
        return [row for (row,) in self._conn.execute("PRAGMA integrity_check(20)") if row != "ok"]

    def _problems(self) -> list[str]:
        problems = self._damage()
        problems += [
            f"{table} row {rowid} points at a missing {parent} row"
            for table, rowid, parent, _ in self._conn.execute("PRAGMA foreign_key_check")
        ]
        for fts, content, what in (("plugins_fts", "plugin_records", "plugins"), ("presets_fts", "presets", "presets")):
            missing = self._conn.execute(
                f"SELECT (SELECT count(*) FROM {content} WHERE pk NOT IN (SELECT id FROM {fts}_docsize)),"
                f" (SELECT count(*) FROM {fts}_docsize WHERE id NOT IN (SELECT pk FROM {content}))"
            ).fetchone()
            if any(missing):
                problems.append(
                    f"the search index misses {missing[0]} {what} and has {missing[1]} that are gone;"
                    " `pluginary db vacuum` rebuilds it"
                )
            elif not self.read_only:
                try:
                    # Compares every indexed word with the table (a write
                    # statement, though it changes nothing: hence not when read-only).
                    self._conn.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)")
                except sqlite3.DatabaseError as exc:
                    if locks.is_busy(exc):
                        raise
                    problems.append(
                        f"the search index does not match the {what} ({exc}); `pluginary db vacuum` rebuilds it"
                    )
        orphans = {
            "parameter names of no plugin": (
                "SELECT count(*) FROM parameter_names WHERE plugin_pk NOT IN (SELECT pk FROM plugins)"
            ),
            "parameters of no plugin": (
                "SELECT count(*) FROM plugin_parameters WHERE pk NOT IN (SELECT pk FROM plugins)"
            ),
            "categories of no plugin": (
                "SELECT count(*) FROM plugin_categories WHERE plugin_pk NOT IN (SELECT pk FROM plugins)"
            ),
            "records of no plugin": "SELECT count(*) FROM plugin_records WHERE pk NOT IN (SELECT pk FROM plugins)",
            "plugins without their record": (
                "SELECT count(*) FROM plugins WHERE pk NOT IN (SELECT pk FROM plugin_records)"
            ),
            "plugins without their parameters": (
                "SELECT count(*) FROM plugins WHERE pk NOT IN (SELECT pk FROM plugin_parameters)"
            ),
            "plugins from no stored file": "SELECT count(*) FROM plugins WHERE path NOT IN (SELECT path FROM files)",
            "other copies from no stored file": (
                "SELECT count(*) FROM plugin_copies WHERE path NOT IN (SELECT path FROM files)"
            ),
            # A file's plugin is neither the plugin's record nor another copy: it was lost
            # (as the second copy of a plugin installed twice was, before schema v3).
            "plugins of stored files that are missing (`pluginary scan --full` finds them again)": (
                "SELECT count(*) FROM file_plugins f WHERE NOT EXISTS"
                " (SELECT 1 FROM plugins p WHERE p.id = f.plugin_id AND p.path = f.path) AND NOT EXISTS"
                " (SELECT 1 FROM plugin_copies c WHERE c.plugin_id = f.plugin_id AND c.path = f.path)"
            ),
            "links to files that are not stored": (
                "SELECT count(*) FROM file_plugins WHERE path NOT IN (SELECT path FROM files)"
            ),
            "files both stored and quarantined": "SELECT count(*) FROM files WHERE path IN (SELECT path FROM failures)",
            "presets of files that are not stored": (
                "SELECT count(*) FROM presets WHERE file NOT IN (SELECT path FROM files)"
            ),
        }
        for what, sql in orphans.items():
            (count,) = self._conn.execute(sql).fetchone()
            if count:
                problems.append(f"{count} {what}")
        return problems

    def vacuum(self) -> None:
        """See `CatalogBackend.vacuum`. A damaged file is refused before anything is written:
        rewriting it could carry the damage into every page, or lose what a backup tool
        could still save."""
        with self._transaction():
            if damage := self._damage():
                raise CatalogError(
                    f"the catalogue is damaged ({damage[0]}); vacuum left it as it was",
                    where=str(self.path),
                    fix=schema.RECOVERY,
                )
            for fts in ("plugins_fts", "presets_fts"):
                self._conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
        # No ANALYZE: with statistics SQLite starts the category join from the
        # wrong side (measured: 3× slower filtered lists on 10,000 plugins).
        with _errors_reported(self.path):
            self._db.vacuum()

    def backup(self, dest: Path) -> None:
        dest = Path(dest)
        partial = reserve_backup(dest)
        try:
            copy = sqlite3.connect(partial)
            try:
                self._conn.backup(copy)
                # A backup is one self-contained file, without a WAL beside it.
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)


def reserve_backup(dest: Path) -> Path:
    """Check a backup destination is free; return the temporary file to write first."""
    if dest.exists():
        raise CatalogError("the backup file already exists", where=str(dest), fix="choose a new path or remove it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    return partial


def _connect_read_only(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=locks.BUSY_TIMEOUT)
    try:
        conn.execute("SELECT count(*) FROM metadata").fetchone()
    except sqlite3.OperationalError:
        # A WAL file needs a shared-memory file beside it, which a read-only
        # folder cannot hold; read it as immutable instead (the last writer
        # checkpointed the WAL into the file when it closed).
        conn.close()
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, timeout=locks.BUSY_TIMEOUT)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _user_first(user: list[T], others: list[T], name: Callable[[T], str]) -> list[T]:
    """The user's categories, then the others whose name (ignoring case) the user's do not have."""
    seen: set[str] = set()
    merged = []
    for item in (*user, *others):
        if (key := name(item).casefold()) not in seen:
            seen.add(key)
            merged.append(item)
    return merged


def _ancestors(categories: list[str]) -> list[str]:
    """Every level above these categories: "Effect" for "Effect/Reverb"."""
    levels = (name.split("/") for name in categories)
    return list(dict.fromkeys("/".join(parts[:depth]) for parts in levels for depth in range(1, len(parts))))


def _preset_filtered(query: PresetQuery) -> tuple[str, list[Any]]:
    """What follows `FROM presets s` for a preset query's filters: the single definition of each."""
    clauses: list[str] = []
    args: list[Any] = []
    for clause, value in (
        ("s.plugin_id = ?", query.plugin_id),
        ("s.plugin_id IN (SELECT value FROM json_each(?))", json.dumps(query.plugin_ids) if query.plugin_ids else None),
        ("s.format = ?", query.format),
        ("s.source = ?", query.source),
        ("s.bank = ? COLLATE NOCASE", query.bank),
        # Contains, ignoring case, literally: `folded` holds the searched fields case-folded.
        ("instr(s.folded, ?) > 0", None if query.text is None else query.text.casefold()),
        ("s.data ->> '$.host.name' = ?", query.host),
    ):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    if query.orphaned is not None:
        clauses.append(_ORPHANED if query.orphaned else f"NOT {_ORPHANED}")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _filtered(query: Query) -> tuple[str, list[Any]]:
    """What follows `FROM plugins p` for a query's filters: joins and WHERE, with
    their arguments. This is the single definition of what every filter means.

    Category is a join (one row at most per plugin, by its primary key), and tag a
    set of pks from the tag indexes, so SQLite can start from whichever side is smaller.
    """
    joins: list[str] = []
    clauses: list[str] = []
    args: list[Any] = []
    if query.category is not None:
        # "Effect" selects "Effect" and what is under it (stored as ancestors), not "Effects".
        joins.append(" JOIN plugin_categories c ON c.plugin_pk = p.pk AND c.name = ?")
        args.append(query.category)
    if query.tag is not None:  # the plugin's own tags or its product's
        clauses.append(
            "p.pk IN (SELECT o.pk FROM user_tags t JOIN plugins o ON o.id = t.plugin_id WHERE t.tag = ?"
            " UNION SELECT o.pk FROM product_tags t JOIN plugins o ON o.product = t.product WHERE t.tag = ?)"
        )
        args += [query.tag, query.tag]
    for clause, value in (
        ("p.format = ?", query.format),
        ("p.vendor = ? COLLATE NOCASE", query.vendor),
        ("p.is_instrument = ?", query.instrument),
        ("p.is_effect = ?", query.effect),
    ):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    if query.params is not None:
        if query.params.low is not None:
            clauses.append("p.param_count >= ?")
            args.append(query.params.low)
        if query.params.high is not None:
            clauses.append("p.param_count <= ?")
            args.append(query.params.high)
    if query.has_param is not None:
        clauses.append("p.pk IN (SELECT plugin_pk FROM parameter_names WHERE name = ?)")
        args.append(query.has_param)
    if query.host is not None:  # one machine's file: its plugins all name it (or it is another's)
        clauses.append("p.pk IN (SELECT pk FROM plugin_records WHERE data ->> '$.host.name' = ?)")
        args.append(query.host)
    return "".join(joins) + (" WHERE " + " AND ".join(clauses) if clauses else ""), args
