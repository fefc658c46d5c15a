"""LV2: every plugin is described in Turtle, so scanning never loads a binary.

A bundle (`*.lv2` folder) lists its plugins in `manifest.ttl` (`<uri> a lv2:Plugin`),
with `rdfs:seeAlso` pointing at the files that describe them. This reads exactly
those files, as lilv does, and builds one `Plugin` per plugin that has its
`lv2:binary` in this bundle: a bundle that only adds data about a plugin installed
elsewhere (presets, extra descriptions) gives nothing, so each plugin's identity
comes from the bundle that holds its code.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import sysconfig
from pathlib import Path
from typing import ClassVar

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import IO, Parameter, ParameterKind, Plugin
from pluginary.formats.lv2_turtle import (
    ATOM,
    DOAP,
    EVENT,
    FOAF,
    LV2,
    MIDI,
    NOTHING,
    PATCH,
    PPROPS,
    RDF,
    RDFS,
    SEE_ALSO,
    A,
    BundleGraph,
    Node,
    file_path,
    gc_paused,
    number,
    unit_symbol,
)

log = logging.getLogger(__name__)

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
INDEX, NAME, PORT_PROPERTY, SCALE_POINT = (LV2 + n for n in ("index", "name", "portProperty", "scalePoint"))
MINIMUM, MAXIMUM, DEFAULT = (LV2 + n for n in ("minimum", "maximum", "default"))
INPUT_PORT, OUTPUT_PORT, AUDIO_PORT, CONTROL_PORT = (
    LV2 + n for n in ("InputPort", "OutputPort", "AudioPort", "ControlPort")
)
ATOM_PORT, EVENT_PORT = ATOM + "AtomPort", EVENT + "EventPort"
TOGGLED, ENUMERATION, INTEGER = (LV2 + n for n in ("toggled", "enumeration", "integer"))
NOT_AUTOMATIC = PPROPS + "notAutomatic"
VALUE, LABEL = RDF + "value", RDFS + "label"


class LV2Format:
    """The LV2 plugin format (Linux, macOS, Windows)."""

    name: ClassVar[str] = "lv2"
    bundle_suffixes: ClassVar[tuple[str, ...]] = (".lv2",)

    def default_roots(self) -> list[Path]:
        """`LV2_PATH` first, then this platform's standard folders (which may not exist).

        Hosts use LV2_PATH *instead of* the standard folders; a catalogue wants every
        installed plugin, so here it only comes first.
        """
        roots = [Path(p).expanduser() for p in os.environ.get("LV2_PATH", "").split(os.pathsep) if p]
        home = Path.home()
        if sys.platform == "darwin":
            roots += [home / "Library/Audio/Plug-Ins/LV2", Path("/Library/Audio/Plug-Ins/LV2")]
        elif sys.platform == "win32":
            roots += [Path(os.environ[var]) / "LV2" for var in ("APPDATA", "COMMONPROGRAMFILES") if os.environ.get(var)]
        else:
            roots += [home / ".lv2", Path("/usr/local/lib/lv2"), Path("/usr/lib/lv2")]
            if multiarch := sysconfig.get_config_var("MULTIARCH"):
                roots.append(Path("/usr/lib") / multiarch / "lv2")
            roots.append(Path("/usr/lib64/lv2"))  # Fedora, openSUSE
        return list(dict.fromkeys(roots))

    def signature_files(self, bundle: Path) -> list[Path]:
        """Every Turtle file and shared library directly in the bundle (sorted).

        Listing the folder is cheaper than parsing the manifest for `lv2:binary`,
        and catches edits to files the manifest does not (yet) name.
        """
        suffixes = {".ttl", ".so", ".dylib", ".dll"}
        return sorted(p for p in bundle.iterdir() if p.suffix in suffixes and p.is_file())

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        """Every plugin whose binary this bundle holds, read from Turtle only."""
        manifest = bundle / "manifest.ttl"
        if not manifest.is_file():
            return []
        with gc_paused():
            graph = BundleGraph()
            graph.load(manifest)
            # Blank node ids hold no ':', so this keeps plugins named by an IRI.
            plugins = [
                subject
                for subject, node in graph.nodes.items()
                if ":" in subject and LV2 + "Plugin" in graph.iris(node, A)
            ]
            for path in _data_files(graph, plugins, manifest):
                graph.load(path)
            found = [
                _plugin(graph, subject, bundle) for subject in sorted(plugins) if LV2 + "binary" in graph.node(subject)
            ]
            # Freed while the collector is still paused: re-enabling it first would make
            # its next pass walk the whole graph once more (~0.1 s on lsp-plugins).
            del graph, plugins
        return found


def _data_files(graph: BundleGraph, plugins: list[str], manifest: Path) -> list[Path]:
    """The files the manifest names for its plugins (not UIs, not presets), once each."""
    files: dict[Path, None] = {}
    for plugin in plugins:
        for target in graph.node(plugin).get(SEE_ALSO, ()):
            path = file_path(target.value)
            if path is None or path == manifest.absolute():
                continue
            if path.is_file():
                files[path] = None
            else:
                # lilv warns and goes on; the plugin is still listed with what is known.
                log.warning("%s: rdfs:seeAlso names a missing file %s", manifest, path)
    return list(files)


def _plugin(graph: BundleGraph, uri: str, bundle: Path) -> Plugin:
    node = graph.node(uri)
    ports = [_Port(graph, port.value) for port in node.get(LV2 + "port", ())]
    io = IO(
        audio_inputs=sum(p.is_audio and p.is_input for p in ports),
        audio_outputs=sum(p.is_audio and p.is_output for p in ports),
        midi_inputs=sum(p.is_midi and p.is_input for p in ports),
        midi_outputs=sum(p.is_midi and p.is_output for p in ports),
    )
    is_instrument = _is_instrument(graph, node)
    return Plugin(
        id=f"lv2:{uri}",
        format="lv2",
        name=graph.text(node, DOAP + "name") or uri,
        path=str(bundle),
        vendor=_vendor(graph, node),
        version=_version(node),
        native_categories=_classes(graph, node),
        is_instrument=is_instrument,
        # LV2 has no "effect" class: an effect is what takes audio in and is no instrument
        # (generators, MIDI utilities and instruments are not).
        is_effect=not is_instrument and bool(io.audio_inputs),
        io=io,
        parameters=_parameters(graph, node, ports),
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


def _vendor(graph: BundleGraph, node: Node) -> str:
    """The maintainer's name, from the plugin or else its lv2:project (as lilv reads it)."""
    projects = node.get(LV2 + "project", ())
    for owner in (node, graph.node(projects[0].value) if projects else NOTHING):
        for maintainer in owner.get(DOAP + "maintainer", ()):
            if name := graph.text(graph.node(maintainer.value), FOAF + "name"):
                return name
    return ""


