"""The test plugins are real: pedalboard loads them, and their misbehaviour really happens.

Every plugin load runs `pedalboard.load_plugin` in a child Python process, so a
crash or hang ends that child, never pytest. The child writes one JSON line per
event to a result file (the plugins under test write to stdout and stderr).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import json5
import pytest

from tests.plugins import (
    CONFIG_NAME,
    STAGES,
    BundleSpec,
    Misbehaviour,
    ParamSpec,
    PluginSpec,
    Stage,
    binary_path,
    build_library,
    derive_class_id,
    moduleinfo_data,
    resources_path,
)
from tests.plugins.fixtures import MakeVst3
from tests.plugins.generator import EXPECTED_NAME, GeneratorOptions, make_plugins

# Slow (builds and loads thousands of generated test plugins): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
HANG_SECONDS = 3.0
ZAM_SECONDS = 6.0
PARAMS = (ParamSpec("Gain", units="dB", min=-12.0, max=12.0),)
#: What pedalboard (JUCE) reports as the step count of a continuous VST3 parameter.
CONTINUOUS_STEPS = 0x7FFFFFFF
KNOWN_LOAD_ERRORS = ("does not support 1-channel output", "does not produce audio output")

# Runs in the child: loads each item and appends JSON lines ("start", then "done" or nothing if it died).
LOADER = r"""
import json, signal, sys, time
import pedalboard

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

def describe(plugin, deep):
    info = {
        "name": plugin.name, "vendor": plugin.manufacturer_name, "category": plugin.category,
        "version": plugin.version, "is_instrument": plugin.is_instrument, "is_effect": plugin.is_effect,
        "latency": plugin.reported_latency_samples,
        "params": [
            {"name": p.name, "label": p.label, "num_steps": p.num_steps, "default": p.default_raw_value,
             "text": p.string_value}
            for p in plugin._parameters
        ],
    }
    if deep:
        info["public"] = {
            p.name: {"units": p.units, "type": p.type.__name__, "min": p.min_value, "max": p.max_value,
                     "values": list(p.valid_values) if p.type is str else None}
            for p in plugin.parameters.values()
        }
    return info

def on_alarm(signum, frame):
    raise TimeoutError("in-process alarm")

items = json.loads(sys.argv[1])
keep = []
with open(sys.argv[2], "a", encoding="utf-8") as out:
    def emit(record):
        out.write(json.dumps(record) + "\n")
        out.flush()
    for item in items:
        emit({"event": "start", "path": item["path"]})
        if item.get("alarm"):
            signal.signal(signal.SIGALRM, on_alarm)
            signal.alarm(item["alarm"])
        record = {"event": "done", "path": item["path"], "plugin_name": item.get("plugin_name")}
        rss, started = rss_kib(), time.perf_counter()
        try:
            plugin = pedalboard.load_plugin(
                item["path"], plugin_name=item.get("plugin_name"), initialization_timeout=item.get("timeout", 0)
            )
            record.update(describe(plugin, item.get("deep", False)))
            if item.get("keep"):
                keep.append(plugin)
        except Exception as error:
            record.update(error=type(error).__name__, message=str(error))
        record.update(seconds=time.perf_counter() - started, rss_growth_kib=rss_kib() - rss)
        emit(record)
