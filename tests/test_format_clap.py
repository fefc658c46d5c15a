"""The CLAP format, scanning real CLAP modules through the worker pool.

Two kinds of real plugins: the suite's own CLAP test plugin (`tests.plugins.clap`,
compiled from C), whose descriptors, parameters, ports and misbehaviour are
known; and DISTRHO's plugins built from Debian's `dpf-plugins` source package by
`tests/plugins/build_dpf.sh` (`$PLUGINARY_DPF_PLUGINS`), checked against what
their sources declare and against the VST3 build of the same plugins read by
the VST3 format (a second host: no CLAP host is packaged in Debian 12).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import attrs
import pytest

from pluginary.catalog import Catalog
from pluginary.core.components import instantiate
from pluginary.core.interfaces import PluginFormat, ScanSettings
from pluginary.core.models import IO, FailureKind, FileResult, ParameterFlag, ParameterKind, Plugin, PluginFile
from pluginary.formats import clap as clap_format
from pluginary.formats.clap import CLAPFormat, binary_path, standard_roots
from pluginary.scanning.discovery import find_bundles, plugin_file
from pluginary.scanning.pool import ScanJob, WorkerPool
from tests.plugins import default_cache_dir, find_compiler
from tests.plugins.clap import (
    ClapMisbehaviour,
    ClapModuleSpec,
    ClapParam,
    ClapPluginSpec,
    Crash,
    Stage,
    build_library,
    make_module,
)
from tests.support import need

# Slow (DPF's real CLAP plugins and crashing ones through the pool): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

DPF_ENV = "PLUGINARY_DPF_PLUGINS"
DPF_DEFAULT = Path("/var/cache/pluginary/dpf")


class MakeClap(Protocol):
    def __call__(self, spec: ClapModuleSpec | ClapPluginSpec, *, root: Path | None = None) -> Path: ...


@pytest.fixture(scope="session")
def clap_library() -> Path:
    compiler = find_compiler()
    need(compiler, "needs a C compiler to build the CLAP test plugin (apt-get install gcc)")
    return build_library(default_cache_dir(), compiler)


@pytest.fixture
def make_clap(tmp_path: Path, clap_library: Path) -> MakeClap:
    """Write real `.clap` modules under `tmp_path / "clap"` (or `root`)."""

    def make(spec: ClapModuleSpec | ClapPluginSpec, *, root: Path | None = None) -> Path:
        return make_module(root or tmp_path / "clap", spec, clap_library)

    return make


@pytest.fixture(scope="session")
def dpf_dir() -> Path:
    """DEST of `tests/plugins/build_dpf.sh`: `clap/*.clap` and `vst3/*.vst3` built from Debian's dpf-plugins."""
    root = Path(os.environ.get(DPF_ENV) or DPF_DEFAULT)
    need(
        (root / ".complete").is_file(),
        f"needs the DPF plugins built from Debian's dpf-plugins source: tests/plugins/build_dpf.sh {root}"
        f" (or set {DPF_ENV})",
    )
    return root


def scan(
    paths: Iterable[Path],
    *,
    fmt: str = "clap",
    metadata_only: bool = False,
    presets: bool = True,
    timeout: float = 5.0,
    workers: int = 2,
) -> list[FileResult]:
    settings = ScanSettings(metadata_only=metadata_only, presets=presets)
    jobs = [ScanJob(PluginFile(str(p), fmt, 0, 0, f"fp:{p.name}"), fmt, settings, timeout) for p in paths]
    with WorkerPool(workers, retries=0) as pool:
        return sorted(pool.run(jobs), key=lambda r: r.file.path)


def scan_one(path: Path, *, metadata_only: bool = False) -> FileResult:
    (result,) = scan([path], metadata_only=metadata_only, workers=1)
    return result


def plugins_of(result: FileResult) -> list[Plugin]:
    assert result.failure is None, result.failure
    return list(result.plugins)


# ---------------------------------------------------------------- where CLAP plugins live


def test_is_the_registered_clap_format() -> None:
    fmt = instantiate("format", "clap")
    assert isinstance(fmt, CLAPFormat) and isinstance(fmt, PluginFormat)
    assert fmt.name == "clap" and fmt.bundle_suffixes == (".clap",)


