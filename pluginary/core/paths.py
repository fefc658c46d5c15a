"""The user's folders, from platformdirs (overridable for tests and CI)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "pluginary"


def user_data_dir() -> Path:
    """Where the catalogue lives by default; `PLUGINARY_DATA_DIR` overrides it."""
    if override := os.environ.get("PLUGINARY_DATA_DIR"):
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