"""

NAMES_LOADER = r"""
import json, sys
import pedalboard
print(json.dumps(pedalboard.VST3Plugin.get_plugin_names_for_file(sys.argv[1])))
"""


@attrs.frozen
class LoadRun:
    """What happened in one child process that loaded plugins."""

    returncode: int | None  # None: still running at the deadline, so it was killed
    stdout: bytes
    stderr: bytes
    records: list[dict[str, Any]]

    @property
    def done(self) -> list[dict[str, Any]]:
        return [record for record in self.records if record["event"] == "done"]

    @property
    def started(self) -> list[str]:
        return [record["path"] for record in self.records if record["event"] == "start"]


def _item(bundle: Path, **options: Any) -> dict[str, Any]:
    return {"path": str(bundle), **options}


def _start_loader(items: list[dict[str, Any]], results: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", LOADER, json.dumps(items), str(results)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _finish(process: subprocess.Popen[bytes], results: Path, timeout: float) -> LoadRun:
    """Wait up to `timeout`; kill the child if it is still running (a hang)."""
    try:
        stdout, stderr = process.communicate(timeout=max(timeout, 0.0))
        returncode: int | None = process.returncode
    except subprocess.TimeoutExpired:
        returncode = process.poll()  # it may have ended while we waited for others
        if returncode is None:
            process.kill()
        stdout, stderr = process.communicate()
    lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    return LoadRun(returncode, stdout, stderr, [json.loads(line) for line in lines])


def load_in_child(items: list[dict[str, Any]], tmp_path: Path, timeout: float = 60.0) -> LoadRun:
    """Load `items` one after another in one fresh child process running pedalboard."""
    results = tmp_path / f"results-{uuid.uuid4().hex}.jsonl"
    return _finish(_start_loader(items, results), results, timeout)


def load_each_in_parallel(bundles: Mapping[str, dict[str, Any]], tmp_path: Path, timeout: float) -> dict[str, LoadRun]:
    """One child per item, all at once, with one shared deadline (hangs cost the deadline once, not each)."""
    started = {}
    for key, item in bundles.items():
        results = tmp_path / f"results-{uuid.uuid4().hex}.jsonl"
        started[key] = (_start_loader([item], results), results)
    deadline = time.monotonic() + timeout
    return {key: _finish(process, results, deadline - time.monotonic()) for key, (process, results) in started.items()}


def _by_name(run: LoadRun) -> dict[str, dict[str, Any]]:
    return {
        Path(record["path"]).stem + (f"/{record['plugin_name']}" if record["plugin_name"] else ""): record
        for record in run.done
    }


# ---------------------------------------------------------------- specs and bundles (no loading)


def test_specs_derive_stable_ids_and_reject_what_the_file_format_cannot_carry() -> None:
    plugin = PluginSpec(name="Stable EQ", vendor="Acme")
    assert (
        plugin.class_id == derive_class_id("Acme", "Stable EQ") == PluginSpec(name="Stable EQ", vendor="Acme").class_id
    )
    assert len(plugin.class_id) == 32 and plugin.class_id != PluginSpec(name="Stable EQ", vendor="Other").class_id
    assert PluginSpec(name="X", class_id="0123456789abcdef0123456789ABCDEF").class_id == "0123456789ABCDEF" * 2
    assert ParamSpec("Mode", texts=("A", "B", "C")).steps == 2
    assert PluginSpec(name="Keys", instrument=True).subcategories == "Instrument|Synth"
    with pytest.raises(ValueError, match="one line"):
        PluginSpec(name="Two\nLines")
    with pytest.raises(ValueError, match="steps"):
        ParamSpec("Mode", texts=("A", "B"), steps=5)
    with pytest.raises(ValueError, match="32 hex"):
        PluginSpec(name="X", class_id="nope")
    with pytest.raises(ValueError, match="VST3 limit"):
        PluginSpec(name="N" * 64)
    with pytest.raises(ValueError, match="at least one parameter"):
        PluginSpec(name="X", misbehaviour=Misbehaviour(crash="abort", crash_stage="params"))


def test_library_is_built_once_and_reused(tmp_path: Path, vst3_library: Path) -> None:
    fresh = build_library(tmp_path / "cache")  # a real compile with -Wall -Wextra -Werror
    assert fresh.is_file() and fresh.stat().st_size > 4096
    assert fresh.read_bytes()[:4] == b"\x7fELF"
    mtime = fresh.stat().st_mtime_ns
    assert build_library(tmp_path / "cache") == fresh and fresh.stat().st_mtime_ns == mtime
    assert fresh.name == vst3_library.name  # same source, flags and compiler: same cache key


def test_bundle_layout_names_the_library_after_the_bundle(make_vst3: MakeVst3, vst3_library: Path) -> None:
    bundle = make_vst3(PluginSpec(name="Layout Check", vendor="Acme"))
    library = bundle / "Contents" / f"{platform.machine()}-linux" / "Layout Check.so"
    assert binary_path(bundle) == library and library.is_file()
    assert library.read_bytes() == vst3_library.read_bytes()
    assert library.stat().st_ino != vst3_library.stat().st_ino  # a copy: see test_hard_linked_bundles_alias
    config = (resources_path(bundle) / CONFIG_NAME).read_text(encoding="utf-8")
    assert "[class]\n" in config and "name=Layout Check\n" in config and "vendor=Acme\n" in config
    linked = make_vst3(PluginSpec(name="Linked"), link="hardlink")
    assert binary_path(linked).stat().st_ino == vst3_library.stat().st_ino


def test_moduleinfo_is_json5_with_comments_and_trailing_commas(make_vst3: MakeVst3) -> None:
    spec = BundleSpec(
        name="Info Shell",
        plugins=(PluginSpec(name="Info A", subcategories="Fx|EQ"), PluginSpec(name="Info B", instrument=True)),
        moduleinfo=True,
    )
    text = (resources_path(make_vst3(spec)) / "moduleinfo.json").read_text(encoding="utf-8")
    assert text.startswith("//") and ",\n}" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    parsed = json5.loads(text)
    assert parsed == moduleinfo_data(spec)
    assert [c["CID"] for c in parsed["Classes"]] == [p.class_id for p in spec.plugins]
    assert parsed["Classes"][1]["Sub Categories"] == ["Instrument", "Synth"]
    assert not (resources_path(make_vst3(PluginSpec(name="No Info"))) / "moduleinfo.json").exists()


# ---------------------------------------------------------------- loading in pedalboard


EQ = PluginSpec(
    name="Test Channel EQ",
    vendor="Acme Audio Labs",
    version="2.1.0",
    subcategories="Fx|EQ|Stereo",
    latency=64,
    params=(
        ParamSpec("Gain", units="dB", default=0.5, min=-24.0, max=24.0),
        ParamSpec("Frequency", units="Hz", default=0.25, min=20.0, max=20000.0, decimals=1),
        ParamSpec("Mode", texts=("Clean", "Warm", "Hot"), default=0.5),
        ParamSpec("Voices", min=1, max=16, steps=15, default=0.2),
        ParamSpec("Bypass Filter", texts=("Off", "On")),
    ),
)
SYNTH = PluginSpec(
    name="Test Poly Synth",
    vendor="Kestrel Labs",
    instrument=True,
    subcategories="Instrument|Synth",
    params=(ParamSpec("Cutoff", units="Hz", min=20.0, max=20000.0, default=1.0),),
)
UNICODE = PluginSpec(name="Élan Chorus ☂", vendor="Søren Åudio", subcategories="Fx|Modulation")
MONO = PluginSpec(name="Test Mono Gate", subcategories="Fx|Dynamics|Mono", audio_in=1, audio_out=1)


def test_plugins_report_their_configured_metadata(make_vst3: MakeVst3, tmp_path: Path) -> None:
    specs = (EQ, SYNTH, UNICODE, MONO)
    bundles = [make_vst3(spec) for spec in specs]
    run = load_in_child([_item(b, keep=True, deep=(b.stem == EQ.name)) for b in bundles], tmp_path)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    records = _by_name(run)
    for spec in specs:
        got = records[spec.name]
        assert "error" not in got, got
        assert (got["name"], got["vendor"], got["category"], got["version"]) == (
            spec.name,
            spec.vendor,
            spec.subcategories,
            spec.version,
        )
        assert (got["is_instrument"], got["is_effect"]) == (spec.instrument, not spec.instrument)
        assert got["latency"] == spec.latency
        assert [p["name"] for p in got["params"]] == [p.name for p in spec.params]
        for want, param in zip(spec.params, got["params"], strict=True):
            assert param["label"] == want.units
            assert param["num_steps"] == (want.steps + 1 if want.steps else CONTINUOUS_STEPS)
            assert param["default"] == pytest.approx(want.default, abs=1e-6)
            assert param["text"] == want.display(want.default)  # value-to-string at the default
    public = records[EQ.name]["public"]
    assert public["Mode"]["type"] == "str" and public["Mode"]["values"] == ["Clean", "Warm", "Hot"]
    assert public["Bypass Filter"]["type"] == "bool"  # pedalboard turns an Off/On choice into a bool
    assert (public["Gain"]["units"], public["Gain"]["min"], public["Gain"]["max"]) == ("dB", -24.0, 24.0)
    assert (public["Voices"]["min"], public["Voices"]["max"]) == (1.0, 16.0)


def test_shell_bundle_lists_and_loads_each_plugin(make_vst3: MakeVst3, tmp_path: Path) -> None:
    spec = BundleSpec(name="Test Shell", plugins=(EQ, SYNTH, attrs.evolve(MONO, vendor="Other Vendor")))
    bundle = make_vst3(spec)
    names = subprocess.run([sys.executable, "-c", NAMES_LOADER, str(bundle)], capture_output=True, timeout=30)
    assert names.returncode == 0 and json.loads(names.stdout) == [p.name for p in spec.plugins]
    items = [_item(bundle, plugin_name=p.name) for p in spec.plugins] + [_item(bundle)]
    run = load_in_child(items, tmp_path)
    loaded = run.done[:3]
    # pedalboard reports the factory's vendor for every class; the per-class vendor is ignored
    assert [(r["name"], r["vendor"], r["category"]) for r in loaded] == [
        (p.name, spec.vendor, p.subcategories) for p in spec.plugins
    ]
    assert [len(r["params"]) for r in loaded] == [len(p.params) for p in spec.plugins]
    unnamed = run.done[3]
    assert unnamed["error"] == "ValueError" and "contains 3 plugins" in unnamed["message"]


def test_hard_linked_bundles_alias_while_one_is_loaded(make_vst3: MakeVst3, tmp_path: Path) -> None:
    """glibc's dlopen sees one inode as one library: why bundles copy the .so by default."""
    linked = [make_vst3(PluginSpec(name=n), root=tmp_path / "linked", link="hardlink") for n in ("Alpha", "Beta")]
    copied = [make_vst3(PluginSpec(name=n), root=tmp_path / "copied") for n in ("Alpha", "Beta")]
    run = load_in_child([_item(b, keep=True) for b in linked + copied], tmp_path)
    assert [r["name"] for r in run.done] == ["Alpha", "Alpha", "Alpha", "Beta"]


