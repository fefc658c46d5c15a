"""LV2: every plugin is described in Turtle, so scanning never loads a binary.

A bundle (`*.lv2` folder) lists its plugins in `manifest.ttl` (`<uri> a lv2:Plugin`),
with `rdfs:seeAlso` pointing at the files that describe them. This reads exactly
those files, as lilv does, and builds one `Plugin` per plugin that has its
`lv2:binary` in this bundle: a bundle that only adds data about a plugin installed
elsewhere (extra descriptions) gives no plugin, so each plugin's identity
comes from the bundle that holds its code.

It also reads the presets a bundle declares (`pset:Preset`), as lilv lists them: one
`Preset` per plugin each applies to, whether the bundle holds the plugin too or only
presets (what Ardour, Carla and jalv save under ~/.lv2). A preset file is read only to
describe presets, so one that cannot be read is a warning, never a failed bundle.

A bundle is anyone's text: `rdfs:seeAlso` may name `/etc/shadow`, `../../x` or a link
out of the bundle. Only regular files inside the bundle's own folder are read; every
file that cannot be read is logged once at WARNING, named relative to the bundle
(the scan worker carries WARNING records back with the bundle's result). Preset files
share a byte budget per bundle, and presets, their files and their values are counted:
a bundle cannot make a worker read or keep without end.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import stat
import sys
import sysconfig
from pathlib import Path
from typing import ClassVar

from pluginary.core.errors import PluginaryError
from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import IO, Parameter, ParameterFlag, ParameterKind, Plugin, Preset, PresetSource
from pluginary.formats.lv2_turtle import (
    ATOM,
    DCTERMS,
    DOAP,
    EVENT,
    FOAF,
    LV2,
    MIDI,
    NOTHING,
    PATCH,
    PPROPS,
    PSET,
    RDF,
    RDFS,
    SEE_ALSO,
    A,
    BundleGraph,
    Node,
    file_path,
    gc_paused,
    number,
    printable,
    unit_symbol,
)

log = logging.getLogger(__name__)

#: What `Plugin.reader` says of every LV2 plugin.
READER = "lv2-turtle"
#: Files whose size and mtime identify a version of a bundle: its Turtle and binaries.
SIGNATURE_SUFFIXES = frozenset({".ttl", ".so", ".dylib", ".dll"})
#: A bundle's signature is at most this many files, found among at most this many
#: folder entries: a hostile bundle must not make discovery walk or stat without end.
#: The largest Debian bundle (lsp-plugins.lv2) has 400 such files in 1 folder.
MAX_SIGNATURE_FILES, MAX_SIGNATURE_ENTRIES = 1_000, 20_000
#: How bundle files are opened: a link swapped in after the containment check is
#: refused (ELOOP), and a FIFO does not block the open.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)

MIDI_EVENT = MIDI + "MidiEvent"
#: The MIDI port type of the pre-atom "lv2-midiport" extension, still found in old plugins.
OLD_MIDI_PORT = "http://ll-plugins.nongnu.org/lv2/ext/MidiPort"
#: rdf:types of a plugin that say nothing about what it does.
NOT_CLASSES = frozenset({LV2 + "Plugin", DOAP + "Project"})
#: Integer ports with at most this many values and some scale points get `choices`.
MAX_LABELLED_STEPS = 128
#: What a patch:writable parameter's rdfs:range says about its kind; other ranges
#: (atom:String, atom:Path, atom:URID, …) have no place in the Parameter model.
RANGE_KINDS = {
    ATOM + "Bool": ParameterKind.BOOL,
    ATOM + "Int": ParameterKind.INT,
    ATOM + "Long": ParameterKind.INT,
    ATOM + "Float": ParameterKind.FLOAT,
    ATOM + "Double": ParameterKind.FLOAT,
}
#: What is read of every port, spelled once: `LV2 + "index"` in the per-port code built
#: and hashed a new string at each use, ~4 % of the scan of lsp-plugins (29k ports).
INDEX, NAME, SYMBOL, PORT_PROPERTY, SCALE_POINT, DESIGNATION = (
    LV2 + n for n in ("index", "name", "symbol", "portProperty", "scalePoint", "designation")
)
MINIMUM, MAXIMUM, DEFAULT = (LV2 + n for n in ("minimum", "maximum", "default"))
INPUT_PORT, OUTPUT_PORT, AUDIO_PORT, CONTROL_PORT = (
    LV2 + n for n in ("InputPort", "OutputPort", "AudioPort", "ControlPort")
)
ATOM_PORT, EVENT_PORT = ATOM + "AtomPort", EVENT + "EventPort"
TOGGLED, ENUMERATION, INTEGER, SIDE_CHAIN = (LV2 + n for n in ("toggled", "enumeration", "integer", "isSideChain"))
#: The designation of a plugin's own on/off switch: its bypass, with 1 meaning "processing".
ENABLED = LV2 + "enabled"
NOT_AUTOMATIC = PPROPS + "notAutomatic"
VALUE, LABEL = RDF + "value", RDFS + "label"
PRESET, BANK, PRESET_VALUE, APPLIES_TO = PSET + "Preset", PSET + "bank", PSET + "value", LV2 + "appliesTo"
#: What one bundle's presets may cost. Debian's largest preset file is 72 KB (mda's JX10, 52
#: presets); a user's preset with its plugin state inline may be some MB.
MAX_PRESET_BYTES = 32 * 2**20  # all its preset files together
MAX_PRESET_FILES = 1_000
MAX_PRESETS = 10_000  # Preset records (one per plugin a preset applies to); Debian's most: 115 (mda.lv2)
MAX_PRESET_VALUES = 4_096  # port values of one preset; lsp-plugins' largest plugin has 1,074 control ports
#: How much of a preset's texts is kept (characters), as for CLAP presets: a label is a line, not a file.
TEXT_LIMIT, DESCRIPTION_LIMIT = 1_024, 8_192


class LV2Format:
    """The LV2 plugin format (Linux, macOS, Windows)."""

    name: ClassVar[str] = "lv2"
    bundle_suffixes: ClassVar[tuple[str, ...]] = (".lv2",)

    def default_roots(self) -> list[Path]:
        """`LV2_PATH` when set, else this platform's standard folders (which may not exist).

        As lilv does: LV2_PATH replaces the standard folders, so what is catalogued is
        what the user's hosts see. Its entries may use `~` and `$VAR` (lilv expands
        both); an empty LV2_PATH counts as unset.
        """
        if lv2_path := os.environ.get("LV2_PATH"):
            return list(
                dict.fromkeys(Path(os.path.expandvars(p)).expanduser() for p in lv2_path.split(os.pathsep) if p)
            )
        home = Path.home()
        if sys.platform == "darwin":
            return [home / "Library/Audio/Plug-Ins/LV2", Path("/Library/Audio/Plug-Ins/LV2")]
        if sys.platform == "win32":
            return [Path(os.environ[var]) / "LV2" for var in ("APPDATA", "COMMONPROGRAMFILES") if os.environ.get(var)]
        roots = [home / ".lv2", Path("/usr/local/lib/lv2"), Path("/usr/lib/lv2")]
        if multiarch := sysconfig.get_config_var("MULTIARCH"):
            roots.append(Path("/usr/lib") / multiarch / "lv2")
        roots.append(Path("/usr/lib64/lv2"))  # Fedora, openSUSE
        return roots

    def signature_files(self, bundle: Path) -> list[Path]:
        """Every Turtle file and shared library in the bundle, sub-folders included (sorted).

        Listing is cheaper than parsing the manifest for `lv2:binary`, and catches edits
        to files the manifest does not (yet) name, wherever they are. Links to folders
        are not followed (a loop, or a way out of the bundle); a link to a file counts
        by its target's stat, which reads nothing of it (Debian's calf.lv2 links its
        binary from /usr/lib/calf). Past the bounds, the files found so far (the same
        ones while the folders are unchanged) identify the bundle, with a warning.
        """
        found: list[Path] = []
        budget = MAX_SIGNATURE_ENTRIES
        folders = [bundle]
        while folders:
            try:
                with os.scandir(folders.pop()) as listing:
                    entries = list(itertools.islice(listing, budget + 1))
            except OSError:
                continue  # an unreadable sub-folder: the scan names it if the manifest needs it
            budget -= len(entries)
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(Path(entry.path))
                elif os.path.splitext(entry.name)[1] in SIGNATURE_SUFFIXES and entry.is_file():
                    found.append(Path(entry.path))
            if budget < 0 or len(found) > MAX_SIGNATURE_FILES:
                log.warning(
                    "%s: more than %d Turtle files and binaries, or %d folder entries: %d of them fingerprint it",
                    printable(str(bundle)),
                    MAX_SIGNATURE_FILES,
                    MAX_SIGNATURE_ENTRIES,
                    min(len(found), MAX_SIGNATURE_FILES),
                )
                return sorted(found)[:MAX_SIGNATURE_FILES]
        return sorted(found)

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin | Preset]:
        """Every plugin whose binary this bundle holds, read from Turtle only, then (when
        `settings.presets`) every preset the bundle declares."""
        files = _BundleFiles(bundle)
        manifest = files.folder / "manifest.ttl"
        if (data := files.read(manifest)) is None:
            return []
        with gc_paused():
            graph = BundleGraph()
            graph.load(data, manifest, files.shown(manifest))
            # Blank node ids hold no ':', so this keeps plugins named by an IRI.
            plugins = [
                subject
                for subject, node in graph.nodes.items()
                if ":" in subject and LV2 + "Plugin" in graph.iris(node, A)
            ]
            data_files = _data_files(graph, plugins, files)
            for path in data_files:
                if (data := files.read(path)) is not None:
                    graph.load(data, path, files.shown(path))
            found: list[Plugin | Preset] = [
                _plugin(graph, subject, bundle) for subject in sorted(plugins) if LV2 + "binary" in graph.node(subject)
            ]
            if settings.presets:
                found += _presets(graph, files, {manifest, *data_files}, bundle)
            # Freed while the collector is still paused: re-enabling it first would make
            # its next pass walk the whole graph once more (~0.1 s on lsp-plugins).
            del graph, plugins
        return found


class _BundleFiles:
    """Reads the files of one bundle, and nothing outside it.

    A file is read when its path, links followed, lands inside the bundle's own
    (resolved) folder on a regular file. Anything else is refused with one warning
    that names it relative to the bundle (`../../etc/passwd`), never by its content,
    which is never read.
    """

    def __init__(self, bundle: Path) -> None:
        # abspath, not absolute(): `..` must go, as it goes from the IRIs Turtle resolves.
        self.folder = Path(os.path.abspath(bundle))
        self.real = bundle.resolve()
        self.name = printable(bundle.name)

    def shown(self, path: Path) -> str:
        """How an error names a bundle file: `synth.lv2/synth.ttl`."""
        return f"{self.name}/{self._relative(path)}"

    def read(self, path: Path, limit: int | None = None) -> bytes | None:
        """The bytes of the file at `path` (at most `limit` of them), or None with a warning saying why not."""
        try:
            real = path.resolve()
            if not real.is_relative_to(self.real):
                why = "it is outside the bundle"
            else:
                with open(os.open(real, OPEN_FLAGS), "rb") as file:
                    if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                        why = "not a regular file"
                    elif limit is None:
                        return file.read()
                    elif len(data := file.read(limit + 1)) <= limit:
                        return data
                    else:
                        why = f"more than {limit:,} bytes"
        except FileNotFoundError:
            why = "no such file"
        except (OSError, RuntimeError, ValueError) as exc:  # no access, a link loop, a NUL in the name
            why = getattr(exc, "strerror", None) or "its name or links cannot be followed"
        self.refuse(path, why)
        return None

    def refuse(self, path: Path | str, why: str) -> None:
        """Log that a file named by the bundle is not read (a path, or an IRI that is none)."""
        what = self._relative(path) if isinstance(path, Path) else f"<{printable(path)}>"
        log.warning("%s: cannot read %s: %s", self.name, what, why)

    def _relative(self, path: Path) -> str:
        try:
            return printable(os.path.relpath(path, self.folder))
        except ValueError:  # on another drive (Windows)
            return printable(str(path))


def _data_files(graph: BundleGraph, subjects: list[str], files: _BundleFiles) -> list[Path]:
    """The files the manifest names (`rdfs:seeAlso`) for `subjects`, its plugins or its presets,
    once each (never the manifest itself, nor the files of UIs).

    A reference that is not a local file is refused here, once; the others are
    refused when read, once each too.
    """
    manifest = files.folder / "manifest.ttl"
    found: dict[Path, None] = {}
    elsewhere: dict[str, None] = {}
    for subject in subjects:
        for target in graph.node(subject).get(SEE_ALSO, ()):
            path = file_path(target.value)
            if path is None:
                elsewhere[target.value] = None
            elif path != manifest:
                found[path] = None
    for iri in elsewhere:
        files.refuse(iri, "not a local file")
    return list(found)


def _presets(graph: BundleGraph, files: _BundleFiles, loaded: set[Path], bundle: Path) -> list[Preset]:
    """The bundle's presets: one `Preset` per preset and plugin it applies to, by URI.

    As lilv finds them: a preset is typed `pset:Preset` and applies to a plugin in the manifest
    or a plugin's files (all in `graph`, read from `loaded`); its own `rdfs:seeAlso` files, read
    here, say its label, bank and values. A preset file that cannot be read or parsed is one
    warning; what was parsed before the error is kept, as lilv keeps it.
    """
    # One pass over every subject: ~12 ms CPU of lsp-plugins' ~1.7 s (54k subjects, no preset).
    uris = sorted(
        s for s, node in graph.nodes.items() if APPLIES_TO in node and ":" in s and PRESET in graph.iris(node, A)
    )
    if not uris:
        return []
    budget = MAX_PRESET_BYTES
    paths = [path for path in _data_files(graph, uris, files) if path not in loaded]
    if len(paths) > MAX_PRESET_FILES:
        log.warning("%s: more than %d preset files: the first %d are read", files.name, *(MAX_PRESET_FILES,) * 2)
    for path in paths[:MAX_PRESET_FILES]:
        if (data := files.read(path, budget)) is not None:
            budget -= len(data)
            try:
                graph.load(data, path, files.shown(path))
            except PluginaryError as exc:
                log.warning("%s: %s (its presets keep what was read before)", exc.where, exc.what)
    records = (
        _preset(graph, uri, plugin, bundle)
        for uri in uris
        for plugin in sorted(graph.iris(graph.node(uri), APPLIES_TO))
    )
    presets = list(itertools.islice(records, MAX_PRESETS + 1))  # never more built than kept
    if len(presets) > MAX_PRESETS:
        log.warning("%s: more than %d presets: the first %d are kept", files.name, *(MAX_PRESETS,) * 2)
    return presets[:MAX_PRESETS]


def _preset(graph: BundleGraph, uri: str, plugin: str, bundle: Path) -> Preset:
    """One preset of one plugin. Its label is kept as the bundle wrote it (control characters
    included): escaping is for whoever prints it."""
    node = graph.node(uri)
    return Preset(
        id=uri,
        name=(graph.text(node, LABEL) or _last_part(uri))[:TEXT_LIMIT],
        plugin_id=f"lv2:{plugin}",
        format="lv2",
        source=PresetSource.BUNDLE,
        path=str(bundle),
        bank=_bank(graph, node)[:TEXT_LIMIT],
        author=_author(graph, node)[:TEXT_LIMIT],
        description=graph.text(node, RDFS + "comment").strip()[:DESCRIPTION_LIMIT],
        values=_values(graph, uri, node),
    )


def _bank(graph: BundleGraph, node: Node) -> str:
    """The label of the preset's first `pset:bank` (a named bank, or a `[ rdfs:label … ]`)."""
    if not (banks := node.get(BANK)):
        return ""
    return graph.text(graph.node(banks[0].value), LABEL) or (
        _last_part(banks[0].value) if graph.is_iri(banks[0]) else ""
    )


