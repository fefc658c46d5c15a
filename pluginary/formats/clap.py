"""The CLAP format: where `.clap` files live, what identifies a version, and how to read one.

pedalboard cannot host CLAP, so Pluginary reads it through CLAP's own C ABI
(`pluginary.formats.clap_abi`, ctypes) as a host's scanner does. `scan` runs in
a worker process (see `pluginary.scanning.pool`): the plugin's code runs there
and may crash or hang, which the pool records.

- Metadata only (`ScanSettings.metadata_only`): `clap_entry.init(path)`, the
  plugin factory, every descriptor (id → `clap:<id>`, name, vendor, urls,
  version, description, features), `deinit`. The scanner instantiates nothing
  (though a plugin's own `init` may: DPF's builds a dummy instance there).
- Full: each plugin is also created with a minimal host (it offers no
  extension; its requests are no-ops), `init`ed, asked for `clap.params`,
  `clap.audio-ports` and `clap.note-ports`, and destroyed.
- Presets (`ScanSettings.presets`, at either depth: providers are not plugin
  instances): the module's preset-discovery factory, through
  `pluginary.formats.clap_presets`, while the module is still initialised; the
  FILE locations walked are remembered so that `signature_files` can see a
  preset file there change.

Latency stays unknown (None): `clap.latency` may only be asked while the plugin
is active, and activating (buffers, threads, plugins of DPF 1.6's age crash
there without the thread-check, latency and params host extensions) is more
than a scan should risk. A parameter's `module` path and the manual and
support urls have no place in the model; `url` falls back to them.

Text from a plugin is hostile: every string is read with a bound (`clap_abi.read_text`)
and decoded with replacement; every count is capped.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import sys
from collections.abc import Mapping
from ctypes import POINTER, byref
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import attrs

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import IO, Parameter, ParameterFlag, ParameterKind, Plugin, Preset
from pluginary.formats import clap_abi as abi
from pluginary.formats import clap_presets

log = logging.getLogger(__name__)

# Caps on what a plugin claims, far above any real plugin (large synths have a few thousand
# parameters), low enough that a garbage count cannot keep a worker busy past its deadline.
MAX_PLUGINS = 4096
MAX_FEATURES = 64
MAX_PARAMETERS = 16384
MAX_PORTS = 256
MAX_CHANNELS = 1024
#: An enum parameter with at most this many values gets a text per value.
MAX_CHOICES = 128
#: Bytes read from a descriptor string; a description may be a paragraph.
ID_LIMIT = 1024
TEXT_LIMIT = 1024
DESCRIPTION_LIMIT = 8192
#: The buffer handed to `value_to_text` (CLAP_NAME_SIZE, what hosts commonly pass).
VALUE_TEXT_SIZE = abi.CLAP_NAME_SIZE

#: Features that make a plugin an effect in the catalogue's sense (`instrument` wins).
EFFECT_FEATURES = frozenset({"audio-effect", "note-effect", "note-detector", "analyzer"})


class CLAPError(Exception):
    """A CLAP module or plugin that cannot be read; the message says what it did."""


def standard_roots(system: str, env: Mapping[str, str], home: Path) -> list[Path]:
    """The folders `clap/entry.h` names for `system` (a `sys.platform` value), then `CLAP_PATH`.

    `entry.h` asks every host to search `CLAP_PATH` (the OS's path-list syntax)
    on every platform; `/usr/local/lib/clap` is where `make install` puts them on Linux.
    """
    if system == "darwin":
        roots = [home / "Library/Audio/Plug-Ins/CLAP", Path("/Library/Audio/Plug-Ins/CLAP")]
    elif system == "win32":
        roots = []
        if common := env.get("COMMONPROGRAMFILES"):
            roots.append(Path(common) / "CLAP")
        if local := env.get("LOCALAPPDATA"):
            roots.append(Path(local) / "Programs" / "Common" / "CLAP")
    else:
        roots = [home / ".clap", Path("/usr/lib/clap"), Path("/usr/local/lib/clap")]
    separator = ";" if system == "win32" else ":"
    roots += [Path(part) for part in env.get("CLAP_PATH", "").split(separator) if part]
    return roots


def binary_path(bundle: Path, system: str | None = None) -> Path:
    """The loadable file: the `.clap` itself, or on macOS the bundle's executable."""
    if (system or sys.platform) != "darwin":
        return bundle
    folder = bundle / "Contents" / "MacOS"
    named = folder / bundle.stem
    if named.is_file() or not folder.is_dir():
        return named
    others = sorted(p for p in folder.iterdir() if p.is_file())
    return others[0] if others else named


class CLAPFormat:
    """CLAP: `.clap` files (Linux, Windows) or bundles (macOS) exporting `clap_entry`."""

    name: ClassVar[str] = "clap"
    bundle_suffixes: ClassVar[tuple[str, ...]] = (".clap",)

    def default_roots(self) -> list[Path]:
        return standard_roots(sys.platform, os.environ, Path.home())

    def signature_files(self, bundle: Path) -> list[Path]:
        """The binary (on Linux and Windows the `.clap` file itself) and a macOS bundle's Info.plist,
        then, once they changed since its last scan, the preset files in the FILE locations that
        scan walked (`clap_presets.location_signature`): such a change rescans the module."""
        own = [binary_path(bundle), bundle / "Contents" / "Info.plist"] if sys.platform == "darwin" else [bundle]
        return [*own, *clap_presets.location_signature(bundle)]

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin | Preset]:
        """Every plugin the module's factory declares (one record per descriptor), then its presets.

        Full depth: a plugin that cannot be created is left out (and logged) so
        its siblings are still catalogued; if every one fails, the first error
        is raised. Presets that cannot be read are logged, never raised.
        """
        entry = _load_entry(binary_path(bundle))
        if not entry.clap_version.compatible():
            raise CLAPError(f"clap_entry declares CLAP {entry.clap_version}; only CLAP 1.x is a stable ABI")
        if not entry.init:
            raise CLAPError("clap_entry.init is NULL")
        if not entry.init(os.fsencode(bundle)):
            raise CLAPError("clap_entry.init returned false")
        try:  # init succeeded: deinit is owed whatever happens next
            factory = _plugin_factory(entry)
            count = _count(factory)
            found = [_descriptor(factory, index, str(entry.clap_version)) for index in range(count)]
            described = _unique([item for item in found if item is not None])
            if skipped := found.count(None):
                # One line, not one per descriptor: a lying count can ask for thousands.
                log.warning("%s: %d of %d descriptors skipped (NULL, without id, or CLAP 0.x)", bundle, skipped, count)
            if settings.metadata_only:
                plugins = [item.plugin(bundle) for item in described]
            else:
                plugins = _instantiate_all(factory, described, bundle)
            return [*plugins, *(clap_presets.read_presets(entry, bundle) if settings.presets else [])]
        finally:
            if entry.deinit:
                entry.deinit()


