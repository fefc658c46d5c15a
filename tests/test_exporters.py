"""Every exporter's output parsed back, merged into existing DAW files, deterministic, safe with any name;
and `write_outputs`: diffs, backups, atomic writes, errors."""

from __future__ import annotations

import configparser
import contextlib
import csv
import io
import json
import math
import os
import plistlib
import random
import resource
import signal
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from pluginary.backends.sqlite import SQLiteBackend
from pluginary.core.errors import PipelineError, StageError
from pluginary.core.interfaces import Exporter, OutputFile, PresetExporter
from pluginary.core.models import (
    IO,
    Category,
    CategorySource,
    FileResult,
    Host,
    Parameter,
    ParameterKind,
    Plugin,
    PluginFile,
    Preset,
    PresetSource,
)
from pluginary.exporters.ardour import ArdourExporter, ardour_identity, ardour_tags, is_user_set, render_statuses
from pluginary.exporters.common import single_line, xml_safe
from pluginary.exporters.csv import FORMULA_STARTS, CSVExporter
from pluginary.exporters.json import JSONExporter, load_schema
from pluginary.exporters.logic import LogicExporter, logic_category
from pluginary.exporters.reaper import (
    ReaperExporter,
    _entries,
    category_labels,
    reaper_name,
    render_folders,
    render_tags,
    vst_file_key,
)
from pluginary.exporters.writer import KEEP_BACKUPS, backups, write_outputs
from pluginary.exporters.yaml import YAMLExporter
from tests.support import missing

EXPORTERS: dict[str, Exporter] = {
    "json": JSONExporter(), "csv": CSVExporter(), "yaml": YAMLExporter(),
    "reaper": ReaperExporter(), "ardour": ArdourExporter(), "logic": LogicExporter(),
}  # fmt: skip
FILE_EXPORTERS = {"json": "catalog.json", "csv": "plugins.csv", "yaml": "catalog.yaml"}
FOLDER_EXPORTERS = ("reaper", "ardour", "logic")
ALL_OPTIONS: dict[str, dict[str, Any]] = {
    "json": {}, "csv": {"parameters": True}, "yaml": {}, "reaper": {}, "ardour": {"statuses": True}, "logic": {},
}  # fmt: skip


def target(tmp: Path, name: str) -> Path:
    return tmp / FILE_EXPORTERS[name] if name in FILE_EXPORTERS else tmp / name


def catalogue() -> list[Plugin]:
    """A VST3 effect and instrument, an AU, an LV2 plugin, with parameters, categories and tags."""
    return [
        Plugin(
            id="vst3:5653544156564661766120766F63616C",
            format="vst3",
            name="Pro-Q 3",
            vendor="FabFilter",
            path="/usr/lib/vst3/FabFilter Pro-Q 3.vst3",
            version="3.2",
            native_categories=("Fx|EQ",),
            is_effect=True,
            categories=(Category("Effect/EQ"),),
            tags=("favorite", "mixing"),
            io=IO(2, 2, 0, 0),
            latency=0,
            sdk="VST 3.7",
            parameters=(
                Parameter(0, "Band 1 Frequency", units="Hz", default=0.5, minimum=0.0, maximum=1.0),
                Parameter(1, "Band 1 Shape", kind=ParameterKind.CHOICE, choices=("Bell", "Low Shelf")),
            ),
            scanned_at="2024-05-01T10:00:00Z",
            scanner_version="0.1.0",
            host=Host("studio", "Linux"),
        ),
        Plugin(
            id="vst3:ABCDEF0123456789ABCDEF0123456789",
            format="vst3",
            name="Surge XT",
            vendor="Surge Synth Team",
            path="/usr/lib/vst3/Surge XT.vst3",
            native_categories=("Instrument|Synth",),
            is_instrument=True,
            categories=(Category("Instrument/Synth"),),
            io=IO(0, 2, 1, 0),
        ),
        Plugin(
            id="au:aufx-dely-appl",
            format="au",
            name="AUDelay",
            vendor="Apple",
            path="/System/Library/Components/CoreAudio.component",
            native_categories=("aufx",),
            categories=(
                Category("Effect/Delay", CategorySource.USER),
                Category("Effect/Modulation", CategorySource.KEYWORDS, 0.7),
            ),
        ),
        Plugin(
            id="lv2:urn:zamaudio:ZamComp",
            format="lv2",
            name="ZamComp",
            vendor="Damien Zammit",
            path="/usr/lib/lv2/ZamComp.lv2",
            native_categories=("lv2:CompressorPlugin",),
            categories=(Category("Effect/Dynamics"),),
            tags=("hidden",),
            parameters=(Parameter(3, "Attack", units="ms", default=10.0), Parameter(4, "Release")),
        ),
    ]


def render(name: str, folder: Path, plugins: list[Plugin], **options: Any) -> dict[str, bytes]:
    """The rendered files by name, relative to the export folder."""
    path = target(folder, name)
    base = path if name in FOLDER_EXPORTERS else folder
    return {str(f.path.relative_to(base)): f.content for f in EXPORTERS[name].render(plugins, path, options)}


def ini(content: bytes) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(content.decode("utf-8"))
    return parser


def yaml_load(content: bytes) -> Any:
    return YAML(typ="safe", pure=True).load(content.decode("utf-8"))


def pyyaml_load(content: bytes) -> Any:
    """PyYAML, the most used YAML reader (YAML 1.1), the way most programs call it."""
    import yaml

    return yaml.safe_load(content)


# --- the exporters, parsed back ---------------------------------------------------------------------


def test_exporters_implement_the_protocol() -> None:
    assert all(isinstance(exporter, Exporter) for exporter in EXPORTERS.values())


def test_json_is_keyed_by_id_and_valid_against_the_shipped_schema(tmp_path: Path) -> None:
    content = render("json", tmp_path, catalogue())["catalog.json"]
    document = json.loads(content)
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.validate(document, load_schema(), cls=jsonschema.Draft202012Validator)
    assert list(document["plugins"]) == sorted(p.id for p in catalogue())
    eq = document["plugins"]["vst3:5653544156564661766120766F63616C"]
    assert eq["categories"] == [{"name": "Effect/EQ", "source": "native", "confidence": 1.0}]
    assert eq["parameters"][1]["choices"] == ["Bell", "Low Shelf"] and eq["host"] == {"name": "studio", "os": "Linux"}
    assert "scanned_at" not in eq  # no timestamps unless asked
    assert content.startswith(b'{\n  "schema"') and content.endswith(b"}\n")


def test_json_schema_refuses_what_the_model_does_not_have(tmp_path: Path) -> None:
    document = json.loads(render("json", tmp_path, catalogue())["catalog.json"])
    document["plugins"]["au:aufx-dely-appl"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, load_schema())


def test_json_options(tmp_path: Path) -> None:
    content = render("json", tmp_path, catalogue(), indent=0, timestamps=True)["catalog.json"]
    assert content.count(b"\n") == 1
    document = json.loads(content)
    jsonschema.validate(document, load_schema())
    assert document["plugins"]["vst3:5653544156564661766120766F63616C"]["scanned_at"] == "2024-05-01T10:00:00Z"


def test_yaml_holds_the_same_document_as_json(tmp_path: Path) -> None:
    assert yaml_load(render("yaml", tmp_path, catalogue())["catalog.yaml"]) == json.loads(
        render("json", tmp_path, catalogue())["catalog.json"]
    )


# --- presets in the json (and yaml) export ---------------------------------------------------------------


def catalogue_presets(plugins: list[Plugin]) -> list[Preset]:
    """Two factory programs of Pro-Q 3 (one seen on two machines), an LV2 preset of ZamComp with its
    values, and one preset whose plugin is not installed, in no particular order."""
    eq, zam = plugins[0], plugins[-1]
    laptop, studio = Host("laptop", "Linux"), Host("studio", "Linux")
    zero = Preset("urn:zamaudio:ZamComp#preset001", "Zero", zam.id, "lv2", PresetSource.BUNDLE, path=zam.path,
                  values=(("att", 10.0), ("rel", math.inf)), fingerprint="s1-m2", host=studio)  # fmt: skip
    return [
        zero,
        Preset(f"{eq.id}#0/1", "Low Cut", eq.id, "vst3", PresetSource.FACTORY, bank="Factory", host=studio),
        Preset(f"{eq.id}#0/0", "Bright", eq.id, "vst3", PresetSource.FACTORY, bank="Factory", host=studio),
        Preset(f"{eq.id}#0/0", "Bright", eq.id, "vst3", PresetSource.FACTORY, bank="Factory", host=laptop),
        Preset("urn:gone#1", "Lost", "lv2:urn:gone", "lv2", PresetSource.BUNDLE, path="/gone.lv2", tags=("x",)),
    ]


