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
  the factory file's vocabulary is used (`ARDOUR_TAGS`: `dyn:compressor`,
  `eq:parametric`, `midi-effect`, …). Ardour ranks an entry by its source
  (`set_tags`: GUI > `user-set="1"` > factory file or an entry without user-set
  > the plugin's own metadata) and replaces a plugin's tags whole, so only what
  the user labelled (tags, `CategorySource.USER`) is user-set, on top of
  Ardour's factory tags for it; an unlabelled plugin gets an entry only when
  Ardour has no factory tags for it (`render_tags`, docs/exporters.md).
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

import glob
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import attrs

from pluginary.core import taxonomy
from pluginary.core.errors import PipelineError, StageError
from pluginary.core.interfaces import OutputFile
from pluginary.core.models import CategorySource, Plugin
from pluginary.exporters.common import (
    FAVORITE_TAGS,
    MAX_MERGE_BYTES,
    au_codes,
    body,
    folder_target,
    join_lines,
    newline_of,
    parse_options,
    read_existing,
    read_regular,
    single_line,
    split_lines,
    stable,
    user_tags,
    xml_safe,
)

TAGS_FILE = "plugin_tags"
STATUSES_FILE = "plugin_statuses"
HIDDEN_TAGS = frozenset({"hidden"})
#: `load_statuses` reads the rest of a line into a 1024-byte buffer (the last byte for the NUL); a
#: line that does not fit stops its reading of the file, losing every status after it.
MAX_STATUS_LINE = 1023

logger = logging.getLogger(__name__)

#: Pluginary category → Ardour's words for it, from the vocabulary of Ardour's factory `plugin_tags`
#: (`share/plugin_metadata/plugin_tags`: `dyn:compressor`, `eq:parametric`, `midi-effect`, `keys`, …). Ardour
#: has no word for a bare "Effect"; "organ" is `keys` (its factory file adds `b3` for tonewheel organs only).
ARDOUR_TAGS: dict[str, tuple[str, ...]] = {
    "Instrument": ("instrument",),
    "Instrument/Synth": ("instrument", "synth"),
    "Instrument/Sampler": ("instrument", "sampler"),
    "Instrument/Drum": ("instrument", "drum-machine"),
    "Instrument/Piano": ("instrument", "keys", "piano"),
    "Instrument/Organ": ("instrument", "keys"),
    "Instrument/Other": ("instrument",),
    "Effect": (),
    "Effect/EQ": ("eq:parametric",),
    "Effect/Filter": ("eq:filter",),
    "Effect/Dynamics": ("dyn:compressor",),
    "Effect/Reverb": ("reverb",),
    "Effect/Delay": ("delay",),
    "Effect/Modulation": ("modulation",),
    "Effect/Distortion": ("distortion",),
    "Effect/Pitch": ("pitch-shift",),
    "Effect/Spatial": ("spatial",),
    "Effect/Analyzer": ("analyser",),
    "Effect/Restoration": ("noise-reduction",),
    "Effect/Utility": ("utility",),
    "Effect/Mastering": ("mastering",),
    "Effect/Channel Strip": ("channel-strip",),
    "MIDI": ("midi-effect",),
    "Generator": ("generator",),
}

#: Ardour splits some of our categories finer: the word the plugin's name or native categories point at
#: replaces the category's default (the first that matches wins).
REFINED: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "Effect/Dynamics": (
        (re.compile(r"limit|maximi[sz]|clipper"), "dyn:limiter"),
        (re.compile(r"gate|expand"), "dyn:gate/expander"),
        (re.compile(r"de-?ess"), "dyn:de-esser"),
        (re.compile(r"transient"), "dyn:transient-designer"),
    ),
    "Effect/EQ": (
        (re.compile(r"graphic|\bgeq"), "eq:graphic"),
        (re.compile(r"dynamic"), "eq:dynamic"),
        (re.compile(r"tilt"), "eq:tilt"),
        (re.compile(r"linear.?phase"), "eq:linear-phase"),
    ),
    "Effect/Distortion": (
        (re.compile(r"\bamp\b|amp.?sim|cabinet|\bcab\b"), "amp-simulator"),
        (re.compile(r"tape"), "tape-simulator"),
    ),
    "Effect/Analyzer": ((re.compile(r"tuner"), "tuner"),),
}


