"""A studio's shared catalogue: one PostgreSQL database for every machine (psycopg 3).

Each machine scans its own plugins (they must be loaded where they are installed) and
writes its own rows, keyed by host (`pluginary.core.fleet.host_name`, overridable with
`PLUGINARY_HOST`). So the pipeline's side of the backend (`stored_files`, `failures`,
`write`, `remove`, `plugins`) sees this machine's part only, and diff, quarantine and
the journal work per machine as they do with a file; machines writing at once touch
disjoint rows in short READ COMMITTED transactions, with no lock between them. A batch is
stored in a fixed number of round trips, its rows by COPY.

Presets are rows of this machine too, each owned by the stored file that carried it. Each
plugin row stores its product key (the user's grouping of its id, shared by every machine,
else `product_of`), so product tags, the `tag` filter and `fleet diff` group in SQL.

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
import string
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
from pluginary.core.models import (
    Category,
    CategorySource,
    FileResult,
    Host,
    Plugin,
    PluginFile,
    Preset,
    ScanFailure,
    converter,
)
from pluginary.core.products import product_of
from pluginary.core.query import PresetQuery, Query, QueryError
from pluginary.core.taxonomy import user_category

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

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
#: What `_hydrate` reads: the pk, the product key, then what `sqlite._plugin` takes, then the record.
_SELECT_RECORD = (
    "p.pk, p.product, p.id, p.format, p.name, p.vendor, p.path, p.is_instrument, p.is_effect, p.scanned_at, p.data"
)
_SELECT = f"{_SELECT_RECORD}, p.packed"
#: `_SELECT` for a listing without parameters (`Query.parameters` off): they stay on the server, only
#: their count comes.
_SELECT_LIGHT = f"{_SELECT_RECORD}, p.param_count"
_COLUMNS = (
    "host", "id", "format", "name", "vendor", "path", "version", "is_instrument", "is_effect", "scanned_at",
    "category", "categories", "category_keys", "param_count", "param_names", "param_keys", "base_search", "search",
    "data", "packed", "product", "host_search",
)  # fmt: skip
#: A preset's fields that have a column (`_preset` takes them in this order, then `data`).
_PRESET_FIELDS = ("id", "plugin_id", "name", "format", "source", "bank")
_PRESET_COLUMNS = ("host", "file", *_PRESET_FIELDS, "folded", "search", "host_search", "data")
_PRESET_SELECT = ", ".join(f"s.{field}" for field in (*_PRESET_FIELDS, "data"))
_PRESET_SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (_NOCASE("s.name"),),
    "plugin": ('s.plugin_id COLLATE "C"',),
    "bank": (_NOCASE("s.bank"),),
    "format": ('s.format COLLATE "C"',),
    "source": ('s.source COLLATE "C"',),
}
#: What breaks ties in every preset order (the contract's name, plugin id, id; then where it is).
_PRESET_TIES = (
    _NOCASE("s.name"),
    's.plugin_id COLLATE "C"',
    's.id COLLATE "C"',
    's.host COLLATE "C"',
    's.file COLLATE "C"',
)
#: The user's labels of plugin row `p` as five arrays, after `_SELECT`'s columns (`_Labels.inline`).
_INLINE_LABELS = (
    "ARRAY(SELECT tag FROM user_tags t WHERE t.plugin_id = p.id),"
    " ARRAY(SELECT tag FROM product_tags t WHERE t.product = p.product),"
    ' ARRAY(SELECT name FROM user_categories c WHERE c.plugin_id = p.id ORDER BY name COLLATE "C"),'
    ' ARRAY(SELECT confidence FROM user_categories c WHERE c.plugin_id = p.id ORDER BY name COLLATE "C"),'
    " ARRAY(SELECT name FROM product_categories c WHERE c.product = p.product)"
)
#: A row of `{0}` that is this machine's and matches the search `q`: found by its words behind the
#: machine's code (`host_tsquery`, through the GIN index), checked and ranked by `q`.
_THIS_MACHINE = "{0}.host = %s AND {0}.host_search @@ CAST(%s AS tsquery) AND {0}.search @@ q"
#: Give plugin rows (`{0}`: which) the search words of these tags (`%(tags)s`) with their record's.
_SET_TAGS = (
    "UPDATE plugins SET search = base_search || %(tags)s::tsvector,"
    f" host_search = {schema.HOST_SEARCH.format('base_search || %(tags)s::tsvector')} WHERE {{0}}"
)
#: A preset whose plugin is not installed on its machine.
_ORPHANED = "NOT EXISTS (SELECT 1 FROM plugins p WHERE p.host = s.host AND p.id = s.plugin_id)"
_FAILURE_FIELDS = tuple(field.name for field in attrs.fields(ScanFailure))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The searchable words of `text` as SQLite's unicode61 tokenizer (remove_diacritics 2)
    finds them: runs of letters and digits, case folded, accents and compatibility forms
    ("Ｓｏｎｉｃ") folded away."""
    if text.isascii():  # most text: nothing to fold but case (a scan's batch spends its time here otherwise)
        return [word for word in _WORD.findall(text.lower()) if len(word) <= _MAX_LEXEME]
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