def _last_part(uri: str) -> str:
    """What names a preset or bank that has no label: the end of its URI
    (`urn:x:warm`, `http://x/synth#warm` → `warm`; `file:///…/Warm%20Pad.ttl` → `Warm Pad`)."""
    from urllib.parse import unquote

    last = re.split("[/#:]", uri.rstrip("/#:"))[-1]
    return unquote(last).removesuffix(".ttl") or uri


def _author(graph: BundleGraph, node: Node) -> str:
    """`dcterms:creator` (a name, or someone with a foaf:name), else its first named doap:maintainer."""
    if name := graph.text(node, DCTERMS + "creator"):
        return name
    for creator in node.get(DCTERMS + "creator", ()):
        if name := graph.text(graph.node(creator.value), FOAF + "name"):
            return name
    return graph.text(_maintainer(graph, node, NOTHING), FOAF + "name")


def _values(graph: BundleGraph, uri: str, node: Node) -> tuple[tuple[str, float], ...]:
    """The (port symbol, value) pairs the preset sets, in file order; the first value wins for a
    symbol given twice, and values that are not numbers (a state path, "nan") are left out."""
    ports = node.get(LV2 + "port", ())
    if len(ports) > MAX_PRESET_VALUES:
        log.warning("<%s>: more than %d port values: the first %d are kept", printable(uri), *(MAX_PRESET_VALUES,) * 2)
    values: dict[str, float] = {}
    for port in ports[:MAX_PRESET_VALUES]:
        port_node = graph.node(port.value)
        symbol = graph.text(port_node, SYMBOL)
        if symbol and (value := graph.finite_number(port_node, PRESET_VALUE)) is not None:
            values.setdefault(symbol, value)
    return tuple(values.items())