def category_words(plugin: Plugin, name: str) -> tuple[str, ...]:
    """Ardour's words for one of the plugin's categories; a category outside the taxonomy as one word."""
    if name not in ARDOUR_TAGS:
        return (ardour_word(taxonomy.leaf(name)),)
    text = " ".join((plugin.name, *plugin.native_categories)).lower()
    refined = next((word for pattern, word in REFINED.get(name, ()) if pattern.search(text)), None)
    return (*ARDOUR_TAGS[name][:-1], refined) if refined else ARDOUR_TAGS[name]


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


def is_user_set(plugin: Plugin) -> bool:
    """Whether the user labelled this plugin (a tag, or a category set by hand): only then does its entry
    say `user-set="1"`, which ranks above Ardour's factory tags and replaces them."""
    return bool(plugin.tags) or any(c.source is CategorySource.USER for c in plugin.categories)


def ardour_tags(plugin: Plugin, factory: str | None = None) -> str:
    """The plugin's entry's `tags`: its categories in Ardour's words, or, when Ardour has factory tags for
    it (`factory`), those and only the categories the user set; then the user's tags."""
    categories = [c.name for c in plugin.categories if factory is None or c.source is CategorySource.USER]
    words = factory.split() if factory is not None else []
    words += [word for name in categories for word in category_words(plugin, name)]
    words += [ardour_word(tag) for tag in plugin.tags]
    return " ".join(dict.fromkeys(w for w in words if w))


def ardour_status(plugin: Plugin) -> str | None:
    tags = user_tags(plugin)
    if tags & HIDDEN_TAGS:
        return "Hidden"
    if tags & FAVORITE_TAGS:
        return "Favorite"
    return None


@attrs.frozen
class ArdourOptions:
    statuses: bool = False
    #: Ardour's own (factory) `plugin_tags`; "" finds it where Ardour's packages install it.
    factory_tags: str = ""


#: Where Ardour N's installers put its factory `plugin_metadata/plugin_tags` (its data folder): Debian and
#: source builds, the official Linux bundle (/opt/Ardour-N.x.y), macOS, Windows.
FACTORY_PLACES = (
    "/usr/share/ardour{n}/plugin_metadata/plugin_tags",
    "/usr/local/share/ardour{n}/plugin_metadata/plugin_tags",
    "/opt/Ardour-{n}.*/share/plugin_metadata/plugin_tags",
    "/Applications/Ardour{n}.app/Contents/Resources/plugin_metadata/plugin_tags",
    "C:/Program Files/Ardour{n}/share/plugin_metadata/plugin_tags",
)
#: Marks an entry Pluginary wrote and Ardour has not rewritten since: Ardour reads only type, id, tags,
#: name and user-set, and drops other attributes when it saves the file, so an entry without the mark is
#: Ardour's or the user's.
MARK = "pluginary"


def find_factory_tags(folder: Path) -> Path | None:
    """Ardour's factory `plugin_tags` for the Ardour whose config `folder` is (`…/ardour7/plugin_metadata`)."""
    version = next((m[1] for part in reversed(folder.parts) if (m := re.fullmatch(r"ardour(\d+)", part, re.I))), None)
    if version is None:
        return None
    for place in FACTORY_PLACES:
        found = sorted(glob.glob(place.format(n=version)))
        if found:
            return Path(found[-1])  # the newest /opt/Ardour-N.x.y sorts last among the usual versions
    return None


