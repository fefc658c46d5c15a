"""The catalogue as one human-readable JSON file, rewritten atomically on every write.

It is held in an in-memory SQLite database with the SQLite backend's schema,
so every filter, sort and search means exactly what it means there; only
loading and saving are this module's. Every write rewrites the whole file
(temporary file, fsync, rename): fine for hand-sized catalogues, while large
ones belong in SQLite.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import cattrs

from pluginary.backends import sqlite_schema as schema
from pluginary.backends.sqlite import _PRESET_FROM, _PRESET_SELECT, SQLiteBackend, _decode, _preset, reserve_backup
from pluginary.core.errors import CatalogError
from pluginary.core.models import Category, CategorySource, Plugin, PluginFile, Preset, ScanFailure, converter

#: Tells a Pluginary catalogue from any other JSON document.
FORMAT = "pluginary-catalog"
#: The document's own version (written as `schema_version`), independent of the SQLite
#: schema's: the document holds the models as the converter writes them, so a new table
#: layout must not make an older Pluginary refuse it. Version 2 added presets, product
#: groupings, product tags and product categories (a version-1 document reads as having none).
FORMAT_VERSION = 2


@attrs.frozen
class Labels:
    """What the user said about one plugin id (kept even while the plugin is gone)."""

    tags: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()


@attrs.frozen
class Snapshot:
    """The file's content."""

    format: str
    schema_version: int
    plugins: tuple[Plugin, ...] = ()
    files: tuple[PluginFile, ...] = ()
    failures: tuple[ScanFailure, ...] = ()
    user_labels: dict[str, Labels] = attrs.Factory(dict)
    runs: tuple[dict[str, Any], ...] = ()
    #: The other installed copies of plugins that are in `plugins` (see SQLiteBackend.write).
    other_copies: tuple[Plugin, ...] = ()
    #: Stored file path → the presets it carried.
    presets: dict[str, tuple[Preset, ...]] = attrs.Factory(dict)
    #: The user's groupings: plugin id → product key.
    product_links: dict[str, str] = attrs.Factory(dict)
    #: Product key → the user's tags of that product.
    product_tags: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    #: Product key → the user's category of that product.
    product_categories: dict[str, str] = attrs.Factory(dict)


