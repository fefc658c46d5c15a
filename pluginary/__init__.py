"""Pluginary: find, safely scan, catalogue and export every audio plugin on a machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pluginary.catalog import Catalog
    from pluginary.core.hookspecs import hookimpl

__all__ = ["Catalog", "__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # Imported on first use so `import pluginary` (and the CLI's start-up) stays light.
    if name == "Catalog":
        from pluginary.catalog import Catalog

        return Catalog
    if name == "hookimpl":
        from pluginary.core.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(name)
