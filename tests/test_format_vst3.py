"""The VST3 format, scanning real plugins through the worker pool: which reader reads what.

Test plugins (`tests.plugins`) have known names, parameters and misbehaviour;
Debian's zam-plugins are compared with what plain pedalboard reports about
them in a separate process. What the native reader itself gets right (buses,
parameter flags, programs, agreement with Ardour's scanner) is in
tests/test_vst3_native.py.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest

from pluginary.core.components import instantiate
from pluginary.core.interfaces import PluginFormat, ScanSettings
from pluginary.core.models import IO, FailureKind, FileResult, ParameterKind, PluginFile
from pluginary.formats import vst3_moduleinfo
from pluginary.formats.pedalboard_params import CONTINUOUS_STEPS
from pluginary.formats.vst3 import VST3Format, binary_files, standard_roots
from pluginary.scanning.discovery import plugin_file
from pluginary.scanning.pool import ScanJob, WorkerPool
from tests.plugins import BundleSpec, Misbehaviour, ParamSpec, PluginSpec, binary_path, resources_path
from tests.plugins.fixtures import MakeVst3

ZAMVERB = "ZamVerb"  # its plain pedalboard load probes for minutes: compared structurally only


def scan(
    bundles: Iterable[Path], *, deep: bool = False, metadata_only: bool = False, timeout: float = 5.0, workers: int = 2
) -> list[FileResult]:
    settings = ScanSettings(deep=deep, metadata_only=metadata_only)
    jobs = [ScanJob(PluginFile(str(b), "vst3", 0, 0, f"fp:{b.name}"), "vst3", settings, timeout) for b in bundles]
    with WorkerPool(workers) as pool:
        return sorted(pool.run(jobs), key=lambda r: r.file.path)


def scan_one(bundle: Path, **kwargs: bool) -> FileResult:
    (result,) = scan([bundle], workers=1, **kwargs)
    return result


# ---------------------------------------------------------------- where and what identifies a bundle


def test_is_the_registered_vst3_format() -> None:
    fmt = instantiate("format", "vst3")
    assert isinstance(fmt, VST3Format) and isinstance(fmt, PluginFormat)
    assert fmt.name == "vst3" and fmt.bundle_suffixes == (".vst3",)


def test_standard_folders_per_platform() -> None:
    home = Path("/home/ada")
    assert standard_roots("linux", {}, home) == [home / ".vst3", Path("/usr/lib/vst3"), Path("/usr/local/lib/vst3")]
    assert standard_roots("darwin", {}, home) == [
        home / "Library/Audio/Plug-Ins/VST3",
        Path("/Library/Audio/Plug-Ins/VST3"),
    ]
    env = {"COMMONPROGRAMFILES": "/c/Common Files", "LOCALAPPDATA": "/c/Users/ada/AppData/Local"}
    assert standard_roots("win32", env, home) == [
        Path("/c/Common Files/VST3"),
        Path("/c/Users/ada/AppData/Local/Programs/Common/VST3"),
    ]
    assert standard_roots("win32", {}, home) == []
    assert Path("/usr/lib/vst3") in VST3Format().default_roots() or sys.platform != "linux"


def _fingerprint(bundle: Path) -> str:
    return plugin_file(bundle, "vst3", VST3Format().signature_files(bundle)).fingerprint


def _rewrite(path: Path) -> None:
    """New content and a new mtime, as an update of the file would give."""
    data = path.read_bytes()
    path.write_bytes(data + b" ")
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))


def test_fingerprint_follows_the_binary_and_moduleinfo(make_vst3: MakeVst3, tmp_path: Path) -> None:
    described = make_vst3(BundleSpec.of(PluginSpec(name="Described"), moduleinfo=True))
    candidates = {Path(candidate) for candidate in VST3Format().signature_files(described)}
    assert binary_path(described) in candidates and resources_path(described) / "moduleinfo.json" in candidates
    before = _fingerprint(described)
    assert _fingerprint(described) == before  # stable while nothing changes
    _rewrite(resources_path(described) / "moduleinfo.json")
    after_moduleinfo = _fingerprint(described)
    assert after_moduleinfo != before
    _rewrite(binary_path(described))
    assert _fingerprint(described) != after_moduleinfo
    # Files that say nothing about the version do not count.
    (described / "Contents" / "Resources" / "notes.txt").write_text("hello")
    assert _fingerprint(described) == _fingerprint(described)


def test_single_file_and_empty_bundles_are_fingerprinted_by_their_own_stat(tmp_path: Path) -> None:
    single = tmp_path / "Old.vst3"
    single.write_bytes(b"MZ")
    empty = tmp_path / "Empty.vst3"
    empty.mkdir()
    for bundle in (single, empty):
        before = _fingerprint(bundle)
        os.utime(bundle, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        assert _fingerprint(bundle) != before, bundle


def test_binaries_of_other_platforms(tmp_path: Path) -> None:
    bundle = tmp_path / "X.vst3"
    for relative in ("Contents/MacOS/X", "Contents/x86_64-win/X.vst3", "Contents/aarch64-linux/X.so"):
        (bundle / relative).parent.mkdir(parents=True, exist_ok=True)
        (bundle / relative).write_bytes(b"")
    assert binary_files(bundle, "darwin", "arm64") == [bundle / "Contents/MacOS/X"]
    assert binary_files(bundle, "win32", "AMD64") == [bundle / "Contents/x86_64-win/X.vst3"]
    assert binary_files(bundle, "linux", "aarch64") == [bundle / "Contents/aarch64-linux/X.so"]
    assert binary_files(bundle, "linux", "x86_64") == []


# ---------------------------------------------------------------- moduleinfo.json


MODULEINFO_JSON5 = """\
// written by hand, as the SDK's moduleinfotool would
{
  "Name": "Hand Made",
  "Version": "2.1.0",
  "Factory Info": {"Vendor": "Hand Audio", "URL": "", "E-Mail": "",},  /* trailing comma */
  "Classes": [
    {
      "CID": "0123456789abcdef0123456789ABCDEF",
      "Category": "Audio Module Class",
      "Name": "Hand Made",
      "Vendor": "Hand Audio",
      "Version": "2.1.0",
      "SDKVersion": "VST 3.7.8",
      "Sub Categories": "Fx|Delay|Stereo",
    },
    {"CID": "FEDCBA9876543210FEDCBA9876543210", "Category": "Component Controller Class", "Name": "Hand Made"},
  ],
}
"""


def test_moduleinfo_is_read_as_json5(tmp_path: Path) -> None:
    bundle = tmp_path / "Hand Made.vst3"
    (bundle / "Contents").mkdir(parents=True)
    (bundle / "Contents" / "moduleinfo.json").write_text(MODULEINFO_JSON5)
    info = vst3_moduleinfo.read(bundle)
    assert info is not None
    assert (info.name, info.version, info.vendor) == ("Hand Made", "2.1.0", "Hand Audio")
    (cls,) = info.classes  # the controller class is not a plugin
    assert cls.cid == "0123456789ABCDEF0123456789ABCDEF"
    assert cls.sub_categories == ("Fx", "Delay", "Stereo") and cls.sdk_version == "VST 3.7.8"
    assert info.find("Hand Made") == cls and info.find("Other") is None


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_malformed_moduleinfo_is_an_error_the_scan_survives(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(BundleSpec.of(PluginSpec(name="Garbled"), moduleinfo=True))
    (resources_path(bundle) / "moduleinfo.json").write_text('{"Classes": [{"CID": "nope", ')
    with pytest.raises(vst3_moduleinfo.ModuleInfoError):
        vst3_moduleinfo.read(bundle)
    (plugin,) = scan_one(bundle).plugins
    assert plugin.id == f"vst3:{PluginSpec(name='Garbled').class_id}" and plugin.reader == "vst3-native"


def test_metadata_only_reads_moduleinfo_without_loading_the_binary(make_vst3: MakeVst3) -> None:
    # Both crash as soon as their binary is loaded: only a reader that never loads it gets anything.
    dies = Misbehaviour(crash="segv", crash_stage="dlopen")
    known = PluginSpec(name="Identified", subcategories="Fx|Reverb|Stereo", misbehaviour=dies)
    unknown = PluginSpec(name="Anonymous", subcategories="Fx|Reverb|Stereo", misbehaviour=dies)
    bundles = [make_vst3(BundleSpec.of(known, moduleinfo=True)), make_vst3(unknown)]
    results = {Path(r.file.path).stem: r for r in scan(bundles, metadata_only=True)}
    (plugin,) = results["Identified"].plugins
    assert (plugin.id, plugin.reader) == (f"vst3:{known.class_id}", "vst3-moduleinfo")
    assert (plugin.native_categories, plugin.sdk) == (("Fx", "Reverb", "Stereo"), "VST 3.7.9")
    assert plugin.io == IO() and plugin.parameters == ()  # what only a loaded plugin tells
    failure = results["Anonymous"].failure
    assert failure and failure.kind is FailureKind.CRASH and failure.signal == signal.SIGSEGV


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_metadata_only_stops_at_the_factory(make_vst3: MakeVst3) -> None:
    """No moduleinfo.json: the factory's class info, and nothing is instantiated (this one dies if it is)."""
    spec = PluginSpec(
        name="Listed",
        subcategories="Fx|Delay",
        params=(ParamSpec("Time"),),
        misbehaviour=Misbehaviour(crash="segv", crash_stage="factory"),
    )
    (plugin,) = scan_one(make_vst3(spec), metadata_only=True).plugins
    assert (plugin.id, plugin.name, plugin.reader) == (f"vst3:{spec.class_id}", "Listed", "vst3-native")
    assert (plugin.native_categories, plugin.version, plugin.sdk) == (("Fx", "Delay"), "1.0.0", "VST 3.7.9")
    assert plugin.io == IO() and plugin.parameters == () and plugin.latency is None
    failure = scan_one(make_vst3(attrs.evolve(spec, name="Listed Too"))).failure
    assert failure and failure.kind is FailureKind.CRASH


