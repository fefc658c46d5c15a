"""`pluginary project FILE…`: which plugins a DAW project needs, and which of them are here.

Thin on purpose: `pluginary.projects` reads the files (the reader chosen by the file) and
`pluginary.projects.matching` matches them to the catalogue; this prints the result the way
the catalogue commands print (`pluginary.cli.render`: a table on a terminal, plain lines in a
pipe, JSON, CSV or YAML) and turns it into an exit status CI can test:

    0  every plugin is installed (in the format the project uses)
    4  at least one plugin is missing: not installed in any format
    5  none is missing, but at least one is installed only in another format
    2  a usage error: a file missing, unreadable, too large, malformed or of no known kind
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from pluginary.cli import render as out
from pluginary.cli.catalog_commands import Command, _open, catalog_option, output_option
from pluginary.cli.render import Output

if TYPE_CHECKING:
    from pluginary.projects.matching import Match

EXIT_MISSING = 4
EXIT_OTHER_FORMAT = 5

COLUMNS = ("project", "location", "name", "vendor", "format", "id", "status", "installed", "version", "raw")


@click.command("project", cls=Command)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--reader", metavar="NAME", help="Read the files with this reader (rpp, ardour, als, …).")
@click.option("--fleet", is_flag=True, help="Say on which machines of a fleet catalogue the projects would open.")
@output_option
@catalog_option
def project(files: tuple[Path, ...], reader: str | None, fleet: bool, output: str | None, catalog: Path | None) -> None:
    """List the plugins DAW projects use and whether each is installed (REAPER .rpp, Ardour
    .ardour, Ableton Live .als).

    Each plugin is installed (same format and id), installed in another format (the same
    product), missing, or unchecked (the DAW's own: Ardour Lua processors, REAPER JSFX).
    Exits with 4 when a plugin is missing, 5 when one is only in another format, 0 otherwise.
    With --fleet, one line per machine instead, and the exit status of the best machine.
    """
    from pluginary.projects import read
    from pluginary.projects.matching import Status, match

    used = [(path, read(path, reader)) for path in files]  # every file read before any is reported
    chosen = out.choose(output)
    if fleet:
        _fleet_readiness([ref for _path, references in used for ref in references], chosen, catalog)
        return
    with _open(catalog) as cat:
        results = [(path, found) for path, references in used for found in match(references, cat)]
    write_matches(results, chosen, sys.stdout, several=len(files) > 1)
    statuses = Counter(found.status for _path, found in results)
    if chosen is Output.TABLE:
        counts = ", ".join(f"{count} {status.value}" for status in Status if (count := statuses[status]))
        click.echo(f"{len(results)} plugins: {counts or 'none'}")
    if statuses[Status.MISSING]:
        raise click.exceptions.Exit(EXIT_MISSING)
    if statuses[Status.OTHER_FORMAT]:
        raise click.exceptions.Exit(EXIT_OTHER_FORMAT)


def _fleet_readiness(references: list[Any], output: Output, catalog: Path | None) -> None:
    """Print, per machine, whether the projects would open there; exit as for the best machine."""
    from pluginary import fleet

    with _open(catalog) as cat:
        machines = fleet.readiness(cat, references)
    records = [
        {
            "host": machine.host,
            "status": machine.status,
            "missing": sorted({m.reference.name for m in machine.missing}),
            "other_format": sorted({m.reference.name for m in machine.other_format}),
        }
        for machine in machines
    ]
    if output is Output.JSON:
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    elif output is Output.YAML:
        out._yaml().dump(records, sys.stdout)
    elif output is Output.CSV:
        from pluginary.exporters.csv import csv_writer

        writer = csv_writer(sys.stdout, ("host", "status", "missing", "other_format"))
        writer.writeheader()
        writer.writerows({**row, "missing": " | ".join(row["missing"]),
                          "other_format": " | ".join(row["other_format"])} for row in records)  # fmt: skip
    else:
        lacking = {
            row["host"]: "; ".join([*row["missing"], *(f"{name} (other format)" for name in row["other_format"])])
            for row in records
        }
        if output is Output.PLAIN:
            for row in records:
                out._plain(sys.stdout, row["host"], row["status"], lacking[row["host"]])
        else:
            from rich.table import Table

            table = Table()
            for column in ("machine", "status", "lacks"):
                table.add_column(column, overflow="fold")
            for row in records:
                out._row(table, row["host"], row["status"], lacking[row["host"]])
            out._console(sys.stdout).print(table)
    statuses = {machine.status for machine in machines}
    if "opens" not in statuses:
        raise click.exceptions.Exit(EXIT_OTHER_FORMAT if "other formats" in statuses else EXIT_MISSING)


def record(path: Path, found: Match) -> dict[str, Any]:
    """One plugin of a project as plain data (the JSON and YAML shape)."""
    reference = found.reference
    return {
        "project": str(path),
        "location": reference.location,
        "name": reference.name,
        "vendor": reference.vendor,
        "format": reference.format,
        "id": reference.id,
        "status": found.status.value,
        "installed": [
            {"id": p.id, "format": p.format, "name": p.name, "vendor": p.vendor, "version": p.version}
            for p in found.plugins
        ],
        "raw": reference.raw,
    }


def write_matches(results: list[tuple[Path, Match]], output: Output, stream: TextIO, *, several: bool) -> None:
    """Print the matches in the chosen form; text from the project is made safe for terminals."""
    records = [record(path, found) for path, found in results]
    if output is Output.JSON:
        stream.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    elif output is Output.YAML:
        out._yaml().dump(records, stream)
    elif output is Output.CSV:
        from pluginary.exporters.csv import csv_writer

        writer = csv_writer(stream, COLUMNS)
        writer.writeheader()
        writer.writerows({**row, **_flat(row)} for row in records)
    elif output is Output.PLAIN:
        for row in records:
            flat = _flat(row)
            out._plain(stream, row["project"], row["location"], row["name"], row["format"], row["id"], row["status"],
                       flat["installed"], flat["version"])  # fmt: skip
    else:
        from rich.table import Table

        table = Table()
        for column in (("project",) if several else ()) + ("track", "plugin", "format", "status", "installed as"):
            table.add_column(column, overflow="fold")
        for row in records:
            installed = ", ".join(f"{item['format']} {item['version']}".strip() for item in row["installed"])
            name = f"{row['name']} ({row['vendor']})" if row["vendor"] else row["name"]
            cells = ([row["project"]] if several else []) + [row["location"], name, row["format"], row["status"]]
            out._row(table, *cells, installed)
        out._console(stream).print(table)


def _flat(row: dict[str, Any]) -> dict[str, str]:
    """The list-valued fields as one cell each, for CSV and plain lines."""
    return {
        "installed": " ".join(item["id"] for item in row["installed"]),
        "version": " ".join(item["version"] for item in row["installed"] if item["version"]),
    }