def test_standard_folders_per_platform_and_clap_path() -> None:
    home = Path("/home/ada")
    assert standard_roots("linux", {}, home) == [home / ".clap", Path("/usr/lib/clap"), Path("/usr/local/lib/clap")]
    assert standard_roots("linux", {"CLAP_PATH": "/opt/a::/opt/b"}, home)[3:] == [Path("/opt/a"), Path("/opt/b")]
    assert standard_roots("darwin", {}, home) == [
        home / "Library/Audio/Plug-Ins/CLAP",
        Path("/Library/Audio/Plug-Ins/CLAP"),
    ]
    env = {"COMMONPROGRAMFILES": "C:/Common Files", "LOCALAPPDATA": "C:/Local", "CLAP_PATH": "D:/clap;E:/clap"}
    assert standard_roots("win32", env, home) == [
        Path("C:/Common Files/CLAP"),
        Path("C:/Local/Programs/Common/CLAP"),
        Path("D:/clap"),
        Path("E:/clap"),
    ]


def test_a_macos_bundle_loads_its_executable(tmp_path: Path) -> None:
    bundle = tmp_path / "Synth.clap"
    assert binary_path(bundle, "linux") == bundle  # a file on Linux and Windows
    (bundle / "Contents" / "MacOS").mkdir(parents=True)
    assert binary_path(bundle, "darwin") == bundle / "Contents/MacOS/Synth"
    (bundle / "Contents/MacOS/Synth Engine").write_bytes(b"")  # named otherwise: the one executable there
    assert binary_path(bundle, "darwin") == bundle / "Contents/MacOS/Synth Engine"


def test_discovery_finds_clap_files_in_nested_folders_and_fingerprints_the_binary(
    make_clap: MakeClap, tmp_path: Path
) -> None:
    root = tmp_path / "clap"
    top = make_clap(ClapPluginSpec("t.top", "Top"), root=root)
    nested = make_clap(ClapPluginSpec("t.nested", "Nested"), root=root / "Vendor" / "Sub")
    found = sorted(find_bundles([root], CLAPFormat.bundle_suffixes, lambda _path, message: pytest.fail(message)))
    assert found == sorted([top, nested])  # the `.conf` files beside them are not plugins
    fmt = CLAPFormat()
    assert fmt.signature_files(top) == [top]
    before = plugin_file(top, "clap", fmt.signature_files(top)).fingerprint
    with top.open("ab") as binary:
        binary.write(b"\0")
    os.utime(top, ns=(time.time_ns() + 10**9,) * 2)
    assert plugin_file(top, "clap", fmt.signature_files(top)).fingerprint != before


# ---------------------------------------------------------------- the test plugin, full and metadata-only

PARAMS = (
    ClapParam("Gain", min=-60.0, max=12.0, default=-6.0, units="dB", module="Main/Out"),
    ClapParam("Wave", max=3.0, flags={"stepped", "enum", "automatable"}, texts=("Sine", "Saw", "Square", "Noise")),
    ClapParam("Voices", min=1.0, max=16.0, default=8.0, flags={"stepped", "automatable"}, decimals=0),
    ClapParam("Bypass", flags={"stepped", "bypass", "automatable"}),
    # Stepped without the enum flag (CLAP < 1.2), but its values are words: a choice all the same.
    ClapParam("Shape", max=1.0, flags={"stepped", "automatable"}, texts=("Square", "Triangle")),
    ClapParam("Phase", max=360.0, flags={"periodic", "automatable"}),
    ClapParam("Internal", flags={"hidden"}),
    ClapParam("Gain Reduction", max=24.0, flags={"readonly"}),
    ClapParam("Fixed", max=1.0, flags=()),  # not automatable
)
SYNTH = ClapPluginSpec(
    id="invalid.example.synth",
    name="Test Synth",
    vendor="Acme Audio",
    version="2.5.1",
    description="A synthesizer for tests",
    url="https://example.invalid/synth",
    features=("instrument", "synthesizer", "stereo"),
    audio_out=2,
    aux_out=4,
    note_in=2,
    note_out=1,
    params=PARAMS,
)
REVERB = ClapPluginSpec(
    id="invalid.example.reverb",
    name="Test Reverb",
    vendor="Acme Audio",
    url="",
    manual_url="https://example.invalid/manual",
    features=("audio-effect", "reverb", "stereo"),
    audio_in=2,
    audio_out=2,
    aux_in=1,  # a mono side-chain
)


