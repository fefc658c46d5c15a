"""The catalogue commands: list, search, info, stats, failures, tag, untag and db.

Thin on purpose: each parses its options, calls `pluginary.Catalog`, and hands
the result to `pluginary.cli.render`. The catalogue is imported inside the
commands, so registering these costs `pluginary --help` nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pluginary.cli import render as out
from pluginary.cli.render import Output, safe

if TYPE_CHECKING:
    from pluginary.catalog import Catalog
    from pluginary.core.fleet import DatabaseURL
    from pluginary.core.models import Preset

CATALOG_ENV = "PLUGINARY_CATALOG"


class _KnowsItsContext:
    """click's parser raises some usage errors ("Option '--set' requires an argument.") without the
    command they belong to; attach it, so the one-line message can name the command and its help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx
            raise


class Command(_KnowsItsContext, click.Command):
    """Every `pluginary` command."""


class Group(_KnowsItsContext, click.Group):
    """Every `pluginary` group; what it makes with `.command()` and `.group()` is of these classes too."""

    command_class = Command
    group_class = type


class CatalogLocation(click.ParamType):
    """A catalogue file, or a database URL kept whole (a Path would fold its `//`) and redacted."""

    name = "path|url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from pluginary.core.fleet import location

        return location(value)


catalog_option = click.option(
    "--catalog",
    type=CatalogLocation(),
    envvar=CATALOG_ENV,
    help=(
        "The catalogue file (.sqlite, or .json for the JSON backend), or a postgresql:// URL."
        f" [default: the user data dir's; {CATALOG_ENV}]"
    ),
)
output_option = click.option(
    "--output",
    "-o",
    type=click.Choice([o.value for o in Output]),
    help="How to print. [default: table on a terminal, plain when piped]",
)


