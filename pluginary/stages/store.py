"""Built-in store stage: opens the catalogue, then one transaction per batch into it.

A pipeline that scans nothing (`run manifest`, `export`) only reads: its catalogue
is opened read-only, so a mistyped path is refused instead of created empty, a
read-only or committed catalogue is exported as it is, and nothing is written.
"""

from __future__ import annotations

import hashlib

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.errors import StageError
from pluginary.core.fleet import DatabaseURL, host_name
from pluginary.core.hookspecs import hookimpl
from pluginary.core.interfaces import Backend
from pluginary.core.models import FileResult
from pluginary.core.options import StoreOptions, backend_name
from pluginary.core.paths import default_catalog_path


@hookimpl(trylast=True)
def pluginary_open_store(context: RunContext, options: StoreOptions) -> Backend:
    path = context.catalog_path or (DatabaseURL(options.url) if options.url else options.path)
    chosen = components.load("backend", backend_name(path, options.backend))
    path = path or default_catalog_path(chosen.default_filename)
    context.catalog_path = path
    if isinstance(path, DatabaseURL):
        # What was loading when a scan died is this machine's business: journaled beside it, not on the server.
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]  # one journal per database
        context.journal_path = default_catalog_path(f"fleet-{host_name()}-{digest}.journal")
    else:
        context.journal_path = path.with_name(path.name + ".journal")
    # Read-only, the built-in backends refuse a missing or empty file in one line. A scan holds the
    # catalogue for itself (exclusive): a second scan of it waits, then is refused naming the first,
    # instead of loading every crashing plugin twice.
    backend: Backend = chosen(path, exclusive=True) if context.pipeline.writes_catalog else chosen(path, read_only=True)
    return backend


@hookimpl(trylast=True)
def pluginary_store(context: RunContext, options: StoreOptions, results: list[FileResult], removed: list[str]) -> int:
    backend = context.backend
    if backend is None:
        raise StageError("no catalogue is open", fix="the store stage opens one; was it replaced?")
    if removed:
        backend.remove(removed)
    if results:
        for warning in backend.write(results):  # e.g. a plugin installed twice, and which copy is shown
            context.warn(warning)
    return sum(len(result.plugins) for result in results)
