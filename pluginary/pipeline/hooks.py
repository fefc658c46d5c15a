"""The plugin manager, built fresh for each run, and a typed facade over its hooks.

Call sites go through `Hooks` so they are type-checked; `pm.hook.*` is only
touched here.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from pluginary.core import hookspecs
from pluginary.core.components import GROUPS
from pluginary.core.errors import ComponentError

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

DISABLE_ENV = "PLUGINARY_DISABLE_PLUGINS"
BUILTIN_STAGES = ("discover", "diff", "scan", "categorize", "store", "export")


def builtin_stage_plugins() -> list[ModuleType]:
    """The built-in stage modules, for a manager built without entry points (tests)."""
    return [importlib.import_module(f"pluginary.stages.{name}") for name in BUILTIN_STAGES]


def disabled_from_env() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}


def make_plugin_manager(
    *,
    entry_points: bool = True,
    plugins: Iterable[object] = (),
    disabled: Iterable[str] | None = None,
) -> pluggy.PluginManager:
    """A new plugin manager: hookspecs, then entry-point plugins, then `plugins`.

    `disabled` names entry points to block (default: `PLUGINARY_DISABLE_PLUGINS`).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in disabled_from_env() if disabled is None else disabled:
        pm.set_blocked(name)
    try:
        if entry_points:
            pm.load_setuptools_entrypoints(hookspecs.PROJECT)
        for plugin in plugins:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ComponentError(
            f"extension {exc.plugin!r} is invalid: {exc}",
            fix=f"fix its hook implementations or disable it with {DISABLE_ENV}",
        ) from exc
    except ImportError as exc:
        raise ComponentError(
            f"an extension failed to import: {exc}",
            fix=f"reinstall it or disable it with {DISABLE_ENV}",
        ) from exc
    return pm


class Hooks:
    """Typed calls of the stage and observer hooks."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def open_store(self, context: RunContext, options: StoreOptions) -> Backend | None:
        return self.pm.hook.pluginary_open_store(context=context, options=options)

    def discover(self, context: RunContext, options: DiscoverOptions) -> list[PluginFile] | None:
        return self.pm.hook.pluginary_discover(context=context, options=options)

    def diff(self, context: RunContext, options: DiffOptions, found: list[PluginFile]) -> Diff | None:
        return self.pm.hook.pluginary_diff(context=context, options=options, found=found)

    def scan(
        self, context: RunContext, options: ScanOptions, files: list[PluginFile]
    ) -> Iterator[list[FileResult]] | None:
        return self.pm.hook.pluginary_scan(context=context, options=options, files=files)

    def categorize(self, context: RunContext, options: CategorizeOptions, plugins: list[Plugin]) -> list[Plugin] | None:
        return self.pm.hook.pluginary_categorize(context=context, options=options, plugins=plugins)

    def store(
        self, context: RunContext, options: StoreOptions, results: list[FileResult], removed: list[str]
    ) -> int | None:
        return self.pm.hook.pluginary_store(context=context, options=options, results=results, removed=removed)

    def export(self, context: RunContext, targets: list[ExportTarget]) -> int | None:
        return self.pm.hook.pluginary_export(context=context, targets=targets)

    def before_stage(self, context: RunContext, stage: str) -> None:
        self.pm.hook.pluginary_before_stage(context=context, stage=stage)

    def after_stage(self, context: RunContext, stage: str) -> None:
        self.pm.hook.pluginary_after_stage(context=context, stage=stage)

    def plugin_scanned(self, context: RunContext, plugin: Plugin) -> None:
        self.pm.hook.pluginary_plugin_scanned(context=context, plugin=plugin)

    def scan_failed(self, context: RunContext, failure: ScanFailure) -> None:
        self.pm.hook.pluginary_scan_failed(context=context, failure=failure)

    def run_finished(self, context: RunContext, summary: RunSummary) -> None:
        self.pm.hook.pluginary_run_finished(context=context, summary=summary)


@attrs.frozen
class InstalledExtension:
    name: str
    kind: str
    target: str
    distribution: str
    version: str
    disabled: bool = False


KIND_OF_GROUP = {hookspecs.PROJECT: "stage hook"} | {group: kind for kind, group in GROUPS.items()}


def installed_extensions() -> list[InstalledExtension]:
    """Every extension installed, from package metadata only: nothing is imported."""
    disabled = disabled_from_env()
    found = []
    for group, kind in KIND_OF_GROUP.items():
        for ep in entry_points(group=group):
            dist: Any = ep.dist
            found.append(
                InstalledExtension(
                    name=ep.name,
                    kind=kind,
                    target=ep.value,
                    distribution=dist.name if dist else "",
                    version=dist.version if dist else "",
                    disabled=group == hookspecs.PROJECT and ep.name in disabled,
                )
            )
    return sorted(found, key=lambda ext: (ext.kind, ext.name, ext.distribution))
