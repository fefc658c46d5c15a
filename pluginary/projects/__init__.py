"""DAW project readers: which plugins a session needs (`pluginary project FILE…`).

Each reader is a component of the `pluginary.projects` entry-point group (the built-ins
`rpp`, `ardour` and `als` register there exactly as a third party's would) implementing
`pluginary.core.interfaces.ProjectReader`. The file picks its reader: first by its name's
suffix, then by its first bytes. Matching the plugins found to a catalogue is
`pluginary.projects.matching`.
"""

from __future__ import annotations

from pathlib import Path

from pluginary.core import components
from pluginary.core.interfaces import PluginReference, ProjectReader
from pluginary.projects.common import ProjectError, read_head


def reader_for(path: Path, name: str | None = None) -> ProjectReader:
    """The reader `name`, else the installed one whose suffix the file has, else one that
    recognises the file's first bytes; a ProjectError when none does."""
    if name is not None:
        reader: ProjectReader = components.instantiate("project", name)
        return reader
    readers: list[ProjectReader] = [
        components.instantiate("project", found) for found in sorted(components.available("project"))
    ]
    lowered = path.name.lower()
    for reader in readers:
        if lowered.endswith(reader.suffixes):
            return reader
    head = read_head(path)
    for reader in readers:
        if reader.sniff(head):
            return reader
    known = ", ".join(sorted({suffix for reader in readers for suffix in reader.suffixes}))
    raise ProjectError("not a project any installed reader knows", where=str(path), fix=f"readers take {known}")


def read(path: Path, reader: str | None = None) -> list[PluginReference]:
    """Every plugin the project at `path` uses, in its order."""
    return reader_for(path, reader).read(path)
