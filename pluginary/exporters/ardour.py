"""`ardour`: tags (and, when asked, favourite/hidden statuses) for Ardour's plugin selector.

`path` is Ardour's `plugin_metadata` folder (`~/.config/ardour8/plugin_metadata`
on Linux). Written from what Ardour's `libs/ardour/plugin_manager.cc` reads and
writes there (`load_tags`/`save_tags`, `load_statuses`/`save_statuses`), and
its factory `share/plugin_metadata/plugin_tags`:

- `plugin_tags`: XML, `<PluginTags>` holding one
  `<Plugin type=".." id=".." tags=".." name=".." user-set="1"/>` per plugin.
  Ardour reads only the children (a `version` attribute on the root, written
  here for new files, is ignored by it). Tags are lower-case words separated by
  spaces (Ardour splits on space, comma and newline and lower-cases them);
  the factory file's vocabulary is used: `reverb`, `delay`, `dyn:compressor`,
  `eq:filter`, `modulation`, `analyser`, `channel-strip`, `synth`, ….
  `user-set="1"` marks entries Ardour treats as the user's own, which is what
  an export is.
- `plugin_statuses` (`statuses: true`): text, one `TYPE STATUS ID` line per
  plugin, STATUS `Favorite`, `Hidden` or `Normal`. Pluginary sets Favorite for
  a plugin tagged `favorite`/`favourite` and Hidden for one tagged `hidden`,
  and leaves every other line alone.
- Types and ids: `LV2` with the plugin URI; `VST3` with the class id as 32
  upper-case hex digits; `AudioUnit` with type, subtype and manufacturer as
  decimal numbers joined by `-` (`1635083896-1147101561-1634758764`).

Merging: entries for other plugins (other types, or plugins Pluginary does not
export) are kept in place; entries for exported plugins are updated in place,
new ones appended in (type, id) order. A plugin with neither categories nor
tags gets no entry. The export stage backs the old file up first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import attrs

from pluginary.core import taxonomy
from pluginary.core.errors import StageError
from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin
from pluginary.exporters.common import (
    au_codes,
    folder_target,
    parse_options,
    read_existing,
    single_line,
    stable,
    xml_safe,
)

TAGS_FILE = "plugin_tags"
STATUSES_FILE = "plugin_statuses"
FAVORITE_TAGS = frozenset({"favorite", "favourite"})
HIDDEN_TAGS = frozenset({"hidden"})

#: Pluginary category → Ardour tag, in the words of Ardour's factory tag file.
ARDOUR_TAGS: dict[str, str] = {
    "Instrument": "instrument",
    "Instrument/Synth": "synth",
    "Instrument/Sampler": "sampler",
    "Instrument/Drum": "drum-machine",
    "Instrument/Piano": "piano",
    "Instrument/Organ": "organ",
    "Instrument/Other": "instrument",
    "Effect": "effect",
    "Effect/EQ": "eq",
    "Effect/Filter": "eq:filter",
    "Effect/Dynamics": "dynamics",
    "Effect/Reverb": "reverb",
    "Effect/Delay": "delay",
    "Effect/Modulation": "modulation",
    "Effect/Distortion": "distortion",
    "Effect/Pitch": "pitch-shift",
    "Effect/Spatial": "spatial",
    "Effect/Analyzer": "analyser",
    "Effect/Restoration": "noise-reduction",
    "Effect/Utility": "utility",
    "Effect/Mastering": "mastering",
    "Effect/Channel Strip": "channel-strip",
    "MIDI": "midi",
    "Generator": "generator",
}


def ardour_word(text: str) -> str:
    """One Ardour tag: lower case, no separators (Ardour would split a tag at spaces and commas)."""
    return re.sub(r"[\s,]+", "-", xml_safe(single_line(text)).lower()).strip("-")


def four_char_code(code: str) -> int | None:
    """An AU OSType ("aufx") as the 32-bit number Ardour prints."""
    try:
        raw = code.encode("mac_roman")
    except UnicodeEncodeError:
        return None
    return int.from_bytes(raw, "big") if len(raw) == 4 else None


def ardour_identity(plugin: Plugin) -> tuple[str, str] | None:
    """Ardour's (type, unique id) for a plugin, or None where Ardour would not know it that way."""
    identity = plugin.id.split(":", 1)[1] if ":" in plugin.id else ""
    if plugin.format == "lv2" and identity and single_line(identity) == identity == xml_safe(identity):
        return "LV2", identity
    if plugin.format == "vst3":
        hexdigits = re.sub(r"[{}\-\s]", "", identity)
        return ("VST3", hexdigits.upper()) if re.fullmatch(r"[0-9A-Fa-f]{32}", hexdigits) else None
    if plugin.format == "au":
        codes = au_codes(plugin.id)
        numbers = [four_char_code(c) for c in codes] if codes else []
        if codes and all(n is not None for n in numbers):
            return "AudioUnit", "-".join(str(n) for n in numbers)
    return None


