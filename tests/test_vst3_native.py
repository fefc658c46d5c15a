"""The native VST3 reader on real plugins, checked against Ardour's own scanner and the plugins' declarations.

The reader runs in a child Python (`read_natively`) or in the worker pool, never
in pytest: plugins may crash. The suite's C plugin covers what a host must get
right (several classes, side-chain and MIDI-only buses, split controllers,
parameter flags, programs); Debian's zam-plugins are compared with Ardour's
`ardour-vst3-scanner` and with the LV2 build of the same plugins, whose Turtle
declares each plugin's user parameters.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import (
    IO,
    FailureKind,
    FileResult,
    ParameterFlag,
    ParameterKind,
    Plugin,
    PluginFile,
    converter,
)
from pluginary.formats.lv2 import LV2Format
from pluginary.formats.vst3_native import Reading
from pluginary.scanning.pool import ScanJob, WorkerPool
from tests.plugins import BundleSpec, Misbehaviour, ParamSpec, PluginSpec, binary_path
from tests.plugins.fixtures import DEBIAN_LV2_DIR, MakeVst3

# Slow (Ardour's own VST3 scanner on every bundle): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

READ = r"""
import json, sys
from pathlib import Path
from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import converter
from pluginary.formats import vst3_native
from pluginary.formats.vst3 import binary_files

