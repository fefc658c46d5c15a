"""CLAP presets through the plugin's own preset-discovery factory, on real modules in real workers.

The suite's CLAP test plugin (`tests.plugins.clap`, compiled from C) exports a preset-discovery
factory when its resource file has a `[presets]` section: one provider with presets inside the
plugin and, optionally, a FILE location of text preset files it parses itself. Every scan here
goes through the worker pool (or `pluginary scan`), so the provider's code runs where plugin code
runs. DPF's CLAP plugins are checked for the factory too. Rescans are `pluginary scan` into a real
SQLite catalogue: a preset file added, edited or removed in a FILE location rescans that module
alone, through the sidecar the worker writes (each test has its own user data folder for it).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pluginary.catalog import Catalog
from pluginary.core.models import FailureKind, FileResult, Preset, PresetSource
from pluginary.formats import clap_presets
from pluginary.formats.clap import CLAPFormat
from tests import test_format_clap
from tests.plugins.clap import (
    PRESET_FACTORY_DRAFT_ID,
    PRESET_FACTORY_ID,
    ClapModuleSpec,
    ClapPluginSpec,
    ClapPresets,
    ClapPresetSpec,
    PresetFault,
    preset_file_text,
)
from tests.test_format_clap import MakeClap, _cli_scan, scan

# test_format_clap's fixtures: the compiled test plugin, modules made from it, DPF's built plugins.
clap_library, make_clap, dpf_dir = test_format_clap.clap_library, test_format_clap.make_clap, test_format_clap.dpf_dir

pytestmark = pytest.mark.slow  # real worker processes

SYNTH = "invalid.example.pluginary.synth"
MONO = "invalid.example.pluginary.mono"
PROVIDER = "invalid.example.pluginary.presets"
FAVORITE, FACTORY_CONTENT = 8, 1

INIT = ClapPresetSpec("Init", key="init", plugins=(SYNTH,))
LEAD = ClapPresetSpec(
    "Warm Lead",
    key="bank-a/lead",
    plugins=(SYNTH, MONO),
    creators=("Ada", "Grace"),
    description="Saw lead",
    features=("lead", "warm"),
    flags=FAVORITE | FACTORY_CONTENT,
)
PAD = ClapPresetSpec("Pack Pad", key="pad", plugins=(MONO,), soundpack="invalid.pack")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user data folder of each test its own: the workers (forked per pool, and by `pluginary
    scan`) write the sidecars of FILE locations there, never into the real user's."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PLUGINARY_DATA_DIR", str(folder))
    monkeypatch.setenv("PLUGINARY_CONFIG_DIR", str(tmp_path / "config"))
    return folder


def module(presets: ClapPresets, name: str = "Synth") -> ClapModuleSpec:
    synth = ClapPluginSpec(SYNTH, "Synth", features=("instrument", "synthesizer"))
    mono = ClapPluginSpec(MONO, "Mono Synth", features=("instrument", "mono"))
    return ClapModuleSpec(name=name, plugins=(synth, mono), presets=presets)


def write_presets(folder: Path, files: dict[str, ClapPresetSpec | str]) -> Path:
    """Preset files under `folder` (a str is written as is: a file the provider cannot parse)."""
    for name, preset in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(preset if isinstance(preset, str) else preset_file_text(preset))
    return folder


def scan_one(path: Path, *, metadata_only: bool = False, presets: bool = True, timeout: float = 5.0) -> FileResult:
    (result,) = scan([path], workers=1, metadata_only=metadata_only, presets=presets, timeout=timeout)
    return result


def presets_of(result: FileResult) -> dict[str, Preset]:
    assert result.failure is None, result.failure
    assert [p.id for p in result.plugins] == [f"clap:{SYNTH}", f"clap:{MONO}"]
    return {preset.id: preset for preset in result.presets}


@pytest.mark.parametrize("metadata_only", [False, True])
def test_presets_inside_the_plugin_and_in_its_files_with_their_metadata(
    make_clap: MakeClap, tmp_path: Path, metadata_only: bool
) -> None:
    folder = write_presets(
        tmp_path / "presets",
        {
            "Pad One.txtpreset": ClapPresetSpec("Pad One", plugins=(SYNTH,), creators=("Lin",), features=("pad",)),
            "deep/b.TXTPRESET": ClapPresetSpec("Bass", plugins=(SYNTH,), flags=FAVORITE),
            "notes.txt": ClapPresetSpec("Not A Preset", plugins=(SYNTH,)),  # not the declared file type
        },
    )
    spec = module(ClapPresets((INIT, LEAD, PAD), location=str(folder), soundpack="invalid.pack"))
    result = scan_one(make_clap(spec), metadata_only=metadata_only)
    found = presets_of(result)
    pad_one, bass = folder / "Pad One.txtpreset", folder / "deep/b.TXTPRESET"
    lead = ("Warm Lead", "Factory", "Ada, Grace", ("lead", "warm", "factory", "favorite"), "Saw lead")
    factory, file = PresetSource.FACTORY, PresetSource.FILE
    expected = {
        f"clap:{SYNTH}#init": ("Init", f"clap:{SYNTH}", factory, "", "Factory", "", ("factory",), ""),
        f"clap:{SYNTH}#bank-a/lead": (lead[0], f"clap:{SYNTH}", factory, "", *lead[1:]),
        f"clap:{MONO}#bank-a/lead": (lead[0], f"clap:{MONO}", factory, "", *lead[1:]),
        # The sound pack's declared name is the bank; the location's flags apply.
        f"clap:{MONO}#pad": ("Pack Pad", f"clap:{MONO}", factory, "", "Test Sound Pack", "", ("factory",), ""),
        f"clap:{SYNTH}#{pad_one}": ("Pad One", f"clap:{SYNTH}", file, str(pad_one), "User", "Lin", ("pad", "user"), ""),
        f"clap:{SYNTH}#{bass}": ("Bass", f"clap:{SYNTH}", file, str(bass), "User", "", ("favorite",), ""),
    }  # fmt: skip
    got = {
        p.id: (p.name, p.plugin_id, p.source, p.path, p.bank, p.author, p.tags, p.description) for p in found.values()
    }
    assert got == expected
    assert {p.format for p in found.values()} == {"clap"}
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("factory_id", "count"),
    [(PRESET_FACTORY_ID, 1), (PRESET_FACTORY_DRAFT_ID, 1), ("clap.preset-discovery-factory/draft-1", 0)],
)
def test_the_factory_is_found_by_its_id_and_by_the_draft_id(make_clap: MakeClap, factory_id: str, count: int) -> None:
    result = scan_one(make_clap(module(ClapPresets((INIT,), factory_id=factory_id))))
    assert [p.name for p in presets_of(result).values()] == ["Init"] * count


def test_presets_off_reads_none_and_never_calls_the_provider(make_clap: MakeClap) -> None:
    crashing = make_clap(module(ClapPresets((INIT,), fault="crash")))
    result = scan_one(crashing, presets=False)
    assert presets_of(result) == {} and result.warnings == ()


def test_a_provider_that_crashes_takes_the_worker_down_as_a_plugin_crash(make_clap: MakeClap) -> None:
    failure = scan_one(make_clap(module(ClapPresets((INIT,), fault="crash")))).failure
    assert failure is not None and failure.kind == FailureKind.CRASH and failure.signal == signal.SIGSEGV


@pytest.mark.parametrize(
    ("fault", "warning", "kept"),
    [
        ("create", f"preset provider {PROVIDER!r} could not be created", set()),
        ("init", f"preset provider {PROVIDER!r}: init failed", set()),
        # get_metadata reported the plugin's presets, then answered false: none is kept; files still are.
        ("metadata", "its presets (Factory): the preset provider could not read it; skipped", {"From File"}),
    ],
)
def test_a_provider_that_fails_is_a_warning_and_the_plugins_are_kept(
    make_clap: MakeClap, tmp_path: Path, fault: PresetFault, warning: str, kept: set[str]
) -> None:
    folder = write_presets(tmp_path / "presets", {"a.txtpreset": ClapPresetSpec("From File", plugins=(SYNTH,))})
    result = scan_one(make_clap(module(ClapPresets((INIT, LEAD), location=str(folder), fault=fault))))
    assert {p.name for p in presets_of(result).values()} == kept
    assert [w for w in result.warnings if warning in w] != [], result.warnings


def test_a_file_the_provider_cannot_read_is_a_warning_with_its_error(make_clap: MakeClap, tmp_path: Path) -> None:
    folder = write_presets(
        tmp_path / "presets", {"bad.txtpreset": "!broken\n", "good.txtpreset": ClapPresetSpec("Good", plugins=(SYNTH,))}
    )
    bundle = make_clap(module(ClapPresets(location=str(folder))))
    result = scan_one(bundle)
    assert [p.name for p in presets_of(result).values()] == ["Good"]
    bad = folder / "bad.txtpreset"
    assert result.warnings == (
        f"{bundle}: {bad}: preset error: \x1b[31mnot a test preset\x1b[0m (OS error 0)",
        f"{bundle}: {bad}: the preset provider could not read it; skipped",
    )


def test_a_single_file_location_is_read(make_clap: MakeClap, tmp_path: Path) -> None:
    file = write_presets(tmp_path, {"one.other": ClapPresetSpec("Only", plugins=(MONO,))}) / "one.other"
    found = presets_of(scan_one(make_clap(module(ClapPresets(location=str(file))))))
    assert [(p.name, p.path, p.plugin_id) for p in found.values()] == [("Only", str(file), f"clap:{MONO}")]


def test_the_walk_is_bounded_in_depth_and_follows_no_link_out(make_clap: MakeClap, tmp_path: Path) -> None:
    limit = "/".join(f"d{i}" for i in range(clap_presets.MAX_DEPTH))
    folder = write_presets(
        tmp_path / "presets",
        {
            f"{limit}/at limit.txtpreset": ClapPresetSpec("At Limit", plugins=(SYNTH,)),
            f"{limit}/d/too deep.txtpreset": ClapPresetSpec("Too Deep", plugins=(SYNTH,)),
            "real.txtpreset": ClapPresetSpec("Real", plugins=(SYNTH,)),
        },
    )
    outside = write_presets(tmp_path / "outside", {"o.txtpreset": ClapPresetSpec("Outside", plugins=(SYNTH,))})
    (folder / "out.txtpreset").symlink_to(outside / "o.txtpreset")
    (folder / "linked folder").symlink_to(outside, target_is_directory=True)
    (folder / "in.txtpreset").symlink_to(folder / "real.txtpreset")
    (folder / "loop a.txtpreset").symlink_to(folder / "loop b.txtpreset")
    (folder / "loop b.txtpreset").symlink_to(folder / "loop a.txtpreset")
    found = presets_of(scan_one(make_clap(module(ClapPresets(location=str(folder))))))
    assert sorted((p.name, Path(p.path).name) for p in found.values()) == [
        ("At Limit", "at limit.txtpreset"),
        ("Real", "in.txtpreset"),  # a link that stays inside the folder counts
        ("Real", "real.txtpreset"),
    ]


def test_hostile_presets_are_bounded_or_skipped_with_a_warning(make_clap: MakeClap) -> None:
    orphan = ClapPresetSpec("Orphan", key="orphan")  # names no plugin
    spec = module(ClapPresets((INIT, orphan), location="relative/presets", unterminated=True))
    result = scan_one(make_clap(spec))
    (wall,) = presets_of(result).values()
    assert len(wall.name) == clap_presets.TEXT_LIMIT and wall.name.startswith("\x1b[31mWALL")
    assert wall.id == f"clap:{SYNTH}#init"
    assert [w.split(": ", 1)[1] for w in result.warnings] == [
        "preset location 'relative/presets' is not an absolute path; skipped",
        "1 presets without a name or a CLAP plugin id skipped",
    ]


def test_a_provider_with_more_presets_than_the_cap_is_told_to_stop(make_clap: MakeClap) -> None:
    cap = clap_presets.MAX_PRESETS
    result = scan_one(make_clap(module(ClapPresets((INIT,), repeat=cap + 100))), timeout=60)
    found = presets_of(result)
    assert len(found) == cap and set(found) == {f"clap:{SYNTH}#init-{n}" for n in range(cap)}
    assert [w.split(": ", 1)[1] for w in result.warnings] == [f"more than {cap} presets; the rest are not read"]


def test_dpf_clap_plugins_export_no_preset_discovery_factory(dpf_dir: Path) -> None:
    """DPF (1.6, Debian's dpf-plugins) implements only clap.plugin-factory: no presets, no warnings."""
    results = scan(sorted((dpf_dir / "clap").glob("*.clap")), timeout=20)
    assert len(results) == 13 and all(r.failure is None and r.plugins for r in results)
    assert [(r.file.path, r.presets, r.warnings) for r in results if r.presets or r.warnings] == []


def test_pluginary_scan_catalogues_clap_presets(make_clap: MakeClap, tmp_path: Path) -> None:
    folder = write_presets(tmp_path / "presets", {"a.txtpreset": ClapPresetSpec("From File", plugins=(SYNTH,))})
    make_clap(module(ClapPresets((INIT, LEAD), location=str(folder))))
    failing = ClapModuleSpec(
        "Failing", (ClapPluginSpec("invalid.example.failing", "Failing"),), presets=ClapPresets(fault="init")
    )
    make_clap(failing)
    catalog = tmp_path / "catalog.sqlite"
    summary = _cli_scan(tmp_path / "clap", catalog)
    assert (summary["found"], summary["plugins"], summary["failed"]) == (2, 3, 0)
    assert [w for w in summary["warnings"] if f"{PROVIDER!r}: init failed" in w] != [], summary["warnings"]
    with Catalog.open(catalog, read_only=True) as cat:
        stored = sorted((p.name, p.plugin_id, p.source) for p in cat.presets())
    assert stored == [
        ("From File", f"clap:{SYNTH}", "file"),
        ("Init", f"clap:{SYNTH}", "factory"),
        ("Warm Lead", f"clap:{MONO}", "factory"),
        ("Warm Lead", f"clap:{SYNTH}", "factory"),
    ]


# ---------------------------------------------------------------- rescans and FILE locations


def test_a_rescan_follows_preset_files_added_edited_and_removed_in_a_file_location(
    make_clap: MakeClap, tmp_path: Path
) -> None:
    folder = write_presets(tmp_path / "presets", {"a.txtpreset": ClapPresetSpec("First", plugins=(SYNTH,))})
    synth = make_clap(module(ClapPresets((INIT,), location=str(folder))))
    plain = make_clap(ClapPluginSpec("invalid.example.plain", "Plain"))
    catalog = tmp_path / "catalog.sqlite"

    def rescan() -> tuple[int, int, list[str], dict[str, str]]:
        """(scanned, unchanged, the file presets' names, each module's scanned_at) after `pluginary scan`."""
        summary = _cli_scan(tmp_path / "clap", catalog)
        assert summary["failed"] == 0 and summary["found"] == 2, summary
        with Catalog.open(catalog, read_only=True) as cat:
            names = sorted(p.name for p in cat.presets() if p.source == PresetSource.FILE)
            stamps = {Path(p.path).name: p.scanned_at for p in cat.plugins()}
        return summary["scanned"], summary["unchanged"], names, stamps

    def touched(before: dict[str, str], after: dict[str, str]) -> list[str]:
        return sorted(name for name in after if after[name] != before[name])

    scanned, _, names, stamps = rescan()
    assert (scanned, names) == (2, ["First"])
    remembered = json.loads(clap_presets.sidecar_path(synth).read_text())
    assert [location["path"] for location in remembered["locations"]] == [str(folder)]
    assert not clap_presets.sidecar_path(plain).exists()  # no FILE location: nothing remembered
    # The sidecar written by that scan does not change the module's fingerprint: nothing is rescanned.
    assert rescan()[:3] == (0, 2, ["First"])

    def changed(change: str, names: list[str]) -> None:
        nonlocal stamps
        scanned, unchanged, found, after = rescan()
        assert (scanned, unchanged, found) == (1, 1, names), change
        assert touched(stamps, after) == [synth.name], change  # the module with the location, alone
        stamps = after
        assert rescan()[:3] == (0, 2, names), f"{change}: a no-change rescan after it"

    write_presets(folder, {"b.txtpreset": ClapPresetSpec("Second", plugins=(SYNTH,))})
    changed("a file added", ["First", "Second"])
    edited = folder / "a.txtpreset"
    edited.write_text(preset_file_text(ClapPresetSpec("First, Edited", plugins=(SYNTH,))))
    later = edited.stat().st_mtime_ns + 2_000_000_000  # a clock with coarse mtimes still sees a new one
    os.utime(edited, ns=(later, later))
    changed("a file edited", ["First, Edited", "Second"])
    (folder / "b.txtpreset").unlink()
    changed("a file removed", ["First, Edited"])
    edited.unlink()
    changed("the last file removed", [])
    write_presets(folder, {"sub/c.txtpreset": ClapPresetSpec("Third", plugins=(SYNTH,))})
    changed("a file added in a new sub-folder", ["Third"])


def test_emptying_a_file_location_right_after_the_scan_that_remembered_it_is_a_change(
    make_clap: MakeClap, tmp_path: Path
) -> None:
    """The stored fingerprint covers the module alone, and so would the module with an empty location:
    the sidecar's own stat is what tells them apart."""
    folder = write_presets(tmp_path / "presets", {"a.txtpreset": ClapPresetSpec("Only", plugins=(SYNTH,))})
    make_clap(module(ClapPresets(location=str(folder))))
    catalog = tmp_path / "catalog.sqlite"
    assert _cli_scan(tmp_path / "clap", catalog)["scanned"] == 1
    (folder / "a.txtpreset").unlink()
    assert [_cli_scan(tmp_path / "clap", catalog)["scanned"] for _ in range(2)] == [1, 0]
    with Catalog.open(catalog, read_only=True) as cat:
        assert list(cat.presets()) == []


def _sidecar(bundle: Path, locations: Sequence[Mapping[str, object]], digest: str = "0" * 32) -> bytes:
    return json.dumps({"version": 1, "bundle": str(bundle), "locations": locations, "digest": digest}).encode()


def _plant(bundle: Path, hostile: str, tmp_path: Path) -> Path | None:
    """Put a hostile sidecar where `bundle`'s belongs; returns a file it names that must not be
    returned as a signature file, if any."""
    path = clap_presets.sidecar_path(bundle)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = {"path": str(tmp_path / "presets"), "extensions": ["txtpreset"]}
    if hostile == "fifo":
        os.mkfifo(path)
    elif hostile == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif hostile == "huge":  # valid JSON, but larger than any sidecar Pluginary writes
        path.write_bytes(_sidecar(bundle, [folder]).replace(b"{", b"{" + b" " * clap_presets.SIDECAR_LIMIT, 1))
    elif hostile == "not json":
        path.write_bytes(b"\x1b[31m{not json\xff")
    elif hostile == "another bundle":
        path.write_bytes(_sidecar(bundle.with_name("Other.clap"), [folder]))
    elif hostile == "relative path":
        path.write_bytes(_sidecar(bundle, [{"path": "presets", "extensions": None}]))
    elif hostile == "unknown field":
        path.write_bytes(_sidecar(bundle, [{**folder, "follow_links": True}]))
    elif hostile == "devices and fifos":  # valid: its paths are stat'ed, never opened
        fifo = tmp_path / "presets" / "fifo.txtpreset"
        os.mkfifo(fifo)
        (tmp_path / "presets" / "zero.txtpreset").symlink_to("/dev/zero")
        devices = [{"path": "/dev/zero", "extensions": None}, {"path": str(fifo), "extensions": None}]
        path.write_bytes(_sidecar(bundle, [*devices, folder]))
        return fifo
    return None


HOSTILE = [
    "fifo",
    "link to /dev/zero",
    "huge",
    "not json",
    "another bundle",
    "relative path",
    "unknown field",
    "devices and fifos",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_sidecar_is_ignored_and_replaced_by_the_next_scan(
    make_clap: MakeClap, tmp_path: Path, hostile: str
) -> None:
    folder = write_presets(tmp_path / "presets", {"a.txtpreset": ClapPresetSpec("From File", plugins=(SYNTH,))})
    bundle = make_clap(module(ClapPresets(location=str(folder))))
    named = _plant(bundle, hostile, tmp_path)
    # In a thread with a deadline: a FIFO or /dev/zero opened or read would block or never end.
    with ThreadPoolExecutor(1) as pool:
        signature = pool.submit(CLAPFormat().signature_files, bundle).result(timeout=20)
    sidecar = clap_presets.sidecar_path(bundle)
    if named is None:
        assert signature == [bundle]  # ignored: the module alone
    else:  # used as paths to stat: the regular file in the folder counts, the FIFO and devices do not
        assert signature == [bundle, sidecar, folder / "a.txtpreset"] and named not in signature
    catalog = tmp_path / "catalog.sqlite"
    first = _cli_scan(tmp_path / "clap", catalog)
    assert (first["scanned"], first["failed"]) == (1, 0), first
    with Catalog.open(catalog, read_only=True) as cat:
        assert [p.name for p in cat.presets()] == ["From File"]
    # The worker wrote a sidecar of its own in its place: the module's one location, matching.
    assert sidecar.is_file() and not sidecar.is_symlink()
    assert json.loads(sidecar.read_text())["locations"] == [{"path": str(folder), "extensions": ["txtpreset"]}]
    assert CLAPFormat().signature_files(bundle) == [bundle]
    # A valid sidecar whose locations were not the module's was rewritten: its stat was in the
    # fingerprint the first scan stored, so the module is rescanned once more (as when an update
    # changes the locations a module declares). An ignored one leaves nothing to rescan.
    rescans = [1, 0] if named else [0]
    assert [_cli_scan(tmp_path / "clap", catalog)["scanned"] for _ in rescans] == rescans


def test_a_module_without_file_locations_keeps_no_sidecar(make_clap: MakeClap, tmp_path: Path) -> None:
    folder = write_presets(tmp_path / "presets", {"a.txtpreset": ClapPresetSpec("From File", plugins=(SYNTH,))})
    with_location = make_clap(module(ClapPresets(location=str(folder))))
    scan_one(with_location)
    assert clap_presets.sidecar_path(with_location).is_file()
    # The same path, now a module that declares no FILE location (an update dropped it).
    with_location.unlink()
    with_location.with_name(with_location.name + ".conf").unlink()
    without = make_clap(module(ClapPresets((INIT,))))
    assert without == with_location
    assert [p.name for p in presets_of(scan_one(without)).values()] == ["Init"]
    assert not clap_presets.sidecar_path(without).exists()
    assert CLAPFormat().signature_files(without) == [without]


def test_the_walk_counts_folders_as_entries_and_stops_at_its_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The same walk serves the worker and the fingerprint: a bound reached is one warning (in the
    worker only), and folders count, so a tree of empty folders cannot keep it going."""
    monkeypatch.setattr(clap_presets, "MAX_ENTRIES", 20)
    monkeypatch.setattr(clap_presets, "MAX_FILES", 3)
    bundle = tmp_path / "Synth.clap"
    many = write_presets(tmp_path / "many", {f"{n}.txtpreset": ClapPresetSpec(f"P{n}") for n in range(5)})
    empty = tmp_path / "empty"
    for outer in range(5):
        for inner in range(5):
            (empty / f"{outer}" / f"{inner}").mkdir(parents=True)

    def walk(folder: Path, *, quiet: bool = False) -> list[str]:
        return [p.name for p in clap_presets._location_files(str(folder), {"txtpreset"}, bundle, quiet=quiet)]

    assert walk(many) == ["0.txtpreset", "1.txtpreset", "2.txtpreset"]
    assert walk(empty) == []
    assert [r.getMessage() for r in caplog.records] == [
        f"{bundle}: preset folder {folder} holds more than can be read; the rest is skipped" for folder in (many, empty)
    ]
    caplog.clear()
    assert walk(many, quiet=True) == ["0.txtpreset", "1.txtpreset", "2.txtpreset"] and caplog.records == []
    monkeypatch.setattr(clap_presets, "MAX_ENTRIES", 30)  # 5 + 25 folders: every one looked at
    assert walk(empty) == [] and caplog.records == []
