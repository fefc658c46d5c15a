"""Reading a VST3 module through its own ABI: class ids, buses and true parameters, no SDK, no compiler.

Runs inside a scan worker (the module may crash or hang there). The reader does
what a host's scanner does, and no more:

1. dlopen the bundle's binary, call the platform's entry point (`ModuleEntry`
   on Linux, `bundleEntry` on macOS, `InitDll` on Windows) and `GetPluginFactory`;
2. read the factory info and, for each "Audio Module Class", the richest class
   info the factory offers (PClassInfoW, PClassInfo2, PClassInfo): class id,
   name, sub-categories, vendor, version, SDK version. A metadata-only scan stops here;
3. otherwise create the component with a minimal host context, read its buses,
   its latency after `setupProcessing`, and its edit controller (the component
   itself, or a separate class connected to it as the SDK's hosts do): every
   parameter's info and the display texts of its extremes, default and, for a
   stepped parameter with few values, every value; program lists from IUnitInfo;
4. terminate and release everything in reverse order, call the module's exit
   function and unload it.

Everything a plugin says is hostile: strings come from fixed-size buffers and are
cleaned (`vst3_abi.text`), counts are capped, and a text buffer handed to the
plugin is larger than the 128 units the ABI promises, so a plugin that writes past
it scribbles on our spare room, not on the Python heap.

`Unsupported` means the module loaded but this reader cannot describe it (its
component or controller refuses our host); the caller may try another reader.
Any other `NativeError` is the module's own failure and names the file.
"""

from __future__ import annotations

import _ctypes
import ctypes
import logging
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import attrs

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import IO, Parameter, ParameterFlag, ParameterKind, Plugin
from pluginary.formats import vst3_abi as abi
from pluginary.formats.vst3_abi import Ref

log = logging.getLogger(__name__)

READER = "vst3-native"
#: Sane limits: a count beyond them is a broken (or hostile) plugin, and we read no further.
MAX_CLASSES = 1_000
MAX_BUSES = 64
MAX_CHANNELS = 1_024
MAX_PARAMETERS = 100_000
MAX_PROGRAM_LISTS = 64
MAX_PROGRAMS = 10_000
#: A stepped parameter with at most this many values gets every value's text listed (as pedalboard_params does).
MAX_CHOICES = 128
#: Units in the text buffer given to the plugin: String128 plus room for a plugin that overruns it.
TEXT_BUFFER_UNITS = 1_024
#: What setupProcessing announces before the latency is asked: a common, cheap configuration.
SAMPLE_RATE = 48_000.0
BLOCK_SIZE = 512

#: A stepped value that reads as a number, optionally with a unit ("12 dB", "100%"), not "1/4" or "x2".
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?(?:\s+\S+|\s*[^\W\d_]+|\s*%)?")


class NativeError(RuntimeError):
    """The module failed while being read; the message names the file."""


