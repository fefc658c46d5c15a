"""The VST3 binary interface, as ctypes declarations: enough of it to list and describe plugins.

VST3 is a COM-like C++ ABI: every object is a pointer to a table of function
pointers whose first three slots are FUnknown's (queryInterface, addRef,
release), and a derived interface appends its methods to its base's table. So
ctypes can drive a plugin without the SDK or a compiler at install time: each
vtable below is a Structure of function pointers in the SDK's declaration
order (pluginterfaces/base/ipluginbase.h, vst/ivstcomponent.h,
vst/ivsteditcontroller.h, vst/ivstunits.h, vst/ivstmessage.h,
vst/ivsthostapplication.h), and `Ref` calls through them.

Interface ids are the SDK's four 32-bit words laid out as `INLINE_UID` does: big-endian words off Windows,
the COM GUID layout on Windows (`COM_COMPATIBLE`). A class id is printed the way the SDK's
`FUID::toString` prints it, which is what moduleinfo.json and Ardour's scanner write.

Structures use natural alignment: the SDK packs to 16 on 64-bit macOS and Windows
(the same thing for these members) and sets nothing on Linux.

`HostApplication` is the one object implemented here: a minimal IHostApplication
handed to `initialize`, which a plugin may query and call back.
"""

from __future__ import annotations

import ctypes
import functools
import struct
import sys
from ctypes import POINTER, c_char, c_double, c_int32, c_uint8, c_uint16, c_uint32, c_uint64, c_void_p
from typing import Any, Generic, TypeVar

#: The platform's COM calling convention: stdcall on 32-bit Windows, the C one elsewhere.
FUNCTYPE = getattr(ctypes, "WINFUNCTYPE", ctypes.CFUNCTYPE)
COM_COMPATIBLE = sys.platform == "win32"

tresult = c_int32
TUID = c_uint8 * 16  # bytes, not c_char: a c_char array reads as bytes cut at its first NUL
String128 = c_uint16 * 128  # char16 text, NUL-terminated if shorter

K_RESULT_OK = 0
K_RESULT_FALSE = 1
K_NO_INTERFACE = -1 if not COM_COMPATIBLE else -0x7FFFBFFE  # E_NOINTERFACE on Windows

# MediaType, BusDirection, BusType
K_AUDIO, K_EVENT = 0, 1
K_INPUT, K_OUTPUT = 0, 1
K_MAIN, K_AUX = 0, 1
# SymbolicSampleSize, ProcessMode
K_SAMPLE32 = 0
K_OFFLINE = 2

# ParameterInfo flags
K_CAN_AUTOMATE = 1
K_IS_READ_ONLY = 1 << 1
K_IS_WRAP_AROUND = 1 << 2
K_IS_LIST = 1 << 3
K_IS_HIDDEN = 1 << 4
K_IS_PROGRAM_CHANGE = 1 << 15
K_IS_BYPASS = 1 << 16

AUDIO_MODULE_CLASS = "Audio Module Class"


def iid(l1: int, l2: int, l3: int, l4: int) -> bytes:
    """The 16 bytes of an interface or class id declared as INLINE_UID(l1, l2, l3, l4) on this platform."""
    if COM_COMPATIBLE:
        return struct.pack("<IHH", l1, l2 >> 16, l2 & 0xFFFF) + struct.pack(">II", l3, l4)
    return struct.pack(">IIII", l1, l2, l3, l4)


def cid_string(cid: bytes) -> str:
    """32 upper-case hex digits, as the SDK's FUID::toString prints a class id on this platform."""
    if COM_COMPATIBLE:
        data1, data2, data3 = struct.unpack("<IHH", cid[:8])
        return f"{data1:08X}{data2:04X}{data3:04X}{cid[8:16].hex().upper()}"
    return cid[:16].hex().upper()


