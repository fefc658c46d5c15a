"""The catalogue commands: list, search, info, stats, failures, tag, untag and db.

Thin on purpose: each parses its options, calls `pluginary.Catalog`, and hands
the result to `pluginary.cli.render`. Both are imported inside the commands,
so registering these costs `pluginary --help` nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pluginary.cli.render import Output

if TYPE_CHECKING:
    from pluginary.catalog import Catalog

CATALOG_ENV = "PLUGINARY_CATALOG"

CatalogOption = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        envvar=CATALOG_ENV,
        help="The catalogue file (.sqlite, or .json for the JSON backend). [default: the user data dir's]",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Output | None,
    typer.Option("--output", "-o", help="How to print. [default: table on a terminal, plain when piped]"),
]


def register(app: typer.Typer) -> None:
    """Add the catalogue commands to the `pluginary` app."""
    app.command("list")(list_plugins)
    app.command("search")(search)
    app.command("info")(info)
    app.command("stats")(stats)
    app.command("failures")(failures)
    app.command("tag")(tag)
    app.command("untag")(untag)
    db = typer.Typer(help="Check, compact, upgrade or back up the catalogue file.", no_args_is_help=True)
    db.command("check")(db_check)
    db.command("vacuum")(db_vacuum)
    db.command("migrate")(db_migrate)
    db.command("backup")(db_backup)
    app.add_typer(db, name="db")


def list_plugins(
    format: Annotated[str | None, typer.Option("--format", help="vst3, au or lv2.")] = None,
    vendor: Annotated[str | None, typer.Option(help="Vendor name (any case).")] = None,
    category: Annotated[
        str | None,
        typer.Option(help='A category and everything under it: "Effect" includes "Effect/Reverb".'),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="A user tag.")] = None,
    instrument: Annotated[
        bool | None,
        typer.Option("--instrument/--effect", help="Only instruments, or only effects.", show_default=False),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(help="Parameter count: 10..50, >20, <10 or an exact number."),
    ] = None,
    has_param: Annotated[
        str | None,
        typer.Option("--has-param", help="Has a parameter with this name (any case)."),
    ] = None,
    sort: Annotated[str, typer.Option(help="name, vendor, format, category, params or scanned.")] = "name",
    reverse: Annotated[bool, typer.Option("--reverse", help="Reverse the order.")] = False,
    limit: Annotated[
        int | None,
        typer.Option(help="At most this many. [default: 50 in a table, all otherwise]", show_default=False),
    ] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    output: OutputOption = None,
    catalog: CatalogOption = None,
) -> None:
    """List catalogued plugins, filtered and sorted."""
    from pluginary.cli import render as out

    chosen = out.choose(output)
    if limit is None and chosen is Output.TABLE:
        limit = out.TABLE_LIMIT
    filters: dict[str, Any] = {
        "format": format,
        "vendor": vendor,
        "category": category,
        "tag": tag,
        "instrument": True if instrument else None,
        "effect": True if instrument is False else None,
        "params": params,
        "has_param": has_param,
    }
    with _open(catalog) as cat:
        plugins = cat.plugins(**filters, sort=sort, reverse=reverse, limit=limit, offset=offset)
        if chosen is Output.TABLE:
            total = cat.count(**filters)
            shown = out.write_plugins(plugins, chosen, sys.stdout)
            typer.echo(out.showing(offset, shown, total))
        else:
            out.write_plugins(plugins, chosen, sys.stdout)


def search(
    words: Annotated[list[str], typer.Argument(help="What to look for: words, a name like Pro-Q 3, …")],
    raw: Annotated[bool, typer.Option("--raw", help="Take the text as an SQLite FTS5 query.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, best first.")] = 50,
    output: OutputOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Search names, vendors, categories, tags and parameter names.

    When nothing matches, the closest names are suggested and the best one searched instead.
    Exits with 1 when nothing is found at all.
    """
    from pluginary.cli import render as out

    text = " ".join(words)
    with _open(catalog) as cat:
        found = cat.search(text, limit=limit, raw=raw)
        if not found and not raw:
            close = cat.suggest(text)
            if close:
                typer.echo(f"no match for {text!r}; showing {close[0]!r} (did you mean {', '.join(close)}?)", err=True)
                found = cat.search(close[0], limit=limit)
        if not found:
            typer.echo(f"no plugins match {text!r}", err=True)
            raise typer.Exit(1)
        out.write_plugins(found, out.choose(output), sys.stdout)


