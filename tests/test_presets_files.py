"""VST3 and Audio Unit presets: .vstpreset and .aupreset files, and VST3 factory programs.

Preset files are written by `tests.plugins.presets` to the formats' own specifications, and one
by a real host (Ardour, through its headless Lua interpreter); factory programs come from the
real test plugin's IUnitInfo through real worker processes; `pluginary scan` runs end to end.
"""

from __future__ import annotations

import json
import logging
import os
import plistlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pluginary.catalog import Catalog
from pluginary.core.components import instantiate
from pluginary.core.interfaces import PresetFiles, ScanSettings
from pluginary.core.models import FileResult, PluginFile, Preset, PresetSource
from pluginary.formats import au_preset, vst3_preset
from pluginary.formats.au import AUFormat
from pluginary.formats.au import standard_preset_roots as au_preset_roots
from pluginary.formats.vst3 import VST3Format, standard_preset_roots
from pluginary.scanning.pool import ScanJob, WorkerPool
from tests.plugins import ParamSpec, PluginSpec
from tests.plugins.fixtures import MakeVst3
from tests.plugins.presets import four_cc, meta_info_xml, vstpreset_bytes, write_aupreset, write_vstpreset
from tests.support import need

CLASS_ID = "0123456789ABCDEF0123456789ABCDEF"
SYNTH = PluginSpec(
    name="Preset Synth",
    vendor="Acme",
    instrument=True,
    programs=("Init", "Warm Pad", "Bright Lead"),
    program_list="Factory Sounds",
    params=(ParamSpec("Cutoff", default=0.5),),
)


def read_one(path: Path) -> Preset:
    (preset,) = VST3Format().read_presets(path)
    return preset


