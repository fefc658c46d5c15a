"""The isolated scan engine with real worker processes and real misbehaving plugins.

Crashes, hangs, noise and leaks come from the compiled VST3 test plugin
(`tests.plugins`); a few crafted formats below (loaded by the workers through
`module:attr`) make failures the test plugin cannot: a crash only on the first
try, a worker that reports its pid. Whole-scanner kills (Ctrl-C, kill -9) run
the scanner in a child process.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import cast

import msgspec
import pytest

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import FailureKind, FileResult, Host, Parameter, Plugin, PluginFile
from pluginary.scanning.journal import Journal
from pluginary.scanning.pool import MAX_QUEUE, PIPELINE_BELOW, ScanJob, WorkerPool
from pluginary.scanning.protocol import (
    HEADER,
    Failed,
    FrameReader,
    JobReader,
    ProtocolError,
    Result,
    Scan,
    encode,
    write_message,
)
from tests.plugins import Misbehaviour, PluginSpec
from tests.plugins.fixtures import MakeVst3
from tests.support import busy_cores

REPO = Path(__file__).resolve().parents[1]
DEADLINE = 2.0
LEAK_MB = 128
_LEAKED: list[bytes] = []  # what LeakFormat keeps, inside a worker


def job(bundle: Path, *, fmt: str = "vst3", timeout: float = DEADLINE) -> ScanJob:
    file = PluginFile(path=str(bundle), format=fmt, size=0, mtime_ns=0, fingerprint=f"fp:{bundle.name}")
    return ScanJob(file=file, format=fmt, settings=ScanSettings(), timeout=timeout)


def by_stem(results: Iterable[FileResult]) -> dict[str, FileResult]:
    return {Path(result.file.path).stem: result for result in results}


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid: int) -> list[int]:
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            children += [int(entry.name), *descendants(int(entry.name))]
    return children


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


# ---------------------------------------------------------------- crafted formats (run inside workers)


class _Crafted:
    bundle_suffixes = (".crafted",)

    def default_roots(self) -> list[Path]:
        return []

    def signature_files(self, bundle: Path) -> list[Path]:
        return [bundle]

    @staticmethod
    def plugin(bundle: Path) -> Plugin:
        return Plugin(
            id=f"crafted:{bundle}", format="crafted", name=bundle.stem, path=str(bundle), version=str(os.getpid())
        )


class CrashOnceFormat(_Crafted):
    """Segfaults the worker the first time it sees a bundle (leaves a marker), `wait` seconds in; works after."""

    name = "crash-once"
    wait = 0.0

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        marker = bundle / "crashed-once"
        if not marker.exists():
            marker.touch()
            time.sleep(self.wait)
            os.kill(os.getpid(), signal.SIGSEGV)
        return [self.plugin(bundle)]


class PidFormat(_Crafted):
    """Reports which worker process scanned the bundle (in `version`)."""

    name = "pid"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        return [self.plugin(bundle)]


class NotUnicodeFormat(_Crafted):
    """Says things that are not valid Unicode: in an error message ("error…" bundles) or a plugin name."""

    name = "not-unicode"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        if bundle.name.startswith("error"):
            raise OSError("cannot read caf\udce9")
        return [Plugin(id=f"crafted:{bundle}", format="crafted", name="caf\udce9", path=str(bundle))]


class WarningFormat(_Crafted):
    """Warns about its bundle ("many…" bundles: a hundred times), then reads it or fails ("error…" bundles)."""

    name = "warning"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        warner = logging.getLogger("tests.warning_format")
        for index in range(100 if bundle.name.startswith("many") else 1):
            warner.warning("%s: data file %d is missing", bundle.name, index)
        warner.info("not a warning: never shown")
        if bundle.name.startswith("error"):
            raise OSError("cannot read it")
        return [self.plugin(bundle)]


class SlowFormat(_Crafted):
    """Takes a little longer than PIPELINE_BELOW to read a bundle, asleep: a slow load, never queued behind."""

    name = "slow"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        time.sleep(PIPELINE_BELOW + 0.02)
        return [self.plugin(bundle)]


class LeakFormat(_Crafted):
    """Keeps LEAK_MB of memory for good when it reads a "leak…" bundle; reads the others at once."""

    name = "leak"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        if bundle.name.startswith("leak"):
            _LEAKED.append(b"x" * (LEAK_MB << 20))  # written, so resident
        return [self.plugin(bundle)]


class WaitThenCrashOnceFormat(CrashOnceFormat):
    """The first time, waits (no CPU) long past the pool's look at the load before it segfaults."""

    name = "wait-then-crash-once"
    wait = 2.5