def _plugin(graph: BundleGraph, uri: str, bundle: Path) -> Plugin:
    node = graph.node(uri)
    ports = [_Port(graph, port.value) for port in node.get(LV2 + "port", ())]
    io = IO(
        audio_inputs=sum(p.is_audio and p.is_input and not p.is_side_chain for p in ports),
        audio_outputs=sum(p.is_audio and p.is_output and not p.is_side_chain for p in ports),
        midi_inputs=sum(p.is_midi and p.is_input for p in ports),
        midi_outputs=sum(p.is_midi and p.is_output for p in ports),
        aux_inputs=sum(p.is_audio and p.is_input and p.is_side_chain for p in ports),
        aux_outputs=sum(p.is_audio and p.is_output and p.is_side_chain for p in ports),
    )
    is_instrument = _is_instrument(graph, node)
    project = _project(graph, node)
    maintainer = _maintainer(graph, node, project)
    parameters, outputs = _controls(graph, node, ports)
    return Plugin(
        id=f"lv2:{uri}",
        format="lv2",
        name=graph.text(node, DOAP + "name") or uri,
        path=str(bundle),
        vendor=graph.text(maintainer, FOAF + "name"),
        version=_version(node),
        native_categories=_classes(graph, node),
        is_instrument=is_instrument,
        # LV2 has no "effect" class: an effect is what takes audio in and is no instrument
        # (generators, MIDI utilities and instruments are not).
        is_effect=not is_instrument and bool(io.audio_inputs),
        io=io,
        parameters=parameters,
        outputs=outputs,
        reader=READER,
        url=_link(node, DOAP + "homepage") or _link(project, DOAP + "homepage") or _link(maintainer, FOAF + "homepage"),
        description=graph.text(node, RDFS + "comment").strip(),
    )


