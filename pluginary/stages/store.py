"""Built-in store stage: one transaction per batch into the backend the run opened."""

from __future__ import annotations

from pluginary.core.context import RunContext
from pluginary.core.errors import StageError
from pluginary.core.hookspecs import hookimpl
from pluginary.core.models import FileResult
from pluginary.core.options import StoreOptions


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
