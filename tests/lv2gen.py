"""Synthetic LV2 bundles (Turtle only) for scale tests and benchmarks.

Each bundle looks like a real multi-plugin bundle (lsp-plugins, x42): a manifest
naming every plugin with its binary and its own Turtle file, and per plugin stereo
audio ports, a MIDI atom port, control ports with units, ranges, toggles, integer
and enumeration properties with scale points, and a latency output. No binary is
written: scanning never loads one. `write_preset_bundle` writes a bundle of presets
only, as hosts save a user's presets (lilv's `lilv_state_save`, used by Ardour, Carla, jalv).

    python -m tests.lv2gen OUT_DIR --bundles 40 --plugins 10 --ports 60
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import attrs

PREFIXES = """\
@prefix atom: <http://lv2plug.in/ns/ext/atom#> .
@prefix doap: <http://usefulinc.com/ns/doap#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix lv2:  <http://lv2plug.in/ns/lv2core#> .
@prefix midi: <http://lv2plug.in/ns/ext/midi#> .
@prefix pp:   <http://lv2plug.in/ns/ext/port-props#> .
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix units: <http://lv2plug.in/ns/extensions/units#> .
"""
#: Fixed ports before the controls: audio in L/R, audio out L/R, MIDI in.
FIXED_PORTS = 5
CLASSES = ("lv2:ReverbPlugin", "lv2:CompressorPlugin", "lv2:EQPlugin", "lv2:InstrumentPlugin")
UNITS = ("units:db", "units:hz", "units:ms", "units:pc")


@attrs.frozen
class Generated:
    """What was written, so a test can check a scan against it."""

    bundles: tuple[Path, ...]
    uris: tuple[str, ...]
    controls_per_plugin: int
    turtle_bytes: int


def write_bundles(root: Path, *, bundles: int, plugins: int, ports: int) -> Generated:
    """Write `bundles` bundles of `plugins` plugins with `ports` control inputs each."""
    root.mkdir(parents=True, exist_ok=True)
    paths, uris, size = [], [], 0
    for b in range(bundles):
        bundle = root / f"gen{b:04d}.lv2"
        bundle.mkdir(exist_ok=True)
        manifest = [PREFIXES]
        for p in range(plugins):
            uri = f"urn:pluginary:gen:{b}:{p}"
            uris.append(uri)
            manifest.append(
                f"<{uri}> a lv2:Plugin ;\n    lv2:binary <gen{b}.so> ;\n    rdfs:seeAlso <plugin{p}.ttl> .\n"
            )
            size += _write(bundle / f"plugin{p}.ttl", _plugin_turtle(uri, b, p, ports))
        size += _write(bundle / "manifest.ttl", "\n".join(manifest))
        paths.append(bundle)
    return Generated(tuple(paths), tuple(uris), ports, size)


def write_preset_bundle(bundle: Path, plugin: str, presets: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Write a bundle of presets of `plugin` (label → port symbol → value) as lilv saves them:
    a manifest naming each preset file, and one file per preset whose own URI (`<>`) is the
    preset's. Returns the preset URIs, in the order of `presets`."""
    bundle.mkdir(parents=True, exist_ok=True)
    prefixes = PREFIXES + "@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n"
    prefixes += "@prefix state: <http://lv2plug.in/ns/ext/state#> .\n"
    manifest, uris = [prefixes], []
    for label, values in presets.items():
        file = quote(f"{label}.ttl")
        manifest.append(f"<{file}>\n    a pset:Preset ;\n    lv2:appliesTo <{plugin}> ;\n    rdfs:seeAlso <{file}> .\n")
        ports = " , ".join(
            f'[\n        lv2:symbol "{symbol}" ;\n        pset:value {value!r}\n    ]'
            for symbol, value in values.items()
        )
        _write(
            bundle / f"{label}.ttl",
            f"{prefixes}\n<>\n    a pset:Preset ;\n    lv2:appliesTo <{plugin}> ;\n"
            f'    rdfs:label "{label}" ;\n    lv2:port {ports} ;\n'
            '    state:state [\n        <urn:pluginary:gen:state#blob> "opaque plugin state"\n    ] .\n',
        )
        uris.append((bundle / f"{label}.ttl").absolute().as_uri())
    _write(bundle / "manifest.ttl", "\n".join(manifest))
    return uris


