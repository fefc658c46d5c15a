"""`pluginary categorize`: the user's category of a plugin, or of a whole product.

A user category wins over every categorizer: it is shown first, and the category filter, search,
stats and the DAW exports (REAPER's folders, Ardour's tags, Logic's categories) use it. It is kept
by plugin id or product key, so it survives rescans; a product's applies to each of its formats
that has none of its own, a format installed later too. Names are the taxonomy's (docs/taxonomy.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from pluginary.cli.catalog_commands import Command, _open, catalog_option, product_option
from pluginary.cli.render import safe


def register(group: click.Group) -> None:
    """Add `categorize` to the `pluginary` group."""
    group.add_command(categorize)


@click.command("categorize", cls=Command)
@click.argument("plugin")
@click.argument("category", required=False)
@click.option("--clear", is_flag=True, help="Remove the user category instead of setting one.")
@product_option
@catalog_option
def categorize(plugin: str, category: str | None, clear: bool, product: bool, catalog: Path | None) -> None:
    """Set PLUGIN's (an id, or its name) user CATEGORY, a name of the taxonomy ("Effect/Reverb", or
    just "reverb"); it survives rescans and is what list, search and exports show first.

    A name several formats of one product share (or --product) sets the product's category, which
    each format without one of its own shows. --clear removes it.
    """
    from pluginary.core.products import Product

    if clear == (category is not None):
        raise click.UsageError("give a CATEGORY or --clear, not both or neither")
    with _open(catalog) as cat:
        target = cat.product(plugin) if product else cat.target(plugin)
        if isinstance(target, Product):
            now = cat.categorize_product(plugin, category)
            line = f"{target.key} ({', '.join(target.formats)}): {now or '(no user category)'}"
        else:
            cat.categorize(target.id, category)
            shown = cat.get(target.id)
            categories = [c.name for c in shown.categories] if shown is not None else []
            line = f"{target.id}: {', '.join(categories) or '(no categories)'}"
    click.echo(safe(line))