def _phrases(text: str, prefix: str = "") -> list[list[str]]:
    """The quoted words of each whitespace-separated chunk of user text (behind `prefix`), the
    last a prefix query."""
    phrases = []
    for chunk in _CONTROL.sub(" ", text).split():
        if found := words(chunk):
            phrases.append([*(f"'{prefix}{word}'" for word in found[:-1]), f"'{prefix}{found[-1]}':*"])
    return phrases


def tsquery(text: str) -> str:
    """User text as a tsquery that matches it literally, as `sqlite.fts_query` does for FTS5:
    each whitespace-separated chunk a phrase whose last word is a prefix, all chunks required.
    "" when no chunk has a word (nothing can match)."""
    return " & ".join(f"({' <-> '.join(phrase)})" for phrase in _phrases(text))


def host_tsquery(code: str, text: str) -> str:
    """What `tsquery(text)` matches, asked of one machine's `host_search` words (`code`): every
    word, in any order (that index has no positions: `search` checks the phrases)."""
    return " & ".join(word for phrase in _phrases(text, f"{code}.") for word in phrase)


def host_vector(code: str, texts: Iterable[str]) -> str:
    """The `host_search` literal of a row whose search vector holds the words of `texts`: what
    `postgres_schema.HOST_SEARCH` makes of that vector."""
    return " ".join(sorted({f"'{code}.{word}'" for text in texts for word in words(text)}))


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


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _nocase(text: str) -> str:
    """`schema.NOCASE` in Python: ASCII letters folded, as the unique tag indexes compare."""
    return text.translate(_ASCII_LOWER)