def test_instrument_warm_up_waits_only_for_a_silent_instrument(make_vst3: MakeVst3, tmp_path: Path) -> None:
    sounding = make_vst3(PluginSpec(name="Sounding Synth", instrument=True))
    silent = make_vst3(PluginSpec(name="Silent Synth", instrument=True, silent=True))
    run = load_in_child([_item(sounding, timeout=1.0), _item(silent, timeout=1.0), _item(silent, timeout=0)], tmp_path)
    seconds = [r["seconds"] for r in run.done]
    assert seconds[0] < 0.5  # the synth answers pedalboard's test note at once
    assert seconds[1] >= 0.95  # silence: pedalboard waits the whole initialization_timeout (its own clock)
    assert seconds[2] < 0.5  # initialization_timeout=0 skips the warm-up


# ---------------------------------------------------------------- misbehaviour


@pytest.mark.parametrize(
    ("misbehaviour", "returncode"),
    [
        (Misbehaviour(crash="segv", crash_stage="dlopen"), -signal.SIGSEGV),
        (Misbehaviour(crash="segv", crash_stage="load"), -signal.SIGSEGV),
        (Misbehaviour(crash="abort", crash_stage="factory"), -signal.SIGABRT),
        (Misbehaviour(crash="segv", crash_stage="params"), -signal.SIGSEGV),
        (Misbehaviour(crash="abort", crash_stage="process"), -signal.SIGABRT),
        (Misbehaviour(crash="exit", crash_stage="load", exit_code=7), 7),
        (Misbehaviour(crash="exit", crash_stage="params", exit_code=42), 42),
    ],
    ids=lambda value: f"{value.crash}-{value.crash_stage}" if isinstance(value, Misbehaviour) else str(value),
)
def test_crashing_plugins_kill_the_loading_process(
    make_vst3: MakeVst3, tmp_path: Path, misbehaviour: Misbehaviour, returncode: int
) -> None:
    bundle = make_vst3(PluginSpec(name="Crasher", params=PARAMS, misbehaviour=misbehaviour))
    run = load_in_child([_item(bundle)], tmp_path, timeout=30)
    assert run.started == [str(bundle)] and run.done == []
    assert run.returncode == returncode


