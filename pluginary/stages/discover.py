"""Built-in discover stage: the named formats' standard folders plus the user's, walked once for bundles."""

from __future__ import annotations

from pathlib import Path

from pluginary.core import components
from pluginary.core.context import RunContext
from pluginary.core.hookspecs import hookimpl
from pluginary.core.interfaces import PluginFormat, PresetFiles
from pluginary.core.models import PluginFile
from pluginary.core.options import DiscoverOptions
from pluginary.scanning.discovery import find_bundle_paths, plugin_file, preset_file


@hookimpl(trylast=True)
def pluginary_discover(context: RunContext, options: DiscoverOptions) -> list[PluginFile]:
    for extra in options.extra_paths:
        if not extra.exists():
            context.warn(f"{extra}: no such folder (discover.extra_paths); skipped")
            context.unsearched.append(extra)
    formats: dict[str, PluginFormat] = {name: components.instantiate("format", name) for name in options.formats}
    context.presets = options.presets
    preset_files = {name: fmt for name, fmt in formats.items() if options.presets and isinstance(fmt, PresetFiles)}
    roots: list[Path] = []
    for name, fmt in formats.items():
        standard = fmt.default_roots() if options.standard_paths else []
        if name in preset_files and options.standard_paths:
            standard = [*standard, *preset_files[name].preset_roots()]
        for root in (*standard, *options.extra_paths):
            if root not in roots and root.exists():
                roots.append(root)
    context.searched_roots.extend(roots)
    context.searched_formats.update(formats)
    # One walk for every format: a bundle (or preset file) belongs to the format its name ends
    # with, and no walk descends into another format's bundles. Each suffix says whether it
    # names a preset file, which is its own signature file.
    owner = {suffix.lower(): (name, False) for name, fmt in formats.items() for suffix in fmt.bundle_suffixes}
    owner |= {suffix.lower(): (name, True) for name, fmt in preset_files.items() for suffix in fmt.preset_suffixes}
    found: list[PluginFile] = []

    def skip(path: Path, message: str) -> None:
        context.warn(message)
        context.unsearched.append(path)

    for path in find_bundle_paths(roots, tuple(owner), skip):
        name, is_preset = _owner(path, owner)
        if is_preset:  # no Path: a preset folder holds thousands of these
            found.append(preset_file(path, name))
        else:
            bundle = Path(path)
            found.append(plugin_file(bundle, name, formats[name].signature_files(bundle)))
    return found


def _owner(path: str, owner: dict[str, tuple[str, bool]]) -> tuple[str, bool]:
    """The format and kind of the suffix `path` ends with: one lookup on its last extension (every
    built-in suffix is one), else the first suffix it ends with."""
    return owner.get(path[path.rfind(".") :].lower()) or next(
        kind for suffix, kind in owner.items() if path.lower().endswith(suffix)
    )
