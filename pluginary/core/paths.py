"""The user's folders, from platformdirs (overridable for tests and CI)."""

from __future__ import annotations

import os
from pathlib import Path

from pluginary.core.errors import PluginaryError

APP = "pluginary"


def user_data_dir() -> Path:
    """Where the catalogue lives by default; `PLUGINARY_DATA_DIR` overrides it."""
    if override := os.environ.get("PLUGINARY_DATA_DIR"):
        if os.path.exists(override) and not os.path.isdir(override):
            # Checked here, once: every command would otherwise fail in its own way below it.
            raise PluginaryError(
                "PLUGINARY_DATA_DIR names a file, not a folder",
                where=override,
                fix="point it at a folder (created when missing), or unset it",
            )
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def user_config_dir() -> Path:
    """Where `config.yaml` lives; `PLUGINARY_CONFIG_DIR` overrides it."""
    if override := os.environ.get("PLUGINARY_CONFIG_DIR"):
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def default_catalog_path(filename: str = "catalog.sqlite") -> Path:
    return user_data_dir() / filename


def writable(path: Path) -> bool:
    """Whether a catalogue at `path` could be written: the file, if any, and its
    folder (where SQLite keeps its journal and a JSON write its temporary file)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(folder, os.W_OK)
