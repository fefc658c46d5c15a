"""Built-in store stage: opens the catalogue, then one transaction per batch into it."""

from __future__ import annotations

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.errors import StageError
from pluginary.core.hookspecs import hookimpl
from pluginary.core.interfaces import Backend
from pluginary.core.models import FileResult
from pluginary.core.options import StoreOptions
from pluginary.core.paths import default_catalog_path


@hookimpl(trylast=True)
def pluginary_open_store(context: RunContext, options: StoreOptions) -> Backend:
    backend_class = components.load("backend", options.backend)
    path = context.catalog_path or options.path or default_catalog_path(backend_class.default_filename)
    context.catalog_path = path
    context.journal_path = path.with_name(path.name + ".journal")
    return backend_class(path)


@hookimpl(trylast=True)
def pluginary_store(context: RunContext, options: StoreOptions, results: list[FileResult], removed: list[str]) -> int:
    backend = context.backend
    if backend is None:
        raise StageError("no catalogue is open", fix="the store stage opens one; was it replaced?")
    if removed:
        backend.remove(removed)
    if results:
        backend.write(results)
    return sum(len(result.plugins) for result in results)
