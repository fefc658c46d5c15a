"""`reaper`: categories and developers for REAPER's FX browser, merged into the user's own files.

`path` is REAPER's resource folder (Options → Show REAPER resource path). Two files:

- `reaper-fxtags.ini` (`tags: true`): `[category]` maps a plugin to category
  names joined with `|`, `[developer]` maps it to its vendor. REAPER writes the
  same sections itself at scan time.
- `reaper-fxfolders.ini` (`folders: true`): one "My Folders" folder per
  category, named `<folder_prefix><category>` ("Pluginary: Effect/Reverb"); and
  (`favorites: true`) the plugins tagged `favorite`/`favourite` added to REAPER's own
  "Favorites" folder (the folder REAPER creates as `Name0=Favorites`, made if missing).

How REAPER keys a plugin, as seen in real users' files and scripts that read them
(reaper-fxtags.ini / reaper-fxfolders.ini kept in public REAPER config
repositories, and the "Reaper-Filetype-Descriptions" notes of the Ultraschall
project):

- VST/VST3: the plugin file's name with every byte outside `[A-Za-z0-9.]` written `_`
  (`FabFilter Pro-Q 3.vst3` → `FabFilter_Pro_Q_3.vst3`); a shell's members add
  `<id`. That id is REAPER's own: it is read from REAPER's plugin cache in the same
  folder (`reaper-vstplugins*.ini`, `[vstcache]` lines
  `key=stamp,id{32-hex class id},Name`), so each member of a shell gets its own key
  when REAPER has scanned it; without the cache the plugins of one bundle share a
  key and their categories are merged.
- AU: `Manufacturer: Name`, the component's own name string. LV2: the plugin URI.
  CLAP: the plugin id.
- A folder lists `Item<n>` (the VST file's full path, the AU's `Manufacturer: Name`,
  the LV2 URI, the CLAP id) with `Type<n>`: 3 VST, 5 AU, 7 CLAP, 1 LV2;
  `[Folders]` holds `NbFolders` and each folder's `Name<i>` and `Id<i>`, and a
  folder's items sit in `[Folder<Id>]` with `Nb`.

Merging: every line Pluginary does not own is kept as it was, in place; lines
for plugins it exports are updated in place or appended in key order. Pluginary
owns the `[category]`/`[developer]` entries of the plugins it exports (a
category a user set in REAPER for one of those is replaced: keep it in
Pluginary as a user category instead) and the folders whose name starts with
`folder_prefix`; other folders and their ids are untouched, except that favourites are
added to "Favorites" (never removed from it: what is there may be the user's own choice,
made in REAPER). The export stage backs a file up before replacing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath
from typing import Any, ClassVar

import attrs

from pluginary.core import taxonomy
from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin
from pluginary.exporters.common import (
    FAVORITE_TAGS,
    body,
    folder_target,
    join_lines,
    newline_of,
    parse_options,
    read_existing,
    single_line,
    split_lines,
    stable,
    user_tags,
)

TAGS_FILE = "reaper-fxtags.ini"
FOLDERS_FILE = "reaper-fxfolders.ini"
#: reaper-fxfolders.ini item types.
FOLDER_TYPES = {"vst3": 3, "au": 5, "clap": 7, "lv2": 1}
#: The folder REAPER makes for favourites in a new resource folder (`[Folders]` Name0).
FAVORITES_FOLDER = "Favorites"


# --- a line-preserving INI file ---------------------------------------------------------------------

_HEADER = re.compile(r"\[(?P<name>[^\]]*)\][ \t]*")
_BLANKS = " \t"  # what REAPER and Pluginary take for blank space around a line; nothing else is trimmed


@attrs.define
class Section:
    name: str | None  # None: the lines before the first header
    #: The header line as read, ending included; a section Pluginary adds gets one from `name`.
    header: str = ""
    #: Each line with the ending it had (none for a file's last line without a newline).
    lines: list[str] = attrs.Factory(list)


def _key(line: str) -> str | None:
    text = body(line)
    if "=" not in text or text.lstrip(_BLANKS)[:1] in (";", "#", "["):
        return None
    return text.split("=", 1)[0]


def _value(line: str) -> str:
    return body(line).split("=", 1)[1]


@attrs.define
class IniDocument:
    """An INI file kept line by line (`split_lines`), so whatever Pluginary does not touch is written back
    byte for byte; lines Pluginary adds end as the file's first line does."""

    sections: list[Section] = attrs.Factory(lambda: [Section(None)])
    newline: str = "\n"

    @classmethod
    def parse(cls, data: bytes | None) -> IniDocument:
        lines = split_lines(data)
        document = cls(newline=newline_of(lines))
        for line in lines:
            header = _HEADER.fullmatch(body(line).strip(_BLANKS))
            if header:
                document.sections.append(Section(header["name"], line))
            else:
                document.sections[-1].lines.append(line)
        return document

    def line(self, text: str) -> str:
        """A new line, ended as the file's lines are."""
        return text + self.newline

    def render(self) -> bytes:
        out: list[str] = []
        for section in self.sections:
            if section.name is not None:
                out.append(section.header or self.line(f"[{section.name}]"))
            out.extend(section.lines)
        return join_lines(out, self.newline)

    def find(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def section(self, name: str) -> Section:
        found = self.find(name)
        if found is None:
            last = self.sections[-1].lines
            if last and body(last[-1]).strip(_BLANKS):
                last.append(self.line(""))  # a blank line between sections, as REAPER writes them
            found = Section(name)
            self.sections.append(found)
        return found

    def remove(self, name: str) -> None:
        self.sections = [s for s in self.sections if s.name != name]

    def get(self, section: str, key: str) -> str | None:
        return next((value for found, value in self.items(section) if found == key), None)

    def items(self, section: str) -> Iterator[tuple[str, str]]:
        found = self.find(section)
        for line in found.lines if found else ():
            key = _key(line)
            if key is not None:
                yield key, _value(line)

    def set(self, section: str, key: str, value: str) -> None:
        """Replace the key's line in place (keeping its ending), or add it after the section's last entry."""
        lines = self.section(section).lines
        for index, line in enumerate(lines):
            if _key(line) == key:
                lines[index] = f"{key}={value}" + line[len(body(line)) :]
                return
        end = len(lines)
        while end and not body(lines[end - 1]).strip(_BLANKS):
            end -= 1
        lines.insert(end, self.line(f"{key}={value}"))


# --- how REAPER names a plugin ----------------------------------------------------------------------


def ini_key(text: str) -> str:
    """A key REAPER and configparser read back as one key: one line, no `=`, not a header or comment."""
    key = single_line(text).replace("=", "_")
    return f"_{key}" if key[:1] in ("[", ";", "#") else key


def vst_file_key(path: str) -> str:
    """REAPER's key for a VST/VST3 file: its name, bytes outside [A-Za-z0-9.] written `_`."""
    parts = PurePath(path.replace("\\", "/")).parts
    bundle = next((p for p in parts if p.lower().endswith(".vst3")), parts[-1] if parts else "")
    return "".join(
        chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) == ".") else "_" for b in bundle.encode("utf-8")
    )


