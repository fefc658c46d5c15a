"""Built-in export stage: each target's exporter renders, and the files are written safely."""

from __future__ import annotations

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.errors import StageError
from pluginary.core.hookspecs import hookimpl
from pluginary.core.options import ExportTarget


@hookimpl(trylast=True)
def pluginary_export(context: RunContext, targets: list[ExportTarget]) -> int:
    from pluginary.exporters.writer import write_outputs

    backend = context.backend
    if backend is None:
        raise StageError("no catalogue to export from", fix="put a store stage before export")
    written = 0
    for target in targets:
        exporter = components.instantiate("exporter", target.format)
        files = exporter.render(backend.plugins(), target.path, dict(target.options))
        changes = write_outputs(files, dry_run=target.dry_run, backup=target.backup)
        context.outputs.extend(changes)
        written += sum(change.status != "unchanged" for change in changes)
    return written
