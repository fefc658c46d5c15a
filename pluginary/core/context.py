"""What the stages of one run share: they talk only through this, never by importing each other."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from pluginary.core.fleet import DatabaseURL
from pluginary.core.models import PluginFile

if TYPE_CHECKING:
    from pluginary.core.interfaces import Backend
    from pluginary.core.options import Pipeline


@attrs.define
class Diff:
    """What changed on disk since the catalogue was last written."""

    added: list[PluginFile] = attrs.Factory(list)
    changed: list[PluginFile] = attrs.Factory(list)
    removed: list[str] = attrs.Factory(list)
    unchanged: int = 0
    #: Quarantined files skipped because they have not changed.
    quarantined: int = 0
    #: Quarantined files scanned again (changed, or a retry was asked).
    retried: list[PluginFile] = attrs.Factory(list)
    #: Files a killed earlier run was loading when it stopped.
    interrupted: list[str] = attrs.Factory(list)

    @property
    def to_scan(self) -> list[PluginFile]:
        return [*self.added, *self.changed, *self.retried]


@attrs.define
class RunSummary:
    """The figures a run reports at its end (printed, or `--json`)."""

    pipeline: str = ""
    found: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    quarantined: int = 0
    scanned: int = 0
    plugins: int = 0
    failed: int = 0
    stored: int = 0
    exported: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = attrs.Factory(list)
    failures: list[dict[str, Any]] = attrs.Factory(list)


@attrs.define
class RunContext:
    """One pipeline run: its settings and what the stages produced."""

    pipeline: Pipeline
    backend: Backend | None = None
    #: A file, or a fleet database's URL (`pluginary.core.fleet.DatabaseURL`, redacted when shown).
    catalog_path: Path | DatabaseURL | None = None
    #: Where the scan stage journals each load (set with the backend); None: the user data dir's.
    journal_path: Path | None = None
    found: list[PluginFile] = attrs.Factory(list)
    #: Folders discover searched completely; only files under them can be "removed".
    searched_roots: list[Path] = attrs.Factory(list)
    #: Formats discover searched for; a stored file of another format is not "removed".
    searched_formats: set[str] = attrs.Factory(set)
    #: Folders and bundles under the roots that could not be searched (unreadable, a dangling link):
    #: what the catalogue holds under them is kept, not "removed".
    unsearched: list[Path] = attrs.Factory(list)
    #: Whether this run reads presets (discover's `presets` option): preset files and those bundles carry.
    presets: bool = True
    diff: Diff | None = None
    summary: RunSummary = attrs.Factory(RunSummary)
    #: What export wrote or, in a dry run, would write (pluginary.exporters.writer.OutputChange).
    outputs: list[Any] = attrs.Factory(list)

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the run (an unreadable folder, …)."""
        self.summary.warnings.append(message)