class Unsupported(NativeError):
    """The module loaded but this reader cannot describe its plugins; another reader may.

    `ids` maps each class name read before the refusal to its plugin id, so
    that reader can still give the stable `vst3:<CID>` ids.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.ids: dict[str, str] = {}


@attrs.frozen
class ProgramList:
    """A factory program list from IUnitInfo: the VST3 format gives each program as a factory Preset."""

    id: int
    name: str
    programs: tuple[str, ...] = ()


@attrs.frozen
class Reading:
    """One plugin class as the reader found it: the record, its program lists, and what the model does not hold."""

    plugin: Plugin
    program_lists: tuple[ProgramList, ...] = ()
    hidden_parameters: int = 0


@attrs.frozen
class _ClassInfo:
    cid: bytes
    name: str
    sub_categories: tuple[str, ...] = ()
    class_flags: int = 0
    vendor: str = ""
    version: str = ""
    sdk_version: str = ""


def read(bundle: Path, binary: Path, settings: ScanSettings) -> list[Reading]:
    """Every audio module class of the module `binary` in `bundle`, described as far as `settings` asks."""
    host = abi.HostApplication()
    with _module(bundle, binary) as factory:
        info = abi.PFactoryInfo()
        if factory.v.getFactoryInfo(factory.address, ctypes.byref(info)) != abi.K_RESULT_OK:
            log.info("%s: the factory gives no factory info", binary)
        factory_vendor, url = abi.text(info.vendor, 64), abi.text(info.url, 256)
        factory3 = factory.query(abi.IID_PLUGIN_FACTORY3, abi.PluginFactory3Vtbl)
        if factory3 is not None:
            factory3.v.setHostContext(factory3.address, host.address)
        classes = list(_classes(factory, binary))
        if factory3 is not None:
            factory3.release()
        if not classes:
            raise NativeError(f"{binary}: the factory lists no audio module class")
        readings = []
        ids = {cls.name: f"vst3:{abi.cid_string(cls.cid)}" for cls in classes}
        for cls in classes:
            plugin = Plugin(
                id=f"vst3:{abi.cid_string(cls.cid)}",
                format="vst3",
                name=cls.name,
                path=str(bundle),
                vendor=cls.vendor or factory_vendor,
                version=cls.version,
                native_categories=cls.sub_categories,
                is_instrument="Instrument" in cls.sub_categories,
                is_effect="Instrument" not in cls.sub_categories,
                sdk=cls.sdk_version,
                reader=READER,
                url=url,
            )
            if settings.metadata_only:
                readings.append(Reading(plugin))
                continue
            try:
                readings.append(_instantiate(factory, host, cls, plugin, binary))
            except Unsupported as refused:
                refused.ids.update(ids)
                raise
    return readings


# ---------------------------------------------------------------- the module and its factory


@contextmanager
def _module(bundle: Path, binary: Path) -> Iterator[Ref[abi.PluginFactoryVtbl]]:
    """The module's factory, between the platform's entry and exit calls; unloaded afterwards."""
    try:
        library = ctypes.CDLL(str(binary))
    except OSError as exc:
        raise NativeError(f"{binary}: cannot be loaded: {exc}") from exc
    try:
        exit_module = _enter(library, bundle, binary)
        try:
            get_factory = getattr(library, "GetPluginFactory", None)
            if get_factory is None:
                raise NativeError(f"{binary}: exports no GetPluginFactory: not a VST3 module")
            get_factory.restype = ctypes.c_void_p
            address = get_factory()
            if not address:
                raise NativeError(f"{binary}: GetPluginFactory returned no factory")
            factory = Ref(address, abi.PluginFactoryVtbl)
            try:
                yield factory
            finally:
                factory.release()
        finally:
            exit_module()
    finally:
        _unload(library)


def _enter(library: ctypes.CDLL, bundle: Path, binary: Path) -> Callable[[], None]:
    """Call the platform's module entry function; return the matching exit call."""
    if sys.platform == "darwin":
        entry, leave, argument = "bundleEntry", "bundleExit", _cf_bundle(bundle)
    elif sys.platform == "win32":
        entry, leave, argument = "InitDll", "ExitDll", None
    else:
        entry, leave, argument = "ModuleEntry", "ModuleExit", library._handle
    function = getattr(library, entry, None)
    if function is None:  # optional before SDK 3.7 on Linux; many older modules lack it
        log.info("%s: no %s; calling GetPluginFactory directly", binary, entry)
        return lambda: None
    function.restype = ctypes.c_bool
    function.argtypes = [ctypes.c_void_p] if argument is not None else []
    if not (function(argument) if argument is not None else function()):
        raise NativeError(f"{binary}: {entry} failed")
    finish = getattr(library, leave, None)
    if finish is None:
        return lambda: None
    finish.restype = ctypes.c_bool

    def exit_module() -> None:
        if not finish():
            log.info("%s: %s failed", binary, leave)

    return exit_module


def _cf_bundle(bundle: Path) -> int:
    """A CFBundleRef for the bundle folder: what macOS's bundleEntry takes."""
    cf = ctypes.CDLL("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")
    cf.CFURLCreateFromFileSystemRepresentation.restype = ctypes.c_void_p
    cf.CFURLCreateFromFileSystemRepresentation.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_long,
        ctypes.c_bool,
    ]
    cf.CFBundleCreate.restype = ctypes.c_void_p
    cf.CFBundleCreate.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    path = bytes(bundle)
    url = cf.CFURLCreateFromFileSystemRepresentation(None, path, len(path), True)
    handle = cf.CFBundleCreate(None, url)
    if not handle:
        raise NativeError(f"{bundle}: macOS cannot open it as a bundle")
    return int(handle)


def _unload(library: ctypes.CDLL) -> None:
    """Unload the module as hosts do, so a worker's next bundle (or a rescan of this one) starts fresh."""
    if sys.platform == "win32":
        _ctypes.FreeLibrary(library._handle)  # type: ignore[attr-defined]
    else:
        _ctypes.dlclose(library._handle)


