"""The small interfaces a component implements: a format, a backend, a categorizer, an exporter.

A third party writes one of these in a page and registers it under the matching
entry-point group (`pluginary.formats`, `pluginary.backends`,
`pluginary.categorizers`, `pluginary.exporters`); the pipeline names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs

from pluginary.core.models import Category, FileResult, Plugin, PluginFile, Preset, ScanFailure
from pluginary.core.query import PresetQuery, Query


@attrs.frozen
class ScanSettings:
    """What a format's `scan` may be asked to do beyond the cheap default."""

    deep: bool = False  # probe every parameter's value texts (slow: ~1000 probes each)
    warmup: bool = False  # let instruments warm up (pedalboard's initialization_timeout)
    metadata_only: bool = False  # read what the bundle declares; instantiate nothing
    presets: bool = True  # read the presets a bundle carries (off: `discover: {presets: false}`)


@runtime_checkable
class PluginFormat(Protocol):
    """A plugin format: where its plugins live and how to read one bundle.

    `scan` runs inside a worker process, never in the parent: it may load the
    plugin's binary, and the binary may crash or hang.
    """

    name: ClassVar[str]
    #: A file or folder whose name ends with one of these is one bundle; discover
    #: does not descend into it.
    bundle_suffixes: ClassVar[tuple[str, ...]]

    def default_roots(self) -> list[Path]:
        """The standard folders of this platform (and environment) to search."""
        ...

    def signature_files(self, bundle: Path) -> Sequence[str | Path]:
        """The files whose size and mtime identify a version of the bundle.

        Candidates are fine: missing ones are skipped, and a bundle with none
        is fingerprinted by its own stat.
        """
        ...

    def scan(self, bundle: Path, settings: ScanSettings) -> Sequence[Plugin | Preset]:
        """Every plugin in the bundle, and the presets it carries when `settings.presets` (a bundle
        of presets only yields just those); raise an exception with a clear message on failure."""
        ...


@runtime_checkable
class PresetFiles(Protocol):
    """A format whose presets also live in files of their own, outside any bundle (.vstpreset,
    .aupreset). Optional: discover finds these files under `preset_roots()` as it finds bundles,
    diff compares them like bundles, and the worker reads each changed one with `read_presets`.
    """

    #: A file whose name ends with one of these (lower case) is one preset file.
    preset_suffixes: ClassVar[tuple[str, ...]]

    def preset_roots(self) -> list[Path]:
        """The standard preset folders of this platform (user, shared, factory)."""
        ...

    def read_presets(self, path: Path) -> list[Preset]:
        """The presets in one file, parsed and bounded; no plugin code runs. A file that cannot be
        read is logged at WARNING (the run shows it) and gives []: never a failed plugin."""
        ...