def with_presets(name: str, folder: Path, plugins: list[Plugin], presets: list[Preset]) -> bytes:
    exporter = EXPORTERS[name]
    assert isinstance(exporter, PresetExporter)
    [written] = exporter.render_with_presets(plugins, presets, target(folder, name), {})
    return written.content


def test_json_presets_are_one_list_by_plugin_then_id_valid_against_the_schema(tmp_path: Path) -> None:
    plugins, presets = catalogue(), catalogue_presets(catalogue())
    content = with_presets("json", tmp_path, plugins, presets)
    document = json.loads(content)
    jsonschema.validate(document, load_schema(), cls=jsonschema.Draft202012Validator)
    assert (document["schema"], document["version"]) == ("urn:pluginary:schema:catalog:3", 3)
    keys = [(p["plugin_id"], p["id"]) for p in document["presets"]]
    assert keys == sorted({(p.plugin_id, p.id) for p in presets})  # each once, though seen on two machines
    bright = next(p for p in document["presets"] if p["name"] == "Bright")
    assert bright["host"] == {"name": "laptop", "os": "Linux"}  # the first machine by name, as for plugins
    zero = next(p for p in document["presets"] if p["name"] == "Zero")
    assert zero["values"] == [["att", 10.0], ["rel", None]] and zero["source"] == "bundle" and "fingerprint" not in zero
    assert "lv2:urn:gone" in {p["plugin_id"] for p in document["presets"]} - set(document["plugins"])  # the orphan
    # A plugin's record is version 2's, whatever presets there are.
    assert document["plugins"] == json.loads(render("json", tmp_path, plugins)["catalog.json"])["plugins"]
    for seed in range(3):
        shuffled = random.Random(seed).sample(presets, len(presets))
        assert with_presets("json", tmp_path, plugins[::-1], shuffled) == content


def test_json_schema_refuses_a_preset_without_its_plugin_or_with_a_field_the_model_lacks(tmp_path: Path) -> None:
    document = json.loads(with_presets("json", tmp_path, catalogue(), catalogue_presets(catalogue())))
    for change in ({"colour": "red"}, {"plugin_id": "no-format-prefix"}, {"source": "somewhere"}):
        broken = json.loads(json.dumps(document))
        broken["presets"][0].update(change)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, load_schema())
    del document["presets"][0]["plugin_id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, load_schema())


def test_yaml_holds_the_same_presets_as_json_even_hostile_ones(tmp_path: Path) -> None:
    hostile = [attrs.evolve(p, name=HOSTILE_NAME, bank=HOSTILE_NAME) for p in catalogue_presets(catalogue())]
    expected = json.loads(with_presets("json", tmp_path, catalogue(), hostile))
    assert expected["presets"][0]["name"] == HOSTILE_NAME.replace("\udcff", "\ufffd").replace("\ud800", "\ufffd")
    yaml_export = with_presets("yaml", tmp_path, catalogue(), hostile)
    assert yaml_load(yaml_export) == expected == pyyaml_load(yaml_export)


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_the_export_stage_hands_the_catalogues_presets_to_an_exporter_that_takes_them(tmp_path: Path) -> None:
    plugins = catalogue()
    catalog = stored_catalogue(tmp_path, plugins)
    backend = SQLiteBackend(catalog)
    by_file: dict[str, list[Preset]] = {}
    for preset in catalogue_presets(plugins):
        if preset.host.name != "laptop":  # one machine's, as a scan stores them
            by_file.setdefault(preset.path or plugins[0].path, []).append(preset)
    in_file = {path: tuple(p for p in plugins if p.path == path) for path in by_file}
    backend.write(
        [FileResult(PluginFile(path, held[0].format, 1, 1, "f"), plugins=in_file[path], presets=tuple(held))
         for path, held in by_file.items()]
    )  # fmt: skip
    backend.close()
    for name in ("json", "csv"):  # csv: an exporter without presets, called as before
        done = pluginary("export", name, str(tmp_path / f"out.{name}"), "--catalog", str(catalog))
        assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "out.json").read_bytes())
    jsonschema.validate(document, load_schema())
    assert {(p["plugin_id"], p["name"]) for p in document["presets"]} == {
        (plugins[0].id, "Bright"), (plugins[0].id, "Low Cut"), (plugins[-1].id, "Zero"), ("lv2:urn:gone", "Lost"),
    }  # fmt: skip
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert sorted(row["id"] for row in rows) == sorted(p.id for p in plugins)


@pytest.mark.slow
def test_yaml_quotes_what_a_reader_would_misread(tmp_path: Path) -> None:
    names = ["yes", "No", "1.0", "a: b", "- x", "#x", "a\x85b", "a\u2028b", "null", "~", "Café 😀", "1:2", "0o17"]
    made = [Plugin(id=f"lv2:urn:{i}", format="lv2", name=name, path="/x") for i, name in enumerate(names)]
    content = render("yaml", tmp_path, made)["catalog.yaml"]
    for load in (yaml_load, pyyaml_load):
        assert [load(content)["plugins"][p.id]["name"] for p in made] == names
    text = content.decode()
    assert '"name": "yes"' in text and '"name": "1:2"' in text and "Café 😀" in text  # still readable


# What PyYAML (YAML 1.1) and ruamel (YAML 1.2) read differently when an emitter writes it plain, or refuse.
YAML_HOSTILE = [
    "1:2", "1:20:30", "0o17", "017", "0x1F", "0b101", "1_000", ".inf", "-.Inf", ".NaN", "~", "null", "Null", "",
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "1e-05", "1.0", "+1", "2024-05-01", "2024-05-01T10:00:00Z",
    "=", "<<", "- x", "? x", ": x", "*a", "&a", "!x", "%YAML", "---", "...", "#", "@", "`", "'", '"', "\\", "{", "[",
    "a: b", "a #b", " lead", "trail ", "\t", "\n", "\r\n", "\x85", "\u2028", "\u2029", "\x7f", "\x9f",
    "\ufeff", "\ufffe", "\uffff", "\x00", "\x1b", "😀", "\u202e", "é",
]  # fmt: skip
yaml_text = st.one_of(
    st.lists(st.sampled_from(YAML_HOSTILE), min_size=1, max_size=4).map("".join),
    st.sampled_from(YAML_HOSTILE),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=30),
    st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=5).map(lambda t: t * 400),  # long
)
yaml_float = st.one_of(
    # No subnormals: a library built with -ffast-math, loaded earlier in the same test process, flushes them.
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False),
    st.sampled_from([1e-05, 1e16, -0.0, 2.2250738585072014e-308, 1.7976931348623157e308, 62.0, 0.1]),
    st.none(),
)


@st.composite
def yaml_plugins(draw: st.DrawFn) -> list[Plugin]:
    made = []
    for number in range(draw(st.integers(1, 4))):
        made.append(
            Plugin(
                id=f"lv2:{number}" + draw(yaml_text),  # a key too: ids up to 2,000 characters
                format="lv2",
                name=draw(yaml_text),
                vendor=draw(yaml_text),
                version=draw(yaml_text),
                path=draw(yaml_text),
                tags=tuple(draw(st.lists(yaml_text, max_size=3))),
                categories=tuple(
                    Category(c, confidence=draw(yaml_float) or 0.0) for c in draw(st.lists(yaml_text, max_size=2))
                ),
                latency=draw(st.none() | st.integers(-(2**63), 2**63)),
                parameters=tuple(
                    Parameter(
                        index,
                        draw(yaml_text),
                        units=draw(yaml_text),
                        default=draw(yaml_float),
                        minimum=draw(yaml_float),
                        maximum=draw(yaml_float),
                        default_text=draw(yaml_text),
                        choices=tuple(draw(st.lists(yaml_text, max_size=2))),
                    )
                    for index in range(draw(st.integers(0, 3)))
                ),
                scanned_at=draw(yaml_text),
            )
        )
    return made


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=yaml_plugins(), timestamps=st.booleans())
def test_pyyaml_and_ruamel_read_the_yaml_export_back_equal_to_the_json_export(
    made: list[Plugin], timestamps: bool, tmp_path: Path
) -> None:
    """Number-like strings, YAML 1.1 words, sexagesimals, exponent floats, infinities, long strings and keys,
    Unicode line breaks: PyYAML's safe_load and ruamel (pure and C) both give back the JSON export's data."""
    expected = json.loads(render("json", tmp_path, made, timestamps=timestamps)["catalog.json"])
    content = render("yaml", tmp_path, made, timestamps=timestamps)["catalog.yaml"]
    assert pyyaml_load(content) == expected
    assert yaml_load(content) == expected
    assert YAML(typ="safe").load(content) == expected