def refused(fmt: PresetFiles, path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> str:
    """The one warning `fmt` gives for a preset file holding `content`, which must give no preset."""
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert fmt.read_presets(path) == []
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and str(path) in record.getMessage()
    return record.getMessage()


def pool_scan(paths: list[Path], **settings: bool) -> list[FileResult]:
    """Each file scanned (a bundle) or read (a preset file) in real worker processes, in the order given."""
    jobs = [
        ScanJob(PluginFile(str(p), "vst3", 0, 0, f"fp:{p.name}"), "vst3", ScanSettings(**settings), 10.0) for p in paths
    ]
    with WorkerPool(2) as pool:
        done = {result.file.path: result for result in pool.run(jobs)}
    return [done[str(path)] for path in paths]


# ---------------------------------------------------------------- the formats' preset folders


def test_both_formats_read_preset_files() -> None:
    for name, suffix in (("vst3", ".vstpreset"), ("au", ".aupreset")):
        fmt = instantiate("format", name)
        assert isinstance(fmt, PresetFiles) and fmt.preset_suffixes == (suffix,)


def test_vst3_preset_folders_per_platform() -> None:
    home = Path("/home/ada")
    assert standard_preset_roots("linux", {}, home) == [
        home / ".vst3/presets",
        Path("/usr/share/vst3/presets"),
        Path("/usr/local/share/vst3/presets"),
    ]
    mac = [home / "Library/Audio/Presets", Path("/Library/Audio/Presets"), Path("/Network/Library/Audio/Presets")]
    assert standard_preset_roots("darwin", {}, home) == mac
    env = {"APPDATA": "/c/Users/ada/AppData/Roaming", "PROGRAMDATA": "/c/ProgramData"}
    assert standard_preset_roots("win32", env, home) == [
        home / "Documents/VST3 Presets",
        Path("/c/Users/ada/AppData/Roaming/VST3 Presets"),
        Path("/c/ProgramData/VST3 Presets"),
    ]
    assert standard_preset_roots("win32", {}, home) == [home / "Documents/VST3 Presets"]
    assert Path.home() / ".vst3/presets" in VST3Format().preset_roots() or sys.platform != "linux"


def test_audio_unit_preset_folders_are_macos_only() -> None:
    home = Path("/Users/ada")
    assert au_preset_roots("darwin", home) == [
        home / "Library/Audio/Presets",
        Path("/Library/Audio/Presets"),
        Path("/Network/Library/Audio/Presets"),
    ]
    assert au_preset_roots("linux", home) == [] == au_preset_roots("win32", home)
    assert AUFormat().preset_roots() == [] or sys.platform == "darwin"


# ---------------------------------------------------------------- .vstpreset


def test_name_class_and_metainfo(tmp_path: Path) -> None:
    info = {
        "MediaType": "VstPreset",
        "PlugInName": "Preset Synth",
        "Name": "Deep Bass",
        "MusicalCategory": "Bass",
        "MusicalInstrument": "Bass|Synth Bass",
        "MusicalStyle": "Electronica/Dance|Techno",
        "MusicalCharacter": "Dark|Bass",
        "Comment": "a long note",
    }
    path = write_vstpreset(tmp_path / "presets/Acme/Preset Synth/Other.vstpreset", CLASS_ID.lower(), info=info)
    assert read_one(path) == Preset(
        id=str(path),
        name="Deep Bass",
        plugin_id=f"vst3:{CLASS_ID}",
        format="vst3",
        source=PresetSource.FILE,
        path=str(path),
        bank="Bass",
        tags=("Bass", "Synth Bass", "Electronica/Dance", "Techno", "Dark"),
        description="a long note",
    )


@pytest.mark.parametrize(
    ("relative", "bank"),
    [
        ("presets/Acme/Synth/Pads/Soft/Air.vstpreset", "Pads/Soft"),
        ("VST3 Presets/Acme/Synth/Air.vstpreset", ""),
        ("Library/Audio/Presets/Acme/Synth/Leads/Air.vstpreset", "Leads"),
        ("elsewhere/Air.vstpreset", ""),
    ],
)
def test_without_metainfo_the_file_and_folders_name_it(tmp_path: Path, relative: str, bank: str) -> None:
    path = write_vstpreset(tmp_path / relative, CLASS_ID, controller=b"\x01\x02")
    preset = read_one(path)
    assert (preset.name, preset.bank, preset.tags, preset.plugin_id) == ("Air", bank, (), f"vst3:{CLASS_ID}")


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_the_preset_names_the_plugin_as_the_vst3_reader_does(make_vst3: MakeVst3, tmp_path: Path) -> None:
    bundle = make_vst3(SYNTH)
    preset = write_vstpreset(tmp_path / "presets/Acme/Preset Synth/A.vstpreset", SYNTH.class_id, info={"Name": "A"})
    scanned, read = pool_scan([bundle, preset])
    (plugin,) = scanned.plugins
    assert (read.plugins, read.failure, read.warnings) == ((), None, ())
    assert [p.plugin_id for p in read.presets] == [plugin.id]


def _broken(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value) :]


GOOD = vstpreset_bytes(CLASS_ID, info={"Name": "Good"})
LIST_AT = int.from_bytes(GOOD[40:48], "little")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "shorter than the 48-byte header"),
        (GOOD[:47], "shorter than the 48-byte header"),
        (_broken(GOOD, 0, b"VST2"), "not 'VST3'"),
        (_broken(GOOD, 8, b"Z" * 32), "not 32 hex digits"),
        (_broken(GOOD, 40, (len(GOOD) - 4).to_bytes(8, "little")), "outside the file"),
        (_broken(GOOD, 40, (2**63 - 1).to_bytes(8, "little")), "outside the file"),
        (_broken(GOOD, 40, (-1).to_bytes(8, "little", signed=True)), "outside the file"),
        (_broken(GOOD, LIST_AT, b"Lost"), "no chunk list"),
        (_broken(GOOD, LIST_AT + 4, (2**31 - 1).to_bytes(4, "little")), "does not fit"),
        (_broken(GOOD, LIST_AT + 4, (-1).to_bytes(4, "little", signed=True)), "does not fit"),
        (_broken(GOOD, LIST_AT + 8 + 4, (2**40).to_bytes(8, "little")), "outside the file"),
        (_broken(GOOD, LIST_AT + 8 + 12, (2**40).to_bytes(8, "little")), "outside the file"),
    ],
)
def test_a_broken_file_is_a_warning_and_no_preset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes, why: str
) -> None:
    assert why in refused(VST3Format(), tmp_path / "Broken.vstpreset", data, caplog)


