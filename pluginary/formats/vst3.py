"""The VST3 format: where bundles live, what identifies a version, and how to read one.

`scan` runs in a worker process (see `pluginary.scanning.pool`), where the
plugin's code may crash or hang. Readers, first that applies:

1. `moduleinfo.json`, when the bundle ships one and only metadata is asked for:
   nothing is loaded (reader "vst3-moduleinfo");
2. the plugin's own factory through the VST3 ABI (`pluginary.formats.vst3_native`):
   class ids (the stable id `vst3:<CID>`), buses, parameters with their flags
   (reader "vst3-native");
3. pedalboard, for a bundle whose component or controller refuses our host
   (reader "pedalboard"; parameters without its slow probe,
   `pluginary.formats.pedalboard_params`), keeping the class ids the factory gave.
   The switch is a warning the run shows.

Presets: the factory programs the native reader finds (IUnitInfo program lists) come back beside
the plugins when `settings.presets`; preset files (.vstpreset, `pluginary.formats.vst3_preset`)
are found under `preset_roots()` and read alone, without loading any plugin.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import Plugin, Preset, PresetSource
from pluginary.formats import pedalboard_params, preset_files, vst3_moduleinfo, vst3_native, vst3_preset
from pluginary.formats.vst3_moduleinfo import ModuleClass, ModuleInfo, ModuleInfoError

log = logging.getLogger(__name__)

#: Windows architecture (platform.machine()) → the bundle's binary folder.
_WINDOWS_ARCH = {"amd64": "x86_64-win", "x86_64": "x86_64-win", "arm64": "arm64-win", "x86": "x86-win"}


def standard_roots(system: str, env: Mapping[str, str], home: Path) -> list[Path]:
    """The VST3 SDK's standard folders for `system` (a `sys.platform` value)."""
    if system == "darwin":
        return [home / "Library/Audio/Plug-Ins/VST3", Path("/Library/Audio/Plug-Ins/VST3")]
    if system == "win32":
        roots = []
        if common := env.get("COMMONPROGRAMFILES"):
            roots.append(Path(common) / "VST3")
        if local := env.get("LOCALAPPDATA"):
            roots.append(Path(local) / "Programs" / "Common" / "VST3")
        return roots
    return [home / ".vst3", Path("/usr/lib/vst3"), Path("/usr/local/lib/vst3")]


def standard_preset_roots(system: str, env: Mapping[str, str], home: Path) -> list[Path]:
    """The VST3 SDK's preset folders for `system` ("Preset Locations": user, then shared factory).

    Each holds `<vendor>/<plugin>/` folders of .vstpreset files. On macOS they are shared with
    Audio Unit presets (discover walks a folder once and gives each file to its format).
    """
    if system == "darwin":
        return preset_files.macos_roots(home)
    if system == "win32":
        roots = [home / "Documents" / "VST3 Presets"]
        roots += [Path(env[key]) / "VST3 Presets" for key in ("APPDATA", "PROGRAMDATA") if env.get(key)]
        return roots
    return [home / ".vst3" / "presets", Path("/usr/share/vst3/presets"), Path("/usr/local/share/vst3/presets")]


def binary_folder(system: str | None = None, machine: str | None = None) -> str:
    """The folder under a bundle's Contents that holds the binary for a platform and architecture."""
    system = system or sys.platform
    machine = machine or platform.machine()
    if system == "darwin":
        return "MacOS"
    if system == "win32":
        return _WINDOWS_ARCH.get(machine.lower(), f"{machine.lower()}-win")
    return f"{machine}-linux"


def binary_files(bundle: Path, system: str | None = None, machine: str | None = None) -> list[Path]:
    """The loadable binaries of a bundle folder for a platform and architecture (default: this one)."""
    system = system or sys.platform
    folder = bundle / "Contents" / binary_folder(system, machine)
    if system == "darwin":
        return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if system == "win32":
        return sorted(folder.glob("*.vst3"))
    binary = folder / f"{bundle.stem}.so"
    return [binary] if binary.is_file() else []