IID_FUNKNOWN = iid(0x00000000, 0x00000000, 0xC0000000, 0x00000046)
IID_PLUGIN_FACTORY = iid(0x7A4D811C, 0x52114A1F, 0xAED9D2EE, 0x0B43BF9F)
IID_PLUGIN_FACTORY2 = iid(0x0007B650, 0xF24B4C0B, 0xA464EDB9, 0xF00B2ABB)
IID_PLUGIN_FACTORY3 = iid(0x4555A2AB, 0xC1234E57, 0x9B122910, 0x36878931)
IID_COMPONENT = iid(0xE831FF31, 0xF2D54301, 0x928EBBEE, 0x25697802)
IID_AUDIO_PROCESSOR = iid(0x42043F99, 0xB7DA453C, 0xA569E79D, 0x9AAEC33D)
IID_EDIT_CONTROLLER = iid(0xDCD7BBE3, 0x7742448D, 0xA874AACC, 0x979C759E)
IID_UNIT_INFO = iid(0x3D4BD6B5, 0x913A4FD2, 0xA886E768, 0xA5EB92C1)
IID_CONNECTION_POINT = iid(0x70A4156F, 0x6E6E4026, 0x989148BF, 0xAA60D8D1)
IID_HOST_APPLICATION = iid(0x58E595CC, 0xDB2D4969, 0x8B6AAF8C, 0x36A664E5)

# ---------------------------------------------------------------- structs


class PFactoryInfo(ctypes.Structure):
    _fields_ = [("vendor", c_char * 64), ("url", c_char * 256), ("email", c_char * 128), ("flags", c_int32)]


class PClassInfo(ctypes.Structure):
    _fields_ = [("cid", TUID), ("cardinality", c_int32), ("category", c_char * 32), ("name", c_char * 64)]


class PClassInfo2(ctypes.Structure):
    _fields_ = [
        *PClassInfo._fields_,
        ("classFlags", c_uint32),
        ("subCategories", c_char * 128),
        ("vendor", c_char * 64),
        ("version", c_char * 64),
        ("sdkVersion", c_char * 64),
    ]


class PClassInfoW(ctypes.Structure):
    _fields_ = [
        ("cid", TUID),
        ("cardinality", c_int32),
        ("category", c_char * 32),
        ("name", c_uint16 * 64),
        ("classFlags", c_uint32),
        ("subCategories", c_char * 128),
        ("vendor", c_uint16 * 64),
        ("version", c_uint16 * 64),
        ("sdkVersion", c_uint16 * 64),
    ]


class BusInfo(ctypes.Structure):
    _fields_ = [
        ("mediaType", c_int32),
        ("direction", c_int32),
        ("channelCount", c_int32),
        ("name", String128),
        ("busType", c_int32),
        ("flags", c_uint32),
    ]


class ParameterInfo(ctypes.Structure):
    _fields_ = [
        ("id", c_uint32),
        ("title", String128),
        ("shortTitle", String128),
        ("units", String128),
        ("stepCount", c_int32),
        ("defaultNormalizedValue", c_double),
        ("unitId", c_int32),
        ("flags", c_int32),
    ]


class ProcessSetup(ctypes.Structure):
    _fields_ = [
        ("processMode", c_int32),
        ("symbolicSampleSize", c_int32),
        ("maxSamplesPerBlock", c_int32),
        ("sampleRate", c_double),
    ]


class ProgramListInfo(ctypes.Structure):
    _fields_ = [("id", c_int32), ("name", String128), ("programCount", c_int32)]


# ---------------------------------------------------------------- vtables

_Self = c_void_p
_IID = ctypes.c_char_p  # const TUID: 16 bytes (with NULs among them), passed by pointer
_TResultSelf = FUNCTYPE(tresult, _Self)


class FUnknownVtbl(ctypes.Structure):
    _fields_ = [
        ("queryInterface", FUNCTYPE(tresult, _Self, _IID, POINTER(c_void_p))),
        ("addRef", FUNCTYPE(c_uint32, _Self)),
        ("release", FUNCTYPE(c_uint32, _Self)),
    ]


class PluginFactoryVtbl(ctypes.Structure):
    _fields_ = [
        *FUnknownVtbl._fields_,
        ("getFactoryInfo", FUNCTYPE(tresult, _Self, POINTER(PFactoryInfo))),
        ("countClasses", FUNCTYPE(c_int32, _Self)),
        ("getClassInfo", FUNCTYPE(tresult, _Self, c_int32, POINTER(PClassInfo))),
        ("createInstance", FUNCTYPE(tresult, _Self, _IID, _IID, POINTER(c_void_p))),
    ]


