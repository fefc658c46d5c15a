"""Fleet questions over a catalogue that holds many machines, and merging machines' catalogues.

The CLI (`hosts`, `fleet diff`, `fleet where`, `merge`) and third parties call these; a
backend answers them when it has `hosts()`, `inventory()` and `product_differences()` (the
PostgreSQL backend). A product is one plugin across formats, by the product key each
machine's catalogue stores (`pluginary.core.products`: the rule, or the user's `pluginary
group`), so "Pro-Q 3" as VST3 on one machine and as CLAP on another is one product whose
formats differ, not two products each machine lacks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from pluginary.catalog import Catalog
from pluginary.core.errors import CatalogError, PluginaryError
from pluginary.core.models import Plugin, Preset
from pluginary.core.products import product_of
from pluginary.core.query import PresetQuery


@attrs.frozen
class ProductDifference:
    """One product that two machines do not have alike: formats → version on each."""

    name: str
    vendor: str
    a: dict[str, str]
    b: dict[str, str]

    @property
    def status(self) -> str:
        if not self.b:
            return "only A"
        if not self.a:
            return "only B"
        return "versions differ" if self.a.keys() == self.b.keys() else "formats differ"


def _fleet(catalog: Catalog) -> Any:
    backend = catalog.backend
    if not hasattr(backend, "inventory"):
        raise CatalogError(
            "this catalogue holds one machine; fleet questions need a fleet catalogue",
            where=str(catalog.path),
            fix="pass --catalog postgresql://… (push machines' files into it with `pluginary merge`)",
        )
    return backend


def hosts(catalog: Catalog) -> list[dict[str, Any]]:
    """Every machine: `host`, `last_scanned`, `plugins`, `files`, `failures`."""
    return list(_fleet(catalog).hosts())


def _known(catalog: Catalog, names: Iterable[str]) -> None:
    known = set(_fleet(catalog).host_names())  # not `hosts`: counting every machine's rows is slow
    for name in names:
        if name not in known:
            raise PluginaryError(
                f"no machine named {name!r} in this catalogue",
                where=str(catalog.path),
                fix=f"one of: {', '.join(sorted(known)) or 'none yet (scan a machine first)'}",
            )


def diff(catalog: Catalog, a: str, b: str) -> list[ProductDifference]:
    """What machine `a` has that `b` lacks and the other way round, and the products both have
    in other formats or versions; by product key. The backend groups by the product key each
    row stores (in SQL: two machines' thousands of plugins never cross the wire)."""
    _known(catalog, (a, b))
    return [
        ProductDifference(name, vendor, on_a, on_b)
        for name, vendor, on_a, on_b in _fleet(catalog).product_differences(a, b)
    ]


def where(catalog: Catalog, plugin: str) -> list[Plugin]:
    """Every machine's copy of a plugin, by id, else by name (any case), by host then format."""
    fleet = _fleet(catalog)
    found = fleet.inventory(plugin_ids=[plugin]) or fleet.inventory(name=plugin)
    if not found:
        raise PluginaryError(
            f"no machine has a plugin with the id or name {plugin!r}",
            where=str(catalog.path),
            fix="see `pluginary list --all-hosts`",
        )
    return sorted(found, key=lambda p: (p.host.name, p.format, p.id))


@attrs.frozen
class MergeReport:
    """What `merge` did: plugins stored per machine, label conflicts and how they were settled."""

    stored: dict[str, int]
    conflicts: tuple[str, ...] = ()


def merge(out: Catalog, sources: Sequence[Path | str]) -> MergeReport:
    """Push catalogues written by single machines (SQLite, JSON) into a fleet catalogue, each
    machine's plugins under its own name (the `host` its scans stamped), files, failures and
    presets included. Idempotent: merging the same file again changes nothing. User tags and
    product tags are united; the user's groupings into products are carried (a plugin grouped
    differently in two sources takes the last source's, reported), and so are products' own
    categories; a user category set with different confidence in two sources is settled by the
    source scanned last, and reported."""
    fleet = _fleet(out)
    stored: dict[str, int] = defaultdict(int)
    conflicts: list[str] = []
    chosen: dict[tuple[str, str], tuple[str, float, str]] = {}  # (id, category) → (when, confidence, source)
    grouped: dict[str, tuple[str, str]] = {}  # plugin id → (the user's product key, source)
    product_tags: defaultdict[str, set[str]] = defaultdict(set)
    product_categories: dict[str, tuple[str, str]] = {}  # product key → (category, source)
    for source in sources:
        with Catalog.open(source, read_only=True, create=False) as catalog:
            keys = catalog.backend.product_keys()
            # A product's own tags, where the backend can tell them from its plugins' (SQLite and JSON can);
            # they are taken off each plugin's, so untagging the product in the fleet takes them away.
            own: dict[str, tuple[str, ...]] = getattr(catalog.backend, "product_tags", dict)()
            # Likewise a product's own category, which its plugins show as theirs.
            categorized: dict[str, str] = getattr(catalog.backend, "product_categories", dict)()
            plugins = [
                _without(plugin, own.get(keys.get(plugin.id, ""), ()), categorized.get(keys.get(plugin.id, "")))
                for plugin in catalog.backend.plugins()
            ]
            presets = list(catalog.backend.presets(PresetQuery()))
            runs = catalog.stats()["runs"]
            when = str(runs[0].get("started_at", "")) if runs else max((p.scanned_at for p in plugins), default="")
            by_host: defaultdict[str, list[Plugin]] = defaultdict(list)
            for plugin in plugins:
                by_host[plugin.host.name or Path(str(source)).stem].append(plugin)
            files = catalog.backend.stored_files()
            failures = catalog.backend.failures()
        for product, tags in own.items():
            product_tags[product].update(tags)
        for product, name in categorized.items():
            earlier_name = product_categories.get(product)
            if earlier_name is not None and earlier_name[0] != name:
                conflicts.append(
                    f"product {product!r}: category {earlier_name[0]!r} in {earlier_name[1]} and"
                    f" {name!r} in {source}; keeping {name!r} from {source} (merged last)"
                )
            product_categories[product] = (name, str(source))
        for plugin in plugins:
            product = keys.get(plugin.id, product_of(plugin))
            if product != product_of(plugin):  # the user's grouping, not the rule's
                earlier = grouped.get(plugin.id)
                if earlier is not None and earlier[0] != product:
                    conflicts.append(
                        f"{plugin.id}: grouped as {earlier[0]!r} in {earlier[1]} and as {product!r} in {source};"
                        f" keeping {product!r} from {source} (merged last)"
                    )
                grouped[plugin.id] = (product, str(source))
            for category in plugin.categories:
                if category.source.value != "user":
                    continue
                key = (plugin.id, category.name)
                previous = chosen.get(key)
                if previous is not None and previous[1] != category.confidence:
                    keep = max(previous, (when, category.confidence, str(source)))
                    conflicts.append(
                        f"{plugin.id}: category {category.name!r} has confidence {previous[1]} in {previous[2]}"
                        f" and {category.confidence} in {source}; keeping {keep[1]} from {keep[2]} (newer)"
                    )
                    chosen[key] = keep
                else:
                    chosen[key] = (when, category.confidence, str(source))
        for host, host_plugins in by_host.items():
            target = type(fleet)(fleet.url, host=host)
            try:
                known = target.failures()
                # A failure already merged is not counted again: merging twice changes nothing.
                new_failures = {
                    path: failure
                    for path, failure in (failures.items() if len(by_host) == 1 else ())
                    if known.get(path) is None or known[path].last_seen != failure.last_seen
                }
                host_presets = [p for p in presets if (p.host.name or Path(str(source)).stem) == host]
                target.write(_results(host_plugins, host_presets, files, new_failures))
            finally:
                target.close()
            stored[host] += len(host_plugins)
    for (plugin_id, name), (_when, confidence, _source) in chosen.items():
        fleet.settle_category(plugin_id, name, confidence)
    members: defaultdict[str, list[str]] = defaultdict(list)
    for plugin_id, (product, _source) in grouped.items():
        members[product].append(plugin_id)
    for product, ids in sorted(members.items()):
        fleet.group(ids, product)
    for product, labels in sorted(product_tags.items()):
        fleet.tag_product(product, sorted(labels))
    for product, (name, _source) in sorted(product_categories.items()):
        fleet.categorize_product(product, name)
    return MergeReport(dict(stored), tuple(conflicts))


def _without(plugin: Plugin, tags: Sequence[str], category: str | None = None) -> Plugin:
    """`plugin` without these tags and this user category (its product's, which it shows but which
    are not its own)."""
    drop = {tag.casefold() for tag in tags}
    if drop:
        plugin = attrs.evolve(plugin, tags=tuple(tag for tag in plugin.tags if tag.casefold() not in drop))
    if category is not None:
        kept = tuple(c for c in plugin.categories if not (c.source.value == "user" and c.name == category))
        plugin = attrs.evolve(plugin, categories=kept)
    return plugin


def _results(
    plugins: list[Plugin], presets: list[Preset], files: dict[str, Any], failures: dict[str, Any]
) -> list[Any]:
    """One machine's plugins (every installed copy), presets, files and failures as scan results.

    A preset belongs to its own file, or (a factory program, with no path) to its plugin's bundle;
    a factory program whose plugin is not in `plugins` has no file to go with, and is left out."""
    from pluginary.core.models import FileResult, PluginFile

    by_path: defaultdict[str, list[Plugin]] = defaultdict(list)
    for plugin in plugins:
        by_path[plugin.path].append(plugin)
    bundles = {plugin.id: plugin.path for plugin in plugins}
    presets_at: defaultdict[str, list[Preset]] = defaultdict(list)
    for preset in presets:
        if path := preset.path or bundles.get(preset.plugin_id, ""):
            presets_at[path].append(preset)
    results = [
        FileResult(
            files.get(path) or PluginFile(path, (by_path.get(path) or presets_at[path])[0].format, 0, 0, ""),
            plugins=tuple(by_path.get(path, ())),
            presets=tuple(presets_at.get(path, ())),
        )
        for path in sorted(by_path.keys() | presets_at.keys())
    ]
    results += [
        FileResult(PluginFile(path, failure.format, 0, 0, failure.fingerprint), failure=failure)
        for path, failure in sorted(failures.items())
    ]
    return results


@attrs.frozen
class HostReadiness:
    """Whether a project would open on one machine: its plugins matched to that machine's."""

    host: str
    matches: tuple[Any, ...]  # pluginary.projects.matching.Match, one per plugin the project uses

    def _with(self, status: str) -> list[Any]:
        return [match for match in self.matches if match.status.value == status]

    @property
    def missing(self) -> list[Any]:
        return self._with("missing")

    @property
    def other_format(self) -> list[Any]:
        return self._with("other-format")

    @property
    def status(self) -> str:
        """ "opens", "other formats" (every plugin there, some only in another format) or "missing"."""
        return "missing" if self.missing else "other formats" if self.other_format else "opens"


def readiness(catalog: Catalog, references: Sequence[Any]) -> list[HostReadiness]:
    """For every machine of a fleet catalogue, how the plugins a project uses (`PluginReference`s)
    match that machine's plugins, by host name."""
    from pluginary.projects.matching import PluginList, match

    fleet = _fleet(catalog)
    by_host: defaultdict[str, list[Plugin]] = defaultdict(list)
    for plugin in fleet.inventory():
        by_host[plugin.host.name].append(plugin)
    return [
        HostReadiness(host, tuple(match(references, PluginList(by_host[host]))))
        for host in sorted(row["host"] for row in fleet.hosts())
    ]