def _classes(graph: BundleGraph, node: Node) -> tuple[str, ...]:
    """The plugin's LV2 classes: `lv2:XxxPlugin` for core ones, full URIs for others."""
    return tuple(
        sorted(
            "lv2:" + iri.removeprefix(LV2) if iri.startswith(LV2) else iri for iri in graph.iris(node, A) - NOT_CLASSES
        )
    )


def _is_instrument(graph: BundleGraph, node: Node) -> bool:
    """True for lv2:InstrumentPlugin or a class the bundle declares a subclass of it."""
    seen: set[str] = set()
    todo = list(graph.iris(node, A))
    while todo:
        iri = todo.pop()
        if iri == LV2 + "InstrumentPlugin":
            return True
        if iri not in seen:
            seen.add(iri)
            todo += graph.iris(graph.node(iri), RDFS + "subClassOf")
    return False


def _project(graph: BundleGraph, node: Node) -> Node:
    """The plugin's lv2:project (a suite such as x42-plugins), where it names one."""
    projects = node.get(LV2 + "project", ())
    return graph.node(projects[0].value) if projects else NOTHING


def _maintainer(graph: BundleGraph, node: Node, project: Node) -> Node:
    """The first named maintainer of the plugin, or else of its project (as lilv finds the author)."""
    for owner in (node, project):
        for term in owner.get(DOAP + "maintainer", ()):
            maintainer = graph.node(term.value)
            if graph.text(maintainer, FOAF + "name"):
                return maintainer
    return NOTHING


