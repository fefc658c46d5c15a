"""The one family of errors a user can cause.

The CLI prints any `PluginaryError` as a single line and exits non-zero;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class PluginaryError(Exception):
    """A problem the user can fix: says what is wrong, where, and what to do.

    `exit_code` follows the CLI's contract: 2 for usage and pipeline-file
    errors, 3 for a stage that failed.
    """

    exit_code = 2

    def __init__(self, what: str, *, where: str = "", fix: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        line = f"{self.where}: {self.what}" if self.where else self.what
        return f"{line} — {self.fix}" if self.fix else line


class PipelineError(PluginaryError):
    """A pipeline file, a `--set` override or a setting is wrong; nothing has run."""


class ComponentError(PluginaryError):
    """A named format, backend, categorizer or exporter cannot be found or loaded."""


class CatalogError(PluginaryError):
    """The catalogue file is missing, corrupt, foreign, locked or not writable."""


class StageError(PluginaryError):
    """A stage could not do its work (a full disk, an unwritable export path, …)."""

    exit_code = 3
