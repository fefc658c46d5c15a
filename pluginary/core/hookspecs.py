"""Every hook Pluginary calls: one per stage, then the observers.

Stage hooks are `firstresult`: the first implementation that returns something
other than None wins. The built-in stages are `trylast` implementations, so an
extension's implementation runs first and can replace a stage (return a value),
pass (return None), or wrap it (`hookwrapper=True`).

Hooks are called per stage or per batch of plugins, never per parameter.
Each hook is documented in docs/extending.md with its exact arguments (a test
checks that).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pluginary.core.context import Diff, RunContext, RunSummary
    from pluginary.core.interfaces import Backend
    from pluginary.core.models import FileResult, Plugin, PluginFile, ScanFailure
    from pluginary.core.options import (
        CategorizeOptions,
        DiffOptions,
        DiscoverOptions,
        ExportTarget,
        ScanOptions,
        StoreOptions,
    )

PROJECT = "pluginary"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- stages ------------------------------------------------------------------


@hookspec(firstresult=True)
def pluginary_open_store(context: RunContext, options: StoreOptions) -> Backend | None:
    """Open the catalogue the store stage writes (and diff compares with).

    Called once per run, before the first stage, when the pipeline has a store
    stage. `context.catalog_path` is the path the user gave (`--catalog`), or
    None for the options' or the default one. Returns the open backend and sets
    `context.catalog_path` and `context.journal_path` (where the scan stage
    journals its loads, so each catalogue resumes its own interrupted scan).
    """


@hookspec(firstresult=True)
def pluginary_discover(context: RunContext, options: DiscoverOptions) -> list[PluginFile] | None:
    """Find the plugin files and bundles on disk.

    Called once per run. Returns every file found for the formats in
    `options.formats`; may add to `context.searched_roots` the folders it
    searched completely, and report unreadable folders with `context.warn`.
    """


@hookspec(firstresult=True)
def pluginary_diff(context: RunContext, options: DiffOptions, found: list[PluginFile]) -> Diff | None:
    """Compare what discover found with the catalogue.

    Called once per run, after discover. Returns the added, changed, removed and
    unchanged files; only added and changed ones (and quarantined ones being
    retried) are scanned.
    """


@hookspec(firstresult=True)
def pluginary_scan(
    context: RunContext, options: ScanOptions, files: list[PluginFile]
) -> Iterator[list[FileResult]] | None:
    """Load each file in isolation and learn its plugins.

    Called once per run with the files diff chose. Returns an iterator of
    batches; each batch is categorized and stored before the next is asked for,
    so an interrupted scan keeps everything that finished.
    """


@hookspec(firstresult=True)
def pluginary_categorize(context: RunContext, options: CategorizeOptions, plugins: list[Plugin]) -> list[Plugin] | None:
    """Place a batch of freshly scanned plugins in the taxonomy.

    Called once per scan batch. Returns the same plugins with `categories` set
    (user categories are kept by the store and always win).
    """


@hookspec(firstresult=True)
def pluginary_store(
    context: RunContext, options: StoreOptions, results: list[FileResult], removed: list[str]
) -> int | None:
    """Write a batch to the catalogue (`context.backend`) in one transaction.

    Called once per scan batch, and once more with the files diff found
    removed. Returns the number of plugins stored.
    """


@hookspec(firstresult=True)
def pluginary_export(context: RunContext, targets: list[ExportTarget]) -> int | None:
    """Write the plugin lists the pipeline asks for from the stored catalogue.

    Called once per run, last. Returns the number of files written (or, with
    `dry_run`, that would change).
    """


# -- observers ---------------------------------------------------------------


@hookspec
def pluginary_before_stage(context: RunContext, stage: str) -> None:
    """Called before each stage the pipeline runs (`stage` is its name)."""


@hookspec
def pluginary_after_stage(context: RunContext, stage: str) -> None:
    """Called after each stage the pipeline runs, when it finished without error."""


@hookspec
def pluginary_plugin_scanned(context: RunContext, plugin: Plugin) -> None:
    """Called for each plugin a scan produced, before it is categorized and stored."""


@hookspec
def pluginary_scan_failed(context: RunContext, failure: ScanFailure) -> None:
    """Called for each file that could not be scanned (crash, timeout or error)."""


@hookspec
def pluginary_run_finished(context: RunContext, summary: RunSummary) -> None:
    """Called once at the end of a run, also an interrupted or failed one."""


def documented_arguments() -> dict[str, list[str]]:
    """Each hook's name and argument names, for the documentation test."""
    import inspect

    return {
        name: list(inspect.signature(obj).parameters)
        for name, obj in globals().items()
        if name.startswith("pluginary_") and callable(obj)
    }


__all__: list[Any] = ["hookimpl", "hookspec"]
