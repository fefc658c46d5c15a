"""The catalogue commands: list, search, info, stats, failures, tag, untag and db.

Thin on purpose: each parses its options, calls `pluginary.Catalog`, and hands
the result to `pluginary.cli.render`. The catalogue is imported inside the
commands, so registering these costs `pluginary --help` nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pluginary.cli import render as out
from pluginary.cli.render import Output, safe

if TYPE_CHECKING:
    from pluginary.catalog import Catalog
    from pluginary.core.fleet import DatabaseURL

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


def register(group: click.Group) -> None:
    """Add the catalogue commands to the `pluginary` group."""
    for command in (list_plugins, search, info, stats, failures, tag, untag, db):
        group.add_command(command)


@click.command("list", cls=Command)
@click.option("--format", "format_", metavar="FORMAT", help="vst3, clap, lv2 or au (any installed format).")
@click.option("--vendor", help="Vendor name (any case).")
@click.option("--category", help='A category and everything under it: "Effect" includes "Effect/Reverb".')
@click.option("--tag", help="A user tag.")
@click.option("--instrument/--effect", default=None, help="Only instruments, or only effects.")
@click.option("--params", help="Parameter count: 10..50, >20, <10 or an exact number.")
@click.option("--has-param", help="Has a parameter with this name (any case).")
@click.option("--sort", default="name", show_default=True, help="name, vendor, format, category, params or scanned.")
@click.option("--reverse", is_flag=True, help="Reverse the order.")
@click.option("--limit", type=int, help="At most this many. [default: 50 in a table, all otherwise]")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many first.")
@click.option("--host", help="A fleet catalogue's machine. [default: this one]")
@click.option("--all-hosts", is_flag=True, help="Every machine of a fleet catalogue (a plugin once per machine).")
@output_option
@catalog_option
def list_plugins(
    format_: str | None,
    vendor: str | None,
    category: str | None,
    tag: str | None,
    instrument: bool | None,
    params: str | None,
    has_param: str | None,
    sort: str,
    reverse: bool,
    limit: int | None,
    offset: int,
    host: str | None,
    all_hosts: bool,
    output: str | None,
    catalog: Path | None,
) -> None:
    """List catalogued plugins, filtered and sorted."""
    if format_ is not None:
        from pluginary.pipeline.loader import check_component

        check_component("format", format_.lower(), where="--format")
    chosen = out.choose(output)
    if limit is None and chosen is Output.TABLE:
        limit = out.TABLE_LIMIT
    filters: dict[str, Any] = {
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
    with _open(catalog) as cat:
        plugins = cat.plugins(**filters, sort=sort, reverse=reverse, limit=limit, offset=offset)
        if chosen is Output.TABLE:
            total = cat.count(**filters)
            shown = out.write_plugins(plugins, chosen, sys.stdout)
            click.echo(out.showing(offset, shown, total))
        else:
            out.write_plugins(plugins, chosen, sys.stdout)


@click.command("search", cls=Command)
@click.argument("words", nargs=-1, required=True)
@click.option("--raw", is_flag=True, help="Take the text as an SQLite FTS5 query.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many, best first.")
@output_option
@catalog_option
def search(words: tuple[str, ...], raw: bool, limit: int, output: str | None, catalog: Path | None) -> None:
    """Search names, vendors, categories, tags and parameter names for WORDS (or a name like Pro-Q 3).

    When nothing matches, the closest names are suggested and the best one searched instead.
    Exits with 1 when nothing is found at all.
    """
    from pluginary.core.query import check_count

    check_count("limit", limit, minimum=1)  # "at most 0" would find nothing, whatever matches
    text = " ".join(words)
    with _open(catalog) as cat:
        found = cat.search(text, limit=limit, raw=raw)
        if not found and not raw:
            close = cat.suggest(text)
            if close:
                shown = safe(", ".join(close))
                click.echo(f"no match for {text!r}; showing {safe(close[0])!r} (did you mean {shown}?)", err=True)
                found = cat.search(close[0], limit=limit)
        if not found:
            click.echo(f"no plugins match {text!r}", err=True)
            raise click.exceptions.Exit(1)
        out.write_plugins(found, out.choose(output), sys.stdout)


@click.command("info", cls=Command)
@click.argument("plugin")
@output_option
@catalog_option
def info(plugin: str, output: str | None, catalog: Path | None) -> None:
    """Show one PLUGIN's whole record and its parameters (an id, or a name in any case).

    A name several plugins share lists them instead; an unknown one suggests the closest.
    """
    chosen = out.choose(output)
    with _open(catalog) as cat:
        found = cat.find(plugin)
        if len(found) == 1:
            out.write_plugin(found[0], chosen, sys.stdout)
            return
        if not found:
            cat.resolve(plugin)  # raises UnknownPluginError with the closest names
    click.echo(f"{len(found)} plugins are named {plugin!r}; `pluginary info ID` shows one", err=True)
    out.write_plugins(found, chosen, sys.stdout)
    raise click.exceptions.Exit(1)


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


@click.command("tag", cls=Command)
@click.argument("plugin")
@click.argument("tags", nargs=-1, required=True)
@catalog_option
def tag(plugin: str, tags: tuple[str, ...], catalog: Path | None) -> None:
    """Add user TAGS to PLUGIN (an id, or its name); they survive rescans and show in search, list and exports."""
    with _open(catalog) as cat:
        plugin_id = cat.resolve(plugin).id
        click.echo(safe(f"{plugin_id}: {', '.join(cat.tag(plugin_id, *tags))}"))


@click.command("untag", cls=Command)
@click.argument("plugin")
@click.argument("tags", nargs=-1, required=True)
@catalog_option
def untag(plugin: str, tags: tuple[str, ...], catalog: Path | None) -> None:
    """Remove user TAGS from PLUGIN (an id, or its name)."""
    with _open(catalog) as cat:
        plugin_id = cat.resolve(plugin).id
        click.echo(safe(f"{plugin_id}: {', '.join(cat.untag(plugin_id, *tags)) or '(no tags)'}"))


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
