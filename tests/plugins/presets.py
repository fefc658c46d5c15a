"""Preset files for the test plugins, written to the formats' own specifications.

`write_vstpreset` follows the VST3 SDK's "Preset Format" (public.sdk/source/vst/vstpresetfile.h):
a 48-byte header ('VST3', version 1, the class id as 32 ASCII hex digits, the chunk list's
offset), the chunks' data ('Comp', 'Cont', 'Info'), then the chunk list ('List', a count, and
per chunk its id, offset and size), little-endian, as `PresetFile::savePreset` writes it. The
MetaInfo XML is written as Steinberg's hosts write it (`<Attr id=… value=… type="string"/>`).

`write_aupreset` writes what a macOS host saves for an Audio Unit: a property list (XML or
binary) with `name`, the four-character codes as 32-bit integers, `version` and `data`.
"""

from __future__ import annotations

import plistlib
import struct
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import quoteattr

HEADER = struct.Struct("<4si32sq")
LIST_HEADER = struct.Struct("<4si")
ENTRY = struct.Struct("<4sqq")


def meta_info_xml(attributes: Mapping[str, str]) -> bytes:
    """MetaInfo XML holding `attributes` (id → value) in order."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<MetaInfo>"]
    lines += [
        f'\t<Attr id={quoteattr(key)} value={quoteattr(value)} type="string"/>' for key, value in attributes.items()
    ]
    return ("\n".join([*lines, "</MetaInfo>"]) + "\n").encode()


def vstpreset_bytes(
    class_id: str,
    *,
    component: bytes = b"\x00" * 16,
    controller: bytes | None = None,
    info: Mapping[str, str] | bytes | None = None,
) -> bytes:
    """A .vstpreset file's bytes: the state chunks, then Info (MetaInfo XML, or raw bytes as given)."""
    chunks: list[tuple[bytes, bytes]] = [(b"Comp", component)]
    if controller is not None:
        chunks.append((b"Cont", controller))
    if info is not None:
        chunks.append((b"Info", info if isinstance(info, bytes) else meta_info_xml(info)))
    data = b""
    entries = b""
    for chunk_id, chunk in chunks:
        entries += ENTRY.pack(chunk_id, HEADER.size + len(data), len(chunk))
        data += chunk
    header = HEADER.pack(b"VST3", 1, class_id.encode("ascii"), HEADER.size + len(data))
    return header + data + LIST_HEADER.pack(b"List", len(chunks)) + entries


def write_vstpreset(path: Path, class_id: str, **chunks: object) -> Path:
    """Write a .vstpreset for the class `class_id` at `path` (folders made); keywords as `vstpreset_bytes`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vstpreset_bytes(class_id, **chunks))  # type: ignore[arg-type]
    return path


def four_cc(code: str) -> int:
    """A four-character code as the 32-bit integer an .aupreset stores."""
    return int.from_bytes(code.encode("mac_roman"), "big")


def write_aupreset(
    path: Path, name: str, au_type: str, subtype: str, manufacturer: str, *, binary: bool = False
) -> Path:
    """Write an .aupreset at `path` (folders made), as an XML or binary property list."""
    info = {
        "name": name,
        "type": four_cc(au_type),
        "subtype": four_cc(subtype),
        "manufacturer": four_cc(manufacturer),
        "version": 0,
        "data": b"\x00" * 8,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(plistlib.dumps(info, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML))
    return path
