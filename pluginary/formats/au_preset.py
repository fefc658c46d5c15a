"""Audio Unit preset files (.aupreset): a property list naming the unit by its four-character codes.

What a host saves (AudioUnitGetProperty(kAudioUnitProperty_ClassInfo)) is a dictionary, as XML
or binary plist, with `name`, the unit's `type`, `subtype` and `manufacturer` (four-character
codes as 32-bit integers), `version` and the state (`data`, or a vendor's own keys). The codes
give the catalogue id `au:<type>-<subtype>-<manufacturer>` that `pluginary.formats.au` gives
the unit itself. plistlib reads it (refusing XML entity declarations); a file larger than
`MAX_FILE_BYTES` is refused unread, since the state it carries is loaded whole.
"""

from __future__ import annotations

import plistlib
import struct
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers.expat import ExpatError

from pluginary.core.models import Preset, PresetSource
from pluginary.formats.preset_files import BadPresetFile, folder_bank, read_or_warn

SUFFIX = ".aupreset"
#: Sampler presets carry their state inline and reach a few megabytes; beyond this a file is no preset.
MAX_FILE_BYTES = 16 * 1024 * 1024
CODE_KEYS = ("type", "subtype", "manufacturer")


def read(path: Path) -> list[Preset]:
    """The one preset in an .aupreset file, or [] (and a WARNING) when the file cannot be read."""
    return read_or_warn(path, _read, "Audio Unit")


def _read(stream: BinaryIO, size: int, path: Path) -> Preset:
    if size > MAX_FILE_BYTES:
        raise BadPresetFile(f"{size} bytes, more than the {MAX_FILE_BYTES // 2**20} MiB a preset may be")
    try:
        info = plistlib.load(stream)
    except (ValueError, ExpatError, OverflowError) as exc:  # InvalidFileException is a ValueError
        raise BadPresetFile(f"not a property list: {exc}") from exc
    if not isinstance(info, dict):
        raise BadPresetFile("the property list is not a dictionary")
    au_type, subtype, manufacturer = (_code(info.get(key), key) for key in CODE_KEYS)
    name = info.get("name")
    return Preset(
        id=str(path),
        name=name if isinstance(name, str) and name else path.stem,
        plugin_id=f"au:{au_type}-{subtype}-{manufacturer}",
        format="au",
        source=PresetSource.FILE,
        path=str(path),
        bank=folder_bank(path),
    )


def _code(value: Any, key: str) -> str:
    """A four-character code from its 32-bit integer (as hosts write it) or its text."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32:
        return struct.pack(">I", value).decode("mac_roman")
    if isinstance(value, str) and len(value) == 4:
        return value
    raise BadPresetFile(f"no four-character {key!r} code")
