"""Built-in export stage: each target's exporter renders, and the files are written safely.

An exporter that writes presets (`PresetExporter`) gets the catalogue's presets beside its
plugins; any other gets the plugins alone, as before presets existed. A target with `prefer`
gets one plugin per product (`pluginary.core.products.one_per_product`), in that format order.
"""

from __future__ import annotations

from collections.abc import Iterable

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.errors import StageError
from pluginary.core.hookspecs import hookimpl
from pluginary.core.interfaces import CatalogBackend, PresetExporter
from pluginary.core.models import Plugin
from pluginary.core.options import ExportTarget
from pluginary.core.products import one_per_product
from pluginary.core.query import PresetQuery


@hookimpl(trylast=True)
def pluginary_export(context: RunContext, targets: list[ExportTarget]) -> int:
    from pluginary.exporters.writer import write_outputs

    backend = context.backend
    if backend is None:
        raise StageError("no catalogue to export from", fix="put a store stage before export")
    written = 0
    for target in targets:
        exporter = components.instantiate("exporter", target.format)
        options = dict(target.options)
        plugins: Iterable[Plugin] = backend.plugins()
        if target.prefer:
            # A backend with the write side only stores no product keys: the rule's keys then.
            keys = backend.product_keys() if isinstance(backend, CatalogBackend) else {}
            plugins = one_per_product(plugins, keys, target.prefer)
        if isinstance(exporter, PresetExporter):
            # A backend with the write side only has no preset queries: its exports hold none.
            presets = backend.presets(PresetQuery()) if isinstance(backend, CatalogBackend) else ()
            files = exporter.render_with_presets(plugins, presets, target.path, options)
        else:
            files = exporter.render(plugins, target.path, options)
        changes = write_outputs(files, dry_run=target.dry_run, backup=target.backup)
        context.outputs.extend(changes)
        written += sum(change.status != "unchanged" for change in changes)
    return written
