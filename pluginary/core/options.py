"""The options each stage accepts in a pipeline file, with their built-in defaults.

These classes are the schema the pipeline loader validates against: a key that
is not a field here is an unknown option, a value that does not structure into
the field's type is a wrong type, and a number outside its field's `Bounds` is
out of range. The bounds are attrs validators, so every way of making options
(a pipeline file, the config file, the environment, `--set`, Python) is checked
by the same code; the loader adds where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NewType

import attrs

from pluginary.core.errors import CatalogError
from pluginary.core.fleet import is_database_url

#: A number of worker processes; "auto" in a pipeline file (stored as 0) means one per core.
WorkerCount = NewType("WorkerCount", int)

#: A day: no plugin needs longer to load, and a longer deadline is a typo that hangs a scan.
MAX_SECONDS = 24 * 3600


@attrs.frozen
class Bounds:
    """An attrs validator: a finite number from `low` (excluded when `above`) to `high`.

    A deadline of 0 fails every plugin, NaN never expires and a negative batch
    size stores nothing: each is refused before anything runs.
    """

    low: float
    high: float = math.inf
    #: `low` itself is refused (a deadline must be more than 0 s).
    above: bool = False
    unit: str = ""

    def __call__(self, _instance: object, _attribute: attrs.Attribute[Any], value: float) -> None:
        finite = not isinstance(value, float) or math.isfinite(value)
        if not finite or (value <= self.low if self.above else value < self.low) or value > self.high:
            shown = repr(value) if len(repr(value)) <= 20 else f"{repr(value)[:20]}…"
            raise ValueError(f"must be {self}, got {shown}")

    def __str__(self) -> str:
        low = f"more than {self.low:,.0f}" if self.above else f"at least {self.low:,.0f}"
        high = f" and at most {self.high:,.0f}" if math.isfinite(self.high) else ""
        return f"{low}{high}{f' {self.unit}' if self.unit else ''}"


@attrs.frozen
class EachValue:
    """An attrs validator: every value of a mapping within `bounds` (per-format deadlines)."""

    bounds: Bounds

    def __call__(self, instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, float]) -> None:
        for key, item in value.items():
            try:
                self.bounds(instance, attribute, item)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None


SECONDS = Bounds(0, MAX_SECONDS, above=True, unit="seconds")


@attrs.frozen
class DiscoverOptions:
    formats: tuple[str, ...] = ("vst3", "clap", "au", "lv2")
    extra_paths: tuple[Path, ...] = ()
    #: Search the platform's standard folders (off: only `extra_paths`).
    standard_paths: bool = True
    #: Find presets: preset files in the formats' preset folders and the presets bundles carry.
    presets: bool = True


@attrs.frozen
class DiffOptions:
    #: Rescan every file, changed or not.
    full: bool = False
    #: Scan quarantined files again even though they have not changed.
    retry_failed: bool = False


@attrs.frozen
class ScanOptions:
    #: Worker processes; "auto" (0) means one per core.
    workers: WorkerCount = attrs.field(default=WorkerCount(0), validator=Bounds(0, 512, unit="(0: one per core)"))
    #: Seconds one plugin may take before its worker is killed.
    timeout: float = attrs.field(default=30.0, validator=SECONDS)
    #: Per-format deadlines that override `timeout`, e.g. {lv2: 5}.
    timeouts: dict[str, float] = attrs.field(factory=dict, validator=EachValue(SECONDS))
    #: Further attempts, each in a fresh worker, before a file is quarantined.
    retries: int = attrs.field(default=1, validator=Bounds(0, 10))
    #: Probe every parameter's value texts (slow; the cheap scan reads min/max/default text).
    deep: bool = False
    #: Read only what a bundle declares (factory class info, descriptors, Turtle); instantiate nothing.
    metadata_only: bool = False
    #: Let instruments warm up after loading (pedalboard's initialization_timeout).
    warmup: bool = False
    #: Replace a worker after this many plugins (plugins leak).
    recycle_after: int = attrs.field(default=500, validator=Bounds(1, 1e9))
    #: Replace a worker whose resident memory passes this many MB (a worker alone takes tens of MB).
    max_rss_mb: int = attrs.field(default=2048, validator=Bounds(64, 1e9, unit="MB"))
    #: Results stored per transaction.
    batch_size: int = attrs.field(default=100, validator=Bounds(1, 100_000))


@attrs.frozen
class CategorizeOptions:
    using: tuple[str, ...] = ("native", "keywords")


@attrs.frozen
class StoreOptions:
    #: A backend by name; none: the catalogue file's suffix says (`.json`: json, otherwise sqlite).
    backend: str | None = None
    #: The catalogue file; by default `<user data dir>/<backend's default file name>`.
    path: Path | None = None
    #: A database catalogue instead of a file (`postgresql://user@server/db`; docs/fleet.md).
    url: str | None = None


#: Catalogue file suffixes that name the built-in backend reading them; any other is SQLite's.
SUFFIX_BACKENDS = {".json": "json", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}


def backend_name(path: Path | str | None, named: str | None = None) -> str:
    """The backend that opens the catalogue at `path`: `named`, else the one its suffix says.

    The one rule wherever a catalogue is opened (the store stage, `Catalog.open`),
    so `scan --catalog x.json` writes the JSON that `list --catalog x.json` reads.
    A built-in backend named for a file whose suffix says the other is refused:
    no query could read what it would write.
    """
    if is_database_url(path):
        return named or "postgres"
    suffix = Path(path).suffix.lower() if path is not None else ""
    by_suffix = SUFFIX_BACKENDS.get(suffix)
    if named is not None and by_suffix is not None and named in SUFFIX_BACKENDS.values() and named != by_suffix:
        raise CatalogError(
            f"a {suffix} file is a {by_suffix} catalogue, but the {named} backend was asked for",
            where=str(path),
            fix="name the file for its backend (.json: json, .sqlite: sqlite), or drop store.backend",
        )
    return named or by_suffix or "sqlite"


@attrs.frozen
class ExportTarget:
    format: str
    path: Path
    #: Show what would change instead of writing.
    dry_run: bool = False
    #: Keep a timestamped copy of a file before it is overwritten.
    backup: bool = True
    #: Exporter-specific settings, passed through unchecked.
    options: dict[str, Any] = attrs.Factory(dict)
    #: One entry per product (a plugin across its formats): of each product, its plugin in the first
    #: of these formats it has, e.g. [clap, vst3, au, lv2]. Empty: every format its own entry.
    prefer: tuple[str, ...] = ()


#: Stage name → options class, in the only order stages may run.
STAGE_OPTIONS: dict[str, type] = {
    "discover": DiscoverOptions,
    "diff": DiffOptions,
    "scan": ScanOptions,
    "categorize": CategorizeOptions,
    "store": StoreOptions,
    "export": ExportTarget,  # the export stage takes a list of these
}
STAGE_ORDER: tuple[str, ...] = tuple(STAGE_OPTIONS)
#: Stages whose results the store stage writes; a pipeline without them only reads the catalogue.
WRITING_STAGES: tuple[str, ...] = ("diff", "scan")


@attrs.frozen
class Pipeline:
    """A loaded pipeline: its stages' typed options in run order, and where each value came from."""

    name: str
    path: Path
    description: str = ""
    #: stage name → its options object (the export stage: a tuple of ExportTarget), in run order.
    stages: dict[str, Any] = attrs.Factory(dict)
    #: stage name → option → where its value came from (for `pluginary config show`).
    origins: dict[str, dict[str, str]] = attrs.Factory(dict)

    @property
    def writes_catalog(self) -> bool:
        """Whether a run changes the catalogue. One that does not (`run manifest`, `export`)
        opens it read-only and records no run: a read-only or committed catalogue stays as it is."""
        return "store" in self.stages and any(stage in self.stages for stage in WRITING_STAGES)