def info(
    plugin: Annotated[str, typer.Argument(help="A plugin id, or a name (any case).")],
    output: OutputOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Show one plugin's whole record and its parameters.

    A name several plugins share lists them instead; an unknown one suggests the closest.
    """
    from pluginary.cli import render as out

    chosen = out.choose(output)
    with _open(catalog) as cat:
        found = cat.find(plugin)
        if len(found) == 1:
            out.write_plugin(found[0], chosen, sys.stdout)
            return
        if not found:
            cat.resolve(plugin)  # raises UnknownPluginError with the closest names
    typer.echo(f"{len(found)} plugins are named {plugin!r}; `pluginary info ID` shows one", err=True)
    out.write_plugins(found, chosen, sys.stdout)
    raise typer.Exit(1)


def stats(output: OutputOption = None, catalog: CatalogOption = None) -> None:
    """Counts by format, vendor and category; parameters; size; the last runs."""
    from pluginary.cli import render as out

    with _open(catalog) as cat:
        out.write_stats(cat.stats(), out.choose(output), sys.stdout)


def failures(output: OutputOption = None, catalog: CatalogOption = None) -> None:
    """Quarantined files: why (crash and signal, timeout, error), attempts, first and last seen."""
    from pluginary.cli import render as out

    with _open(catalog) as cat:
        quarantined = cat.failures()
    chosen = out.choose(output)
    if not quarantined and chosen is Output.TABLE:
        typer.echo("no quarantined plugins")
        return
    out.write_failures(quarantined, chosen, sys.stdout)


def tag(
    plugin: Annotated[str, typer.Argument(help="A plugin id, or its name.")],
    tags: Annotated[list[str], typer.Argument(help="Tags to add; they survive rescans.")],
    catalog: CatalogOption = None,
) -> None:
    """Add user tags to a plugin (shown in search, list and exports)."""
    with _open(catalog) as cat:
        plugin_id = cat.resolve(plugin).id
        typer.echo(f"{plugin_id}: {', '.join(cat.tag(plugin_id, *tags))}")


def untag(
    plugin: Annotated[str, typer.Argument(help="A plugin id, or its name.")],
    tags: Annotated[list[str], typer.Argument(help="Tags to remove.")],
    catalog: CatalogOption = None,
) -> None:
    """Remove user tags from a plugin."""
    with _open(catalog) as cat:
        plugin_id = cat.resolve(plugin).id
        typer.echo(f"{plugin_id}: {', '.join(cat.untag(plugin_id, *tags)) or '(no tags)'}")


def db_check(catalog: CatalogOption = None) -> None:
    """Check integrity, the search index and orphaned rows; exits with 1 on problems."""
    with _open(catalog) as cat:
        problems = cat.check()
        path = cat.path
    if problems:
        for problem in problems:
            typer.echo(f"{path}: {problem}", err=True)
        typer.echo(f"{len(problems)} problem(s); restore a backup or rescan into a new file with --catalog", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: ok")


def db_vacuum(catalog: CatalogOption = None) -> None:
    """Rebuild the search index and reclaim free space."""
    with _open(catalog) as cat:
        before = cat.path.stat().st_size
        cat.vacuum()
        typer.echo(f"{cat.path}: {before} → {cat.path.stat().st_size} bytes")


def db_migrate(catalog: CatalogOption = None) -> None:
    """Upgrade a catalogue written by an older Pluginary (opening it for writing does this too)."""
    with _open(catalog) as cat:
        if cat.migrated:
            typer.echo(f"{cat.path}: schema v{cat.migrated[0]} → v{cat.migrated[1]}")
        else:  # the file's own version: a JSON catalogue numbers its versions apart from SQLite's
            typer.echo(f"{cat.path}: already at schema v{cat.stats()['schema_version']}")


def db_backup(
    dest: Annotated[Path, typer.Argument(help="Where to write the copy (must not exist).")],
    catalog: CatalogOption = None,
) -> None:
    """Write a consistent copy of the catalogue, safe while a scan is writing."""
    with _open(catalog) as cat:
        cat.backup(dest)
    typer.echo(f"backed up to {dest}")


def _open(path: Path | None) -> Catalog:
    """The catalogue the command names; it must exist (queries never create one)."""
    from pluginary.catalog import Catalog
    from pluginary.core.errors import CatalogError
    from pluginary.core.paths import default_catalog_path

    path = path or default_catalog_path()
    if not path.exists():
        raise CatalogError(
            "no catalogue here",
            where=str(path),
            fix=f"run `pluginary scan` first, or name one with --catalog PATH or {CATALOG_ENV}",
        )
    # Writable when it can be, so an older schema is upgraded; read-only on a read-only disk.
    return Catalog.open(path)