def _link(node: Node, predicate: str) -> str:
    """The first web address given by `predicate`: only http(s), the catalogue shows it as a link."""
    return next((t.value for t in node.get(predicate, ()) if t.value.startswith(("https://", "http://"))), "")


def _version(node: Node) -> str:
    """The version as minor.micro: an LV2 plugin's major version is part of its URI."""
    minor = number(node, LV2 + "minorVersion")
    micro = number(node, LV2 + "microVersion")
    if minor is None:
        return ""
    return f"{int(minor)}.{int(micro or 0)}"


class _Port:
    """What the Plugin needs to know of one lv2:port."""

    __slots__ = (
        "index",
        "is_audio",
        "is_control",
        "is_input",
        "is_midi",
        "is_output",
        "is_side_chain",
        "node",
        "types",
    )

    def __init__(self, graph: BundleGraph, id: str) -> None:
        node = self.node = graph.node(id)
        index = number(node, INDEX)
        self.index = int(index) if index is not None else -1
        types = self.types = graph.iris(node, A)
        self.is_input = INPUT_PORT in types
        self.is_output = OUTPUT_PORT in types
        self.is_audio = AUDIO_PORT in types
        self.is_control = CONTROL_PORT in types
        # Only audio ports are asked: most ports are controls, and this is a set per port.
        self.is_side_chain = self.is_audio and SIDE_CHAIN in graph.iris(node, PORT_PROPERTY)
        self.is_midi = (
            (ATOM_PORT in types and MIDI_EVENT in graph.iris(node, ATOM + "supports"))
            or (EVENT_PORT in types and MIDI_EVENT in graph.iris(node, EVENT + "supportsEvent"))
            or OLD_MIDI_PORT in types
        )


