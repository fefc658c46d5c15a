"""The values Pluginary passes around: files on disk, plugins, parameters, presets, failures.

All are frozen attrs classes; `converter` (un)structures them to plain JSON-able data
for the worker protocol, the backends and the exporters, so nobody writes
to_dict/from_dict by hand.
"""

from __future__ import annotations

import enum
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import cattrs


class ParameterKind(enum.StrEnum):
    FLOAT = "float"
    BOOL = "bool"
    INT = "int"
    CHOICE = "choice"


class FailureKind(enum.StrEnum):
    CRASH = "crash"  # the worker died: signal or exit status
    TIMEOUT = "timeout"  # past the deadline; the worker was killed
    ERROR = "error"  # the plugin refused to load with a message


class ParameterFlag(enum.StrEnum):
    """What a parameter is for, beyond its value range."""

    BYPASS = "bypass"  # the plugin's own bypass switch
    PROGRAM_CHANGE = "program-change"  # selects a factory program
    PERIODIC = "periodic"  # wraps around (a phase, an angle)


class CategorySource(enum.StrEnum):
    NATIVE = "native"
    KEYWORDS = "keywords"
    USER = "user"


@attrs.frozen
class PluginFile:
    """One plugin file or bundle on disk, as discover sees it and diff compares it.

    `fingerprint` summarises size and mtime of every file that identifies a
    version of the bundle (its binary and metadata files), so an edit to any of
    them shows up as a change.
    """

    path: str
    format: str
    size: int
    mtime_ns: int
    fingerprint: str


@attrs.frozen
class Parameter:
    """One plugin parameter as the plugin itself presents it.

    `default`, `minimum` and `maximum` are plain values (normalised 0..1 for
    VST3, the port's own values for LV2); the `*_text` fields are what the
    plugin displays for them, units included where the plugin adds them.
    """

    index: int
    name: str
    kind: ParameterKind = ParameterKind.FLOAT
    units: str = ""
    default: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    default_text: str = ""
    minimum_text: str = ""
    maximum_text: str = ""
    num_steps: int | None = None
    choices: tuple[str, ...] = ()
    automatable: bool = True
    #: The format's own stable id: VST3 ParamID, CLAP param id, LV2 port symbol ("" if none).
    id: str = ""
    flags: tuple[ParameterFlag, ...] = ()


@attrs.frozen
class IO:
    """Audio and MIDI connections; None where the format does not tell.

    Audio counts are channels on the main buses; `aux_*` are channels on the
    other audio buses (side-chain inputs, extra outputs). MIDI counts are
    event buses or note ports.
    """

    audio_inputs: int | None = None
    audio_outputs: int | None = None
    midi_inputs: int | None = None
    midi_outputs: int | None = None
    aux_inputs: int | None = None
    aux_outputs: int | None = None


@attrs.frozen
class Category:
    """A place in the Pluginary taxonomy, e.g. "Effect/Reverb" or "Instrument/Synth"."""

    name: str
    source: CategorySource = CategorySource.NATIVE
    confidence: float = 1.0


@attrs.frozen
class Host:
    """Where a plugin was scanned, so catalogues from several machines can be merged."""

    name: str = ""
    os: str = ""


@attrs.frozen
class Plugin:
    """One plugin class: a shell bundle yields several, each with its own id.

    `id` is stable across rescans and machines: `vst3:<class id>` (or
    `vst3:<path>#<name>` when no class id is known), `lv2:<URI>`,
    `au:<type>-<subtype>-<manufacturer>`.
    """

    id: str
    format: str
    name: str
    path: str
    vendor: str = ""
    version: str = ""
    native_categories: tuple[str, ...] = ()
    is_instrument: bool = False
    is_effect: bool = False
    categories: tuple[Category, ...] = ()
    tags: tuple[str, ...] = ()
    io: IO = IO()
    latency: int | None = None
    sdk: str = ""
    parameters: tuple[Parameter, ...] = ()
    scanned_at: str = ""
    scanner_version: str = ""
    host: Host = Host()
    #: Read-only parameters: what the plugin reports (meters, gain reduction), not controls.
    outputs: tuple[Parameter, ...] = ()
    #: Which reader produced this record, e.g. "vst3-native", "pedalboard", "turtle".
    reader: str = ""
    url: str = ""
    description: str = ""
    #: How many parameters were left unread: a listing that shows none reads records without them
    #: (`Query(parameters=False)`) and says how many there are here. Not part of the record: never
    #: stored, exported or compared.
    unread_parameters: int = attrs.field(default=0, eq=False)

    @property
    def parameter_count(self) -> int:
        """How many parameters the plugin has, whether or not this record carries them."""
        return len(self.parameters) + self.unread_parameters