def page_options(command: Callable[..., None]) -> Callable[..., None]:
    """--reverse, --limit, --offset and --host: a listing's order, page and machine, as `list` and
    `presets` take them (the query checks the numbers, with one message for both)."""
    for option in (
        click.option("--host", help="A fleet catalogue's machine. [default: this one]"),
        click.option("--offset", type=int, default=0, show_default=True, help="Skip this many first."),
        click.option("--limit", type=int, help="At most this many. [default: 50 in a table, all otherwise]"),
        click.option("--reverse", is_flag=True, help="Reverse the order."),
    ):
        command = option(command)
    return command


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The filters of a plugin listing, as `list` and `search` take them; `filters` reads them."""
    for option in (
        click.option(
            "--all-hosts", is_flag=True, help="Every machine of a fleet catalogue (a plugin once per machine)."
        ),
        click.option("--has-param", help="Has a parameter with this name (any case)."),
        click.option("--params", help="Parameter count: 10..50, >20, <10 or an exact number."),
        click.option("--instrument/--effect", default=None, help="Only instruments, or only effects."),
        click.option("--tag", help="A user tag."),
        click.option("--category", help='A category and everything under it: "Effect" includes "Effect/Reverb".'),
        click.option("--vendor", help="Vendor name (any case)."),
        click.option("--format", "format_", metavar="FORMAT", help="vst3, clap, lv2 or au (any installed format)."),
    ):
        command = option(command)
    return command


def filters(
    format_: str | None,
    vendor: str | None,
    category: str | None,
    tag: str | None,
    instrument: bool | None,
    params: str | None,
    has_param: str | None,
    host: str | None,
    all_hosts: bool,
) -> dict[str, Any]:
    """What `filter_options` (and `--host`) read, as `Catalog.plugins` takes it; an unknown format is
    a usage error."""
    if format_ is not None:
        from pluginary.pipeline.loader import check_component

        check_component("format", format_.lower(), where="--format")
    return {
        "format": format_,
        "vendor": vendor,
        "category": category,
        "tag": tag,
        "instrument": True if instrument else None,
        "effect": True if instrument is False else None,
        "params": params,
        "has_param": has_param,
        "host": host,
        "all_hosts": all_hosts,
    }


def register(group: click.Group) -> None:
    """Add the catalogue commands to the `pluginary` group."""
    for command in (list_plugins, search, info, stats, failures, tag, untag, db):
        group.add_command(command)


@click.command("list", cls=Command)
@filter_options
@click.option("--sort", default="name", show_default=True, help="name, vendor, format, category, params or scanned.")
@page_options
@click.option("--products", is_flag=True, help="One row per product (a plugin across its formats), with its formats.")
@output_option
@catalog_option
def list_plugins(
    sort: str,
    reverse: bool,
    limit: int | None,
    offset: int,
    products: bool,
    output: str | None,
    catalog: Path | None,
    **options: Any,
) -> None:
    """List catalogued plugins, filtered and sorted; with --products, the products that have a
    plugin the filters select, each with all its formats."""
    selected = filters(**options)
    chosen = out.choose(output)
    if limit is None and chosen is Output.TABLE:
        limit = out.TABLE_LIMIT
    with _open(catalog) as cat:
        if products:
            every = cat.products(**selected, sort=sort, reverse=reverse)
            shown = out.write_products(every[offset : None if limit is None else offset + limit], chosen, sys.stdout)
            if chosen is Output.TABLE:
                click.echo(out.showing(offset, shown, len(every)))
            return
        plugins = cat.plugins(
            **selected, sort=sort, reverse=reverse, limit=limit, offset=offset, parameters=chosen.whole_records
        )
        if chosen is Output.TABLE:
            total = cat.count(**selected)
            shown = out.write_plugins(plugins, chosen, sys.stdout)
            click.echo(out.showing(offset, shown, total))
        else:
            out.write_plugins(plugins, chosen, sys.stdout)


@click.command("search", cls=Command)
@click.argument("words", nargs=-1, required=True)
@click.option("--raw", is_flag=True, help="Take the text as the catalogue's own query syntax (plugins only).")
@filter_options
@click.option("--host", help="A fleet catalogue's machine. [default: this one]")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many of each, best first.")
@click.option("--products", is_flag=True, help="The plugins found as products, one row each with its formats.")
@output_option
@catalog_option
def search(
    words: tuple[str, ...],
    raw: bool,
    limit: int,
    products: bool,
    output: str | None,
    catalog: Path | None,
    **options: Any,
) -> None:
    """Search names, vendors, categories, tags and parameter names for WORDS (or a name like Pro-Q 3),
    among the plugins the filters select (as `list` takes them), and presets' names, banks, authors
    and tags (shown after the plugins, each with its plugin).

    When nothing matches, the closest names are suggested and the best one searched instead.
    Exits with 1 when nothing is found at all.
    """
    from pluginary.core.query import check_count

    check_count("limit", limit, minimum=1)  # "at most 0" would find nothing, whatever matches
    selected = filters(**options)
    chosen = out.choose(output)
    text = " ".join(words)
    with _open(catalog) as cat:
        found = cat.search(text, limit=limit, raw=raw, parameters=chosen.whole_records, **selected)
        presets = [] if raw else cat.search_presets(text, limit=limit)  # the raw syntax is the plugins' alone
        if not found and not presets and not raw:
            close = cat.suggest(text)
            if close:
                shown = safe(", ".join(close))
                click.echo(f"no match for {text!r}; showing {safe(close[0])!r} (did you mean {shown}?)", err=True)
                found = cat.search(close[0], limit=limit, parameters=chosen.whole_records, **selected)
                presets = cat.search_presets(close[0], limit=limit)
        if not found and not presets:
            click.echo(f"no plugins match {text!r}, nor any preset", err=True)
            raise click.exceptions.Exit(1)
        if products:
            out.write_products(cat.collapse(found), chosen, sys.stdout)
        else:
            out.write_search(found, presets, plugin_names(cat), chosen, sys.stdout)


class CountOrAll(click.ParamType):
    """A count from 0, or `all` (None: no limit)."""

    name = "N|all"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        from pluginary.core.query import MAX_INT

        if value is None or value == "all":
            return None
        try:
            count = int(value)
        except (TypeError, ValueError):
            count = -1
        if not 0 <= count <= MAX_INT:
            self.fail(f"{value!r} is neither a count from 0 to {MAX_INT} nor 'all'", param, ctx)
        return count


@click.command("info", cls=Command)
@click.argument("plugin")
@click.option("--presets", "preset_limit", type=CountOrAll(), default="10", show_default=True,
              help="List this many of its presets (by bank, then name), or all.")  # fmt: skip
@output_option
@catalog_option
def info(plugin: str, preset_limit: int | None, output: str | None, catalog: Path | None) -> None:
    """Show one PLUGIN's whole record, its parameters and its presets (an id, or a name in any case).

    A name several formats of one product share shows the product and each format's record; a name
    several products share lists them instead; an unknown one suggests the closest.
    """
    chosen = out.choose(output)
    with _open(catalog) as cat:
        found = cat.find(plugin)
        if len(found) == 1:
            shown, count = _presets_of(cat, found[0].id, preset_limit)
            out.write_plugin(found[0], chosen, sys.stdout, presets=shown, preset_count=count)
            return
        # A product's other spelling ("zamcomp (vst3)"), else UnknownPluginError with the closest names.
        found = found or list(cat.product(plugin).plugins)
        one_product = cat.collapse(found)
        if len(one_product) == 1:
            each = {member.id: _presets_of(cat, member.id, preset_limit) for member in one_product[0].plugins}
            out.write_product(one_product[0], chosen, sys.stdout, presets=each)
            return
    click.echo(f"{len(found)} plugins are named {plugin!r}; `pluginary info ID` shows one", err=True)
    out.write_plugins(found, chosen, sys.stdout)
    raise click.exceptions.Exit(1)


def _presets_of(cat: Catalog, plugin_id: str, limit: int | None) -> tuple[list[Preset], int]:
    """A plugin's first `limit` presets (by bank) and how many it has, for `info`."""
    return list(cat.presets(plugin_id, sort="bank", limit=limit)), cat.count_presets(plugin_id)


