"""The PostgreSQL catalogue's schema, its version, and how older databases are upgraded.

One database holds a fleet: every machine's plugins, files, failures and runs are
keyed by `host`, so machines scanning at once write disjoint rows and never wait for
each other (no table lock, no global one). What the user says about a plugin (tags,
categories) is keyed by plugin id alone: it holds on every machine, as on one.

Search needs no extension: the backend builds each row's `tsvector` itself (words
folded and stripped of accents in Python, each field with its weight), so the
database's locale and text-search configuration change nothing, and prefix queries
(`'rev':*`) mean what SQLite's FTS5 word prefixes mean.

Versions (numbered apart from SQLite's):

1. The first: plugins with their search vector and packed parameters in one row
   (`sqlite_schema.pack_parameters`), every installed copy (`file_plugins`,
   `plugin_copies`), hosts, and user labels stamped with when they changed (for
   merging catalogues: the newest change wins).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

#: Bump with a new entry in MIGRATIONS.
SCHEMA_VERSION = 1
APPLICATION = "pluginary"

#: Taken (per transaction) while creating or upgrading, so that eight machines opening a
#: new database at once create it once. Any constant; this one spells "plgn".
CREATE_LOCK = 0x706C676E

#: NOCASE as SQLite means it (ASCII letters only), for sorting and comparing.
NOCASE = 'lower(({0}) COLLATE "C")'

SCHEMA = f"""
CREATE TABLE metadata (key text PRIMARY KEY, value text NOT NULL);

-- Each machine that ever wrote here, and when it last stored a scan.
CREATE TABLE hosts (
    name text PRIMARY KEY,
    os text NOT NULL DEFAULT '',
    first_seen text NOT NULL,
    last_scanned text NOT NULL DEFAULT ''
);

-- One row per plugin class per machine: what filters, sorting and search read, and the
-- rest of the record (`data`: JSON; `packed`: the parameters).
CREATE TABLE plugins (
    pk bigserial PRIMARY KEY,
    host text NOT NULL,
    id text NOT NULL,
    format text NOT NULL,
    name text NOT NULL,
    vendor text NOT NULL,
    path text NOT NULL,
    version text NOT NULL,
    is_instrument boolean NOT NULL,
    is_effect boolean NOT NULL,
    scanned_at text NOT NULL,
    category text NOT NULL,            -- the first (best) category, for sorting
    categories text[] NOT NULL,        -- its own categories, user ones first
    category_keys text[] NOT NULL,     -- folded: its own and every level above them
    param_count integer NOT NULL,
    param_names text[] NOT NULL,
    param_keys text[] NOT NULL,        -- folded, for the has-param filter
    base_search tsvector NOT NULL,     -- the record's words, weighted
    search tsvector NOT NULL,          -- base_search and the user's tags
    data text NOT NULL,
    packed bytea NOT NULL,
    UNIQUE (host, id)
);
CREATE INDEX plugins_host_path ON plugins (host, path);
CREATE INDEX plugins_id ON plugins (id);
CREATE INDEX plugins_name ON plugins ({NOCASE.format("name")}, id);
CREATE INDEX plugins_host_name ON plugins (host, {NOCASE.format("name")}, id);
CREATE INDEX plugins_vendor ON plugins ({NOCASE.format("vendor")});
CREATE INDEX plugins_format ON plugins (format);
CREATE INDEX plugins_params ON plugins (param_count);
CREATE INDEX plugins_search ON plugins USING gin (search);
CREATE INDEX plugins_category_keys ON plugins USING gin (category_keys);
CREATE INDEX plugins_param_keys ON plugins USING gin (param_keys);

-- Which plugin ids each stored file yielded, and the other installed copies of a plugin on
-- the same machine (see SQLiteBackend.write: `plugins` holds the preferred copy).
CREATE TABLE file_plugins (
    host text NOT NULL,
    path text NOT NULL,
    plugin_id text NOT NULL,
    PRIMARY KEY (host, path, plugin_id)
);
CREATE TABLE plugin_copies (
    host text NOT NULL,
    plugin_id text NOT NULL,
    path text NOT NULL,
    record text NOT NULL,
    PRIMARY KEY (host, plugin_id, path)
);
CREATE INDEX plugin_copies_path ON plugin_copies (host, path);

-- What the user said about a plugin id, on every machine; `changed_at` decides merges.
CREATE TABLE user_tags (
    plugin_id text NOT NULL,
    tag text NOT NULL,
    changed_at text NOT NULL
);
CREATE UNIQUE INDEX user_tags_key ON user_tags (plugin_id, {NOCASE.format("tag")});
CREATE INDEX user_tags_tag ON user_tags ({NOCASE.format("tag")}, plugin_id);
CREATE TABLE user_categories (
    plugin_id text NOT NULL,
    name text NOT NULL,
    confidence double precision NOT NULL,
    changed_at text NOT NULL,
    PRIMARY KEY (plugin_id, name)
);

CREATE TABLE files (
    host text NOT NULL,
    path text NOT NULL,
    format text NOT NULL,
    size bigint NOT NULL,
    mtime_ns bigint NOT NULL,
    fingerprint text NOT NULL,
    PRIMARY KEY (host, path)
);

CREATE TABLE failures (
    host text NOT NULL,
    path text NOT NULL,
    format text NOT NULL,
    fingerprint text NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    signal integer,
    exit_code integer,
    attempts integer NOT NULL,
    first_seen text NOT NULL,
    last_seen text NOT NULL,
    PRIMARY KEY (host, path)
);

CREATE TABLE runs (id bigserial PRIMARY KEY, host text NOT NULL, started_at text NOT NULL, data text NOT NULL);
CREATE INDEX runs_host ON runs (host, started_at);
"""

#: version N → the step that upgrades a version-N database to N+1, in the same transaction.
MIGRATIONS: dict[int, Callable[[psycopg.Connection], None]] = {}


def statements(script: str) -> list[str]:
    """The DDL's statements (no function bodies here, so `;` ends each)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def stored_version(conn: psycopg.Connection) -> int | None:
    """The schema version in the connection's schema; None when it holds no table at all.

    Raises ValueError when it holds tables but is not a Pluginary catalogue.
    """
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    if not tables:
        return None
    if "metadata" not in tables:
        raise ValueError("a database, but not a Pluginary catalogue")
    meta: dict[str, str] = dict(conn.execute("SELECT key, value FROM metadata").fetchall())
    if meta.get("application") != APPLICATION or not str(meta.get("schema_version", "")).isdigit():
        raise ValueError("a database, but not a Pluginary catalogue")
    return int(meta["schema_version"])


def create(conn: psycopg.Connection) -> None:
    """Create every table of the current schema; the caller holds the transaction."""
    for statement in statements(SCHEMA):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO metadata (key, value) VALUES ('application', %s), ('schema_version', %s)",
        (APPLICATION, str(SCHEMA_VERSION)),
    )


def migrate(conn: psycopg.Connection, version: int) -> None:
    """Upgrade a version-`version` database to SCHEMA_VERSION; the caller holds the transaction."""
    for step in range(version, SCHEMA_VERSION):
        MIGRATIONS[step](conn)
    conn.execute("UPDATE metadata SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