def test_pyyaml_reads_the_yaml_export_as_valid_against_the_schema(tmp_path: Path) -> None:
    """What PyYAML read from the old export failed our schema (a version `1:2` became the number 62)."""
    made = [attrs.evolve(p, version="1:2", latency=None) for p in catalogue()]
    made[0] = attrs.evolve(made[0], parameters=(Parameter(0, "x", default=1e-05, minimum=float("-inf")),))
    document = pyyaml_load(render("yaml", tmp_path, made, timestamps=True)["catalog.yaml"])
    jsonschema.validate(document, load_schema(), cls=jsonschema.Draft202012Validator)
    first = document["plugins"][made[0].id]
    assert first["version"] == "1:2" and first["parameters"][0]["default"] == 1e-05
    assert first["parameters"][0]["minimum"] is None  # no infinity in the document, as in the JSON export


def test_csv_rows_and_parameters_file(tmp_path: Path) -> None:
    files = render("csv", tmp_path, catalogue(), parameters=True)
    rows = list(csv.DictReader(io.StringIO(files["plugins.csv"].decode())))
    assert [r["id"] for r in rows] == sorted(p.id for p in catalogue())
    au = next(r for r in rows if r["format"] == "au")
    assert au["categories"] == "Effect/Delay|Effect/Modulation" and au["is_instrument"] == "false"
    assert "scanned_at" not in au
    params = list(csv.DictReader(io.StringIO(files["plugins.parameters.csv"].decode())))
    assert [(p["plugin_id"], p["index"], p["name"]) for p in params] == [
        ("lv2:urn:zamaudio:ZamComp", "3", "Attack"),
        ("lv2:urn:zamaudio:ZamComp", "4", "Release"),
        ("vst3:5653544156564661766120766F63616C", "0", "Band 1 Frequency"),
        ("vst3:5653544156564661766120766F63616C", "1", "Band 1 Shape"),
    ]
    assert params[0]["default"] == "10.0" and params[3]["choices"] == "Bell|Low Shelf"
    assert list(render("csv", tmp_path, catalogue())) == ["plugins.csv"]  # the second file only on request


def test_reaper_files(tmp_path: Path) -> None:
    files = render("reaper", tmp_path, catalogue())
    tags = ini(files["reaper-fxtags.ini"])
    assert dict(tags["category"]) == {
        "Apple: AUDelay": "Delay|Modulation",
        "FabFilter_Pro_Q_3.vst3": "EQ",
        "Surge_XT.vst3": "Synth",
        "urn:zamaudio:ZamComp": "Dynamics",
    }
    assert tags["developer"]["FabFilter_Pro_Q_3.vst3"] == "FabFilter"
    folders = ini(files["reaper-fxfolders.ini"])
    count = int(folders["Folders"]["NbFolders"])
    named = {folders["Folders"][f"Name{i}"]: folders["Folders"][f"Id{i}"] for i in range(count)}
    assert list(named) == [
        "Favorites",  # REAPER's own, made for the plugin tagged favorite (tests/test_exporters_reaper.py)
        "Pluginary: Instrument/Synth",
        "Pluginary: Effect/EQ",
        "Pluginary: Effect/Dynamics",
        "Pluginary: Effect/Delay",
        "Pluginary: Effect/Modulation",
    ]
    eq = folders[f"Folder{named['Pluginary: Effect/EQ']}"]
    assert (eq["Nb"], eq["Item0"], eq["Type0"]) == ("1", "/usr/lib/vst3/FabFilter Pro-Q 3.vst3", "3")
    delay = folders[f"Folder{named['Pluginary: Effect/Delay']}"]
    assert (delay["Item0"], delay["Type0"]) == ("Apple: AUDelay", "5")


def test_reaper_options_choose_the_files(tmp_path: Path) -> None:
    assert list(render("reaper", tmp_path, catalogue(), folders=False)) == ["reaper-fxtags.ini"]
    assert list(render("reaper", tmp_path, catalogue(), tags=False)) == ["reaper-fxfolders.ini"]


def test_reaper_vst_key_is_the_file_name_the_way_reaper_spells_it() -> None:
    assert vst_file_key("/x/FabFilter Pro-Q 3.vst3") == "FabFilter_Pro_Q_3.vst3"
    assert vst_file_key("C:\\VST3\\Canvas Audio - 8K.vst3") == "Canvas_Audio___8K.vst3"
    assert vst_file_key("/x/Café.vst3/Contents/x86_64-linux/Café.so") == "Caf__.vst3"
    assert vst_file_key("/usr/lib/vst/Old Amp.so") == "Old_Amp.so"  # no bundle: the file's own name
    assert vst_file_key("") == ""


def test_ardour_files(tmp_path: Path) -> None:
    """Ardour's words for our categories; user-set only for what the user labelled (a tag, a user category)."""
    no_factory_tags = tmp_path / "factory"
    no_factory_tags.write_bytes(b"<PluginTags/>")
    files = render("ardour", tmp_path, catalogue(), statuses=True, factory_tags=str(no_factory_tags))
    root = ET.fromstring(files["plugin_tags"])
    assert root.tag == "PluginTags"
    entries = {(e.get("type"), e.get("id")): (e.get("tags"), e.get("name"), e.get("user-set")) for e in root}
    assert entries == {
        ("AudioUnit", "aufx-dely-appl"): ("delay modulation", "AUDelay", "1"),  # not the old decimal form
        ("LV2", "urn:zamaudio:ZamComp"): ("dyn:compressor hidden", "ZamComp", "1"),
        ("VST3", "5653544156564661766120766F63616C"): ("eq:parametric favorite mixing", "Pro-Q 3", "1"),
        ("VST3", "ABCDEF0123456789ABCDEF0123456789"): ("instrument synth", "Surge XT", None),  # nobody tagged it
    }
    # Without Ardour's factory file an untagged plugin gets no entry: it could replace Ardour's own tags.
    unknown = {
        (e.get("type"), e.get("id")) for e in ET.fromstring(render("ardour", tmp_path, catalogue())["plugin_tags"])
    }
    assert ("VST3", "ABCDEF0123456789ABCDEF0123456789") not in unknown and len(unknown) == 3
    assert files["plugin_statuses"].decode().splitlines() == [
        "LV2 Hidden urn:zamaudio:ZamComp",
        "VST3 Favorite 5653544156564661766120766F63616C",
    ]
    assert list(render("ardour", tmp_path, catalogue())) == ["plugin_tags"]  # statuses only on request


def test_logic_files(tmp_path: Path) -> None:
    files = render("logic", tmp_path, catalogue())
    assert sorted(files) == ["61756678-64656c79-6170706c.tagset", "MusicApps.properties", "MusicApps.tagpool"]
    tagset = plistlib.loads(files["61756678-64656c79-6170706c.tagset"])
    assert tagset == {"tags": {"Effect:Delay": "user", "Effect:Modulation": "user"}}
    assert plistlib.loads(files["MusicApps.tagpool"]) == {"Effect": 1, "Effect:Delay": 1, "Effect:Modulation": 1}
    assert plistlib.loads(files["MusicApps.properties"]) == {"sorting": ["Effect", "Effect:Delay", "Effect:Modulation"]}


def test_logic_writes_nothing_without_audio_units(tmp_path: Path) -> None:
    assert render("logic", tmp_path, [p for p in catalogue() if p.format != "au"]) == {}


# --- merging into the user's files ------------------------------------------------------------------

REAPER_TAGS = (
    "[developer]\r\nreaeq.dll=Cockos\r\nFabFilter_Pro_Q_3.vst3=Old Name\r\n\r\n"
    "[category]\r\nreaeq.dll=EQ\r\nJS: utility/volume=Utility\r\n\r\n[custom]\r\n; a comment REAPER ignores\r\nx=1\r\n"
)
REAPER_FOLDERS = (
    "[Folder0]\nItem0=ReJJ/ReEQ.jsfx\nNb=1\nType0=2\n\n"
    "[Folder1]\nItem0=/old/Gone.vst3\nNb=1\nType0=3\n\n"
    "[Folder7]\nItem0=dyn\nNb=1\nType0=1048576\n\n"
    "[Folders]\nId0=0\nName0=Favorites\nId1=1\nName1=Pluginary: Effect/Reverb\nId2=7\nName2=Smart: dynamics\n"
    "NbFolders=3\n\n"
)


