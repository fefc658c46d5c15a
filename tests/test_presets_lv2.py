"""LV2 presets read from Turtle, checked against lilv, the library LV2 hosts list presets with.

lilv is called in this process through ctypes (liblilv-0, installed with lilv-utils): lv2info
prints only a preset's label, and the preset's URI is its id here.
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import Plugin, PluginFile, Preset, PresetSource
from pluginary.formats import lv2
from pluginary.formats.lv2 import LV2Format
from pluginary.scanning.discovery import plugin_file
from pluginary.scanning.pool import ScanJob, WorkerPool
from tests.lv2gen import write_bundles, write_preset_bundle
from tests.test_format_lv2 import MANIFEST, PREFIXES, SYNTH, need_lilv, warnings_logged, write_bundle

PSET = "http://lv2plug.in/ns/ext/presets#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SYNTH_URI = "urn:pluginary:test:synth"
#: A plugin bundle with a preset in its manifest and another in the plugin's own file (lilv finds both).
PLUGIN_FILES = {
    # `late` applies to the plugin only in its own file: lilv does not list it, nor do we.
    "manifest.ttl": MANIFEST.replace("presets.ttl", "presets%20file.ttl")
    + "<urn:pluginary:test:synth#late> a pset:Preset ; rdfs:seeAlso <presets%20file.ttl> .",
    "synth.ttl": SYNTH,
    "params file.ttl": """
<urn:pluginary:test:synth#inline> a pset:Preset ; lv2:appliesTo <urn:pluginary:test:synth> ;
    rdfs:label "Inline" ; lv2:port [ lv2:symbol "gain" ; pset:value -6 ] .
""",
    "presets file.ttl": """
@prefix dcterms: <http://purl.org/dc/terms/> .
<urn:pluginary:test:synth#preset> rdfs:label "Warm", "Chaud"@fr ;
    rdfs:comment "  Soft attack.  " ;
    dcterms:creator [ foaf:name "Ann Author" ] ;
    pset:bank <urn:pluginary:test:banks#pads> ;
    lv2:port [ lv2:symbol "gain" ; pset:value 0.25 ] , [ lv2:symbol "mix" ; pset:value 75 ] .
