"""The PostgreSQL catalogue's schema, its version, and how older databases are upgraded.

One database holds a fleet: every machine's plugins, files, failures and runs are
keyed by `host`, so machines scanning at once write disjoint rows and never wait for
each other (no table lock, no global one). What the user says about a plugin (tags,
categories) is keyed by plugin id alone: it holds on every machine, as on one.

Search needs no extension: the backend builds each row's `tsvector` itself (words
folded and stripped of accents in Python, each field with its weight), so the
database's locale and text-search configuration change nothing, and prefix queries
(`'rev':*`) mean what SQLite's FTS5 word prefixes mean.

The GIN index is on `host_search`: the same words, each behind its machine's code
(`host_code`: `1288b4c1.reverb`), without positions. A search asks it for this machine's
words only, so `'mix':*` reads one machine's 2,000 entries, not twenty machines' 40,000 (a
prefix is never skipped through: every entry it matches is read); the weighted, positioned
`search` then ranks and checks phrases on the few rows found.

Versions (numbered apart from SQLite's):

1. The first: plugins with their search vector and packed parameters in one row
   (`sqlite_schema.pack_parameters`), every installed copy (`file_plugins`,
   `plugin_copies`), hosts, and user labels stamped with when they changed (for
   merging catalogues: the newest change wins).
2. Presets (`presets`: per host, each owned by the stored file that carried it, with its search
   vector), each plugin row's product key (`plugins.product`), the user's groupings
   (`product_links`, by plugin id, shared by every host), product tags (`product_tags`) and
   product categories (`product_categories`); the search index moves to `host_search`. Every
   record of v1 is kept; the migration gives each plugin the rule's product key and its `host_search`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pluginary.core.models import Plugin
from pluginary.core.products import product_of

if TYPE_CHECKING:
    import psycopg

#: Bump with a new entry in MIGRATIONS.
SCHEMA_VERSION = 2
APPLICATION = "pluginary"

#: Taken (per transaction) while creating or upgrading, so that eight machines opening a
#: new database at once create it once. Any constant; this one spells "plgn".
CREATE_LOCK = 0x706C676E

#: NOCASE as SQLite means it (ASCII letters only), for sorting and comparing.
NOCASE = 'lower(({0}) COLLATE "C")'

#: The most (kB) a GIN index holds unmerged; see `_PRESETS_PRODUCTS_V2`.
GIN_PENDING_KB = 256

#: What version 2 adds (its migration runs the same statements, so a new database and an
#: upgraded one have one layout).
_PRESETS_PRODUCTS_V2 = f"""
-- Each plugin row's product key (`pluginary.core.products`): the user's grouping, else the rule's.
-- Fleet questions group by it in SQL. (The default only serves the ALTER; every write sets it.)
ALTER TABLE plugins ADD COLUMN product text NOT NULL DEFAULT '';
CREATE INDEX plugins_host_product ON plugins (host, product);
CREATE INDEX plugins_product ON plugins (product);

-- Search finds a machine's rows by its own words (see the module's docstring); `search` ranks.
ALTER TABLE plugins ADD COLUMN host_search tsvector NOT NULL DEFAULT '';
DROP INDEX plugins_search;
CREATE INDEX plugins_host_search ON plugins USING gin (host_search) WITH (gin_pending_list_limit = {GIN_PENDING_KB});
-- A GIN index keeps new entries in a pending list that every search reads through until it
-- is merged (4 MB by default: ~430 pages read by each search after a scan). Kept small, it
-- is merged often, a little at a time.
ALTER INDEX plugins_category_keys SET (gin_pending_list_limit = {GIN_PENDING_KB});
ALTER INDEX plugins_param_keys SET (gin_pending_list_limit = {GIN_PENDING_KB});

-- The user's grouping of a plugin id into a product, on every machine; kept by id so it
-- survives rescans, removal and reinstalling.
CREATE TABLE product_links (plugin_id text PRIMARY KEY, product text NOT NULL, changed_at text NOT NULL);

-- The user's tags of a product: every plugin of it shows them, one installed later too.
CREATE TABLE product_tags (product text NOT NULL, tag text NOT NULL, changed_at text NOT NULL);
CREATE UNIQUE INDEX product_tags_key ON product_tags (product, {NOCASE.format("tag")});
CREATE INDEX product_tags_tag ON product_tags ({NOCASE.format("tag")}, product);

-- The user's category of a product: every plugin of it without a user category of its own shows
-- it first, one installed later too.
CREATE TABLE product_categories (product text PRIMARY KEY, name text NOT NULL, changed_at text NOT NULL);

-- One row per preset and plugin it applies to, per machine, owned by the stored file that
-- carried it (`file`; a factory program's is its plugin's bundle): writing or removing that
-- file replaces or drops them. The fields without a column are JSON in `data`.
CREATE TABLE presets (
    pk bigserial PRIMARY KEY,
    host text NOT NULL,
    file text NOT NULL,
    id text NOT NULL,
    plugin_id text NOT NULL,
    name text NOT NULL,
    format text NOT NULL,
    source text NOT NULL,
    bank text NOT NULL,
    folded text NOT NULL,              -- name, bank, author and tags case-folded: the `text` filter
    search tsvector NOT NULL,          -- name, bank, author, tags, weighted in that order
    host_search tsvector NOT NULL,     -- its words behind its machine's code (`host_code`)
    data text NOT NULL,
    UNIQUE (host, file, id, plugin_id)
);
CREATE INDEX presets_plugin ON presets (host, plugin_id);
CREATE INDEX presets_name ON presets (host, {NOCASE.format("name")}, plugin_id, id);
CREATE INDEX presets_host_search ON presets USING gin (host_search) WITH (gin_pending_list_limit = {GIN_PENDING_KB});
"""

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
{_PRESETS_PRODUCTS_V2}"""


def host_code(host: str) -> str:
    """What prefixes a machine's words in `host_search`: `left(md5(host), 8)` (`HOST_SEARCH`)."""
    return hashlib.md5(host.encode(), usedforsecurity=False).hexdigest()[:8]


#: `host_search` of a row whose positioned vector is `{0}` (and machine `host`); see `host_code`.
HOST_SEARCH = "array_to_tsvector(ARRAY(SELECT left(md5(host), 8) || '.' || w FROM unnest(tsvector_to_array({0})) w))"


def rule_products(conn: psycopg.Connection, where: str, args: Sequence[Any] = ()) -> None:
    """Give the plugin rows `where` selects the rule's product key (`product_of`)."""
    rows = conn.execute(f"SELECT pk, id, format, name, path, vendor FROM plugins WHERE {where}", args).fetchall()
    conn.cursor().executemany(
        "UPDATE plugins SET product = %s WHERE pk = %s",
        [
            (product_of(Plugin(plugin_id, fmt, name, path, vendor)), pk)
            for pk, plugin_id, fmt, name, path, vendor in rows
        ],
    )


def _v1_to_v2(conn: psycopg.Connection) -> None:
    """Add the preset and product tables; give every stored plugin the rule's product key and its
    `host_search`."""
    for statement in statements(_PRESETS_PRODUCTS_V2):
        conn.execute(statement)
    rule_products(conn, "TRUE")
    conn.execute(f"UPDATE plugins SET host_search = {HOST_SEARCH.format('search')}")


#: version N → the step that upgrades a version-N database to N+1, in the same transaction.
MIGRATIONS: dict[int, Callable[[psycopg.Connection], None]] = {1: _v1_to_v2}


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