@pytest.mark.parametrize("fmt", [VST3Format(), AUFormat()], ids=["vst3", "au"])
def test_what_is_no_regular_file_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fmt: VST3Format | AUFormat
) -> None:
    """A name that is no file, a folder, a FIFO (which would block a read) or a device (which never ends)."""
    (suffix,) = fmt.preset_suffixes
    (tmp_path / f"Folder{suffix}").mkdir()
    os.mkfifo(tmp_path / f"Pipe{suffix}")
    (tmp_path / f"Zero{suffix}").symlink_to("/dev/zero")
    with caplog.at_level(logging.WARNING):
        for name in ("Gone", "Folder", "Pipe", "Zero"):
            assert fmt.read_presets(tmp_path / f"{name}{suffix}") == []
    assert [r.getMessage().count("not a regular file") for r in caplog.records] == [1, 1, 1, 1], caplog.text


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE MetaInfo [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<MetaInfo><Attr id="Name" value="&b;"/></MetaInfo>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE MetaInfo SYSTEM "file:///etc/passwd"><MetaInfo><Attr id="Name" value="x"/></MetaInfo>"""


@pytest.mark.parametrize(
    ("info", "why"),
    [
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL, "DTD"),
        (b'<MetaInfo><Attr id="Name" value="&undeclared;"/></MetaInfo>', "undefined entity"),
        (b"<MetaInfo><Attr id='Name' value='cut", "unclosed token"),
        (meta_info_xml({"Name": "x" * vst3_preset.MAX_INFO_BYTES}), "over 65536"),
    ],
)
def test_unreadable_metainfo_keeps_the_preset_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, info: bytes, why: str
) -> None:
    path = write_vstpreset(tmp_path / "Hostile.vstpreset", CLASS_ID, info=info)
    with caplog.at_level(logging.WARNING):
        preset = read_one(path)
    assert (preset.name, preset.plugin_id, preset.tags) == ("Hostile", f"vst3:{CLASS_ID}", ())
    assert why in caplog.text, caplog.text


def test_metainfo_text_is_kept_as_data(tmp_path: Path) -> None:
    """Markup and bidirectional overrides are the printers' to escape; the reader keeps them (XML
    itself has no place for control characters: a file holding one is malformed, as tested above)."""
    name = "\u202eRed <b>&amp;</b> =cmd|' /C calc'!A0"
    path = write_vstpreset(tmp_path / "Odd.vstpreset", CLASS_ID, info={"Name": name, "MusicalStyle": "a||b| "})
    preset = read_one(path)
    assert (preset.name, preset.tags) == (name, ("a", "b"))


def test_only_the_header_list_and_info_are_read(tmp_path: Path) -> None:
    """A preset with a 4 GiB state (a sparse file) is read at once: the state is never touched."""
    path = tmp_path / "Huge.vstpreset"
    info = meta_info_xml({"Name": "Huge"})
    state = 4 * 2**30
    header = vst3_preset.HEADER.pack(b"VST3", 1, CLASS_ID.encode(), 48 + state + len(info))
    entries = vst3_preset.ENTRY.pack(b"Comp", 48, state) + vst3_preset.ENTRY.pack(b"Info", 48 + state, len(info))
    with path.open("wb") as stream:
        stream.write(header)
        stream.seek(48 + state)
        stream.write(info + vst3_preset.LIST_HEADER.pack(b"List", 2) + entries)
    started = time.perf_counter()
    assert read_one(path).name == "Huge"
    assert time.perf_counter() - started < 0.5


# ---------------------------------------------------------------- factory programs


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_factory_programs_come_with_the_plugin(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(SYNTH)
    (result,) = pool_scan([bundle])
    (plugin,) = result.plugins
    assert [(p.id, p.name, p.bank, p.source, p.plugin_id, p.path) for p in result.presets] == [
        (f"{plugin.id}#1/{index}", name, "Factory Sounds", PresetSource.FACTORY, plugin.id, "")
        for index, name in enumerate(SYNTH.programs)
    ]
    (without,) = pool_scan([bundle], presets=False)
    assert without.presets == () and without.plugins == result.plugins


def test_an_unnamed_program_is_named_by_its_place(make_vst3: MakeVst3) -> None:
    (result,) = pool_scan([make_vst3(PluginSpec(name="Terse", programs=("", "Named")))])
    assert [p.name for p in result.presets] == ["Program 1", "Named"]


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_metadata_only_and_programless_plugins_have_no_factory_presets(make_vst3: MakeVst3) -> None:
    plain, synth = make_vst3(PluginSpec(name="Plain")), make_vst3(SYNTH)
    (result,) = pool_scan([plain])
    assert (len(result.plugins), result.presets) == (1, ())
    (metadata,) = pool_scan([synth], metadata_only=True)
    assert (len(metadata.plugins), metadata.presets) == (1, ())


# ---------------------------------------------------------------- a real host's preset


SAVE_WITH_ARDOUR = """
AudioEngine:set_backend("None (Dummy)", "", "")
local session = create_session(arg[1], "presets", 48000)
assert(session, "no session")
local plugin = ARDOUR.LuaAPI.new_plugin(session, arg[2], ARDOUR.PluginType.VST3, "")
assert(not plugin:isnil(), "Ardour does not know the plugin")
local track = session:new_audio_track(1, 2, nil, 1, "T", ARDOUR.PresentationInfo.max_order,
                                      ARDOUR.TrackMode.Normal, true):front()
