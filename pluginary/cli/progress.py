"""The scan progress bar, as an observer plugin: registered by the CLI only on a terminal."""

from __future__ import annotations

from typing import Any

from pluginary.cli.render import safe
from pluginary.core.context import RunContext
from pluginary.core.hookspecs import hookimpl
from pluginary.core.models import Plugin, ScanFailure


class ScanProgress:
    """Plugins done / total, the current plugin, failures so far and the ETA."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._done: set[str] = set()
        self._failed = 0

    @hookimpl
    def pluginary_before_stage(self, context: RunContext, stage: str) -> None:
        if stage != "scan":
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        total = len(context.diff.to_scan) if context.diff else len(context.found)
        if total == 0:
            return
        self._progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", markup=False),  # a plugin's name: never markup
            transient=True,
        )
        self._task = self._progress.add_task("scan", total=total, failed=0, current="")
        self._progress.start()

    def _advance(self, path: str, current: str) -> None:
        if self._progress is None:
            return
        fresh = path not in self._done
        self._done.add(path)
        self._progress.update(self._task, advance=1 if fresh else 0, failed=self._failed, current=safe(current[:40]))

    @hookimpl
    def pluginary_plugin_scanned(self, context: RunContext, plugin: Plugin) -> None:
        self._advance(plugin.path, plugin.name)

    @hookimpl
    def pluginary_scan_failed(self, context: RunContext, failure: ScanFailure) -> None:
        self._failed += 1
        self._advance(failure.path, f"failed: {failure.path.rsplit('/', 1)[-1]}")

    @hookimpl
    def pluginary_after_stage(self, context: RunContext, stage: str) -> None:
        if stage == "scan":
            self.stop()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