# ---------------------------------------------------------------- what a loaded plugin tells


KINDS = PluginSpec(
    name="Kinds",
    vendor="Kind Audio",
    version="3.2.1",
    latency=256,
    params=(
        ParamSpec("Bypass", texts=("Off", "On")),
        ParamSpec("Mode", texts=("Low", "Mid", "High"), default=0.5),
        ParamSpec("Voices", min=1, max=16, steps=15, default=0.2),
        ParamSpec("Gain", units="dB", min=-24, max=24, default=0.25),
        ParamSpec("Fine", min=0, max=200, steps=200),
        ParamSpec("Hidden", automatable=False),
    ),
)


def test_identity_and_parameter_kinds(make_vst3: MakeVst3) -> None:
    (plugin,) = scan_one(make_vst3(KINDS)).plugins
    assert (plugin.name, plugin.vendor, plugin.version) == ("Kinds", "Kind Audio", "3.2.1")
    assert (plugin.is_effect, plugin.is_instrument, plugin.latency) == (True, False, 256)
    params = {p.name: p for p in plugin.parameters}
    assert [p.index for p in plugin.parameters] == list(range(len(KINDS.params)))

    bypass, mode, voices, gain, fine, hidden = (params[p.name] for p in KINDS.params)
    assert bypass.kind is ParameterKind.BOOL and bypass.choices == ("Off", "On") and bypass.num_steps == 2
    assert mode.kind is ParameterKind.CHOICE and mode.choices == ("Low", "Mid", "High")
    assert mode.default_text == "Mid" and mode.default == 0.5
    assert voices.kind is ParameterKind.INT and voices.num_steps == 16
    assert voices.choices == tuple(str(v) for v in range(1, 17))
    assert gain.kind is ParameterKind.FLOAT and gain.num_steps is None and gain.choices == ()
    assert (gain.minimum, gain.maximum, gain.default) == (0.0, 1.0, 0.25)
    assert (gain.minimum_text, gain.maximum_text) == (KINDS.params[3].display(0), KINDS.params[3].display(1))
    assert gain.default_text == KINDS.params[3].display(0.25)
    assert fine.kind is ParameterKind.INT and fine.num_steps == 201 and fine.choices == ()  # > 128 values: no list
    assert (fine.minimum_text, fine.maximum_text) == ("0", "200")
    assert hidden.automatable is False and all(p.automatable for p in (bypass, mode, voices, gain, fine))


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_deep_mode_agrees_on_numeric_parameters(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(KINDS)
    (cheap,) = scan_one(bundle).plugins
    (deep,) = scan_one(bundle, deep=True).plugins
    assert deep.parameters == cheap.parameters


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_instruments_are_told_apart(make_vst3: MakeVst3) -> None:
    (plugin,) = scan_one(make_vst3(PluginSpec(name="Keys", instrument=True))).plugins
    assert plugin.is_instrument and not plugin.is_effect
    assert "Instrument" in plugin.native_categories


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_shell_yields_one_plugin_per_class(make_vst3: MakeVst3) -> None:
    members = (
        PluginSpec(name="Shell Comp", params=(ParamSpec("Ratio"),)),
        PluginSpec(name="Shell Synth", instrument=True, params=(ParamSpec("Cutoff"), ParamSpec("Res"))),
        PluginSpec(name="Shell EQ"),
    )
    bundle = make_vst3(BundleSpec(name="Shell", plugins=members, moduleinfo=True))
    plugins = {p.name: p for p in scan_one(bundle).plugins}
    assert set(plugins) == {m.name for m in members}
    for member in members:
        plugin = plugins[member.name]
        assert plugin.id == f"vst3:{member.class_id}" and plugin.path == str(bundle)
        assert plugin.is_instrument == member.instrument
        assert [p.name for p in plugin.parameters] == [p.name for p in member.params]


def test_plugins_pedalboard_refuses_are_read_natively(make_vst3: MakeVst3) -> None:
    """MIDI-only, 1-in/2-out and output-less plugins: pedalboard refuses them, Ardour and the native reader do not."""
    specs = (
        PluginSpec(name="Midi Only", audio_in=0, audio_out=0, midi_in=True, midi_out=True, subcategories="Fx|Tools"),
        PluginSpec(name="Mono To Stereo", audio_in=1, audio_out=2),
        PluginSpec(name="Mute", audio_out=0),
    )
    results = {r.plugins[0].name: r.plugins[0] for r in scan(make_vst3(spec) for spec in specs)}
    assert results["Midi Only"].io == IO(0, 0, 1, 1, 0, 0)
    assert results["Mono To Stereo"].io == IO(1, 2, 0, 0, 0, 0)
    assert results["Mute"].io == IO(2, 0, 0, 0, 0, 0)
    assert {p.reader for p in results.values()} == {"vst3-native"}


REFUSES_US = "Pluginary"  # the name our host context gives; pedalboard's (JUCE's) is another


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_pedalboard_reads_what_the_native_reader_cannot(make_vst3: MakeVst3) -> None:
    """A component that refuses our host falls back to pedalboard, keeping the class id the factory gave."""
    spec = PluginSpec(name="Picky", refuse_host=REFUSES_US, params=(ParamSpec("Gain", units="dB"),))
    (plugin,) = scan_one(make_vst3(spec)).plugins
    assert (plugin.id, plugin.reader) == (f"vst3:{spec.class_id}", "pedalboard")
    assert [p.name for p in plugin.parameters] == ["Gain"]


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_shell_member_pedalboard_cannot_load_is_left_out(make_vst3: MakeVst3) -> None:
    members = (PluginSpec(name="Works", refuse_host=REFUSES_US), PluginSpec(name="Mute", audio_out=0))
    (plugin,) = scan_one(make_vst3(BundleSpec(name="Mixed", plugins=members))).plugins
    assert (plugin.name, plugin.reader) == ("Works", "pedalboard")


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_plugin_no_reader_can_read_is_an_error_not_a_crash(make_vst3: MakeVst3) -> None:
    """The native reader's reason is reported: it names the file and what refused."""
    bundle = make_vst3(PluginSpec(name="Mute", audio_out=0, refuse_host=REFUSES_US))
    failure = scan_one(bundle).failure
    assert failure and failure.kind is FailureKind.ERROR and failure.signal is None
    assert failure.message == f"Unsupported: {binary_path(bundle)}: 'Mute': the component refuses to initialize"


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_bundle_without_a_binary_says_which_one_is_missing(tmp_path: Path) -> None:
    bundle = tmp_path / "Hollow.vst3"
    (bundle / "Contents" / "Resources").mkdir(parents=True)
    failure = scan_one(bundle).failure
    assert failure and failure.kind is FailureKind.ERROR
    assert failure.message == f"FileNotFoundError: no binary for {platform.machine()}-linux in {bundle}/Contents"


# ---------------------------------------------------------------- Debian's zam-plugins

PLAIN_PEDALBOARD = r"""
import json, sys
import pedalboard
out = []
for path in sys.argv[1:]:
    p = pedalboard.load_plugin(path)
    params = [
        {"name": c.name, "label": c.label.strip(), "steps": c.num_steps, "automatable": c.is_automatable,
         "min": c.get_text_for_raw_value(0.0), "max": c.get_text_for_raw_value(1.0)}
        for c in p._parameters
    ]
    out.append({"path": path, "name": p.name, "vendor": p.manufacturer_name, "version": p.version,
                "category": p.category, "is_instrument": p.is_instrument, "is_effect": p.is_effect,
                "latency": p.reported_latency_samples, "python_names": len(p.parameters), "params": params})
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def zam_results(debian_vst3_dir: Path) -> dict[str, FileResult]:
    """All of zam-plugins through the pool at the default 30 s deadline."""
    bundles = sorted(debian_vst3_dir.glob("Za*.vst3"))
    return {Path(r.file.path).stem: r for r in scan(bundles, timeout=30.0)}


@pytest.fixture(scope="module")
def plain_pedalboard(debian_vst3_dir: Path) -> dict[str, dict[str, Any]]:
    """What pedalboard's own load_plugin says about each bundle, in a separate process."""
    bundles = [str(b) for b in sorted(debian_vst3_dir.glob("Za*.vst3")) if b.stem != ZAMVERB]
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_PEDALBOARD, *bundles], capture_output=True, text=True, timeout=120, check=True
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
    return {Path(item["path"]).stem: item for item in json.loads(line[len("RESULT") :])}


