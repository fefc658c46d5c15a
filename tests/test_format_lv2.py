"""The LV2 format: real Debian plugins checked against lilv, and handwritten bundles.

lilv (through `lv2ls` / `lv2info`) is the reference: it is what LV2 hosts use. Its
text output gives names, authors, port ranges, properties and scale points; its
`-p` Turtle dump of one plugin (lilv's merged view of every file it read) gives
classes, versions, units and MIDI support.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

import attrs
import pytest

from pluginary.core.errors import PluginaryError
from pluginary.core.interfaces import PluginFormat, ScanSettings
from pluginary.core.models import IO, Parameter, ParameterFlag, ParameterKind, Plugin
from pluginary.formats.lv2 import LV2Format
from tests.lv2gen import write_bundles
from tests.support import need

# Slow (every installed LV2 bundle against lilv's lv2info): left out by `pytest -m "not slow"`.
pytestmark = pytest.mark.slow

LV2 = "http://lv2plug.in/ns/lv2core#"
UNITS = "http://lv2plug.in/ns/extensions/units#"
#: The misspelt units namespace old plugins use (swh, invada); hosts read it as UNITS.
OLD_UNITS = "http://lv2plug.in/ns/extension/units#"
#: units:symbol of every unit in the LV2 units vocabulary (units.ttl).
SPEC_SYMBOLS = {
    "s": "s", "ms": "ms", "min": "min", "bar": "bars", "beat": "beats", "frame": "frames",
    "m": "m", "cm": "cm", "mm": "mm", "km": "km", "inch": "in", "mile": "mi", "db": "dB",
    "pc": "%", "coef": "", "hz": "Hz", "khz": "kHz", "mhz": "MHz", "bpm": "BPM", "oct": "oct",
    "cent": "ct", "semitone12TET": "semi", "degree": "deg", "midiNote": "note",
}  # fmt: skip
# Plugins only: tests/test_presets_lv2.py checks the presets bundles carry.
SETTINGS = ScanSettings(presets=False)
UNKNOWN = "?"


def need_lilv() -> None:
    need(
        shutil.which("lv2ls") and Path("/usr/lib/lv2").exists(),
        "needs Debian's LV2 plugins and lilv-utils "
        "(apt-get install lsp-plugins-lv2 zam-plugins lv2-examples lilv-utils)",
    )


def lilv_env(lv2_path: str | None) -> dict[str, str]:
    """lilv's environment: C locale (untranslated names), LV2_PATH as given or unset."""
    env = {k: v for k, v in os.environ.items() if k != "LV2_PATH"}
    env.update(LANG="C", LC_ALL="C")
    if lv2_path is not None:
        env["LV2_PATH"] = lv2_path
    return env


def lv2ls(env: dict[str, str]) -> set[str]:
    return set(subprocess.run(["lv2ls"], env=env, capture_output=True, text=True, check=True).stdout.split())


def scan_roots(roots: list[Path]) -> dict[str, Plugin]:
    """Scan every bundle in the given folders, as discover + scan would."""
    plugins: dict[str, Plugin] = {}
    for root in roots:
        if root.is_dir():
            for bundle in sorted(root.iterdir()):
                if bundle.suffix == ".lv2" and bundle.is_dir():
                    plugins.update((p.id, p) for p in LV2Format().scan(bundle, SETTINGS))
    return plugins


# --- lilv's view of one plugin ---------------------------------------------------------


@attrs.frozen
class LilvPort:
    index: int
    fields: dict[str, list[str]]  # "Type", "Name", "Minimum", "Properties", … as lv2info prints them
    scale_points: list[tuple[float, str]]

    def number(self, key: str) -> float | None:
        return float(self.fields[key][0]) if key in self.fields else None


@attrs.frozen
class LilvPlugin:
    name: str
    author: str
    homepages: set[str]  # the plugin's doap:homepage, else its author's (lilv has no project's)
    comments: set[str]  # the plugin's rdfs:comment
    ports: dict[int, LilvPort]
    types: set[str]
    version: str
    units: dict[int, str]  # port index → unit IRI, "symbol:<x>" for a custom unit, or UNKNOWN
    labels: dict[int, dict[float, set[str]]]  # port index → scale point value → every label it has
    midi_ports: set[int]


def parse_lv2info(text: str) -> tuple[dict[str, list[str]], dict[int, LilvPort]]:
    """lv2info's text: the plugin's "Key: value…" header and its port blocks."""
    header: dict[str, list[str]] = {}
    ports: dict[int, LilvPort] = {}
    fields: dict[str, list[str]] = {}
    points: list[tuple[float, str]] = []
    key = ""
    for line in text.splitlines():
        if m := re.fullmatch(r"\tPort (\d+):", line):
            fields, points = {}, []
            ports[int(m[1])] = LilvPort(int(m[1]), fields, points)
        elif not ports:
            if m := re.fullmatch(r"\t([A-Z][A-Za-z ]*):\s*(.*)", line):
                key = m[1]
                header[key] = [m[2]]
            elif m := re.fullmatch(r"\t\s+(\S.*)", line):
                header[key].append(m[1])
        elif m := re.fullmatch(r'\t\t\t(\S+) = "(.*)"', line):
            points.append((float(m[1]), m[2]))
        elif m := re.fullmatch(r"\t\t([A-Z][A-Za-z ]*):\s*(.*)", line):
            key = m[1]
            fields[key] = [m[2]] if m[2] else []
        elif m := re.fullmatch(r"\t\t\s+(\S.*)", line):
            fields[key].append(m[1])
    return header, ports