# ---------------------------------------------------------------- module and factory


def _load_entry(binary: Path) -> abi.ClapPluginEntry:
    # RTLD_NOW: a library with a missing symbol fails here with dlerror's message, not later mid-call.
    mode = getattr(os, "RTLD_NOW", 0) | getattr(os, "RTLD_LOCAL", 0)
    try:
        library = ctypes.CDLL(os.fspath(binary), mode=mode)
    except OSError as exc:
        raise CLAPError(f"cannot load {binary}: {exc}") from exc
    try:
        return abi.ClapPluginEntry.in_dll(library, "clap_entry")
    except ValueError as exc:
        raise CLAPError(f"{binary} exports no clap_entry: not a CLAP plugin") from exc


def _plugin_factory(entry: abi.ClapPluginEntry) -> Any:
    """The `clap.plugin-factory` as a pointer to its struct."""
    address = entry.get_factory(abi.PLUGIN_FACTORY_ID) if entry.get_factory else None
    if not address:
        raise CLAPError("the module offers no clap.plugin-factory")
    factory = ctypes.cast(address, POINTER(abi.ClapPluginFactory))
    if not factory.contents.get_plugin_count or not factory.contents.get_plugin_descriptor:
        raise CLAPError("the plugin factory's functions are NULL")
    return factory