def _version(node: Node) -> str:
    """The version as minor.micro: an LV2 plugin's major version is part of its URI."""
    minor = number(node, LV2 + "minorVersion")
    micro = number(node, LV2 + "microVersion")
    if minor is None:
        return ""
    return f"{int(minor)}.{int(micro or 0)}"


class _Port:
    """What the Plugin needs to know of one lv2:port."""

    __slots__ = ("id", "index", "is_audio", "is_input", "is_midi", "is_output", "node", "types")

    def __init__(self, graph: BundleGraph, id: str) -> None:
        self.id = id
        node = self.node = graph.node(id)
        index = number(node, INDEX)
        self.index = int(index) if index is not None else -1
        types = self.types = graph.iris(node, A)
        self.is_input = INPUT_PORT in types
        self.is_output = OUTPUT_PORT in types
        self.is_audio = AUDIO_PORT in types
        self.is_midi = (
            (ATOM_PORT in types and MIDI_EVENT in graph.iris(node, ATOM + "supports"))
            or (EVENT_PORT in types and MIDI_EVENT in graph.iris(node, EVENT + "supportsEvent"))
            or OLD_MIDI_PORT in types
        )


def _parameters(graph: BundleGraph, plugin: Node, ports: list[_Port]) -> tuple[Parameter, ...]:
    """Control input ports by index, then patch:writable parameters numbered after them."""
    parameters = [
        _control(graph, port.id, port.node, port.index, graph.text(port.node, NAME), ParameterKind.FLOAT)
        for port in sorted(ports, key=lambda p: p.index)
        # Only control inputs are parameters; a port without an index is malformed.
        if port.is_input and CONTROL_PORT in port.types and port.index >= 0
    ]
    next_index = max((p.index for p in ports), default=-1) + 1
    for iri in sorted(term.value for term in plugin.get(PATCH + "writable", ())):
        node = graph.node(iri)
        kind = next((RANGE_KINDS[r] for r in graph.iris(node, RDFS + "range") if r in RANGE_KINDS), None)
        if kind is not None:
            name = graph.text(node, LABEL) or graph.text(node, NAME)
            parameters.append(_control(graph, iri, node, next_index, name, kind))
            next_index += 1
    return tuple(parameters)


def _control(graph: BundleGraph, id: str, node: Node, index: int, name: str, kind: ParameterKind) -> Parameter:
    """A control port or patch parameter: range, units, kind, steps and labels.

    `kind` is what the value type says (FLOAT for a control port); properties
    refine it: toggled → BOOL, enumeration with scale points → CHOICE, integer →
    INT. `num_steps` counts the values a stepped control can take.
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
        name=name or graph.text(node, LV2 + "symbol") or id,
        kind=kind,
        units=unit_symbol(graph, node),
        default=number(node, DEFAULT),
        minimum=minimum,
        maximum=maximum,
        num_steps=num_steps,
        choices=choices,
        automatable=NOT_AUTOMATIC not in props,
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