def test_reaper_merge_keeps_what_pluginary_does_not_own(tmp_path: Path) -> None:
    folder = tmp_path / "reaper"
    folder.mkdir()
    (folder / "reaper-fxtags.ini").write_bytes(REAPER_TAGS.encode())
    (folder / "reaper-fxfolders.ini").write_bytes(REAPER_FOLDERS.encode())
    files = render("reaper", tmp_path, catalogue())

    text = files["reaper-fxtags.ini"].decode()
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # REAPER's own line endings kept
    assert "; a comment REAPER ignores" in text
    tags = ini(files["reaper-fxtags.ini"])
    assert tags["developer"]["reaeq.dll"] == "Cockos" and tags["category"]["JS: utility/volume"] == "Utility"
    assert tags["developer"]["FabFilter_Pro_Q_3.vst3"] == "FabFilter"  # updated in place
    assert text.index("FabFilter_Pro_Q_3.vst3=FabFilter") < text.index("[category]")
    assert tags["custom"]["x"] == "1"

    folders = ini(files["reaper-fxfolders.ini"])
    count = int(folders["Folders"]["NbFolders"])
    named = {folders["Folders"][f"Name{i}"]: folders["Folders"][f"Id{i}"] for i in range(count)}
    assert list(named)[:2] == ["Favorites", "Smart: dynamics"] and named["Smart: dynamics"] == "7"
    assert folders["Folder0"]["Item0"] == "ReJJ/ReEQ.jsfx" and folders["Folder7"]["Type0"] == "1048576"
    assert "Pluginary: Effect/Reverb" not in named  # a folder Pluginary owned and no longer needs
    assert "/old/Gone.vst3" not in files["reaper-fxfolders.ini"].decode()
    ours = [v for k, v in named.items() if k.startswith("Pluginary: ")]
    assert len(set(ours)) == len(ours) and not set(ours) & {"0", "7"}
    assert all(folders.has_section(f"Folder{i}") for i in ours)


def test_reaper_keeps_folders_even_when_their_count_is_missing(tmp_path: Path) -> None:
    (tmp_path / "reaper").mkdir()
    (tmp_path / "reaper" / "reaper-fxfolders.ini").write_text("[Folders]\nName0=Favorites\nId0=0\nNbFolders=x\n")
    folders = ini(render("reaper", tmp_path, catalogue(), tags=False)["reaper-fxfolders.ini"])
    assert (folders["Folders"]["Name0"], folders["Folders"]["Id0"]) == ("Favorites", "0")
    assert int(folders["Folders"]["NbFolders"]) == 6


def test_reexport_keeps_folder_ids_and_bytes(tmp_path: Path) -> None:
    first = EXPORTERS["reaper"].render(catalogue(), tmp_path, {})
    write_outputs(first, dry_run=False)
    again = EXPORTERS["reaper"].render(catalogue(), tmp_path, {})
    assert [f.content for f in again] == [f.content for f in first]
    assert {c.status for c in write_outputs(again, dry_run=False)} == {"unchanged"}


def test_ardour_merge_keeps_foreign_entries_and_lines(tmp_path: Path) -> None:
    folder = tmp_path / "ardour"
    folder.mkdir()
    (folder / "plugin_tags").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<PluginTags>\n'
        '  <Plugin type="Lua" id="cd142c1a" tags="example" name="NoiseGen" user-set="1"/>\n'
        '  <Plugin type="LV2" id="urn:zamaudio:ZamComp" tags="old" name="ZamComp" user-set="1"/>\n</PluginTags>\n'
    )
    (folder / "plugin_statuses").write_text("LADSPA Favorite 1216\nLV2 Normal urn:zamaudio:ZamComp\n")
    files = render("ardour", tmp_path, catalogue(), statuses=True)
    root = ET.fromstring(files["plugin_tags"])
    ids = [e.get("id") for e in root]
    assert ids[:2] == ["cd142c1a", "urn:zamaudio:ZamComp"]  # kept in place, ours updated in place
    assert root[0].attrib == {"type": "Lua", "id": "cd142c1a", "tags": "example", "name": "NoiseGen", "user-set": "1"}
    assert root[1].get("tags") == "dyn:compressor hidden"
    assert files["plugin_statuses"].decode().splitlines() == [
        "LADSPA Favorite 1216",
        "LV2 Hidden urn:zamaudio:ZamComp",
        "VST3 Favorite 5653544156564661766120766F63616C",
    ]


def test_ardour_refuses_to_merge_into_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "ardour").mkdir()
    (tmp_path / "ardour" / "plugin_tags").write_text("<PluginTags><Plugin")
    with pytest.raises(StageError, match="not valid XML"):
        render("ardour", tmp_path, catalogue())


def test_logic_merge_keeps_user_tags_and_format(tmp_path: Path) -> None:
    folder = tmp_path / "logic"
    folder.mkdir()
    old = {"nickname": "Echo", "tags": {"My Faves": "user", "Effect:Reverb": "user"}}
    (folder / "61756678-64656c79-6170706c.tagset").write_bytes(plistlib.dumps(old, fmt=plistlib.FMT_BINARY))
    (folder / "61756678-61616161-6170706c.tagset").write_bytes(plistlib.dumps({"tags": {"Effect:Delay": "user"}}))
    (folder / "MusicApps.tagpool").write_bytes(plistlib.dumps({"": 40, "My Faves": 3, "Effect:Reverb": 9}))
    (folder / "MusicApps.properties").write_bytes(plistlib.dumps({"sorting": ["My Faves"], "user_sorted": "property"}))
    files = render("logic", tmp_path, catalogue())
    tagset = files["61756678-64656c79-6170706c.tagset"]
    assert tagset.startswith(b"bplist")  # written back as it was read
    assert plistlib.loads(tagset) == {
        "nickname": "Echo",
        "tags": {"My Faves": "user", "Effect:Delay": "user", "Effect:Modulation": "user"},
    }
    pool = plistlib.loads(files["MusicApps.tagpool"])
    # Counts over every tag set in the folder; the user's own categories untouched.
    assert pool == {"": 40, "My Faves": 3, "Effect:Reverb": 0, "Effect": 2, "Effect:Delay": 2, "Effect:Modulation": 1}
    assert plistlib.loads(files["MusicApps.properties"]) == {
        "sorting": ["My Faves", "Effect", "Effect:Delay", "Effect:Modulation"],
        "user_sorted": "property",
    }


def test_logic_properties_false_still_lists_new_categories_in_sorting(tmp_path: Path) -> None:
    """A category missing from `sorting` may not show in Logic's Plug-in Manager: with `properties: false` an
    existing MusicApps.properties still gets every new category (the user's order first), parsed back here;
    only a missing one is not created."""
    folder = tmp_path / "logic"
    folder.mkdir()
    old = {"sorting": ["My Faves", "Effect"], "user_sorted": "property"}
    (folder / "MusicApps.properties").write_bytes(plistlib.dumps(old, fmt=plistlib.FMT_BINARY))
    files = render("logic", tmp_path, catalogue(), properties=False)
    assert files["MusicApps.properties"].startswith(b"bplist")
    properties = plistlib.loads(files["MusicApps.properties"])
    pool = plistlib.loads(files["MusicApps.tagpool"])
    assert properties == {
        "sorting": ["My Faves", "Effect", "Effect:Delay", "Effect:Modulation"],
        "user_sorted": "property",
    }
    assert {tag for tag, count in pool.items() if count} <= set(properties["sorting"])  # every category shows
    (folder / "MusicApps.properties").unlink()
    assert "MusicApps.properties" not in render("logic", tmp_path, catalogue(), properties=False)


# --- options ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPORTERS)
def test_unknown_option_lists_the_allowed_ones(name: str, tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as info:
        EXPORTERS[name].render(catalogue(), target(tmp_path, name), {"colour": "red"})
    message = str(info.value)
    assert "'colour'" in message and "allowed:" in message and name in message


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("json", {"indent": "2"}),
        ("json", {"indent": True}),
        ("json", {"indent": -1}),
        ("csv", {"parameters": 1}),
        ("reaper", {"folder_prefix": ""}),
        ("ardour", {"statuses": "yes"}),
        ("logic", {"properties": None}),
    ],
)
def test_wrong_option_values_are_refused(name: str, options: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(PipelineError):
        EXPORTERS[name].render(catalogue(), target(tmp_path, name), options)


@pytest.mark.parametrize("name", FOLDER_EXPORTERS)
def test_folder_exporters_refuse_a_file_path(name: str, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PipelineError, match="needs a folder"):
        EXPORTERS[name].render(catalogue(), tmp_path / "afile", {})


# --- hostile names and determinism (hypothesis) -----------------------------------------------------

HOSTILE = [
    "=",
    "[",
    "]",
    "<",
    ">",
    "&",
    '"',
    "'",
    "\n",
    "\r\n",
    "😀",
    "a=b",
    "[category]",
    ";x",
    "#x",
    " lead",
    "%(x)s",
    "\t",
    "-->",
    "]]>",
    "\u2028",
    "\x07",
    "|",
    ",",
    ":",
]
hostile_text = st.one_of(
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=3), max_size=6).map("".join),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=20),
)
four_chars = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=4, max_size=4)