@click.command("stats", cls=Command)
@output_option
@catalog_option
def stats(output: str | None, catalog: Path | None) -> None:
    """Counts by format, vendor and category; parameters; size; the last runs."""
    with _open(catalog) as cat:
        out.write_stats(cat.stats(), out.choose(output), sys.stdout)


@click.command("failures", cls=Command)
@output_option
@catalog_option
def failures(output: str | None, catalog: Path | None) -> None:
    """Quarantined files: why (crash and signal, timeout, error), attempts, first and last seen."""
    with _open(catalog) as cat:
        quarantined = cat.failures()
    chosen = out.choose(output)
    if not quarantined and chosen is Output.TABLE:
        click.echo("no quarantined plugins")
        return
    out.write_failures(quarantined, chosen, sys.stdout)


product_option = click.option(
    "--product", is_flag=True, help="PLUGIN names a product: every format of it, and one installed later."
)


@click.command("tag", cls=Command)
@click.argument("plugin")
@click.argument("tags", nargs=-1, required=True)
@product_option
@catalog_option
def tag(plugin: str, tags: tuple[str, ...], product: bool, catalog: Path | None) -> None:
    """Add user TAGS to PLUGIN (an id, or its name); they survive rescans and show in search, list and exports.

    A name several formats of one product share (or --product) tags the product.
    """
    _label(plugin, tags, product, catalog, add=True)


@click.command("untag", cls=Command)
@click.argument("plugin")
@click.argument("tags", nargs=-1, required=True)
@product_option
@catalog_option
def untag(plugin: str, tags: tuple[str, ...], product: bool, catalog: Path | None) -> None:
    """Remove user TAGS from PLUGIN (an id, or its name), or from the product a name of several of its
    formats (or --product) names; a product's tags and each plugin's own are kept apart."""
    _label(plugin, tags, product, catalog, add=False)