def vst3_bundle(path: str) -> str:
    """The .vst3 bundle a plugin path is in (the path itself when it names no bundle)."""
    parts = PurePath(path).parts
    for end, part in enumerate(parts, start=1):
        if part.lower().endswith(".vst3"):  # the outermost: the binary inside has the same name
            return str(PurePath(*parts[:end]))
    return path


@attrs.frozen
class ReaperName:
    key: str  # in reaper-fxtags.ini
    item: str  # in a reaper-fxfolders.ini folder
    type: int


def reaper_name(plugin: Plugin) -> ReaperName | None:
    """How REAPER names this plugin, or None for a format REAPER does not list."""
    identity = plugin.id.split(":", 1)[1] if ":" in plugin.id else plugin.id
    if plugin.format == "vst3":
        return ReaperName(vst_file_key(plugin.path), single_line(vst3_bundle(plugin.path)), FOLDER_TYPES["vst3"])
    if plugin.format == "au":
        ident = f"{plugin.vendor}: {plugin.name}" if plugin.vendor else plugin.name
        return ReaperName(ini_key(ident), single_line(ident), FOLDER_TYPES["au"])
    if plugin.format in ("lv2", "clap"):
        return ReaperName(ini_key(identity), single_line(identity), FOLDER_TYPES[plugin.format])
    return None


def category_labels(plugin: Plugin) -> list[str]:
    """REAPER category names: each category's most specific part ("Reverb", "Synth", "MIDI")."""
    labels: list[str] = []
    for category in plugin.categories:
        label = single_line(taxonomy.leaf(category.name)).replace("|", "/")
        if label and label not in labels:
            labels.append(label)
    return labels