def _classes(factory: Ref[abi.PluginFactoryVtbl], binary: Path) -> Iterator[_ClassInfo]:
    """The audio module classes, each from the richest class info the factory gives."""
    factory2 = factory.query(abi.IID_PLUGIN_FACTORY2, abi.PluginFactory2Vtbl)
    factory3 = factory.query(abi.IID_PLUGIN_FACTORY3, abi.PluginFactory3Vtbl)
    try:
        count = factory.v.countClasses(factory.address)
        if count > MAX_CLASSES:
            log.warning("%s: the factory claims %d classes; reading the first %d", binary, count, MAX_CLASSES)
        for index in range(min(count, MAX_CLASSES)):
            basic = abi.PClassInfo()
            if factory.v.getClassInfo(factory.address, index, ctypes.byref(basic)) != abi.K_RESULT_OK:
                log.info("%s: class %d has no class info", binary, index)
                continue
            if abi.text(basic.category, 32) != abi.AUDIO_MODULE_CLASS:
                continue
            yield _class_info(index, basic, factory2, factory3)
    finally:
        for extra in (factory2, factory3):
            if extra is not None:
                extra.release()


def _class_info(
    index: int,
    basic: abi.PClassInfo,
    factory2: Ref[abi.PluginFactory2Vtbl] | None,
    factory3: Ref[abi.PluginFactory3Vtbl] | None,
) -> _ClassInfo:
    if factory3 is not None:
        wide = abi.PClassInfoW()
        if factory3.v.getClassInfoUnicode(factory3.address, index, ctypes.byref(wide)) == abi.K_RESULT_OK:
            return _ClassInfo(
                cid=bytes(wide.cid),
                name=abi.text16(wide.name, 64),
                sub_categories=_sub_categories(wide.subCategories),
                class_flags=int(wide.classFlags),
                vendor=abi.text16(wide.vendor, 64),
                version=abi.text16(wide.version, 64),
                sdk_version=abi.text16(wide.sdkVersion, 64),
            )
    if factory2 is not None:
        two = abi.PClassInfo2()
        if factory2.v.getClassInfo2(factory2.address, index, ctypes.byref(two)) == abi.K_RESULT_OK:
            return _ClassInfo(
                cid=bytes(two.cid),
                name=abi.text(two.name, 64),
                sub_categories=_sub_categories(two.subCategories),
                class_flags=int(two.classFlags),
                vendor=abi.text(two.vendor, 64),
                version=abi.text(two.version, 64),
                sdk_version=abi.text(two.sdkVersion, 64),
            )
    return _ClassInfo(cid=bytes(basic.cid), name=abi.text(basic.name, 64))


def _sub_categories(raw: bytes) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in abi.text(raw, 128).split("|")) if part)


# ---------------------------------------------------------------- one instance


def _instantiate(
    factory: Ref[abi.PluginFactoryVtbl], host: abi.HostApplication, cls: _ClassInfo, plugin: Plugin, binary: Path
) -> Reading:
    """Create the class's component and controller, read them, and give everything back."""
    where = f"{binary}: {cls.name!r}"
    with ExitStack() as cleanup:
        component = _create(factory, cls.cid, abi.IID_COMPONENT, abi.ComponentVtbl)
        if component is None:
            raise Unsupported(f"{where}: the factory creates no IComponent for class {abi.cid_string(cls.cid)}")
        cleanup.callback(component.release)
        if component.v.initialize(component.address, host.address) != abi.K_RESULT_OK:
            raise Unsupported(f"{where}: the component refuses to initialize")
        cleanup.callback(component.v.terminate, component.address)
        io = _io(component)
        latency = _latency(component)
        controller = _controller(factory, host, component, where, cleanup)
        parameters: tuple[Parameter, ...] = ()
        outputs: tuple[Parameter, ...] = ()
        hidden = 0
        program_lists: tuple[ProgramList, ...] = ()
        if controller is None:
            log.info("%s: no edit controller: no parameters", where)
        else:
            parameters, outputs, hidden = _parameters(controller)
            program_lists = _program_lists(controller)
        if hidden:
            log.info("%s: %d hidden parameters left out", where, hidden)
        for programs in program_lists:
            log.info("%s: program list %r: %s", where, programs.name, ", ".join(programs.programs))
        plugin = attrs.evolve(plugin, io=io, latency=latency, parameters=parameters, outputs=outputs)
        return Reading(plugin, program_lists, hidden)


def _create(
    factory: Ref[abi.PluginFactoryVtbl], cid: bytes, interface: bytes, vtable: type[abi.V]
) -> Ref[abi.V] | None:
    out = ctypes.c_void_p()
    result = factory.v.createInstance(factory.address, cid, interface, ctypes.byref(out))
    return Ref(out.value, vtable) if result == abi.K_RESULT_OK and out.value else None