def _label(plugin: str, tags: tuple[str, ...], product: bool, catalog: Path | None, *, add: bool) -> None:
    """Add or remove TAGS on the plugin, or the product, PLUGIN names; print its tags afterwards."""
    from pluginary.core.products import Product

    with _open(catalog) as cat:
        target = cat.product(plugin) if product else cat.target(plugin)
        if isinstance(target, Product):
            now = (cat.tag_product if add else cat.untag_product)(plugin, *tags)
            shown = f"{target.key} ({', '.join(target.formats)})"
        else:
            now = (cat.tag if add else cat.untag)(target.id, *tags)
            shown = target.id
    click.echo(safe(f"{shown}: {', '.join(now) or '(no tags)'}"))


@click.group("db", cls=Group)
def db() -> None:
    """Check, compact, upgrade or back up the catalogue file."""


@db.command("check")
@catalog_option
def db_check(catalog: Path | None) -> None:
    """Check integrity, the search index and orphaned rows; exits with 1 on problems."""
    with _open(catalog) as cat:
        problems = cat.check()
        path = cat.path
    if problems:
        for problem in problems:
            click.echo(f"{path}: {safe(problem)}", err=True)
        click.echo(f"{len(problems)} problem(s); restore a backup or rescan into a new file with --catalog", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"{path}: ok")


@db.command("vacuum")
@catalog_option
def db_vacuum(catalog: Path | None) -> None:
    """Rebuild the search index and reclaim free space."""
    with _open(catalog) as cat:
        before = cat.stats()["size_bytes"]  # a file's size, or a database's
        cat.vacuum()
        click.echo(f"{cat.path}: {before} → {cat.stats()['size_bytes']} bytes")


@db.command("migrate")
@catalog_option
def db_migrate(catalog: Path | None) -> None:
    """Upgrade a catalogue written by an older Pluginary (opening it for writing does this too)."""
    with _open(catalog) as cat:
        if cat.migrated:
            click.echo(f"{cat.path}: schema v{cat.migrated[0]} → v{cat.migrated[1]}")
        else:  # the file's own version: a JSON catalogue numbers its versions apart from SQLite's
            click.echo(f"{cat.path}: already at schema v{cat.stats()['schema_version']}")


@db.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@catalog_option
def db_backup(dest: Path, catalog: Path | None) -> None:
    """Write a consistent copy of the catalogue to DEST (which must not exist), safe while a scan is writing."""
    with _open(catalog) as cat:
        cat.backup(dest)
    click.echo(f"backed up to {dest}")


def plugin_names(cat: Catalog) -> out.PluginName:
    """A plugin's name by id, None when it is not installed; each id is looked up once."""
    import functools

    @functools.cache
    def name(plugin_id: str) -> str | None:
        plugin = cat.get(plugin_id)
        return None if plugin is None else plugin.name

    return name


def _open(path: Path | DatabaseURL | None) -> Catalog:
    """The catalogue the command names; it must exist (queries never create one)."""
    from pluginary.catalog import Catalog
    from pluginary.core.errors import CatalogError

    backend = None
    if path is None:  # neither --catalog nor PLUGINARY_CATALOG: the config's store, else the default
        from pluginary.pipeline.loader import catalog_location

        path, backend = catalog_location(path)
    if isinstance(path, str):  # a database URL: the server says whether a catalogue is there
        return Catalog.open(path, backend=backend, create=False)
    path = path.expanduser()
    if not path.exists():
        raise CatalogError(
            "no catalogue here",
            where=str(path),
            fix=f"run `pluginary scan` first, or name one with --catalog PATH or {CATALOG_ENV}",
        )
    # Writable when it can be, so an older schema is upgraded; read-only on a read-only disk.
    # Never created: an empty file is refused as it is, not turned into a catalogue.
    return Catalog.open(path, backend=backend, create=False)