@st.composite
def plugins(draw: st.DrawFn) -> list[Plugin]:
    count = draw(st.integers(1, 5))
    made: list[Plugin] = []
    for number in range(count):
        fmt = draw(st.sampled_from(["vst3", "au", "lv2"]))
        if fmt == "vst3":
            identity = f"{number:02d}" + draw(st.text("0123456789ABCDEF", min_size=30, max_size=30))
        elif fmt == "au":
            identity = "-".join([draw(four_chars), f"{number:04d}", draw(four_chars)])
        else:
            identity = f"urn:{number}:" + draw(hostile_text)
        name, vendor = draw(hostile_text), draw(hostile_text)
        categories = draw(
            st.lists(
                st.sampled_from(["Effect/Reverb", "Instrument", "Effect/Channel Strip"]) | hostile_text.filter(bool),
                max_size=3,
                unique=True,
            )
        )
        made.append(
            Plugin(
                id=f"{fmt}:{identity}",
                format=fmt,
                name=name,
                vendor=vendor,
                path=f"/plugins/{draw(hostile_text)}{number}.{fmt}",
                categories=tuple(Category(c) for c in categories),
                tags=tuple(draw(st.lists(hostile_text, max_size=3))),
                parameters=tuple(Parameter(i, draw(hostile_text)) for i in range(draw(st.integers(0, 2)))),
            )
        )
    return made


def expected_reaper_tags(input_plugins: list[Plugin]) -> dict[str, dict[str, str]]:
    """reaper-fxtags.ini as a dict: per key (plugins sharing one merged, first vendor kept), in id order."""
    labels: dict[str, list[str]] = {}
    vendors: dict[str, str] = {}
    for plugin in sorted(input_plugins, key=lambda p: p.id):
        key = reaper_name(plugin).key  # type: ignore[union-attr]
        if not key:  # a name that is nothing but blanks and control characters: REAPER could not key it
            continue
        labels.setdefault(key, [])
        labels[key] += [label for label in category_labels(plugin) if label not in labels[key]]
        if single_line(plugin.vendor) and not vendors.get(key):
            vendors[key] = single_line(plugin.vendor)
    sections = {"developer": vendors, "category": {k: "|".join(v) for k, v in labels.items() if v}}
    return {name: entries for name, entries in sections.items() if entries}


def expected_ardour_tags(input_plugins: list[Plugin]) -> dict[tuple[str, str], dict[str, str]]:
    """plugin_tags' entries, without Ardour's factory file: the first plugin by id per Ardour identity, if the
    user labelled it, its attributes exactly."""
    expected: dict[tuple[str, str], dict[str, str]] = {}
    seen: set[tuple[str, str]] = set()
    for plugin in sorted(input_plugins, key=lambda p: p.id):
        identity, tags = ardour_identity(plugin), ardour_tags(plugin)
        if identity and identity not in seen and tags and is_user_set(plugin):
            expected[identity] = {
                "type": identity[0],
                "id": identity[1],
                "tags": tags,
                "name": xml_safe(single_line(plugin.name)),
                "user-set": "1",
                "pluginary": "1",
            }
        seen.add(identity or ("", ""))
    return expected


def unescape(text: str) -> str:
    """A CSV text cell's value: the formula-escaping `'` removed."""
    return text.removeprefix("'")


def parse_back(name: str, files: dict[str, bytes], input_plugins: list[Plugin]) -> None:
    """Each file loads with the standard parser of its format, and what must survive does."""
    by_id = {p.id: p for p in input_plugins}
    for filename, content in files.items():
        if name == "json":
            document = json.loads(content)
            jsonschema.validate(document, load_schema())
            assert {k: (v["name"], v["vendor"], v["tags"]) for k, v in document["plugins"].items()} == {
                k: (p.name, p.vendor, list(p.tags)) for k, p in by_id.items()
            }
        elif name == "yaml":
            for load in (yaml_load, pyyaml_load):
                document = load(content)
                assert {k: v["name"] for k, v in document["plugins"].items()} == {k: p.name for k, p in by_id.items()}
        elif name == "csv":
            rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
            if filename.endswith(".parameters.csv"):
                assert len(rows) == sum(len(p.parameters) for p in input_plugins)
            else:
                assert {r["id"]: (unescape(r["name"]), unescape(r["vendor"])) for r in rows} == {
                    k: (p.name, p.vendor) for k, p in by_id.items()
                }
                assert not any(value.startswith(FORMULA_STARTS[:-1]) for row in rows for value in row.values())
        elif name == "reaper":
            parsed = ini(content)
            for section in parsed.sections():
                for key, value in parsed[section].items():
                    assert "\n" not in key + value and "\r" not in key + value
            if filename.endswith("fxtags.ini"):
                # Exactly the keys and values rendered: a name cannot add a key, a section or a line.
                assert {s: dict(parsed[s]) for s in parsed.sections()} == expected_reaper_tags(input_plugins)
        elif name == "ardour":
            if filename.endswith("plugin_tags"):
                root = ET.fromstring(content)
                assert {(e.get("type"), e.get("id")): dict(e.attrib) for e in root} == expected_ardour_tags(
                    input_plugins
                )
            else:
                assert all(len(line.split(" ", 2)) == 3 for line in content.decode().splitlines())
        else:
            loaded = plistlib.loads(content)
            if filename.endswith(".tagset"):
                assert set(loaded["tags"]) <= {logic_category(c.name) for p in input_plugins for c in p.categories}


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPORTERS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalogue_=plugins(), seed=st.randoms(use_true_random=False))
def test_hostile_names_never_corrupt_an_export_and_order_never_matters(
    name: str, catalogue_: list[Plugin], seed: random.Random, tmp_path: Path
) -> None:
    folder = tmp_path / "nothing-here-yet"  # exporters only read: nothing is created
    files = render(name, folder, catalogue_, **ALL_OPTIONS[name])
    parse_back(name, files, catalogue_)
    shuffled = list(catalogue_)
    seed.shuffle(shuffled)
    assert render(name, folder, shuffled, **ALL_OPTIONS[name]) == files
    assert not folder.exists()


@pytest.mark.parametrize("name", EXPORTERS)
def test_same_catalogue_in_any_order_gives_identical_bytes(name: str, tmp_path: Path) -> None:
    # The same plugin seen on two machines: one is kept, the same one whatever the order.
    twice = [*catalogue(), attrs.evolve(catalogue()[0], host=Host("laptop", "macOS"), name="Pro-Q 3 (laptop)")]
    first = render(name, tmp_path, twice, **ALL_OPTIONS[name])
    assert render(name, tmp_path, list(reversed(twice)), **ALL_OPTIONS[name]) == first
    if name == "json":
        assert json.loads(first["catalog.json"])["plugins"][twice[0].id]["host"]["name"] == "laptop"


# --- write_outputs ----------------------------------------------------------------------------------