class PluginFactory2Vtbl(ctypes.Structure):
    _fields_ = [*PluginFactoryVtbl._fields_, ("getClassInfo2", FUNCTYPE(tresult, _Self, c_int32, POINTER(PClassInfo2)))]


class PluginFactory3Vtbl(ctypes.Structure):
    _fields_ = [
        *PluginFactory2Vtbl._fields_,
        ("getClassInfoUnicode", FUNCTYPE(tresult, _Self, c_int32, POINTER(PClassInfoW))),
        ("setHostContext", FUNCTYPE(tresult, _Self, c_void_p)),
    ]


class PluginBaseVtbl(ctypes.Structure):
    _fields_ = [*FUnknownVtbl._fields_, ("initialize", FUNCTYPE(tresult, _Self, c_void_p)), ("terminate", _TResultSelf)]


class ComponentVtbl(ctypes.Structure):
    _fields_ = [
        *PluginBaseVtbl._fields_,
        ("getControllerClassId", FUNCTYPE(tresult, _Self, POINTER(TUID))),
        ("setIoMode", FUNCTYPE(tresult, _Self, c_int32)),
        ("getBusCount", FUNCTYPE(c_int32, _Self, c_int32, c_int32)),
        ("getBusInfo", FUNCTYPE(tresult, _Self, c_int32, c_int32, c_int32, POINTER(BusInfo))),
        ("getRoutingInfo", FUNCTYPE(tresult, _Self, c_void_p, c_void_p)),
        ("activateBus", FUNCTYPE(tresult, _Self, c_int32, c_int32, c_int32, c_uint8)),
        ("setActive", FUNCTYPE(tresult, _Self, c_uint8)),
        ("setState", FUNCTYPE(tresult, _Self, c_void_p)),
        ("getState", FUNCTYPE(tresult, _Self, c_void_p)),
    ]


class AudioProcessorVtbl(ctypes.Structure):
    _fields_ = [
        *FUnknownVtbl._fields_,
        ("setBusArrangements", FUNCTYPE(tresult, _Self, POINTER(c_uint64), c_int32, POINTER(c_uint64), c_int32)),
        ("getBusArrangement", FUNCTYPE(tresult, _Self, c_int32, c_int32, POINTER(c_uint64))),
        ("canProcessSampleSize", FUNCTYPE(tresult, _Self, c_int32)),
        ("getLatencySamples", FUNCTYPE(c_uint32, _Self)),
        ("setupProcessing", FUNCTYPE(tresult, _Self, POINTER(ProcessSetup))),
    ]


class EditControllerVtbl(ctypes.Structure):
    _fields_ = [
        *PluginBaseVtbl._fields_,
        ("setComponentState", FUNCTYPE(tresult, _Self, c_void_p)),
        ("setState", FUNCTYPE(tresult, _Self, c_void_p)),
        ("getState", FUNCTYPE(tresult, _Self, c_void_p)),
        ("getParameterCount", FUNCTYPE(c_int32, _Self)),
        ("getParameterInfo", FUNCTYPE(tresult, _Self, c_int32, POINTER(ParameterInfo))),
        # String128 out: passed as a pointer, so the caller may hand a larger buffer than the SDK promises
        ("getParamStringByValue", FUNCTYPE(tresult, _Self, c_uint32, c_double, POINTER(c_uint16))),
    ]


class UnitInfoVtbl(ctypes.Structure):
    _fields_ = [
        *FUnknownVtbl._fields_,
        ("getUnitCount", FUNCTYPE(c_int32, _Self)),
        ("getUnitInfo", FUNCTYPE(tresult, _Self, c_int32, c_void_p)),
        ("getProgramListCount", FUNCTYPE(c_int32, _Self)),
        ("getProgramListInfo", FUNCTYPE(tresult, _Self, c_int32, POINTER(ProgramListInfo))),
        ("getProgramName", FUNCTYPE(tresult, _Self, c_int32, c_int32, POINTER(c_uint16))),
    ]


class ConnectionPointVtbl(ctypes.Structure):
    _fields_ = [
        *FUnknownVtbl._fields_,
        ("connect", FUNCTYPE(tresult, _Self, c_void_p)),
        ("disconnect", FUNCTYPE(tresult, _Self, c_void_p)),
    ]


