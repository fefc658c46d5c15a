"""Running a pipeline: a short chain of hook calls over one run context.

Scan results stream: each batch the scan stage yields is categorized and
stored before the next is asked for, so Ctrl-C or a kill loses at most the
batch in flight and the next run resumes from the catalogue. A pipeline that
scans nothing only reads the catalogue (`Pipeline.writes_catalog`): the store
stage opens it read-only and no run is recorded, so `export` and `run manifest`
leave a committed catalogue byte for byte as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from pluginary.core.context import RunContext
from pluginary.core.errors import CatalogError, PluginaryError, StageError
from pluginary.core.interfaces import Backend
from pluginary.core.models import FileResult
from pluginary.core.options import Pipeline, StoreOptions
from pluginary.pipeline.hooks import Hooks, make_plugin_manager

log = logging.getLogger(__name__)

#: Stages that run per scan batch when the pipeline scans.
STREAMED = ("categorize", "store")


def run(
    pipeline: Pipeline,
    *,
    plugin_manager: Any = None,
    observers: Iterable[object] = (),
    catalog: Path | None = None,
    dry_run: bool = False,
) -> RunContext:
    """Run every stage of `pipeline`; returns the context with its summary.

    Raises PluginaryError for what the user can fix (a StageError, exit code 3,
    when a stage failed) and KeyboardInterrupt after storing what finished.
    """
    pm = plugin_manager or make_plugin_manager()
    for observer in observers:
        pm.register(observer)
    if dry_run and "export" in pipeline.stages:
        targets = tuple(attrs.evolve(t, dry_run=True) for t in pipeline.stages["export"])
        pipeline = attrs.evolve(pipeline, stages={**pipeline.stages, "export": targets})
    hooks = Hooks(pm)
    context = RunContext(pipeline=pipeline, catalog_path=catalog)
    context.summary.pipeline = pipeline.name
    started, started_at = time.monotonic(), _now()
    try:
        if "store" in pipeline.stages:
            context.backend = _opened(hooks, context, pipeline.stages["store"])
        for stage in pipeline.stages:
            if stage in STREAMED and "scan" in pipeline.stages:
                continue  # they ran batch by batch inside the scan stage
            _run_stage(hooks, context, stage)
    except KeyboardInterrupt:
        context.summary.interrupted = True
        raise
    finally:
        context.summary.seconds = round(time.monotonic() - started, 3)
        _finish(hooks, context, started_at)
    return context


def _opened(hooks: Hooks, context: RunContext, options: StoreOptions) -> Backend:
    """The store stage's catalogue; a backend's own bug (not a user error) is named as the store stage's."""
    try:
        return _required(hooks.open_store(context, options), "store")
    except PluginaryError:
        raise
    except Exception as exc:
        log.debug("opening the catalogue failed", exc_info=True)
        raise StageError(f"stage 'store' failed to open the catalogue: {exc}", fix="run with -v for details") from exc


def _run_stage(hooks: Hooks, context: RunContext, stage: str) -> None:
    stages = context.pipeline.stages
    hooks.before_stage(context, stage)
    try:
        if stage == "discover":
            context.found = _required(hooks.discover(context, stages[stage]), stage)
            context.summary.found = len(context.found)
        elif stage == "diff":
            context.diff = diff = _required(hooks.diff(context, stages[stage], context.found), stage)
            summary = context.summary
            summary.new, summary.changed = len(diff.added), len(diff.changed)
            summary.removed, summary.unchanged = len(diff.removed), diff.unchanged
            summary.quarantined = diff.quarantined
        elif stage == "scan":
            _scan_and_store(hooks, context)
        elif stage == "store":
            removed = context.diff.removed if context.diff else []
            context.summary.stored += _required(hooks.store(context, stages[stage], [], removed), stage)
        elif stage == "export":
            context.summary.exported = _required(hooks.export(context, list(stages[stage])), stage)
    except (PluginaryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a stage's bug or an OS error: name the stage, keep the traceback in -v
        log.debug("stage %s failed", stage, exc_info=True)
        raise StageError(f"stage {stage!r} failed: {exc}", fix="run with -v for details") from exc
    hooks.after_stage(context, stage)


def _scan_and_store(hooks: Hooks, context: RunContext) -> None:
    stages, summary = context.pipeline.stages, context.summary
    files = context.diff.to_scan if context.diff else context.found
    batches = _required(hooks.scan(context, stages["scan"], files), "scan")
    streamed = [stage for stage in STREAMED if stage in stages]
    for stage in streamed:
        hooks.before_stage(context, stage)
    if "store" in stages and context.diff and context.diff.removed:
        summary.stored += _required(hooks.store(context, stages["store"], [], context.diff.removed), "store")
    for batch in batches:
        for result in batch:
            for warning in result.warnings:
                context.warn(f"{result.file.path}: {warning}")
            if result.failure is not None:
                summary.failed += 1
                summary.failures.append(
                    {"path": result.file.path, "kind": result.failure.kind.value, "message": result.failure.message}
                )
                hooks.scan_failed(context, result.failure)
            else:
                summary.scanned += 1
                summary.plugins += len(result.plugins)
                for plugin in result.plugins:
                    hooks.plugin_scanned(context, plugin)
        if "categorize" in stages:
            batch = _categorized(hooks, context, batch)
        if "store" in stages:
            summary.stored += _required(hooks.store(context, stages["store"], batch, []), "store")
    for stage in streamed:
        hooks.after_stage(context, stage)


def _categorized(hooks: Hooks, context: RunContext, batch: list[FileResult]) -> list[FileResult]:
    """The batch with each result's plugins replaced by their categorized copies (same order)."""
    plugins = [plugin for result in batch for plugin in result.plugins]
    if not plugins:
        return batch
    categorized = _required(hooks.categorize(context, context.pipeline.stages["categorize"], plugins), "categorize")
    if len(categorized) != len(plugins):
        raise StageError("categorize returned a different number of plugins than it was given")
    out, start = [], 0
    for result in batch:
        end = start + len(result.plugins)
        out.append(attrs.evolve(result, plugins=tuple(categorized[start:end])))
        start = end
    return out


def _required(value: Any, stage: str) -> Any:
    if value is None:
        raise StageError(
            f"no implementation of stage {stage!r} answered",
            fix="an extension disabled or replaced it; see `pluginary plugins`",
        )
    return value


def _finish(hooks: Hooks, context: RunContext, started_at: str) -> None:
    """Record the run in the catalogue it changed (one that only read is left as it was),
    close it, then tell observers, also after a failure or Ctrl-C."""
    backend = context.backend
    if backend is not None:
        try:
            if context.pipeline.writes_catalog:
                backend.record_run({"started_at": started_at, "finished_at": _now(), **attrs.asdict(context.summary)})
        except CatalogError as exc:
            context.warn(f"run history not recorded: {exc}")
        finally:
            backend.close()
    hooks.run_finished(context, context.summary)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
