"""Ardour sessions (`NAME.ardour`): the plugins on every track and bus.

Ardour saves each plugin insert as a `<Processor>` of its route, with the plugin's format
and the id Ardour knows it by (`PluginInsert::state` in Ardour's libs/ardour/plugin_insert.cc;
the format word is each plugin class's `state_node_name`):

    <Route … name="Vocals" …>
      <Processor id="193" name="ZamComp" … type="lv2" unique-id="urn:zamaudio:ZamComp" count="1" custom="0">
      <Processor id="211" name="ZamEQ2" … type="vst3" unique-id="2046504473616C633251455A00000000" …>

lv2: the plugin's URI; vst3: the class id in hex; lxvst, windows-vst, mac-vst: the VST2
unique id; audiounit: `type-subtype-manufacturer` (Ardour 7's AUv2DescStr); ladspa: its
number; luaproc: a hash of one of Ardour's own Lua DSP scripts, which ships with Ardour.
Ardour writes the session as XML through libxml2; it is parsed here streaming and defused.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pluginary.core.interfaces import PluginReference
from pluginary.projects.common import ProjectError, chunks, open_project, parse_xml, shorten

#: Ardour's word for a plugin format → ours.
_FORMATS = {
    "lv2": "lv2",
    "vst3": "vst3",
    "lxvst": "vst2",
    "windows-vst": "vst2",
    "mac-vst": "vst2",
    "audiounit": "au",
    "ladspa": "ladspa",
    "luaproc": "luaproc",
}


class ArdourReader:
    """Reads Ardour session files (`.ardour`, and the `.bak`/`.pending` copies Ardour keeps)."""

    name: ClassVar[str] = "ardour"
    suffixes: ClassVar[tuple[str, ...]] = (".ardour", ".ardour.bak", ".pending")

    def sniff(self, head: bytes) -> bool:
        return b"<Session " in head

    def read(self, path: Path) -> list[PluginReference]:
        found: list[PluginReference] = []
        routes: list[str] = []  # the names of the routes the parser is inside, outermost first
        root: list[str] = []

        def start(tag: str, attributes: dict[str, str]) -> None:
            if not root:
                root.append(tag)
            if tag == "Route":
                routes.append(attributes.get("name", ""))
            elif tag == "Processor" and attributes.get("type") in _FORMATS:
                found.append(_reference(attributes, routes[-1] if routes else ""))

        def end(tag: str) -> None:
            if tag == "Route" and routes:
                routes.pop()

        with open_project(path) as stream:
            parse_xml(chunks(stream), str(path), start, end)
        if root != ["Session"]:
            raise ProjectError(f"not an Ardour session (its root is <{root[0] if root else ''}>)", where=str(path))
        return found


def _reference(attributes: dict[str, str], route: str) -> PluginReference:
    kind = attributes["type"]
    fmt = _FORMATS[kind]
    unique_id = attributes.get("unique-id", "").strip()
    raw = shorten(" ".join(f'{key}="{attributes.get(key, "")}"' for key in ("name", "type", "unique-id")))
    if fmt == "luaproc":
        plugin_id = ""
    elif fmt == "vst3":
        plugin_id = f"vst3:{unique_id.upper()}" if unique_id else ""
    else:
        plugin_id = f"{fmt}:{unique_id}" if unique_id else ""
    return PluginReference(
        format=fmt,
        id=plugin_id,
        name=attributes.get("name", ""),
        location=route,
        raw=raw,
        external=fmt != "luaproc",
    )