def _io(component: Ref[abi.ComponentVtbl]) -> IO:
    """Channels on main and aux audio buses, and event buses, per direction."""
    channels = {}
    for direction in (abi.K_INPUT, abi.K_OUTPUT):
        main = aux = 0
        for bus in _buses(component, abi.K_AUDIO, direction):
            count = min(max(bus.channelCount, 0), MAX_CHANNELS)
            if bus.busType == abi.K_MAIN:
                main += count
            else:
                aux += count
        events = sum(1 for _ in _buses(component, abi.K_EVENT, direction))
        channels[direction] = (main, aux, events)
    (audio_in, aux_in, midi_in), (audio_out, aux_out, midi_out) = channels[abi.K_INPUT], channels[abi.K_OUTPUT]
    return IO(
        audio_inputs=audio_in,
        audio_outputs=audio_out,
        midi_inputs=midi_in,
        midi_outputs=midi_out,
        aux_inputs=aux_in,
        aux_outputs=aux_out,
    )


def _buses(component: Ref[abi.ComponentVtbl], media: int, direction: int) -> Iterator[abi.BusInfo]:
    count = component.v.getBusCount(component.address, media, direction)
    for index in range(min(max(count, 0), MAX_BUSES)):
        bus = abi.BusInfo()
        if component.v.getBusInfo(component.address, media, direction, index, ctypes.byref(bus)) == abi.K_RESULT_OK:
            yield bus


def _latency(component: Ref[abi.ComponentVtbl]) -> int | None:
    """Samples of latency once processing is set up (cheap: nothing is activated); None without a processor."""
    processor = component.query(abi.IID_AUDIO_PROCESSOR, abi.AudioProcessorVtbl)
    if processor is None:
        return None
    try:
        setup = abi.ProcessSetup(abi.K_OFFLINE, abi.K_SAMPLE32, BLOCK_SIZE, SAMPLE_RATE)
        if processor.v.setupProcessing(processor.address, ctypes.byref(setup)) != abi.K_RESULT_OK:
            return None
        return int(processor.v.getLatencySamples(processor.address))
    finally:
        processor.release()


def _controller(
    factory: Ref[abi.PluginFactoryVtbl],
    host: abi.HostApplication,
    component: Ref[abi.ComponentVtbl],
    where: str,
    cleanup: ExitStack,
) -> Ref[abi.EditControllerVtbl] | None:
    """The edit controller: the component itself, else the class it names, initialized and connected to it.

    Everything it takes is handed to `cleanup`, so it is undone in reverse order.
    """
    single = component.query(abi.IID_EDIT_CONTROLLER, abi.EditControllerVtbl)
    if single is not None:
        cleanup.callback(single.release)
        return single
    cid = abi.TUID()
    if component.v.getControllerClassId(component.address, ctypes.byref(cid)) != abi.K_RESULT_OK:
        return None
    if not any(bytes(cid)):
        return None
    controller = _create(factory, bytes(cid), abi.IID_EDIT_CONTROLLER, abi.EditControllerVtbl)
    if controller is None:
        raise Unsupported(f"{where}: the factory creates no edit controller {abi.cid_string(bytes(cid))}")
    cleanup.callback(controller.release)
    if controller.v.initialize(controller.address, host.address) != abi.K_RESULT_OK:
        raise Unsupported(f"{where}: the edit controller refuses to initialize")
    cleanup.callback(controller.v.terminate, controller.address)
    _connect(component, controller, cleanup)
    return controller


def _connect(component: Ref[abi.ComponentVtbl], controller: Ref[abi.EditControllerVtbl], cleanup: ExitStack) -> None:
    """Connect a split component and controller both ways, as the SDK's hosts do (some share state that way)."""
    ends = [part.query(abi.IID_CONNECTION_POINT, abi.ConnectionPointVtbl) for part in (component, controller)]
    for end in ends:
        if end is not None:
            cleanup.callback(end.release)
    mine, theirs = ends
    if mine is None or theirs is None:
        return
    for one, other in ((mine, theirs), (theirs, mine)):
        one.v.connect(one.address, other.address)
        cleanup.callback(one.v.disconnect, one.address, other.address)


# ---------------------------------------------------------------- parameters and programs


