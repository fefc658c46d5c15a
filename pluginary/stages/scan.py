"""Built-in scan stage: every file through the isolated worker pool, results in batches.

A batch is handed on when it is full or a couple of seconds old, so slow
plugins never hold finished results back from the catalogue.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs

import pluginary
from pluginary.core.context import RunContext
from pluginary.core.fleet import host_name
from pluginary.core.hookspecs import hookimpl
from pluginary.core.models import FileResult, Host, PluginFile
from pluginary.core.options import ScanOptions
from pluginary.core.paths import user_data_dir

#: Longest a finished result waits before its batch is stored.
FLUSH_SECONDS = 2.0


@hookimpl(trylast=True)
def pluginary_scan(context: RunContext, options: ScanOptions, files: list[PluginFile]) -> Iterator[list[FileResult]]:
    return _scan(context, options, files)


def _scan(context: RunContext, options: ScanOptions, files: list[PluginFile]) -> Iterator[list[FileResult]]:
    from pluginary.scanning.journal import Journal
    from pluginary.scanning.pool import ScanJob, WorkerPool

    journal = Journal(context.journal_path or user_data_dir() / "scan.journal")
    for path in journal.in_flight():
        context.warn(f"the previous scan stopped while loading {path}; scanning it again")
    jobs = [ScanJob.from_options(file, options, presets=context.presets) for file in files]
    host = this_host()
    batch: list[FileResult] = []
    flushed = time.monotonic()
    with WorkerPool(
        workers=options.workers or None,
        retries=options.retries,
        recycle_after=options.recycle_after,
        max_rss_mb=options.max_rss_mb,
        journal=journal,
    ) as pool:
        for result in pool.run(jobs):
            batch.append(_stamped(result, host))
            if len(batch) >= options.batch_size or time.monotonic() - flushed > FLUSH_SECONDS:
                yield batch
                batch, flushed = [], time.monotonic()
    if batch:
        yield batch
    journal.clear()


def this_host() -> Host:
    """This machine, as every record scanned here names it (`PLUGINARY_HOST` stands in for another)."""
    return Host(name=host_name(), os=platform.platform())


def _stamped(result: FileResult, host: Host) -> FileResult:
    """The result with when, where and by which version each plugin was scanned, and where each preset was."""
    if not result.plugins and not result.presets:
        return result
    now = datetime.now(UTC).isoformat(timespec="seconds")
    plugins = tuple(
        attrs.evolve(plugin, scanned_at=now, scanner_version=pluginary.__version__, host=host)
        for plugin in result.plugins
    )
    presets = tuple(attrs.evolve(preset, host=host) for preset in result.presets)
    return attrs.evolve(result, plugins=plugins, presets=presets)
