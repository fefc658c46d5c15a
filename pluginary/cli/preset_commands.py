"""`pluginary presets`: the catalogued presets, filtered, sorted and paged as `list` pages plugins.

Thin like the other catalogue commands: the options become one `Catalog.presets` call (whose
`PresetQuery` checks the sort, source, limit and offset, with `list`'s one-line errors) and the
renderer prints the result, each preset beside its plugin's name, or marked as not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pluginary.cli import render as out
from pluginary.cli.catalog_commands import Command, _open, catalog_option, output_option, page_options, plugin_names
from pluginary.cli.render import Output


@click.command("presets", cls=Command)
@click.argument("plugin", required=False)
@click.option("--format", "format_", metavar="FORMAT", help="vst3, clap, lv2 or au (any installed format).")
@click.option("--source", help="Where it was found: factory (the plugin's own), bundle or file.")
@click.option("--bank", help="A bank, program list or category, as the format names it.")
@click.option(
    "--orphaned/--installed",
    default=None,
    help="Only presets whose plugin is not installed, or only those whose plugin is.",
)
@click.option("--search", "text", metavar="TEXT", help="Name, bank, author or tags contain TEXT (any case).")
@click.option("--sort", default="name", show_default=True, help="name, plugin, bank, format or source.")
@page_options
@click.option("--all-hosts", is_flag=True, help="Every machine of a fleet catalogue.")
@output_option
@catalog_option
def presets(
    plugin: str | None,
    format_: str | None,
    source: str | None,
    bank: str | None,
    orphaned: bool | None,
    text: str | None,
    sort: str,
    reverse: bool,
    limit: int | None,
    offset: int,
    host: str | None,
    all_hosts: bool,
    output: str | None,
    catalog: Path | None,
) -> None:
    """List catalogued presets; with PLUGIN (an id or a name), only that plugin's.

    A preset whose plugin is not installed is listed as such, with its plugin's id
    (PLUGIN may be that id).
    """
    if format_ is not None:
        from pluginary.pipeline.loader import check_component

        check_component("format", format_.lower(), where="--format")
    chosen = out.choose(output)
    if limit is None and chosen is Output.TABLE:
        limit = out.TABLE_LIMIT
    filters: dict[str, Any] = {"format": format_, "source": source, "bank": bank, "text": text, "orphaned": orphaned}
    with _open(catalog) as cat:
        found = cat.presets(
            plugin, **filters, sort=sort, reverse=reverse, limit=limit, offset=offset, host=host, all_hosts=all_hosts
        )
        shown = out.write_presets(found, plugin_names(cat), chosen, sys.stdout)
        if chosen is Output.TABLE:
            total = cat.count_presets(plugin, **filters, host=host, all_hosts=all_hosts)
            click.echo(out.showing(offset, shown, total))
