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
- Types and ids, as Ardour's `unique_id`: `LV2` with the plugin URI; `VST3`
  with the class id as 32 upper-case hex digits (`FUID::toString`, what
  `vst3_scan.cc` stores); `AudioUnit` with type, subtype and manufacturer as
  four characters each (`aufx-dely-appl`, `auv2_stringify_descriptor`). The
  decimal AU form (`1635083896-…`) is what Ardour before 6.8 wrote by mistake;
  `AUPluginInfo::convert_old_unique_id` converts it only for sessions, never
  for tags, so a tag under it is never applied. A VST3 plugin whose Pluginary
  id is not its class id (`vst3:<path>#<name>`, from before the native
  reader) is left out, with one warning giving their number.
- What Ardour's readers allow: `tags` is split at spaces, commas and newlines
  and lower-cased (`sanitize_tag`), so each tag is made one word; a
  `plugin_statuses` line is read as two words and the rest of the line, into
  a 1024-byte buffer, and one longer line ends the reading of the whole file
  (`load_statuses`), so an id that long, or with a line break or blank at its
  ends, gets no status line.

Merging: entries for other plugins (other types, or plugins Pluginary does not
export) are kept in place; entries for exported plugins are updated in place,
new ones appended in (type, id) order. A plugin with neither categories nor
tags gets no entry. The export stage backs the old file up first.
"""

from __future__ import annotations

import logging
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
    body,
    folder_target,
    join_lines,
    newline_of,
    parse_options,
    read_existing,
    single_line,
    split_lines,
    stable,
    xml_safe,
)

TAGS_FILE = "plugin_tags"
STATUSES_FILE = "plugin_statuses"
FAVORITE_TAGS = frozenset({"favorite", "favourite"})
HIDDEN_TAGS = frozenset({"hidden"})
#: `load_statuses` reads the rest of a line into a 1024-byte buffer (the last byte for the NUL); a
#: line that does not fit stops its reading of the file, losing every status after it.
MAX_STATUS_LINE = 1023

logger = logging.getLogger(__name__)

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


def ardour_identity(plugin: Plugin) -> tuple[str, str] | None:
    """Ardour's (type, unique id) for a plugin, or None where Ardour would not know it that way."""
    identity = plugin.id.split(":", 1)[1] if ":" in plugin.id else ""
    if plugin.format == "lv2" and identity and single_line(identity) == identity == xml_safe(identity):
        return "LV2", identity
    if plugin.format == "vst3" and _CLASS_ID.fullmatch(identity):
        return "VST3", identity.upper()
    codes = au_codes(plugin.id) if plugin.format == "au" else None
    if codes and all(_OSTYPE.fullmatch(code) for code in codes):
        return "AudioUnit", "-".join(codes)
    return None


_CLASS_ID = re.compile(r"[0-9A-Fa-f]{32}")
#: What Ardour's `AUv2DescStr` takes: four bytes once in UTF-8, printable (it is an XML attribute too).
_OSTYPE = re.compile(r"[\x20-\x7e]{4}")


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
    """`plugin_tags` with an entry per exported plugin; every other element, attribute and comment kept."""
    if existing:
        try:
            # Comments and processing instructions are kept: the default tree builder drops them.
            parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
            root = ET.fromstring(existing, parser=parser)
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
    present: dict[tuple[str | None, str | None], list[ET.Element]] = {}
    for element in root:
        if element.tag == "Plugin":
            present.setdefault((element.get("type"), element.get("id")), []).append(element)
    entries: dict[tuple[str, str], tuple[str, str]] = {}
    for plugin in plugins:
        identity = ardour_identity(plugin)
        tags = ardour_tags(plugin)
        if identity and tags:
            entries.setdefault(identity, (tags, xml_safe(single_line(plugin.name))))
    for (kind, unique_id), (words, name) in sorted(entries.items()):
        # Every entry for the plugin is updated: Ardour reads them all, and the last one read wins.
        for element in present.get((kind, unique_id)) or [ET.SubElement(root, "Plugin")]:
            for key, value in (("type", kind), ("id", unique_id), ("tags", words), ("name", name), ("user-set", "1")):
                element.set(key, value)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


#: The white space Ardour's `operator>>` and `strip_whitespace_edges` see (C's isspace): only ASCII.
_SPACE = " \t\n\v\f\r"
_FIELDS = re.compile(f"[{_SPACE}]+")


def render_statuses(plugins: list[Plugin], existing: bytes | None) -> bytes:
    """`plugin_statuses` with a line per exported plugin that has a status; every other line kept byte for
    byte (`split_lines`), an exported plugin's lines updated in place, keeping their endings."""
    lines = split_lines(existing)
    newline = newline_of(lines)
    wanted: dict[tuple[str, str], str] = {}
    for plugin in plugins:
        identity, status = ardour_identity(plugin), ardour_status(plugin)
        if identity and status:
            if _fits_a_status_line(identity[1], newline):
                wanted.setdefault(identity, status)
            else:
                logger.warning(
                    "ardour: no status for %s: Ardour cannot read an id that long, or with blanks "
                    "or line breaks at its ends, from %s",
                    plugin.name,
                    STATUSES_FILE,
                )
    found: set[tuple[str, str]] = set()
    for index, line in enumerate(lines):
        fields = _FIELDS.split(body(line).strip(_SPACE), maxsplit=2)
        key = (fields[0], fields[2]) if len(fields) == 3 else None
        if key in wanted:
            lines[index] = f"{key[0]} {wanted[key]} {key[1]}" + line[len(body(line)) :]
            found.add(key)
    lines += [
        f"{kind} {status} {identity}{newline}"
        for (kind, identity), status in sorted(wanted.items())
        if (kind, identity) not in found
    ]
    return join_lines(lines, newline)


def _fits_a_status_line(unique_id: str, newline: str) -> bool:
    """Whether Ardour reads `unique_id` back whole from a status line, and the lines after it."""
    rest = f" {unique_id}{newline.removesuffix(chr(10))}"  # what `getline` reads after the status word
    return unique_id == unique_id.strip(_SPACE) and "\n" not in unique_id and len(rest.encode()) <= MAX_STATUS_LINE


class ArdourExporter:
    name: ClassVar[str] = "ardour"

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, ArdourOptions)
        folder = folder_target(self.name, path)
        ordered = stable(plugins)
        unkeyed = sum(plugin.format == "vst3" and ardour_identity(plugin) is None for plugin in ordered)
        if unkeyed:
            logger.warning(
                "ardour: %d VST3 plugin%s left out: %s no class id (an id vst3:<path>#<name> from an older "
                "scan), and Ardour knows a VST3 plugin only by it; rescan with `pluginary scan --full`",
                unkeyed,
                "s" if unkeyed > 1 else "",
                "they have" if unkeyed > 1 else "it has",
            )
        target = folder / TAGS_FILE
        files = [OutputFile(target, render_tags(ordered, target, read_existing(target)))]
        if opts.statuses:
            target = folder / STATUSES_FILE
            files.append(OutputFile(target, render_statuses(ordered, read_existing(target))))
        return files