<urn:pluginary:test:banks#pads> a pset:Bank ; rdfs:label "Pads" .
<urn:pluginary:test:synth#late> lv2:appliesTo <urn:pluginary:test:synth> ; rdfs:label "Late" .
""",
    "elsewhere.ttl": '<urn:pluginary:test:elsewhere> doap:name "Elsewhere" .',
    "synth.so": "",
}


def presets_of(found: list[Plugin | Preset]) -> list[Preset]:
    return [item for item in found if isinstance(item, Preset)]


def triples(presets: list[Preset]) -> set[tuple[str, str, str]]:
    """(plugin URI, preset URI, label): what lilv lists of a preset."""
    return {(p.plugin_id.removeprefix("lv2:"), p.id, p.name) for p in presets}


SETTINGS = ScanSettings()


def scan_all(roots: list[Path], settings: ScanSettings = SETTINGS) -> list[Preset]:
    """Every preset in every bundle of the given folders, as discover + scan would read them."""
    return [
        item
        for root in roots
        if root.is_dir()
        for bundle in sorted(root.iterdir())
        if bundle.suffix == ".lv2" and bundle.is_dir()
        for item in presets_of(LV2Format().scan(bundle, settings))
    ]


# --- lilv through ctypes ---------------------------------------------------------------


def lilv_presets(lv2_path: str | None, monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str, str]]:
    """(plugin URI, preset URI, label) of every preset lilv lists for every plugin it finds, as a
    host asks: `lilv_plugin_get_related(plugin, pset:Preset)`, then the preset's resource loaded
    for its rdfs:label. `lv2_path` None: the standard folders."""
    need_lilv()
    if lv2_path is None:
        monkeypatch.delenv("LV2_PATH", raising=False)
    else:
        monkeypatch.setenv("LV2_PATH", lv2_path)
    lib = ctypes.CDLL("liblilv-0.so.0")
    ptr, text, flag = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_bool
    for name, result, args in [
        ("lilv_world_new", ptr, []),
        ("lilv_world_load_all", None, [ptr]),
        ("lilv_world_free", None, [ptr]),
        ("lilv_world_get_all_plugins", ptr, [ptr]),
        ("lilv_world_load_resource", ctypes.c_int, [ptr, ptr]),
        ("lilv_world_get", ptr, [ptr, ptr, ptr, ptr]),
        ("lilv_new_uri", ptr, [ptr, text]),
        ("lilv_node_as_string", text, [ptr]),
        ("lilv_node_free", None, [ptr]),
        ("lilv_plugin_get_uri", ptr, [ptr]),
        ("lilv_plugin_get_related", ptr, [ptr, ptr]),
        ("lilv_nodes_free", None, [ptr]),
        *((f"lilv_{kind}_begin", ptr, [ptr]) for kind in ("plugins", "nodes")),
        *((f"lilv_{kind}_is_end", flag, [ptr, ptr]) for kind in ("plugins", "nodes")),
        *((f"lilv_{kind}_get", ptr, [ptr, ptr]) for kind in ("plugins", "nodes")),
        *((f"lilv_{kind}_next", ptr, [ptr, ptr]) for kind in ("plugins", "nodes")),
    ]:
        function = getattr(lib, name)
        function.restype, function.argtypes = result, args

    def each(kind: str, collection: int) -> Iterator[int]:
        at = getattr(lib, f"lilv_{kind}_begin")(collection)
        while not getattr(lib, f"lilv_{kind}_is_end")(collection, at):
            yield getattr(lib, f"lilv_{kind}_get")(collection, at)
            at = getattr(lib, f"lilv_{kind}_next")(collection, at)

    def string(node: int) -> str:
        return bytes(lib.lilv_node_as_string(node)).decode()

    world = lib.lilv_world_new()
    preset_class, label = (
        lib.lilv_new_uri(world, f"{PSET}Preset".encode()),
        lib.lilv_new_uri(world, f"{RDFS}label".encode()),
    )
    found = set()
    try:
        lib.lilv_world_load_all(world)
        for plugin in each("plugins", lib.lilv_world_get_all_plugins(world)):
            related = lib.lilv_plugin_get_related(plugin, preset_class)
            for preset in each("nodes", related):
                lib.lilv_world_load_resource(world, preset)
                name = lib.lilv_world_get(world, preset, label, None)
                found.add((string(lib.lilv_plugin_get_uri(plugin)), string(preset), string(name) if name else ""))
                lib.lilv_node_free(name)
            lib.lilv_nodes_free(related)
    finally:
        lib.lilv_node_free(preset_class)
        lib.lilv_node_free(label)
        lib.lilv_world_free(world)
    return found


def sparql_values(bundle: Path) -> dict[str, dict[str, float]]:
    """preset URI → port symbol → value, as SPARQL over every Turtle file of the bundle sees them."""
    from pyoxigraph import QuerySolutions, RdfFormat, Store

    store = Store()
    for ttl in sorted(bundle.glob("*.ttl")):
        store.load(path=str(ttl), format=RdfFormat.TURTLE, base_iri=ttl.absolute().as_uri())
    query = f"""SELECT ?preset ?symbol ?value WHERE {{
        ?preset a <{PSET}Preset> ; <{lv2.LV2}port> [ <{lv2.LV2}symbol> ?symbol ; <{PSET}value> ?value ] }}"""
    found: dict[str, dict[str, float]] = {}
    solutions = store.query(query)
    assert isinstance(solutions, QuerySolutions)
    for preset, symbol, value in solutions:
        found.setdefault(preset.value, {})[symbol.value] = float(value.value)
    return found


# --- Debian's bundles against lilv ----------------------------------------------------------


@pytest.mark.slow
def test_every_installed_preset_is_the_one_lilv_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every LV2 bundle .ci/run installs (zam-plugins, x42-plugins, mda-lv2, calf, Ardour's, …):
    the same (plugin, preset, label) set as lilv, and the values SPARQL reads from the same files."""
    expected = lilv_presets(None, monkeypatch)
    presets = scan_all(LV2Format().default_roots())
    assert triples(presets) == expected
    assert len(presets) == len(expected), "one record per preset and plugin"
    plugins = {plugin for plugin, _, _ in expected}
    for prefix in ("urn:zamaudio:", "http://drobilla.net/plugins/mda/", "http://gareus.org/oss/lv2/"):
        assert any(plugin.startswith(prefix) for plugin in plugins), f"no presets of {prefix}* installed"
    by_bundle: dict[str, list[Preset]] = {}
    for preset in presets:
        by_bundle.setdefault(preset.path, []).append(preset)
    for path, found in by_bundle.items():
        values = sparql_values(Path(path))
        assert {p.id: dict(p.values) for p in found} == {p.id: values.get(p.id, {}) for p in found}, path
        assert {(p.format, p.source) for p in found} == {("lv2", PresetSource.BUNDLE)}
    assert sum(bool(p.values) for p in presets) > 200


