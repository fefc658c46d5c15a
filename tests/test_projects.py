"""`pluginary project`: the plugins of real DAW projects, matched to a real catalogue.

The Ardour session is made here by Debian's headless Ardour 7 (`ardour7-lua` runs a Lua
script that creates tracks, adds Debian's zam plugins as LV2 and VST3 and saves); the
catalogue comes from a real `pluginary scan` of the same plugins. The REAPER and Live
fixtures in tests/data/projects are written by hand from those formats' documented
structure (see docs/projects.md), with the zam plugins' real ids. Everything goes through
`python -m pluginary` in a subprocess, as a user or CI runs it.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pluginary.core import components
from pluginary.core.interfaces import PluginReference, ProjectReader
from pluginary.core.models import Plugin
from pluginary.projects.als import LiveReader
from pluginary.projects.ardour import ArdourReader
from pluginary.projects.common import MAX_DOCUMENT_BYTES
from pluginary.projects.matching import product_key, same_product
from pluginary.projects.rpp import ReaperReader
from tests.support import need

# Slow (real Ardour sessions made headless, and real scans): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "projects"
VST3 = Path("/usr/lib/vst3")
LV2 = Path("/usr/lib/lv2")
ARDOUR_LIB = Path("/usr/lib/ardour7")

ZAM_COMP_VST3 = "vst3:2046504473616C63504D435A00000000"
ZAM_EQ2_VST3 = "vst3:2046504473616C633251455A00000000"
ZAM_VERB_VST3 = "vst3:2046504473616C634252565A00000000"
ZAM_GATE_VST3 = "vst3:2046504473616C635441475A00000000"

#: The Lua script ardour7-lua runs: one session, two tracks, plugins as LV2, VST3 and Lua, saved.
#: The second track's name holds a C1 control (U+009B, a terminal's one-byte CSI) and a
#: right-to-left override: valid XML, and Ardour loads it back.
SESSION_SCRIPT = """
AudioEngine:set_backend("None (Dummy)", "", "")
AudioEngine:start(false)
local s = create_session("{folder}", "Song", 48000)
assert(s, "cannot create the session")
local function track(name)
  return s:new_audio_track(1, 2, nil, 1, name, ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true):front()
end
local function add(route, id, kind, index)
  local p = ARDOUR.LuaAPI.new_plugin(s, id, kind, "")
  assert(not p:isnil(), "Ardour does not know " .. id)
  assert(route:add_processor_by_index(p, index, nil, true) == 0, "cannot add " .. id)
end
local vocals = track("Vocals")
add(vocals, "urn:zamaudio:ZamComp", ARDOUR.PluginType.LV2, 0)
add(vocals, "ZamEQ2", ARDOUR.PluginType.VST3, 1)
local drums = track("Drums \\xc2\\x9b31m\\xe2\\x80\\xaeevil")
add(drums, "urn:zamaudio:ZamGate", ARDOUR.PluginType.LV2, 0)
add(drums, "urn:ardour:a-comp", ARDOUR.PluginType.LV2, 1)
local lua = ARDOUR.LuaAPI.new_luaproc(s, "ACE Noise")
assert(not lua:isnil(), "no Lua processor ACE Noise")
drums:add_processor_by_index(lua, 2, nil, true)
add(s:master_out(), "ZamVerb", ARDOUR.PluginType.VST3, 0)
s:save_state("", false, false, false, false, false)
close_session()
"""
DRUMS = "Drums \u009b31m\u202eevil"


def pluginary(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pluginary", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def scan(catalog: Path, *paths: Path) -> Path:
    done = pluginary("scan", *map(str, paths), "--catalog", str(catalog), timeout=300)
    assert done.returncode == 0, done.stderr
    return catalog


def need_zam() -> None:
    need(
        (VST3 / "ZamVerb.vst3").exists() and (LV2 / "ZamComp.lv2").exists(),
        "needs Debian's zam-plugins (apt-get install zam-plugins)",
    )


@pytest.fixture(scope="module")
def zam_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every zam VST3, and of the LV2s only ZamComp: ZamGate LV2 is then only in another format."""
    need_zam()
    return scan(tmp_path_factory.mktemp("catalog") / "zam.sqlite", VST3, LV2 / "ZamComp.lv2")