def _array(items: Iterable[str]) -> str:
    """A text[] literal for COPY (psycopg's list dumper, pure Python here, was a batch's slowest step)."""
    return "{" + ",".join('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items) + "}"


def _tags_vector(tags: Sequence[str]) -> str:
    """The search words a plugin's tags add to its record's."""
    return tsvector([(" ".join(tags), "C")])


@attrs.define
class _Labels:
    """What the user said about a batch of plugins: own tags and user categories by plugin id,
    product tags and categories by product key."""

    own: defaultdict[str, list[str]] = attrs.Factory(lambda: defaultdict(list))
    products: defaultdict[str, list[str]] = attrs.Factory(lambda: defaultdict(list))
    categories: defaultdict[str, list[Category]] = attrs.Factory(lambda: defaultdict(list))
    product_categories: defaultdict[str, list[Category]] = attrs.Factory(lambda: defaultdict(list))

    @classmethod
    def inline(cls, rows: Iterable[Sequence[Any]]) -> _Labels:
        """The labels `_INLINE_LABELS` put after each `_SELECT` row."""
        labels = cls()
        for row in rows:
            product, plugin_id = row[1], row[2]
            own, product_tags, names, confidences, product_categories = row[-5:]
            labels.own[plugin_id] = own
            labels.products[product] = product_tags
            labels.categories[plugin_id] = [
                Category(name, CategorySource.USER, confidence)
                for name, confidence in zip(names, confidences, strict=True)
            ]
            labels.product_categories[product] = [user_category(name) for name in product_categories]
        return labels

    def user_categories(self, plugin_id: str, product: str) -> list[Category]:
        """A plugin's user categories: its own, else its product's."""
        return self.categories[plugin_id] or self.product_categories[product]

    def tags(self, plugin_id: str, product: str) -> list[str]:
        """A plugin's tags: its own and its product's together, one of each (NOCASE), sorted."""
        unique = {_nocase(tag): tag for tag in [*self.products[product], *self.own[plugin_id]]}
        return sorted(unique.values(), key=lambda tag: (_nocase(tag), tag))


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
        #: What prefixes this machine's words in `host_search` (see `postgres_schema`).
        self._host_code = schema.host_code(self.host)
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
        """One REPEATABLE READ snapshot for every statement inside (none inside a write's own),
        begun by one statement: a search is a few round trips, each one counts."""
        import psycopg

        if self._conn.info.transaction_status != _idle():
            yield
            return
        self._conn.isolation_level, self._conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
        try:
            with self._conn.transaction():
                yield
        finally:
            self._conn.isolation_level, self._conn.read_only = None, None

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
        """See `Backend.write` (and `SQLiteBackend.write`: the same rules, on this host's rows).

        A batch costs a fixed number of round trips whatever its size: what its files held is
        forgotten, and what they hold now placed and stored, a table at a time (COPY for the rows)."""
        return self._retried(lambda: self._write(results))

    def _write(self, results: Sequence[FileResult]) -> list[str]:
        last = {result.file.path: result for result in results}  # a path given twice: its last result counts
        held = self._forget(list(last))
        stored = [result for result in last.values() if result.failure is None]
        plugins: list[Plugin] = []
        for result in stored:
            self._carry_labels(held.get(result.file.path, {}), result.plugins)
            plugins += {plugin.id: plugin for plugin in result.plugins}.values()  # a repeated id: the last wins
        duplicated = self._place(plugins)
        links = {(self.host, result.file.path, plugin.id) for result in stored for plugin in result.plugins}
        self._copy("file_plugins", ("host", "path", "plugin_id"), sorted(links))
        self._copy("presets", _PRESET_COLUMNS, self._preset_rows(stored))
        # A file that now scans is no longer quarantined; one that fails again is counted on top.
        self._conn.execute(
            "DELETE FROM failures WHERE host = %s AND path = ANY(%s)", (self.host, [r.file.path for r in stored])
        )
        self._conn.execute("DELETE FROM files WHERE host = %s AND path = ANY(%s)", (self.host, list(last)))
        self._copy(
            "files",
            ("host", "path", "format", "size", "mtime_ns", "fingerprint"),
            [(self.host, f.path, f.format, f.size, f.mtime_ns, f.fingerprint) for f in (r.file for r in stored)],
        )
        self._put_failures(
            attrs.evolve(result.failure, path=path) for path, result in last.items() if result.failure is not None
        )
        self._touch_host(scanned=bool(stored))
        return [self._installed_twice(plugin_id) for plugin_id in sorted(duplicated)]

    def remove(self, paths: Sequence[str]) -> None:
        """See `Backend.remove`; a plugin another stored file of this host holds stays, from that file."""

        def remove() -> None:
            self._forget(list(paths))
            for table in ("files", "failures"):
                self._conn.execute(f"DELETE FROM {table} WHERE host = %s AND path = ANY(%s)", (self.host, list(paths)))

        self._retried(remove)

    def _forget(self, paths: list[str]) -> dict[str, dict[str, str]]:
        """Drop what these files held (path → plugin id → name): plugins, copies, links, presets.

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
        for table, column in (("file_plugins", "path"), ("plugins", "path"), ("presets", "file")):
            self._conn.execute(f"DELETE FROM {table} WHERE host = %s AND {column} = ANY(%s)", args)
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
        """As `SQLiteBackend._place`, for a whole batch at once: each plugin as its record or, when
        the preferred copy of the id is in another file of this host (stored, or earlier in the
        batch), as another copy. Returns the ids now held twice."""
        rows = self._conn.execute(
            f"SELECT {_SELECT} FROM plugins p WHERE p.host = %s AND p.id = ANY(%s)",
            (self.host, sorted({plugin.id for plugin in plugins})),
        ).fetchall()
        current = {plugin.id: plugin for plugin in self._hydrate(rows, labels=False)}
        chosen: dict[str, Plugin] = {}
        copies: dict[tuple[str, str], Plugin] = {}
        duplicated: set[str] = set()
        for plugin in plugins:
            old = current.get(plugin.id)
            if old is not None and old.path != plugin.path:
                duplicated.add(plugin.id)
                if preferred([plugin, old]) is not plugin:
                    copies[plugin.id, plugin.path] = plugin
                    continue
                copies[old.id, old.path] = old
            current[plugin.id] = chosen[plugin.id] = plugin
        self._keep_labels(copies.values())
        self._conn.cursor().executemany(
            "INSERT INTO plugin_copies (host, plugin_id, path, record) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (host, plugin_id, path) DO UPDATE SET record = excluded.record",
            [(self.host, plugin_id, path, _encode(copy)) for (plugin_id, path), copy in sorted(copies.items())],
        )
        self._insert_plugins(chosen.values())
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
            f'SELECT {_SELECT} FROM plugins p WHERE p.host = %s ORDER BY p.id COLLATE "C"', (self.host,), self._hydrate
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

    def _insert_plugins(self, plugins: Iterable[Plugin], host: str | None = None) -> None:
        """Store plugins as this host's (or `host`'s), replacing any stored under the same ids, each
        with its product key (the user's grouping, else the rule's); the caller holds the transaction."""
        by_id = {plugin.id: plugin for plugin in plugins}
        if not by_id:
            return
        host = host or self.host
        self._keep_labels(by_id.values())
        links: dict[str, str] = dict(
            self._conn.execute(
                "SELECT plugin_id, product FROM product_links WHERE plugin_id = ANY(%s)", (list(by_id),)
            ).fetchall()
        )
        products = {plugin_id: links.get(plugin_id, product_of(plugin)) for plugin_id, plugin in by_id.items()}
        labels = self._labels(products.items())
        self._conn.execute("DELETE FROM plugins WHERE host = %s AND id = ANY(%s)", (host, list(by_id)))
        rows = []
        tagged = []
        for plugin in by_id.values():
            others = tuple(c for c in plugin.categories if c.source is not CategorySource.USER)
            user = labels.user_categories(plugin.id, products[plugin.id])
            categories = [c.name for c in _user_first(user, list(others), _name)]
            data = converter.unstructure(attrs.evolve(plugin, parameters=(), tags=(), categories=others))
            for field in (*sqlite_schema.PLUGIN_COLUMNS, "parameters", "tags"):
                del data[field]
            names = [parameter.name for parameter in plugin.parameters]
            fields = [
                (plugin.name, "A"),
                (plugin.vendor, "B"),
                (" ".join([*categories, *plugin.native_categories]), "C"),
                (" ".join(names), "D"),
            ]
            base = tsvector(fields)
            rows.append(
                (
                    host,
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
                    _array(categories),
                    _array(sorted({_fold(name) for name in [*categories, *_ancestors(categories)]})),
                    len(plugin.parameters),
                    _array(names),
                    _array(sorted({_fold(name) for name in names})),
                    base,
                    base,  # and its tags, below: few plugins have any
                    json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                    sqlite_schema.pack_parameters(plugin.parameters),
                    products[plugin.id],
                    host_vector(schema.host_code(host), (text for text, _weight in fields)),
                )
            )
            if tags := labels.tags(plugin.id, products[plugin.id]):
                tagged.append({"tags": _tags_vector(tags), "host": host, "id": plugin.id})
        self._copy("plugins", _COLUMNS, rows)
        self._conn.cursor().executemany(_SET_TAGS.format("host = %(host)s AND id = %(id)s"), tagged)

    def _labels(self, plugins: Iterable[tuple[str, str]], conn: psycopg.Connection | None = None) -> _Labels:
        """The user's labels of these (plugin id, product key) pairs, in one round trip."""
        conn = conn or self._conn
        labels = _Labels()
        pairs = list(plugins)
        if not pairs:
            return labels
        ids = list({plugin_id for plugin_id, _product in pairs})
        products = list({product for _plugin_id, product in pairs})
        rows = conn.execute(
            "SELECT 0, plugin_id, tag, 0.0 FROM user_tags WHERE plugin_id = ANY(%(ids)s)"
            " UNION ALL SELECT 1, product, tag, 0.0 FROM product_tags WHERE product = ANY(%(products)s)"
            " UNION ALL SELECT 2, plugin_id, name, confidence FROM user_categories WHERE plugin_id = ANY(%(ids)s)"
            " UNION ALL SELECT 3, product, name, 1.0 FROM product_categories WHERE product = ANY(%(products)s)",
            {"ids": ids, "products": products},
        ).fetchall()
        for kind, key, name, confidence in sorted(rows, key=lambda row: row[2]):  # categories by name, as "C" sorts
            if kind == 0:
                labels.own[key].append(name)
            elif kind == 1:
                labels.products[key].append(name)
            elif kind == 2:
                labels.categories[key].append(Category(name, CategorySource.USER, confidence))
            else:
                labels.product_categories[key].append(user_category(name))
        return labels

    def _hydrate(
        self,
        rows: Sequence[tuple[Any, ...]],
        conn: psycopg.Connection | None = None,
        *,
        labels: bool | _Labels = True,
        parameters: bool = True,
    ) -> list[Plugin]:
        """Plugins from `_SELECT` rows, with their user labels: these, or read in one round trip, or none;
        without `parameters`, from `_SELECT_LIGHT` rows, with no parameters or outputs."""
        if isinstance(labels, _Labels):
            found = labels
        else:
            found = self._labels([(row[2], row[1]) for row in rows] if labels else [], conn)
        plugins = []
        for _pk, product, *columns, data, packed in rows:
            plugin_id = columns[0]
            try:
                unpacked = sqlite_schema.unpack_parameters(bytes(packed)) if parameters else packed
            except ValueError as exc:
                raise CatalogError(
                    f"the catalogue is damaged (the parameters of plugin {plugin_id!r} are unreadable)",
                    where=self.path,
                    fix="rescan that machine: `pluginary scan --full`",
                ) from exc
            tags = found.tags(plugin_id, product)
            plugins.append(_plugin(columns, data, unpacked, tags, found.user_categories(plugin_id, product)))
        return plugins

    def _stream(
        self, sql: str, args: Sequence[Any], build: Callable[[Any, psycopg.Connection], list[T]]
    ) -> Iterator[T]:
        """What `sql` selects, built a batch of rows at a time from one snapshot on a connection of
        its own, so a slow reader (an export) holds up nothing and sees one moment."""
        import psycopg

        with self._errors_reported():
            if self._stream_conn is None or self._stream_conn.closed:
                self._stream_conn = psycopg.connect(self.url.secret, connect_timeout=CONNECT_TIMEOUT)
            conn = self._stream_conn
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            try:
                with conn.cursor(name="rows") as cursor:
                    cursor.execute(sql, args)
                    while rows := cursor.fetchmany(_BATCH):
                        yield from build(rows, conn)
            finally:
                if not conn.closed:
                    conn.rollback()

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Rows into `table` with one COPY: a batch's rows in one round trip, no statement each."""
        rows = list(rows)
        if rows:
            with self._conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

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
            clauses.append(
                f"(p.id IN (SELECT plugin_id FROM user_tags WHERE {_NOCASE('tag')} = {_NOCASE('%s')}) OR p.product IN"
                f" (SELECT product FROM product_tags WHERE {_NOCASE('tag')} = {_NOCASE('%s')}))"
            )
            args += [query.tag, query.tag]
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
        select = _SELECT if query.parameters else _SELECT_LIGHT
        sql = f"SELECT {select} FROM plugins p{filtered} ORDER BY {order} LIMIT %s OFFSET %s"
        hydrate = functools.partial(self._hydrate, parameters=query.parameters)
        return self._stream(sql, [*args, query.limit, query.offset], hydrate)

    @_guarded
    def count(self, query: Query) -> int:
        filtered, args = self._filtered(query)
        return int(self._conn.execute(f"SELECT count(*) FROM plugins p{filtered}", args).fetchone()[0])  # type: ignore[index]

    def search(self, text: str, *, limit: int, raw: bool, query: Query | None = None) -> list[Plugin]:
        """See `CatalogBackend.search`; `raw` text is PostgreSQL's tsquery syntax (`'pro':* & !eq`).

        One statement, labels included (one snapshot without a transaction: one round trip)."""
        import psycopg

        if raw:
            _check_raw(text)
        expression = text if raw else tsquery(text)
        if not expression.strip():
            return []
        query = query or Query()
        filtered, args = self._filtered(query)
        # One machine's rows are found through its own words (`host_search`); raw text, whose words
        # could be anything, and every machine's rows are found without that index.
        found = ["p.search @@ q"]
        if not (raw or query.all_hosts):
            found.insert(0, "p.host_search @@ CAST(%s AS tsquery)")
            args.append(host_tsquery(schema.host_code(query.host or self.host), text))
        where = f"{filtered} AND " if filtered else " WHERE "
        select = _SELECT if query.parameters else _SELECT_LIGHT
        sql = (
            f"SELECT {select}, {_INLINE_LABELS} FROM (SELECT *, ts_rank('{_RANK_WEIGHTS}', p.search, q, 0) AS rank"
            f" FROM plugins p, CAST(%s AS tsquery) q{where}{' AND '.join(found)} ORDER BY rank DESC, p.pk LIMIT %s)"
            " p ORDER BY p.rank DESC, p.pk"
        )
        with self._errors_reported():
            try:
                rows = self._conn.execute(sql, (expression, *args, limit)).fetchall()
            except psycopg.errors.SyntaxError as exc:
                if not raw:
                    raise
                raise QueryError(
                    f"not a valid PostgreSQL tsquery: {str(exc).splitlines()[0]}",
                    where=repr(text),
                    fix="leave out --raw to search for the text as typed",
                ) from None
        return self._hydrate([row[:-5] for row in rows], labels=_Labels.inline(rows), parameters=query.parameters)

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
            " UNION SELECT tag FROM user_tags UNION SELECT tag FROM product_tags"
            " UNION SELECT unnest(param_names) FROM plugins WHERE host = %(h)s",
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
            "presets": one("SELECT count(*) FROM presets WHERE host = %(h)s"),
            "orphaned_presets": one(f"SELECT count(*) FROM presets s WHERE s.host = %(h)s AND {_ORPHANED}"),
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
        return self._retried(lambda: self._tag("user_tags", "plugin_id", plugin_id, tags))

    def untag(self, plugin_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        return self._retried(lambda: self._untag("user_tags", "plugin_id", plugin_id, tags))

    def tag_product(self, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        return self._retried(lambda: self._tag("product_tags", "product", key, tags))

    def untag_product(self, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        return self._retried(lambda: self._untag("product_tags", "product", key, tags))

    def _tag(self, table: str, column: str, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        """Add tags to a plugin id (`user_tags`) or a product key (`product_tags`)."""
        now = _now()
        self._conn.cursor().executemany(
            f"INSERT INTO {table} ({column}, tag, changed_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(key, tag, now) for tag in tags],
        )
        return self._refresh_tags(table, column, key)

    def _untag(self, table: str, column: str, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        self._conn.execute(
            f"DELETE FROM {table} WHERE {column} = %s AND {_NOCASE('tag')} = ANY(SELECT {_NOCASE('t')}"
            " FROM unnest(%s::text[]) t)",
            (key, list(tags)),
        )
        return self._refresh_tags(table, column, key)

    def _refresh_tags(self, table: str, column: str, key: str) -> tuple[str, ...]:
        """The tags `table` holds for a plugin id or product key, after making every machine's
        plugin row they label searchable by them."""
        where = "id = %s" if column == "plugin_id" else "product = %s"
        self._refresh_search(where, (key,))
        rows = self._conn.execute(
            f"SELECT tag FROM {table} WHERE {column} = %s ORDER BY {_NOCASE('tag')}, tag", (key,)
        ).fetchall()
        return tuple(tag for (tag,) in rows)

    def _refresh_search(self, where: str, args: Sequence[Any]) -> None:
        """Every machine's plugin rows that `where` selects searchable by their tags (own and product's)."""
        rows = self._conn.execute(f"SELECT DISTINCT id, product FROM plugins WHERE {where}", args).fetchall()
        labels = self._labels(rows)
        self._conn.cursor().executemany(
            _SET_TAGS.format("id = %(id)s AND product = %(product)s"),
            [
                {"tags": _tags_vector(labels.tags(plugin_id, product)), "id": plugin_id, "product": product}
                for plugin_id, product in rows
            ],
        )

    # -- products ------------------------------------------------------------------------

    @_guarded
    def product_keys(self, plugin_ids: Sequence[str] | None = None) -> dict[str, str]:
        sql = "SELECT id, product FROM plugins WHERE host = %s"
        args: list[Any] = [self.host]
        if plugin_ids is not None:
            sql += " AND id = ANY(%s)"
            args.append(list(plugin_ids))
        return dict(self._conn.execute(sql, args).fetchall())

    def group(self, plugin_ids: Sequence[str], key: str | None) -> None:
        """See `CatalogBackend.group`: on every machine's rows of these ids at once."""
        ids = sorted(set(plugin_ids))

        def group() -> None:
            if key is None:
                self._conn.execute("DELETE FROM product_links WHERE plugin_id = ANY(%s)", (ids,))
            else:
                now = _now()
                self._conn.cursor().executemany(
                    "INSERT INTO product_links (plugin_id, product, changed_at) VALUES (%s, %s, %s)"
                    " ON CONFLICT (plugin_id) DO UPDATE SET product = excluded.product,"
                    " changed_at = excluded.changed_at",
                    [(plugin_id, key, now) for plugin_id in ids],
                )
            self._restore("p.id = ANY(%s)", (ids,))  # with their new product's key and labels

        self._retried(group)

    @_guarded
    def product_categories(self) -> dict[str, str]:
        """Product key → the user's category of that product, for every categorized product."""
        return dict(self._conn.execute('SELECT product, name FROM product_categories ORDER BY product COLLATE "C"'))

    def categorize(self, plugin_id: str, category: str | None) -> None:
        """See `CatalogBackend.categorize`: on every machine's rows of this id at once."""
        self._retried(lambda: self._categorize("user_categories", "plugin_id", plugin_id, category, "p.id = %s"))

    def categorize_product(self, key: str, category: str | None) -> None:
        """See `CatalogBackend.categorize_product`: on every machine's rows of the product at once."""
        self._retried(lambda: self._categorize("product_categories", "product", key, category, "p.product = %s"))

    def _categorize(self, table: str, column: str, key: str, category: str | None, where: str) -> None:
        """Replace the user category of a plugin id (`user_categories`) or a product key
        (`product_categories`), then store again the plugin rows `where` (given `key`) selects."""
        self._conn.execute(f"DELETE FROM {table} WHERE {column} = %s", (key,))
        if category is not None:
            confidence = ", confidence" if table == "user_categories" else ""  # a product's has none of its own
            self._conn.execute(
                f"INSERT INTO {table} ({column}, name, changed_at{confidence})"
                f" VALUES (%s, %s, %s{', 1.0' if confidence else ''})",
                (key, category, _now()),
            )
        self._restore(where, (key,))

    def _restore(self, where: str, args: Sequence[Any]) -> None:
        """Store every machine's plugin rows `where` selects (a condition on `plugins p`) again as they
        were scanned, so what follows from their labels and product (the category columns, the search
        words) follows a change to those (`SQLiteBackend._restore`). The caller holds the transaction."""
        rows = self._conn.execute(
            f'SELECT p.host, {_SELECT} FROM plugins p WHERE {where} ORDER BY p.host COLLATE "C", p.id COLLATE "C"',
            args,
        ).fetchall()
        by_host: defaultdict[str, list[Any]] = defaultdict(list)
        for host, *row in rows:
            by_host[host].append(row)
        for host, held in by_host.items():
            self._insert_plugins(self._hydrate(held, labels=False), host)

    # -- presets -------------------------------------------------------------------------

    def _preset_rows(self, results: Iterable[FileResult]) -> Iterator[tuple[Any, ...]]:
        """`_PRESET_COLUMNS` rows of the presets these results carry, each with its file's fingerprint."""
        seen: set[tuple[str, str, str]] = set()
        for result in results:
            for preset in reversed(result.presets):  # a preset given twice: the last one counts
                if (result.file.path, preset.id, preset.plugin_id) in seen:
                    continue
                seen.add((result.file.path, preset.id, preset.plugin_id))
                data = converter.unstructure(attrs.evolve(preset, fingerprint=result.file.fingerprint))
                columns = [data.pop(field) for field in _PRESET_FIELDS]
                searched = (preset.name, preset.bank, preset.author, " ".join(preset.tags))
                yield (
                    self.host,
                    result.file.path,
                    *columns,
                    "\n".join(searched).casefold(),
                    tsvector(zip(searched, "ABCD", strict=True)),
                    host_vector(self._host_code, searched),
                    json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                )

    def _presets_filtered(self, query: PresetQuery) -> tuple[str, list[Any]]:
        """What follows `FROM presets s` for a preset query's filters: the WHERE clause, its arguments."""
        clauses: list[str] = []
        args: list[Any] = []
        if not query.all_hosts:
            clauses.append("s.host = %s")
            args.append(query.host or self.host)
        for clause, value in (
            ("s.plugin_id = %s", query.plugin_id),
            ("s.plugin_id = ANY(%s)", list(query.plugin_ids) if query.plugin_ids else None),
            ('s.format = %s COLLATE "C"', query.format),
            ('s.source = %s COLLATE "C"', query.source),
            (f"{_NOCASE('s.bank')} = {_NOCASE('%s')}", query.bank),
            ("strpos(s.folded, %s) > 0", None if query.text is None else query.text.casefold()),
        ):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        if query.orphaned is not None:
            clauses.append(_ORPHANED if query.orphaned else f"NOT {_ORPHANED}")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def presets(self, query: PresetQuery) -> Iterator[Preset]:
        filtered, args = self._presets_filtered(query)
        direction = " DESC" if query.reverse else ""
        keys = dict.fromkeys([*_PRESET_SORT_COLUMNS[query.sort], *_PRESET_TIES])
        order = ", ".join(f"{column}{direction}" for column in keys)
        sql = f"SELECT {_PRESET_SELECT} FROM presets s{filtered} ORDER BY {order} LIMIT %s OFFSET %s"
        return self._stream(sql, [*args, query.limit, query.offset], lambda rows, _conn: [_preset(r) for r in rows])

    @_guarded
    def count_presets(self, query: PresetQuery) -> int:
        filtered, args = self._presets_filtered(query)
        return int(self._conn.execute(f"SELECT count(*) FROM presets s{filtered}", args).fetchone()[0])  # type: ignore[index]

    @_guarded
    def search_presets(self, text: str, *, limit: int) -> list[Preset]:
        expression = tsquery(text)
        if not expression:
            return []
        rows = self._conn.execute(
            f"SELECT {_PRESET_SELECT} FROM presets s, CAST(%s AS tsquery) q WHERE {_THIS_MACHINE.format('s')}"
            f" ORDER BY ts_rank('{_RANK_WEIGHTS}', s.search, q, 0) DESC, s.pk LIMIT %s",
            (expression, self.host, host_tsquery(self._host_code, text), limit),
        ).fetchall()
        return [_preset(row) for row in rows]

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
    def host_names(self) -> list[str]:
        """Every machine in the catalogue, by name."""
        return [name for (name,) in self._conn.execute('SELECT name FROM hosts ORDER BY name COLLATE "C"')]

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

    @_guarded
    def product_differences(self, a: str, b: str) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
        """The products machines `a` and `b` do not have alike, grouped in SQL by each row's stored
        product key, in key order: (name and vendor of a plugin of it, on `a` when it has one;
        format → version on `a`; on `b`). A format held twice on one machine shows the version of
        the last id."""
        rows = self._conn.execute(
            """
            WITH versions AS (
                SELECT DISTINCT ON (host, product, format) host, product, format, version FROM plugins
                WHERE host IN (%(a)s, %(b)s) ORDER BY host, product, format, id COLLATE "C" DESC
            ), formats AS (
                SELECT host, product, jsonb_object_agg(format, version) AS formats FROM versions
                GROUP BY host, product
            ), differing AS (
                SELECT product, on_a.formats AS on_a, on_b.formats AS on_b
                FROM (SELECT product, formats FROM formats WHERE host = %(a)s) on_a
                FULL JOIN (SELECT product, formats FROM formats WHERE host = %(b)s) on_b USING (product)
                WHERE on_a.formats IS DISTINCT FROM on_b.formats
            )
            SELECT one.name, one.vendor, d.on_a, d.on_b FROM differing d CROSS JOIN LATERAL (
                SELECT name, vendor FROM plugins p WHERE p.host IN (%(a)s, %(b)s) AND p.product = d.product
                ORDER BY p.host <> %(a)s, p.id COLLATE "C" LIMIT 1
            ) one
            ORDER BY d.product COLLATE "C"
            """,
            {"a": a, "b": b},
        )
        return [(name, vendor, on_a or {}, on_b or {}) for name, vendor, on_a, on_b in rows]

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
            "plugins whose machine's search words are out of date": (
                f"SELECT count(*) FROM plugins WHERE host_search <> {schema.HOST_SEARCH.format('search')}"
            ),
            "presets whose machine's search words are out of date": (
                f"SELECT count(*) FROM presets WHERE host_search <> {schema.HOST_SEARCH.format('search')}"
            ),
            "presets from no stored file": (
                "SELECT count(*) FROM presets s WHERE NOT EXISTS"
                " (SELECT 1 FROM files f WHERE f.host = s.host AND f.path = s.file)"
            ),
            "plugins whose product is not their grouping": (
                "SELECT count(*) FROM plugins p JOIN product_links l ON l.plugin_id = p.id WHERE p.product <> l.product"
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
            for table in (
                "plugins", "plugin_copies", "file_plugins", "files", "failures", "user_tags", "presets",
                "product_links", "product_tags", "product_categories",
            ):  # fmt: skip
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
                    # The studio's groupings and product labels, as they are (not as each plugin's own).
                    grouped: defaultdict[str, list[str]] = defaultdict(list)
                    for plugin_id, key in self._conn.execute("SELECT plugin_id, product FROM product_links"):
                        grouped[key].append(plugin_id)
                    for key, plugin_ids in grouped.items():
                        copy.group(plugin_ids, key)
                    for key, tags in self._conn.execute("SELECT product, array_agg(tag) FROM product_tags GROUP BY 1"):
                        copy.tag_product(key, tags)
                    for key, name in self.product_categories().items():
                        copy.categorize_product(key, name)
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
        """This host's catalogue as scan results: every stored file with every copy and preset it holds,
        every quarantined file with its failure (what `write` would store again), own labels included."""
        by_path: defaultdict[str, list[Plugin]] = defaultdict(list)
        rows = self._conn.execute(f"SELECT {_SELECT} FROM plugins p WHERE p.host = %s", (self.host,)).fetchall()
        own = self._labels((row[2], row[1]) for row in rows)
        own.products.clear()  # each plugin with its own labels, not its product's
        own.product_categories.clear()
        for plugin in self._hydrate(rows, labels=own):
            by_path[plugin.path].append(plugin)
        for (record,) in self._conn.execute("SELECT record FROM plugin_copies WHERE host = %s", (self.host,)):
            copy = _decode(record)
            by_path[copy.path].append(copy)
        presets: defaultdict[str, list[Preset]] = defaultdict(list)
        for file, *row in self._conn.execute(
            f"SELECT s.file, {_PRESET_SELECT} FROM presets s WHERE s.host = %s", (self.host,)
        ):
            presets[file].append(_preset(row))
        results = [
            FileResult(
                file,
                plugins=tuple(sorted(by_path.get(path, ()), key=lambda p: p.id)),
                presets=tuple(presets.get(path, ())),
            )
            for path, file in sorted(self.stored_files().items())
        ]
        results += [
            FileResult(PluginFile(path, f.format, 0, 0, f.fingerprint), failure=f)
            for path, f in sorted(self.failures().items())
        ]
        return results


def _preset(row: Sequence[Any]) -> Preset:
    """A preset from its `_PRESET_SELECT` row."""
    *columns, data = row
    return converter.structure({**json.loads(data), **dict(zip(_PRESET_FIELDS, columns, strict=True))}, Preset)


def _idle() -> Any:
    import psycopg.pq

    return psycopg.pq.TransactionStatus.IDLE