def _count(factory: Any) -> int:
    count = int(factory.contents.get_plugin_count(factory))
    if count > MAX_PLUGINS:
        log.warning("the factory claims %d plugins; reading the first %d", count, MAX_PLUGINS)
    return min(count, MAX_PLUGINS)


@attrs.frozen
class _Described:
    """One descriptor as read: the raw id (what `create_plugin` expects back) and its record."""

    raw_id: bytes
    record: Plugin

    @property
    def clap_id(self) -> str:
        return self.record.id.removeprefix("clap:")

    def plugin(self, bundle: Path) -> Plugin:
        return attrs.evolve(self.record, path=str(bundle))


def _descriptor(factory: Any, index: int, sdk_version: str) -> _Described | None:
    address = factory.contents.get_plugin_descriptor(factory, index)
    if not address:
        log.debug("plugin descriptor %d is NULL", index)
        return None
    desc = abi.ClapPluginDescriptor.from_address(address)
    if not desc.clap_version.compatible():
        log.debug("plugin descriptor %d declares CLAP %s", index, desc.clap_version)
        return None
    raw_id = abi.read_bytes(desc.id, ID_LIMIT)
    plugin_id = abi.decode(raw_id)
    if not plugin_id:
        log.debug("plugin descriptor %d has no id", index)
        return None
    features = tuple(abi.read_string_array(desc.features, MAX_FEATURES, TEXT_LIMIT))
    lowered = {feature.lower() for feature in features}
    instrument = "instrument" in lowered
    return _Described(
        raw_id=raw_id,
        record=Plugin(
            id=f"clap:{plugin_id}",
            format=CLAPFormat.name,
            name=abi.read_text(desc.name, TEXT_LIMIT) or plugin_id,
            path="",
            vendor=abi.read_text(desc.vendor, TEXT_LIMIT),
            version=abi.read_text(desc.version, TEXT_LIMIT),
            native_categories=features,
            is_instrument=instrument,
            is_effect=not instrument and bool(lowered & EFFECT_FEATURES),
            sdk=f"CLAP {sdk_version}",
            reader="clap-native",
            url=(
                abi.read_text(desc.url, TEXT_LIMIT)
                or abi.read_text(desc.manual_url, TEXT_LIMIT)
                or abi.read_text(desc.support_url, TEXT_LIMIT)
            ),
            description=abi.read_text(desc.description, DESCRIPTION_LIMIT),
        ),
    )


def _unique(described: list[_Described]) -> list[_Described]:
    """One record per id: a factory that lists an id twice describes one plugin."""
    seen: dict[str, _Described] = {}
    for item in described:
        if item.record.id in seen:
            log.warning("the factory lists %s twice; keeping the first", item.record.id)
            continue
        seen[item.record.id] = item
    return list(seen.values())


# ---------------------------------------------------------------- instances


def _instantiate_all(factory: Any, described: list[_Described], bundle: Path) -> list[Plugin]:
    plugins: list[Plugin] = []
    errors: list[Exception] = []
    for item in described:
        try:
            plugins.append(_instantiate(factory, item, bundle))
        except CLAPError as exc:
            if len(described) == 1:
                raise
            log.warning("%s: %s fails: %s", bundle, item.record.id, exc)
            errors.append(exc)
    if errors and not plugins:
        raise errors[0]
    return plugins


