"""The part of the CLAP C ABI a scanner needs, as ctypes declarations.

CLAP is a plain C ABI (free-audio/clap, `include/clap/*.h`), so a scanner can
speak it from Python with ctypes and needs no compiler at install. Only what
`pluginary.formats.clap` calls is declared: the entry (`clap_entry`), the
plugin factory and its descriptors, the host a plugin is created with, the
plugin itself, four extensions (params, audio ports, note ports, latency;
the last is declared for a scan that activates plugins, which
`pluginary.formats.clap` does not do yet), and the preset-discovery factory
with the indexer and metadata receiver a host hands it (`pluginary.formats.clap_presets`).
Layouts follow CLAP 1.2 (`entry.h`, `plugin.h`, `host.h`,
`factory/plugin-factory.h`, `factory/preset-discovery.h`, `universal-plugin-id.h`,
`ext/params.h`, `ext/audio-ports.h`, `ext/note-ports.h`, `ext/latency.h`);
CLAP promises them stable from 1.0.

Every `const char *` the plugin hands over is declared `c_void_p`, not
`c_char_p`: ctypes would read a `c_char_p` up to its NUL however far that is,
and text from a plugin is read only through `read_text`, which bounds it.
"""

from __future__ import annotations

import ctypes
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_int32,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)

#: `string-sizes.h`: the fixed text fields of param, port and note-port infos.
CLAP_NAME_SIZE = 256
CLAP_PATH_SIZE = 1024

#: The CLAP version this scanner declares to plugins (`version.h` at the time of writing).
HOST_VERSION = (1, 2, 0)

PLUGIN_FACTORY_ID = b"clap.plugin-factory"
EXT_PARAMS = b"clap.params"
EXT_AUDIO_PORTS = b"clap.audio-ports"
EXT_NOTE_PORTS = b"clap.note-ports"
EXT_LATENCY = b"clap.latency"
#: `factory/preset-discovery.h`: the id, then the draft id older plugins export ("100% compatible").
PRESET_DISCOVERY_FACTORY_IDS = (b"clap.preset-discovery-factory/2", b"clap.preset-discovery-factory/draft-2")

# `factory/preset-discovery.h`: clap_preset_discovery_location_kind and clap_preset_discovery_flags.
PRESET_LOCATION_FILE = 0
PRESET_LOCATION_PLUGIN = 1
PRESET_IS_FACTORY_CONTENT = 1 << 0
PRESET_IS_USER_CONTENT = 1 << 1
PRESET_IS_DEMO_CONTENT = 1 << 2
PRESET_IS_FAVORITE = 1 << 3

# `ext/params.h`: clap_param_info_flags.
PARAM_IS_STEPPED = 1 << 0
PARAM_IS_PERIODIC = 1 << 1
PARAM_IS_HIDDEN = 1 << 2
PARAM_IS_READONLY = 1 << 3
PARAM_IS_BYPASS = 1 << 4
PARAM_IS_AUTOMATABLE = 1 << 5
PARAM_IS_ENUM = 1 << 16

# `ext/audio-ports.h`: clap_audio_port_info.flags.
AUDIO_PORT_IS_MAIN = 1 << 0


class ClapVersion(Structure):
    _fields_ = (("major", c_uint32), ("minor", c_uint32), ("revision", c_uint32))

    def compatible(self) -> bool:
        """`clap_version_is_compatible`: every 1.x is ABI compatible; 0.x was a draft."""
        return bool(self.major >= 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.revision}"


class ClapPluginDescriptor(Structure):
    _fields_ = (
        ("clap_version", ClapVersion),
        ("id", c_void_p),
        ("name", c_void_p),
        ("vendor", c_void_p),
        ("url", c_void_p),
        ("manual_url", c_void_p),
        ("support_url", c_void_p),
        ("version", c_void_p),
        ("description", c_void_p),
        ("features", c_void_p),  # const char *const *, NULL-terminated
    )


class ClapHost(Structure):
    pass


class ClapPlugin(Structure):
    pass


HostGetExtension = CFUNCTYPE(c_void_p, POINTER(ClapHost), c_char_p)
HostRequest = CFUNCTYPE(None, POINTER(ClapHost))

ClapHost._fields_ = (
    ("clap_version", ClapVersion),
    ("host_data", c_void_p),
    ("name", c_char_p),
    ("vendor", c_char_p),
    ("url", c_char_p),
    ("version", c_char_p),
    ("get_extension", HostGetExtension),
    ("request_restart", HostRequest),
    ("request_process", HostRequest),
    ("request_callback", HostRequest),
)

_PluginP = POINTER(ClapPlugin)
_PluginCall = CFUNCTYPE(None, _PluginP)
_PluginTest = CFUNCTYPE(c_bool, _PluginP)

