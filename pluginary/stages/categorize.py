"""Built-in categorize stage: the categorizers the pipeline names, merged in its order."""

from __future__ import annotations

import functools

import attrs

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.hookspecs import hookimpl
from pluginary.core.interfaces import Categorizer
from pluginary.core.models import Plugin
from pluginary.core.options import CategorizeOptions


@functools.cache
def _categorizer(name: str) -> Categorizer:
    return components.instantiate("categorizer", name)


@hookimpl(trylast=True)
def pluginary_categorize(context: RunContext, options: CategorizeOptions, plugins: list[Plugin]) -> list[Plugin]:
    from pluginary.core.taxonomy import merge_categories

    categorizers = [_categorizer(name) for name in options.using]
    return [
        attrs.evolve(
            plugin,
            categories=merge_categories(
                [c for c in plugin.categories if c.source == "user"],
                [categorizer.categorize(plugin) for categorizer in categorizers],
            ),
        )
        for plugin in plugins
    ]