class VST3Format:
    """Steinberg's VST3: `.vst3` bundles (folders; a single file on old Windows installs)."""

    name: ClassVar[str] = "vst3"
    bundle_suffixes: ClassVar[tuple[str, ...]] = (".vst3",)
    preset_suffixes: ClassVar[tuple[str, ...]] = (vst3_preset.SUFFIX,)

    def default_roots(self) -> list[Path]:
        return standard_roots(sys.platform, os.environ, Path.home())

    def preset_roots(self) -> list[Path]:
        return standard_preset_roots(sys.platform, os.environ, Path.home())

    def read_presets(self, path: Path) -> list[Preset]:
        return vst3_preset.read(path)

    def signature_files(self, bundle: Path) -> list[str | Path]:
        """Candidates: the binary for this platform and moduleinfo.json.

        Nothing is checked here: the caller stats each candidate once and skips
        the missing ones, and fingerprints a bundle with none of them (a
        single-file bundle, a broken one) by its own stat. Joined as strings:
        discover calls this for every bundle, and pathlib's joins were most of
        a no-change rescan.
        """
        contents = os.path.join(bundle, "Contents")
        moduleinfo = [os.path.join(contents, "Resources", "moduleinfo.json"), os.path.join(contents, "moduleinfo.json")]
        if sys.platform.startswith("linux"):
            return [os.path.join(contents, f"{platform.machine()}-linux", f"{bundle.stem}.so"), *moduleinfo]
        return [*binary_files(bundle), *moduleinfo]

    def scan(self, bundle: Path, settings: ScanSettings) -> Sequence[Plugin | Preset]:
        """Every plugin class of the bundle, described by the first reader that applies (see the module
        doc), and, when `settings.presets`, the factory programs the native reader found."""
        info = _moduleinfo(bundle)
        if settings.metadata_only and info is not None and info.classes:
            return [_from_moduleinfo(bundle, cls, info) for cls in info.classes]
        binaries = binary_files(bundle)
        if not binaries:
            raise FileNotFoundError(f"no binary for {binary_folder()} in {bundle / 'Contents'}")
        try:
            readings = vst3_native.read(bundle, binaries[0], settings)
        except vst3_native.Unsupported as refused:
            log.warning("%s; reading the bundle with pedalboard instead", refused)
            try:
                return _scan_with_pedalboard(bundle, settings, info, refused.ids)
            except Exception as also:
                raise refused from also
        found: list[Plugin | Preset] = [reading.plugin for reading in readings]
        if settings.presets:
            found += [preset for reading in readings for preset in factory_presets(reading)]
        return found


def factory_presets(reading: vst3_native.Reading) -> list[Preset]:
    """The plugin's factory programs: id `<plugin id>#<list id>/<index>`, the list's name as bank."""
    plugin = reading.plugin
    return [
        Preset(
            id=f"{plugin.id}#{programs.id}/{index}",
            name=name or f"Program {index + 1}",  # a plugin may leave a program unnamed
            plugin_id=plugin.id,
            format=VST3Format.name,
            source=PresetSource.FACTORY,
            bank=programs.name,
        )
        for programs in reading.program_lists
        for index, name in enumerate(programs.programs)
    ]


def _scan_with_pedalboard(
    bundle: Path, settings: ScanSettings, info: ModuleInfo | None, ids: Mapping[str, str]
) -> list[Plugin]:
    """Load every plugin class with pedalboard and describe it.

    In a shell, a class that fails to load is left out (and logged) so its
    siblings are still catalogued; if every class fails, the first error is
    raised.
    """
    from pedalboard import VST3Plugin

    names = VST3Plugin.get_plugin_names_for_file(str(bundle))
    plugins: list[Plugin] = []
    errors: list[Exception] = []
    for name in names:
        try:
            loaded = pedalboard_params.load(VST3Plugin, bundle, name, warmup=settings.warmup)
            plugins.append(_describe(loaded, bundle, name, info, settings, ids))
        except Exception as exc:
            if len(names) == 1:
                raise
            log.warning("%s: plugin %r of the shell fails: %s: %s", bundle, name, type(exc).__name__, exc)
            errors.append(exc)
    if errors and not plugins:
        raise errors[0]
    return plugins


def _moduleinfo(bundle: Path) -> ModuleInfo | None:
    try:
        return vst3_moduleinfo.read(bundle)
    except ModuleInfoError as exc:  # a bad metadata file must not hide a loadable plugin
        log.warning("ignoring %s", exc)
        return None


def _describe(
    loaded: Any, bundle: Path, name: str, info: ModuleInfo | None, settings: ScanSettings, ids: Mapping[str, str]
) -> Plugin:
    """A pedalboard-loaded plugin; its id from moduleinfo.json, else the class ids the native reader did read."""
    cls = info.find(name) if info else None
    # JUCE reports the class category ("Audio Module Class") when a class declares no sub-categories
    category = [c for c in str(loaded.category).split("|") if c and c != vst3_moduleinfo.AUDIO_MODULE_CLASS]
    return Plugin(
        id=f"vst3:{cls.cid}" if cls else ids.get(name, f"vst3:{bundle}#{name}"),
        format=VST3Format.name,
        name=str(loaded.name) or name,
        path=str(bundle),
        vendor=str(loaded.manufacturer_name) or (cls.vendor if cls else "") or (info.vendor if info else ""),
        version=str(loaded.version) or (cls.version if cls else ""),
        native_categories=cls.sub_categories if cls else tuple(category),
        is_instrument=bool(loaded.is_instrument),
        is_effect=bool(loaded.is_effect),
        latency=int(loaded.reported_latency_samples),
        sdk=cls.sdk_version if cls else "",
        parameters=pedalboard_params.read_parameters(loaded, deep=settings.deep),
        reader="pedalboard",
    )


def _from_moduleinfo(bundle: Path, cls: ModuleClass, info: ModuleInfo) -> Plugin:
    """What moduleinfo.json alone says about one class (a metadata-only scan)."""
    return Plugin(
        id=f"vst3:{cls.cid}",
        format=VST3Format.name,
        name=cls.name,
        path=str(bundle),
        vendor=cls.vendor or info.vendor,
        version=cls.version,
        native_categories=cls.sub_categories,
        is_instrument="Instrument" in cls.sub_categories,
        is_effect="Instrument" not in cls.sub_categories,
        sdk=cls.sdk_version,
        reader="vst3-moduleinfo",
    )
