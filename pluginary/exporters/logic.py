"""`logic`: Plug-in Manager categories for Logic Pro (and MainStage), one tag set per Audio Unit.

`path` is Logic's tag database folder, `~/Music/Audio Music Apps/Databases/Tags`.
Written from the file layout documented by the logic-plugin-manager project
(its `tags/tagset.py` and `tags/musicapps.py`) and J. Devlin's notes on the
Plug-in Manager's files:

- `<type>-<subtype>-<manufacturer>.tagset`, each code the hex of its four
  bytes (`aufx-dely-appl` → `61756678-64656c79-6170706c.tagset`): a property
  list whose `tags` dictionary maps a category to `"user"`; categories nest with
  `:` (`Effect:Reverb`). Other keys (`nickname`, `shortname`) are the user's and kept.
- `MusicApps.tagpool`: category → number of plug-ins in it.
- `MusicApps.properties`: `sorting`, the order categories are listed in; a
  category missing from it may not show in the Plug-in Manager, so Pluginary
  always appends the ones it adds (in taxonomy order) and keeps the rest.
  `properties: false` only stops Pluginary from creating the file where there is
  none; an existing one always gets the new categories.

Merging: Pluginary owns, in a tag set, the tags named after its taxonomy
(`Effect:Reverb`, `Instrument`, …) and the ones it writes; the user's own
categories stay. Counts in the tag pool are recomputed for the categories
Pluginary owns, from every tag set in the folder after the export, a parent
counting the plug-ins at or below it. A property list is written back in the
format it was read in (XML or binary), keys sorted. Only AU plugins whose id is
`au:<type>-<subtype>-<manufacturer>` are exported.
"""

from __future__ import annotations

import logging
import plistlib
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

TAGPOOL_FILE = "MusicApps.tagpool"
PROPERTIES_FILE = "MusicApps.properties"
TAGSET_SUFFIX = ".tagset"
USER = "user"  # the value Logic gives a category the user assigned

logger = logging.getLogger(__name__)


def logic_category(name: str) -> str:
    """A Pluginary category as a Logic category: "Effect/Reverb" → "Effect:Reverb"."""
    return xml_safe(single_line(name)).replace(taxonomy.SEPARATOR, ":")


#: Every Logic category name the taxonomy can produce: the tags Pluginary owns in a tag set.
OWNED = frozenset(logic_category(name) for name in taxonomy.names())


def tagset_name(plugin: Plugin) -> str | None:
    """`61756678-64656c79-6170706c.tagset` for `au:aufx-dely-appl`; None for any other id."""
    codes = au_codes(plugin.id) if plugin.format == "au" else None
    if codes is None:
        return None
    try:
        raw = [code.encode("mac_roman") for code in codes]
    except UnicodeEncodeError:  # an OSType is four Mac Roman bytes: this names no Audio Unit
        return None
    return "-".join(code.hex() for code in raw) + TAGSET_SUFFIX


def _load(path: Path, data: bytes | None) -> tuple[dict[str, Any], plistlib.PlistFormat]:
    if not data:
        return {}, plistlib.FMT_XML
    try:
        loaded = plistlib.loads(data)
    except Exception as exc:  # plistlib raises several types for a damaged file
        raise StageError(
            f"cannot merge into {path.name}: it is not a readable property list ({exc})",
            where=str(path),
            fix="repair it, or move it away to let Pluginary write a fresh one",
        ) from exc
    if not isinstance(loaded, dict):
        raise StageError(
            f"cannot merge into {path.name}: it holds no dictionary",
            where=str(path),
            fix="move it away to let Pluginary write a fresh one",
        )
    return loaded, plistlib.FMT_BINARY if data.startswith(b"bplist") else plistlib.FMT_XML


def _dump(value: dict[str, Any], fmt: plistlib.PlistFormat) -> bytes:
    return plistlib.dumps(value, fmt=fmt, sort_keys=True)


