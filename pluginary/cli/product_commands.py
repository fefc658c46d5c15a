"""`pluginary group` and `ungroup`: the user's word on which plugins are one product.

The rule (`pluginary.core.products`) groups by vendor and normalised name; these override it by
plugin id, so the override survives rescans. Listing, `info` and tagging by product are options of
the catalogue commands (`list --products`, `search --products`, `tag --product`).
"""

from __future__ import annotations

from pathlib import Path

import click

from pluginary.cli.catalog_commands import Command, _open, catalog_option
from pluginary.cli.render import safe


def register(group: click.Group) -> None:
    """Add the product commands to the `pluginary` group."""
    for command in (group_command, ungroup_command):
        group.add_command(command)


@click.command("group", cls=Command)
@click.argument("plugins", nargs=-1, required=True)
@click.option("--as", "as_", metavar="NAME", help="The product's name. [default: the first PLUGIN's product]")
@catalog_option
def group_command(plugins: tuple[str, ...], as_: str | None, catalog: Path | None) -> None:
    """Make PLUGINS (ids, names, or products' names) one product; kept across rescans.

    `pluginary group "Pro-Q 3 (VST3)" "FabFilter Pro-Q3"` puts two plugins the rule keeps apart
    together; `--as NAME` names the product.
    """
    with _open(catalog) as cat:
        key = cat.group(plugins, as_)
        product = cat.product(key)
    click.echo(safe(f"{product.key}: {', '.join(plugin.id for plugin in product.plugins)}"))


@click.command("ungroup", cls=Command)
@click.argument("plugins", nargs=-1, required=True)
@catalog_option
def ungroup_command(plugins: tuple[str, ...], catalog: Path | None) -> None:
    """Put PLUGINS (ids, names, or products' names) back in the product the rule gives them."""
    with _open(catalog) as cat:
        ids = cat.ungroup(plugins)
        keys = cat.backend.product_keys(ids)
    for plugin_id in ids:
        click.echo(safe(f"{plugin_id}: {keys.get(plugin_id, '')}"))