class PresetSource(enum.StrEnum):
    """Where a preset was found."""

    FACTORY = "factory"  # the plugin's own programs, read by loading it (VST3 IUnitInfo, AU factory presets)
    BUNDLE = "bundle"  # declared by a bundle (LV2 `pset:Preset` in a plugin or preset bundle)
    FILE = "file"  # a preset file of its own (.vstpreset, .aupreset, a CLAP preset file)


@attrs.frozen
class Preset:
    """One preset of one plugin, as its format describes it; nothing here is loaded into a plugin.

    `id` is stable across rescans: the LV2 preset's URI, `<plugin id>#<list>/<index>` for a
    factory program, the file's path (with `#<key>` when one file holds several) for preset
    files. `plugin_id` is the catalogue id of the plugin it applies to; a preset whose plugin is
    not installed is kept (the catalogue shows it as orphaned). A preset that applies to several
    plugins is one record per plugin. The file it came from (and so its fingerprint) is the
    `FileResult` that carried it; the backend fills `fingerprint` from that file when storing.
    """

    id: str
    name: str
    plugin_id: str
    format: str
    source: PresetSource
    #: The file or bundle holding the preset ("" for a factory program).
    path: str = ""
    #: Bank, program list or category, as the format names it ("" if none).
    bank: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    #: The parameter values it sets, by parameter id (an LV2 port symbol), where the format says.
    values: tuple[tuple[str, float], ...] = ()
    fingerprint: str = ""
    host: Host = Host()


@attrs.frozen
class ScanFailure:
    """A file that could not be scanned; quarantined until it changes or a retry is asked."""

    path: str
    format: str
    fingerprint: str
    kind: FailureKind
    message: str = ""
    signal: int | None = None
    exit_code: int | None = None
    attempts: int = 1
    first_seen: str = ""
    last_seen: str = ""


@attrs.frozen
class FileResult:
    """What one scanned file produced: its plugins, or the reason it failed."""

    file: PluginFile
    plugins: tuple[Plugin, ...] = ()
    failure: ScanFailure | None = None
    #: The presets the file carries or is (replacing the file's earlier presets when stored).
    presets: tuple[Preset, ...] = ()
    #: What the format warned about while reading the file (a missing data file, a refused reference).
    warnings: tuple[str, ...] = ()


def _make_converter() -> cattrs.Converter:
    import cattrs

    conv = cattrs.Converter()
    # Paths travel as strings everywhere; tuples as JSON lists.
    conv.register_unstructure_hook(Path, str)
    conv.register_structure_hook(Path, lambda value, _: Path(value))
    from cattrs.gen import make_dict_unstructure_fn, override

    conv.register_unstructure_hook(
        Plugin, make_dict_unstructure_fn(Plugin, conv, unread_parameters=override(omit=True))
    )
    return conv


if TYPE_CHECKING:
    converter: cattrs.Converter


@functools.cache
def _converter() -> cattrs.Converter:
    return _make_converter()


def __getattr__(name: str) -> Any:
    # Built on first use: importing cattrs costs `pluginary search` a tenth of its start-up, and the
    # catalogue builds its plugins without it.
    if name == "converter":
        return _converter()
    raise AttributeError(name)