def ardour_tags(plugin: Plugin) -> str:
    words: list[str] = []
    for category in plugin.categories:
        words.append(ARDOUR_TAGS.get(category.name) or ardour_word(taxonomy.leaf(category.name)))
    words.extend(ardour_word(tag) for tag in plugin.tags)
    return " ".join(dict.fromkeys(w for w in words if w))


def ardour_status(plugin: Plugin) -> str | None:
    tags = {tag.strip().lower() for tag in plugin.tags}
    if tags & HIDDEN_TAGS:
        return "Hidden"
    if tags & FAVORITE_TAGS:
        return "Favorite"
    return None


@attrs.frozen
class ArdourOptions:
    statuses: bool = False


def render_tags(plugins: list[Plugin], path: Path, existing: bytes | None) -> bytes:
    if existing:
        try:
            root = ET.fromstring(existing)
        except ET.ParseError as exc:
            raise StageError(
                f"cannot merge into {path.name}: it is not valid XML ({exc})",
                where=str(path),
                fix="repair it, or move it away to let Pluginary write a fresh one",
            ) from exc
        if root.tag != "PluginTags":
            raise StageError(
                f"cannot merge into {path.name}: its root is <{root.tag}>, not <PluginTags>",
                where=str(path),
                fix="check the export path points at Ardour's plugin_metadata folder",
            )
    else:
        root = ET.Element("PluginTags", version="1")
    present = {(e.get("type"), e.get("id")): e for e in root if e.tag == "Plugin"}
    entries: dict[tuple[str, str], tuple[str, str]] = {}
    for plugin in plugins:
        identity = ardour_identity(plugin)
        tags = ardour_tags(plugin)
        if identity and tags:
            entries.setdefault(identity, (tags, plugin.name))
    for (kind, unique_id), (words, name) in sorted(entries.items()):
        element = present.get((kind, unique_id))
        if element is None:
            element = ET.SubElement(root, "Plugin")
        for key, value in (("type", kind), ("id", unique_id), ("tags", words), ("name", xml_safe(name)),
                           ("user-set", "1")):
            element.set(key, value)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def render_statuses(plugins: list[Plugin], existing: bytes | None) -> bytes:
    lines = existing.decode("utf-8", errors="surrogateescape").splitlines() if existing else []
    wanted: dict[tuple[str, str], str] = {}
    for plugin in plugins:
        identity, status = ardour_identity(plugin), ardour_status(plugin)
        if identity and status:
            wanted.setdefault(identity, status)
    for index, line in enumerate(lines):
        fields = line.split(None, 2)
        if len(fields) == 3 and (fields[0], fields[2].strip()) in wanted:
            key = (fields[0], fields[2].strip())
            lines[index] = f"{key[0]} {wanted.pop(key)} {key[1]}"
    lines.extend(f"{kind} {status} {identity}" for (kind, identity), status in sorted(wanted.items()))
    return "".join(f"{line}\n" for line in lines).encode("utf-8", errors="surrogateescape")


class ArdourExporter:
    name: ClassVar[str] = "ardour"

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, ArdourOptions)
        folder = folder_target(self.name, path)
        ordered = stable(plugins)
        target = folder / TAGS_FILE
        files = [OutputFile(target, render_tags(ordered, target, read_existing(target)))]
        if opts.statuses:
            target = folder / STATUSES_FILE
            files.append(OutputFile(target, render_statuses(ordered, read_existing(target))))
        return files
