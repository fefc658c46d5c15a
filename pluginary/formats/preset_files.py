"""What the readers of preset files (.vstpreset, .aupreset) share: one warning for a bad file, where
presets live on macOS, and the bank a preset's folders give.

Both formats keep presets in `<root>/<vendor>/<plugin>/` trees (the VST3 SDK's "Preset Locations";
Apple's Audio/Presets folders, which macOS shares between the two).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pluginary.core.models import Preset

log = logging.getLogger(__name__)

#: The folder every standard preset root ends in (~/.vst3/presets, ~/Library/Audio/Presets,
#: Documents/VST3 Presets); below it come <vendor>/<plugin>/ and then the user's own folders.
TREE_FOLDERS = ("presets", "vst3 presets")


class BadPresetFile(ValueError):
    """The file is not a readable preset; the message says why."""


#: Reads one preset from the open file, given its size and path; raises BadPresetFile.
Parse = Callable[[BinaryIO, int, Path], Preset]


def read_or_warn(path: Path, parse: Parse, kind: str) -> list[Preset]:
    """The one preset `parse` reads from the file, or [] and a WARNING (the run shows it) when the
    file cannot be read: a bad preset file is never a failed plugin."""
    try:
        if not path.is_file():  # a FIFO would block the read, a device never end it
            raise BadPresetFile("not a regular file")
        with path.open("rb") as stream:
            return [parse(stream, os.fstat(stream.fileno()).st_size, path)]
    except (BadPresetFile, OSError) as exc:
        log.warning("%s: not a readable %s preset (%s); skipped", path, kind, exc)
        return []


def macos_roots(home: Path) -> list[Path]:
    """The preset folders of macOS (user, local, network), where VST3 and Audio Unit presets live alike."""
    return [home / "Library/Audio/Presets", Path("/Library/Audio/Presets"), Path("/Network/Library/Audio/Presets")]


def folder_bank(path: Path) -> str:
    """The user's folders between `<tree>/<vendor>/<plugin>/` and the file ("" if none, or no tree).

    The nearest folder named as a preset root ends in is taken as the tree:
    `presets/Acme/Synth/Bass/Deep.vstpreset` is in bank "Bass".
    """
    folders = path.parent.parts
    for index in range(len(folders) - 1, -1, -1):
        if folders[index].lower() in TREE_FOLDERS:
            return "/".join(folders[index + 3 :])
    return ""