class WorkThenWaitFormat(_Crafted):
    """Works 0.3 s of CPU time, then waits without end (a licence check on the network, say)."""

    name = "work-then-wait"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        time.sleep(600)
        return []


class CrashLeavingAChildFormat(_Crafted):
    """Starts a helper process (as some plugins do), which inherits the worker's socket and outlives it, then
    segfaults. The helper's pid is left in the bundle, for the test to end it."""

    name = "crash-leaving-a-child"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        if helper := os.fork():
            (bundle / "helper.pid").write_text(str(helper))
            os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(60)
        os._exit(0)


def crafted_bundles(root: Path, count: int) -> list[Path]:
    bundles = []
    for index in range(count):
        bundle = root / f"b{index}.crafted"
        bundle.mkdir(parents=True)
        bundles.append(bundle)
    return bundles


# ---------------------------------------------------------------- protocol and journal


def test_frames_reassemble_from_any_split() -> None:
    messages = [Failed(i, "ValueError", "é\\udc80 ✓" * i, 0.5, 12.0, 0.1) for i in range(5)]
    endless = Parameter(0, "Gain", default=float("inf"))
    messages.append(Result(5, [Plugin("vst3:X", "vst3", "X", "/x.vst3", parameters=(endless,))], 0.1, 20, 0.3))
    stream = b"".join(encode(message) for message in messages)
    reader = FrameReader()
    received = [message for byte in range(len(stream)) for message in reader.feed(stream[byte : byte + 1])]
    assert received == messages
    assert reader.pending == 0


def test_blocking_reads_and_writes_over_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    queued = [Scan(1, "vst3", "/a.vst3", ScanSettings(deep=True)), Scan(2, "lv2", "/b.lv2", ScanSettings())]
    for job in queued:  # both arrive before the first is read: one read takes both
        write_message(write_fd, job)
    os.write(write_fd, encode(Scan(3, "vst3", "/c.vst3", ScanSettings()))[:-2])
    os.close(write_fd)
    jobs = JobReader(read_fd)
    assert [jobs.next(), jobs.next()] == queued
    with pytest.raises(ProtocolError, match="stream ended inside"):
        jobs.next()
    os.close(read_fd)


def test_a_corrupt_frame_is_rejected() -> None:
    with pytest.raises(ProtocolError, match="more than"):
        FrameReader().feed(HEADER.pack(2**31) + b"{}")
    with pytest.raises(ProtocolError, match="not a valid message"):
        FrameReader().feed(HEADER.pack(3) + b"abc")
    # Well-formed MessagePack, but not what a worker may say: a job, or a plugin without its name.
    with pytest.raises(ProtocolError, match="not a valid message"):
        FrameReader().feed(encode(Scan(1, "vst3", "/a.vst3", ScanSettings())))
    broken = msgspec.msgpack.encode(
        {
            "type": "result",
            "id": 1,
            "seconds": 0.1,
            "rss_mb": 1.0,
            "cpu": 0.1,
            "plugins": [{"id": "x", "format": "vst3", "path": "/x"}],
        }
    )
    with pytest.raises(ProtocolError, match="name"):
        FrameReader().feed(HEADER.pack(len(broken)) + broken)


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_text_that_is_not_unicode_is_reported_and_the_worker_goes_on(tmp_path: Path) -> None:
    error, named, fine = (tmp_path / name for name in ("error.crafted", "named.crafted", "fine.crafted"))
    for bundle in (error, named, fine):
        bundle.mkdir()
    odd = "tests.test_pool:NotUnicodeFormat"
    with WorkerPool(1) as pool:
        jobs = [job(error, fmt=odd), job(named, fmt=odd), job(fine, fmt="tests.test_pool:PidFormat")]
        results = by_stem(pool.run(jobs))
        # One worker did it all (on a loaded machine, a slow first import may be moved beside once: not a crash).
        assert (pool.stats.crashes, pool.stats.workers_started - pool.stats.moved_beside) == (0, 1)
    assert results["error"].failure and results["error"].failure.message == "OSError: cannot read caf\\udce9"
    assert results["named"].failure and results["named"].failure.message.startswith("UnicodeEncodeError: ")
    assert results["fine"].plugins