@pytest.mark.slow
def test_no_presets_read_when_told_not_to() -> None:
    roots = LV2Format().default_roots()
    need_lilv()
    assert scan_all(roots, ScanSettings(presets=False)) == []
    assert scan_all(roots), "Debian's bundles carry presets"


# --- presets in a plugin's bundle and in bundles of their own --------------------------------


@pytest.fixture
def synth_bundle(tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "lv2 folder" / "synth.lv2", PLUGIN_FILES)


def test_a_plugin_bundle_gives_its_plugin_and_its_presets(synth_bundle: Path, caplog: pytest.LogCaptureFixture) -> None:
    found = LV2Format().scan(synth_bundle, SETTINGS)
    assert [item.id for item in found if isinstance(item, Plugin)] == [f"lv2:{SYNTH_URI}"]
    common = {
        "plugin_id": f"lv2:{SYNTH_URI}",
        "format": "lv2",
        "source": PresetSource.BUNDLE,
        "path": str(synth_bundle),
    }
    assert presets_of(found) == [
        Preset(id=f"{SYNTH_URI}#inline", name="Inline", values=(("gain", -6.0),), **common),
        Preset(
            id=f"{SYNTH_URI}#preset",
            name="Warm",  # the label without a language tag, as the plugin's names are chosen
            bank="Pads",
            author="Ann Author",
            description="Soft attack.",
            values=(("gain", 0.25), ("mix", 75.0)),
            **common,
        ),
    ]
    assert warnings_logged(caplog) == []