ClapPlugin._fields_ = (
    ("desc", c_void_p),
    ("plugin_data", c_void_p),
    ("init", _PluginTest),
    ("destroy", _PluginCall),
    ("activate", CFUNCTYPE(c_bool, _PluginP, c_double, c_uint32, c_uint32)),
    ("deactivate", _PluginCall),
    ("start_processing", _PluginTest),
    ("stop_processing", _PluginCall),
    ("reset", _PluginCall),
    ("process", CFUNCTYPE(c_int32, _PluginP, c_void_p)),
    ("get_extension", CFUNCTYPE(c_void_p, _PluginP, c_char_p)),
    ("on_main_thread", _PluginCall),
)


class ClapPluginFactory(Structure):
    pass


_FactoryP = POINTER(ClapPluginFactory)
ClapPluginFactory._fields_ = (
    ("get_plugin_count", CFUNCTYPE(c_uint32, _FactoryP)),
    ("get_plugin_descriptor", CFUNCTYPE(c_void_p, _FactoryP, c_uint32)),
    ("create_plugin", CFUNCTYPE(c_void_p, _FactoryP, POINTER(ClapHost), c_char_p)),
)


class ClapPluginEntry(Structure):
    """The exported data symbol `clap_entry`."""

    _fields_ = (
        ("clap_version", ClapVersion),
        ("init", CFUNCTYPE(c_bool, c_char_p)),
        ("deinit", CFUNCTYPE(None)),
        ("get_factory", CFUNCTYPE(c_void_p, c_char_p)),
    )


class ClapParamInfo(Structure):
    _fields_ = (
        ("id", c_uint32),
        ("flags", c_uint32),
        ("cookie", c_void_p),
        ("name", c_char * CLAP_NAME_SIZE),
        ("module", c_char * CLAP_PATH_SIZE),
        ("min_value", c_double),
        ("max_value", c_double),
        ("default_value", c_double),
    )


class ClapPluginParams(Structure):
    _fields_ = (
        ("count", CFUNCTYPE(c_uint32, _PluginP)),
        ("get_info", CFUNCTYPE(c_bool, _PluginP, c_uint32, POINTER(ClapParamInfo))),
        ("get_value", CFUNCTYPE(c_bool, _PluginP, c_uint32, POINTER(c_double))),
        ("value_to_text", CFUNCTYPE(c_bool, _PluginP, c_uint32, c_double, c_void_p, c_uint32)),
        ("text_to_value", CFUNCTYPE(c_bool, _PluginP, c_uint32, c_char_p, POINTER(c_double))),
        ("flush", CFUNCTYPE(None, _PluginP, c_void_p, c_void_p)),
    )


class ClapAudioPortInfo(Structure):
    _fields_ = (
        ("id", c_uint32),
        ("name", c_char * CLAP_NAME_SIZE),
        ("flags", c_uint32),
        ("channel_count", c_uint32),
        ("port_type", c_void_p),
        ("in_place_pair", c_uint32),
    )


class ClapPluginAudioPorts(Structure):
    _fields_ = (
        ("count", CFUNCTYPE(c_uint32, _PluginP, c_bool)),
        ("get", CFUNCTYPE(c_bool, _PluginP, c_uint32, c_bool, POINTER(ClapAudioPortInfo))),
    )


class ClapNotePortInfo(Structure):
    _fields_ = (
        ("id", c_uint32),
        ("supported_dialects", c_uint32),
        ("preferred_dialect", c_uint32),
        ("name", c_char * CLAP_NAME_SIZE),
    )


class ClapPluginNotePorts(Structure):
    _fields_ = (
        ("count", CFUNCTYPE(c_uint32, _PluginP, c_bool)),
        ("get", CFUNCTYPE(c_bool, _PluginP, c_uint32, c_bool, POINTER(ClapNotePortInfo))),
    )


class ClapPluginLatency(Structure):
    _fields_ = (("get", CFUNCTYPE(c_uint32, _PluginP)),)


# ---------------------------------------------------------------- preset discovery
# Structs the host fills (indexer, receiver) take Python callbacks; every `const char *` they are
# handed is c_void_p, so it is read only through `read_text`.


class ClapUniversalPluginId(Structure):
    _fields_ = (("abi", c_void_p), ("id", c_void_p))


class ClapPresetDiscoveryMetadataReceiver(Structure):
    pass


_ReceiverP = POINTER(ClapPresetDiscoveryMetadataReceiver)
ReceiverOnError = CFUNCTYPE(None, _ReceiverP, c_int32, c_void_p)
ReceiverBeginPreset = CFUNCTYPE(c_bool, _ReceiverP, c_void_p, c_void_p)
ReceiverAddPluginId = CFUNCTYPE(None, _ReceiverP, POINTER(ClapUniversalPluginId))
ReceiverText = CFUNCTYPE(None, _ReceiverP, c_void_p)
ReceiverFlags = CFUNCTYPE(None, _ReceiverP, c_uint32)
ReceiverTimestamps = CFUNCTYPE(None, _ReceiverP, c_uint64, c_uint64)
ReceiverExtraInfo = CFUNCTYPE(None, _ReceiverP, c_void_p, c_void_p)

