"""`pluginary scan` end to end, as a user runs it: real CLI processes, real worker pool,
real test plugins that crash and hang, a real LV2 bundle, a real SQLite catalogue."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pluginary
from pluginary.catalog import Catalog
from tests.plugins import BundleSpec, Misbehaviour, ParamSpec, PluginSpec
from tests.support import need

# Slow (real scans through the CLI, kill -9 and Ctrl-C): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

EG_AMP = Path("/usr/lib/lv2/eg-amp.lv2")


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pluginary.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def scan(folder: Path, catalog: Path, *extra: str) -> dict[str, Any]:
    done = cli("scan", str(folder), "--catalog", str(catalog), "--json", "--set", "scan.timeout=2", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def plugin_folder(tmp_path: Path, make_vst3: Any) -> Path:
    need(EG_AMP.is_dir(), "needs Debian's lv2-examples (apt-get install lv2-examples)")
    root = tmp_path / "plugins"
    root.mkdir()
    gain = ParamSpec(name="Gain", units="dB", default=0.5, min=-24, max=24)
    mode = ParamSpec(name="Mode", texts=("Clean", "Warm", "Hot"))
    make_vst3(PluginSpec(name="Good Comp", vendor="Acme", subcategories="Fx|Dynamics", params=(gain, mode)), root=root)
    make_vst3(PluginSpec(name="Good Synth", vendor="Acme", instrument=True), root=root / "Acme")
    make_vst3(
        BundleSpec(
            name="Shell",
            plugins=(PluginSpec(name="Shell One", vendor="Multi"), PluginSpec(name="Shell Two", vendor="Multi")),
        ),
        root=root,
    )
    make_vst3(PluginSpec(name="Noisy", misbehaviour=Misbehaviour(stdout_bytes=4096, stderr_bytes=4096)), root=root)
    make_vst3(PluginSpec(name="Crasher", misbehaviour=Misbehaviour(crash="segv")), root=root)
    make_vst3(PluginSpec(name="Hanger", misbehaviour=Misbehaviour(hang_stage="load")), root=root)
    shutil.copytree(EG_AMP, root / "eg-amp.lv2")
    return root


def test_scan_rescan_change_remove_and_quarantine(plugin_folder: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    first = scan(plugin_folder, catalog)
    assert (first["found"], first["new"], first["scanned"], first["failed"]) == (7, 7, 5, 2)
    assert first["plugins"] == 6 == first["stored"]  # the shell bundle holds two
    kinds = {Path(f["path"]).name: f["kind"] for f in first["failures"]}
    assert kinds == {"Crasher.vst3": "crash", "Hanger.vst3": "timeout"}

    with Catalog.open(catalog, read_only=True) as cat:
        names = sorted(p.name for p in cat.plugins())
        assert names == ["Good Comp", "Good Synth", "Noisy", "Shell One", "Shell Two", "Simple Amplifier"]
        comp = cat.find("Good Comp")[0]
        assert comp.vendor == "Acme" and [p.name for p in comp.parameters] == ["Gain", "Mode"]
        # Provenance, stamped by the scan stage: when, by which version, on which machine.
        assert comp.scanner_version == pluginary.__version__ and comp.scanned_at.endswith("+00:00")
        assert comp.host.name == platform.node() and comp.host.os
        assert comp.parameters[1].choices == ("Clean", "Warm", "Hot")
        assert any(c.name.startswith("Effect/Dynamics") for c in comp.categories)
        failures = {Path(f.path).name: f for f in cat.failures()}
        assert failures["Crasher.vst3"].signal == signal.SIGSEGV
        assert failures["Hanger.vst3"].kind == "timeout"
        assert {f.attempts for f in failures.values()} == {2}  # the first try and one retry in a fresh worker

    again = scan(plugin_folder, catalog)
    assert (again["unchanged"], again["quarantined"], again["scanned"], again["failed"]) == (5, 2, 0, 0)

    binary = next((plugin_folder / "Good Comp.vst3").rglob("*.so"))
    os.utime(binary, ns=(time.time_ns(), time.time_ns()))
    shutil.rmtree(plugin_folder / "Noisy.vst3")
    changed = scan(plugin_folder, catalog)
    assert (changed["changed"], changed["removed"], changed["scanned"]) == (1, 1, 1)
    with Catalog.open(catalog, read_only=True) as cat:
        assert not cat.find("Noisy") or all(p.name != "Noisy" for p in cat.plugins())

    retried = scan(plugin_folder, catalog, "--retry-failed")
    assert (retried["scanned"], retried["failed"]) == (0, 2)
    with Catalog.open(catalog, read_only=True) as cat:
        assert {f.attempts for f in cat.failures()} == {4}  # two more attempts, added to the stored ones

    strict = cli(
        "scan", str(plugin_folder), "--catalog", str(catalog), "--strict", "--retry-failed", "--set", "scan.timeout=2"
    )
    assert strict.returncode == 3, strict.stderr


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        current = stack.pop()
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                kids = {int(k) for k in children.read_text().split()}
            except OSError:
                continue
            stack.extend(kids - found)
            found |= kids
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _stored(catalog: Path) -> int:
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as db:
            return int(db.execute("select count(*) from plugins").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.fixture
def slow_folder(tmp_path: Path, make_vst3: Any) -> Path:
    root = tmp_path / "slow"
    root.mkdir()
    for index in range(8):
        make_vst3(PluginSpec(name=f"Slow {index}", misbehaviour=Misbehaviour(sleep_ms=700)), root=root)
    return root


def _default_sigint() -> None:
    # Run from a background job, pytest (and so the scan) inherits SIGINT ignored, as a shell sets it for
    # background jobs; the scan under test must get Ctrl-C as a terminal's foreground job does.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_scan(folder: Path, catalog: Path) -> tuple[subprocess.Popen[str], set[int]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pluginary.cli.app",
            "scan",
            str(folder),
            "--catalog",
            str(catalog),
            "--json",
            "--set",
            "scan.workers=1",
            "--set",
            "scan.batch_size=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while _stored(catalog) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the scan stored nothing in 60 s"
        workers |= _descendants(process.pid)
        time.sleep(0.05)
    return process, workers | _descendants(process.pid)


@pytest.fixture
def reaped() -> Iterator[set[int]]:
    """Pids the test started indirectly; any still alive at the end is killed, so a failing test
    leaves no orphan running behind it."""
    pids: set[int] = set()
    yield pids
    for pid in _alive(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_kill_9_mid_scan_resumes_without_rescanning(slow_folder: Path, tmp_path: Path, reaped: set[int]) -> None:
    catalog = tmp_path / "catalog.sqlite"
    process, workers = _start_scan(slow_folder, catalog)
    reaped |= workers
    process.kill()  # SIGKILL: no cleanup of any kind in the parent
    process.communicate()
    stored_before = _stored(catalog)
    assert 2 <= stored_before < 8
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(workers), "workers outlived a killed parent"

    resumed = scan(slow_folder, catalog, "--set", "scan.workers=1")
    assert resumed["unchanged"] == stored_before
    assert resumed["scanned"] == 8 - stored_before
    assert any("stopped while loading" in warning for warning in resumed["warnings"])
    assert _stored(catalog) == 8


def test_ctrl_c_stores_what_finished_and_leaves_no_process(slow_folder: Path, tmp_path: Path, reaped: set[int]) -> None:
    catalog = tmp_path / "catalog.sqlite"
    process, workers = _start_scan(slow_folder, catalog)
    reaped |= workers
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "run the same command again to resume" in err
    assert "Traceback" not in err
    assert _stored(catalog) >= 2
    time.sleep(0.2)
    assert not _alive(workers), "Ctrl-C left worker processes behind"
    resumed = scan(slow_folder, catalog, "--set", "scan.workers=2")
    assert resumed["scanned"] + resumed["unchanged"] == 8 and resumed["failed"] == 0


@pytest.mark.slow
def test_a_second_scan_of_the_same_catalogue_waits_then_is_refused(
    make_vst3: Any, tmp_path: Path, reaped: set[int]
) -> None:
    """While one scan writes a catalogue, a second waits a few seconds, then is refused naming the first:
    it would load every plugin (crashing ones too) a second time."""
    folder = tmp_path / "slower"
    for index in range(6):  # busy loads (a sleeping one would wait beside the pool, and the scan end sooner)
        make_vst3(PluginSpec(name=f"Slower {index}", misbehaviour=Misbehaviour(busy_ms=2500)), root=folder)
    catalog = tmp_path / "catalog.sqlite"
    first, workers = _start_scan(folder, catalog)
    reaped |= workers
    try:
        second = cli("scan", str(folder), "--catalog", str(catalog), "--json")
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert second.returncode != 0
    [line] = second.stderr.strip().splitlines()
    assert "another scan is writing this catalogue" in line and f"pid {first.pid}" in line, line


def test_a_plugin_installed_twice_is_kept_once_and_the_run_says_so(make_vst3: Any, tmp_path: Path) -> None:
    spec = PluginSpec(name="Twice", vendor="Acme", class_id="0123456789ABCDEF0123456789ABCDEF")
    system, user = tmp_path / "system", tmp_path / "user"
    make_vst3(spec, root=system)
    make_vst3(spec, root=user)
    catalog = tmp_path / "catalog.sqlite"
    done = cli("scan", str(system), str(user), "--catalog", str(catalog), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["plugins"] == 2 and summary["stored"] == 2
    [warning] = [w for w in summary["warnings"] if "installed twice" in w]
    assert "vst3:0123456789ABCDEF0123456789ABCDEF" in warning
    with Catalog.open(catalog, read_only=True) as cat:
        assert [p.name for p in cat.plugins()] == ["Twice"]