def read_lilv(uri: str, env: dict[str, str], dump: Path) -> LilvPlugin:
    from pyoxigraph import BlankNode, NamedNode, QuerySolutions, RdfFormat, Store

    # With -p, lv2info writes the Turtle and prints nothing: two runs.
    text = subprocess.run(["lv2info", uri], env=env, capture_output=True, text=True, check=True).stdout
    dump.unlink(missing_ok=True)
    subprocess.run(["lv2info", "-p", str(dump), uri], env=env, capture_output=True, check=True)
    header, ports = parse_lv2info(text)
    store = Store()
    store.load(path=dump, format=RdfFormat.TURTLE, base_iri=dump.as_uri())

    def select(query: str, source: Store = store) -> list[list[Any]]:
        prefixes = (
            f"PREFIX lv2: <{LV2}> PREFIX units: <{UNITS}> PREFIX ounits: <{OLD_UNITS}> "
            "PREFIX atom: <http://lv2plug.in/ns/ext/atom#> PREFIX midi: <http://lv2plug.in/ns/ext/midi#> "
            "PREFIX doap: <http://usefulinc.com/ns/doap#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        )
        solutions = source.query(prefixes + query.replace("PLUGIN", f"<{uri}>"))
        assert isinstance(solutions, QuerySolutions)
        return [list(row) for row in solutions]

    units: dict[int, str] = {}
    for index, unit, symbol in select(
        "SELECT ?i ?u ?s WHERE { PLUGIN lv2:port ?p . ?p lv2:index ?i ; units:unit|ounits:unit ?u . "
        "OPTIONAL { ?u units:symbol|ounits:symbol ?s } }"
    ):
        name = unit.value.removeprefix(UNITS).removeprefix(OLD_UNITS)
        if isinstance(unit, NamedNode) and name != unit.value and name in SPEC_SYMBOLS:
            units[int(index.value)] = SPEC_SYMBOLS[name]
        elif symbol is not None or isinstance(unit, BlankNode):
            units[int(index.value)] = symbol.value if symbol is not None else ""
        else:  # a named unit (a-eq's `units:hz0`): its description is not part of the plugin's dump
            units[int(index.value)] = UNKNOWN
    labels: dict[int, dict[float, set[str]]] = {}
    for index, value, label in select(
        "SELECT ?i ?v ?l WHERE { PLUGIN lv2:port ?p . ?p lv2:index ?i ; lv2:scalePoint ?s . "
        "?s rdf:value ?v ; rdfs:label ?l }"
    ):
        labels.setdefault(int(index.value), {}).setdefault(float(value.value), set()).add(label.value)
    versions = {
        name.value: int(value.value)
        for name, value in select("SELECT ?n ?v WHERE { PLUGIN ?p ?v . VALUES (?p ?n) "
                                  "{ (lv2:minorVersion 'minor') (lv2:microVersion 'micro') } }")
    }  # fmt: skip
    # lilv has no call for a project's homepage: read the files lilv read for this plugin.
    data = Store()
    for file in header["Data URIs"]:
        turtle = Path(url2pathname(file.removeprefix("file://"))).read_bytes().removeprefix(b"\xef\xbb\xbf")
        data.load(turtle, format=RdfFormat.TURTLE, base_iri=file)
    homepages = [
        {h.value for (h,) in select(f"SELECT ?h WHERE {{ PLUGIN {path} ?h }}", data) if h.value.startswith("http")}
        for path in ("doap:homepage", "lv2:project/doap:homepage")
    ]
    return LilvPlugin(
        name=header["Name"][0],
        author=header.get("Author", [""])[0],
        homepages=homepages[0] or homepages[1] or {header.get("Author Homepage", [""])[0]},
        comments={c.value.strip() for (c,) in select("SELECT ?c WHERE { PLUGIN rdfs:comment ?c }")} or {""},
        ports=ports,
        types={t.value for (t,) in select("SELECT ?t WHERE { PLUGIN a ?t }")},
        version=f"{versions['minor']}.{versions.get('micro', 0)}" if "minor" in versions else "",
        units=units,
        labels=labels,
        midi_ports={
            int(i.value)
            for (i,) in select(
                "SELECT ?i WHERE { PLUGIN lv2:port ?p . ?p lv2:index ?i ; atom:supports midi:MidiEvent }"
            )
        },
    )


def expected_parameter(port: LilvPort, unit: str | None, *, output: bool = False) -> Parameter:
    """What a control port must become, from lilv's facts (`unit`: its symbol, if any)."""
    props = {p.removeprefix(LV2) for p in port.fields.get("Properties", [])}
    labels = tuple(label for _, label in sorted(port.scale_points))
    lo, hi = port.number("Minimum"), port.number("Maximum")
    kind, steps, choices = ParameterKind.FLOAT, None, tuple[str, ...]()
    if "toggled" in props:
        kind, steps = ParameterKind.BOOL, 2
    elif "enumeration" in props and labels:
        kind, steps, choices = ParameterKind.CHOICE, len(labels), labels
    elif "integer" in props:
        kind = ParameterKind.INT
        if lo is not None and hi is not None:
            steps = math.floor(hi) - math.ceil(lo) + 1
            choices = labels if steps <= 128 else ()
    return Parameter(
        index=port.index,
        name=port.fields["Name"][0],
        kind=kind,
        units=unit or "",
        default=port.number("Default"),
        minimum=lo,
        maximum=hi,
        num_steps=steps,
        choices=choices,
        automatable=not output and "http://lv2plug.in/ns/ext/port-props#notAutomatic" not in props,
        id=port.fields["Symbol"][0],
        flags=(ParameterFlag.BYPASS,) if port.fields.get("Designation") == [LV2 + "enabled"] else (),
    )


def close(a: float | None, b: float | None) -> bool:
    """lv2info prints floats as %f of a 32-bit float."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def differences(plugin: Plugin, lilv: LilvPlugin) -> list[str]:
    """Every way `plugin` disagrees with lilv's view of it, as readable lines."""
    out = []

    def check(what: str, ours: object, theirs: object) -> None:
        if ours != theirs:
            out.append(f"{plugin.id} {what}: ours {ours!r}, lilv {theirs!r}")

    check("name", plugin.name, lilv.name)
    check("vendor", plugin.vendor, lilv.author)
    check("version", plugin.version, lilv.version)
    classes = {
        "lv2:" + t.removeprefix(LV2) if t.startswith(LV2) else t
        for t in lilv.types - {LV2 + "Plugin", "http://usefulinc.com/ns/doap#Project"}
    }
    check("classes", set(plugin.native_categories), classes)

    for what, text, texts in (("url", plugin.url, lilv.homepages), ("description", plugin.description, lilv.comments)):
        if text not in texts:
            out.append(f"{plugin.id} {what}: ours {text!r}, lilv one of {sorted(texts)!r}")

    def has(port: LilvPort, *types: str) -> bool:
        return all(LV2 + t in port.fields["Type"] for t in types)

    def count(*types: str, among: set[int] | None = None, side_chain: bool | None = None) -> int:
        return sum(
            has(p, *types)
            and (among is None or p.index in among)
            and (side_chain is None or side_chain == (LV2 + "isSideChain" in p.fields.get("Properties", [])))
            for p in lilv.ports.values()
        )

    check(
        "io",
        plugin.io,
        IO(
            audio_inputs=count("AudioPort", "InputPort", side_chain=False),
            audio_outputs=count("AudioPort", "OutputPort", side_chain=False),
            midi_inputs=count("InputPort", among=lilv.midi_ports),
            midi_outputs=count("OutputPort", among=lilv.midi_ports),
            aux_inputs=count("AudioPort", "InputPort", side_chain=True),
            aux_outputs=count("AudioPort", "OutputPort", side_chain=True),
        ),
    )
    for what, direction, ours_all in (
        ("control", "InputPort", plugin.parameters),
        ("output", "OutputPort", plugin.outputs),
    ):
        controls = [p for p in lilv.ports.values() if has(p, "ControlPort", direction)]
        ours = {p.index: p for p in ours_all if p.index in lilv.ports}
        check(f"{what} ports", sorted(ours), sorted(p.index for p in controls))
        for port in controls:
            expected = expected_parameter(port, lilv.units.get(port.index), output=direction == "OutputPort")
            got = ours.get(port.index)
            if got is None:
                continue
            if lilv.units.get(port.index) == UNKNOWN:
                expected = attrs.evolve(expected, units=got.units)
            if expected.choices and len(got.choices) == len(expected.choices):
                # A scale point may carry several labels (gxtuner's "G6", "Modal G"); lv2info
                # prints one of them, any is right.
                alternatives = lilv.labels.get(port.index, {})
                expected = attrs.evolve(expected, choices=tuple(
                    mine if mine in alternatives.get(value, ()) else theirs
                    for mine, (value, theirs) in zip(got.choices, sorted(port.scale_points), strict=True)
                ))  # fmt: skip
            for field in ("default", "minimum", "maximum"):
                mine, lilvs = getattr(got, field), getattr(expected, field)
                if not close(mine, lilvs):
                    out.append(f"{plugin.id} port {port.index} {field}: ours {mine}, lilv {lilvs}")
            check(f"port {port.index}", attrs.evolve(got, default=None, minimum=None, maximum=None),
                  attrs.evolve(expected, default=None, minimum=None, maximum=None))  # fmt: skip
    return out


# --- real plugins ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def system_plugins() -> dict[str, Plugin]:
    need_lilv()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LV2_PATH", raising=False)
        return scan_roots(LV2Format().default_roots())


def test_lv2_format_is_a_plugin_format() -> None:
    assert isinstance(LV2Format(), PluginFormat)
    assert LV2Format.name == "lv2" and LV2Format.bundle_suffixes == (".lv2",)


def test_every_plugin_lv2ls_lists_comes_out(system_plugins: dict[str, Plugin]) -> None:
    listed = lv2ls(lilv_env(None))
    assert listed, "lv2ls lists no plugin"
    assert {pid.removeprefix("lv2:") for pid in system_plugins} == listed


def test_every_plugin_agrees_with_lv2info(system_plugins: dict[str, Plugin], tmp_path: Path) -> None:
    env = lilv_env(None)
    problems = []
    for uri in sorted(lv2ls(env)):
        problems += differences(system_plugins[f"lv2:{uri}"], read_lilv(uri, env, tmp_path / "dump.ttl"))
    assert not problems, "\n".join(problems[:40])


def test_real_plugins_cover_what_matters(system_plugins: dict[str, Plugin]) -> None:
    """The comparison above is only worth something if these kinds of data occur."""
    params = [p for plugin in system_plugins.values() for p in plugin.parameters]
    assert {p.kind for p in params} == set(ParameterKind)
    assert any(p.choices for p in params) and any(p.units == "dB" for p in params)
    assert any(plugin.vendor for plugin in system_plugins.values())
    assert any(plugin.io.midi_inputs for plugin in system_plugins.values())
    assert any(plugin.is_instrument for plugin in system_plugins.values())
    assert {plugin.reader for plugin in system_plugins.values()} == {"lv2-turtle"}
    assert all(p.id for p in params) and any(ParameterFlag.BYPASS in p.flags for p in params)
    assert any(plugin.outputs for plugin in system_plugins.values())
    assert any(plugin.io.aux_inputs for plugin in system_plugins.values())
    assert any(plugin.url for plugin in system_plugins.values())
    assert any(plugin.description for plugin in system_plugins.values())


# --- LV2_PATH and roots --------------------------------------------------------------------


def test_lv2_path_replaces_the_standard_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in lilv: with LV2_PATH set, hosts see only its folders, so the catalogue does too."""
    first, second = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("PLUGINARY_TEST_DIR", str(tmp_path))
    monkeypatch.setenv("LV2_PATH", f"{first}{os.pathsep}$PLUGINARY_TEST_DIR/b{os.pathsep}{first}{os.pathsep}")
    assert LV2Format().default_roots() == [first, second]
    monkeypatch.setenv("LV2_PATH", "")
    standard = LV2Format().default_roots()
    monkeypatch.delenv("LV2_PATH")
    assert LV2Format().default_roots() == standard
    if sys.platform.startswith("linux"):
        assert standard[:3] == [Path.home() / ".lv2", Path("/usr/local/lib/lv2"), Path("/usr/lib/lv2")]
        if multiarch := sysconfig.get_config_var("MULTIARCH"):
            assert Path("/usr/lib", multiarch, "lv2") in standard


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("darwin", [Path.home() / "Library/Audio/Plug-Ins/LV2", Path("/Library/Audio/Plug-Ins/LV2")]),
        ("win32", [Path("/users/me/AppData/Roaming/LV2"), Path("/Program Files/Common Files/LV2")]),
    ],
)
def test_standard_folders_of_other_platforms(
    platform: str, expected: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LV2_PATH", raising=False)
    monkeypatch.setenv("APPDATA", "/users/me/AppData/Roaming")
    monkeypatch.setenv("COMMONPROGRAMFILES", "/Program Files/Common Files")
    monkeypatch.setattr(sys, "platform", platform)
    assert LV2Format().default_roots() == expected


def test_lv2_path_bundles_match_lilv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_lilv()
    generated = write_bundles(tmp_path / "gen", bundles=6, plugins=3, ports=12)
    monkeypatch.setenv("LV2_PATH", str(tmp_path / "gen"))
    roots = LV2Format().default_roots()
    assert roots == [tmp_path / "gen"]
    ours = scan_roots(roots)
    assert lv2ls(lilv_env(str(tmp_path / "gen"))) == {p.removeprefix("lv2:") for p in ours} == set(generated.uris)
    env = lilv_env(str(tmp_path / "gen"))
    problems = []
    for uri in generated.uris[:4]:
        problems += differences(ours[f"lv2:{uri}"], read_lilv(uri, env, tmp_path / "dump.ttl"))
    assert not problems, "\n".join(problems)


def test_many_generated_bundles(tmp_path: Path) -> None:
    generated = write_bundles(tmp_path, bundles=30, plugins=4, ports=40)
    plugins = scan_roots([tmp_path])
    assert sorted(plugins) == sorted(f"lv2:{u}" for u in generated.uris)
    for plugin in plugins.values():
        assert [p.id for p in plugin.parameters] == [f"c{i}" for i in range(generated.controls_per_plugin)]
        # lv2gen writes toggles, enumerations, integers and floats with units in turn.
        assert [(p.kind, p.num_steps, p.units) for p in plugin.parameters[:4]] == [
            (ParameterKind.BOOL, 2, ""),
            (ParameterKind.CHOICE, 4, ""),
            (ParameterKind.INT, 16, ""),
            (ParameterKind.FLOAT, None, "%"),
        ]
        assert [(p.id, p.kind, p.units) for p in plugin.outputs] == [("latency", ParameterKind.INT, "frames")]
        assert plugin.io == IO(
            audio_inputs=2, audio_outputs=2, midi_inputs=1, midi_outputs=0, aux_inputs=0, aux_outputs=0
        )


# --- a handwritten bundle ------------------------------------------------------------------

PREFIXES = """\
@prefix atom:  <http://lv2plug.in/ns/ext/atom#> .
@prefix doap:  <http://usefulinc.com/ns/doap#> .
@prefix foaf:  <http://xmlns.com/foaf/0.1/> .
@prefix lv2:   <http://lv2plug.in/ns/lv2core#> .
@prefix midi:  <http://lv2plug.in/ns/ext/midi#> .
@prefix patch: <http://lv2plug.in/ns/ext/patch#> .
@prefix pp:    <http://lv2plug.in/ns/ext/port-props#> .
@prefix pset:  <http://lv2plug.in/ns/ext/presets#> .
@prefix rdf:   <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ui:    <http://lv2plug.in/ns/extensions/ui#> .
@prefix units: <http://lv2plug.in/ns/extensions/units#> .
"""

MANIFEST = """
<urn:pluginary:test:synth> a lv2:Plugin ;
    lv2:binary <synth.so> ;
    rdfs:seeAlso <synth.ttl> , <params%20file.ttl> .

# A UI with a binary of its own (as lsp-plugins writes it): not a plugin, and its
# file, broken on purpose, must not be read.
<urn:pluginary:test:synth#ui> a ui:X11UI ;
    lv2:binary <synth_ui.so> ;
    rdfs:seeAlso <ui.ttl> .

# Extra data about a plugin whose binary lives in another bundle: not this bundle's.
<urn:pluginary:test:elsewhere> a lv2:Plugin ;
    rdfs:seeAlso <elsewhere.ttl> .

<urn:pluginary:test:synth#preset> a pset:Preset ;
    lv2:appliesTo <urn:pluginary:test:synth> ;
    rdfs:seeAlso <presets.ttl> .
"""

SYNTH = """
<http://example.org/classes#Wobbler> rdfs:subClassOf lv2:InstrumentPlugin .

# Relative IRIs resolve against this file: <#project> is .../synth.ttl#project.
# The project's homepage is the plugin's; the maintainer's comes after it.
<#project> doap:homepage <https://example.org/synth> ;
    doap:maintainer [ foaf:name "Pluginary Tests" ; foaf:homepage <https://example.org/tests> ] .
<#tone> units:symbol "T" .

<urn:pluginary:test:synth>
    a lv2:GeneratorPlugin , <http://example.org/classes#Wobbler> , doap:Project ;
    doap:name "Test Synth" , "Synthé d'essai"@fr ;
    rdfs:comment '''
        A synth for tests.
    ''' ;
    lv2:project <#project> ;
    lv2:minorVersion 2 ;
    lv2:microVersion 7 ;
    patch:writable <urn:pluginary:test:synth#sample> , <urn:pluginary:test:synth#mode> ,
        <urn:pluginary:test:synth#cutoff> ;
    patch:readable <urn:pluginary:test:synth#peak> , <urn:pluginary:test:synth#cutoff> ;
    lv2:port [
        a lv2:InputPort , atom:AtomPort ;
        atom:bufferType atom:Sequence ;
        atom:supports midi:MidiEvent , patch:Message ;
        lv2:index 0 ; lv2:symbol "control" ; lv2:name "Control"
    ] , [
        a lv2:OutputPort , lv2:AudioPort ; lv2:index 1 ; lv2:symbol "out_l" ; lv2:name "Out L"
    ] , [
        a lv2:OutputPort , lv2:AudioPort ; lv2:index 2 ; lv2:symbol "out_r" ; lv2:name "Out R"
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 4 ; lv2:symbol "wave" ; lv2:name "Waveform" ;
        lv2:portProperty lv2:integer , lv2:enumeration ;
        lv2:default 1 ; lv2:minimum 0 ; lv2:maximum 2 ;
        lv2:scalePoint [ rdfs:label "Square" ; rdf:value 2 ] ,
                       [ rdfs:label "Sine" ; rdf:value 0 ] ,
                       [ rdfs:label "Saw" ; rdf:value 1 ]
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 3 ; lv2:symbol "hold" ; lv2:name "Hold" ;
        lv2:designation lv2:enabled ;
        lv2:portProperty lv2:toggled , pp:notAutomatic ;
        lv2:default 0 ; lv2:minimum 0 ; lv2:maximum 1
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 5 ; lv2:symbol "voices" ; lv2:name "Voices" ;
        lv2:portProperty lv2:integer ;
        lv2:default 4 ; lv2:minimum 1 ; lv2:maximum 8 ;
        lv2:scalePoint [ rdfs:label "Poly" ; rdf:value 8 ] , [ rdfs:label "Mono" ; rdf:value 1 ]
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 6 ; lv2:symbol "gain" ; lv2:name "Gain" ;
        units:unit units:db ;
        lv2:default -6.0 ; lv2:minimum -60.0 ; lv2:maximum 12.0
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 7 ; lv2:symbol "drive" ; lv2:name "Drive" ;
        units:unit [ a units:Unit ; rdfs:label "drive" ; units:symbol "x" ; units:render "%f x" ] ;
        lv2:default 1.5 ; lv2:minimum 1.0 ; lv2:maximum 10.0
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 8 ; lv2:symbol "tone" ; lv2:name "Tone" ;
        units:unit <#tone> ;
        lv2:default 0.5 ; lv2:minimum 0.0 ; lv2:maximum 1.0
    ] , [
        a lv2:OutputPort , lv2:ControlPort ; lv2:index 9 ; lv2:symbol "level" ; lv2:name "Level" ;
        units:unit units:db
    ] , [
        a lv2:OutputPort , lv2:ControlPort ; lv2:index 10 ; lv2:symbol "latency" ; lv2:name "Latency" ;
        lv2:portProperty lv2:reportsLatency , lv2:integer
    ] , [
        a lv2:InputPort , lv2:AudioPort ; lv2:index 12 ; lv2:symbol "side" ; lv2:name "Side" ;
        lv2:portProperty lv2:isSideChain
    ] , _:mix .

# A labelled blank node: params.ttl uses the same label for another node.
_:mix a lv2:InputPort , lv2:ControlPort ;
    lv2:index 11 ; lv2:symbol "mix" ; lv2:name "Mix" ;
    units:unit units:pc ;
    lv2:default 50 ; lv2:minimum 0 ; lv2:maximum 100 .
"""

PARAMS = """
<urn:pluginary:test:synth#cutoff> a lv2:Parameter ;
    rdfs:label "Cutoff" ;
    rdfs:range atom:Float ;
    units:unit units:hz ;
    lv2:default 1000.0 ; lv2:minimum 20.0 ; lv2:maximum 20000.0 .

<urn:pluginary:test:synth#mode> a lv2:Parameter ;
    rdfs:label "Mode" ;
    rdfs:range atom:Int ;
    lv2:portProperty lv2:enumeration ;
    lv2:default 0 ; lv2:minimum 0 ; lv2:maximum 1 ;
    lv2:scalePoint [ rdfs:label "Classic" ; rdf:value 0 ] , [ rdfs:label "Modern" ; rdf:value 1 ] .

# A file path has no place in the Parameter model.
<urn:pluginary:test:synth#sample> a lv2:Parameter ;
    rdfs:label "Sample" ;
    rdfs:range atom:Path .

<urn:pluginary:test:synth#peak> a lv2:Parameter ;
    rdfs:label "Peak" ;
    rdfs:range atom:Float ;
    units:unit units:db .

_:mix lv2:portProperty lv2:toggled .
"""

BYPASS = (ParameterFlag.BYPASS,)
EXPECTED_SYNTH = Plugin(
    id="lv2:urn:pluginary:test:synth",
    format="lv2",
    name="Test Synth",
    path="",  # set per test
    vendor="Pluginary Tests",
    version="2.7",
    native_categories=("http://example.org/classes#Wobbler", "lv2:GeneratorPlugin"),
    is_instrument=True,
    is_effect=False,
    io=IO(audio_inputs=0, audio_outputs=2, midi_inputs=1, midi_outputs=0, aux_inputs=1, aux_outputs=0),
    parameters=(
        Parameter(3, "Hold", ParameterKind.BOOL, "", 0, 0, 1, num_steps=2, automatable=False, id="hold", flags=BYPASS),
        Parameter(4, "Waveform", ParameterKind.CHOICE, "", 1, 0, 2, num_steps=3, choices=("Sine", "Saw", "Square"),
                  id="wave"),
        Parameter(5, "Voices", ParameterKind.INT, "", 4, 1, 8, num_steps=8, choices=("Mono", "Poly"), id="voices"),
        Parameter(6, "Gain", ParameterKind.FLOAT, "dB", -6, -60, 12, id="gain"),
        Parameter(7, "Drive", ParameterKind.FLOAT, "x", 1.5, 1, 10, id="drive"),
        Parameter(8, "Tone", ParameterKind.FLOAT, "T", 0.5, 0, 1, id="tone"),
        Parameter(11, "Mix", ParameterKind.FLOAT, "%", 50, 0, 100, id="mix"),
        # patch:writable parameters, numbered after the last port, in IRI order.
        Parameter(13, "Cutoff", ParameterKind.FLOAT, "Hz", 1000, 20, 20000, id="urn:pluginary:test:synth#cutoff"),
        Parameter(14, "Mode", ParameterKind.CHOICE, "", 0, 0, 1, num_steps=2, choices=("Classic", "Modern"),
                  id="urn:pluginary:test:synth#mode"),
    ),
    outputs=(
        Parameter(9, "Level", ParameterKind.FLOAT, "dB", automatable=False, id="level"),
        Parameter(10, "Latency", ParameterKind.INT, "", automatable=False, id="latency"),
        # patch:readable and not writable, numbered after the writable ones.
        Parameter(15, "Peak", ParameterKind.FLOAT, "dB", automatable=False, id="urn:pluginary:test:synth#peak"),
    ),
    reader="lv2-turtle",
    url="https://example.org/synth",
    description="A synth for tests.",
)  # fmt: skip


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The WARNING records of the scan: what the worker carries back with the bundle's result."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def write_bundle(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text if name.endswith(".so") else PREFIXES + text, encoding="utf-8")
    return folder


@pytest.fixture
def synth_bundle(tmp_path: Path) -> Path:
    return write_bundle(
        tmp_path / "lv2 folder" / "synth.lv2",
        {
            "manifest.ttl": MANIFEST,
            "synth.ttl": SYNTH,
            "params file.ttl": PARAMS,
            "ui.ttl": "this is not Turtle",
            "presets.ttl": "neither is this",
            "elsewhere.ttl": '<urn:pluginary:test:elsewhere> doap:name "Elsewhere" .',
            "synth.so": "",
        },
    )


def test_handwritten_bundle_gives_exactly_the_expected_plugin(
    synth_bundle: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert LV2Format().scan(synth_bundle, SETTINGS) == [attrs.evolve(EXPECTED_SYNTH, path=str(synth_bundle))]
    # UIs, presets and plugin data of other bundles are not read, so not complained about.
    assert warnings_logged(caplog) == []


def test_lilv_reads_the_handwritten_bundle_the_same_way(synth_bundle: Path, tmp_path: Path) -> None:
    need_lilv()
    env = lilv_env(str(synth_bundle.parent))
    (plugin,) = LV2Format().scan(synth_bundle, SETTINGS)
    lilv = read_lilv("urn:pluginary:test:synth", env, tmp_path / "dump.ttl")
    assert differences(plugin, lilv) == []


def test_a_relative_bundle_path_resolves_like_an_absolute_one(
    synth_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(synth_bundle.parent)
    (plugin,) = LV2Format().scan(Path(synth_bundle.name), SETTINGS)
    assert plugin == attrs.evolve(EXPECTED_SYNTH, path=synth_bundle.name)


def test_plugin_data_only_bundle_gives_nothing_its_binary_bundle_gives_it(tmp_path: Path) -> None:
    extra = write_bundle(
        tmp_path / "extra.lv2",
        {
            "manifest.ttl": "<urn:pluginary:test:synth> a lv2:Plugin ; rdfs:seeAlso <more.ttl> .",
            "more.ttl": '<urn:pluginary:test:synth> doap:name "Renamed" .',
        },
    )
    assert LV2Format().scan(extra, SETTINGS) == []


OLD_VOCABULARIES = """
@prefix ev:   <http://lv2plug.in/ns/ext/event#> .
@prefix ounits: <http://lv2plug.in/ns/extension/units#> .

<urn:pluginary:test:old> a lv2:Plugin ;
    lv2:binary <old.so> ;
    doap:name "Old" ;
    lv2:port [
        a lv2:InputPort , ev:EventPort ; ev:supportsEvent midi:MidiEvent ;
        lv2:index 0 ; lv2:symbol "events" ; lv2:name "Events"
    ] , [
        a lv2:OutputPort , <http://ll-plugins.nongnu.org/lv2/ext/MidiPort> ;
        lv2:index 1 ; lv2:symbol "midi_out" ; lv2:name "MIDI Out"
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 2 ; lv2:symbol "gain" ; lv2:name "Gain" ;
        ounits:unit ounits:db ; lv2:default 0 ; lv2:minimum -20 ; lv2:maximum 20
    ] , [
        a lv2:InputPort , lv2:ControlPort ; lv2:index 3 ; lv2:symbol "amount" ;
        ounits:unit [ ounits:symbol "q" ] ; lv2:default 1 ; lv2:minimum 0 ; lv2:maximum 2
    ] .
"""


def test_old_vocabularies_read_as_the_current_ones(tmp_path: Path) -> None:
    """The misspelt units namespace, event ports and lv2-midiport, as old plugins write them."""
    bundle = write_bundle(tmp_path / "old.lv2", {"manifest.ttl": OLD_VOCABULARIES})
    (plugin,) = LV2Format().scan(bundle, SETTINGS)
    assert plugin.io == IO(audio_inputs=0, audio_outputs=0, midi_inputs=1, midi_outputs=1, aux_inputs=0, aux_outputs=0)
    assert plugin.parameters == (
        Parameter(2, "Gain", ParameterKind.FLOAT, "dB", 0, -20, 20, id="gain"),
        # No lv2:name: the symbol names it.
        Parameter(3, "amount", ParameterKind.FLOAT, "q", 1, 0, 2, id="amount"),
    )


def test_binary_named_only_in_the_plugin_file_counts(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "late.lv2",
        {
            "manifest.ttl": "<urn:pluginary:test:late> a lv2:Plugin ; rdfs:seeAlso <late.ttl> .",
            "late.ttl": '<urn:pluginary:test:late> lv2:binary <late.so> ; doap:name "Late" .',
        },
    )
    (plugin,) = LV2Format().scan(bundle, SETTINGS)
    assert (plugin.id, plugin.name, plugin.parameters, plugin.io) == (
        "lv2:urn:pluginary:test:late",
        "Late",
        (),
        IO(0, 0, 0, 0, 0, 0),
    )


def test_broken_turtle_names_file_line_and_column(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "broken.lv2",
        {
            "manifest.ttl": "<urn:pluginary:test:b> a lv2:Plugin ; lv2:binary <b.so> ; rdfs:seeAlso <b.ttl> .",
            "b.ttl": '<urn:pluginary:test:b>\n    doap:name "B" ;\n    lv2:port [ lv2:index 0 \n]] .\n',
        },
    )
    # PREFIXES adds its own lines before the text.
    line = PREFIXES.count("\n") + 4
    with pytest.raises(PluginaryError, match=rf"b\.ttl:{line}:\d+: invalid Turtle: .+ — .*reinstall"):
        LV2Format().scan(bundle, SETTINGS)


@pytest.mark.parametrize(
    "text",
    [
        "<a> <b> .\n",
        # lilv rejects an IRI with a space too, and then lists nothing of the bundle.
        "<urn:pluginary:test:odd> a <http://lv2plug.in/ns/lv2core#Plugin> ; <urn:p> <http://example.org/a b> .\n",
    ],
    ids=["syntax", "iri"],
)
def test_broken_manifest_is_named(tmp_path: Path, text: str) -> None:
    (tmp_path / "m.lv2").mkdir()
    (tmp_path / "m.lv2" / "manifest.ttl").write_text(text)
    with pytest.raises(PluginaryError, match=r"manifest\.ttl:1:"):
        LV2Format().scan(tmp_path / "m.lv2", SETTINGS)


@pytest.mark.parametrize(
    "manifest",
    [
        # A preset bundle: presets of a plugin installed elsewhere.
        "<urn:pluginary:test:synth#warm> a pset:Preset ; lv2:appliesTo <urn:pluginary:test:synth> ;"
        " rdfs:seeAlso <warm.ttl> .",
        # A specification bundle, like lv2core.lv2 or units.lv2.
        "<http://lv2plug.in/ns/extensions/units> a lv2:Specification ; rdfs:seeAlso <units.ttl> .",
    ],
    ids=["presets", "specification"],
)
def test_bundles_without_plugins_give_nothing(tmp_path: Path, manifest: str) -> None:
    bundle = write_bundle(tmp_path / "none.lv2", {"manifest.ttl": manifest})
    assert LV2Format().scan(bundle, SETTINGS) == []


def test_a_folder_without_manifest_gives_nothing_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "empty.lv2").mkdir()
    assert LV2Format().scan(tmp_path / "empty.lv2", SETTINGS) == []
    assert warnings_logged(caplog) == ["empty.lv2: cannot read manifest.ttl: no such file"]


def test_signature_files_are_the_turtle_and_the_binaries_in_every_sub_folder(synth_bundle: Path) -> None:
    """An edit to a `.ttl` in a sub-folder changes the fingerprint too (issue 11)."""
    (synth_bundle / "README").write_text("not part of the signature")
    (synth_bundle / "presets" / "deep").mkdir(parents=True)
    (synth_bundle / "presets" / "deep" / "warm.ttl").write_text("")
    (synth_bundle / "x86_64").mkdir()
    (synth_bundle / "x86_64" / "synth.so").write_text("")
    # A link to a folder is not followed: it may loop, or lead out of the bundle.
    (synth_bundle / "loop").symlink_to(synth_bundle)
    names = [str(p.relative_to(synth_bundle)) for p in LV2Format().signature_files(synth_bundle)]
    assert names == sorted(
        ["elsewhere.ttl", "manifest.ttl", "params file.ttl", "presets.ttl", "synth.so", "synth.ttl", "ui.ttl",
         "presets/deep/warm.ttl", "x86_64/synth.so"],
        key=Path,
    )  # fmt: skip


def test_signature_files_are_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bundle = tmp_path / "huge.lv2"
    (bundle / "sub").mkdir(parents=True)
    for i in range(1_010):
        (bundle / "sub" / f"{i:04d}.ttl").write_text("")
    files = LV2Format().signature_files(bundle)
    assert len(files) == 1_000 and files == sorted(files) and all(f.parent == bundle / "sub" for f in files)
    # The same ones each time, so an unchanged bundle keeps its fingerprint.
    assert LV2Format().signature_files(bundle) == files
    (message, *_) = warnings_logged(caplog)
    assert message.startswith(f"{bundle}: more than 1000 Turtle files")


# --- what a bundle must never make Pluginary do -------------------------------------------------

SECRET = "s3cr3t-0f-an0ther-user"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside every bundle that is not Turtle, as /etc/shadow is not."""
    (tmp_path / "private").mkdir()
    secret = tmp_path / "private" / "shadow"
    secret.write_text(f"root:{SECRET}:19000:0:99999:7:::\n")
    return secret


@pytest.mark.parametrize(
    ("reference", "shown"),
    [
        ("<file://{outside}>", "../../private/shadow: it is outside the bundle"),
        ("<../../private/shadow>", "../../private/shadow: it is outside the bundle"),
        ("<link.ttl>", "link.ttl: it is outside the bundle"),
        ("<folder/shadow>", "folder/shadow: it is outside the bundle"),
        ("<fifo.ttl>", "fifo.ttl: not a regular file"),
        ("<sub>", f"sub: {os.strerror(errno.EISDIR)}"),
        ("<http://example.org/x.ttl>", "<http://example.org/x.ttl>: not a local file"),
    ],
    ids=["absolute", "dot-dot", "file-link", "folder-link", "fifo", "folder", "web"],
)
def test_a_reference_out_of_the_bundle_is_never_read(
    tmp_path: Path, outside: Path, reference: str, shown: str, caplog: pytest.LogCaptureFixture
) -> None:
    bundle = write_bundle(
        tmp_path / "lv2" / "evil.lv2",
        {
            "manifest.ttl": '<urn:pluginary:test:evil> a lv2:Plugin ; lv2:binary <evil.so> ; doap:name "Evil" ;'
            f" rdfs:seeAlso {reference.format(outside=outside)} , <evil.ttl> .",
            "evil.ttl": '<urn:pluginary:test:evil> doap:name "Evil" ; lv2:minorVersion 1 .',
        },
    )
    (bundle / "link.ttl").symlink_to(outside)
    (bundle / "folder").symlink_to(outside.parent)
    (bundle / "sub").mkdir()
    os.mkfifo(bundle / "fifo.ttl")  # opening it for reading would block the worker
    (plugin,) = LV2Format().scan(bundle, SETTINGS)
    # The rest of the bundle is read as usual; the refused file is named, never quoted.
    assert (plugin.name, plugin.version) == ("Evil", "1.0")
    assert warnings_logged(caplog) == [f"evil.lv2: cannot read {shown}"]
    assert SECRET not in caplog.text and SECRET not in repr(plugin)


def test_a_manifest_that_links_out_of_the_bundle_is_not_read(
    tmp_path: Path, outside: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "evil.lv2").mkdir()
    (tmp_path / "evil.lv2" / "manifest.ttl").symlink_to(outside)
    assert LV2Format().scan(tmp_path / "evil.lv2", SETTINGS) == []
    assert warnings_logged(caplog) == ["evil.lv2: cannot read manifest.ttl: it is outside the bundle"]
    assert SECRET not in caplog.text


def test_a_bundle_reached_through_a_link_reads_its_own_files(
    synth_bundle: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Containment is checked against the bundle's real folder, not the path it was found by."""
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "synth.lv2").symlink_to(synth_bundle)
    (plugin,) = LV2Format().scan(tmp_path / "linked" / "synth.lv2", SETTINGS)
    assert plugin == attrs.evolve(EXPECTED_SYNTH, path=str(tmp_path / "linked" / "synth.lv2"))
    assert warnings_logged(caplog) == []


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("<urn:a> <urn:b> \x1b]0;owned\x07 .", "'\\u001b' is not allowed"),
        (f"<urn:a> <urn:b> {'p' * 5000}:x .", "The prefix ppp"),
    ],
    ids=["escape", "huge-token"],
)
def test_a_parser_error_is_one_short_printable_line(tmp_path: Path, text: str, quoted: str) -> None:
    """pyoxigraph quotes the text it stumbled on: an escape sequence or a huge token must not pass."""
    bundle = write_bundle(tmp_path / "bad\x1b[2J.lv2", {"manifest.ttl": text})
    with pytest.raises(PluginaryError) as raised:
        LV2Format().scan(bundle, SETTINGS)
    message = str(raised.value)
    assert message.startswith(f"bad\\u001b[2J.lv2/manifest.ttl:{PREFIXES.count(chr(10)) + 1}:")
    assert quoted in message and message.endswith("— the bundle is damaged: reinstall or remove the plugin")
    assert message.isprintable() and len(message) < 500