def test_full_scan_reads_descriptor_parameters_and_ports(make_clap: MakeClap) -> None:
    (synth,) = plugins_of(scan_one(make_clap(SYNTH)))
    assert (synth.id, synth.format, synth.name, synth.vendor, synth.version) == (
        "clap:invalid.example.synth",
        "clap",
        "Test Synth",
        "Acme Audio",
        "2.5.1",
    )
    assert (synth.description, synth.url, synth.reader, synth.sdk) == (
        "A synthesizer for tests",
        "https://example.invalid/synth",
        "clap-native",
        "CLAP 1.2.0",
    )
    assert synth.native_categories == ("instrument", "synthesizer", "stereo")
    assert synth.is_instrument and not synth.is_effect
    assert synth.io == IO(audio_inputs=0, audio_outputs=2, midi_inputs=2, midi_outputs=1, aux_inputs=0, aux_outputs=4)
    assert synth.latency is None  # needs activation, which the scan does not do

    by_name = {p.name: p for p in synth.parameters}
    assert list(by_name) == [
        "Gain",
        "Wave",
        "Voices",
        "Bypass",
        "Shape",
        "Phase",
        "Fixed",
    ]  # hidden and read-only left out
    gain = by_name["Gain"]
    assert (gain.id, gain.index, gain.kind, gain.minimum, gain.maximum, gain.default) == (
        "0",
        0,
        ParameterKind.FLOAT,
        -60.0,
        12.0,
        -6.0,
    )
    assert (gain.minimum_text, gain.maximum_text, gain.default_text) == ("-60.00 dB", "12.00 dB", "-6.00 dB")
    assert gain.automatable and gain.num_steps is None and gain.flags == ()
    wave = by_name["Wave"]
    assert (wave.kind, wave.num_steps, wave.choices, wave.default_text) == (
        ParameterKind.CHOICE,
        3,
        ("Sine", "Saw", "Square", "Noise"),
        "Sine",
    )
    voices = by_name["Voices"]
    assert (voices.kind, voices.num_steps, voices.minimum_text, voices.maximum_text) == (
        ParameterKind.INT,
        15,
        "1",
        "16",
    )
    bypass = by_name["Bypass"]
    assert (bypass.kind, bypass.flags, bypass.num_steps) == (ParameterKind.BOOL, (ParameterFlag.BYPASS,), 1)
    shape = by_name["Shape"]
    assert (shape.kind, shape.choices, shape.num_steps) == (ParameterKind.CHOICE, ("Square", "Triangle"), 1)
    assert by_name["Phase"].flags == (ParameterFlag.PERIODIC,)
    assert not by_name["Fixed"].automatable
    (meter,) = synth.outputs
    assert (meter.name, meter.index, meter.maximum) == ("Gain Reduction", 7, 24.0)


def test_a_factory_with_several_plugins_yields_one_record_each(make_clap: MakeClap) -> None:
    module = make_clap(ClapModuleSpec("Suite", (SYNTH, REVERB)))
    full = {p.id: p for p in plugins_of(scan_one(module))}
    assert sorted(full) == ["clap:invalid.example.reverb", "clap:invalid.example.synth"]
    reverb = full["clap:invalid.example.reverb"]
    assert reverb.is_effect and not reverb.is_instrument
    assert reverb.url == "https://example.invalid/manual"  # no url: the manual's
    assert reverb.io == IO(audio_inputs=2, audio_outputs=2, midi_inputs=0, midi_outputs=0, aux_inputs=1, aux_outputs=0)
    assert reverb.parameters == () and reverb.outputs == ()
    assert all(p.path == str(module) for p in full.values())


