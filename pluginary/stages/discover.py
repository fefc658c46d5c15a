"""Built-in discover stage: each named format's standard folders plus the user's, walked for bundles."""

from __future__ import annotations

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.discovery import find_bundles, plugin_file
from pluginary.core.hookspecs import hookimpl
from pluginary.core.models import PluginFile
from pluginary.core.options import DiscoverOptions


@hookimpl(trylast=True)
def pluginary_discover(context: RunContext, options: DiscoverOptions) -> list[PluginFile]:
    for extra in options.extra_paths:
        if not extra.exists():
            context.warn(f"{extra}: no such folder (discover.extra_paths); skipped")
    found: list[PluginFile] = []
    for name in options.formats:
        fmt = components.instantiate("format", name)
        standard = fmt.default_roots() if options.standard_paths else []
        roots = [root for root in (*standard, *options.extra_paths) if root.exists()]
        context.searched_roots.extend(roots)
        for bundle in find_bundles(roots, fmt.bundle_suffixes, context.warn):
            found.append(plugin_file(bundle, name, fmt.signature_files(bundle)))
    return found