# --- files as real bundles name them -------------------------------------------------------------


def test_a_hash_in_a_data_file_name_is_part_of_the_name(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Debian's ACE plugins (ardour-lv2-plugins) name `<a-comp#stereo.ttl>`: the file, not `a-comp`."""
    bundle = write_bundle(
        tmp_path / "a-comp.lv2",
        {
            "manifest.ttl": "<urn:ardour:a-comp#stereo> a lv2:Plugin ; lv2:binary <a-comp.so> ;"
            " rdfs:seeAlso <a-comp#stereo.ttl> , <100%25%20wet.ttl> .",
            "a-comp": '<urn:ardour:a-comp#stereo> doap:name "Wrong file" .',
            "a-comp#stereo.ttl": '<urn:ardour:a-comp#stereo> doap:name "ACE Compressor (stereo)" .',
            "100% wet.ttl": "<urn:ardour:a-comp#stereo> lv2:minorVersion 3 .",
        },
    )
    (plugin,) = LV2Format().scan(bundle, SETTINGS)
    assert (plugin.id, plugin.name, plugin.version) == (
        "lv2:urn:ardour:a-comp#stereo",
        "ACE Compressor (stereo)",
        "3.0",
    )
    assert warnings_logged(caplog) == []


def test_a_missing_data_file_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """lilv lists the plugin with what it has; so do we, with one warning for the file."""
    bundle = write_bundle(
        tmp_path / "half.lv2",
        {
            "manifest.ttl": "<urn:pluginary:test:one> a lv2:Plugin ; lv2:binary <h.so> ; rdfs:seeAlso <gone.ttl> ."
            "<urn:pluginary:test:two> a lv2:Plugin ; lv2:binary <h.so> ; rdfs:seeAlso <gone.ttl> .",
        },
    )
    plugins = LV2Format().scan(bundle, SETTINGS)
    assert [(p.id, p.name) for p in plugins] == [
        ("lv2:urn:pluginary:test:one", "urn:pluginary:test:one"),
        ("lv2:urn:pluginary:test:two", "urn:pluginary:test:two"),
    ]
    assert warnings_logged(caplog) == ["half.lv2: cannot read gone.ttl: no such file"]


def test_a_byte_order_mark_is_accepted(synth_bundle: Path) -> None:
    for name in ("manifest.ttl", "synth.ttl"):
        path = synth_bundle / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert LV2Format().scan(synth_bundle, SETTINGS) == [attrs.evolve(EXPECTED_SYNTH, path=str(synth_bundle))]