# --- the exporter -----------------------------------------------------------------------------------


#: The longest folder prefix: it is repeated in every folder's name.
MAX_PREFIX = 64


def _prefix_ok(_instance: object, _attribute: object, value: str) -> None:
    if not single_line(value) or single_line(value) != value.strip() or len(value) > MAX_PREFIX:
        raise ValueError(
            f"folder_prefix must be one line of 1 to {MAX_PREFIX} characters: it marks the folders Pluginary owns"
        )


@attrs.frozen
class ReaperOptions:
    tags: bool = True
    folders: bool = True
    favorites: bool = True
    folder_prefix: str = attrs.field(default="Pluginary: ", validator=_prefix_ok)


@attrs.frozen
class _Entry:
    name: ReaperName
    labels: tuple[str, ...]
    categories: tuple[str, ...]
    vendor: str
    favorite: bool = False


#: REAPER's VST plugin caches: reaper-vstplugins64.ini, reaper-vstplugins_arm64.ini, …
VST_CACHE_GLOB = "reaper-vstplugins*.ini"
#: A class id in a cache line's id field: `1919247729{56535472656571726561657100000000}`.
_CACHED_CLASS_ID = re.compile(r"\{([0-9A-Fa-f]{32})")


def cached_vst3_keys(folder: Path) -> dict[str, str]:
    """VST3 class id (upper-case hex) → the key REAPER gave that class in its plugin caches in
    `folder` (`File.vst3<id` for a shell's member); {} when REAPER has none there."""
    keys: dict[str, str] = {}
    for cache in sorted(folder.glob(VST_CACHE_GLOB))[:8]:
        document = IniDocument.parse(read_existing(cache))
        for key, value in document.items("vstcache"):
            fields = value.split(",", 2)  # stamp, id, name
            found = _CACHED_CLASS_ID.search(fields[1]) if len(fields) > 1 else None
            if found and key.lower().split("<", 1)[0].endswith(".vst3"):
                keys.setdefault(found[1].upper(), key)
    return keys


def _entries(plugins: Iterable[Plugin], cached: dict[str, str] | None = None) -> list[_Entry]:
    """One entry per REAPER key, plugins sharing a key (one VST3 bundle) merged, in key order.
    `cached` gives VST3 classes the keys REAPER's own cache has for them (`cached_vst3_keys`)."""
    merged: dict[str, _Entry] = {}
    for plugin in stable(plugins):
        name = reaper_name(plugin)
        if name is None or not name.key:
            continue
        if cached and plugin.format == "vst3" and (key := cached.get(plugin.id.removeprefix("vst3:").upper())):
            name = attrs.evolve(name, key=ini_key(key))
        labels = tuple(category_labels(plugin))
        categories = tuple(c.name for c in plugin.categories)
        vendor = single_line(plugin.vendor)
        favorite = bool(user_tags(plugin) & FAVORITE_TAGS)
        if name.key in merged:
            old = merged[name.key]
            labels = tuple(dict.fromkeys((*old.labels, *labels)))
            categories = tuple(dict.fromkeys((*old.categories, *categories)))
            vendor = old.vendor or vendor
            favorite = old.favorite or favorite
            name = old.name
        merged[name.key] = _Entry(name, labels, categories, vendor, favorite)
    return [merged[key] for key in sorted(merged)]


def render_tags(entries: list[_Entry], existing: bytes | None) -> bytes:
    document = IniDocument.parse(existing)
    for entry in entries:
        if entry.labels:
            document.set("category", entry.name.key, "|".join(entry.labels))
        if entry.vendor:
            document.set("developer", entry.name.key, entry.vendor)
    return document.render()


_RANK = {name: rank for rank, name in enumerate(taxonomy.names())}


def _order(category: str) -> tuple[int, str]:
    """Folders in taxonomy order, categories the taxonomy does not know after them by name."""
    return (_RANK[category], "") if category in _RANK else (len(_RANK), category)


def _listed_folders(document: IniDocument) -> list[tuple[str, str]]:
    """(name, id) of each folder `[Folders]` lists, by position; a missing or garbled NbFolders is
    recovered from the Name<i> keys, so no folder of the user's is lost."""
    names = {int(key[4:]): value for key, value in document.items("Folders") if re.fullmatch(r"Name\d+", key)}
    declared = document.get("Folders", "NbFolders") or ""
    count = max(int(declared) if declared.strip().isdigit() else 0, max(names, default=-1) + 1)
    return [(names.get(i, ""), document.get("Folders", f"Id{i}") or str(i)) for i in range(count)]