def _instantiate(factory: Any, item: _Described, bundle: Path) -> Plugin:
    if not factory.contents.create_plugin:
        raise CLAPError("the plugin factory's create_plugin is NULL")
    address = factory.contents.create_plugin(factory, byref(_host()), item.raw_id)
    if not address:
        raise CLAPError(f"create_plugin({item.clap_id!r}) returned NULL")
    plugin = ctypes.cast(address, POINTER(abi.ClapPlugin))
    calls = plugin.contents
    try:
        if not calls.init or not calls.init(plugin):
            raise CLAPError(f"{item.clap_id!r}: plugin init returned false")
        controls, outputs = _parameters(plugin)
        log.debug("%s: latency not read: clap.latency answers only while active", item.record.id)
        return attrs.evolve(item.plugin(bundle), parameters=tuple(controls), outputs=tuple(outputs), io=_io(plugin))
    finally:
        # Owed after create_plugin, even when init failed (`plugin.h`).
        if calls.destroy:
            calls.destroy(plugin)


def _extension(plugin: Any, extension_id: bytes, struct: type[ctypes.Structure]) -> Any:
    """The plugin's extension struct, or None when it does not offer it."""
    get = plugin.contents.get_extension
    address = get(plugin, extension_id) if get else None
    return struct.from_address(address) if address else None


_HOST: abi.ClapHost | None = None


def _host() -> abi.ClapHost:
    """The one host every plugin of this worker is created with; it lives as long as the process.

    It offers no extension and ignores every request. It is never freed: a
    plugin may keep the pointer (and call it from its own threads) after
    `destroy`, and a freed ctypes callback would crash the worker.
    """
    global _HOST
    if _HOST is None:
        try:
            version = metadata.version("pluginary")
        except metadata.PackageNotFoundError:
            version = "0"
        _HOST = abi.ClapHost(
            clap_version=abi.ClapVersion(*abi.HOST_VERSION),
            host_data=None,
            name=b"Pluginary",
            vendor=b"Pluginary",
            url=b"",
            version=version.encode(),
            get_extension=abi.HostGetExtension(lambda host, extension_id: None),
            request_restart=abi.HostRequest(lambda host: None),
            request_process=abi.HostRequest(lambda host: None),
            request_callback=abi.HostRequest(lambda host: None),
        )
    return _HOST


# ---------------------------------------------------------------- parameters


def _parameters(plugin: Any) -> tuple[list[Parameter], list[Parameter]]:
    """The user parameters and the read-only ones (meters); hidden ones are not parameters."""
    params = _extension(plugin, abi.EXT_PARAMS, abi.ClapPluginParams)
    if params is None or not params.count or not params.get_info:
        return [], []
    count = int(params.count(plugin))
    if count > MAX_PARAMETERS:
        log.warning("the plugin claims %d parameters; reading the first %d", count, MAX_PARAMETERS)
    controls: list[Parameter] = []
    outputs: list[Parameter] = []
    info = abi.ClapParamInfo()
    for index in range(min(count, MAX_PARAMETERS)):
        ctypes.memset(byref(info), 0, ctypes.sizeof(info))  # a partial answer must not keep the last one's text
        if not params.get_info(plugin, index, byref(info)):
            log.debug("get_info(%d) returned false; skipped", index)
            continue
        if info.flags & abi.PARAM_IS_HIDDEN:
            continue
        parameter = _parameter(plugin, params, index, info)
        (outputs if info.flags & abi.PARAM_IS_READONLY else controls).append(parameter)
    return controls, outputs


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _parameter(plugin: Any, params: Any, index: int, info: abi.ClapParamInfo) -> Parameter:
    flags = int(info.flags)
    minimum, maximum, default = _finite(info.min_value), _finite(info.max_value), _finite(info.default_value)

    def text(value: float | None) -> str:
        return "" if value is None else _value_text(plugin, params, info.id, value)

    minimum_text, maximum_text = text(minimum), text(maximum)
    kind = ParameterKind.FLOAT
    steps: int | None = None
    choices: tuple[str, ...] = ()
    if flags & (abi.PARAM_IS_STEPPED | abi.PARAM_IS_ENUM) and minimum is not None and maximum is not None:
        steps = max(round(maximum - minimum), 0)
        # CLAP before 1.2 had no enum flag: a stepped parameter whose ends are words, not
        # numbers (DPF's Nekobi: "Square", "Triangle"), is a choice as well.
        labelled = _is_label(minimum_text) or _is_label(maximum_text)
        if (flags & abi.PARAM_IS_ENUM or labelled) and steps < MAX_CHOICES:
            kind = ParameterKind.CHOICE
            choices = tuple(text(minimum + step) or f"{minimum + step:g}" for step in range(steps + 1))
        elif (minimum, maximum) == (0.0, 1.0):
            kind = ParameterKind.BOOL
        else:
            kind = ParameterKind.INT
    marks = [ParameterFlag.BYPASS] if flags & abi.PARAM_IS_BYPASS else []
    marks += [ParameterFlag.PERIODIC] if flags & abi.PARAM_IS_PERIODIC else []
    return Parameter(
        index=index,
        id=str(info.id),
        name=abi.read_field(info.name),
        kind=kind,
        default=default,
        minimum=minimum,
        maximum=maximum,
        default_text=text(default),
        minimum_text=minimum_text,
        maximum_text=maximum_text,
        num_steps=steps,
        choices=choices,
        automatable=bool(flags & abi.PARAM_IS_AUTOMATABLE),
        flags=tuple(marks),
    )