V = TypeVar("V", bound=ctypes.Structure)
V2 = TypeVar("V2", bound=ctypes.Structure)


class Ref(Generic[V]):
    """One reference to a plugin object, seen through the vtable `V`; `release()` gives it back once."""

    def __init__(self, address: int, vtable: type[V]) -> None:
        self.address = address
        self._vtable = vtable
        self._released = False

    @functools.cached_property
    def v(self) -> V:
        """The object's function table; call its methods with `self.address` as the first argument."""
        table: V = ctypes.cast(self.address, POINTER(POINTER(self._vtable)))[0][0]
        return table

    def query(self, interface: bytes, vtable: type[V2]) -> Ref[V2] | None:
        """The same object through another interface (a new reference), or None if it has none."""
        out = c_void_p()
        unknown = ctypes.cast(self.address, POINTER(POINTER(FUnknownVtbl)))[0][0]
        if unknown.queryInterface(self.address, interface, ctypes.byref(out)) != K_RESULT_OK or not out.value:
            return None
        return Ref(out.value, vtable)

    def release(self) -> None:
        if not self._released:
            self._released = True
            ctypes.cast(self.address, POINTER(POINTER(FUnknownVtbl)))[0][0].release(self.address)


def text(raw: bytes, limit: int) -> str:
    """A plugin's char8 field as clean text: up to the first NUL, at most `limit` bytes, UTF-8, no control chars."""
    return _clean(raw.split(b"\0", 1)[0][:limit].decode("utf-8", errors="replace"))


def text16(buffer: Any, limit: int = 128) -> str:
    """A plugin's char16 field (String128 and the like) as clean text, read up to NUL or `limit` units."""
    raw = ctypes.string_at(ctypes.addressof(buffer), min(limit, len(buffer)) * 2)
    end = raw.find(b"\0\0")
    while end != -1 and end % 2:  # a NUL unit starts on an even byte; "\0\0" across two units is not one
        end = raw.find(b"\0\0", end + 1)
    return _clean((raw if end == -1 else raw[:end]).decode("utf-16-le", errors="replace"))


def _clean(value: str) -> str:
    """Drop control characters (a plugin's name must not move a terminal's cursor) and outer blanks."""
    if value.isprintable():  # the usual case, checked in C
        return value.strip()
    return "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()


class HostApplication:
    """A minimal IHostApplication: the host context given to `initialize` and the factory.

    It answers FUnknown and IHostApplication, gives its name, and creates
    nothing (a plugin that asks for a message object gets none and, as the SDK
    expects, does without). Reference counts are not kept: it lives as long as
    the reader that made it, which outlives every plugin object it is given to.
    """

    NAME = "Pluginary"

    def __init__(self) -> None:
        # ids arrive as c_void_p: a c_char_p argument would be cut at the first NUL byte
        query = FUNCTYPE(tresult, _Self, c_void_p, POINTER(c_void_p))(self._query)
        count = FUNCTYPE(c_uint32, _Self)(lambda _self: 1)
        name = FUNCTYPE(tresult, _Self, POINTER(c_uint16))(self._name)
        create = FUNCTYPE(tresult, _Self, c_void_p, c_void_p, POINTER(c_void_p))(self._create)
        self._vtable = (c_void_p * 5)(*(ctypes.cast(f, c_void_p) for f in (query, count, count, name, create)))
        self._callbacks = (query, count, name, create)  # ctypes frees a callback nobody refers to
        self._object = c_void_p(ctypes.addressof(self._vtable))

    @property
    def address(self) -> int:
        return ctypes.addressof(self._object)

    def _query(self, this: int, interface: Any, out: Any) -> int:
        wanted = ctypes.string_at(interface, 16) if interface else b""
        if wanted in (IID_FUNKNOWN, IID_HOST_APPLICATION):
            out[0] = this
            return K_RESULT_OK
        if out:
            out[0] = None
        return K_NO_INTERFACE

    def _name(self, _this: int, out: Any) -> int:
        for index, char in enumerate(f"{self.NAME}\0"):  # ASCII: one UTF-16 unit each
            out[index] = ord(char)
        return K_RESULT_OK

    def _create(self, _this: int, _cid: Any, _iid: Any, out: Any) -> int:
        if out:
            out[0] = None
        return K_RESULT_FALSE