def test_metadata_only_reads_descriptors_and_creates_nothing(make_clap: MakeClap) -> None:
    # A plugin that crashes when created: metadata-only never gets there.
    crashing = ClapPluginSpec(
        "invalid.example.boom", "Boom", features=("audio-effect",), misbehaviour=ClapMisbehaviour("segv", "create")
    )
    module = make_clap(ClapModuleSpec("Suite", (SYNTH, crashing)))
    meta = {p.id: p for p in plugins_of(scan_one(module, metadata_only=True))}
    assert sorted(meta) == ["clap:invalid.example.boom", "clap:invalid.example.synth"]
    synth = meta["clap:invalid.example.synth"]
    assert (synth.name, synth.vendor, synth.version, synth.native_categories, synth.is_instrument) == (
        "Test Synth",
        "Acme Audio",
        "2.5.1",
        ("instrument", "synthesizer", "stereo"),
        True,
    )
    assert synth.parameters == () and synth.io == IO()  # unknown, not "none"
    failure = scan_one(module).failure
    assert failure is not None and (failure.kind, failure.signal) == (FailureKind.CRASH, signal.SIGSEGV)


def test_a_plugin_that_cannot_be_created_leaves_its_siblings(make_clap: MakeClap) -> None:
    refused = ClapPluginSpec("invalid.example.no", "No", refuse_create=True)
    uninit = ClapPluginSpec("invalid.example.uninit", "Uninit", refuse_init=True)
    (kept,) = plugins_of(scan_one(make_clap(ClapModuleSpec("Mixed", (refused, REVERB, uninit)))))
    assert kept.id == "clap:invalid.example.reverb"
    alone = scan_one(make_clap(uninit))
    assert alone.failure is not None and alone.failure.kind == FailureKind.ERROR
    assert "init returned false" in alone.failure.message
    alone = scan_one(make_clap(refused))
    assert alone.failure is not None and "create_plugin('invalid.example.no') returned NULL" in alone.failure.message


def test_plugins_without_extensions_have_no_ports_and_no_parameters(make_clap: MakeClap) -> None:
    bare = ClapPluginSpec(
        "invalid.example.bare", "Bare", no_audio_ports=True, no_note_ports=True, no_params=True, params=PARAMS
    )
    (plugin,) = plugins_of(scan_one(make_clap(bare)))
    assert plugin.io == IO(0, 0, 0, 0, 0, 0) and plugin.parameters == ()


def test_duplicate_ids_and_descriptors_of_another_abi_are_left_out(make_clap: MakeClap) -> None:
    twin = ClapPluginSpec(SYNTH.id, "Twin")
    draft = ClapPluginSpec("invalid.example.draft", "Draft", clap_version="0.26.0")
    (plugin,) = plugins_of(scan_one(make_clap(ClapModuleSpec("Dupes", (SYNTH, twin, draft))), metadata_only=True))
    assert plugin.name == "Test Synth"


def test_a_module_of_clap_0x_is_refused(make_clap: MakeClap) -> None:
    failure = scan_one(make_clap(ClapModuleSpec("Old", (REVERB,), clap_version="0.18.0"))).failure
    assert failure is not None and failure.kind == FailureKind.ERROR
    assert failure.message == "CLAPError: clap_entry declares CLAP 0.18.0; only CLAP 1.x is a stable ABI"


def test_a_file_that_is_not_a_clap_module_is_an_error(tmp_path: Path) -> None:
    text = tmp_path / "Text.clap"
    text.write_text("not a library")
    failure = scan_one(text).failure
    assert failure is not None and failure.kind == FailureKind.ERROR and "cannot load" in failure.message


# ---------------------------------------------------------------- misbehaviour: the pool's isolation

CRASH_SIGNALS: dict[Crash, int] = {"segv": signal.SIGSEGV, "abort": signal.SIGABRT}


@pytest.mark.parametrize("stage", ["dlopen", "init", "factory", "create", "params"])
@pytest.mark.parametrize("crash", ["segv", "abort", "exit"])
def test_a_crash_at_any_stage_is_recorded_with_its_true_reason(make_clap: MakeClap, stage: Stage, crash: Crash) -> None:
    spec = ClapPluginSpec(
        "invalid.example.crash", "Crash", params=PARAMS[:1], misbehaviour=ClapMisbehaviour(crash, stage, 7)
    )
    failure = scan_one(make_clap(spec)).failure
    assert failure is not None and failure.kind == FailureKind.CRASH
    if crash == "exit":
        assert (failure.signal, failure.exit_code) == (None, 7)
    else:
        assert failure.signal == CRASH_SIGNALS[crash]