def _write(path: Path, text: str) -> int:
    data = text.encode()
    path.write_bytes(data)
    return len(data)


def _plugin_turtle(uri: str, bundle: int, plugin: int, ports: int) -> str:
    port_blocks = [
        _port(0, "lv2:InputPort, lv2:AudioPort", "in_l", "Input L"),
        _port(1, "lv2:InputPort, lv2:AudioPort", "in_r", "Input R"),
        _port(2, "lv2:OutputPort, lv2:AudioPort", "out_l", "Output L"),
        _port(3, "lv2:OutputPort, lv2:AudioPort", "out_r", "Output R"),
        _port(
            4,
            "lv2:InputPort, atom:AtomPort",
            "midi_in",
            "MIDI In",
            "atom:bufferType atom:Sequence ;\n        atom:supports midi:MidiEvent ;",
        ),
    ]
    for i in range(ports):
        port_blocks.append(_control(FIXED_PORTS + i, i))
    port_blocks.append(
        _port(
            FIXED_PORTS + ports,
            "lv2:OutputPort, lv2:ControlPort",
            "latency",
            "Latency",
            "lv2:portProperty lv2:reportsLatency, lv2:integer ;\n        units:unit units:frame ;",
        )
    )
    return f"""{PREFIXES}
<urn:pluginary:gen:dev{bundle}>
    a foaf:Person ;
    foaf:name "Generator Audio {bundle}" .

<{uri}>
    a lv2:Plugin, {CLASSES[plugin % len(CLASSES)]}, doap:Project ;
    doap:name "Generated {bundle}-{plugin}" ;
    doap:maintainer <urn:pluginary:gen:dev{bundle}> ;
    lv2:minorVersion {plugin} ;
    lv2:microVersion {bundle} ;
    lv2:port {" , ".join(port_blocks)} .
"""


def _port(index: int, types: str, symbol: str, name: str, extra: str = "") -> str:
    return f"""[
        a {types} ;
        lv2:index {index} ;
        lv2:symbol "{symbol}" ;
        lv2:name "{name}" ;
        {extra}
    ]"""


def _control(index: int, i: int) -> str:
    """Every fourth control is toggled, enumeration, integer, or a plain float with units."""
    common = "a lv2:InputPort, lv2:ControlPort"
    head = f'{common} ;\n        lv2:index {index} ;\n        lv2:symbol "c{i}" ;\n        lv2:name "Control {i}" ;'
    match i % 4:
        case 0:
            body = "lv2:portProperty lv2:toggled ;\n        lv2:default 0 ; lv2:minimum 0 ; lv2:maximum 1 ;"
        case 1:
            points = " , ".join(f'[ rdfs:label "Mode {v}" ; rdf:value {v} ]' for v in range(4))
            body = (
                "lv2:portProperty lv2:integer, lv2:enumeration ;\n"
                f"        lv2:default 0 ; lv2:minimum 0 ; lv2:maximum 3 ;\n        lv2:scalePoint {points} ;"
            )
        case 2:
            body = "lv2:portProperty lv2:integer ;\n        lv2:default 1 ; lv2:minimum 1 ; lv2:maximum 16 ;"
        case _:
            body = (
                f"units:unit {UNITS[i % len(UNITS)]} ;\n"
                "        lv2:portProperty pp:logarithmic ;\n"
                "        lv2:default 0.5 ; lv2:minimum 0.0 ; lv2:maximum 1000.0 ;"
            )
    return f"[\n        {head}\n        {body}\n    ]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--bundles", type=int, default=40)
    parser.add_argument("--plugins", type=int, default=10)
    parser.add_argument("--ports", type=int, default=60)
    args = parser.parse_args()
    generated = write_bundles(args.out, bundles=args.bundles, plugins=args.plugins, ports=args.ports)
    print(f"{len(generated.uris)} plugins in {len(generated.bundles)} bundles, {generated.turtle_bytes / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
