"""The pool's small decisions, pinned at their edges: how many jobs a worker may hold, and what
Linux's /proc says about a worker (CPU used, threads running, run-queue waits), read from real
processes that burn the CPU or sleep."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from pluginary.scanning.pool import (
    DEMAND_WINDOW,
    IDLE_CHECK,
    IDLE_HANG,
    MAX_QUEUE,
    NAP,
    PIPELINE_BELOW,
    WorkerPool,
    _describe_exit,
    _first_look,
    _Look,
    _next_look,
    _process_cpu,
    _process_demand,
    _queue_depth,
    _runnable,
)

# --- how many jobs a worker holds --------------------------------------------------------------------


def test_a_worker_whose_speed_is_unknown_or_slow_holds_one_job() -> None:
    assert _queue_depth(None) == 1
    assert _queue_depth(PIPELINE_BELOW) == 1  # the threshold itself is slow
    assert _queue_depth(PIPELINE_BELOW * 10) == 1


def test_quick_loads_queue_enough_to_outlast_three_naps() -> None:
    just_quick = PIPELINE_BELOW * 0.999
    assert _queue_depth(just_quick) == 2 + int(3 * NAP / just_quick) == 2
    assert _queue_depth(NAP) == 5  # 2 + three naps of loads as long as a nap
    assert _queue_depth(NAP / 2) == 8
    assert _queue_depth(0.0) == _queue_depth(1e-12) == MAX_QUEUE  # capped, and no division by zero
    depths = [_queue_depth(load) for load in (0.0, NAP / 8, NAP / 2, NAP, 0.01, 0.05, just_quick)]
    assert depths == sorted(depths, reverse=True)  # never more jobs for slower loads


def test_a_load_is_first_looked_at_a_quarter_into_its_deadline_at_most_idle_check_in() -> None:
    assert _first_look(100.0, 2.0) == 100.5
    assert _first_look(100.0, 4 * IDLE_CHECK) == _first_look(100.0, 60.0) == 100.0 + IDLE_CHECK


def test_a_busy_load_is_looked_at_again_while_a_verdict_can_still_free_its_slot() -> None:
    assert _next_look(100.0, 160.0) == _next_look(100.0, 100.0 + 2 * IDLE_CHECK) == 100.0 + IDLE_CHECK
    assert _next_look(100.0, 100.0 + IDLE_CHECK) == 100.0 + IDLE_CHECK / 2  # halfway
    assert _next_look(100.0, 100.0 + 2 * DEMAND_WINDOW + 0.1) == pytest.approx(100.0 + DEMAND_WINDOW + 0.05)
    assert _next_look(100.0, 100.0 + 2 * DEMAND_WINDOW) is None  # a verdict could come too late
    assert _next_look(100.0, 100.0) is None
    assert _next_look(10.0, 30.0) == 10.0 + IDLE_CHECK  # times on any clock


def test_a_look_counts_run_queue_time_as_wanting_the_cpu() -> None:
    earlier = _Look(when=10.0, cpu=1.0, demand=2.0)
    assert _Look(when=11.0, cpu=1.0, demand=2.0).waited_since(earlier)  # no demand at all: it waits
    assert _Look(when=11.0, cpu=1.0, demand=2.0 + IDLE_HANG * 0.99).waited_since(earlier)
    assert not _Look(when=11.0, cpu=1.0, demand=2.0 + IDLE_HANG).waited_since(earlier)  # at the share: wanted it
    assert not _Look(when=10.0, cpu=1.0, demand=2.0 + 1e-6).waited_since(earlier)  # same instant, some demand
    assert _Look(when=10.0, cpu=1.0, demand=2.0).waited_since(earlier)  # same instant, no demand
    with pytest.raises(AssertionError):  # no run-queue figures (no schedstat): nothing to compare
        _Look(when=11.0, cpu=1.0, demand=None).waited_since(earlier)


def test_a_pool_has_one_worker_per_core_unless_told() -> None:
    for workers, size in ((None, os.cpu_count() or 1), (0, os.cpu_count() or 1), (3, 3)):
        with WorkerPool(workers) as pool:  # starts no process before its first run
            assert pool.size == size


def test_a_look_counts_cpu_time_as_work() -> None:
    earlier = _Look(when=10.0, cpu=1.0, demand=None)
    assert _Look(when=11.0, cpu=1.0 + IDLE_HANG, demand=None).worked_since(earlier)  # a share of a core
    assert not _Look(when=11.0, cpu=1.0 + IDLE_HANG * 0.99, demand=None).worked_since(earlier)
    assert _Look(when=14.0, cpu=2.0, demand=None).worked_since(earlier)  # that share over four seconds
    assert not _Look(when=14.5, cpu=2.0, demand=None).worked_since(earlier)
    assert _Look(when=10.0, cpu=1.0 + 1e-6, demand=None).worked_since(earlier)  # same instant, some work


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (None, "the worker died"),
        (-9, "the worker was killed by signal 9 (SIGKILL)"),
        (-11, "the worker was killed by signal 11 (SIGSEGV)"),
        (-200, "the worker was killed by signal 200"),
        (0, "the worker exited with status 0"),
        (3, "the worker exited with status 3"),
    ],
)
def test_how_a_worker_ended_is_told_plainly(code: int | None, text: str) -> None:
    assert _describe_exit(code) == text


# --- what /proc says about a process ----------------------------------------------------------------

BUSY = "import time\nprint(flush=True)\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass\n"
SLEEPY = "import time\nprint(flush=True)\ntime.sleep(30)\n"
#: Starts and ends one short-lived thread after another, as fast as it can.
CHURNING = (
    "import threading, time\nprint(flush=True)\nwhile True:\n"
    "    t = threading.Thread(target=time.sleep, args=(0.0002,))\n    t.start(); t.join()\n"
)


def _child(code: str) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # past the interpreter's start-up, which uses the CPU
        time.sleep(0.05)  # and into its loop or its sleep
        yield child
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def busy() -> Iterator[subprocess.Popen[bytes]]:
    yield from _child(BUSY)


@pytest.fixture
def sleepy() -> Iterator[subprocess.Popen[bytes]]:
    yield from _child(SLEEPY)


@pytest.fixture
def churning() -> Iterator[subprocess.Popen[bytes]]:
    yield from _child(CHURNING)


def _seen(pid: int, looks: int) -> Iterator[bool]:
    """Whether the process is runnable, looked at `looks` times 10 ms apart."""
    for _ in range(looks):
        yield _runnable(pid)
        time.sleep(0.01)


def _gone_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(done.stdout)


needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")


@needs_proc
def test_cpu_seconds_are_this_process_own_figure() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF)
    measured = _process_cpu(os.getpid())
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert measured is not None
    tick = 1 / os.sysconf("SC_CLK_TCK")
    assert before.ru_utime + before.ru_stime - 2 * tick <= measured <= after.ru_utime + after.ru_stime + 2 * tick


@needs_proc
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_busy_process_uses_cpu_and_runs_a_sleeping_one_does_neither(
    busy: subprocess.Popen[bytes], sleepy: subprocess.Popen[bytes]
) -> None:
    start_busy, start_sleepy = _process_cpu(busy.pid), _process_cpu(sleepy.pid)
    demand_busy, demand_sleepy = _process_demand(busy.pid), _process_demand(sleepy.pid)
    assert None not in (start_busy, start_sleepy, demand_busy, demand_sleepy)
    assert any(_seen(busy.pid, 50))  # running or queued for a core, at least once
    assert not any(_seen(sleepy.pid, 20))
    time.sleep(0.5)
    busy_cpu, sleepy_cpu = _process_cpu(busy.pid), _process_cpu(sleepy.pid)
    busy_demand, sleepy_demand = _process_demand(busy.pid), _process_demand(sleepy.pid)
    assert busy_cpu is not None and sleepy_cpu is not None and busy_demand is not None and sleepy_demand is not None
    # The busy one ran or queued the whole time (on a loaded machine it may mostly queue: demand counts both).
    assert busy_demand - demand_busy >= 0.4  # type: ignore[operator]
    assert busy_cpu > start_busy  # type: ignore[operator]
    assert sleepy_cpu - start_sleepy < 0.02  # type: ignore[operator]
    assert sleepy_demand - demand_sleepy < 0.02  # type: ignore[operator]


@needs_proc
def test_a_process_that_is_gone_reads_as_unknown() -> None:
    pid = _gone_pid()
    assert _process_cpu(pid) is None
    assert _process_demand(pid) is None
    assert _runnable(pid) is False


@needs_proc
@pytest.mark.slow
def test_a_process_whose_threads_come_and_go_is_read_without_error(churning: subprocess.Popen[bytes]) -> None:
    """A thread listed in /proc may be gone (or half gone) by the time its files are read."""
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        _runnable(churning.pid)
        demand = _process_demand(churning.pid)
        assert demand is None or demand > 0
