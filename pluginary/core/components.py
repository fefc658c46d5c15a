"""Named components: formats, backends, categorizers, exporters.

Finding what is installed reads package metadata only; a component is imported
when a pipeline names it, never before (so `pluginary --help` stays fast and a
broken third-party package only hurts the pipelines that use it).
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from pluginary.core.errors import ComponentError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUPS: dict[str, str] = {
    "format": "pluginary.formats",
    "backend": "pluginary.backends",
    "categorizer": "pluginary.categorizers",
    "exporter": "pluginary.exporters",
    "project": "pluginary.projects",
}


def available(kind: str) -> dict[str, EntryPoint]:
    """Installed components of one kind by name, from metadata (nothing imported)."""
    return dict(_installed().get(GROUPS[kind], {}))


@functools.cache
def _installed() -> dict[str, dict[str, EntryPoint]]:
    """Every group's entry points, from one reading of the installed packages' metadata: a run looks up
    four formats, a backend, categorizers and exporters, and each reading costs tens of milliseconds."""
    from importlib.metadata import distributions  # costs start-up (email.*): only when a name is looked up

    wanted = set(GROUPS.values())
    groups: dict[str, dict[str, EntryPoint]] = {}
    for dist in distributions():
        for ep in dist.entry_points:
            if ep.group in wanted:
                # A name found twice (a package on sys.path twice): the first wins, as importing does.
                groups.setdefault(ep.group, {}).setdefault(ep.name, ep)
    return groups


def is_known(kind: str, name: str) -> bool:
    """True for an installed name or any `module:attr` reference (checked when loaded)."""
    return ":" in name or name in available(kind)


def load(kind: str, name: str) -> Any:
    """Import and return the component: an entry-point name or `package.module:attr`."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise ComponentError(
                f"cannot load {kind} {name!r}: {exc}",
                fix="check the module path and that its package is installed",
            ) from exc
        return obj
    found = available(kind)
    if name not in found:
        raise ComponentError(
            f"unknown {kind} {name!r}",
            fix=f"installed: {', '.join(sorted(found)) or 'none'}",
        )
    try:
        return found[name].load()
    except Exception as exc:  # a broken third-party package: name it, don't crash
        raise ComponentError(
            f"the {kind} {name!r} ({found[name].value}) failed to import: {exc}",
            fix="reinstall or disable that package (PLUGINARY_DISABLE_PLUGINS)",
        ) from exc


def instantiate(kind: str, name: str) -> Any:
    """Load a component and, when it is a class, make an instance with no arguments."""
    obj = load(kind, name)
    return obj() if isinstance(obj, type) else obj
