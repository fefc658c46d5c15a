"""The options each stage accepts in a pipeline file, with their built-in defaults.

These classes are the schema the pipeline loader validates against: a key that
is not a field here is an unknown option, a value that does not structure into
the field's type is a wrong type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NewType

import attrs

#: A number of worker processes; "auto" in a pipeline file (stored as 0) means one per core.
WorkerCount = NewType("WorkerCount", int)


@attrs.frozen
class DiscoverOptions:
    formats: tuple[str, ...] = ("vst3", "clap", "au", "lv2")
    extra_paths: tuple[Path, ...] = ()
    #: Search the platform's standard folders (off: only `extra_paths`).
    standard_paths: bool = True


@attrs.frozen
class DiffOptions:
    #: Rescan every file, changed or not.
    full: bool = False
    #: Scan quarantined files again even though they have not changed.
    retry_failed: bool = False


@attrs.frozen
class ScanOptions:
    #: Worker processes; "auto" (0) means one per core.
    workers: WorkerCount = WorkerCount(0)
    #: Seconds one plugin may take before its worker is killed.
    timeout: float = 30.0
    #: Per-format deadlines that override `timeout`, e.g. {lv2: 5}.
    timeouts: dict[str, float] = attrs.Factory(dict)
    #: Further attempts, each in a fresh worker, before a file is quarantined.
    retries: int = 1
    #: Probe every parameter's value texts (slow; the cheap scan reads min/max/default text).
    deep: bool = False
    #: Read only what a bundle declares (factory class info, descriptors, Turtle); instantiate nothing.
    metadata_only: bool = False
    #: Let instruments warm up after loading (pedalboard's initialization_timeout).
    warmup: bool = False
    #: Replace a worker after this many plugins (plugins leak).
    recycle_after: int = 500
    #: Replace a worker whose resident memory passes this many MB.
    max_rss_mb: int = 2048
    #: Results stored per transaction.
    batch_size: int = 100


@attrs.frozen
class CategorizeOptions:
    using: tuple[str, ...] = ("native", "keywords")


@attrs.frozen
class StoreOptions:
    backend: str = "sqlite"
    #: The catalogue file; by default `<user data dir>/<backend's default file name>`.
    path: Path | None = None


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