def _is_label(text: str) -> bool:
    """True for a value text that is a word ("Square"), not a number with units ("-12.0 dB")."""
    head = text.strip()[:2].lstrip("+-\u2212")
    return bool(head) and not head[0].isdigit() and not head.startswith(".")


def _value_text(plugin: Any, params: Any, param_id: int, value: float) -> str:
    if not params.value_to_text:
        return ""
    buffer = ctypes.create_string_buffer(VALUE_TEXT_SIZE)
    if not params.value_to_text(plugin, param_id, value, buffer, VALUE_TEXT_SIZE):
        return ""
    return abi.read_field(buffer.raw)


# ---------------------------------------------------------------- ports


def _io(plugin: Any) -> IO:
    """Channels on the main audio ports and the others; note ports count as MIDI ports.

    A plugin without `clap.audio-ports` (or `clap.note-ports`) has no such ports (`plugin.h`).
    """
    audio = _extension(plugin, abi.EXT_AUDIO_PORTS, abi.ClapPluginAudioPorts)
    notes = _extension(plugin, abi.EXT_NOTE_PORTS, abi.ClapPluginNotePorts)
    main_in, aux_in = _audio_ports(plugin, audio, is_input=True)
    main_out, aux_out = _audio_ports(plugin, audio, is_input=False)
    return IO(
        audio_inputs=main_in,
        audio_outputs=main_out,
        aux_inputs=aux_in,
        aux_outputs=aux_out,
        midi_inputs=_note_ports(plugin, notes, is_input=True),
        midi_outputs=_note_ports(plugin, notes, is_input=False),
    )


def _audio_ports(plugin: Any, ports: Any, *, is_input: bool) -> tuple[int, int]:
    """(channels of the main port, channels of every other port) in one direction."""
    if ports is None or not ports.count or not ports.get:
        return 0, 0
    main: int | None = None
    aux = 0
    info = abi.ClapAudioPortInfo()
    for index in range(min(int(ports.count(plugin, is_input)), MAX_PORTS)):
        ctypes.memset(byref(info), 0, ctypes.sizeof(info))
        if not ports.get(plugin, index, is_input, byref(info)):
            continue
        channels = min(int(info.channel_count), MAX_CHANNELS)
        if info.flags & abi.AUDIO_PORT_IS_MAIN and main is None:
            main = channels
        else:
            aux += channels
    return main or 0, aux


def _note_ports(plugin: Any, ports: Any, *, is_input: bool) -> int:
    if ports is None or not ports.count:
        return 0
    return min(int(ports.count(plugin, is_input)), MAX_PORTS)