@pytest.mark.parametrize(("stage", "busy"), [("init", False), ("factory", True), ("create", False), ("params", True)])
def test_a_hang_times_out_and_the_next_plugin_is_scanned(make_clap: MakeClap, stage: Stage, busy: bool) -> None:
    hang = make_clap(
        ClapPluginSpec(
            "invalid.example.hang",
            "Hang",
            params=PARAMS[:1],
            misbehaviour=ClapMisbehaviour(hang_stage=stage, hang_busy=busy),
        )
    )
    fine = make_clap(REVERB)
    started = time.monotonic()
    hung, good = scan([hang, fine], timeout=1.0, workers=1)
    assert time.monotonic() - started < 15
    assert hung.failure is not None and hung.failure.kind == FailureKind.TIMEOUT
    assert [p.id for p in plugins_of(good)] == ["clap:invalid.example.reverb"]


def test_noise_on_stdout_and_a_leak_do_not_disturb_the_scan(make_clap: MakeClap) -> None:
    noisy = ClapPluginSpec(
        "invalid.example.noisy",
        "Noisy",
        misbehaviour=ClapMisbehaviour(stdout_bytes=256 * 1024, stderr_bytes=64 * 1024, alloc_mb=64, sleep_ms=50),
    )
    (plugin,) = plugins_of(scan_one(make_clap(noisy)))
    assert plugin.name == "Noisy"


# ---------------------------------------------------------------- hostile text and lying counts


def test_control_characters_are_kept_as_text_and_invalid_utf8_is_replaced(make_clap: MakeClap) -> None:
    spec = ClapPluginSpec(
        "invalid.example.esc",
        "Esc \x1b[2J\x07Name",
        vendor="Vendor\tTab",
        description="caf\udce9",  # the byte 0xE9 alone: Latin-1's é, not UTF-8
        params=(ClapParam("P\x1b[31m", texts=("\x1b]0;title\x07",), max=0.0, flags={"stepped", "enum"}),),
    )
    (plugin,) = plugins_of(scan_one(make_clap(spec)))
    assert (plugin.name, plugin.vendor, plugin.description) == ("Esc \x1b[2J\x07Name", "Vendor\tTab", "caf\ufffd")
    (param,) = plugin.parameters
    assert (param.name, param.choices) == ("P\x1b[31m", ("\x1b]0;title\x07",))


def test_text_without_a_terminator_is_read_to_a_bound(make_clap: MakeClap) -> None:
    """Name, vendor, url and description point at 64 KiB without a NUL before an unreadable page:
    an unbounded read would crash the worker; a bounded one stops at its limit."""
    spec = ClapPluginSpec(
        "invalid.example.wall",
        "Wall",
        unterminated=True,
        params=(ClapParam("Loud", hostile_text=True), ClapParam("Blank", blank_info=True)),
    )
    (plugin,) = plugins_of(scan_one(make_clap(spec)))
    assert plugin.name.startswith("\x1b[31mWALL")
    assert len(plugin.name) == len(plugin.vendor) == len(plugin.url) == clap_format.TEXT_LIMIT
    assert len(plugin.description) == clap_format.DESCRIPTION_LIMIT
    loud, blank = plugin.parameters
    assert loud.name == "N" * 256 and loud.default_text == "\x1b" * clap_format.VALUE_TEXT_SIZE
    assert (blank.name, blank.id) == ("", "0")  # an info the plugin did not fill does not inherit the last one


def test_lying_counts_are_capped(make_clap: MakeClap) -> None:
    spec = ClapPluginSpec(
        "invalid.example.liar",
        "Liar",
        params=PARAMS[:2],
        param_count_claim=4_000_000_000,
        port_count_claim=4_000_000_000,
    )
    module = make_clap(ClapModuleSpec("Liar", (spec,), plugin_count_claim=1_000_000_000))
    started = time.monotonic()
    (plugin,) = plugins_of(scan_one(module))
    assert time.monotonic() - started < 5
    assert [p.name for p in plugin.parameters] == ["Gain", "Wave"]
    assert plugin.io.audio_inputs == 2 and plugin.io.audio_outputs == 2