def _parameters(
    controller: Ref[abi.EditControllerVtbl],
) -> tuple[tuple[Parameter, ...], tuple[Parameter, ...], int]:
    """(user parameters, read-only outputs, number of hidden ones left out)."""
    count = controller.v.getParameterCount(controller.address)
    if count > MAX_PARAMETERS:
        log.warning("the controller claims %d parameters; reading the first %d", count, MAX_PARAMETERS)
    texts = _Texts(controller)
    controls: list[Parameter] = []
    outputs: list[Parameter] = []
    hidden = 0
    for index in range(min(max(count, 0), MAX_PARAMETERS)):
        info = abi.ParameterInfo()
        if controller.v.getParameterInfo(controller.address, index, ctypes.byref(info)) != abi.K_RESULT_OK:
            continue
        if info.flags & abi.K_IS_HIDDEN:
            hidden += 1
            continue
        parameter = _parameter(index, info, texts)
        (outputs if info.flags & abi.K_IS_READ_ONLY else controls).append(parameter)
    return tuple(controls), tuple(outputs), hidden


class _Texts:
    """getParamStringByValue through one reused, oversized buffer."""

    def __init__(self, controller: Ref[abi.EditControllerVtbl]) -> None:
        self._address = controller.address
        self._call = controller.v.getParamStringByValue
        self._buffer = (ctypes.c_uint16 * TEXT_BUFFER_UNITS)()

    def __call__(self, param_id: int, value: float) -> str:
        ctypes.memset(self._buffer, 0, ctypes.sizeof(self._buffer))  # no text of the last call shows through
        if self._call(self._address, param_id, value, self._buffer) != abi.K_RESULT_OK:
            return ""
        return abi.text16(self._buffer)


def _parameter(index: int, info: abi.ParameterInfo, texts: _Texts) -> Parameter:
    flags = info.flags
    steps = info.stepCount if 0 < info.stepCount < 2**31 - 1 else 0
    default = info.defaultNormalizedValue
    default = min(max(default, 0.0), 1.0) if math.isfinite(default) else 0.0
    choices: tuple[str, ...] = ()
    if steps and steps + 1 <= MAX_CHOICES:
        choices = tuple(texts(info.id, step / steps) for step in range(steps + 1))
    minimum_text, maximum_text = (choices[0], choices[-1]) if choices else (texts(info.id, 0.0), texts(info.id, 1.0))
    return Parameter(
        index=index,
        name=abi.text16(info.title) or abi.text16(info.shortTitle),
        kind=_kind(steps, flags, choices),
        units=abi.text16(info.units),
        default=default,
        minimum=0.0,
        maximum=1.0,
        default_text=texts(info.id, default),
        minimum_text=minimum_text,
        maximum_text=maximum_text,
        num_steps=steps + 1 if steps else None,
        choices=choices,
        automatable=bool(flags & abi.K_CAN_AUTOMATE),
        id=str(info.id),
        flags=tuple(
            flag
            for bit, flag in (
                (abi.K_IS_BYPASS, ParameterFlag.BYPASS),
                (abi.K_IS_PROGRAM_CHANGE, ParameterFlag.PROGRAM_CHANGE),
                (abi.K_IS_WRAP_AROUND, ParameterFlag.PERIODIC),
            )
            if flags & bit
        ),
    )


def _kind(steps: int, flags: int, choices: tuple[str, ...]) -> ParameterKind:
    """One step is an on/off switch; a list is a choice; other stepped values are numbers unless they read as words."""
    if steps == 1:
        return ParameterKind.BOOL
    if flags & abi.K_IS_LIST:
        return ParameterKind.CHOICE
    if not steps:
        return ParameterKind.FLOAT
    return ParameterKind.INT if all(_NUMBER.fullmatch(choice) for choice in choices) else ParameterKind.CHOICE


def _program_lists(controller: Ref[abi.EditControllerVtbl]) -> tuple[ProgramList, ...]:
    """The controller's factory program lists (IUnitInfo), names only."""
    units = controller.query(abi.IID_UNIT_INFO, abi.UnitInfoVtbl)
    if units is None:
        return ()
    try:
        lists = []
        buffer = (ctypes.c_uint16 * TEXT_BUFFER_UNITS)()
        count = units.v.getProgramListCount(units.address)
        for index in range(min(max(count, 0), MAX_PROGRAM_LISTS)):
            info = abi.ProgramListInfo()
            if units.v.getProgramListInfo(units.address, index, ctypes.byref(info)) != abi.K_RESULT_OK:
                continue
            names = []
            for program in range(min(max(info.programCount, 0), MAX_PROGRAMS)):
                ctypes.memset(buffer, 0, ctypes.sizeof(buffer))
                if units.v.getProgramName(units.address, info.id, program, buffer) == abi.K_RESULT_OK:
                    names.append(abi.text16(buffer))
            lists.append(ProgramList(int(info.id), abi.text16(info.name), tuple(names)))
        return tuple(lists)
    finally:
        units.release()