def _controls(graph: BundleGraph, plugin: Node, ports: list[_Port]) -> tuple[tuple[Parameter, ...], ...]:
    """The parameters and the outputs (meters): control ports by index, then patch properties.

    Control inputs are parameters and control outputs are outputs; a port without an
    index is malformed and left out. patch:writable properties are parameters and
    patch:readable ones (not also writable) outputs, numbered after the last port, in
    IRI order; those whose value is not a number (a file path, a string) are left out.
    """
    parameters: list[Parameter] = []
    outputs: list[Parameter] = []
    for port in sorted(ports, key=lambda p: p.index):
        if port.is_control and port.index >= 0 and (port.is_input or port.is_output):
            symbol, name = graph.text(port.node, SYMBOL), graph.text(port.node, NAME)
            control = _control(graph, symbol, port.node, port.index, name, ParameterKind.FLOAT, port.is_output)
            (outputs if port.is_output else parameters).append(control)
    next_index = max((p.index for p in ports), default=-1) + 1
    writable = {term.value for term in plugin.get(PATCH + "writable", ())}
    readable = {term.value for term in plugin.get(PATCH + "readable", ())} - writable
    for iri in sorted(writable) + sorted(readable):
        node = graph.node(iri)
        kind = next((RANGE_KINDS[r] for r in graph.iris(node, RDFS + "range") if r in RANGE_KINDS), None)
        if kind is not None:
            name = graph.text(node, LABEL) or graph.text(node, NAME)
            control = _control(graph, iri, node, next_index, name, kind, iri not in writable)
            (parameters if iri in writable else outputs).append(control)
            next_index += 1
    return tuple(parameters), tuple(outputs)