def test_journal_tracks_what_is_in_flight(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "deep" / "scan.journal")
    assert journal.in_flight() == []
    journal.start("/a.vst3", "w1")
    journal.start("/b.vst3", "w2")
    journal.done("/a.vst3")
    journal.start("/c.vst3", "w1")
    journal.cancel(["/c.vst3"])
    journal.start("/d.vst3", "w3")
    journal.start("/e\nodd.vst3", "w2")  # w2 moved on: /b finished even though its `done` is missing
    journal.close()
    with journal.path.open("a") as torn:
        torn.write('start w4 "/f.vst')  # a power loss mid-line
    assert Journal(journal.path).in_flight() == ["/d.vst3", "/e\nodd.vst3"]
    journal.clear()
    assert not journal.path.exists()
    assert journal.in_flight() == []


def test_a_journal_is_reopened_in_its_folder_and_ignores_what_it_does_not_know(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "scan.journal")  # the folder exists already: the catalogue's
    journal.start("/a.vst3", "w1")
    journal.clear()
    journal.start("/b.vst3", "w1")  # a second scan's journal, in the same existing folder
    journal.close()
    with journal.path.open("a") as newer:
        newer.write('zap w2 "/c.vst3"\n')  # a verb some other version wrote: not a start
    assert Journal(journal.path).in_flight() == ["/b.vst3"]