def test_write_creates_changes_and_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "out.txt"
    [created] = write_outputs([OutputFile(path, b"one\n")], dry_run=False)
    assert created.status == "created" and path.read_bytes() == b"one\n" and created.backup is None
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    [unchanged] = write_outputs([OutputFile(path, b"one\n")], dry_run=False)
    assert unchanged.status == "unchanged" and path.stat().st_mtime_ns == 1_000_000_000
    [changed] = write_outputs([OutputFile(path, b"two\n")], dry_run=False)
    assert changed.status == "changed" and path.read_bytes() == b"two\n"
    assert changed.backup is not None and changed.backup.read_bytes() == b"one\n"
    assert changed.backup.name.startswith("out.txt.") and changed.backup.name.endswith(".bak")
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_write_keeps_the_new_file_permissions_of_the_old(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_bytes(b"a")
    path.chmod(0o640)
    write_outputs([OutputFile(path, b"b")], dry_run=False)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_symlinked_file_is_written_through_its_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "reaper-fxtags.ini"
    real.parent.mkdir()
    real.write_bytes(b"[category]\n")
    link = tmp_path / "reaper-fxtags.ini"
    link.symlink_to(real)
    [change] = write_outputs([OutputFile(link, b"[category]\nx=EQ\n")], dry_run=False)
    assert link.is_symlink() and real.read_bytes() == b"[category]\nx=EQ\n"
    assert change.backup is not None and change.backup.parent == real.parent


def test_backups_are_pruned_to_the_newest_few(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    for number in range(KEEP_BACKUPS + 3):
        write_outputs([OutputFile(path, f"{number}\n".encode())], dry_run=False)
    kept = backups(path)
    assert len(kept) == KEEP_BACKUPS
    assert [p.read_text() for p in kept] == [f"{n}\n" for n in range(2, KEEP_BACKUPS + 2)]  # oldest first


def test_no_backup_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_bytes(b"a")
    [change] = write_outputs([OutputFile(path, b"b")], dry_run=False, backup=False)
    assert change.backup is None and backups(path) == []


def test_dry_run_writes_nothing_and_shows_a_diff(tmp_path: Path) -> None:
    old = tmp_path / "old.ini"
    old.write_bytes(b"[a]\nx=1\ny=2\n")
    new = tmp_path / "sub" / "new.ini"
    changes = write_outputs([OutputFile(old, b"[a]\nx=1\ny=3\n"), OutputFile(new, b"z=1")], dry_run=True)
    assert [c.status for c in changes] == ["changed", "created"]
    assert "-y=2\n+y=3\n" in changes[0].diff and changes[0].diff.startswith(f"--- a/{old}\n+++ b/{old}\n")
    assert changes[1].diff.startswith("--- /dev/null\n") and "+z=1\n\\ No newline at end of file" in changes[1].diff
    assert old.read_bytes() == b"[a]\nx=1\ny=2\n" and not new.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.ini"]


def test_dry_run_summarises_a_binary_plist(tmp_path: Path) -> None:
    path = tmp_path / "x.tagset"
    path.write_bytes(plistlib.dumps({"tags": {}}, fmt=plistlib.FMT_BINARY))
    [change] = write_outputs(
        [OutputFile(path, plistlib.dumps({"tags": {"A": "user"}}, fmt=plistlib.FMT_BINARY))], dry_run=True
    )
    assert change.status == "changed" and change.diff.startswith(f"Binary file {path} differs (")
    assert change.diff.count("\n") == 1


def test_dry_run_of_an_exporter_then_the_real_thing(tmp_path: Path) -> None:
    files = EXPORTERS["ardour"].render(catalogue(), tmp_path, {})
    [preview] = write_outputs(files, dry_run=True)
    assert preview.status == "created" and '+  <Plugin type="LV2" id="urn:zamaudio:ZamComp"' in preview.diff
    assert not (tmp_path / "plugin_tags").exists()
    write_outputs(files, dry_run=False)
    assert [c.status for c in write_outputs(EXPORTERS["ardour"].render(catalogue(), tmp_path, {}), dry_run=True)] == [
        "unchanged"
    ]


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a read-only one, or (as root, who ignores modes) /sys."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys/kernel")):
        try:
            (candidate / ".probe").touch()
        except OSError:
            return candidate
        (candidate / ".probe").unlink()
    missing("no folder here that this user cannot write to (root without a read-only /sys)")


def test_read_only_folder_is_a_stage_error(tmp_path: Path) -> None:
    folder = unwritable_folder(tmp_path)
    with pytest.raises(StageError) as info:
        write_outputs([OutputFile(folder / "plugin_tags", b"x")], dry_run=False)
    message = str(info.value)
    assert "plugin_tags" in message and "writable" in message and "\n" not in message
    assert info.value.exit_code == 3
    assert not (folder / "plugin_tags").exists()


def test_full_disk_is_a_stage_error_and_the_old_file_survives(tmp_path: Path) -> None:
    """A write cut short (here by a file-size limit, as a full disk would) leaves the old file whole."""
    path = tmp_path / "catalog.json"
    path.write_bytes(b"old content\n")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(StageError) as info:
            write_outputs([OutputFile(path, b"x" * 100_000)], dry_run=False)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert "disk space" in str(info.value)
    assert path.read_bytes() == b"old content\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# --- lines Pluginary does not own survive a merge byte for byte -------------------------------------

#: Bytes that cut a line for `str.splitlines` but not for REAPER or Ardour, and bytes that are not UTF-8.
SPLITLINES_TRAPS = [
    b"\x0c",
    b"\x1c",
    b"\x1d",
    b"\x1e",
    b"\x0b",
    b"\r",
    "\x85".encode(),
    "\u2028".encode(),
    "\u2029".encode(),
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"=",
    b"[",
    b"]",
    b";",
    b" ",
]
foreign_line = (
    st.lists(st.sampled_from(SPLITLINES_TRAPS) | st.binary(max_size=4), max_size=8)
    .map(b"".join)
    .filter(lambda line: b"\n" not in line)
)


def merged_lines(old: bytes, new: bytes) -> None:
    """Every line of `old` is in `new`, byte for byte and in order; only a last line without an ending may
    have gained one, when Pluginary added lines after it."""
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    position = 0
    for index, line in enumerate(old_lines[:-1] if old.endswith(b"\n") or not old else old_lines):
        allowed = (line, line + b"\r") if index == len(old_lines) - 1 else (line,)  # gained "\n" or "\r\n"
        while position < len(new_lines) and new_lines[position] not in allowed:
            position += 1
        assert position < len(new_lines), f"line {index} of the old file, {line!r}, is gone or changed"
        position += 1


@st.composite
def foreign_ini(draw: st.DrawFn, sections: list[str], owned: set[bytes]) -> bytes:
    """A REAPER-like file of random lines under random headers, none of them an entry Pluginary owns."""
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 4))):
        lines.append(b"[" + draw(st.sampled_from(sections)).encode() + b"]")
        lines += draw(st.lists(foreign_line.filter(lambda line: line.split(b"=", 1)[0] not in owned), max_size=5))
    endings = [draw(st.sampled_from([newline, b"\n", b"\r\n"])) for _ in lines]
    data = b"".join(line + end for line, end in zip(lines, endings, strict=True))
    unended: bool = draw(st.booleans())  # a last line without its newline
    return data.removesuffix(endings[-1]) if lines and unended else data


OWNED_REAPER_KEYS = {b"FabFilter_Pro_Q_3.vst3", b"Surge_XT.vst3", b"Apple: AUDelay", b"urn:zamaudio:ZamComp"}


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(old=foreign_ini(["category", "developer", "custom", "category]x", " category"], OWNED_REAPER_KEYS))
def test_reaper_tags_merge_keeps_every_foreign_line_byte_for_byte(old: bytes) -> None:
    new = render_tags(_entries(catalogue()), old)
    merged_lines(old, new)
    assert b"FabFilter_Pro_Q_3.vst3=EQ" in new and b"urn:zamaudio:ZamComp=Damien Zammit" in new


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(old=foreign_ini(["Folder0", "Folder7", "custom", "Folders x"], set()))
def test_reaper_folders_merge_keeps_every_foreign_line_byte_for_byte(old: bytes) -> None:
    merged_lines(old, render_folders(_entries(catalogue()), old, "Pluginary: "))


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(foreign_line.filter(lambda line: not line.strip().startswith((b"LV2", b"VST3"))), max_size=8),
    newline=st.sampled_from([b"\n", b"\r\n"]),
    final=st.booleans(),
)
@pytest.mark.slow
def test_ardour_statuses_merge_keeps_every_foreign_line_byte_for_byte(
    lines: list[bytes], newline: bytes, final: bool
) -> None:
    old = newline.join(lines) + (newline if final and lines else b"")
    new = render_statuses(sorted(catalogue(), key=lambda p: p.id), old)
    merged_lines(old, new)
    ending = b"\r\n" if b"\n" in old and old.split(b"\n")[0].endswith(b"\r") else b"\n"  # as the first line's
    assert new.endswith(
        b"LV2 Hidden urn:zamaudio:ZamComp" + ending + b"VST3 Favorite " + b"5653544156564661766120766F63616C" + ending
    )


def test_a_reaper_entry_holding_a_form_feed_or_a_unicode_line_break_is_not_cut(tmp_path: Path) -> None:
    """The cases `str.splitlines` cut in two: written back as they were, ours added beside them."""
    folder = tmp_path / "reaper"
    folder.mkdir()
    old = (
        ("[category]\r\nJS: a\x0cb=EQ\r\nc\x1cd=EQ\r\ne\x1d\x1ef\x85g\u2028h\u2029i=EQ\r\n[developer]\r\nold\xff=x")
        .encode("utf-8")
        .replace(b"\xc3\xbf", b"\xff")
    )
    (folder / "reaper-fxtags.ini").write_bytes(old)
    new = render("reaper", tmp_path, catalogue(), folders=False)["reaper-fxtags.ini"]
    assert new.startswith(old.split(b"[developer]")[0])  # the whole [category] of the user, unchanged
    assert b"\r\n[developer]\r\nold\xff=x\r\n" in new  # not UTF-8, no final newline: kept, then continued
    assert new.count(b"\n") == new.count(b"\r\n")  # REAPER's \r\n everywhere, also on the lines we add
    assert new.split(b"\r\n")[1:4] == [b"JS: a\x0cb=EQ", b"c\x1cd=EQ", "e\x1d\x1ef\x85g\u2028h\u2029i=EQ".encode()]


# --- a VST3 shell, and every field REAPER's files hold ----------------------------------------------