@pytest.mark.parametrize(("stage", "listed"), [("factory", False), ("params", True)])
def test_listing_a_shell_instantiates_every_class(make_vst3: MakeVst3, stage: Stage, listed: bool) -> None:
    """get_plugin_names_for_file creates each class (a factory crash kills it) but asks no parameters."""
    crasher = PluginSpec(name="Dies", params=PARAMS, misbehaviour=Misbehaviour(crash="segv", crash_stage=stage))
    bundle = make_vst3(BundleSpec(name="Shell", plugins=(crasher, PluginSpec(name="Sibling"))))
    names = subprocess.run([sys.executable, "-c", NAMES_LOADER, str(bundle)], capture_output=True, timeout=30)
    if listed:
        assert names.returncode == 0 and json.loads(names.stdout) == ["Dies", "Sibling"]
    else:
        assert names.returncode == -signal.SIGSEGV


def test_hanging_plugins_never_return_even_with_an_in_process_alarm(make_vst3: MakeVst3, tmp_path: Path) -> None:
    items: dict[str, dict[str, Any]] = {
        stage: _item(
            make_vst3(PluginSpec(name=f"Hang {stage}", params=PARAMS, misbehaviour=Misbehaviour(hang_stage=stage))),
            alarm=1,
        )
        for stage in STAGES
    }
    runs = load_each_in_parallel(items, tmp_path, timeout=HANG_SECONDS)
    for stage, run in runs.items():
        assert run.started == [items[stage]["path"]], stage
        assert run.returncode is None, f"{stage}: exited with {run.returncode}: {run.stderr[-500:]!r}"
        assert run.done == [], stage  # SIGALRM fired after 1 s, but Python never got control back