@pytest.mark.slow
def test_every_zam_plugin_scans_within_the_default_deadline(zam_results: dict[str, FileResult]) -> None:
    assert len(zam_results) >= 10
    for stem, result in zam_results.items():
        assert result.failure is None, (stem, result.failure)
        (plugin,) = result.plugins
        assert plugin.reader == "vst3-native", stem
        assert plugin.id.startswith("vst3:") and len(plugin.id) == 5 + 32, stem
        assert plugin.parameters or stem == "ZamAutoSat", stem  # ZamAutoSat has no controls
    assert zam_results[ZAMVERB].plugins[0].parameters
    assert len({r.plugins[0].id for r in zam_results.values()}) == len(zam_results)


@pytest.mark.slow
def test_zam_plugins_match_plain_pedalboard(
    zam_results: dict[str, FileResult], plain_pedalboard: dict[str, dict[str, Any]]
) -> None:
    for stem, expected in plain_pedalboard.items():
        (plugin,) = zam_results[stem].plugins
        assert plugin.name == expected["name"]
        assert (plugin.vendor, plugin.version) == (expected["vendor"], expected["version"])
        assert plugin.native_categories == tuple(expected["category"].split("|"))
        assert (plugin.is_instrument, plugin.is_effect) == (expected["is_instrument"], expected["is_effect"])
        assert plugin.latency == expected["latency"]
        # pedalboard lists every parameter, hidden ones too; ours are the visible ones, in the same order
        plain_params = {plain["name"]: plain for plain in expected["params"]}
        ours = [*plugin.parameters, *plugin.outputs]
        assert [p.name for p in sorted(ours, key=lambda p: p.index)] == [
            name for name in plain_params if name in {p.name for p in ours}
        ]
        assert len(plain_params) > len(ours), stem  # DPF's hidden "Buffer Size", "Sample Rate", "Current Program"
        for param in ours:
            plain = plain_params[param.name]
            assert (param.units, param.automatable) == (plain["label"], plain["automatable"])
            assert (param.minimum_text, param.maximum_text) == (plain["min"], plain["max"])
            discrete = 2 <= plain["steps"] < CONTINUOUS_STEPS
            assert param.num_steps == (plain["steps"] if discrete else None)
            assert len(param.choices) == (plain["steps"] if discrete and plain["steps"] <= 128 else 0)


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_zam_stdout_noise_does_not_break_the_channel(debian_vst3_dir: Path, tmp_path: Path) -> None:
    noisy = debian_vst3_dir / "ZamHeadX2.vst3"
    if not noisy.exists():
        pytest.skip("ZamHeadX2 is not part of this zam-plugins version")
    job = ScanJob(PluginFile(str(noisy), "vst3", 0, 0, "fp"), "vst3", ScanSettings(), 30.0)
    with WorkerPool(1, log_dir=tmp_path) as pool:
        results = list(pool.run([job, job, job]))
    assert [len(r.plugins) for r in results] == [1, 1, 1]
    assert any(log.stat().st_size for log in tmp_path.iterdir())  # what it printed went to the worker's log


def test_platform_binary_of_zam_bundles(debian_vst3_dir: Path) -> None:
    bundle = debian_vst3_dir / "ZamComp.vst3"
    binary = bundle / "Contents" / f"{platform.machine()}-linux" / "ZamComp.so"
    assert binary.is_file() and binary in map(Path, VST3Format().signature_files(bundle))
    assert plugin_file(bundle, "vst3", VST3Format().signature_files(bundle)).size == binary.stat().st_size