ClapPresetDiscoveryMetadataReceiver._fields_ = (
    ("receiver_data", c_void_p),
    ("on_error", ReceiverOnError),
    ("begin_preset", ReceiverBeginPreset),
    ("add_plugin_id", ReceiverAddPluginId),
    ("set_soundpack_id", ReceiverText),
    ("set_flags", ReceiverFlags),
    ("add_creator", ReceiverText),
    ("set_description", ReceiverText),
    ("set_timestamps", ReceiverTimestamps),
    ("add_feature", ReceiverText),
    ("add_extra_info", ReceiverExtraInfo),
)


class ClapPresetDiscoveryFiletype(Structure):
    _fields_ = (("name", c_void_p), ("description", c_void_p), ("file_extension", c_void_p))


class ClapPresetDiscoveryLocation(Structure):
    _fields_ = (("flags", c_uint32), ("name", c_void_p), ("kind", c_uint32), ("location", c_void_p))


class ClapPresetDiscoverySoundpack(Structure):
    _fields_ = (
        ("flags", c_uint32),
        ("id", c_void_p),
        ("name", c_void_p),
        ("description", c_void_p),
        ("homepage_url", c_void_p),
        ("vendor", c_void_p),
        ("image_path", c_void_p),
        ("release_timestamp", c_uint64),
    )


class ClapPresetDiscoveryProviderDescriptor(Structure):
    _fields_ = (("clap_version", ClapVersion), ("id", c_void_p), ("name", c_void_p), ("vendor", c_void_p))


class ClapPresetDiscoveryIndexer(Structure):
    pass


_IndexerP = POINTER(ClapPresetDiscoveryIndexer)
#: declare_filetype, declare_location, declare_soundpack: the declared struct's address.
IndexerDeclare = CFUNCTYPE(c_bool, _IndexerP, c_void_p)
IndexerGetExtension = CFUNCTYPE(c_void_p, _IndexerP, c_void_p)

ClapPresetDiscoveryIndexer._fields_ = (
    ("clap_version", ClapVersion),
    ("name", c_char_p),
    ("vendor", c_char_p),
    ("url", c_char_p),
    ("version", c_char_p),
    ("indexer_data", c_void_p),
    ("declare_filetype", IndexerDeclare),
    ("declare_location", IndexerDeclare),
    ("declare_soundpack", IndexerDeclare),
    ("get_extension", IndexerGetExtension),
)


class ClapPresetDiscoveryProvider(Structure):
    pass


_ProviderP = POINTER(ClapPresetDiscoveryProvider)
ClapPresetDiscoveryProvider._fields_ = (
    ("desc", c_void_p),
    ("provider_data", c_void_p),
    ("init", CFUNCTYPE(c_bool, _ProviderP)),
    ("destroy", CFUNCTYPE(None, _ProviderP)),
    ("get_metadata", CFUNCTYPE(c_bool, _ProviderP, c_uint32, c_char_p, _ReceiverP)),
    ("get_extension", CFUNCTYPE(c_void_p, _ProviderP, c_char_p)),
)


class ClapPresetDiscoveryFactory(Structure):
    pass


_PresetFactoryP = POINTER(ClapPresetDiscoveryFactory)
ClapPresetDiscoveryFactory._fields_ = (
    ("count", CFUNCTYPE(c_uint32, _PresetFactoryP)),
    ("get_descriptor", CFUNCTYPE(c_void_p, _PresetFactoryP, c_uint32)),
    ("create", CFUNCTYPE(c_void_p, _PresetFactoryP, _IndexerP, c_char_p)),
)


# The C library's strnlen: the process's own symbols on POSIX, msvcrt on Windows.
_strnlen = (ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)).strnlen
_strnlen.argtypes = (c_void_p, c_size_t)
_strnlen.restype = c_size_t


def decode(raw: bytes) -> str:
    """Plugin text as str: up to the first NUL, invalid UTF-8 replaced, never an exception."""
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def read_bytes(address: int | None, limit: int) -> bytes:
    """The C string at `address`, reading at most `limit` bytes (no NUL needed within them).

    `strnlen` stops at the first NUL or at `limit`, so a string with no
    terminator costs `limit` bytes, not a walk through the plugin's memory.
    """
    if not address:
        return b""
    return ctypes.string_at(address, _strnlen(address, limit))


def read_text(address: int | None, limit: int) -> str:
    """`read_bytes`, decoded."""
    return decode(read_bytes(address, limit))


def read_field(field: bytes) -> str:
    """A fixed-size `char[N]` field: ctypes already bounds it to N bytes."""
    return decode(field)


def read_string_array(address: int | None, limit: int, text_limit: int) -> list[str]:
    """A NULL-terminated `const char *const *`, at most `limit` entries of at most `text_limit` bytes."""
    if not address:
        return []
    array = ctypes.cast(address, POINTER(c_void_p))
    values = []
    for index in range(limit):
        item = array[index]
        if not item:
            break
        values.append(read_text(item, text_limit))
    return values
