"""REAPER projects (`.rpp`): the plugins of every track, take and the master.

An `.rpp` is REAPER's "state chunk" text: a line opening with `<TAG` starts a block, a line
`>` ends it, and values are separated by spaces, quoted with `"`, `'` or a backtick when
they hold spaces (Cockos' wiki, "State Chunk Definitions"). Each plugin is a block inside
an FX chain (`<FXCHAIN`, `<FXCHAIN_REC` for input FX, `<TAKEFX`, `<MASTERFXLIST`, REAPER 7's
`<CONTAINER`), whose opening line carries its identity, as REAPER writes it:

    <VST "VST3: ReaEQ (Cockos)" reaeq.vst3 0 "" 1919247729{56535472656571726561657100000000} ""
    <VST "VSTi: Zebra2 (u-he)" Zebra2.vst 0 Schmackes 1397572658<565354534D44327A6562726132000000> ""
    <AU "AU: T-De-Esser 2 (Techivation)" "Techivation: T-De-Esser 2" "" 1635083896 1415869293 1415930728
    <CLAP "CLAP: Pro-Q 4 (FabFilter)" com.FabFilter.Pro-Q.4 ""
    <LV2 "LV2: ZamComp (Damien Zammit)" urn:zamaudio:ZamComp ""
    <JS loser/3BandEQ ""

VST3: the `{…}` is the class id (FUID) in hex; VST2: the number before `<…>` is the plugin's
unique id; AU: the three numbers are type, subtype and manufacturer as 32-bit codes. The
blocks' content (base64 plugin state) is skipped, never decoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, ClassVar

from pluginary.core.interfaces import PluginReference
from pluginary.projects.common import CHUNK_BYTES, open_project, shorten

#: Blocks that hold plugins, and what they add to the location.
_FX_BLOCKS = {"FXCHAIN": "", "FXCHAIN_REC": " (input FX)", "TAKEFX": " (take FX)", "MASTERFXLIST": "", "CONTAINER": ""}
_PLUGIN_TAGS = {"VST", "AU", "CLAP", "LV2", "JS", "DX"}
#: "VST3i: Name (Vendor)": the format word REAPER puts before the name.
_DISPLAY = re.compile(r"^(?P<kind>VST3|VST|AU|CLAP|LV2|DX)i?: (?P<rest>.*)$", re.DOTALL)
_VENDOR = re.compile(r"^(?P<name>.*\S)\s*\((?P<vendor>[^()]*)\)$", re.DOTALL)
_VST3_ID = re.compile(r"\{(?P<cid>[0-9A-Fa-f-]{32,36})\}")
_VST2_ID = re.compile(r"^(?P<uid>-?\d+)<")


class ReaperReader:
    """Reads REAPER `.rpp` projects (and `.rpp-bak` backups)."""

    name: ClassVar[str] = "rpp"
    suffixes: ClassVar[tuple[str, ...]] = (".rpp", ".rpp-bak")

    def sniff(self, head: bytes) -> bool:
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<REAPER_PROJECT")

    def read(self, path: Path) -> list[PluginReference]:
        found: list[PluginReference] = []
        stack: list[str] = []  # open block tags, outermost first
        track = ""  # the current track's name
        tracks = 0
        with open_project(path) as stream:
            for number, raw_line in enumerate(_lines(stream), start=1):
                line = raw_line.decode("utf-8", errors="replace").strip()
                if line.startswith(">"):
                    if stack:
                        stack.pop()
                    continue
                if not line.startswith("<"):
                    if stack and stack[-1] == "TRACK" and line.startswith("NAME "):
                        names = _tokens(line)
                        track = names[1] if len(names) > 1 and names[1] else f"Track {tracks}"
                    continue
                values = _tokens(line)
                tag = values[0][1:]
                if tag == "TRACK":
                    tracks += 1
                    track = f"Track {tracks}"
                elif tag in _PLUGIN_TAGS and any(block in _FX_BLOCKS for block in stack):
                    where = "Master" if "MASTERFXLIST" in stack else track
                    where += "".join(_FX_BLOCKS[block] for block in stack if block in _FX_BLOCKS)
                    found.append(_reference(tag, values, where, line, number))
                stack.append(tag)
        return found


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """The file's lines, each cut to one read piece: what a longer line holds past that
    (base64 state, or an attack) is skipped, so memory stays bounded."""
    while line := stream.readline(CHUNK_BYTES):
        if len(line) == CHUNK_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(CHUNK_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line


def _reference(tag: str, values: list[str], where: str, line: str, number: int) -> PluginReference:
    display = values[1] if len(values) > 1 else ""
    raw = shorten(f"line {number}: {line}")
    if tag == "JS":
        return PluginReference(format="jsfx", id="", name=display, location=where, raw=raw, external=False)
    matched = _DISPLAY.match(display)
    kind, shown = (matched["kind"], matched["rest"]) if matched else (tag, display)
    named = _VENDOR.match(shown)
    name, vendor = (named["name"], named["vendor"].strip()) if named else (shown, "")
    plugin_id = ""
    if tag == "VST":
        rest = values[2:]
        cids = [m["cid"].replace("-", "").upper() for value in rest if (m := _VST3_ID.search(value))]
        uids = [m["uid"] for value in rest if (m := _VST2_ID.match(value))]
        if kind == "VST3" or (cids and not uids):
            fmt = "vst3"
            plugin_id = f"vst3:{cids[0]}" if cids and len(cids[0]) == 32 else ""
        else:
            fmt = "vst2"
            plugin_id = f"vst2:{int(uids[0]) & 0xFFFFFFFF}" if uids else ""
    elif tag == "AU":
        fmt = "au"
        if len(values) > 2 and ":" in values[2]:  # "Vendor: Name", the AU convention
            vendor, _, name = (part.strip() for part in values[2].partition(":"))
        codes = [int(value) & 0xFFFFFFFF for value in values[3:] if re.fullmatch(r"-?\d+", value)]
        if len(codes) >= 3:
            plugin_id = "au:" + "-".join(code.to_bytes(4, "big").decode("mac_roman") for code in codes[:3])
    elif tag in ("CLAP", "LV2"):
        fmt = tag.lower()
        plugin_id = f"{fmt}:{values[2]}" if len(values) > 2 and values[2] else ""
    else:  # DX: a Windows DirectX plugin, known by its name only
        fmt = "dx"
    return PluginReference(format=fmt, id=plugin_id, name=name, vendor=vendor, location=where, raw=raw)


def _tokens(line: str) -> list[str]:
    """A state-chunk line's values: split at spaces, a value quoted with ", ' or ` taken whole."""
    values: list[str] = []
    index, end = 0, len(line)
    while index < end:
        char = line[index]
        if char.isspace():
            index += 1
        elif char in "\"'`":
            close = line.find(char, index + 1)
            close = end if close < 0 else close
            values.append(line[index + 1 : close])
            index = close + 1
        else:
            stop = index
            while stop < end and not line[stop].isspace():
                stop += 1
            values.append(line[index:stop])
            index = stop
    return values