def render_folders(entries: list[_Entry], existing: bytes | None, prefix: str, *, favorites: bool = True) -> bytes:
    document = IniDocument.parse(existing)
    listed = _listed_folders(document)
    owned = {name: folder_id for name, folder_id in listed if name.startswith(prefix)}
    kept = [(name, folder_id) for name, folder_id in listed if not name.startswith(prefix)]
    for folder_id in owned.values():
        document.remove(f"Folder{folder_id}")

    members: dict[str, set[tuple[int, str]]] = {}
    for entry in entries:
        for category in (c for c in entry.categories if single_line(c)):
            members.setdefault(single_line(f"{prefix}{category}"), set()).add((entry.name.type, entry.name.item))
    # Ids of the folders kept, and of any [Folder<n>] section left (even one no folder lists): not ours to take.
    used = {folder_id for _, folder_id in kept}
    used |= {s.name[len("Folder") :] for s in document.sections if s.name and re.fullmatch(r"Folder\d+", s.name)}
    liked = {(entry.name.type, entry.name.item) for entry in entries if entry.favorite} if favorites else set()
    favorites_id = next((folder_id for name, folder_id in kept if name == FAVORITES_FOLDER), None)
    if liked and favorites_id is None:
        favorites_id = _free_id(used)
        used.add(favorites_id)
        kept.insert(0, (FAVORITES_FOLDER, favorites_id))
    if liked:  # before our folders are (re)made at the end: a re-export then gives the same bytes
        _add_to_folder(document, f"Folder{favorites_id}", liked)
    ours: list[tuple[str, str]] = []
    for name in sorted(members, key=lambda n: _order(n[len(prefix) :])):
        previous = owned.get(name)  # a folder keeps its id from one export to the next
        folder_id = previous if previous is not None and previous not in used else _free_id(used)
        used.add(folder_id)
        ours.append((name, folder_id))

    section = document.section("Folders")
    section.lines = [line for line in section.lines if not _FOLDER_LIST.fullmatch(body(line))]
    while section.lines and not body(section.lines[-1]).strip(_BLANKS):
        section.lines.pop()
    listing = []
    for position, (name, folder_id) in enumerate([*kept, *ours]):
        listing += [f"Id{position}={folder_id}", f"Name{position}={name}"]
    section.lines += [document.line(text) for text in (*listing, f"NbFolders={len(kept) + len(ours)}", "")]

    for name, folder_id in ours:
        folder = document.section(f"Folder{folder_id}")
        items = []
        for index, (kind, item) in enumerate(sorted(members[name])):
            items += [f"Item{index}={item}", f"Type{index}={kind}"]
        folder.lines = [document.line(text) for text in (*items, f"Nb={len(members[name])}", "")]
    return document.render()


def _free_id(used: set[str]) -> str:
    return next(str(i) for i in range(len(used) + 1) if str(i) not in used)


def _add_to_folder(document: IniDocument, section: str, wanted: set[tuple[int, str]]) -> None:
    """Append the items not in the folder yet after its last one; its own items stay as they are."""
    values = dict(document.items(section))
    numbers = [int(key[4:]) for key in values if re.fullmatch(r"Item\d+", key)]
    present = {(values.get(f"Type{n}", "").strip(), values[f"Item{n}"]) for n in numbers}
    following = max(numbers, default=-1) + 1
    for kind, item in sorted(wanted):
        if (str(kind), item) in present:
            continue
        document.set(section, f"Item{following}", item)
        document.set(section, f"Type{following}", str(kind))
        following += 1
    document.set(section, "Nb", str(following))


_FOLDER_LIST = re.compile(r"(NbFolders|Name\d+|Id\d+)=.*", re.DOTALL)


class ReaperExporter:
    name: ClassVar[str] = "reaper"
    options_class: ClassVar[type[ReaperOptions]] = ReaperOptions

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, self.options_class)
        folder = folder_target(self.name, path)
        entries = _entries(plugins, cached_vst3_keys(folder))
        files = []
        if opts.tags:
            target = folder / TAGS_FILE
            files.append(OutputFile(target, render_tags(entries, read_existing(target))))
        if opts.folders:
            target = folder / FOLDERS_FILE
            folders = render_folders(entries, read_existing(target), opts.folder_prefix, favorites=opts.favorites)
            files.append(OutputFile(target, folders))
        return files
