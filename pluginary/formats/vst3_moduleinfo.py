"""A VST3 bundle's `moduleinfo.json`: identity without loading the binary.

VST3 SDK 3.7.5+ bundles may carry `Contents/Resources/moduleinfo.json` (some
older tools wrote `Contents/moduleinfo.json`). It is JSON5 (comments, trailing
commas), so it is parsed with `json5`. Only "Audio Module Class" entries are
plugins; the others (controllers, plug-in compatibility classes) are not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

LOCATIONS = (Path("Contents/Resources/moduleinfo.json"), Path("Contents/moduleinfo.json"))
AUDIO_MODULE_CLASS = "Audio Module Class"


class ModuleInfoError(ValueError):
    """moduleinfo.json exists but is not what the VST3 SDK describes."""


@attrs.frozen
class ModuleClass:
    """One plugin class as moduleinfo.json lists it."""

    cid: str  # 32 upper-case hex digits
    name: str
    vendor: str = ""
    version: str = ""
    sdk_version: str = ""
    sub_categories: tuple[str, ...] = ()


@attrs.frozen
class ModuleInfo:
    """What the bundle says about itself; `classes` holds only audio module classes."""

    name: str = ""
    version: str = ""
    vendor: str = ""
    classes: tuple[ModuleClass, ...] = ()

    def find(self, name: str) -> ModuleClass | None:
        return next((cls for cls in self.classes if cls.name == name), None)


def find_file(bundle: Path) -> Path | None:
    """The bundle's moduleinfo.json, if it has one."""
    return next((bundle / where for where in LOCATIONS if (bundle / where).is_file()), None)


def read(bundle: Path) -> ModuleInfo | None:
    """Parse the bundle's moduleinfo.json; None without one, ModuleInfoError if it is malformed."""
    path = find_file(bundle)
    if path is None:
        return None
    import json5

    try:
        data = json5.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModuleInfoError(f"{path}: not valid JSON5: {exc}") from exc
    if not isinstance(data, dict):
        raise ModuleInfoError(f"{path}: the top level is not an object")
    factory = data.get("Factory Info") or {}
    return ModuleInfo(
        name=str(data.get("Name", "")),
        version=str(data.get("Version", "")),
        vendor=str(factory.get("Vendor", "")) if isinstance(factory, dict) else "",
        classes=tuple(
            _module_class(entry, path)
            for entry in data.get("Classes") or ()
            if isinstance(entry, dict) and entry.get("Category") == AUDIO_MODULE_CLASS
        ),
    )


def _module_class(entry: dict[str, Any], path: Path) -> ModuleClass:
    cid = str(entry.get("CID", "")).replace("-", "").upper()
    if len(cid) != 32 or any(c not in "0123456789ABCDEF" for c in cid):
        raise ModuleInfoError(f"{path}: class {entry.get('Name')!r} has no valid CID ({entry.get('CID')!r})")
    sub = entry.get("Sub Categories") or ()
    sub_categories = sub.split("|") if isinstance(sub, str) else [str(s) for s in sub]
    return ModuleClass(
        cid=cid,
        name=str(entry.get("Name", "")),
        vendor=str(entry.get("Vendor", "")),
        version=str(entry.get("Version", "")),
        sdk_version=str(entry.get("SDKVersion", "")),
        sub_categories=tuple(s for s in sub_categories if s),
    )