@pytest.fixture(scope="module")
def ardour_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Ardour 7 session, saved by Ardour itself, with zam LV2 and VST3 plugins, Ardour's
    ACE Compressor (LV2) and a Lua processor."""
    need_zam()
    need(
        shutil.which("ardour7-lua") and (ARDOUR_LIB / "ardour-vst3-scanner").exists() and (LV2 / "a-comp.lv2").exists(),
        "needs Debian's Ardour 7 (apt-get install ardour)",
    )
    root = tmp_path_factory.mktemp("ardour")
    lv2 = root / "lv2"  # only the LV2 bundles the script uses: Ardour starts in 3 s, not 25
    lv2.mkdir()
    for bundle in ("ZamComp.lv2", "ZamGate.lv2", "a-comp.lv2"):
        (lv2 / bundle).symlink_to(LV2 / bundle)
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(root / "cache"),  # Ardour's VST3 cache and config, kept out of $HOME
        "XDG_CONFIG_HOME": str(root / "config"),
        "LV2_PATH": str(lv2),
    }
    # Ardour finds VST3 plugins through its scanner's cache: fill it first, as Ardour's GUI would.
    bundles = [str(VST3 / "ZamEQ2.vst3"), str(VST3 / "ZamVerb.vst3")]
    scanner_env = {**env, "LD_LIBRARY_PATH": str(ARDOUR_LIB)}
    done = subprocess.run(
        [str(ARDOUR_LIB / "ardour-vst3-scanner"), "-q", *bundles], env=scanner_env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    script = root / "make.lua"
    script.write_text(SESSION_SCRIPT.replace("{folder}", str(root / "Song")))
    done = subprocess.run(["ardour7-lua", str(script)], env=env, capture_output=True, text=True, timeout=300)
    session = root / "Song" / "Song.ardour"
    assert session.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    return session


def statuses(records: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["location"], r["name"], r["format"], r["id"], r["status"]) for r in records]


def test_a_real_ardour_session_is_matched_to_a_real_scan(ardour_session: Path, zam_catalog: Path) -> None:
    done = pluginary("project", str(ardour_session), "--catalog", str(zam_catalog), "-o", "json")
    assert done.returncode == 4, done.stderr  # ACE Compressor is in no catalogued format
    records = json.loads(done.stdout)
    assert statuses(records) == [
        ("Master", "ZamVerb", "vst3", ZAM_VERB_VST3, "installed"),
        ("Vocals", "ZamComp", "lv2", "lv2:urn:zamaudio:ZamComp", "installed"),
        ("Vocals", "ZamEQ2", "vst3", ZAM_EQ2_VST3, "installed"),
        (DRUMS, "ZamGate", "lv2", "lv2:urn:zamaudio:ZamGate", "other-format"),
        (DRUMS, "ACE Compressor", "lv2", "lv2:urn:ardour:a-comp", "missing"),
        (DRUMS, "ACE Noise", "luaproc", "", "unchecked"),
    ]
    gate = records[3]["installed"]
    assert gate == [
        {"id": ZAM_GATE_VST3, "format": "vst3", "name": "ZamGate", "vendor": "Damien Zammit", "version": "4.1.0"}
    ]
    assert records[0]["installed"][0]["version"] == "4.1.0"
    assert all(record["project"] == str(ardour_session) for record in records)


def test_the_session_opens_when_everything_is_installed(ardour_session: Path, tmp_path: Path) -> None:
    catalog = scan(tmp_path / "all.sqlite", VST3, LV2 / "ZamComp.lv2", LV2 / "ZamGate.lv2", LV2 / "a-comp.lv2")
    done = pluginary("project", str(ardour_session), "--catalog", str(catalog), "-o", "table")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 plugins: 5 installed, 1 unchecked" in done.stdout


def test_terminal_output_escapes_what_the_project_says(ardour_session: Path, zam_catalog: Path) -> None:
    for output in ("table", "plain"):
        done = pluginary("project", str(ardour_session), "--catalog", str(zam_catalog), "-o", output)
        assert done.returncode == 4
        assert "\u009b" not in done.stdout and "\u202e" not in done.stdout
        assert "Drums \\x9b31m\\u202eevil" in done.stdout
    plain = pluginary("project", str(ardour_session), "--catalog", str(zam_catalog), "-o", "plain").stdout
    assert plain.splitlines()[3].split("\t") == [
        str(ardour_session), "Drums \\x9b31m\\u202eevil", "ZamGate", "lv2", "lv2:urn:zamaudio:ZamGate",
        "other-format", ZAM_GATE_VST3, "4.1.0",
    ]  # fmt: skip


def test_reaper_project(zam_catalog: Path) -> None:
    """tests/data/projects/session.rpp: the master's, a track's, a take's and input FX, in
    every format REAPER writes (the numbers before the VST3 `{CID}` are not read, and arbitrary)."""
    references = ReaperReader().read(DATA / "session.rpp")
    assert [(r.location, r.format, r.id, r.name, r.vendor) for r in references] == [
        ("Master", "vst3", ZAM_VERB_VST3, "ZamVerb", "Damien Zammit"),
        ("Lead Vox", "vst3", ZAM_EQ2_VST3, "ZamEQ2", "Damien Zammit"),
        ("Lead Vox", "lv2", "lv2:urn:zamaudio:ZamComp", "ZamComp", "Damien Zammit"),
        ("Lead Vox", "jsfx", "", "loser/3BandEQ", ""),
        ("Lead Vox (take FX)", "clap", "clap:com.FabFilter.Pro-Q.4", "Pro-Q 4", "FabFilter"),
        ("Synth \x1b[2J (input FX)", "au", "au:aufx-dely-appl", "AUDelay", "Apple"),
        ("Synth \x1b[2J", "vst2", "vst2:1397572658", "Zebra2", "u-he"),
        ("Synth \x1b[2J", "lv2", "lv2:urn:zamaudio:ZamGate", "ZamGate", "Damien Zammit"),
    ]
    assert references[1].raw.startswith('line 25: <VST "VST3: ZamEQ2 (Damien Zammit)" ZamEQ2.vst3')
    done = pluginary("project", str(DATA / "session.rpp"), "--catalog", str(zam_catalog), "-o", "plain")
    assert done.returncode == 4
    assert [line.split("\t")[5] for line in done.stdout.splitlines()] == [
        "installed", "installed", "installed", "unchecked", "missing", "missing", "missing", "other-format",
    ]  # fmt: skip
    assert "\x1b" not in done.stdout and "Synth \\x1b[2J" in done.stdout


def test_exit_5_when_a_plugin_is_only_in_another_format(zam_catalog: Path, tmp_path: Path) -> None:
    project = tmp_path / "gate.rpp"
    project.write_text(
        '<REAPER_PROJECT 0.1 "7.15/linux-x86_64" 1723637123\n  <TRACK\n    NAME Gate\n    <FXCHAIN\n'
        '      <LV2 "LV2: ZamGate (Damien Zammit)" urn:zamaudio:ZamGate ""\n      >\n    >\n  >\n>\n'
    )
    done = pluginary("project", str(project), "--catalog", str(zam_catalog), "-o", "csv")
    assert done.returncode == 5, done.stderr
    assert done.stdout.splitlines()[0] == "project,location,name,vendor,format,id,status,installed,version,raw"
    assert f"other-format,{ZAM_GATE_VST3},4.1.0," in done.stdout


def test_live_set(zam_catalog: Path, tmp_path: Path) -> None:
    """tests/data/projects/live-set.xml, gzipped as Live saves it: VST2, VST3 (in a rack, on a
    return, on the master with its id only in the preset, one with negative id fields) and AU."""
    live_set = tmp_path / "Song.als"
    live_set.write_bytes(gzip.compress((DATA / "live-set.xml").read_bytes()))
    references = LiveReader().read(live_set)
    assert [(r.location, r.format, r.id, r.name, r.vendor) for r in references] == [
        ("Bass", "vst2", "vst2:1483109208", "Serum", ""),
        ("Bass", "vst3", ZAM_EQ2_VST3, "ZamEQ2", ""),
        ("Drums \u202eevil", "vst3", ZAM_COMP_VST3, "ZamComp", ""),
        ("Drums \u202eevil", "au", "au:aufx-dely-appl", "AUDelay", "Apple"),
        ("A-Reverb", "vst3", "vst3:ABCDEF010123456789ABCDEF12345678", "Vintage Verb", ""),
        ("Master", "vst3", ZAM_VERB_VST3, "ZamVerb", ""),
    ]
    done = pluginary("project", str(live_set), "--catalog", str(zam_catalog), "-o", "json")
    assert done.returncode == 4
    assert [record["status"] for record in json.loads(done.stdout)] == [
        "missing", "installed", "installed", "missing", "missing", "installed",
    ]  # fmt: skip


def test_readers_are_entry_point_components_a_third_party_can_add(zam_catalog: Path, tmp_path: Path) -> None:
    found = components.available("project")
    assert {"rpp", "ardour", "als"} <= set(found)
    for name in ("rpp", "ardour", "als"):
        assert isinstance(components.instantiate("project", name), ProjectReader)
    project = tmp_path / "list.txt"
    project.write_text("vst3:2046504473616C634252565A00000000 ZamVerb\n")
    done = pluginary("project", str(project), "--reader", "tests.test_projects:LinesReader", "--catalog",
                     str(zam_catalog), "-o", "plain", PYTHONPATH=str(REPO))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\t")[2:6] == ["ZamVerb", "vst3", ZAM_VERB_VST3, "installed"]


class LinesReader:
    """A third party's reader in a page: "ID NAME" per line."""

    name = "lines"
    suffixes = (".lines",)

    def sniff(self, head: bytes) -> bool:
        return False

    def read(self, path: Path) -> list[PluginReference]:
        pairs = [line.split(" ", 1) for line in path.read_text().splitlines()]
        return [PluginReference(format=i.partition(":")[0], id=i, name=n) for i, n in pairs]