@runtime_checkable
class Backend(Protocol):
    """Catalogue storage. The write side below is what the pipeline needs;
    `CatalogBackend` adds the queries."""

    #: File name used in the user data dir when the pipeline gives no path.
    default_filename: ClassVar[str]

    def stored_files(self) -> dict[str, PluginFile]:
        """Every successfully scanned file, keyed by path (what diff compares)."""
        ...

    def failures(self) -> dict[str, ScanFailure]:
        """Every quarantined file, keyed by path."""
        ...

    def write(self, results: Sequence[FileResult]) -> list[str]:
        """Store a batch in one transaction; return warnings for the run summary ([] if none).

        A result with plugins or presets replaces whatever the file held before
        (plugins and presets) and clears its failure; a result with a failure removes the file's plugins and
        records the failure. User tags and user categories survive both. A plugin
        id held by several files (installed twice) keeps every copy and shows the
        preferred one; each such plugin is one warning.
        """
        ...

    def remove(self, paths: Sequence[str]) -> None:
        """Forget files that are gone from disk: their plugins, presets, file rows and failures."""
        ...

    def record_run(self, run: dict[str, Any]) -> None:
        """Append one run's summary to the history."""
        ...

    def plugins(self) -> Iterator[Plugin]:
        """Every stored plugin, lazily, ordered by id."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class CatalogBackend(Backend, Protocol):
    """A backend the query side can use: the pipeline's write side plus queries.

    Every method returning plugins builds them with their user tags and their
    product's tags (together, sorted; the `tag` filter and search see both) and user
    categories (its own, else its product's; first, then the others in stored order).
    """

    path: Path
    read_only: bool
    #: (old, new) schema version when opening upgraded the file, else None.
    migrated: tuple[int, int] | None

    def query(self, query: Query) -> Iterator[Plugin]:
        """The plugins `query` selects, in its order and page, built as they are iterated."""
        ...

    def count(self, query: Query) -> int:
        """How many plugins `query`'s filters select, ignoring its page."""
        ...

    def search(self, text: str, *, limit: int, raw: bool, query: Query | None = None) -> list[Plugin]:
        """Full-text search, best first, at most `limit`. `text` is taken literally unless `raw`, when
        it is the backend's own query syntax; a syntax error there is a QueryError. `query`'s filters
        and machine narrow what is searched, and its `parameters` says whether the plugins come with
        theirs (its order and page are not used)."""
        ...

    def get(self, plugin_id: str) -> Plugin | None: ...

    def named(self, name: str) -> list[Plugin]:
        """Plugins whose name is `name`, ignoring case, by id."""
        ...

    def vocabulary(self) -> list[str]:
        """Every distinct name, vendor, category, tag and parameter name (for suggestions)."""
        ...

    def stats(self) -> dict[str, Any]:
        """See `Catalog.stats`."""
        ...

    def presets(self, query: PresetQuery) -> Iterator[Preset]:
        """The presets `query` selects, in its order and page, with `fingerprint` and `host` filled."""
        ...

    def count_presets(self, query: PresetQuery) -> int:
        """How many presets `query`'s filters select, ignoring its page."""
        ...

    def search_presets(self, text: str, *, limit: int) -> list[Preset]:
        """Presets whose name, bank, author or tags match `text` (words, taken literally, as
        `search`), best first."""
        ...

    def product_keys(self, plugin_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Plugin id → its product key (`pluginary.core.products`): the user's grouping where there is
        one, else `product_of`'s rule, stored with the plugin when it is written. For the given
        plugins, or every plugin when None."""
        ...

    def group(self, plugin_ids: Sequence[str], key: str | None) -> None:
        """The user's grouping: put these plugin ids in product `key` (None: back to the rule's key).
        Kept by plugin id, so it survives rescans, removal and reinstalling."""
        ...

    def tag_product(self, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        """Add user tags to a product: every plugin of it shows them (one installed later too).
        Returns the product's own tags afterwards."""
        ...

    def untag_product(self, key: str, tags: Sequence[str]) -> tuple[str, ...]:
        """Remove a product's own tags (a plugin's own tags stay); returns the product's tags afterwards."""
        ...

    def tag(self, plugin_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        """Add user tags to a plugin id; returns its tags afterwards."""
        ...

    def categorize(self, plugin_id: str, category: str | None) -> None:
        """Set a plugin id's one user category (None: clear it). It is shown first among the plugin's
        categories (source USER, confidence 1.0), and the category filter, search, stats and exports
        see it; kept by id, so it survives rescans, removal and reinstalling. The name is not checked
        here (`Catalog.categorize` checks it against the taxonomy)."""
        ...

    def categorize_product(self, key: str, category: str | None) -> None:
        """Set a product's user category (None: clear it): every plugin of it without a user category
        of its own shows it as its own (one installed later too)."""
        ...

    def untag(self, plugin_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        """Remove user tags from a plugin id; returns its tags afterwards."""
        ...

    def check(self) -> list[str]:
        """Problems found in the stored catalogue, one line each; empty when healthy."""
        ...

    def vacuum(self) -> None:
        """Rebuild indexes and reclaim free space."""
        ...

    def backup(self, dest: Path) -> None:
        """Write a consistent copy to `dest`, which must not exist yet."""
        ...


@runtime_checkable
class Categorizer(Protocol):
    """Places a plugin in the Pluginary taxonomy."""

    name: ClassVar[str]

    def categorize(self, plugin: Plugin) -> list[Category]:
        """Categories this categorizer is willing to give, best first; may be empty."""
        ...


@attrs.frozen
class OutputFile:
    """One file an exporter wants written, with its whole content."""

    path: Path
    content: bytes


@runtime_checkable
class Exporter(Protocol):
    """Renders plugin lists; the export stage writes them (atomically, with
    backups and `--dry-run` diffs), so an exporter never touches the disk
    except to read a file it merges into.

    An exporter may also declare `options_class`, an attrs class of its options (bool, int and
    str fields with defaults): a pipeline's `options:` for it are then checked when the pipeline
    loads, each mistake with its file:line:col, before anything is scanned.
    """

    name: ClassVar[str]

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        """The files to write for `path` (a file or folder, as the exporter documents)."""
        ...


@runtime_checkable
class PresetExporter(Protocol):
    """An exporter that writes presets too. Optional: the export stage calls `render_with_presets`
    when an exporter has it and `render` otherwise, so an exporter written before presets works
    unchanged, and one that has no use for presets never costs their reading."""

    def render_with_presets(
        self, plugins: Iterable[Plugin], presets: Iterable[Preset], path: Path, options: dict[str, Any]
    ) -> list[OutputFile]:
        """As `Exporter.render`, with every stored preset of the machine (orphans included, any order)."""
        ...


@attrs.frozen
class PluginReference:
    """One plugin a DAW project uses, as the project stores it (nothing here is trusted)."""

    #: vst3, vst2, lv2, clap, au, ladspa, …, or the DAW's own kind (luaproc, jsfx).
    format: str
    #: The catalogue id the plugin has when installed: `vst3:<CID>`, `lv2:<URI>`, `clap:<id>`,
    #: `au:<type>-<subtype>-<manufacturer>`, `vst2:<unique id>`; empty when the project stores none.
    id: str
    #: The name as the DAW shows it.
    name: str
    vendor: str = ""
    #: Where in the project: the track (or bus) the plugin sits on.
    location: str = ""
    #: The reference as found in the file (one line, shortened), for a human to check.
    raw: str = ""
    #: False for what the DAW runs itself (Ardour's Lua processors, REAPER's JSFX): no catalogue
    #: holds those, so they are listed and not checked.
    external: bool = True


@runtime_checkable
class ProjectReader(Protocol):
    """Reads one kind of DAW project and says which plugins it uses.

    A project file is hostile input: a reader never loads a plugin, never opens a file the
    project names, refuses DTDs and entities in XML, and reads a bounded amount
    (`pluginary.projects.common` has the bounded readers the built-ins use).
    """

    name: ClassVar[str]
    #: A file whose name ends with one of these (lower case, with the dot) is this reader's.
    suffixes: ClassVar[tuple[str, ...]]

    def sniff(self, head: bytes) -> bool:
        """True when a file's first bytes (up to 4 KiB) look like this reader's kind of project;
        asked only when no reader claims the file's suffix."""
        ...

    def read(self, path: Path) -> list[PluginReference]:
        """Every plugin the project uses, in the project's order; a PluginaryError saying what
        and where when the file cannot be read as this kind of project."""
        ...