def _control(
    graph: BundleGraph, id: str, node: Node, index: int, name: str, kind: ParameterKind, output: bool
) -> Parameter:
    """A control port or patch property: range, units, kind, steps, labels and flags.

    `id` is the port's symbol or the property's IRI. `kind` is what the value type
    says (FLOAT for a control port); properties refine it: toggled → BOOL,
    enumeration with scale points → CHOICE, integer → INT. `num_steps` counts the
    values a stepped control can take. An output (a meter) is never automatable.
    """
    props = graph.iris(node, PORT_PROPERTY)
    minimum = number(node, MINIMUM)
    maximum = number(node, MAXIMUM)
    points = _scale_points(graph, node)
    if TOGGLED in props:
        kind = ParameterKind.BOOL
    elif ENUMERATION in props and points:
        kind = ParameterKind.CHOICE
    elif INTEGER in props:
        kind = ParameterKind.INT
    num_steps: int | None = None
    choices: tuple[str, ...] = ()
    if kind is ParameterKind.BOOL:
        num_steps = 2
    elif kind is ParameterKind.CHOICE:
        num_steps, choices = len(points), points
    elif kind is ParameterKind.INT and minimum is not None and maximum is not None and maximum >= minimum:
        num_steps = math.floor(maximum) - math.ceil(minimum) + 1
        if points and num_steps <= MAX_LABELLED_STEPS:
            choices = points
    return Parameter(
        index=index,
        name=name or id,
        kind=kind,
        units=unit_symbol(graph, node),
        default=number(node, DEFAULT),
        minimum=minimum,
        maximum=maximum,
        num_steps=num_steps,
        choices=choices,
        automatable=not output and NOT_AUTOMATIC not in props,
        id=id,
        # lv2:enabled is the plugin's own bypass switch, the other way round (1: processing).
        # Most controls have no designation: skip building a set for them.
        flags=(ParameterFlag.BYPASS,) if DESIGNATION in node and ENABLED in graph.iris(node, DESIGNATION) else (),
    )


def _scale_points(graph: BundleGraph, node: Node) -> tuple[str, ...]:
    """The scale point labels, ordered by value (then label, for equal values)."""
    if not (terms := node.get(SCALE_POINT)):
        return ()  # most controls: skip building and sorting an empty list
    points = []
    for term in terms:
        point = graph.node(term.value)
        value = number(point, VALUE)
        if value is not None:
            points.append((value, graph.text(point, LABEL)))
    return tuple(label for _, label in sorted(points))