def _with_parents(tags: Iterable[str]) -> set[str]:
    """Each category and every category above it ("Effect:Reverb" → also "Effect")."""
    out: set[str] = set()
    for tag in tags:
        parts = tag.split(":")
        out.update(":".join(parts[: i + 1]) for i in range(len(parts)))
    return out


def _tags_of(path: Path) -> set[str]:
    """The categories in a tag set Pluginary leaves alone; a damaged one counts as none."""
    try:
        data, _ = _load(path, read_existing(path))
    except StageError as exc:
        logger.warning("%s; not counted in the tag pool", exc)
        return set()
    tags = data.get("tags")
    return set(tags) if isinstance(tags, dict) else set()


@attrs.frozen
class LogicOptions:
    properties: bool = True


def _tagset(target: Path, wanted: list[str]) -> tuple[OutputFile, set[str]] | None:
    """The plugin's tag set with Pluginary's tags replaced by `wanted`, and its tags; None when there
    is neither a tag set nor anything to put in one."""
    existing = read_existing(target)
    if existing is None and not wanted:
        return None
    data, fmt = _load(target, existing)
    old = data.get("tags")
    tags = {tag: value for tag, value in (old.items() if isinstance(old, dict) else ()) if tag not in OWNED}
    tags.update({tag: USER for tag in wanted})
    data["tags"] = tags
    return OutputFile(target, _dump(data, fmt)), set(tags)


def _tagpool(target: Path, owned: set[str], counts: dict[str, int]) -> OutputFile | None:
    existing = read_existing(target)
    pool, fmt = _load(target, existing)
    for tag in sorted(owned):
        if tag in pool or counts.get(tag):
            pool[tag] = counts.get(tag, 0)
    # Created only when there is something to put in it: no AU, no file.
    return OutputFile(target, _dump(pool, fmt)) if existing is not None or pool else None


def _properties(target: Path, owned: set[str], counts: dict[str, int], create: bool) -> OutputFile | None:
    existing = read_existing(target)
    if existing is None and not create:
        return None
    properties, fmt = _load(target, existing)
    old = properties.get("sorting")
    sorting = list(old) if isinstance(old, list) else []
    sorting += [tag for tag in sorted((t for t in owned if counts.get(t)), key=_order) if tag not in sorting]
    if existing is None and not sorting:
        return None
    properties["sorting"] = sorting
    return OutputFile(target, _dump(properties, fmt))


class LogicExporter:
    name: ClassVar[str] = "logic"
    options_class: ClassVar[type[LogicOptions]] = LogicOptions

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, self.options_class)
        folder = folder_target(self.name, path)
        files: list[OutputFile] = []
        final_tags: dict[str, set[str]] = {}  # tag set file name → its tags after the export
        written: set[str] = set()  # categories Pluginary writes this time
        for plugin in stable(plugins):
            filename = tagset_name(plugin)
            if filename is None or filename in final_tags:
                continue
            wanted = list(dict.fromkeys(t for t in (logic_category(c.name) for c in plugin.categories) if t))
            result = _tagset(folder / filename, wanted)
            if result:
                files.append(result[0])
                final_tags[filename] = result[1]
                written.update(wanted)
        for other in sorted(folder.glob(f"*{TAGSET_SUFFIX}")) if folder.is_dir() else []:
            if other.name not in final_tags:
                final_tags[other.name] = _tags_of(other)

        owned = _with_parents(written) | OWNED
        counts: dict[str, int] = {}
        for tags in final_tags.values():
            for tag in _with_parents(tags) & owned:
                counts[tag] = counts.get(tag, 0) + 1
        extra = [
            _tagpool(folder / TAGPOOL_FILE, owned, counts),
            _properties(folder / PROPERTIES_FILE, owned, counts, create=opts.properties),
        ]
        return files + [f for f in extra if f is not None]


_RANK = {logic_category(name): rank for rank, name in enumerate(taxonomy.names())}


def _order(tag: str) -> tuple[int, str]:
    """Taxonomy order (a parent before its children), other categories after it by name."""
    return (_RANK[tag], "") if tag in _RANK else (len(_RANK), tag)
