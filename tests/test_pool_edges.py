"""The pool's edges, each met by real workers: how far ahead it draws the caller's jobs, a worker that
fails to start, one that passes its memory bound with jobs queued behind the leak, and the retry of a
hang no look at /proc saw, which the CPU time its worker used in all decides."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import cast

import pytest

from pluginary.core.errors import StageError
from pluginary.core.models import FailureKind, FileResult
from pluginary.scanning.pool import BESIDE_PER_WORKER, MAX_QUEUE, MAX_STARTUP_FAILURES, ScanJob, WorkerPool
from tests.plugins import Misbehaviour, PluginSpec
from tests.plugins.fixtures import MakeVst3
from tests.test_pool import LEAK_MB, crafted_bundles, job

PID = "tests.test_pool:PidFormat"
#: It exists, so the pool's `mkdir` of the log folder passes, but nothing can be created in it, not even
#: by root: a worker that cannot open its log file there dies before it is ready.
UNUSABLE_LOG_DIR = Path("/proc")


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_workers_are_reused_by_the_next_run_and_started_once(tmp_path: Path) -> None:
    first, second = crafted_bundles(tmp_path, 2)
    started = time.monotonic()
    with WorkerPool(1) as pool:
        [one] = pool.run([job(first, fmt=PID)])
        startup, pids = pool.stats.startup_seconds, pool.worker_pids()
        assert 0 < startup <= time.monotonic() - started
        [two] = pool.run([job(second, fmt=PID)])
        assert pool.worker_pids() == pids == [int(two.plugins[0].version)]
        assert pool.stats.startup_seconds == startup
    assert one.plugins and two.plugins


@pytest.mark.slow
def test_a_worker_dying_with_its_socket_held_open_is_noticed_at_once(tmp_path: Path) -> None:
    """A plugin's helper process may keep the worker's socket open after the worker died: the zygote's
    report of its end tells the scanner, which charges a crash at once, not a timeout much later."""
    [bundle] = crafted_bundles(tmp_path, 1)
    try:
        with WorkerPool(1, retries=0) as pool:
            [result] = pool.run([job(bundle, fmt="tests.test_pool:CrashLeavingAChildFormat", timeout=30.0)])
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((bundle / "helper.pid").read_text()), signal.SIGKILL)
    assert result.failure and result.failure.kind is FailureKind.CRASH
    assert result.failure.signal == signal.SIGSEGV


@pytest.mark.slow
def test_jobs_are_drawn_only_a_few_ahead_of_the_workers(tmp_path: Path) -> None:
    """The caller's jobs (a walk of the disk, say) are drawn lazily: those the workers hold, and 2n + 1
    ahead so the pool knows whether plenty remain; never the whole iterable."""
    drawn = 0

    def jobs() -> Iterator[ScanJob]:
        nonlocal drawn
        for bundle in crafted_bundles(tmp_path, 10):
            drawn += 1
            yield job(bundle, fmt="tests.test_pool:SlowFormat", timeout=20.0)

    with WorkerPool(1) as pool:
        run = cast(Generator[FileResult, None, None], pool.run(jobs()))
        next(run)
        # The first job is done and the next one sent (a slow load is never queued behind): three ahead.
        assert drawn == 1 + 1 + (2 * pool.size + 1)
        run.close()


@pytest.mark.slow
def test_a_worker_that_fails_to_start_hands_its_job_on(tmp_path: Path) -> None:
    """A worker that dies before it is ready is the environment's fault, not its job's: the job goes to
    the next worker as if new, and no crash is counted."""
    bundles = crafted_bundles(tmp_path / "bundles", 5)
    logs = tmp_path / "logs"
    with WorkerPool(1, log_dir=UNUSABLE_LOG_DIR) as pool:

        def jobs() -> Iterator[ScanJob]:
            for bundle in bundles:
                if pool.stats.workers_started:  # the first worker is on its way to fail: mend the folder
                    pool.log_dir = logs
                yield job(bundle, fmt=PID)

        results = list(pool.run(jobs()))
        assert pool.stats.crashes == 0
        # (On a loaded machine a slow first import may be moved beside once: not a failure to start.)
        assert pool.stats.workers_started - pool.stats.moved_beside == 2
    assert sorted(r.file.path for r in results) == sorted(map(str, bundles))
    assert all(r.plugins and r.failure is None for r in results)
    assert any(logs.iterdir())


@pytest.mark.slow  # three real processes
def test_workers_that_cannot_start_stop_the_scan_with_a_plain_error(tmp_path: Path) -> None:
    with WorkerPool(1, log_dir=UNUSABLE_LOG_DIR) as pool:
        with pytest.raises(StageError, match=f"scan workers fail to start .*, {MAX_STARTUP_FAILURES} in a row"):
            list(pool.run([job(bundle, fmt=PID) for bundle in crafted_bundles(tmp_path, 2)]))
        assert pool.stats.workers_started == MAX_STARTUP_FAILURES


@pytest.mark.slow
def test_a_worker_past_its_memory_bound_is_sent_nothing_more(tmp_path: Path) -> None:
    """Memory is checked as answers come back, so a worker with quick loads still holds jobs queued behind
    the one that leaked: it reads those, is sent nothing more, and a fresh worker takes over."""
    leak = tmp_path / "leak.crafted"
    leak.mkdir()
    bundles = [*crafted_bundles(tmp_path / "before", 4), leak, *crafted_bundles(tmp_path / "after", 35)]
    # A worker needs some 30 MB; the leak adds LEAK_MB.
    with WorkerPool(1, max_rss_mb=LEAK_MB - 28, recycle_after=1000) as pool:
        results = list(pool.run(job(b, fmt="tests.test_pool:LeakFormat") for b in bundles))
        assert pool.stats.recycled_by_memory == 1
    assert len(results) == len(bundles) and all(r.plugins for r in results)
    leaker = next(r.plugins[0].version for r in results if r.file.path == str(leak))  # its worker's pid
    read_by_leaker = sum(r.plugins[0].version == leaker for r in results)
    assert read_by_leaker <= bundles.index(leak) + MAX_QUEUE  # up to the leak, and what was queued behind it


@pytest.mark.slow
def test_a_hang_retried_beside_the_pool_is_judged_by_its_cpu_time(make_vst3: MakeVst3) -> None:
    """A retry beside the pool is never looked at while it loads (it takes no slot), so when it times out
    the CPU time its worker used in all tells an idle hang, to be tried beside again, from a busy one."""
    hang = make_vst3(PluginSpec(name="Hang", misbehaviour=Misbehaviour(hang_stage="load")))
    with WorkerPool(1, retries=2) as pool:
        [result] = pool.run([job(hang, timeout=1.0)])
        stats = pool.stats
        assert (stats.timeouts, stats.retries, stats.retries_beside, stats.moved_beside) == (3, 2, 2, 1)
    assert result.failure and result.failure.kind is FailureKind.TIMEOUT and result.failure.attempts == 3


@pytest.mark.slow
def test_a_load_that_works_then_waits_is_looked_at_again_and_moved_beside(tmp_path: Path) -> None:
    """A busy load keeps its slot but is looked at again: once it only waits, it moves beside the pool
    and the job queued behind it goes to a fresh worker at once, long before the deadline."""
    warm, stuck, queued = crafted_bundles(tmp_path, 3)
    jobs = [job(warm, fmt=PID), job(stuck, fmt="tests.test_pool:WorkThenWaitFormat", timeout=8.0), job(queued, fmt=PID)]
    with WorkerPool(1, retries=0) as pool:
        run = cast(Generator[FileResult, None, None], pool.run(jobs))
        assert [next(run).file.path, next(run).file.path] == [str(warm), str(queued)]
        assert pool.stats.moved_beside == 1
        run.close()


@pytest.mark.slow
def test_a_crash_beside_the_pool_is_retried_in_a_fresh_worker_of_the_pool(tmp_path: Path) -> None:
    """A load that waited (so it moved beside the pool) and then crashed is retried in the pool, in a fresh
    worker: one that has loaded nothing is made by replacing an idle one."""
    warm, flaky, *rest = crafted_bundles(tmp_path, 4)
    jobs = [job(warm, fmt=PID), job(flaky, fmt="tests.test_pool:WaitThenCrashOnceFormat", timeout=20.0)]
    jobs += [job(bundle, fmt=PID) for bundle in rest]
    with WorkerPool(1, retries=1) as pool:
        results = list(pool.run(jobs))
        assert (pool.stats.moved_beside, pool.stats.crashes, pool.stats.retries) == (1, 1, 1)
    assert sorted(r.file.path for r in results) == sorted(str(j.file.path) for j in jobs)
    retried = next(r for r in results if r.file.path == str(flaky))
    assert retried.failure is None, retried.failure
    others = {r.plugins[0].version for r in results if r is not retried}
    assert retried.plugins[0].version not in others  # its worker had loaded nothing before


@pytest.mark.slow
def test_at_most_beside_per_worker_loads_wait_beside_the_pool(make_vst3: MakeVst3) -> None:
    """Waiting loads and the retries of idle hangs sit beside the pool, BESIDE_PER_WORKER per worker at most:
    past that a waiting load keeps its slot, and a retry waits its turn. Seven hangs, each tried twice for a
    second, want more room beside than that."""
    hangs = [make_vst3(PluginSpec(name=f"Hang {i}", misbehaviour=Misbehaviour(hang_stage="load"))) for i in range(7)]
    most = 0
    with WorkerPool(1, retries=1) as pool:
        finished = threading.Event()

        def watch() -> None:
            nonlocal most
            while not finished.wait(0.005):
                most = max(most, len(pool.worker_pids()))

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            results = list(pool.run(job(hang, timeout=1.0) for hang in hangs))
        finally:
            finished.set()
            watcher.join()
        assert pool.stats.retries_beside >= 1
    assert all(r.failure and r.failure.kind is FailureKind.TIMEOUT and r.failure.attempts == 2 for r in results)
    assert most == 1 + BESIDE_PER_WORKER  # the slot's worker, and as many beside as allowed: no more