def test_slow_plugin_sleeps_while_loading(make_vst3: MakeVst3, tmp_path: Path) -> None:
    slow = make_vst3(PluginSpec(name="Sleepy", misbehaviour=Misbehaviour(sleep_ms=400)))
    quick = make_vst3(PluginSpec(name="Quick"))
    run = load_in_child([_item(slow), _item(quick)], tmp_path)
    assert [r["name"] for r in run.done] == ["Sleepy", "Quick"]
    assert run.done[0]["seconds"] >= 0.4 > run.done[1]["seconds"]


def test_leaky_plugin_keeps_its_memory(make_vst3: MakeVst3, tmp_path: Path) -> None:
    leaky = make_vst3(PluginSpec(name="Leaky", misbehaviour=Misbehaviour(alloc_mb=96)))
    tidy = make_vst3(PluginSpec(name="Tidy"))
    run = load_in_child([_item(tidy), _item(leaky)], tmp_path)
    growth = {r["name"]: r["rss_growth_kib"] for r in run.done}
    assert growth["Leaky"] >= 96 * 1024 and growth["Tidy"] < 32 * 1024


def test_noisy_plugin_floods_stdout_and_stderr(make_vst3: MakeVst3, tmp_path: Path) -> None:
    noisy = make_vst3(PluginSpec(name="Noisy", misbehaviour=Misbehaviour(stdout_bytes=50_000, stderr_bytes=70_000)))
    run = load_in_child([_item(noisy)], tmp_path)
    assert run.returncode == 0 and run.done[0]["name"] == "Noisy"
    assert len(run.stdout) >= 50_000 and len(run.stderr) >= 70_000
    with pytest.raises(UnicodeDecodeError):
        run.stdout.decode("utf-8")  # garbage, not text