bundle = Path(sys.argv[1])
readings = vst3_native.read(bundle, binary_files(bundle)[0], ScanSettings(metadata_only=sys.argv[2] == "1"))
print("RESULT" + json.dumps(converter.unstructure(readings)))
"""


def read_natively(bundle: Path, *, metadata_only: bool = False) -> list[Reading]:
    """`vst3_native.read` in a child Python, so a plugin that crashes takes down only that child."""
    out = subprocess.run(
        [sys.executable, "-c", READ, str(bundle), "1" if metadata_only else "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
    return converter.structure(json.loads(line[len("RESULT") :]), list[Reading])


def scan(bundles: Iterable[Path], timeout: float = 10.0) -> dict[str, FileResult]:
    """Bundles through the worker pool, keyed by bundle stem."""
    jobs = [ScanJob(PluginFile(str(b), "vst3", 0, 0, f"fp:{b}"), "vst3", ScanSettings(), timeout) for b in bundles]
    with WorkerPool(2) as pool:
        return {Path(result.file.path).stem: result for result in pool.run(jobs)}


# ---------------------------------------------------------------- the suite's own plugin

SHELL = BundleSpec(
    name="Rack",
    vendor="Rack Factory",
    url="https://rack.example.invalid",
    plugins=(
        PluginSpec(name="Mono Fx", vendor="Rack Audio", audio_in=1, audio_out=1, subcategories="Fx|Mono"),
        PluginSpec(name="Side Comp", vendor="Rack Audio", aux_in=2, subcategories="Fx|Dynamics|Stereo"),
        PluginSpec(name="Midi Thru", audio_in=0, audio_out=0, midi_in=True, midi_out=True, subcategories="Fx|Tools"),
        PluginSpec(name="Widen", audio_in=1, audio_out=2, subcategories="Fx|Spatial", version="2.5.1"),
        PluginSpec(name="Keys", instrument=True, split_controller=True, params=(ParamSpec("Cutoff"),)),
    ),
)

FLAGS = PluginSpec(
    name="Flags",
    needs_host=True,
    latency=64,
    programs=("Init", "Warm Pad", "Bright Lead"),
    program_list="Factory Sounds",
    params=(
        ParamSpec("Gain", units="dB", min=-12, max=12, default=0.5, id=1001),
        ParamSpec("Internal State", hidden=True, id=1002),
        ParamSpec("Gain Reduction", units="dB", read_only=True, automatable=False, id=1003),
        ParamSpec("Bypass", texts=("Off", "On"), bypass=True, id=1004),
        ParamSpec("Mode", texts=("Clean", "Warm", "Crunch"), default=0.5, id=1005),
        ParamSpec("Program", texts=("Init", "Warm Pad", "Bright Lead"), program_change=True, id=1006),
        ParamSpec("Voices", min=1, max=8, steps=7, id=1007),
        ParamSpec("Sync", min=0, max=1, steps=1, id=1008),
        ParamSpec("MIDI CC 1", hidden=True, id=1009),
    ),
)


def test_every_audio_module_class_of_a_factory_with_its_own_identity(make_vst3: MakeVst3) -> None:
    readings = read_natively(make_vst3(SHELL), metadata_only=True)
    # The split controller of "Keys" is a class too, a "Component Controller Class": no plugin.
    assert [r.plugin.name for r in readings] == [p.name for p in SHELL.plugins]
    for reading, spec in zip(readings, SHELL.plugins, strict=True):
        plugin = reading.plugin
        assert plugin.id == f"vst3:{spec.class_id}" and plugin.reader == "vst3-native"
        assert (plugin.vendor, plugin.version, plugin.sdk) == (spec.vendor, spec.version, "VST 3.7.9")
        assert plugin.native_categories == tuple(spec.subcategories.split("|"))
        assert "Audio Module Class" not in plugin.native_categories
        assert (plugin.is_instrument, plugin.is_effect) == (spec.instrument, not spec.instrument)
        assert plugin.url == SHELL.url
        assert plugin.io == IO() and plugin.parameters == () and plugin.latency is None  # nothing instantiated


def test_buses_main_aux_and_event(make_vst3: MakeVst3) -> None:
    io = {r.plugin.name: r.plugin.io for r in read_natively(make_vst3(SHELL))}
    assert io["Mono Fx"] == IO(
        audio_inputs=1, audio_outputs=1, midi_inputs=0, midi_outputs=0, aux_inputs=0, aux_outputs=0
    )
    assert io["Side Comp"] == IO(2, 2, 0, 0, aux_inputs=2, aux_outputs=0)
    assert io["Midi Thru"] == IO(0, 0, 1, 1, 0, 0)
    assert io["Widen"] == IO(1, 2, 0, 0, 0, 0)
    assert io["Keys"] == IO(0, 2, 1, 0, 0, 0)


def test_a_split_controller_is_created_initialized_and_connected(make_vst3: MakeVst3) -> None:
    """Its parameters appear only once it is connected to its component (the test plugin's rule)."""
    (keys,) = (r.plugin for r in read_natively(make_vst3(SHELL)) if r.plugin.name == "Keys")
    assert [p.name for p in keys.parameters] == ["Cutoff"]


def test_parameters_with_their_vst3_flags(make_vst3: MakeVst3) -> None:
    (reading,) = read_natively(make_vst3(FLAGS))  # needs_host: only a host context that answers lets it start
    plugin = reading.plugin
    params = {p.name: p for p in plugin.parameters}
    assert list(params) == ["Gain", "Bypass", "Mode", "Program", "Voices", "Sync"]  # hidden ones are gone
    assert reading.hidden_parameters == 2
    assert [p.name for p in plugin.outputs] == ["Gain Reduction"]  # read-only: a meter, not a control
    assert [p.index for p in plugin.parameters] == [0, 3, 4, 5, 6, 7]  # the plugin's own indexes
    assert [p.id for p in plugin.parameters] == ["1001", "1004", "1005", "1006", "1007", "1008"]

    gain, bypass, mode, program, voices, sync = params.values()
    assert (gain.kind, gain.units, gain.num_steps, gain.choices) == (ParameterKind.FLOAT, "dB", None, ())
    assert (gain.default, gain.default_text) == (0.5, FLAGS.params[0].display(0.5))
    assert (gain.minimum_text, gain.maximum_text) == ("-12.00 dB", "12.00 dB")
    assert (bypass.kind, bypass.choices, bypass.flags) == (ParameterKind.BOOL, ("Off", "On"), (ParameterFlag.BYPASS,))
    assert (mode.kind, mode.choices, mode.num_steps) == (ParameterKind.CHOICE, ("Clean", "Warm", "Crunch"), 3)
    assert mode.default_text == "Warm"
    assert (program.kind, program.flags) == (ParameterKind.CHOICE, (ParameterFlag.PROGRAM_CHANGE,))
    assert (voices.kind, voices.num_steps, voices.choices) == (ParameterKind.INT, 8, tuple(str(v) for v in range(1, 9)))
    assert sync.kind is ParameterKind.BOOL and sync.num_steps == 2
    assert not plugin.outputs[0].automatable and all(p.automatable for p in plugin.parameters)
    assert plugin.latency == 64


def test_programs_from_the_unit_info(make_vst3: MakeVst3) -> None:
    (reading,) = read_natively(make_vst3(FLAGS))
    ((programs),) = reading.program_lists
    assert (programs.name, programs.programs) == ("Factory Sounds", FLAGS.programs)
    (keys,) = (r for r in read_natively(make_vst3(SHELL)) if r.plugin.name == "Keys")
    assert keys.program_lists == ()  # no IUnitInfo


def test_text_from_the_plugin_is_cleaned(make_vst3: MakeVst3) -> None:
    """Control characters (a terminal escape here) are dropped; a name filling its whole field is kept whole."""
    longest = "L" * 63  # PClassInfo's name field holds 63 bytes and a NUL
    spec = BundleSpec(
        name="Hostile",
        plugins=(
            PluginSpec(name="Evil\x1b[2J\x07 Name", params=(ParamSpec("Level\x1b[31m", units="d\x08B"),)),
            PluginSpec(name=longest),
        ),
    )
    evil, long = (r.plugin for r in read_natively(make_vst3(spec)))
    assert evil.name == "Evil[2J Name"
    assert [(p.name, p.units) for p in evil.parameters] == [("Level[31m", "dB")]
    assert long.name == longest


def test_a_factory_that_crashes_in_get_class_info_is_a_crash(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(PluginSpec(name="Bad Info", misbehaviour=Misbehaviour(crash="segv", crash_stage="classinfo")))
    failure = scan([bundle])["Bad Info"].failure
    assert failure and failure.kind is FailureKind.CRASH and failure.signal == signal.SIGSEGV


def test_a_component_that_wants_a_host_gets_one(make_vst3: MakeVst3) -> None:
    """Through the pool: the component's initialize asks our context for IHostApplication and its name."""
    result = scan([make_vst3(FLAGS)])["Flags"]
    assert result.failure is None and result.plugins[0].reader == "vst3-native"


def test_a_module_without_plugins_says_so(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(PluginSpec(name="Empty"))
    (bundle / "Contents" / "Resources" / "pluginary-test.conf").write_text("[module]\nvendor=Nobody\n")
    failure = scan([bundle])["Empty"].failure
    assert failure and failure.kind is FailureKind.ERROR
    assert failure.message == f"NativeError: {binary_path(bundle)}: GetPluginFactory returned no factory"


# ---------------------------------------------------------------- Ardour's scanner agrees

ARDOUR_FIELDS = ("name", "vendor", "category", "audio in", "audio out", "aux in", "aux out", "MIDI in", "MIDI out")


def ardour_scan(scanner: Path, bundles: Iterable[Path], cache: Path) -> dict[str, dict[str, str]]:
    """What `ardour-vst3-scanner` writes to its cache (`.v3i` XML under $XDG_CACHE_HOME/ardour*/vst), by uid.

    One scanner process per bundle: it stops at the first bundle that crashes it.
    """
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HOME": str(cache), "LD_LIBRARY_PATH": str(scanner.parent)}

    def run(bundle: Path) -> None:
        subprocess.run([str(scanner), "-f", "-q", str(bundle)], env=env, capture_output=True, timeout=120, check=False)

    with ThreadPoolExecutor(4) as threads:
        list(threads.map(run, bundles))
    found = {}
    for path in cache.glob("ardour*/vst/*.v3i"):
        for info in ET.parse(path).getroot().iter("VST3Info"):
            found[info.attrib["uid"]] = dict(info.attrib)
    return found


def _ardour_view(plugin: Plugin) -> dict[str, Any]:
    """Our record in the terms of Ardour's cache: it counts only buses that exist, as do we."""
    io = plugin.io
    return {
        "name": plugin.name,
        "vendor": plugin.vendor or "Unknown",  # Ardour's word for a factory that names no vendor
        "category": "|".join(plugin.native_categories),
        "audio in": io.audio_inputs,
        "audio out": io.audio_outputs,
        "aux in": io.aux_inputs,
        "aux out": io.aux_outputs,
        "MIDI in": io.midi_inputs,
        "MIDI out": io.midi_outputs,
    }


def _ardour_fields(info: dict[str, str]) -> dict[str, Any]:
    numbers = ("n_inputs", "n_outputs", "n_aux_inputs", "n_aux_outputs", "n_midi_inputs", "n_midi_outputs")
    values = [info["name"], info["vendor"], info["category"], *(int(info[n]) for n in numbers)]
    return dict(zip(ARDOUR_FIELDS, values, strict=True))


def agreement(ours: Iterable[Plugin], ardours: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Per field, the plugins whose value differs from Ardour's (empty lists: full agreement)."""
    by_id = {plugin.id.removeprefix("vst3:"): plugin for plugin in ours}
    assert set(by_id) == set(ardours), "the same plugins, by the same ids (Ardour's uid)"
    differences: dict[str, list[str]] = {field: [] for field in ARDOUR_FIELDS}
    for uid, info in ardours.items():
        mine, theirs = _ardour_view(by_id[uid]), _ardour_fields(info)
        for field in ARDOUR_FIELDS:
            if mine[field] != theirs[field]:
                differences[field].append(f"{info['name']}: ours {mine[field]!r}, Ardour {theirs[field]!r}")
    return differences


def test_zam_plugins_agree_with_ardours_scanner(
    ardour_vst3_scanner: Path, debian_vst3_dir: Path, tmp_path: Path
) -> None:
    bundles = sorted(debian_vst3_dir.glob("Za*.vst3"))
    results = scan(bundles, timeout=30.0)
    ours = [plugin for result in results.values() for plugin in result.plugins]
    assert len(ours) == len(bundles)
    ardours = ardour_scan(ardour_vst3_scanner, bundles, tmp_path / "cache")
    assert agreement(ours, ardours) == {field: [] for field in ARDOUR_FIELDS}
    assert any(info["n_aux_inputs"] != "0" for info in ardours.values())  # the side-chain case is covered


def test_test_plugins_agree_with_ardours_scanner(
    ardour_vst3_scanner: Path, make_vst3: MakeVst3, tmp_path: Path
) -> None:
    bundles = [make_vst3(SHELL), make_vst3(FLAGS), make_vst3(PluginSpec(name="Synth", instrument=True))]
    results = scan(bundles)
    ours = [plugin for result in results.values() for plugin in result.plugins]
    assert len(ours) == len(SHELL.plugins) + 2
    ardours = ardour_scan(ardour_vst3_scanner, bundles, tmp_path / "cache")
    assert agreement(ours, ardours) == {field: [] for field in ARDOUR_FIELDS}


# ---------------------------------------------------------------- zam: the plugins' own declarations

HIDDEN_BY_DPF = {"Buffer Size", "Sample Rate", "Current Program"}


@pytest.fixture(scope="module")
def zam_pairs(debian_vst3_dir: Path) -> list[tuple[Plugin, Plugin]]:
    """(VST3 read natively, LV2 read from its Turtle) for each zam plugin built in both formats."""
    bundles = sorted(debian_vst3_dir.glob("Za*.vst3"))
    pairs = []
    for stem, result in sorted(scan(bundles, timeout=30.0).items()):
        lv2 = DEBIAN_LV2_DIR / f"{stem}.lv2"
        if lv2.is_dir():
            (plugin,) = result.plugins
            (declared,) = LV2Format().scan(lv2, ScanSettings(presets=False))
            pairs.append((plugin, declared))
    assert len(pairs) >= 10, "zam-plugins installs both its VST3 and its LV2 builds"
    return pairs


def test_zam_parameters_are_the_declared_user_parameters(zam_pairs: list[tuple[Plugin, Plugin]]) -> None:
    """Same names in the same order as the LV2 build's input controls; toggles are bool; nothing hidden."""
    for vst3, lv2 in zam_pairs:
        assert [p.name for p in vst3.parameters] == [p.name for p in lv2.parameters], vst3.name
        for ours, declared in zip(vst3.parameters, lv2.parameters, strict=True):
            assert (ours.kind is ParameterKind.BOOL) == (declared.kind is ParameterKind.BOOL), (vst3.name, ours.name)
        assert not HIDDEN_BY_DPF & {p.name for p in (*vst3.parameters, *vst3.outputs)}, vst3.name
    toggles = sum(p.kind is ParameterKind.BOOL for vst3, _ in zam_pairs for p in vst3.parameters)
    assert toggles > 0
