"""The query side of the catalogue: `Catalog`, the Python API the CLI, the exporters
and third parties use, over any backend that implements `CatalogBackend`.

    with Catalog.open() as catalog:
        for plugin in catalog.plugins(category="Effect", params=">20", sort="vendor"):
            ...
        catalog.search("pro-q 3")

Only attrs and the models are imported here; a backend (and sqlite-utils,
rapidfuzz) is imported when a catalogue is opened or a suggestion is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Set
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

import attrs

from pluginary.core.errors import PluginaryError
from pluginary.core.interfaces import CatalogBackend
from pluginary.core.models import Plugin, Preset, ScanFailure
from pluginary.core.paths import writable
from pluginary.core.products import Product, group, product_key, product_of
from pluginary.core.query import PRESET_SORT_KEYS, SORT_KEYS, ParamRange, PresetQuery, Query, QueryError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from pluginary.core.query import Filters

# Re-exported: the query vocabulary lives in `pluginary.core.query` (the contract a backend sees).
__all__ = [
    "PRESET_SORT_KEYS",
    "SORT_KEYS",
    "Catalog",
    "CatalogBackend",
    "ParamRange",
    "PresetQuery",
    "Query",
    "QueryError",
    "UnknownPluginError",
    "writable",
]


class UnknownPluginError(PluginaryError):
    """No plugin (or more than one) has the id or name the user gave."""


class Catalog:
    """A catalogue opened through any `CatalogBackend`; a context manager."""

    def __init__(self, backend: CatalogBackend) -> None:
        self.backend = backend

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        backend: str | None = None,
        read_only: bool = False,
        create: bool = True,
        host: str | None = None,
    ) -> Self:
        """Open the catalogue at `path` (default: the user data dir's, for the backend).

        `backend` is a backend name or `module:attr`; without one, a `.json`
        path uses the JSON backend and anything else SQLite. A catalogue that
        cannot be written (a read-only disk, a file without write permission)
        opens read-only, so it can still be searched. `create=False` refuses a
        missing or empty file (a CatalogError, the file left untouched) instead
        of making a catalogue there: what a command that only queries wants.
        A `postgresql://` URL opens the fleet's database (as machine `host`: this one by default).
        """
        from pluginary.core import components
        from pluginary.core.fleet import DatabaseURL, is_database_url
        from pluginary.core.options import backend_name
        from pluginary.core.paths import default_catalog_path

        if isinstance(path, str) and is_database_url(path):
            from pluginary.backends.postgres import PostgresBackend

            url = DatabaseURL(path)  # kept as given: str() of a DatabaseURL is the redacted text
            named = components.load("backend", backend) if backend and backend != "postgres" else PostgresBackend
            extra = {} if create else {"create": False}
            # Its `path` is the (redacted) URL, not a Path: CatalogBackend.path should say `Path | DatabaseURL`.
            return cls(cast(CatalogBackend, named(url, read_only=read_only, host=host, **extra)))
        # The one rule, shared with the store stage that writes the catalogue.
        name = backend_name(Path(path) if path is not None else None, backend)
        backend_class: Any
        if name == "json":
            from pluginary.backends.jsonfile import JSONBackend as backend_class
        elif name == "sqlite":
            # The built-ins, imported directly: looking one up among the entry points reads
            # every installed package's metadata (20-40 ms, a tenth of `pluginary search`'s budget).
            from pluginary.backends.sqlite import SQLiteBackend as backend_class
        else:
            backend_class = components.load("backend", name)
        catalog_path = Path(path) if path is not None else default_catalog_path(backend_class.default_filename)
        read_only = read_only or not writable(catalog_path)
        # Passed only when asked, so a third-party backend without the argument still opens.
        extra = {} if create else {"create": False}
        return cls(backend_class(catalog_path, read_only=read_only, **extra))

    @property
    def path(self) -> Path:
        return self.backend.path

    @property
    def read_only(self) -> bool:
        return self.backend.read_only

    def plugins(
        self,
        format: str | None = None,
        vendor: str | None = None,
        category: str | None = None,
        tag: str | None = None,
        instrument: bool | None = None,
        effect: bool | None = None,
        params: str | tuple[int | None, int | None] | ParamRange | None = None,
        has_param: str | None = None,
        sort: str = "name",
        reverse: bool = False,
        limit: int | None = None,
        offset: int = 0,
        host: str | None = None,
        all_hosts: bool = False,
        parameters: bool = True,
    ) -> Iterator[Plugin]:
        """The plugins the filters select, sorted and paged, read as they are iterated.

        `instrument=True` keeps instruments, `False` drops them (likewise
        `effect`); `params` bounds the parameter count: "10..50", ">20", "<10"
        or (low, high), inclusive. In a fleet catalogue, `host` lists another machine's
        plugins and `all_hosts` every machine's (a plugin once per machine).
        `parameters=False` reads the plugins without their parameters and outputs (several
        times faster, for a listing that shows none).
        """
        query = Query(
            format=format,
            vendor=vendor,
            category=category,
            tag=tag,
            instrument=instrument,
            effect=effect,
            params=params,
            has_param=has_param,
            host=host,
            all_hosts=all_hosts,
            sort=sort,
            reverse=reverse,
            limit=limit,
            offset=offset,
            parameters=parameters,
        )
        return self.backend.query(query)

    def count(
        self,
        format: str | None = None,
        vendor: str | None = None,
        category: str | None = None,
        tag: str | None = None,
        instrument: bool | None = None,
        effect: bool | None = None,
        params: str | tuple[int | None, int | None] | ParamRange | None = None,
        has_param: str | None = None,
        host: str | None = None,
        all_hosts: bool = False,
        **_page: Any,
    ) -> int:
        """How many plugins the filters select (`plugins`' sort and page arguments are ignored)."""
        query = Query(
            format=format,
            vendor=vendor,
            category=category,
            tag=tag,
            instrument=instrument,
            effect=effect,
            params=params,
            has_param=has_param,
            host=host,
            all_hosts=all_hosts,
        )
        return self.backend.count(query)

    def search(
        self, text: str, *, limit: int = 50, raw: bool = False, parameters: bool = True, **filters: Unpack[Filters]
    ) -> list[Plugin]:
        """Plugins matching `text` in their name, vendor, categories, tags or parameter
        names, best first. Every word must match the start of a word; the text is
        never query syntax unless `raw` (then it is the backend's: SQLite FTS5's, PostgreSQL's
        tsquery). The filters are `plugins`' and narrow what is searched; `parameters=False`
        finds the plugins without their parameters and outputs (for a list that shows none)."""
        query = Query(**filters, parameters=parameters)
        # Passed only when it narrows something, so a third-party backend without the argument still searches.
        extra = {} if query == Query() else {"query": query}
        return self.backend.search(text, limit=limit, raw=raw, **extra)

    def presets(
        self,
        plugin: str | None = None,
        *,
        format: str | None = None,
        source: str | None = None,
        bank: str | None = None,
        text: str | None = None,
        orphaned: bool | None = None,
        sort: str = "name",
        reverse: bool = False,
        limit: int | None = None,
        offset: int = 0,
        host: str | None = None,
        all_hosts: bool = False,
    ) -> Iterator[Preset]:
        """The presets the filters select, sorted and paged, read as they are iterated.

        `plugin` is a plugin id or name (resolved as `resolve` does; an unknown one is an
        UnknownPluginError, unless it is the id of orphaned presets; a name several formats of one
        product share selects the presets of all of them); `text` keeps presets whose
        name, bank, author or tags contain it; `orphaned=True` keeps presets whose plugin is not
        installed, `False` those whose plugin is.
        """
        query = self._preset_query(plugin, format, source, bank, text, orphaned, host, all_hosts)
        return self.backend.presets(attrs.evolve(query, sort=sort, reverse=reverse, limit=limit, offset=offset))

    def count_presets(
        self,
        plugin: str | None = None,
        *,
        format: str | None = None,
        source: str | None = None,
        bank: str | None = None,
        text: str | None = None,
        orphaned: bool | None = None,
        host: str | None = None,
        all_hosts: bool = False,
        **_page: Any,
    ) -> int:
        """How many presets the filters select (`presets`' sort and page arguments are ignored)."""
        return self.backend.count_presets(
            self._preset_query(plugin, format, source, bank, text, orphaned, host, all_hosts)
        )

    def search_presets(self, text: str, *, limit: int = 50) -> list[Preset]:
        """Presets whose name, bank, author or tags match `text` (as `search` matches plugins), best first."""
        return self.backend.search_presets(text, limit=limit)

    def _preset_query(
        self,
        plugin: str | None,
        format: str | None,
        source: str | None,
        bank: str | None,
        text: str | None,
        orphaned: bool | None,
        host: str | None,
        all_hosts: bool,
    ) -> PresetQuery:
        plugin_id: str | None = None
        plugin_ids: tuple[str, ...] = ()
        if plugin is not None:
            # An id presets name is taken as it is: their plugin may not be installed (orphans).
            named_by_presets = self.backend.count_presets(PresetQuery(plugin_id=plugin, host=host, all_hosts=all_hosts))
            if named_by_presets:
                plugin_id = plugin
            elif len(self.find(plugin)) > 1:  # one product's formats (or an error naming the products)
                plugin_ids = tuple(member.id for member in self.product(plugin).plugins)
            else:
                plugin_id = self.resolve(plugin).id
        return PresetQuery(
            plugin_id=plugin_id,
            plugin_ids=plugin_ids,
            format=format,
            source=source,
            bank=bank,
            text=text,
            orphaned=orphaned,
            host=host,
            all_hosts=all_hosts,
        )

    def suggest(self, text: str, *, limit: int = 5) -> list[str]:
        """Names, vendors, categories, tags or parameter names close to `text`, best first."""
        from rapidfuzz import fuzz, process, utils

        query = utils.default_process(text)
        # A candidate much shorter than the text scores high on a partial match
        # alone ("v" inside "valhala"), which is no correction.
        candidates = [word for word in self.backend.vocabulary() if 2 * len(utils.default_process(word)) >= len(query)]
        matches = process.extract(
            query, candidates, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=75
        )
        return [choice for choice, _score, _index in matches]

    def get(self, plugin_id: str) -> Plugin | None:
        return self.backend.get(plugin_id)

    def find(self, id_or_name: str) -> list[Plugin]:
        """The plugin with this id, else every plugin with this name (ignoring case)."""
        plugin = self.backend.get(id_or_name)
        return [plugin] if plugin is not None else self.backend.named(id_or_name)

    def resolve(self, id_or_name: str) -> Plugin:
        """Exactly one plugin by id or name; UnknownPluginError (with suggestions) otherwise."""
        found = self.find(id_or_name)
        if len(found) == 1:
            return found[0]
        if found:
            ids = ", ".join(plugin.id for plugin in found)
            raise UnknownPluginError(
                f"{len(found)} plugins are named {id_or_name!r}: {ids}", fix="pass one of these ids"
            )
        close = self.suggest(id_or_name)
        raise UnknownPluginError(
            f"no plugin has the id or name {id_or_name!r}",
            fix=f"did you mean {', '.join(map(repr, close))}?" if close else "see `pluginary list`",
        )

    def stats(self) -> dict[str, Any]:
        """Counts and figures about the whole catalogue:

        `plugins`, `files`, `failures`, `instruments`, `effects`, `presets`,
        `orphaned_presets` (presets whose plugin is not installed); `formats`,
        `vendors`, `categories` (name → count, largest first); `parameters`
        (`total`, `min`, `median`, `max`, `histogram` of plugins per
        parameter-count bucket); `size_bytes`, `path`, `schema_version`; `runs`
        (the latest run summaries, newest first).
        """
        return self.backend.stats()

    def failures(self) -> list[ScanFailure]:
        """Quarantined files, most recently seen first."""
        return sorted(
            self.backend.failures().values(), key=lambda failure: (failure.last_seen, failure.path), reverse=True
        )

    def tag(self, id_or_name: str, *tags: str) -> tuple[str, ...]:
        """Add user tags (kept across rescans); returns the plugin's tags."""
        return self.backend.tag(self.resolve(id_or_name).id, _clean_tags(tags))

    def untag(self, id_or_name: str, *tags: str) -> tuple[str, ...]:
        """Remove user tags; returns the plugin's tags."""
        return self.backend.untag(self.resolve(id_or_name).id, _clean_tags(tags))

    def categorize(self, id_or_name: str, category: str | None) -> str | None:
        """Set the plugin's user category (None: clear it), shown first and seen by filters, search and
        exports, kept across rescans. `category` is a taxonomy name (`_taxonomy_name`); returns it as stored."""
        plugin_id = self.resolve(id_or_name).id
        name = None if category is None else _taxonomy_name(category)
        self.backend.categorize(plugin_id, name)
        return name

    # -- products: one entry per plugin across its formats (`pluginary.core.products`) ----------

    def products(self, *, limit: int | None = None, offset: int = 0, **filters: Any) -> list[Product]:
        """The products with a plugin `filters` select (`plugins`' filters, sort and order), each
        whole: every format of it, selected or not ("format='lv2'" lists the products that have an
        LV2 and their other formats too). In the order of each product's first selected plugin;
        `limit` and `offset` page the products. In a fleet catalogue with `host` or `all_hosts`, a
        product holds only the plugins the filters select. The plugins come without parameters and
        outputs (a listing of products shows none): `get` or `product` reads one whole."""
        keys = self.backend.product_keys()
        # Products are listed, not inspected: their plugins come without parameters (3-4x faster).
        listed = group(self.plugins(**filters, parameters=False), keys)
        page = listed[offset : None if limit is None else offset + limit]
        # Another machine's plugins cannot be read by id (`get` reads this one's): they stay as selected.
        return page if filters.get("host") is not None or filters.get("all_hosts") else self._whole(page, keys)

    def collapse(self, plugins: Iterable[Plugin]) -> list[Product]:
        """These plugins (`search`'s, say) as products, in the order of each one's first plugin,
        each whole (every format of it)."""
        keys = self.backend.product_keys()
        return self._whole(group(plugins, keys), keys)

    def product(self, name: str) -> Product:
        """The one product `name` names: a plugin's id or name (several formats of one product share
        it), a product key or a user's name for a product, or a name that differs from these only
        as `product_key` allows ("zamcomp (vst3)", "zam compressors"). UnknownPluginError when it
        names none or several."""
        keys = self.backend.product_keys()
        found = self.find(name)
        if found:
            named = {keys.get(plugin.id) or product_of(plugin) for plugin in found}
        else:
            # A rule key's name part ("damienzammit/zamcomp"), or a user's name for a product, folded alike.
            wanted = product_key(name)[0]
            named = {key for key in set(keys.values()) if wanted in (key.rpartition("/")[2], product_key(key)[0])}
        if len(named) == 1:
            return self._whole(group(found, keys), keys, named)[0]
        if named:
            ids = ", ".join(plugin.id for plugin in found) or ", ".join(map(repr, sorted(named)))
            raise UnknownPluginError(
                f"{name!r} names {len(named)} products: {ids}", fix="pass one plugin id, or the product's key"
            )
        self.resolve(name)  # raises UnknownPluginError with the closest names
        raise AssertionError("unreachable: resolve finds what find found")

    def target(self, id_or_name: str) -> Plugin | Product:
        """The one plugin `id_or_name` names, else the one product it names (`product`): what
        `pluginary info` and `tag` act on. UnknownPluginError otherwise."""
        found = self.find(id_or_name)
        return found[0] if len(found) == 1 else self.product(id_or_name)

    def group(self, names: Sequence[str], as_: str | None = None) -> str:
        """Make the plugins (or products) `names` name one product, called `as_` or else the first
        one's; kept by plugin id, so it survives rescans. Returns the product's key."""
        ids = self._ids(names)
        key = " ".join(as_.split()) if as_ is not None else self.backend.product_keys(ids[:1])[ids[0]]
        if not key:
            raise QueryError("a product's name must have some text", where="--as", fix="pass --as NAME")
        self.backend.group(ids, key)
        return key

    def ungroup(self, names: Sequence[str]) -> list[str]:
        """Put the plugins (or products) `names` name back in the product the rule gives them;
        returns their ids."""
        ids = self._ids(names)
        self.backend.group(ids, None)
        return ids

    def tag_product(self, name: str, *tags: str) -> tuple[str, ...]:
        """Add user tags to the product `name` names (`product`): every format of it shows them, and
        a format installed later too. Returns the product's own tags."""
        return self.backend.tag_product(self.product(name).key, _clean_tags(tags))

    def untag_product(self, name: str, *tags: str) -> tuple[str, ...]:
        """Remove a product's own tags (each plugin's own tags stay); returns the product's own tags."""
        return self.backend.untag_product(self.product(name).key, _clean_tags(tags))

    def categorize_product(self, name: str, category: str | None) -> str | None:
        """Set the user category of the product `name` names (None: clear it): every format of it
        without a user category of its own shows it, a format installed later too. Returns it as stored."""
        key = self.product(name).key
        category_name = None if category is None else _taxonomy_name(category)
        self.backend.categorize_product(key, category_name)
        return category_name

    def _ids(self, names: Sequence[str]) -> list[str]:
        """The ids of the plugins `names` name, each a plugin or a product (`target`)."""
        targets = [self.target(name) for name in names]
        return [plugin.id for one in targets for plugin in (one.plugins if isinstance(one, Product) else (one,))]

    def _whole(self, products: list[Product], keys: dict[str, str], more: Set[str] = frozenset()) -> list[Product]:
        """`products` with their plugins not read yet (read by id), and the products keyed `more`."""
        wanted = more | {product.key for product in products}
        plugins = [plugin for product in products for plugin in product.plugins]
        held = {plugin.id for plugin in plugins}
        missing = [
            self.backend.get(plugin_id) for plugin_id, key in keys.items() if key in wanted and plugin_id not in held
        ]
        if not missing and not more:
            return products  # already whole: grouping them again would give the same
        return group([*plugins, *filter(None, missing)], keys)

    @property
    def migrated(self) -> tuple[int, int] | None:
        """(old, new) schema version when opening upgraded the file, else None."""
        return self.backend.migrated

    def check(self) -> list[str]:
        """Problems in the stored catalogue (integrity, search index, orphans); empty when healthy."""
        return self.backend.check()

    def vacuum(self) -> None:
        """Rebuild the search index and reclaim free space."""
        self.backend.vacuum()

    def backup(self, dest: Path | str) -> None:
        """Write a consistent copy of the catalogue to `dest`, which must not exist."""
        self.backend.backup(Path(dest))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _taxonomy_name(text: str) -> str:
    """The taxonomy's name for the category `text` names: a name ignoring case and extra spaces
    ("effect / reverb"), or a subcategory's own name ("reverb"). QueryError with the closest names otherwise."""
    import difflib
    from collections import Counter

    from pluginary.core import taxonomy

    names = list(taxonomy.names())
    leaves = Counter(taxonomy.leaf(name).casefold() for name in names if taxonomy.is_specific(name))
    # A subcategory's own name where no other subcategory has it, and every whole name (which wins).
    known = {taxonomy.leaf(n).casefold(): n for n in names if leaves[taxonomy.leaf(n).casefold()] == 1}
    known |= {name.casefold(): name for name in names}
    wanted = taxonomy.SEPARATOR.join(" ".join(part.split()) for part in text.split(taxonomy.SEPARATOR)).casefold()
    if wanted in known:
        return known[wanted]
    close = dict.fromkeys(known[match] for match in difflib.get_close_matches(wanted, known, n=5, cutoff=0.6))
    raise QueryError(
        f"{text!r} is not a category of the taxonomy",
        where="category",
        fix=f"did you mean {', '.join(close)}?" if close else f"pass one of {', '.join(names)}",
    )


def _clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned = [" ".join(tag.split()) for tag in tags]
    if not tags or not all(cleaned):
        raise QueryError("a tag must have some text", where="tags", fix="pass one or more non-blank tags")
    return cleaned
