"""VST3 preset files (.vstpreset): which plugin class, name and tags, read without reading the state.

The layout, from the VST3 SDK ("Preset Format", public.sdk/source/vst/vstpresetfile.h), all
little-endian::

    0    'VST3'  version (int32)  class id (32 ASCII hex digits)  chunk-list offset (int64)
    48   chunk data: 'Comp' (component state), 'Cont' (controller state), 'Info' (MetaInfo XML)
    at the offset: 'List'  entry count (int32), then per chunk: id (4 bytes)  offset (int64)  size (int64)

The class id is the plugin's as `FUID::toString` prints it, the same text on every platform, so
`vst3:<class id>` is the id the VST3 reader gives that plugin. Only the header, the chunk list and
an Info chunk of at most `MAX_INFO_BYTES` are read; the states (often megabytes) never are. The
Info chunk is XML from anyone: parsed by expat with every DTD refused (`core.xmlsafe`).

A file whose header or chunk list is broken is no preset: a WARNING and nothing. An Info chunk that
is too large or malformed loses only the metadata: the preset is kept, named after its file.
"""

from __future__ import annotations

import logging
import re
import struct
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from pluginary.core.models import Preset, PresetSource
from pluginary.core.xmlsafe import parser_without_dtd
from pluginary.formats.preset_files import BadPresetFile, folder_bank, read_or_warn

log = logging.getLogger(__name__)

SUFFIX = ".vstpreset"
HEADER = struct.Struct("<4si32sq")
LIST_HEADER = struct.Struct("<4si")
ENTRY = struct.Struct("<4sqq")
#: The SDK's reader stops at this many chunks (PresetFile::kMaxEntries); real files have two or three.
MAX_CHUNKS = 128
#: A MetaInfo chunk is a few hundred bytes; beyond this its metadata is not read.
MAX_INFO_BYTES = 64 * 1024
_CLASS_ID = re.compile(rb"[0-9A-Fa-f]{32}")
#: MetaInfo attributes (pluginterfaces/vst/vstpresetkeys.h) whose values, split at "|", are tags.
TAG_ATTRIBUTES = ("MusicalInstrument", "MusicalStyle", "MusicalCharacter")


def read(path: Path) -> list[Preset]:
    """The one preset in a .vstpreset file, or [] (and a WARNING) when the file cannot be read."""
    return read_or_warn(path, _read, "VST3")


def _read(stream: BinaryIO, size: int, path: Path) -> Preset:
    class_id, chunks = _chunk_list(stream, size)
    meta = _meta_info(stream, chunks.get(b"Info"), path)
    tags = (part.strip() for key in TAG_ATTRIBUTES for part in meta.get(key, "").split("|"))
    return Preset(
        id=str(path),
        name=meta.get("Name") or path.stem,
        plugin_id=f"vst3:{class_id}",
        format="vst3",
        source=PresetSource.FILE,
        path=str(path),
        bank=meta.get("MusicalCategory") or folder_bank(path),
        tags=tuple(dict.fromkeys(tag for tag in tags if tag)),
        description=meta.get("Comment", ""),
    )


def _chunk_list(stream: BinaryIO, size: int) -> tuple[str, dict[bytes, tuple[int, int]]]:
    """The class id and each chunk's (offset, size), checked to lie inside the file."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise BadPresetFile(f"{size} bytes: shorter than the {HEADER.size}-byte header")
    magic, _version, class_id, list_offset = HEADER.unpack(head)
    if magic != b"VST3":
        raise BadPresetFile(f"starts with {magic!r}, not 'VST3'")
    if not _CLASS_ID.fullmatch(class_id):
        raise BadPresetFile("the class id is not 32 hex digits")
    if not HEADER.size <= list_offset <= size - LIST_HEADER.size:
        raise BadPresetFile(f"the chunk list offset {list_offset} is outside the file")
    stream.seek(list_offset)
    list_id, count = LIST_HEADER.unpack(stream.read(LIST_HEADER.size))
    if list_id != b"List":
        raise BadPresetFile(f"no chunk list at offset {list_offset}")
    if not 0 <= count <= MAX_CHUNKS or list_offset + LIST_HEADER.size + count * ENTRY.size > size:
        raise BadPresetFile(f"a chunk list of {count} entries does not fit the file")
    chunks: dict[bytes, tuple[int, int]] = {}
    for chunk_id, offset, length in ENTRY.iter_unpack(stream.read(count * ENTRY.size)):
        if offset < 0 or length < 0 or offset + length > size:
            raise BadPresetFile(f"chunk {chunk_id!r} lies outside the file")
        chunks.setdefault(chunk_id, (offset, length))
    return class_id.decode("ascii").upper(), chunks


def _meta_info(stream: BinaryIO, chunk: tuple[int, int] | None, path: Path) -> dict[str, str]:
    """The MetaInfo attributes (`<Attr id=… value=…/>`, first of each id), or {} when there are none
    or they cannot be read (logged)."""
    if chunk is None:
        return {}
    offset, length = chunk
    if length > MAX_INFO_BYTES:
        log.warning("%s: an Info chunk of %d bytes (over %d): its metadata is not read", path, length, MAX_INFO_BYTES)
        return {}
    stream.seek(offset)
    attributes: dict[str, str] = {}

    def start(tag: str, values: dict[str, str]) -> None:
        if tag == "Attr" and "id" in values:
            attributes.setdefault(values["id"], values.get("value", ""))

    parser = parser_without_dtd(lambda line: BadPresetFile(f"a DTD at line {line} of the Info chunk: refused"))
    parser.StartElementHandler = start
    try:
        parser.Parse(stream.read(length), True)
    except (BadPresetFile, expat.ExpatError) as exc:
        log.warning("%s: the Info chunk is unreadable (%s): its metadata is not read", path, exc)
        return {}
    return attributes
