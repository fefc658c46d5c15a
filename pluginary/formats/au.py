"""Audio Units (macOS): identity from each `.component`'s Info.plist, parameters by loading.

A component bundle lists its Audio Units in `Contents/Info.plist` under
`AudioComponents`: one dict per unit with its four-character type, subtype and
manufacturer codes, a "Vendor: Name" name and a packed version. That is enough for
a catalogue entry and is read with plistlib on any platform. Parameters need the
unit loaded, which only macOS can do (with pedalboard).

Preset files (.aupreset, `pluginary.formats.au_preset`) live in the Audio/Presets folders of
macOS and are read as property lists, on any platform, without loading a unit.
"""

from __future__ import annotations

import logging
import plistlib
import sys
from pathlib import Path
from typing import Any, ClassVar
from xml.parsers.expat import ExpatError

import attrs

from pluginary.core.errors import PluginaryError
from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import Plugin, Preset
from pluginary.formats import au_preset, pedalboard_params, preset_files

log = logging.getLogger(__name__)

#: Every Audio Unit type code starts with "au" (AUComponent.h: aufx, aumu, aumf, augn,
#: aumi, auou, aufc, aupn, aumx, auol, the inter-app aurx/aurg/auri/aurm, …). Other
#: components in the same folders (audio codecs "adec"/"aenc", …) are no plugins.
AU_TYPE_PREFIX = "au"
INSTRUMENT_TYPES = frozenset({"aumu"})
EFFECT_TYPES = frozenset({"aufx", "aumf"})


def standard_preset_roots(system: str, home: Path) -> list[Path]:
    """Where macOS hosts keep .aupreset files (user, local, network); none elsewhere."""
    return preset_files.macos_roots(home) if system == "darwin" else []


class AUFormat:
    """The Audio Unit plugin format (macOS only; Info.plist reading works everywhere)."""

    name: ClassVar[str] = "au"
    bundle_suffixes: ClassVar[tuple[str, ...]] = (".component",)
    preset_suffixes: ClassVar[tuple[str, ...]] = (au_preset.SUFFIX,)

    def preset_roots(self) -> list[Path]:
        return standard_preset_roots(sys.platform, Path.home())

    def read_presets(self, path: Path) -> list[Preset]:
        return au_preset.read(path)

    def default_roots(self) -> list[Path]:
        """The component folders of macOS; none elsewhere, where no host can load an AU."""
        if sys.platform != "darwin":
            return []
        return [
            Path.home() / "Library/Audio/Plug-Ins/Components",
            Path("/Library/Audio/Plug-Ins/Components"),
            Path("/System/Library/Components"),
        ]

    def signature_files(self, bundle: Path) -> list[Path]:
        """Info.plist and the executables in Contents/MacOS."""
        contents = bundle / "Contents"
        files = [contents / "Info.plist"]
        macos = contents / "MacOS"
        if macos.is_dir():
            files += sorted(p for p in macos.iterdir() if p.is_file())
        return [p for p in files if p.is_file()]

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        """One Plugin per Audio Unit the bundle's Info.plist declares.

        On macOS each one is also loaded for its parameters; elsewhere the plist is
        all there is. A bundle without `AudioComponents` (a legacy Component Manager
        unit, or a component that is no Audio Unit) gives [].
        """
        plugins = read_components(bundle)
        if sys.platform == "darwin":
            # pedalboard picks a unit of a multi-unit bundle by the name after "Vendor: ";
            # a lone unit is loaded without one, in case its name came from the bundle.
            several = len(plugins) > 1
            plugins = [_with_loaded_details(plugin, bundle, settings, several) for plugin in plugins]
        return plugins


def read_components(bundle: Path) -> list[Plugin]:
    """The Audio Units declared in the bundle's Info.plist (XML or binary)."""
    plist_path = bundle / "Contents" / "Info.plist"
    try:
        with plist_path.open("rb") as stream:
            info = plistlib.load(stream)
    except FileNotFoundError as exc:
        raise PluginaryError(
            "no Contents/Info.plist", where=str(bundle), fix="the bundle is damaged: reinstall the plugin"
        ) from exc
    except (ValueError, ExpatError) as exc:  # plistlib.InvalidFileException is a ValueError
        raise PluginaryError(
            f"unreadable Info.plist: {exc}", where=str(plist_path), fix="reinstall the plugin"
        ) from exc
    if not isinstance(info, dict):
        raise PluginaryError("Info.plist is not a dictionary", where=str(plist_path), fix="reinstall the plugin")
    plugins = []
    for entry in info.get("AudioComponents") or []:
        plugin = _component(entry, info, bundle)
        if plugin is not None:
            plugins.append(plugin)
    return plugins


def _component(entry: Any, info: dict[str, Any], bundle: Path) -> Plugin | None:
    entry = entry if isinstance(entry, dict) else {}
    codes = [entry.get(key) for key in ("type", "subtype", "manufacturer")]
    if not all(isinstance(code, str) and len(code) == 4 for code in codes):
        log.warning("%s: skipping an AudioComponents entry without type/subtype/manufacturer", bundle)
        return None
    au_type, subtype, manufacturer = (str(code) for code in codes)
    if not au_type.startswith(AU_TYPE_PREFIX):
        return None
    # "Vendor: Name" by convention; a name without a colon has no vendor in it.
    before, colon, after = str(entry.get("name", "")).partition(":")
    vendor, name = (before, after) if colon else ("", before)
    tags = entry.get("tags")
    tags = tuple(tag for tag in tags if isinstance(tag, str)) if isinstance(tags, list) else ()
    return Plugin(
        id=f"au:{au_type}-{subtype}-{manufacturer}",
        format="au",
        name=name.strip() or str(info.get("CFBundleName") or bundle.stem),
        path=str(bundle),
        vendor=vendor.strip(),
        version=_version(entry.get("version"), info),
        # The type code first; the component's own tags ("Reverb", "Synthesizer")
        # are the only finer classification an Audio Unit gives.
        native_categories=(au_type, *tags),
        is_instrument=au_type in INSTRUMENT_TYPES,
        is_effect=au_type in EFFECT_TYPES,
    )


def _version(packed: Any, info: dict[str, Any]) -> str:
    """The component's version, packed as 0xMMMMmmbb, or else the bundle's."""
    if isinstance(packed, int) and not isinstance(packed, bool) and packed > 0:
        return f"{packed >> 16}.{(packed >> 8) & 0xFF}.{packed & 0xFF}"
    short = info.get("CFBundleShortVersionString")
    return short if isinstance(short, str) else ""


def _with_loaded_details(plugin: Plugin, bundle: Path, settings: ScanSettings, by_name: bool) -> Plugin:
    """Parameters and latency from the loaded unit, read as cheaply as VST3's (`pedalboard_params`).

    Only exercised on macOS (pedalboard has no AudioUnitPlugin elsewhere), by the
    macOS-only test.
    """
    import pedalboard

    unit = pedalboard_params.load(
        pedalboard.AudioUnitPlugin, bundle, plugin.name if by_name else None, warmup=settings.warmup
    )
    parameters = pedalboard_params.read_parameters(unit, deep=settings.deep)
    return attrs.evolve(plugin, parameters=parameters, latency=int(unit.reported_latency_samples))
