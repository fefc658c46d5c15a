"""Ableton Live sets (`.als`): the plugins on every track, return and the main track.

Ableton does not publish the format. A Live set is gzipped XML, `<Ableton>` → `<LiveSet>` →
`<Tracks>` (`AudioTrack`, `MidiTrack`, `GroupTrack`, `ReturnTrack`) plus `MasterTrack`
(Live 12: `MainTrack`); each track names itself in `<Name><EffectiveName Value="…"/>` and its
devices, racks included, sit under its `DeviceChain`. A plugin is a `PluginDevice` (or
`AuPluginDevice`) whose `<PluginDesc>` holds one of:

    <VstPluginInfo>   PlugName, UniqueId (the VST2 id, decimal), Path
    <Vst3PluginInfo>  Name, Uid/Fields.0 … Fields.3 (the class id as four 32-bit numbers)
    <AuPluginInfo>    Name, Manufacturer, ComponentType, ComponentSubType, ComponentManufacturer

each value in a `Value` attribute. This is the structure public tools that read and write
Live sets rely on (sets saved by Live 10–12 quoted in their sources and tests); fixtures here
follow it. Only these elements are looked at: the rest of the set is streamed past.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import attrs

from pluginary.core.interfaces import PluginReference
from pluginary.projects.common import (
    GZIP_MAGIC,
    ProjectError,
    chunks,
    gunzipped,
    open_project,
    parse_xml,
    shorten,
)

_TRACKS = {"AudioTrack", "MidiTrack", "GroupTrack", "ReturnTrack", "MasterTrack", "MainTrack", "PreHearTrack"}
_INFOS = {"VstPluginInfo": "vst2", "Vst3PluginInfo": "vst3", "AuPluginInfo": "au"}
#: At most this many values are kept for one plugin (its own fields are a dozen).
_MAX_VALUES = 64


class LiveReader:
    """Reads Ableton Live sets (`.als`)."""

    name: ClassVar[str] = "als"
    suffixes: ClassVar[tuple[str, ...]] = (".als",)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(GZIP_MAGIC) or b"<Ableton " in head

    def read(self, path: Path) -> list[PluginReference]:
        where = str(path)
        found: list[PluginReference] = []
        stack: list[str] = []  # open elements, outermost first
        tracks: list[list[str]] = []  # [tag, name] of each track the parser is inside
        reading: list[_Info] = []  # the plugin description being read, when inside one

        def start(tag: str, attributes: dict[str, str]) -> None:
            if not stack and tag != "Ableton":
                raise ProjectError(f"not a Live set (its root is <{tag}>)", where=where)
            stack.append(tag)
            if tag in _TRACKS:
                tracks.append([tag, ""])
            elif tag == "EffectiveName" and tracks and stack[-3:-1] == [tracks[-1][0], "Name"]:
                tracks[-1][1] = attributes.get("Value", "")
            elif tag in _INFOS and not reading:
                reading.append(_Info(tag, len(stack)))
            elif reading and "Value" in attributes and len(reading[0].values) < _MAX_VALUES:
                # keyed by the path below the description: "Name", "Uid/Fields.0", …
                reading[0].values.setdefault("/".join(stack[reading[0].depth :]), attributes["Value"])

        def end(tag: str) -> None:
            if reading and len(stack) == reading[0].depth:
                location = (tracks[-1][1] or tracks[-1][0]) if tracks else ""
                found.append(_reference(reading.pop(), location))
            elif tag in _TRACKS and tracks:
                tracks.pop()
            stack.pop()

        with open_project(path) as stream:
            head = stream.read(2)
            stream.seek(0)
            pieces = gunzipped(stream, where) if head == GZIP_MAGIC else chunks(stream)
            parse_xml(pieces, where, start, end)
        return found


@attrs.define
class _Info:
    """A plugin description being read: its tag, its depth, the values below it by path."""

    tag: str
    depth: int
    values: dict[str, str] = attrs.Factory(dict)


def _reference(info: _Info, location: str) -> PluginReference:
    fmt, values = _INFOS[info.tag], info.values
    raw = shorten(f"<{info.tag}> " + " ".join(f"{key}={value!r}" for key, value in values.items() if "/" not in key))
    if fmt == "vst2":
        unique = values.get("UniqueId", "")
        plugin_id = f"vst2:{int(unique) & 0xFFFFFFFF}" if _is_int(unique) else ""
        return PluginReference(format=fmt, id=plugin_id, name=values.get("PlugName", ""), location=location, raw=raw)
    if fmt == "vst3":
        # The plugin's own Uid; a set whose plugin has none keeps it in the stored preset.
        for prefix in ("Uid/", "Preset/Vst3Preset/Uid/"):
            fields = [values.get(f"{prefix}Fields.{index}", "") for index in range(4)]
            if all(_is_int(field) for field in fields):
                plugin_id = "vst3:" + "".join(f"{int(field) & 0xFFFFFFFF:08X}" for field in fields)
                break
        else:
            plugin_id = ""
        return PluginReference(
            format=fmt, id=plugin_id, name=values.get("Name", ""), vendor=values.get("Vendor", ""),
            location=location, raw=raw,
        )  # fmt: skip
    codes = [values.get(key, "") for key in ("ComponentType", "ComponentSubType", "ComponentManufacturer")]
    plugin_id = ""
    if all(_is_int(code) for code in codes):
        plugin_id = "au:" + "-".join((int(code) & 0xFFFFFFFF).to_bytes(4, "big").decode("mac_roman") for code in codes)
    return PluginReference(
        format=fmt, id=plugin_id, name=values.get("Name", ""), vendor=values.get("Manufacturer", ""),
        location=location, raw=raw,
    )  # fmt: skip


def _is_int(text: str) -> bool:
    return text.strip().lstrip("-").isdigit() and len(text) < 24
