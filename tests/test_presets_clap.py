"""CLAP presets through the plugin's own preset-discovery factory, on real modules in real workers.

The suite's CLAP test plugin (`tests.plugins.clap`, compiled from C) exports a preset-discovery
factory when its resource file has a `[presets]` section: one provider with presets inside the
plugin and, optionally, a FILE location of text preset files it parses itself. Every scan here
goes through the worker pool (or `pluginary scan`), so the provider's code runs where plugin code
runs. DPF's CLAP plugins are checked for the factory too.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from pluginary.catalog import Catalog
from pluginary.core.models import FailureKind, FileResult, Preset, PresetSource
from pluginary.formats import clap_presets
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


def module(presets: ClapPresets) -> ClapModuleSpec:
    synth = ClapPluginSpec(SYNTH, "Synth", features=("instrument", "synthesizer"))
    mono = ClapPluginSpec(MONO, "Mono Synth", features=("instrument", "mono"))
    return ClapModuleSpec(name="Synth", plugins=(synth, mono), presets=presets)


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