def test_the_reader_is_chosen_by_suffix_then_by_content(tmp_path: Path, zam_catalog: Path) -> None:
    renamed = tmp_path / "song.backup"
    shutil.copy(DATA / "session.rpp", renamed)
    done = pluginary("project", str(renamed), "--catalog", str(zam_catalog), "-o", "plain")
    assert done.returncode == 4 and len(done.stdout.splitlines()) == 8


# Hostile and broken files: one line on stderr, exit 2, quickly, in bounded memory.


def refused(path: Path, catalog: Path) -> tuple[str, float, int]:
    """Run `pluginary project PATH` in a child of a fresh process: its stderr, seconds and peak
    memory (kB) — the child's alone, so earlier tests' children do not count."""
    code = (
        "import resource, subprocess, sys, time\n"
        "start = time.monotonic()\n"
        f"done = subprocess.run([sys.executable, '-m', 'pluginary', 'project', {str(path)!r}, '--catalog',"
        f" {str(catalog)!r}], capture_output=True, text=True)\n"
        "sys.stdout.write(repr((done.returncode, done.stdout, done.stderr, time.monotonic() - start,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    returncode, stdout, stderr, seconds, peak = eval(done.stdout)  # our own repr of plain values
    assert returncode == 2, (stdout, stderr)
    assert stdout == "" and stderr.count("\n") == 1 and stderr.startswith("error: ") and "Traceback" not in stderr
    return stderr, seconds, peak


def test_xml_external_entities_are_refused(tmp_path: Path, zam_catalog: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    session = tmp_path / "xxe.ardour"
    session.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE Session [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<Session version="7003" name="x"><Routes><Route name="&x;"><Processor type="lv2" unique-id="urn:a" '
        'name="A"/></Route></Routes></Session>\n'
    )
    stderr, _, _ = refused(session, zam_catalog)
    assert "has a DTD (line 2): refused" in stderr and "TOP-SECRET" not in stderr


def test_billion_laughs_is_refused(tmp_path: Path, zam_catalog: Path) -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    live_set = tmp_path / "laughs.als"
    live_set.write_bytes(
        gzip.compress(
            f'<?xml version="1.0"?><!DOCTYPE A [<!ENTITY l0 "lol">{entities}]><Ableton>&l9;</Ableton>'.encode()
        )
    )
    stderr, seconds, peak = refused(live_set, zam_catalog)
    assert "has a DTD" in stderr and seconds < 10 and peak < 200_000


def test_a_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path, zam_catalog: Path) -> None:
    # gzip members concatenate: one 1 MiB member of spaces, repeated, unpacks to 400 MiB.
    spaces = gzip.compress(b" " * 2**20)
    bomb = tmp_path / "bomb.als"
    with bomb.open("wb") as stream:
        stream.write(gzip.compress(b'<?xml version="1.0"?><Ableton><LiveSet>'))
        for _ in range(400):
            stream.write(spaces)
    assert bomb.stat().st_size < 2 * 2**20
    stderr, seconds, peak = refused(bomb, zam_catalog)
    assert f"unpacks to more than {MAX_DOCUMENT_BYTES // 2**20} MiB: refused" in stderr
    assert peak < 150_000, f"{peak} kB"
    assert seconds < 30


def test_one_huge_tag_is_refused_in_bounded_memory(tmp_path: Path, zam_catalog: Path) -> None:
    session = tmp_path / "tag.ardour"
    with session.open("wb") as stream:
        stream.write(b'<?xml version="1.0"?>\n<Session name="')
        for _ in range(40):
            stream.write(b">" * 2**20)  # '>' is allowed in attribute values: no cheap way around this
        stream.write(b'"/>\n')
    stderr, _, peak = refused(session, zam_catalog)
    assert "one XML tag longer than 16 MiB (line 2): refused" in stderr
    assert peak < 150_000, f"{peak} kB"


def test_a_2_gb_file_is_refused_unread(tmp_path: Path, zam_catalog: Path) -> None:
    sparse = tmp_path / "huge.rpp"
    with sparse.open("wb") as stream:
        stream.truncate(2 * 2**30)  # sparse: takes no disk, claims 2 GiB
    stderr, seconds, _ = refused(sparse, zam_catalog)
    assert "2147483648 bytes: larger than the 256 MiB a project file may be" in stderr and seconds < 10


def test_a_gzip_trailer_claiming_2_gb_is_not_believed(tmp_path: Path, zam_catalog: Path) -> None:
    packed = bytearray(gzip.compress((DATA / "live-set.xml").read_bytes()))
    packed[-4:] = (2**31).to_bytes(4, "little")  # ISIZE: the size the trailer claims
    live_set = tmp_path / "claims.als"
    live_set.write_bytes(packed)
    stderr, _, peak = refused(live_set, zam_catalog)
    assert "not a readable gzip file" in stderr and peak < 150_000


def test_a_session_ardour_itself_cannot_read_is_refused_with_its_position(
    ardour_session: Path, tmp_path: Path, zam_catalog: Path
) -> None:
    # Ardour 7 saves an ESC in a track name as it is, which is not XML: Ardour then fails to load
    # that session itself. Said in one line, with where.
    broken = tmp_path / "broken.ardour"
    broken.write_bytes(ardour_session.read_bytes().replace(b'name="Vocals"', b'name="Vo\x1bcals"'))
    stderr, _, _ = refused(broken, zam_catalog)
    assert "not well-formed XML at line" in stderr and "invalid token" in stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "not a project any installed reader knows"),
        ("song.als", b"<?xml version='1.0'?><Session/>", "not a Live set (its root is <Session>)"),
        ("song.ardour", b"<?xml version='1.0'?><Ableton/>", "not an Ardour session (its root is <Ableton>)"),
        ("cut.als", gzip.compress(b"<Ableton><LiveSet>")[:-9], "not a readable gzip file"),
    ],
)
def test_files_of_no_known_kind(tmp_path: Path, zam_catalog: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    stderr, _, _ = refused(path, zam_catalog)
    assert f"{path}: {message}" in stderr


def test_missing_file_and_folder(tmp_path: Path, zam_catalog: Path) -> None:
    stderr, _, _ = refused(tmp_path / "nowhere.rpp", zam_catalog)
    assert "nowhere.rpp: cannot read the project: No such file or directory" in stderr
    stderr, _, _ = refused(tmp_path, zam_catalog)
    assert "not a project file — name the project file itself, not a folder" in stderr


def test_a_large_live_set_is_read_streaming(tmp_path: Path) -> None:
    """50 MB of tracks and one 40 MB plugin state (text is no tag: never refused) are read
    streaming, so memory does not grow with the file."""
    tracks = (DATA / "live-set.xml").read_bytes().split(b"<Tracks>")[1].split(b"</Tracks>")[0]
    live_set = tmp_path / "big.als"
    with gzip.open(live_set, "wb", compresslevel=1) as stream:
        stream.write(b'<?xml version="1.0"?><Ableton><LiveSet><Tracks>')
        for _ in range(50 * 2**20 // len(tracks)):
            stream.write(tracks)
        stream.write(b"</Tracks><Buffer>")
        for _ in range(40):
            stream.write(b"0A" * 2**19)
        stream.write(b"</Buffer></LiveSet></Ableton>")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    references = LiveReader().read(live_set)
    seconds = time.monotonic() - start
    assert len(references) == 5 * (50 * 2**20 // len(tracks))  # the master is outside <Tracks>
    assert seconds < 30, f"{seconds:.1f} s"  # about 10 MB/s here
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 60_000 + len(references) // 2, f"{grown} kB"  # the references themselves, and no more


def test_product_key_is_the_one_rule() -> None:
    assert product_key("Pro-Q 3 (VST3)", "FabFilter") == product_key("pro q 3", "fabfilter") == ("proq3", "fabfilter")
    assert product_key("ZamComp")[0] != product_key("ZamCompX2")[0]
    assert product_key("Comp Mono")[0] != product_key("Comp Stereo")[0]
    plugin = Plugin(id="vst3:X", format="vst3", name="ZamGate", path="/x", vendor="Damien Zammit")
    assert same_product(PluginReference(format="lv2", id="lv2:y", name="ZamGate"), plugin)  # no vendor: name alone
    assert not same_product(PluginReference(format="lv2", id="lv2:y", name="ZamGate", vendor="Other"), plugin)


def test_a_name_with_a_build_word_finds_its_product(zam_catalog: Path) -> None:
    from pluginary import Catalog
    from pluginary.projects.matching import Status, match

    with Catalog.open(zam_catalog, create=False) as catalog:
        found = match([PluginReference(format="vst2", id="vst2:1", name="ZamComp (VST3)", location="A")], catalog)
    assert found[0].status is Status.OTHER_FORMAT
    assert [plugin.id for plugin in found[0].plugins] == ["lv2:urn:zamaudio:ZamComp", ZAM_COMP_VST3]


def test_ardour_reader_reads_what_ardour_wrote(ardour_session: Path) -> None:
    references = ArdourReader().read(ardour_session)
    assert [r.raw for r in references][:2] == [
        f'name="ZamVerb" type="vst3" unique-id="{ZAM_VERB_VST3[5:]}"',
        'name="ZamComp" type="lv2" unique-id="urn:zamaudio:ZamComp"',
    ]
    assert [r.external for r in references] == [True, True, True, True, True, False]
