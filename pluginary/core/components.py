"""Named components: formats, backends, categorizers, exporters.

Finding what is installed reads package metadata only; a component is imported
when a pipeline names it, never before (so `pluginary --help` stays fast and a
broken third-party package only hurts the pipelines that use it).
"""

from __future__ import annotations

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
    from importlib.metadata import entry_points  # costs start-up (email.*): only when a name is looked up

    return {ep.name: ep for ep in entry_points(group=GROUPS[kind])}


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