def test_reaper_merges_a_vst3_shells_plugins_under_one_key_and_lists_each_format_with_its_type(
    tmp_path: Path,
) -> None:
    shell = "/vst3/Waves/WaveShell1-VST3 14.0_x64.vst3"
    plugins = [
        Plugin(
            id="vst3:" + "A" * 32,
            format="vst3",
            name="C1 comp",
            vendor="",
            path=shell,
            categories=(Category("Effect/Dynamics"), Category("Effect/EQ")),
        ),
        Plugin(
            id="vst3:" + "B" * 32,
            format="vst3",
            name="H-Reverb",
            vendor="Waves",
            path=shell,
            categories=(Category("Effect/Reverb"), Category("Effect/EQ")),
        ),
        Plugin(
            id="vst3:" + "B" * 31 + "C",
            format="vst3",
            name="H-Delay",
            vendor="Waves Audio Ltd",  # a later plugin's vendor does not replace the first one found
            path=shell,
            categories=(Category("Effect/Reverb"),),
        ),
        Plugin(
            id="vst3:" + "C" * 32,
            format="vst3",
            name="Other",
            vendor="Other Co",
            path="/vst3/Other.vst3/Contents/x86_64-linux/Other.so",
            categories=(Category("Effect/EQ"),),
        ),
        Plugin(
            id="clap:org.surge-synth-team.surge-xt",
            format="clap",
            name="Surge XT",
            vendor="Surge",
            path="/clap/Surge XT.clap",
            categories=(Category("Instrument/Synth"),),
        ),
        Plugin(
            id="lv2:http://lsp-plug.in/plugins/lv2/comp",
            format="lv2",
            name="Comp",
            vendor="LSP",
            path="/lv2/lsp.lv2",
            categories=(Category("Effect/Dynamics"),),
        ),
        Plugin(
            id="au:aumu-surg-SgTm",
            format="au",
            name="Surge XT",
            vendor="Surge Synth Team",
            path="/AU/Surge.component",
            categories=(Category("Instrument/Synth"),),
        ),
        Plugin(
            id="ladspa:1216",
            format="ladspa",
            name="Not REAPER's",
            path="/ladspa/x.so",
            categories=(Category("Effect/EQ"),),
        ),
    ]
    files = render("reaper", tmp_path, plugins)
    tags = ini(files["reaper-fxtags.ini"])
    assert {s: dict(tags[s]) for s in tags.sections()} == {
        "category": {
            "Other.vst3": "EQ",
            "Surge Synth Team: Surge XT": "Synth",
            "WaveShell1_VST3_14.0_x64.vst3": "Dynamics|EQ|Reverb",  # the shell's plugins merged, in id order
            "http://lsp-plug.in/plugins/lv2/comp": "Dynamics",
            "org.surge-synth-team.surge-xt": "Synth",
        },
        "developer": {
            "Other.vst3": "Other Co",
            "Surge Synth Team: Surge XT": "Surge Synth Team",
            "WaveShell1_VST3_14.0_x64.vst3": "Waves",  # the first plugin's is empty: the next one's
            "http://lsp-plug.in/plugins/lv2/comp": "LSP",
            "org.surge-synth-team.surge-xt": "Surge",
        },
    }
    folders = ini(files["reaper-fxfolders.ini"])
    listed = {
        folders["Folders"][f"Name{i}"]: folders["Folders"][f"Id{i}"]
        for i in range(int(folders["Folders"]["NbFolders"]))
    }
    contents = {}
    for name, folder_id in listed.items():
        section = folders[f"Folder{folder_id}"]
        contents[name] = [(section[f"Item{i}"], section[f"Type{i}"]) for i in range(int(section["Nb"]))]
        assert set(section) == {"Nb"} | {f"{k}{i}" for k in ("Item", "Type") for i in range(int(section["Nb"]))}
    assert list(listed.values()) == [str(i) for i in range(len(listed))]
    assert contents == {
        "Pluginary: Instrument/Synth": [("Surge Synth Team: Surge XT", "5"), ("org.surge-synth-team.surge-xt", "7")],
        "Pluginary: Effect/EQ": [("/vst3/Other.vst3", "3"), (shell, "3")],  # the shell listed once
        "Pluginary: Effect/Dynamics": [("http://lsp-plug.in/plugins/lv2/comp", "1"), (shell, "3")],
        "Pluginary: Effect/Reverb": [(shell, "3")],
    }


def test_reaper_names_only_the_formats_it_lists() -> None:
    assert reaper_name(Plugin(id="ladspa:1", format="ladspa", name="x", path="/x.so")) is None
    assert reaper_name(Plugin(id="vst:1", format="vst", name="x", path="/x.so")) is None
    lv2 = reaper_name(Plugin(id="lv2:urn:a", format="lv2", name="x", path="/x.lv2"))
    assert lv2 is not None and (lv2.key, lv2.item, lv2.type) == ("urn:a", "urn:a", 1)


# --- hostile text: a name never adds a key, an element or a line -------------------------------------


def hostile_plugins(name: str) -> list[Plugin]:
    return [
        Plugin(
            id="lv2:urn:hostile",
            format="lv2",
            name=name,
            vendor=name,
            path="/lv2/h.lv2",
            categories=(Category("Effect/Reverb"), Category(name)),
            tags=(name, "favorite"),
        ),
        Plugin(
            id="vst3:" + "D" * 32,
            format="vst3",
            name=name,
            vendor=name,
            path=f"/vst3/{name[:50]}.vst3",
            categories=(Category("Effect/EQ"),),
            tags=(name,),
        ),
        Plugin(
            id="au:aufx-hstl-Evil",
            format="au",
            name=name,
            vendor=name,
            path="/AU/h.component",
            categories=(Category("Effect/Delay"), Category(name, CategorySource.USER)),  # user-set in Ardour
        ),
    ]


