"""Match the plugins a project uses to a catalogue: installed, in another format, or missing.

- **installed**: the catalogue holds the very plugin, same format and id (a reference the
  project stores no id for — REAPER's DirectX plugins — matches by product, same format);
- **other-format**: not that, but the same product in another format (ZamComp as LV2 where
  the session wants the VST3): the DAW will not swap it in by itself;
- **missing**: neither;
- **unchecked**: what the DAW runs itself (Ardour's Lua processors, REAPER's JSFX).

"The same product" is `pluginary.core.products.product_key`: the same normalised name and, when
both sides name a vendor, the same normalised vendor.

The catalogue is anything with `get`, `find` and `search` as `pluginary.Catalog` has them
(this layer may not import the catalogue itself).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol

import attrs

from pluginary.core.interfaces import PluginReference
from pluginary.core.models import Plugin
from pluginary.core.products import BUILD_WORDS, product_key


class Status(enum.StrEnum):
    INSTALLED = "installed"
    OTHER_FORMAT = "other-format"
    MISSING = "missing"
    UNCHECKED = "unchecked"


class Lookup(Protocol):
    """What matching needs of a catalogue (`pluginary.Catalog` has it)."""

    def get(self, plugin_id: str) -> Plugin | None: ...

    def find(self, id_or_name: str) -> list[Plugin]: ...

    def search(self, text: str, *, limit: int = 50, raw: bool = False) -> list[Plugin]: ...


class PluginList:
    """A `Lookup` over plugins already in memory: one machine's of a fleet catalogue."""

    def __init__(self, plugins: Iterable[Plugin]) -> None:
        self._by_id = {plugin.id: plugin for plugin in plugins}

    def get(self, plugin_id: str) -> Plugin | None:
        return self._by_id.get(plugin_id)

    def find(self, id_or_name: str) -> list[Plugin]:
        if id_or_name in self._by_id:
            return [self._by_id[id_or_name]]
        wanted = id_or_name.casefold()
        return [plugin for plugin in self._by_id.values() if plugin.name.casefold() == wanted]

    def search(self, text: str, *, limit: int = 50, raw: bool = False) -> list[Plugin]:
        """The plugins whose name is `text` by the product rule (what matching asks a search for)."""
        name, _vendor = product_key(text)
        return [plugin for plugin in self._by_id.values() if product_key(plugin.name)[0] == name][:limit]


@attrs.frozen
class Match:
    """One plugin of a project and what the catalogue holds for it."""

    reference: PluginReference
    status: Status
    #: The installed plugin (installed), or the same product's plugins in other formats (other-format).
    plugins: tuple[Plugin, ...] = ()


def same_product(reference: PluginReference, plugin: Plugin) -> bool:
    """The rule above: same normalised name, and same vendor when both name one."""
    name, vendor = product_key(reference.name, reference.vendor)
    other_name, other_vendor = product_key(plugin.name, plugin.vendor)
    return bool(name) and name == other_name and (not vendor or not other_vendor or vendor == other_vendor)


def match(references: Iterable[PluginReference], catalog: Lookup) -> list[Match]:
    """Each reference with its status, in the given order (a plugin used twice is looked up once)."""
    done: dict[PluginReference, Match] = {}
    matches = []
    for reference in references:
        key = attrs.evolve(reference, location="", raw="")
        if key not in done:
            done[key] = _match(key, catalog)
        matches.append(attrs.evolve(done[key], reference=reference))
    return matches


def _match(reference: PluginReference, catalog: Lookup) -> Match:
    if not reference.external:
        return Match(reference, Status.UNCHECKED)
    if reference.id:
        exact = catalog.get(reference.id)
        if exact is not None:
            return Match(reference, Status.INSTALLED, (exact,))
    same = _same_product(reference, catalog)
    if not reference.id:
        in_format = tuple(plugin for plugin in same if plugin.format == reference.format)
        if in_format:
            return Match(reference, Status.INSTALLED, in_format[:1])
    others = tuple(plugin for plugin in same if plugin.format != reference.format)
    if others:
        return Match(reference, Status.OTHER_FORMAT, others)
    return Match(reference, Status.MISSING)


def _same_product(reference: PluginReference, catalog: Lookup) -> list[Plugin]:
    """The catalogue's plugins of the reference's product, by id."""
    if not reference.name.strip():
        return []
    candidates = {plugin.id: plugin for plugin in catalog.find(reference.name)}
    # A name with a build word ("ZamComp (VST3)") or other spacing reaches its product through
    # the full-text search, which takes the words literally.
    words = BUILD_WORDS.sub(" ", reference.name).strip()
    for plugin in catalog.search(words, limit=20) if words else ():
        candidates.setdefault(plugin.id, plugin)
    return sorted((plugin for plugin in candidates.values() if same_product(reference, plugin)), key=lambda p: p.id)
