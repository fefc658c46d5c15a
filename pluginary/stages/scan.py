"""Built-in scan stage: every file through the isolated worker pool, results in batches.

A batch is handed on when it is full or a couple of seconds old, so slow
plugins never hold finished results back from the catalogue.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from pluginary.core.context import RunContext
from pluginary.core.hookspecs import hookimpl
from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import FileResult, PluginFile
from pluginary.core.options import ScanOptions
from pluginary.core.paths import user_data_dir

#: Longest a finished result waits before its batch is stored.
FLUSH_SECONDS = 2.0


def journal_path(context: RunContext) -> Path:
    """Beside the catalogue, so each catalogue resumes its own interrupted scan."""
    if context.catalog_path is not None:
        return context.catalog_path.with_name(context.catalog_path.name + ".journal")
    return user_data_dir() / "scan.journal"


@hookimpl(trylast=True)
def pluginary_scan(context: RunContext, options: ScanOptions, files: list[PluginFile]) -> Iterator[list[FileResult]]:
    return _scan(context, options, files)


def _scan(context: RunContext, options: ScanOptions, files: list[PluginFile]) -> Iterator[list[FileResult]]:
    from pluginary.core.journal import Journal
    from pluginary.core.pool import ScanJob, WorkerPool

    journal = Journal(journal_path(context))
    for path in journal.in_flight():
        context.warn(f"the previous scan stopped while loading {path}; scanning it again")
    settings = ScanSettings(deep=options.deep, warmup=options.warmup)
    jobs = [
        ScanJob(
            file=file,
            format=file.format,
            settings=settings,
            timeout=options.timeouts.get(file.format, options.timeout),
        )
        for file in files
    ]
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
            batch.append(result)
            if len(batch) >= options.batch_size or time.monotonic() - flushed > FLUSH_SECONDS:
                yield batch
                batch, flushed = [], time.monotonic()
    if batch:
        yield batch
    journal.clear()