HOSTILE_NAME = (
    'x\n[category]\r\nevil=1\x00\x07\x1b[31m"\'<a b="c">&amp;]]><!--\x0c\x1c\x85\u2028\u2029=;#|,\t\udcff\ud800 end'
)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPORTERS)
@pytest.mark.parametrize("size", [1, 100_000 // len(HOSTILE_NAME)])
def test_hostile_and_huge_names_stay_one_value_in_every_format(name: str, size: int, tmp_path: Path) -> None:
    """Newlines, `=`, `]`, quotes, XML specials, control characters, lone surrogates, 100 kB names."""
    made = hostile_plugins(HOSTILE_NAME * size)
    files = render(name, tmp_path / "new", made, **ALL_OPTIONS[name])
    assert files
    # What a text format can hold: each lone surrogate as U+FFFD.
    plain = [
        attrs.evolve(
            p,
            name=p.name.replace("\ud800", "\ufffd").replace("\udcff", "\ufffd"),
            vendor=p.vendor.replace("\ud800", "\ufffd").replace("\udcff", "\ufffd"),
            tags=tuple(t.replace("\ud800", "\ufffd").replace("\udcff", "\ufffd") for t in p.tags),
        )
        for p in made
    ]
    for content in files.values():
        content.decode("utf-8")  # no raw byte smuggled in by a lone surrogate
    # JSON, YAML and CSV hold a lone surrogate as U+FFFD; the DAW files hold one-line text.
    parse_back(name, files, made if name in ("reaper", "ardour", "logic") else plain)
    if name == "reaper":
        tags = files["reaper-fxtags.ini"].decode()
        # As REAPER reads it: lines end at "\n"; two headers, three entries each, a blank line between.
        assert len(tags.split("\n")) == 10 and "\r" not in tags
        folders = files["reaper-fxfolders.ini"].decode()
        assert "\r" not in folders
        parsed = ini(files["reaper-fxfolders.ini"])
        names = [parsed["Folders"][f"Name{i}"] for i in range(int(parsed["Folders"]["NbFolders"]))]
        assert sorted(names) == sorted(
            {
                "Favorites",  # the hostile LV2 plugin is tagged favourite
                "Pluginary: Effect/Reverb",
                "Pluginary: Effect/EQ",
                "Pluginary: Effect/Delay",
                single_line("Pluginary: " + HOSTILE_NAME * size),
            }
        )
        assert len(folders.split("\n")) == 1 + 2 * 5 + 2 + 4 * 2 + 2 * 5 + 2 * 2 + 5 + 1
    elif name == "ardour":
        root = ET.fromstring(files["plugin_tags"])
        assert [e.get("id") for e in root] == ["aufx-hstl-Evil", "urn:hostile", "D" * 32]
        assert files["plugin_statuses"].decode().splitlines() == ["LV2 Favorite urn:hostile"]


# --- what the writer refuses, through the real command ----------------------------------------------


def stored_catalogue(folder: Path, plugins: list[Plugin]) -> Path:
    """A real SQLite catalogue holding `plugins` (those sharing a path as one file)."""
    path = folder / "catalog.sqlite"
    backend = SQLiteBackend(path)
    by_path: dict[str, list[Plugin]] = {}
    for plugin in plugins:
        by_path.setdefault(plugin.path, []).append(plugin)
    backend.write(
        [
            FileResult(PluginFile(p, members[0].format, 1, 1, "f"), plugins=tuple(members))
            for p, members in by_path.items()
        ]
    )
    backend.close()
    return path


def pluginary(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, timeout=timeout)


def one_line_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert all(word in done.stderr for word in words), done.stderr


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_export_refuses_a_device_without_reading_it(tmp_path: Path) -> None:
    """`export json /dev/full` read the device until it was killed at 22 GB, and would replace it as root."""
    catalog = stored_catalogue(tmp_path, catalogue())
    before = os.stat("/dev/full")
    done = pluginary("export", "json", "/dev/full", "--catalog", str(catalog), timeout=30)
    one_line_error(done, 2, "/dev/full", "character device", "not a regular file")
    after = os.stat("/dev/full")
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)


@pytest.mark.parametrize("exporter", ["json", "ardour", "reaper"])
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_export_onto_a_fifo_is_refused_and_does_not_hang(exporter: str, tmp_path: Path) -> None:
    """A FIFO as the target (json) or as the file merged into (ardour's plugin_tags, reaper's fxtags)."""
    catalog = stored_catalogue(tmp_path, catalogue())
    folder = tmp_path / "out"
    folder.mkdir()
    fifo = {"json": folder / "catalog.json", "ardour": folder / "plugin_tags", "reaper": folder / "reaper-fxtags.ini"}[
        exporter
    ]
    os.mkfifo(fifo)
    path = fifo if exporter == "json" else folder
    done = pluginary("export", exporter, str(path), "--catalog", str(catalog), timeout=30)
    one_line_error(done, 2, str(fifo), "a FIFO")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in folder.iterdir()) == [fifo.name]  # nothing else written, no temporary file


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_export_refuses_a_folder_as_a_file_target(tmp_path: Path) -> None:
    catalog = stored_catalogue(tmp_path, catalogue())
    (tmp_path / "catalog.json").mkdir()
    done = pluginary("export", "json", str(tmp_path / "catalog.json"), "--catalog", str(catalog))
    one_line_error(done, 2, "a folder", "not a regular file")


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_huge_file_to_merge_into_is_refused_unread(tmp_path: Path) -> None:
    catalog = stored_catalogue(tmp_path, catalogue())
    folder = tmp_path / "reaper"
    folder.mkdir()
    with (folder / "reaper-fxtags.ini").open("wb") as huge:  # sparse: 65 MB that take no disk
        huge.truncate(65 * 1024 * 1024)
    done = pluginary("export", "reaper", str(folder), "--catalog", str(catalog))
    one_line_error(done, 2, "reaper-fxtags.ini", "larger than 64 MB")
    assert (folder / "reaper-fxtags.ini").stat().st_size == 65 * 1024 * 1024
    assert sorted(p.name for p in folder.iterdir()) == ["reaper-fxtags.ini"]


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_merge_source_that_is_not_a_regular_file_is_refused_unread(kind: str, tmp_path: Path) -> None:
    """Opened non-blocking and checked before a byte is read: a FIFO neither blocks nor reads as empty,
    a device is not read up to the size limit."""
    from pluginary.exporters.common import read_existing

    path = tmp_path / "plugin_tags"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    expected = {"fifo": "a FIFO", "device": "a character device", "folder": "a folder"}[kind]
    with pytest.raises(PipelineError, match=f"it is {expected}, not a regular file") as info:
        read_existing(path)
    assert info.value.exit_code == 2 and str(path) in str(info.value)


def test_a_big_json_target_is_replaced_without_being_read_whole(tmp_path: Path) -> None:
    """The JSON export's own old file is not a merge source: any size is replaced (and backed up)."""
    target_path = tmp_path / "catalog.json"
    with target_path.open("wb") as big:
        big.truncate(65 * 1024 * 1024)
    [change] = write_outputs([OutputFile(target_path, b"{}\n")], dry_run=False, backup=False)
    assert change.status == "changed" and target_path.read_bytes() == b"{}\n"


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_an_indent_of_a_billion_is_refused_with_the_allowed_range(tmp_path: Path) -> None:
    """`-o indent=999999999` wrote 2 GB and then an empty message."""
    catalog = stored_catalogue(tmp_path, catalogue())
    out = tmp_path / "out.json"
    done = pluginary("export", "json", str(out), "-o", "indent=999999999", "--catalog", str(catalog))
    one_line_error(done, 2, "indent must be from 0 to 16, not 999999999", "allowed:")
    assert not out.exists()
    assert render("json", tmp_path, catalogue(), indent=16)["catalog.json"].startswith(b"{\n" + b" " * 16 + b'"schema"')
    with pytest.raises(PipelineError, match="from 0 to 16"):
        render("json", tmp_path, catalogue(), indent=17)


def test_a_folder_prefix_is_bounded() -> None:
    with pytest.raises(PipelineError, match="1 to 64 characters"):
        EXPORTERS["reaper"].render(catalogue(), Path("/nonexistent"), {"folder_prefix": "x" * 65})
    assert EXPORTERS["reaper"].render([], Path("/nonexistent"), {"folder_prefix": "x" * 64})


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder` (root only), unmounted afterwards."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root and mount rights): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("old_size", [100, 60 * 1024])
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_full_disk_during_the_export_leaves_the_old_file_and_no_litter(old_size: int, tmp_path: Path) -> None:
    """A 64 kB tmpfs: the new JSON does not fit (its temporary file fails); with a 60 kB old file even its
    backup does not fit. One line, exit 3, the old file as it was, no temporary file, no partial backup."""
    many = [attrs.evolve(catalogue()[0], id=f"vst3:{n:032X}", name=f"Plugin {n}") for n in range(200)]
    catalog = stored_catalogue(tmp_path, many)
    with small_disk(tmp_path / "disk", "64k") as disk:
        old = disk / "catalog.json"
        old.write_bytes(b"o" * old_size)
        done = pluginary("export", "json", str(old), "--catalog", str(catalog))
        one_line_error(done, 3, "catalog.json", "free some disk space", "previous file is unchanged")
        assert old.read_bytes() == b"o" * old_size
        assert sorted(p.name for p in disk.iterdir()) == ["catalog.json"]


# --- CSV: no formula reaches a spreadsheet ----------------------------------------------------------


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_csv_text_cells_that_a_spreadsheet_would_run_are_escaped_and_numbers_stay_numbers(tmp_path: Path) -> None:
    formulas = [
        '=HYPERLINK("http://x","y")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "＝1+1",
        "'quoted",
    ]
    plugin = Plugin(
        id="lv2:urn:formula",
        format="lv2",
        name=formulas[0],
        vendor=formulas[1],
        version="-1",
        path="/lv2/f.lv2",
        categories=(Category(formulas[3]),),
        tags=(formulas[2], "safe"),
        native_categories=(formulas[4],),
        sdk=formulas[5],
        scanner_version=formulas[6],
        host=Host(formulas[7], "Linux"),
        parameters=(
            Parameter(
                0,
                "=Gain",
                units="-dB",
                default=-6.0,
                minimum=-60.0,
                maximum=6.0,
                default_text="-6.0 dB",
                minimum_text="-inf",
                choices=("-12", "@x"),
            ),
        ),
    )
    catalog = stored_catalogue(tmp_path, [plugin])
    out = tmp_path / "plugins.csv"
    done = pluginary("export", "csv", str(out), "-o", "parameters=true", "--catalog", str(catalog))
    assert done.returncode == 0, done.stderr
    [row] = list(csv.DictReader(io.StringIO(out.read_bytes().decode(), newline="")))
    assert (
        row["name"],
        row["vendor"],
        row["version"],
        row["categories"],
        row["tags"],
        row["native_categories"],
        row["sdk"],
        row["scanner_version"],
        row["host_name"],
    ) == (
        "'" + formulas[0],
        "'" + formulas[1],
        "-1",
        "'" + formulas[3],
        "'-2+3|safe",
        "'\tx",
        "'\rx",
        "'＝1+1",
        "''quoted",
    )
    parameters = tmp_path.joinpath("plugins.parameters.csv").read_bytes().decode()
    [parameter] = list(csv.DictReader(io.StringIO(parameters, newline="")))
    assert (
        parameter["name"],
        parameter["units"],
        parameter["default"],
        parameter["minimum"],
        parameter["maximum"],
        parameter["default_text"],
        parameter["minimum_text"],
        parameter["choices"],
    ) == ("'=Gain", "'-dB", "-6.0", "-60.0", "6.0", "'-6.0 dB", "'-inf", "'-12|@x")
    assert unescape(row["vendor"]) == formulas[1] and unescape(row["host_name"]) == "'quoted"  # one ' removed
    assert not any(v.startswith(("=", "+", "@", "\t", "\r")) for v in (*row.values(), *parameter.values()))