track:add_processor_by_index(plugin, 0, nil, true)
local saved = plugin:to_insert():plugin(0):save_preset(arg[3])
assert(saved.valid, "no preset saved")
close_session()
"""


@pytest.mark.slow
def test_a_preset_ardour_saves(ardour_vst3_scanner: Path, vst3_library: Path, tmp_path: Path) -> None:
    """Ardour writes ~/.vst3/presets/<vendor>/<plugin>/<name>.vstpreset with the SDK's own code."""
    from tests.plugins import make_bundle

    lua = sorted(Path("/usr/bin").glob("ardour*-lua"))
    need(lua, "needs Ardour's headless Lua interpreter (apt-get install --no-install-recommends ardour)")
    home = tmp_path / "home"
    bundle = make_bundle(home / ".vst3", SYNTH, vst3_library)
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    # Ardour trusts its cache only when it is newer than the module, by whole seconds: age the bundle.
    for path in (bundle, *bundle.rglob("*")):
        os.utime(path, (time.time() - 10, time.time() - 10))
    # Ardour finds VST3 plugins only in its scanner's cache: fill it as Ardour's own plugin manager does.
    scanned = subprocess.run(
        [str(ardour_vst3_scanner), "-f", "-q", str(bundle)],
        env={**env, "LD_LIBRARY_PATH": str(ardour_vst3_scanner.parent)},
        capture_output=True,
        timeout=120,
    )
    assert scanned.returncode == 0, scanned.stderr
    script = tmp_path / "save.lua"
    script.write_text(SAVE_WITH_ARDOUR)
    saved = subprocess.run(
        [str(lua[-1]), str(script), str(tmp_path / "session"), SYNTH.name, "Saved By Ardour"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    written = home / ".vst3/presets" / SYNTH.vendor / SYNTH.name / "Saved By Ardour.vstpreset"
    assert written.is_file(), saved.stdout + saved.stderr
    plugin_result, preset_result = pool_scan([bundle, written])
    (preset,) = preset_result.presets
    assert (preset.name, preset.plugin_id, preset.bank) == ("Saved By Ardour", plugin_result.plugins[0].id, "")


# ---------------------------------------------------------------- `pluginary scan` end to end


def cli_scan(folder: Path, catalog: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "pluginary.cli.app", "scan", str(folder), "--catalog", str(catalog), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_scan_stores_preset_files_with_their_plugin_and_rescans_one(make_vst3: MakeVst3, tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    make_vst3(SYNTH, root=root)
    tree = root / "presets" / SYNTH.vendor / SYNTH.name
    names = ("Deep Bass", "Soft Pad", "Stab")
    files = [write_vstpreset(tree / "User" / f"{n}.vstpreset", SYNTH.class_id, info={"Name": n}) for n in names]
    (tree / "Broken.vstpreset").write_bytes(b"VST3 but nothing else")
    catalog = tmp_path / "catalog.sqlite"

    first = cli_scan(root, catalog)
    assert (first["found"], first["scanned"], first["failed"], first["plugins"]) == (5, 5, 0, 1), first
    assert any("Broken.vstpreset" in warning for warning in first["warnings"]), first["warnings"]
    with Catalog.open(catalog, read_only=True) as cat:
        (plugin,) = cat.plugins()
        stored = list(cat.presets(plugin.id))
    assert sorted((p.name, p.source, p.bank) for p in stored) == sorted(
        [(n, PresetSource.FILE, "User") for n in names]
        + [(n, PresetSource.FACTORY, "Factory Sounds") for n in SYNTH.programs]
    )

    later = time.time_ns() + 10**9
    os.utime(files[0], ns=(later, later))
    again = cli_scan(root, catalog)
    assert (again["changed"], again["scanned"], again["unchanged"]) == (1, 1, 4), again
    with Catalog.open(catalog, read_only=True) as cat:
        assert len(list(cat.presets(plugin.id))) == len(stored)


# ---------------------------------------------------------------- .aupreset


@pytest.mark.parametrize("binary", [False, True], ids=["xml", "binary"])
def test_aupreset_names_the_unit_by_its_codes(tmp_path: Path, binary: bool) -> None:
    path = write_aupreset(
        tmp_path / "Library/Audio/Presets/Plugin Co/Big Verb/Halls/Cathedral.aupreset",
        "Cathedral Hall",
        "aufx",
        "bvrb",
        "Plgn",
        binary=binary,
    )
    assert AUFormat().read_presets(path) == [
        Preset(
            id=str(path),
            name="Cathedral Hall",
            plugin_id="au:aufx-bvrb-Plgn",
            format="au",
            source=PresetSource.FILE,
            path=str(path),
            bank="Halls",
        )
    ]


def test_aupreset_codes_as_text_and_a_missing_name(tmp_path: Path) -> None:
    path = tmp_path / "Plain.aupreset"
    path.write_bytes(plistlib.dumps({"type": "aumu", "subtype": four_cc("syn1"), "manufacturer": "Acme"}))
    (preset,) = AUFormat().read_presets(path)
    assert (preset.name, preset.plugin_id) == ("Plain", "au:aumu-syn1-Acme")


ENTITY_PLIST = b"""<?xml version="1.0"?>
<!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa">]>
<plist version="1.0"><dict><key>name</key><string>&a;</string></dict></plist>"""


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"not a plist", "not a property list"),
        (ENTITY_PLIST, "not a property list"),
        (plistlib.dumps(["a", "list"]), "not a dictionary"),
        (plistlib.dumps({"name": "x", "type": four_cc("aufx"), "subtype": 2**32, "manufacturer": "Plgn"}), "'subtype'"),
        (plistlib.dumps({"name": "x", "type": "aufx", "subtype": "abcde", "manufacturer": "Plgn"}), "'subtype'"),
        (plistlib.dumps({"type": -1, "subtype": "abcd", "manufacturer": "Plgn"}), "'type'"),
        (plistlib.dumps({"type": True, "subtype": "abcd", "manufacturer": "Plgn"}), "'type'"),
    ],
)
def test_a_bad_aupreset_is_a_warning_and_no_preset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, why: str
) -> None:
    assert why in refused(AUFormat(), tmp_path / "Bad.aupreset", content, caplog)


def test_an_oversized_aupreset_is_refused_unread(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_aupreset(tmp_path / "Big.aupreset", "Big", "aufx", "bigg", "Plgn")
    os.truncate(path, au_preset.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with caplog.at_level(logging.WARNING):
        assert AUFormat().read_presets(path) == []
    assert "16 MiB" in caplog.text
