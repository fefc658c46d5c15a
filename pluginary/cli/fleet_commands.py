"""The fleet commands: hosts, fleet diff, fleet where, merge.

Thin, as the catalogue commands are: each opens the catalogue, calls `pluginary.fleet`,
and prints rows (a table on a terminal, tab-separated plain text in a pipe, or JSON).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from pluginary.cli import render as out
from pluginary.cli.catalog_commands import CatalogLocation, Command, Group, _open, catalog_option, output_option
from pluginary.cli.render import Output, safe


def register(group: click.Group) -> None:
    """Add the fleet commands to the `pluginary` group."""
    for command in (hosts, fleet, merge):
        group.add_command(command)


def _print(columns: list[str], rows: list[list[Any]], output: str | None) -> None:
    chosen = out.choose(output)
    out.require(chosen, (Output.TABLE, Output.PLAIN, Output.JSON), "this command")
    if chosen is Output.JSON:
        json.dump([dict(zip(columns, row, strict=True)) for row in rows], sys.stdout, indent=2, default=str)
        click.echo()
    elif chosen is Output.PLAIN:
        for row in rows:
            click.echo("\t".join(safe(cell) for cell in row))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns)
        for row in rows:
            table.add_row(*(safe(cell) for cell in row))
        Console().print(table)


@click.command("hosts", cls=Command)
@output_option
@catalog_option
def hosts(output: str | None, catalog: Path | None) -> None:
    """Each machine in a fleet catalogue: when it last stored a scan, its plugins, files and failures."""
    from pluginary import fleet as fleets

    with _open(catalog) as cat:
        found = fleets.hosts(cat)
    columns = ["host", "last_scanned", "plugins", "files", "failures"]
    _print(columns, [[row[column] for column in columns] for row in found], output)


@click.group("fleet", cls=Group)
def fleet() -> None:
    """Questions about the machines of a fleet catalogue."""


def _formats(formats: dict[str, str]) -> str:
    return ", ".join(f"{fmt} {version}".strip() for fmt, version in sorted(formats.items())) or "-"


@fleet.command("diff")
@click.argument("a")
@click.argument("b")
@output_option
@catalog_option
def fleet_diff(a: str, b: str, output: str | None, catalog: Path | None) -> None:
    """What machine A has that B lacks, and the other way round, and the products both have in other
    formats or versions (per product: one plugin across formats)."""
    from pluginary import fleet as fleets

    with _open(catalog) as cat:
        differences = fleets.diff(cat, a, b)
    rows = [[d.name, d.vendor, d.status, _formats(d.a), _formats(d.b)] for d in differences]
    _print(["product", "vendor", "status", a, b], rows, output)


@fleet.command("where")
@click.argument("plugin")
@output_option
@catalog_option
def fleet_where(plugin: str, output: str | None, catalog: Path | None) -> None:
    """Which machines have PLUGIN (an id or a name), in which formats and versions."""
    from pluginary import fleet as fleets

    with _open(catalog) as cat:
        found = fleets.where(cat, plugin)
    rows = [[p.host.name, p.format, p.version, p.id, p.path] for p in found]
    _print(["host", "format", "version", "id", "path"], rows, output)


@click.command("merge", cls=Command)
@click.argument("out_", metavar="OUT", type=CatalogLocation())
@click.argument("sources", metavar="IN...", nargs=-1, required=True, type=CatalogLocation())
def merge(out_: Any, sources: tuple[Any, ...]) -> None:
    """Push machines' catalogues (SQLite or JSON files) into the fleet catalogue OUT (a postgresql://
    URL), each machine's plugins under its own name; merging again changes nothing."""
    from pluginary import fleet as fleets
    from pluginary.catalog import Catalog

    with Catalog.open(out_) as target:
        report = fleets.merge(target, sources)
    for conflict in report.conflicts:
        click.echo(f"conflict: {safe(conflict)}", err=True)
    for host, count in sorted(report.stored.items()):
        click.echo(f"{safe(host)}: {count} plugins")