# ---------------------------------------------------------------- the whole pipeline


def _cli_scan(folder: Path, catalog: Path) -> dict[str, Any]:
    options = ["--json", "--set", "discover.formats=[clap]", "--set", "scan.timeout=2"]
    command = [sys.executable, "-m", "pluginary.cli.app", "scan", str(folder), "--catalog", str(catalog), *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def test_pluginary_scan_catalogues_clap_plugins_and_quarantines_the_bad(make_clap: MakeClap, tmp_path: Path) -> None:
    folder = tmp_path / "clap"
    make_clap(ClapModuleSpec("Suite", (SYNTH, REVERB)), root=folder)
    make_clap(ClapPluginSpec("invalid.example.crash", "Crash", misbehaviour=ClapMisbehaviour("segv", "create")))
    make_clap(ClapPluginSpec("invalid.example.hang", "Hang", misbehaviour=ClapMisbehaviour(hang_stage="init")))
    catalog = tmp_path / "catalog.sqlite"
    first = _cli_scan(folder, catalog)
    assert (first["found"], first["scanned"], first["plugins"], first["failed"]) == (3, 1, 2, 2)
    assert {Path(f["path"]).name: f["kind"] for f in first["failures"]} == {
        "Crash.clap": "crash",
        "Hang.clap": "timeout",
    }
    with Catalog.open(catalog, read_only=True) as cat:
        stored = {p.id: p for p in cat.plugins()}
        assert sorted(stored) == ["clap:invalid.example.reverb", "clap:invalid.example.synth"]
        synth = stored["clap:invalid.example.synth"]
        assert synth.io == IO(0, 2, 2, 1, 0, 4) and [p.name for p in synth.outputs] == ["Gain Reduction"]
        assert any(c.name.startswith("Instrument/Synth") for c in synth.categories)
        assert any(c.name == "Effect/Reverb" for c in stored["clap:invalid.example.reverb"].categories)
        assert {Path(f.path).name: f.signal for f in cat.failures()}["Crash.clap"] == signal.SIGSEGV
    again = _cli_scan(folder, catalog)
    assert (again["unchanged"], again["quarantined"], again["scanned"]) == (1, 2, 0)


# ---------------------------------------------------------------- real DPF plugins

#: What each plugin's sources declare (dpf-plugins 1.6, plugins/<P>/DistrhoPluginInfo.h and the
#: plugin's parameter enum or gen_exported.cpp num_params()): file → (CLAP id, name, vendor,
#: instrument, audio ins, audio outs, parameters). The CLAP name is getName(), the vendor getMaker().
DPF_DECLARED: dict[str, tuple[str, str, str, bool, int, int, int]] = {
    "3BandEQ": ("studio.kx.distrho.MVerb", "3 Band EQ", "DISTRHO", False, 2, 2, 6),
    "3BandSplitter": ("studio.kx.distrho.MVerb", "3 Band Splitter", "DISTRHO", False, 2, 6, 6),
    "AmplitudeImposer": ("niallmoody.ndcplugs.ampimposer", "Amplitude Imposer", "ndc Plugs", False, 4, 2, 2),
    "CycleShifter": ("niallmoody.ndcplugs.cycleshifter", "Cycle Shifter", "ndc Plugs", False, 1, 1, 2),
    "Kars": ("studio.kx.distrho.Kars", "Kars", "falkTX", True, 0, 1, 3),
    "MVerb": ("studio.kx.distrho.MVerb", "MVerb", "Martin Eastwood, falkTX", False, 2, 2, 9),
    "MaBitcrush": ("studio.kx.distrho.MaBitcrush", "MaBitcrush", "DISTRHO", False, 1, 2, 1),
    "MaFreeverb": ("studio.kx.distrho.MaFreeverb", "MaFreeverb", "DISTRHO", False, 1, 1, 4),
    "MaGigaverb": ("studio.kx.distrho.MaGigaverb", "MaGigaverb", "DISTRHO", False, 2, 2, 8),
    "MaPitchshift": ("studio.kx.distrho.MaPitchshift", "MaPitchshift", "DISTRHO", False, 1, 2, 4),
    "Nekobi": ("studio.kx.distrho.Nekobi", "Nekobi", "Sean Bolton, falkTX", True, 0, 1, 8),
    "PingPongPan": ("studio.kx.distrho.MVerb", "Ping Pong Pan", "DISTRHO", False, 2, 2, 2),
    "SoulForce": ("niallmoody.ndcplugs.soulforce", "Soul Force", "ndc Plugs", False, 2, 2, 4),
}


def _dpf_scan(dpf_dir: Path, *, metadata_only: bool = False) -> dict[str, Plugin]:
    results = scan(sorted((dpf_dir / "clap").glob("*.clap")), metadata_only=metadata_only, timeout=20)
    found: dict[str, Plugin] = {}
    for result in results:
        (plugin,) = plugins_of(result)
        found[Path(result.file.path).stem] = plugin
    return found


def test_dpf_plugins_agree_with_their_sources(dpf_dir: Path) -> None:
    found = _dpf_scan(dpf_dir)
    assert sorted(found) == sorted(DPF_DECLARED)
    for stem, (clap_id, name, vendor, instrument, ins, outs, params) in DPF_DECLARED.items():
        plugin = found[stem]
        seen = (
            plugin.id,
            plugin.name,
            plugin.vendor,
            plugin.is_instrument,
            plugin.is_effect,
            (plugin.io.audio_inputs or 0) + (plugin.io.aux_inputs or 0),
            (plugin.io.audio_outputs or 0) + (plugin.io.aux_outputs or 0),
            len(plugin.parameters),
            plugin.io.midi_inputs,
        )
        assert seen == (
            f"clap:{clap_id}",
            name,
            vendor,
            instrument,
            not instrument,
            ins,
            outs,
            params,
            int(instrument),
        ), stem
        assert plugin.version == ""  # DPF 1.6's CLAP wrapper leaves the version string empty ("TODO")
        assert plugin.sdk.startswith("CLAP 1.")
    # DPF's Nekobi declares Waveform an integer with two labelled values; CLAP 1.1 has no enum flag.
    waveform = found["Nekobi"].parameters[0]
    assert (waveform.name, waveform.kind, waveform.choices) == (
        "Waveform",
        ParameterKind.CHOICE,
        ("Square", "Triangle"),
    )
    sustain = found["Kars"].parameters[0]
    assert (sustain.name, sustain.kind) == ("Sustain", ParameterKind.BOOL)


def test_dpf_metadata_only_agrees_with_the_full_scan(dpf_dir: Path) -> None:
    full = _dpf_scan(dpf_dir)
    meta = _dpf_scan(dpf_dir, metadata_only=True)
    assert sorted(meta) == sorted(full)
    for stem, plugin in meta.items():
        assert plugin.parameters == () and plugin.io == IO()
        assert plugin == attrs.evolve(full[stem], parameters=(), outputs=(), io=IO())


def test_dpf_clap_records_agree_with_the_vst3_build_of_the_same_plugins(dpf_dir: Path) -> None:
    """The VST3 format reads the VST3 wrapper of the same DSP code: a second, independent host path."""
    clap = _dpf_scan(dpf_dir)
    vst3_results = scan(sorted((dpf_dir / "vst3").glob("*.vst3")), fmt="vst3", timeout=30)
    vst3 = {Path(r.file.path).stem: plugins_of(r)[0] for r in vst3_results}
    assert sorted(vst3) == sorted(clap)
    for stem, c in clap.items():
        v = vst3[stem]
        assert (c.name, c.vendor, c.is_instrument) == (v.name, v.vendor, v.is_instrument), stem
        assert [p.name for p in c.parameters] == [p.name for p in v.parameters], stem
        assert (c.io.audio_inputs or 0) + (c.io.aux_inputs or 0) == (v.io.audio_inputs or 0) + (v.io.aux_inputs or 0)
        assert (c.io.audio_outputs or 0) + (c.io.aux_outputs or 0) == (
            (v.io.audio_outputs or 0) + (v.io.aux_outputs or 0)
        ), stem