def factory_tags(path: Path) -> dict[tuple[str, str], str] | None:
    """(type, id) → tags, as Ardour reads its factory file: words split at spaces, commas and newlines and
    lower-cased (`sanitize_tag`), a later entry for the same plugin replacing an earlier one. None when
    there is no such file."""
    data = read_regular(path, limit=MAX_MERGE_BYTES, purpose="for Ardour's factory tags")
    if data is None:
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise StageError(
            f"cannot read Ardour's factory tags from {path.name}: it is not valid XML ({exc})",
            where=str(path),
            fix="give the right file as the option factory_tags",
        ) from exc
    found: dict[tuple[str, str], str] = {}
    for element in root:
        kind, unique_id, tags = element.get("type"), element.get("id"), element.get("tags")
        if kind and unique_id and tags is not None and element.get("name") is not None:
            found[(kind, unique_id)] = " ".join(w.lower() for w in re.split("[ ,\n]", tags.strip()) if w)
    return found


@attrs.frozen
class _Wanted:
    tags: str
    name: str
    user_set: bool


def render_tags(
    plugins: list[Plugin], path: Path, existing: bytes | None, factory: dict[tuple[str, str], str] | None
) -> bytes:
    """`plugin_tags` with an entry per exported plugin Ardour should show our tags for; every other
    element, attribute and comment kept.

    Ardour ranks tags user-set > factory (its file, and entries here without user-set) > the plugin's own.
    A plugin the user labelled gets a user-set entry. One the user did not label gets an entry without
    user-set, marked as ours, only when Ardour has no factory tags for it: otherwise its entry would
    replace them. With `factory` None (Ardour's factory file not found) no such entry is written, since
    any could replace factory tags; ours from an earlier export are removed where they no longer apply.
    """
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
    entries: dict[tuple[str, str], _Wanted | None] = {}
    for plugin in plugins:
        identity = ardour_identity(plugin)
        if identity is None or identity in entries:
            continue
        known = (factory or {}).get(identity)
        if is_user_set(plugin):
            wanted: _Wanted | None = _Wanted(ardour_tags(plugin, known), xml_safe(single_line(plugin.name)), True)
        elif factory is not None and known is None:
            wanted = _Wanted(ardour_tags(plugin), xml_safe(single_line(plugin.name)), False)
        else:
            wanted = None
        entries[identity] = wanted if wanted and wanted.tags else None
    for identity, wanted in sorted(entries.items()):
        elements = present.get(identity, [])
        ours = [e for e in elements if e.get(MARK) == "1"]
        if wanted is None or (not wanted.user_set and len(ours) < len(elements)):
            # Nothing of ours to say, or the user's own tags from Ardour are there: theirs win over ours.
            for element in ours:
                root.remove(element)
            continue
        # Every entry for the plugin is updated: Ardour reads them all, and the last one read wins.
        for element in elements or [ET.SubElement(root, "Plugin")]:
            for key, value in (
                ("type", identity[0]),
                ("id", identity[1]),
                ("tags", wanted.tags),
                ("name", wanted.name),
            ):
                element.set(key, value)
            if wanted.user_set:
                element.set("user-set", "1")
            else:
                element.attrib.pop("user-set", None)
            element.set(MARK, "1")
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
    options_class: ClassVar[type[ArdourOptions]] = ArdourOptions

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, self.options_class)
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
        existing = read_existing(target)
        source = Path(opts.factory_tags).expanduser() if opts.factory_tags else find_factory_tags(folder)
        factory = factory_tags(source) if source else None
        if factory is None and opts.factory_tags:
            raise PipelineError(
                f"Ardour's factory tags file {source} does not exist",
                where=f"export {self.name}: option factory_tags",
                fix="give the plugin_tags file of Ardour's plugin_metadata data folder, or leave the option out",
            )
        untagged = sum(not is_user_set(p) and ardour_identity(p) is not None for p in ordered)
        if factory is None and untagged:
            logger.warning(
                "ardour: Ardour's factory plugin_tags not found: %d plugin%s you did not tag left out (an entry "
                "could replace Ardour's own tags for it); give its path as the option factory_tags",
                untagged,
                "s" if untagged > 1 else "",
            )
        files = [OutputFile(target, render_tags(ordered, target, existing, factory))]
        if opts.statuses:
            target = folder / STATUSES_FILE
            files.append(OutputFile(target, render_statuses(ordered, read_existing(target))))
        return files
