"""Fleet questions over a catalogue that holds many machines, and merging machines' catalogues.

The CLI (`hosts`, `fleet diff`, `fleet where`, `merge`) and third parties call these; a
backend answers them when it has `hosts()` and `inventory()` (the PostgreSQL backend). A
product is one plugin across formats, grouped as `pluginary project` groups them
(`projects.matching.product_key`), so "Pro-Q 3" as VST3 on one machine and as CLAP on
another is one product whose formats differ, not two products each machine lacks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from pluginary.catalog import Catalog
from pluginary.core.errors import CatalogError, PluginaryError
from pluginary.core.models import Plugin
from pluginary.core.products import product_key


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
    known = {row["host"] for row in hosts(catalog)}
    for name in names:
        if name not in known:
            raise PluginaryError(
                f"no machine named {name!r} in this catalogue",
                where=str(catalog.path),
                fix=f"one of: {', '.join(sorted(known)) or 'none yet (scan a machine first)'}",
            )


def _products(plugins: Iterable[Plugin]) -> dict[tuple[str, str], tuple[Plugin, dict[str, str]]]:
    """product key → (a plugin of it, format → version)."""
    products: dict[tuple[str, str], tuple[Plugin, dict[str, str]]] = {}
    for plugin in plugins:
        key = product_key(plugin.name, plugin.vendor)
        _first, formats = products.setdefault(key, (plugin, {}))
        formats[plugin.format] = plugin.version
    return products


def diff(catalog: Catalog, a: str, b: str) -> list[ProductDifference]:
    """What machine `a` has that `b` lacks and the other way round, and the products both have
    in other formats or versions; by product name."""
    _known(catalog, (a, b))
    rows = _fleet(catalog).inventory([a, b])
    on_a = _products(plugin for plugin in rows if plugin.host.name == a)
    on_b = _products(plugin for plugin in rows if plugin.host.name == b)
    differences = []
    for key in sorted(on_a.keys() | on_b.keys()):
        formats_a = on_a.get(key, (None, {}))[1]
        formats_b = on_b.get(key, (None, {}))[1]
        if formats_a != formats_b:
            plugin = (on_a.get(key) or on_b[key])[0]
            differences.append(ProductDifference(plugin.name, plugin.vendor, formats_a, formats_b))
    return differences


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
    machine's plugins under its own name (the `host` its scans stamped), files and failures
    included. Idempotent: merging the same file again changes nothing. User tags are united;
    a user category set with different confidence in two sources is settled by the source
    scanned last, and reported."""
    fleet = _fleet(out)
    stored: dict[str, int] = defaultdict(int)
    conflicts: list[str] = []
    chosen: dict[tuple[str, str], tuple[str, float, str]] = {}  # (id, category) → (when, confidence, source)
    for source in sources:
        with Catalog.open(source, read_only=True, create=False) as catalog:
            plugins = list(catalog.backend.plugins())
            runs = catalog.stats()["runs"]
            when = str(runs[0].get("started_at", "")) if runs else max((p.scanned_at for p in plugins), default="")
            by_host: defaultdict[str, list[Plugin]] = defaultdict(list)
            for plugin in plugins:
                by_host[plugin.host.name or Path(str(source)).stem].append(plugin)
            files = catalog.backend.stored_files()
            failures = catalog.backend.failures()
        for plugin in plugins:
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
                target.write(_results(host_plugins, files, new_failures))
            finally:
                target.close()
            stored[host] += len(host_plugins)
    for (plugin_id, name), (_when, confidence, _source) in chosen.items():
        fleet.settle_category(plugin_id, name, confidence)
    return MergeReport(dict(stored), tuple(conflicts))


def _results(plugins: list[Plugin], files: dict[str, Any], failures: dict[str, Any]) -> list[Any]:
    """One machine's plugins (every installed copy), files and failures as scan results."""
    from pluginary.core.models import FileResult, PluginFile

    by_path: defaultdict[str, list[Plugin]] = defaultdict(list)
    for plugin in plugins:
        by_path[plugin.path].append(plugin)
    results = [
        FileResult(files.get(path) or PluginFile(path, held[0].format, 0, 0, ""), plugins=tuple(held))
        for path, held in sorted(by_path.items())
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