# ---------------------------------------------------------------- real workers, real plugins


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_good_plugins_stream_back_as_the_worker_found_them(make_vst3: MakeVst3) -> None:
    names = [f"Good {i}" for i in range(6)]
    bundles = [make_vst3(PluginSpec(name=name, vendor="Pool Tests")) for name in names]
    with WorkerPool(2) as pool:
        results = list(pool.run(job(bundle) for bundle in bundles))
        assert pool.stats.workers_started == 2
    assert sorted(r.plugins[0].name for r in results) == names
    for result in results:
        assert result.failure is None
        (plugin,) = result.plugins
        assert plugin.vendor == "Pool Tests"
        # Provenance is the scan stage's to stamp (tests/test_scan_pipeline.py), not the pool's.
        assert (plugin.scanner_version, plugin.scanned_at, plugin.host) == ("", "", Host())


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_crashes_are_recorded_with_signal_or_exit_status(make_vst3: MakeVst3) -> None:
    bundles = [
        make_vst3(PluginSpec(name="Segv", misbehaviour=Misbehaviour(crash="segv", crash_stage="factory"))),
        make_vst3(PluginSpec(name="Abort", misbehaviour=Misbehaviour(crash="abort", crash_stage="load"))),
        make_vst3(PluginSpec(name="Quit", misbehaviour=Misbehaviour(crash="exit", exit_code=7, crash_stage="dlopen"))),
        # A plugin that calls exit(0) while loading (real ones do): a crash with status 0, not "signal 0".
        make_vst3(PluginSpec(name="Done", misbehaviour=Misbehaviour(crash="exit", exit_code=0, crash_stage="load"))),
        make_vst3(PluginSpec(name="Fine")),
    ]
    with WorkerPool(2, retries=1) as pool:
        results = by_stem(pool.run(job(bundle) for bundle in bundles))
        assert pool.stats.crashes == 8  # four plugins, two attempts each
    segv, abort, quit_ = (results[name].failure for name in ("Segv", "Abort", "Quit"))
    assert segv and segv.kind is FailureKind.CRASH and segv.signal == signal.SIGSEGV and segv.attempts == 2
    assert abort and abort.kind is FailureKind.CRASH and abort.signal == signal.SIGABRT
    assert quit_ and quit_.kind is FailureKind.CRASH and quit_.exit_code == 7 and quit_.signal is None
    done = results["Done"].failure
    assert done and done.kind is FailureKind.CRASH and done.exit_code == 0 and done.signal is None
    assert segv.fingerprint == "fp:Segv.vst3" and "SIGSEGV" in segv.message
    assert results["Fine"].plugins[0].name == "Fine"


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_no_retries_means_one_attempt(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(PluginSpec(name="Segv", misbehaviour=Misbehaviour(crash="segv")))
    with WorkerPool(1, retries=0) as pool:
        (result,) = pool.run([job(bundle)])
    assert result.failure and result.failure.attempts == 1


@pytest.mark.slow
def test_a_retry_runs_in_a_fresh_worker(tmp_path: Path) -> None:
    crashing = crafted_bundles(tmp_path / "crash", 1)
    plain = crafted_bundles(tmp_path / "plain", 3)
    jobs = [job(b, fmt="tests.test_pool:PidFormat") for b in plain[:2]]
    jobs += [job(crashing[0], fmt="tests.test_pool:CrashOnceFormat"), job(plain[2], fmt="tests.test_pool:PidFormat")]
    with WorkerPool(1, retries=1) as pool:
        results = list(pool.run(jobs))
    position = next(i for i, r in enumerate(results) if r.file.path == str(crashing[0]))
    retried = results[position]
    assert retried.failure is None, retried.failure
    earlier = {r.plugins[0].version for r in results[:position]}
    assert earlier and retried.plugins[0].version not in earlier  # its worker had loaded nothing before


@pytest.mark.slow
def test_a_hang_times_out_and_the_scan_goes_on(make_vst3: MakeVst3) -> None:
    hang = make_vst3(PluginSpec(name="Hang", misbehaviour=Misbehaviour(hang_stage="load")))
    good = [make_vst3(PluginSpec(name=f"After {i}")) for i in range(3)]
    started = time.monotonic()
    with WorkerPool(2, retries=0) as pool:
        results = by_stem(pool.run([job(hang, timeout=1.0), *(job(b) for b in good)]))
        assert pool.stats.timeouts == 1
    elapsed = time.monotonic() - started
    failure = results["Hang"].failure
    assert failure and failure.kind is FailureKind.TIMEOUT and "1 s" in failure.message
    assert all(results[f"After {i}"].plugins for i in range(3))
    assert elapsed < 6.0


@pytest.mark.slow
@pytest.mark.parametrize("busy", [False, True], ids=["idle hang", "busy hang"])
def test_an_idle_hang_is_retried_beside_the_pool_a_busy_one_in_it(make_vst3: MakeVst3, busy: bool) -> None:
    """A load that waits without using the CPU moves beside the pool and so does its retry, while the scan
    goes on; a spinning one keeps its slot and is retried in one (beside the pool it would take a core)."""
    hang = make_vst3(PluginSpec(name="Hang", misbehaviour=Misbehaviour(hang_stage="load", hang_busy=busy)))
    good = [make_vst3(PluginSpec(name=f"After {i}")) for i in range(4)]
    with WorkerPool(1, retries=1) as pool:
        results = list(pool.run([job(hang, timeout=1.0), *(job(b) for b in good)]))
        stats = pool.stats
        expected = (2, 1, 0, 0) if busy else (2, 1, 1, 1)
        assert (stats.timeouts, stats.retries, stats.retries_beside, stats.moved_beside) == expected
        assert pool.worker_pids() and len(pool.worker_pids()) == 1  # the extra worker is gone
    failure = results[-1 if not busy else 0].failure
    assert failure and failure.kind is FailureKind.TIMEOUT and failure.attempts == 2
    # Beside the pool the good plugins finish while the retry waits out its deadline; in the pool,
    # the retry goes first to the only worker and they wait behind it.
    assert [Path(r.file.path).stem for r in results].index("Hang") == (0 if busy else len(good))


@pytest.mark.slow
def test_jobs_queued_behind_a_dying_plugin_are_handed_out_again(make_vst3: MakeVst3) -> None:
    """Quick loads get the next job queued behind them; a crash or hang is charged to the loading job only.
    (The hang spins: one that waits would move beside the pool, and the jobs behind it go on at once.)"""
    quick = [make_vst3(PluginSpec(name=f"Quick {i}")) for i in range(16)]
    segv = make_vst3(PluginSpec(name="Segv", misbehaviour=Misbehaviour(crash="segv")))
    hang = make_vst3(PluginSpec(name="Hang", misbehaviour=Misbehaviour(hang_stage="load", hang_busy=True)))
    order = [*quick[:6], hang, *quick[6:11], segv, *quick[11:]]  # each with quick loads queued behind
    with WorkerPool(1, retries=0) as pool:
        results = by_stem(pool.run(job(b, timeout=1.0 if b == hang else 5.0) for b in order))
        assert (pool.stats.crashes, pool.stats.timeouts) == (1, 1)
    assert len(results) == len(order)
    assert {name for name, r in results.items() if r.failure} == {"Segv", "Hang"}
    assert results["Segv"].failure.kind is FailureKind.CRASH  # type: ignore[union-attr]
    hung = results["Hang"].failure
    assert hung and hung.kind is FailureKind.TIMEOUT and "no answer within 1 s" in hung.message  # its own deadline


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_errors_are_reported_at_once_not_retried(make_vst3: MakeVst3, tmp_path: Path) -> None:
    # A component that refuses our host (and pedalboard's, the fallback): an error, not a crash.
    mute = make_vst3(PluginSpec(name="Mute", audio_out=0, refuse_host="Pluginary"))
    broken = tmp_path / "Broken.vst3"
    (broken / "Contents").mkdir(parents=True)
    with WorkerPool(1, retries=1) as pool:
        results = list(pool.run([job(mute), job(broken), job(broken, fmt="no-such-format")]))
        assert pool.stats.retries == 0
    failures = {(Path(r.file.path).stem, r.file.format): r.failure for r in results}
    assert all(f and f.kind is FailureKind.ERROR and f.attempts == 1 for f in failures.values())
    assert failures["Mute", "vst3"].message.startswith("Unsupported: ")  # type: ignore[union-attr]
    assert "refuses to initialize" in failures["Mute", "vst3"].message  # type: ignore[union-attr]
    assert failures["Broken", "vst3"].message.startswith("FileNotFoundError: no binary for ")  # type: ignore[union-attr]
    assert "unknown format 'no-such-format'" in failures["Broken", "no-such-format"].message  # type: ignore[union-attr]


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_plugin_output_never_reaches_the_channel(make_vst3: MakeVst3, tmp_path: Path) -> None:
    noisy = [
        make_vst3(PluginSpec(name=f"Noisy {i}", misbehaviour=Misbehaviour(stdout_bytes=300_000, stderr_bytes=300_000)))
        for i in range(3)
    ]
    logs = tmp_path / "logs"
    with WorkerPool(1, log_dir=logs) as pool:
        results = list(pool.run(job(bundle) for bundle in noisy))
    assert [r.failure for r in results] == [None] * 3
    assert sum(f.stat().st_size for f in logs.iterdir()) >= 3 * 600_000  # the noise went to the worker's log


@pytest.mark.slow
def test_workers_are_recycled_after_a_number_of_plugins(tmp_path: Path) -> None:
    bundles = crafted_bundles(tmp_path, 6)
    with WorkerPool(1, recycle_after=2) as pool:
        results = list(pool.run(job(b, fmt="tests.test_pool:PidFormat") for b in bundles))
        # The third worker is recycled after its second plugin, unless the pool is closed first.
        assert pool.stats.recycled_by_count in (2, 3)
    pids = [r.plugins[0].version for r in sorted(results, key=lambda r: r.file.path)]
    assert len(set(pids)) == 3 and pids[0] == pids[1] and pids[2] == pids[3] and pids[4] == pids[5]


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_workers_are_recycled_above_the_memory_bound(make_vst3: MakeVst3) -> None:
    leaky = [make_vst3(PluginSpec(name=f"Leak {i}", misbehaviour=Misbehaviour(alloc_mb=128))) for i in range(2)]
    lean = [make_vst3(PluginSpec(name=f"Lean {i}")) for i in range(3)]
    with WorkerPool(1, max_rss_mb=120) as pool:
        results = list(pool.run(job(b) for b in [lean[0], leaky[0], lean[1], leaky[1], lean[2]]))
        assert pool.stats.recycled_by_memory == 2
        assert pool.stats.workers_started == 3
    assert all(r.plugins for r in results)


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_stopping_early_kills_the_workers(make_vst3: MakeVst3, tmp_path: Path) -> None:
    hangs = [make_vst3(PluginSpec(name=f"Hang {i}", misbehaviour=Misbehaviour(hang_stage="load"))) for i in range(2)]
    quick = make_vst3(PluginSpec(name="Quick"))
    journal = Journal(tmp_path / "scan.journal")
    with WorkerPool(3, journal=journal) as pool:
        run = cast(Generator[FileResult, None, None], pool.run([job(h, timeout=60) for h in hangs] + [job(quick)]))
        first = next(run)
        pids = pool.worker_pids()
        run.close()
        assert pool.worker_pids() == []
    assert Path(first.file.path).stem == "Quick"
    assert wait_until(lambda: not any(alive(pid) for pid in pids), 5)
    assert journal.in_flight() == []  # abandoned loads are cancelled, not suspects


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_the_parent_never_imports_pedalboard(make_vst3: MakeVst3) -> None:
    bundle = make_vst3(PluginSpec(name="Solo"))
    script = (
        "import sys; from pathlib import Path\n"
        "from tests.test_pool import job\n"
        "from pluginary.scanning.pool import WorkerPool\n"
        f"with WorkerPool(1) as pool: (r,) = pool.run([job(Path({str(bundle)!r}))])\n"
        "assert r.plugins, r\n"
        "print('pedalboard' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- the whole scanner killed

SCANNER = r"""
import json, sys
from pathlib import Path
from pluginary.scanning.journal import Journal
from pluginary.scanning.pool import WorkerPool
from tests.test_pool import job

bundles, journal, results, workers = json.loads(sys.argv[1])
with WorkerPool(workers, journal=Journal(Path(journal))) as pool:
    with open(results, "a") as out:
        for result in pool.run(job(Path(b), timeout=60) for b in bundles):
            print(json.dumps([result.file.path, result.failure is None]), file=out, flush=True)
"""


def start_scanner(bundles: list[Path], journal: Path, results: Path, workers: int) -> subprocess.Popen[str]:
    args = json.dumps([[str(b) for b in bundles], str(journal), str(results), workers])
    return subprocess.Popen(
        [sys.executable, "-c", SCANNER, args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell may ignore it
    )


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def started(journal: Path, bundle: Path) -> bool:
    return journal.exists() and f' "{bundle}"\n' in journal.read_text()


@pytest.mark.slow
def test_ctrl_c_stops_workers_and_keeps_what_finished(make_vst3: MakeVst3, tmp_path: Path) -> None:
    quick = [make_vst3(PluginSpec(name=f"Quick {i}")) for i in range(2)]
    hangs = [make_vst3(PluginSpec(name=f"Hang {i}", misbehaviour=Misbehaviour(hang_stage="load"))) for i in range(2)]
    journal, results = tmp_path / "scan.journal", tmp_path / "results.jsonl"
    scanner = start_scanner([*quick, *hangs], journal, results, workers=2)
    assert wait_until(lambda: started(journal, hangs[1]) and len(lines(results)) == 2, 30)
    family = descendants(scanner.pid)
    assert len(family) >= 3  # the zygote and two workers
    scanner.send_signal(signal.SIGINT)
    _, stderr = scanner.communicate(timeout=10)
    assert "KeyboardInterrupt" in stderr
    assert wait_until(lambda: not any(alive(pid) for pid in family), 5)
    assert sorted(json.loads(line)[0] for line in lines(results)) == sorted(map(str, quick))
    assert Journal(journal).in_flight() == []


@pytest.mark.slow
def test_after_kill_9_the_next_run_knows_the_plugin_in_flight(make_vst3: MakeVst3, tmp_path: Path) -> None:
    before = [make_vst3(PluginSpec(name=f"Before {i}")) for i in range(3)]
    hang = make_vst3(PluginSpec(name="Hang", misbehaviour=Misbehaviour(hang_stage="load")))
    after = [make_vst3(PluginSpec(name=f"After {i}")) for i in range(2)]
    everything = [*before, hang, *after]
    journal, results = tmp_path / "scan.journal", tmp_path / "results.jsonl"
    scanner = start_scanner(everything, journal, results, workers=1)
    assert wait_until(lambda: started(journal, hang) and len(lines(results)) == 3, 30)
    family = descendants(scanner.pid)
    scanner.kill()
    scanner.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in family), 5)  # no orphan keeps hanging

    assert Journal(journal).in_flight() == [str(hang)]
    stored = {json.loads(line)[0] for line in lines(results)}
    assert stored == {str(b) for b in before}
    rest = [b for b in everything if str(b) not in stored and str(b) not in Journal(journal).in_flight()]
    with WorkerPool(1, journal=Journal(journal)) as pool:
        resumed = list(pool.run(job(b) for b in rest))
    assert sorted(r.file.path for r in resumed) == sorted(map(str, after))
    assert Journal(journal).in_flight() == [str(hang)]  # still unresolved until scanned or cleared


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_warnings_logged_inside_a_worker_come_back_with_their_file(tmp_path: Path) -> None:
    bundles = []
    for name in ("good.crafted", "error.crafted", "many.crafted"):
        (tmp_path / name).mkdir()
        bundles.append(tmp_path / name)
    with WorkerPool(1) as pool:
        results = by_stem(pool.run(job(b, fmt="tests.test_pool:WarningFormat") for b in bundles))
    assert results["good"].warnings == ("good.crafted: data file 0 is missing",)
    assert results["good"].plugins and results["good"].failure is None
    # A failure keeps its warnings too, and warnings never leak into the next job's answer.
    assert results["error"].warnings == ("error.crafted: data file 0 is missing",)
    assert results["error"].failure is not None
    many = results["many"].warnings
    assert len(many) == 51 and many[-1] == "… and 50 more warnings"


@pytest.mark.slow
def test_on_a_loaded_machine_a_busy_load_keeps_its_slot_and_an_idle_hang_moves_beside(make_vst3: MakeVst3) -> None:
    """Six spinners on two cores give a loading plugin well under a quarter of a core: little CPU, yet
    it is working, not waiting. The run-queue time it spends says so; a deadlocked one has none."""
    slow = make_vst3(PluginSpec(name="Slow", misbehaviour=Misbehaviour(busy_ms=600)))
    hang = make_vst3(PluginSpec(name="Hang", misbehaviour=Misbehaviour(hang_stage="load")))
    with busy_cores(3 * (os.cpu_count() or 2)):
        with WorkerPool(1, retries=0) as pool:
            [loaded] = pool.run([job(slow, timeout=20.0)])
            assert pool.stats.moved_beside == 0, "a busy load was taken for a hang"
        with WorkerPool(1, retries=0) as pool:
            [hung] = pool.run([job(hang, timeout=3.0)])
            assert pool.stats.moved_beside == 1
    assert loaded.failure is None and loaded.plugins[0].name == "Slow"
    assert hung.failure is not None and hung.failure.kind is FailureKind.TIMEOUT


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_quick_loads_are_queued_ahead_and_slow_ones_are_not(make_vst3: MakeVst3) -> None:
    """A worker whose loads take milliseconds is sent jobs ahead of its answers (so it never waits for
    the scanner), at most MAX_QUEUE; one whose loads take PIPELINE_BELOW or more holds one at a time."""
    quick = [make_vst3(PluginSpec(name=f"Quick {i}")) for i in range(40)]
    with WorkerPool(1, recycle_after=1000) as pool:
        assert len(list(pool.run(job(bundle) for bundle in quick))) == 40
        assert 1 < pool.stats.most_held <= MAX_QUEUE
    slow_ms = int(PIPELINE_BELOW * 1000) + 50
    slow = [make_vst3(PluginSpec(name=f"Slow {i}", misbehaviour=Misbehaviour(sleep_ms=slow_ms))) for i in range(4)]
    with WorkerPool(1, recycle_after=1000) as pool:
        assert len(list(pool.run(job(bundle) for bundle in slow))) == 4
        assert pool.stats.most_held == 1