def test_lilv_lists_the_same_presets_of_a_handwritten_bundle(
    synth_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = lilv_presets(str(synth_bundle.parent), monkeypatch)
    assert expected == {(SYNTH_URI, f"{SYNTH_URI}#inline", "Inline"), (SYNTH_URI, f"{SYNTH_URI}#preset", "Warm")}
    assert triples(presets_of(LV2Format().scan(synth_bundle, SETTINGS))) == expected


def test_a_bundle_of_saved_presets_gives_just_them(
    synth_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What Ardour, Carla and jalv write under ~/.lv2 (lilv_state_save): no plugin, no failure."""
    saved = {"Warm Pad": {"gain": 0.5, "mix": 30}, "Bright #2": {"gain": -12.5}}
    bundle = synth_bundle.parent / "Synth_Warm.preset.lv2"
    uris = write_preset_bundle(bundle, SYNTH_URI, saved)
    found = LV2Format().scan(bundle, SETTINGS)
    assert found == [
        Preset(
            id=uri,
            name=label,
            plugin_id=f"lv2:{SYNTH_URI}",
            format="lv2",
            source=PresetSource.BUNDLE,
            path=str(bundle),
            values=tuple((symbol, float(value)) for symbol, value in values.items()),
        )
        for uri, (label, values) in sorted(zip(uris, saved.items(), strict=True))
    ]
    assert warnings_logged(caplog) == []
    # lilv gives these file: URIs (a space and a '#' in them) and labels too, beside the plugin's own.
    assert triples(presets_of(found)) <= lilv_presets(str(synth_bundle.parent), monkeypatch)


def test_a_bundle_of_presets_is_a_result_not_a_failure_in_a_real_worker(synth_bundle: Path) -> None:
    bundle = synth_bundle.parent / "saved.lv2"
    write_preset_bundle(bundle, SYNTH_URI, {"Saved": {"gain": 1.0}})
    (bundle / "broken.ttl").write_text("<urn:x> rdfs:label .")
    with (bundle / "manifest.ttl").open("a") as manifest:
        manifest.write(f"<urn:x> a pset:Preset ; lv2:appliesTo <{SYNTH_URI}> ; rdfs:seeAlso <broken.ttl> .\n")
    jobs = [ScanJob(PluginFile(str(b), "lv2", 0, 0, b.name), "lv2") for b in (bundle, synth_bundle)]
    with WorkerPool(1) as pool:
        results = {result.file.path: result for result in pool.run(jobs)}
    saved, plugin = results[str(bundle)], results[str(synth_bundle)]
    assert saved.failure is None and saved.plugins == ()
    assert sorted(p.name for p in saved.presets) == ["Saved", "x"]
    assert any("broken.ttl:1:" in warning for warning in saved.warnings), saved.warnings
    assert plugin.failure is None and len(plugin.plugins) == 1 and len(plugin.presets) == 2


def test_presets_off_reads_no_preset_file(synth_bundle: Path, caplog: pytest.LogCaptureFixture) -> None:
    (synth_bundle / "presets file.ttl").write_text("not Turtle")
    found = LV2Format().scan(synth_bundle, ScanSettings(presets=False))
    assert [item.id for item in found] == [f"lv2:{SYNTH_URI}"]
    assert warnings_logged(caplog) == []


def test_banks_authors_and_several_plugins(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "banks.lv2",
        {
            "manifest.ttl": """
@prefix dcterms: <http://purl.org/dc/terms/> .
<urn:p:both> a pset:Preset ; lv2:appliesTo <urn:p:a> , <urn:p:b> , "not a plugin" ;
    pset:bank <urn:p:banks/Strings%20Bank> ; dcterms:creator "Cy" .
<urn:p:maintained> a pset:Preset ; lv2:appliesTo <urn:p:a> ; rdfs:label "M" ;
    pset:bank <urn:p:banks#leads> ; doap:maintainer [ foaf:name "Mo" ] .
<urn:p:banks#leads> rdfs:label "Leads" .
<urn:p:orphan> a pset:Preset ; rdfs:label "Applies to nothing" .
[] a pset:Preset ; lv2:appliesTo <urn:p:a> ; rdfs:label "No URI" .
""",
        },
    )
    found = {(p.id, p.plugin_id): p for p in presets_of(LV2Format().scan(bundle, SETTINGS))}
    assert sorted(found) == [
        ("urn:p:both", "lv2:urn:p:a"),
        ("urn:p:both", "lv2:urn:p:b"),
        ("urn:p:maintained", "lv2:urn:p:a"),
    ]
    both = found["urn:p:both", "lv2:urn:p:a"]
    # No label: the end of the URI names the preset and its bank.
    assert (both.name, both.bank, both.author) == ("both", "Strings Bank", "Cy")
    assert found["urn:p:both", "lv2:urn:p:b"] == attrs.evolve(both, plugin_id="lv2:urn:p:b")
    assert (found["urn:p:maintained", "lv2:urn:p:a"].bank, found["urn:p:maintained", "lv2:urn:p:a"].author) == (
        "Leads",
        "Mo",
    )


def test_only_finite_numbers_are_values(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "values.lv2",
        {
            "manifest.ttl": """
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:p:v> a pset:Preset ; lv2:appliesTo <urn:p:a> ; lv2:port
    [ lv2:symbol "int" ; pset:value 3 ] , [ lv2:symbol "typed" ; pset:value "2.5"^^xsd:float ] ,
    [ lv2:symbol "exp" ; pset:value 1.5e3 ] , [ lv2:symbol "int" ; pset:value 4 ] ,
    [ lv2:symbol "text" ; pset:value "0.5" ] , [ lv2:symbol "nan" ; pset:value "NaN"^^xsd:double ] ,
    [ lv2:symbol "inf" ; pset:value "INF"^^xsd:double ] , [ lv2:symbol "huge" ; pset:value 1e999 ] ,
    [ lv2:symbol "bad" ; pset:value "x"^^xsd:double ] , [ lv2:symbol "bool" ; pset:value true ] ,
    [ lv2:symbol "path" ; pset:value <file.wav> ] , [ pset:value 1 ] , [ lv2:symbol "none" ] .
""",
        },
    )
    (preset,) = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert preset.values == (("int", 3.0), ("typed", 2.5), ("exp", 1500.0))


# --- hostile bundles ---------------------------------------------------------------------


def test_a_preset_file_outside_the_bundle_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outside = tmp_path / "outside.ttl"
    outside.write_text(PREFIXES + '<urn:p:x> rdfs:label "Secret" ; lv2:port [ lv2:symbol "s" ; pset:value 1 ] .')
    bundle = write_bundle(
        tmp_path / "escape.lv2",
        {
            "manifest.ttl": "<urn:p:x> a pset:Preset ; lv2:appliesTo <urn:p:a> ;"
            " rdfs:seeAlso <../outside.ttl> , <link.ttl> ."
        },
    )
    (bundle / "link.ttl").symlink_to(outside)
    (preset,) = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert (preset.name, preset.values) == ("x", ())  # nothing of the outside file
    assert warnings_logged(caplog) == [
        "escape.lv2: cannot read ../outside.ttl: it is outside the bundle",
        "escape.lv2: cannot read link.ttl: it is outside the bundle",
    ]


def test_broken_preset_turtle_is_a_warning_and_the_rest_is_read(
    synth_bundle: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = PREFIXES + '<urn:pluginary:test:synth#preset> rdfs:label "Kept" .\n<urn:x> rdfs:label "\x1b[31m\n'
    (synth_bundle / "presets file.ttl").write_text(broken)
    found = LV2Format().scan(synth_bundle, SETTINGS)
    assert len([item for item in found if isinstance(item, Plugin)]) == 1
    # As lilv: what was parsed before the error is kept.
    assert sorted(p.name for p in presets_of(found)) == ["Inline", "Kept"]
    (warning,) = warnings_logged(caplog)
    assert re.match(r"synth\.lv2/presets file\.ttl:1\d:\d+: invalid Turtle: ", warning), warning
    assert "\x1b" not in warning and "\n" not in warning  # the parser quotes the bundle's text: escaped


def test_a_label_is_kept_as_data(tmp_path: Path) -> None:
    """Control and bidi characters stay in the name: escaping is for whoever prints it. Texts
    are bounded."""
    label = "Pad\\u001b[2J\\u202eevil\\nline"
    long = "x" * 100_000
    bundle = write_bundle(
        tmp_path / "l.lv2",
        {"manifest.ttl": f'<urn:p:l> a pset:Preset ; lv2:appliesTo <urn:p:a> ; rdfs:label "{label}" .'},
    )
    (preset,) = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert preset.name == "Pad\x1b[2J\u202eevil\nline"
    (bundle / "manifest.ttl").write_text(
        f'{PREFIXES}<urn:p:l> a pset:Preset ; lv2:appliesTo <urn:p:a> ; rdfs:label "{long}" ; rdfs:comment "{long}" ;'
        f' pset:bank [ rdfs:label "{long}" ] ; <http://purl.org/dc/terms/creator> "{long}" .'
    )
    (preset,) = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert [len(text) for text in (preset.name, preset.bank, preset.author, preset.description)] == [
        lv2.TEXT_LIMIT,
        lv2.TEXT_LIMIT,
        lv2.TEXT_LIMIT,
        lv2.DESCRIPTION_LIMIT,
    ]


def test_preset_files_share_a_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bundle = tmp_path / "big.lv2"
    write_preset_bundle(bundle, SYNTH_URI, {"a": {"gain": 1}, "b": {"gain": 2}, "c": {"gain": 3}})
    sizes = {path.stem: path.stat().st_size for path in bundle.glob("?.ttl")}
    monkeypatch.setattr(lv2, "MAX_PRESET_BYTES", sizes["a"] + sizes["b"] + 10)  # room for two files
    found = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert [(p.name, p.values) for p in found] == [("a", (("gain", 1.0),)), ("b", (("gain", 2.0),)), ("c", ())]
    assert warnings_logged(caplog) == ["big.lv2: cannot read c.ttl: more than 10 bytes"]  # what a and b left


def test_a_huge_preset_file_is_refused_unparsed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bundle = tmp_path / "huge.lv2"
    write_preset_bundle(bundle, SYNTH_URI, {"Huge": {"gain": 1}})
    with (bundle / "Huge.ttl").open("r+b") as file:  # sparse: the disk holds none of it
        file.truncate(lv2.MAX_PRESET_BYTES + 1)
    (preset,) = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert (preset.name, preset.values) == ("Huge", ())
    assert warnings_logged(caplog) == [f"huge.lv2: cannot read Huge.ttl: more than {lv2.MAX_PRESET_BYTES:,} bytes"]


def test_presets_files_and_values_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bundle = tmp_path / "many.lv2"
    write_preset_bundle(bundle, SYNTH_URI, {f"p{i}": {f"s{j}": j for j in range(6)} for i in range(6)})
    monkeypatch.setattr(lv2, "MAX_PRESET_FILES", 4)
    monkeypatch.setattr(lv2, "MAX_PRESETS", 5)
    monkeypatch.setattr(lv2, "MAX_PRESET_VALUES", 3)
    found = presets_of(LV2Format().scan(bundle, SETTINGS))
    assert len(found) == 5
    assert [len(p.values) for p in found] == [3, 3, 3, 3, 0]  # p4's file is past the 4 read
    logged = warnings_logged(caplog)
    assert logged[0] == "many.lv2: more than 4 preset files: the first 4 are read"
    assert logged[-1] == "many.lv2: more than 5 presets: the first 5 are kept"
    assert sum("more than 3 port values" in line for line in logged) == 4


# --- fingerprints ------------------------------------------------------------------------


def test_editing_a_preset_file_changes_only_its_bundle_fingerprint(synth_bundle: Path, tmp_path: Path) -> None:
    """discover fingerprints a bundle by its signature files: a preset edited in place (same
    size, new mtime) makes diff re-read that bundle, and no other."""
    others = write_bundles(tmp_path / "others", bundles=2, plugins=1, ports=2).bundles
    saved = synth_bundle.parent / "saved.lv2"
    write_preset_bundle(saved, SYNTH_URI, {"Saved": {"gain": 1.0}})
    bundles = [synth_bundle, saved, *others]

    def fingerprints() -> list[str]:
        return [plugin_file(b, "lv2", LV2Format().signature_files(b)).fingerprint for b in bundles]

    before = fingerprints()
    assert synth_bundle / "presets file.ttl" in LV2Format().signature_files(synth_bundle)
    for path in (synth_bundle / "presets file.ttl", saved / "Saved.ttl"):
        text = path.read_text()
        path.write_text(text.replace("0.25", "0.75").replace("1.0", "2.0"))
        assert path.read_text() != text
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    after = fingerprints()
    assert [a != b for a, b in zip(before, after, strict=True)] == [True, True, False, False]