class JSONBackend(SQLiteBackend):
    """A catalogue in one JSON file; see `pluginary.catalog.CatalogBackend`."""

    default_filename: ClassVar[str] = "catalog.json"
    file_version: ClassVar[int] = FORMAT_VERSION

    def __init__(
        self, path: Path | str, *, read_only: bool = False, create: bool = True, exclusive: bool = False
    ) -> None:
        snapshot = _read(Path(path))  # refuses a corrupt or foreign file before anything else
        if snapshot is None and (read_only or not create):
            raise CatalogError(
                "no catalogue here" if not Path(path).exists() else "an empty file, not a catalogue yet",
                where=str(path),
                fix="run `pluginary scan` first, or pass --catalog PATH",
            )
        super().__init__(path, read_only=read_only, create=create, exclusive=exclusive)
        if snapshot is not None:
            with self._atomic():
                self._load(snapshot)
        else:
            self._save()

    def _connect(self) -> sqlite3.Connection:
        if not self.read_only:
            self._require_writable()
        self._conn = sqlite3.connect(":memory:", isolation_level=None)
        self._conn.execute("PRAGMA foreign_keys = ON")
        with self._atomic():
            schema.create(self._conn)
        return self._conn

    def _committed(self) -> None:
        self._save()

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        # The in-memory copy is this process's alone: nothing else writes it.
        yield self._conn

    def _load(self, snapshot: Snapshot) -> None:
        self._conn.executemany(
            "INSERT INTO user_tags (plugin_id, tag) VALUES (?, ?)",
            [(plugin_id, tag) for plugin_id, labels in snapshot.user_labels.items() for tag in labels.tags],
        )
        self._conn.executemany(
            "INSERT INTO user_categories (plugin_id, name, confidence) VALUES (?, ?, ?)",
            [
                (plugin_id, category.name, category.confidence)
                for plugin_id, labels in snapshot.user_labels.items()
                for category in labels.categories
            ],
        )
        self._conn.executemany(
            "INSERT INTO product_links (plugin_id, product) VALUES (?, ?)", snapshot.product_links.items()
        )
        self._conn.executemany(
            "INSERT INTO product_tags (product, tag) VALUES (?, ?)",
            [(key, tag) for key, tags in snapshot.product_tags.items() for tag in tags],
        )
        self._conn.executemany(
            "INSERT INTO product_categories (product, name) VALUES (?, ?)", snapshot.product_categories.items()
        )
        # Without the user's labels they show: `user_labels` holds their own, and their product's are not theirs.
        self._insert_plugins(
            attrs.evolve(
                plugin, tags=(), categories=tuple(c for c in plugin.categories if c.source is not CategorySource.USER)
            )
            for plugin in snapshot.plugins
        )
        self._place(snapshot.other_copies)
        for file, presets in snapshot.presets.items():
            self._insert_presets(file, presets)
        self._db.table("files").insert_all(converter.unstructure(file) for file in snapshot.files)
        stored = {file.path for file in snapshot.files}
        self._conn.executemany(
            "INSERT OR IGNORE INTO file_plugins (path, plugin_id) VALUES (?, ?)",
            [(p.path, p.id) for p in (*snapshot.plugins, *snapshot.other_copies) if p.path in stored],
        )
        for failure in snapshot.failures:
            self._put_failure(failure)
        self._db.table("runs").insert_all(
            {"started_at": str(run.get("started_at", "")), "data": json.dumps(run, default=str)}
            for run in snapshot.runs
        )

    def _snapshot(self) -> Snapshot:
        labels: dict[str, Labels] = {}
        for plugin_id, tags in self._conn.execute(
            "SELECT plugin_id, json_group_array(tag) FROM user_tags GROUP BY plugin_id"
        ):
            labels[plugin_id] = Labels(tags=tuple(sorted(json.loads(tags))))
        for plugin_id, name, confidence in self._conn.execute(
            "SELECT plugin_id, name, confidence FROM user_categories ORDER BY plugin_id, name"
        ):
            found = labels.get(plugin_id, Labels())
            category = Category(name, CategorySource.USER, confidence)
            labels[plugin_id] = attrs.evolve(found, categories=(*found.categories, category))
        presets: defaultdict[str, list[Preset]] = defaultdict(list)
        for file, *row in self._conn.execute(
            f"SELECT s.file, {_PRESET_SELECT} FROM {_PRESET_FROM} ORDER BY s.file, s.pk"
        ):
            presets[file].append(_preset(row))
        return Snapshot(
            format=FORMAT,
            schema_version=FORMAT_VERSION,
            plugins=tuple(self.plugins()),
            files=tuple(sorted(self.stored_files().values(), key=lambda file: file.path)),
            failures=tuple(sorted(self.failures().values(), key=lambda failure: failure.path)),
            user_labels=dict(sorted(labels.items())),
            runs=tuple(json.loads(data) for (data,) in self._conn.execute("SELECT data FROM runs ORDER BY id")),
            other_copies=tuple(
                _decode(record)
                for (record,) in self._conn.execute("SELECT record FROM plugin_copies ORDER BY plugin_id, path")
            ),
            presets={file: tuple(held) for file, held in presets.items()},
            product_links=dict(self._conn.execute("SELECT plugin_id, product FROM product_links ORDER BY plugin_id")),
            product_tags=self.product_tags(),
            product_categories=self.product_categories(),
        )

    def _save(self) -> None:
        """Write the file whole: temporary file, fsync, rename, fsync the folder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as stream:
                for chunk in _encode(self._snapshot()):
                    stream.write(chunk)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    # -- maintenance: the file, not the in-memory copy, is what can be damaged ----------

    def check(self) -> list[str]:
        try:
            _read(self.path)
        except CatalogError as exc:
            return [exc.what]
        return super().check()

    def vacuum(self) -> None:
        with self._transaction():  # refused when read-only; afterwards the file is rewritten whole
            pass

    def backup(self, dest: Path) -> None:
        dest = Path(dest)
        partial = reserve_backup(dest)
        try:
            with partial.open("w", encoding="utf-8") as stream:
                for chunk in _encode(self._snapshot()):
                    stream.write(chunk)
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)


def _encode(snapshot: Snapshot) -> Iterator[str]:
    return json.JSONEncoder(indent=1, ensure_ascii=False).iterencode(converter.unstructure(snapshot))


def _read(path: Path) -> Snapshot | None:
    """The catalogue in `path`, None when there is none yet; CatalogError when the file
    is not one this version can read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read the catalogue ({exc})", where=str(path), fix=schema.RECOVERY) from exc
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})", where=str(path), fix=schema.RECOVERY
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CatalogError("JSON, but not a Pluginary catalogue", where=str(path), fix=schema.RECOVERY)
    version = document.get("schema_version")
    if not isinstance(version, int):
        raise CatalogError("the catalogue has no schema_version", where=str(path), fix=schema.RECOVERY)
    schema.check_version(version, path, newest=FORMAT_VERSION)
    try:
        return converter.structure(document, Snapshot)
    except cattrs.BaseValidationError as exc:
        detail = "; ".join(cattrs.transform_error(exc)[:3])
        raise CatalogError(f"the catalogue is damaged ({detail})", where=str(path), fix=schema.RECOVERY) from exc