def test_broken_bundles_fail_fast_with_import_error(make_vst3: MakeVst3, vst3_library: Path, tmp_path: Path) -> None:
    root = tmp_path / "broken"
    arch = binary_path(root / "x.vst3").parent.name
    (root / "Empty.vst3").mkdir(parents=True)
    for name, content in (("Zero", b""), ("Garbage", os.urandom(20_000))):
        (root / f"{name}.vst3" / "Contents" / arch).mkdir(parents=True)
        binary_path(root / f"{name}.vst3").write_bytes(content)
    wrong = make_vst3(PluginSpec(name="Wrong Name"), root=root)
    binary_path(wrong).rename(binary_path(wrong).with_name("Other.so"))
    no_factory = make_vst3(PluginSpec(name="No Factory"), root=root)  # no resource file: GetPluginFactory gives NULL
    (resources_path(no_factory) / CONFIG_NAME).unlink()
    run = load_in_child([_item(b) for b in sorted(root.iterdir())], tmp_path)
    assert len(run.done) == 5
    for record in run.done:
        assert record["error"] == "ImportError", record
        assert "unsupported plugin format or scan failure" in record["message"]
        assert record["seconds"] < 0.05, record


# ---------------------------------------------------------------- the generator


def _generate(directory: Path, library: Path, seed: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "tests.plugins",
        "make",
        str(directory),
        "--count",
        "24",
        "--seed",
        str(seed),
        "--crash-fraction",
        "0.125",
        "--hang-fraction",
        "0.125",
        "--shell-fraction",
        "0.25",
        "--moduleinfo-fraction",
        "0.5",
        "--max-params",
        "30",  # each continuous parameter costs pedalboard ~1000 value-to-text calls per load
        "--library",
        str(library),
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "made 24 bundles" in result.stdout
    return json.loads((directory / EXPECTED_NAME).read_text(encoding="utf-8"))


def _configs(directory: Path) -> dict[str, str]:
    return {b.name: (resources_path(b) / CONFIG_NAME).read_text() for b in sorted(directory.glob("*.vst3"))}


def test_generator_is_deterministic_and_honours_fractions(vst3_library: Path, tmp_path: Path) -> None:
    first = _generate(tmp_path / "a", vst3_library, seed=5)
    again = _generate(tmp_path / "b", vst3_library, seed=5)
    other = _generate(tmp_path / "c", vst3_library, seed=6)
    assert first["count"] == 24 == len(list((tmp_path / "a").glob("*.vst3")))
    assert first["bundles"] == again["bundles"] and _configs(tmp_path / "a") == _configs(tmp_path / "b")
    assert first["bundles"] != other["bundles"]
    assert first["summary"] | {"plugins": 0} == {
        "bundles": 24,
        "plugins": 0,
        "shells": 6,
        "with_moduleinfo": 12,
        "crash": 3,
        "hang": 3,
        "slow": 0,
        "leak": 0,
        "noisy": 0,
    }
    plugins = [p for entry in first["bundles"] for p in entry["plugins"]]
    assert first["summary"]["plugins"] == len(plugins) >= 24 + 6
    assert len({p["name"] for p in plugins}) == len(plugins)
    assert all(5 <= p["params"] <= 30 for p in plugins)
    for entry in first["bundles"]:
        bundle = tmp_path / "a" / entry["path"]
        assert binary_path(bundle).is_file()
        assert (resources_path(bundle) / "moduleinfo.json").exists() == entry["moduleinfo"]


def test_generated_plugins_load_or_misbehave_as_expected(vst3_library: Path, tmp_path: Path) -> None:
    root = tmp_path / "generated"
    expected = _generate(root, vst3_library, seed=11)
    good, bad = [], {}
    for entry in expected["bundles"]:
        for plugin in entry["plugins"]:
            item = _item(root / entry["path"], plugin_name=plugin["name"] if entry["shell"] else None)
            if plugin["load_kills"]:  # its own misbehaviour, else the one of the shell's first plugin
                own = plugin["misbehaviour"]
                dies_itself = own["crash"] is not None or own["hang_stage"] is not None
                bad[plugin["name"]] = (item, own if dies_itself else entry["plugins"][0]["misbehaviour"])
            else:
                good.append((item, plugin))
    run = load_in_child([item for item, _ in good], tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    for (_, want), got in zip(good, run.done, strict=True):
        assert "error" not in got, got
        assert (got["name"], got["vendor"], got["category"], got["is_instrument"]) == (
            want["name"],
            want["vendor"],
            want["subcategories"],
            want["instrument"],
        )
        assert [p["name"] for p in got["params"]] == want["param_names"]
    runs = load_each_in_parallel({name: item for name, (item, _) in bad.items()}, tmp_path, timeout=HANG_SECONDS)
    assert len(runs) >= 6  # 3 crash + 3 hang bundles (a shell sibling of one that dies at load dies too)
    for name, run in runs.items():
        misbehaviour = bad[name][1]
        assert run.done == [], name
        if misbehaviour["hang_stage"]:
            assert run.returncode is None, name  # still hanging at the deadline
        elif misbehaviour["crash"] == "exit":
            assert run.returncode == misbehaviour["exit_code"], name
        else:
            assert run.returncode == -{"segv": signal.SIGSEGV, "abort": signal.SIGABRT}[misbehaviour["crash"]], name


def test_generator_makes_a_thousand_bundles_quickly(vst3_library: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    expected = make_plugins(tmp_path / "many", vst3_library, GeneratorOptions(count=1000, seed=3, shell_fraction=0.1))
    elapsed = time.perf_counter() - started
    assert expected["count"] == 1000 == len(list((tmp_path / "many").glob("*.vst3")))
    assert elapsed < 5.0, f"1,000 bundles took {elapsed:.1f} s; 10,000 must take well under a minute"


# ---------------------------------------------------------------- Debian's real plugins


def test_debian_zam_vst3_plugins_load_as_they_are(debian_vst3_dir: Path, tmp_path: Path) -> None:
    """Each real bundle loads (or fails honestly) in its own child, two at a time, ZAM_SECONDS each at most.

    ZamVerb resamples its impulse responses at every set-up and takes minutes in pedalboard
    0.9.26, so a bundle still loading at the deadline counts as slow; only a few may be.
    """
    bundles = sorted(debian_vst3_dir.glob("Za*.vst3"))
    assert len(bundles) >= 17, [b.name for b in bundles]  # zam-plugins 4.1 (Debian 12) ships 17
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda b: load_in_child([_item(b)], tmp_path, timeout=ZAM_SECONDS), bundles))
    slow = [b.name for b, run in zip(bundles, runs, strict=True) if run.returncode is None]
    assert len(slow) <= 2, slow
    for bundle, run in zip(bundles, runs, strict=True):
        if run.returncode is None:
            continue
        assert run.returncode == 0 and len(run.done) == 1, (bundle, run.stderr[-2000:])
        record = run.done[0]
        if "error" in record:
            assert record["error"] == "ValueError", record
            assert any(known in record["message"] for known in KNOWN_LOAD_ERRORS), record
            continue
        assert record["name"] == bundle.stem
        assert record["vendor"] == "Damien Zammit"
        assert record["category"].startswith("Fx|") and record["is_effect"]
        assert record["params"], record["name"]
    assert any(run.stderr for run in runs), "real DPF plugins write to stderr, so scanners must not trust stdio"


def test_debian_lv2_bundles_are_present(debian_lv2_dir: Path) -> None:
    for pattern in ("lsp-plugins*.lv2", "eg-*.lv2", "Za*.lv2"):
        bundles = list(debian_lv2_dir.glob(pattern))
        assert bundles, pattern
        assert all((bundle / "manifest.ttl").is_file() for bundle in bundles), pattern
