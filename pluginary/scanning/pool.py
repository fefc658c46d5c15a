"""The isolated scan: worker processes load plugins, the scanner never does.

`WorkerPool.run` streams one `FileResult` per `ScanJob` as jobs complete. Each
worker is a long-lived process (`pluginary.scanning.worker`) that loads bundles one
after another and answers over a private socket (`pluginary.scanning.protocol`).
Workers are forked by a zygote that has the worker module and pedalboard
imported (`pluginary.scanning.zygote`), so replacing one costs milliseconds.

The scanner watches every worker's socket and the zygote's exit reports in one
`selectors` loop, so it notices at once when a worker answers, dies (segfault,
abort, `exit()` in a plugin) or passes its job's deadline (it is then
SIGKILLed). Either way the slot gets a fresh worker. A crash or timeout is
tried again in a fresh worker (`retries`); an exception raised by the format is
deterministic and reported at once. A plugin that waits without using the CPU
(a deadlock, a licence check waiting on the network, a slow disk) does not
hold its slot: a quarter into its deadline (at most IDLE_CHECK seconds) its
worker moves beside the pool, where it may still answer before its deadline,
and a fresh worker takes its slot. Its retry, if it times out, runs beside the
pool too. So a hang takes no core from the scan and costs it no deadline.
Where the CPU time of a running worker cannot be read (no /proc), only the
retry moves beside. Workers are SIGKILLed, never asked to
stop: one is only retired while idle, and a plugin's exit handlers must not get
a chance to hang.

A worker whose plugins load quickly gets its next jobs before it has answered
the current one, so it never waits for the scanner to wake up (on a busy
machine that wait costs more than a small plugin's load). Only while plenty of
jobs remain, so no job ends up waiting behind a slow one while another worker
idles at the end of a run. While every worker has jobs queued, the scanner
naps between looks at the sockets instead of waking for each answer: on a
machine with as many workers as cores, each wake-up takes a core from a
worker, and with plugins that load in a millisecond the scanner would wake a
thousand times a second. Answers then pile up and are read a batch at a time.

Answers come back in order, so a death is always charged to the job that was
loading; the jobs queued behind it are handed out again. Because only the
worker knows when a queued job starts, the worker journals its own starts
(`Journal.start`); the scanner journals results and abandoned jobs.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import os
import secrets
import selectors
import signal
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import attrs

from pluginary.core.errors import StageError
from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import FailureKind, FileResult, PluginFile, ScanFailure
from pluginary.core.options import ScanOptions
from pluginary.scanning.journal import Journal
from pluginary.scanning.protocol import (
    READ_SIZE,
    Failed,
    FrameReader,
    ProtocolError,
    Ready,
    Result,
    Scan,
    WorkerMessage,
    encode,
)
from pluginary.scanning.zygote import WorkerExit, Zygote

__all__ = ["Journal", "PoolStats", "ScanJob", "WorkerPool"]

log = logging.getLogger(__name__)

#: How long a new worker may take to start before its first job's clock runs.
STARTUP_GRACE = 30.0
#: How long a worker whose socket closed may take to finish exiting (a plugin's
#: `exit()` runs atexit handlers) before it is killed, which would hide its status.
EXIT_GRACE = 5.0
#: A worker gets jobs queued behind the one it is loading only while its loads
#: take less than this; a slow or hanging plugin holds back at most MAX_QUEUE - 1 jobs.
PIPELINE_BELOW = 0.1
#: How long the scanner naps while every worker has a job queued behind its current one.
NAP = 0.002
#: The most jobs sent to one worker ahead of its answers.
MAX_QUEUE = 16
#: A load that has used less CPU than this share of its time so far is waiting, not working.
IDLE_HANG = 0.25
#: When a load is checked for waiting: a quarter into its deadline, at most this many seconds in.
IDLE_CHECK = 1.0
#: How long a load that used little CPU is watched for run-queue waits before it counts as waiting.
DEMAND_WINDOW = 0.25
#: Workers beside the pool (waiting loads and retries of idle hangs) per worker: they
#: only wait, and with deadlines of a few seconds hangs can end faster than one per worker.
BESIDE_PER_WORKER = 4
#: Workers dying before they are ready, in a row, before the scan gives up.
MAX_STARTUP_FAILURES = 3


@attrs.frozen
class ScanJob:
    """One bundle to scan: which format reads it, how deeply, and how long it may take."""

    file: PluginFile
    format: str  # component name or `module:attr`, resolved inside the worker
    settings: ScanSettings = attrs.field(factory=ScanSettings)
    timeout: float = 30.0

    @classmethod
    def from_options(cls, file: PluginFile, options: ScanOptions, *, presets: bool = True) -> ScanJob:
        """The job a pipeline's scan options ask for (per-format deadline first)."""
        settings = ScanSettings(
            deep=options.deep, warmup=options.warmup, metadata_only=options.metadata_only, presets=presets
        )
        return cls(
            file=file,
            format=file.format,
            settings=settings,
            timeout=options.timeouts.get(file.format, options.timeout),
        )


@attrs.define
class PoolStats:
    """What the pool did, for logs, tests and benchmarks."""

    workers_started: int = 0
    #: Seconds from asking for a worker to its first message, summed over all workers
    #: (the first one also waits for the zygote to start and import pedalboard).
    startup_seconds: float = 0.0
    recycled_by_count: int = 0
    recycled_by_memory: int = 0
    crashes: int = 0
    timeouts: int = 0
    retries: int = 0
    #: Retries of idle hangs, run in extra workers beside the pool's.
    retries_beside: int = 0
    #: Workers moved beside the pool because their load was waiting without using the CPU.
    moved_beside: int = 0
    #: The most jobs one worker held at once (the one it loads and those queued behind it).
    most_held: int = 0


@attrs.define(eq=False)
class _Attempt:
    job: ScanJob
    number: int  # 1 for the first try
    id: int | None = None  # of the message that sent it
    beside: bool = False  # a retry of an idle hang, for an extra worker


@attrs.define(eq=False)
class _Worker:
    pid: int
    channel: socket.socket
    spawned_at: float
    reader: FrameReader = attrs.Factory(FrameReader)
    ready: bool = False
    #: Sent and not yet answered, in order: the first is loading (or about to).
    queue: deque[_Attempt] = attrs.Factory(deque)
    deadline: float | None = None  # for queue[0]
    assigned: int = 0
    last_load: float | None = None  # seconds its last answered job took
    cpu: float = 0.0  # CPU seconds it had used at its last message
    loading_since: float | None = None  # when queue[0] started loading
    idle_check: float | None = None  # when to look whether queue[0] is waiting rather than loading
    #: The last look at queue[0]'s load: (when, CPU seconds, CPU + run-queue seconds or None).
    last_look: _Look | None = None
    beside: bool = False  # an extra worker for one retry of an idle hang, outside the slots
    retiring: str | None = None  # why it takes no more jobs: "count" or "memory"


@attrs.frozen
class _Look:
    """A look at a running worker: when, the CPU seconds it had used, and its CPU + run-queue seconds."""

    when: float
    cpu: float
    demand: float | None  # None where Linux's schedstat cannot be read

    def waited_since(self, earlier: _Look) -> bool:
        """Whether the load, between the two looks, used or queued for less than IDLE_HANG of a core."""
        assert self.demand is not None and earlier.demand is not None
        return _little(self.demand - earlier.demand, self.when - earlier.when)

    def worked_since(self, earlier: _Look) -> bool:
        """Whether the load, between the two looks, used IDLE_HANG of a core or more."""
        return not _little(self.cpu - earlier.cpu, self.when - earlier.when)


def _little(used: float, seconds: float) -> bool:
    """Whether `used` seconds (of CPU, or of CPU and run queue) are less than IDLE_HANG of a core over `seconds`."""
    return used < IDLE_HANG * max(seconds, 1e-9)


#: What a finished attempt produced: the worker's answer, or the failure the pool saw.
_Outcome = tuple[_Attempt, WorkerMessage | ScanFailure]


class _Lookahead:
    """The caller's jobs, drawn lazily but a few ahead, so the pool knows whether many remain."""

    def __init__(self, jobs: Iterable[ScanJob], size: int) -> None:
        self._jobs = iter(jobs)
        self._buffer: deque[ScanJob] = deque()
        self._size = size
        self._exhausted = False

    def __len__(self) -> int:
        while not self._exhausted and len(self._buffer) < self._size:
            try:
                self._buffer.append(next(self._jobs))
            except StopIteration:
                self._exhausted = True
        return len(self._buffer)

    def pop(self) -> ScanJob:
        return self._buffer.popleft()


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class WorkerPool:
    """N long-lived worker processes that scan plugin bundles for the parent.

    Use as a context manager; `close()` (or leaving the `with`) kills every
    worker. `run` may be called more than once; workers are reused.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        retries: int = 1,
        recycle_after: int = 500,
        max_rss_mb: float = 2048,
        journal: Journal | None = None,
        log_dir: Path | None = None,
    ) -> None:
        """`workers` None or 0 means one per core. `log_dir` keeps each worker's
        stdout, stderr and log in a file there (plugin noise included); without
        it they go to /dev/null."""
        self.size = workers or os.cpu_count() or 1
        self.retries = retries
        self.recycle_after = max(recycle_after, 1)
        self.max_rss_mb = max_rss_mb
        self.journal = journal
        self.log_dir = log_dir
        self.stats = PoolStats()
        self._zygote = Zygote()
        self._selector = selectors.DefaultSelector()
        self._slots: list[_Worker | None] = [None] * self.size
        self._beside: list[_Worker] = []
        self._ids = itertools.count()  # of the messages that send jobs
        self._startup_failures = 0
        self._running = False

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Kill every worker and wait for it; nothing is left running."""
        for worker in self._workers():
            self._retire(worker)
        self._zygote.close()
        self._selector.close()
        if self.journal:
            self.journal.close()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.pid for w in self._workers()]

    # ------------------------------------------------------------------ run

    def run(self, jobs: Iterable[ScanJob]) -> Iterator[FileResult]:
        """Scan every job; yield each file's result as soon as it is known (any order).

        Jobs are drawn lazily as workers have room. If the caller stops early,
        or Ctrl-C arrives, every worker is killed and unfinished files are
        journaled as cancelled; results already yielded are the caller's.
        """
        if self._running:
            raise RuntimeError("WorkerPool.run is already in progress")
        self._running = True
        ahead = _Lookahead(jobs, 2 * self.size + 1)
        again: deque[_Attempt] = deque()  # crashed or timed out: to be tried in a fresh worker
        waiting: deque[_Attempt] = deque()  # were queued behind a job that killed its worker or waits beside
        finished_cleanly = False
        try:
            self._dispatch(ahead, again, waiting)
            while any(w.queue for w in self._workers()):
                if all(len(w.queue) > 1 for w in self._slots if w is not None) and None not in self._slots:
                    time.sleep(NAP)  # no worker can run dry meanwhile: let answers pile up
                outcomes = self._wait(again, waiting)
                # Hand out new work before converting results: workers load while we convert.
                self._dispatch(ahead, again, waiting)
                for attempt, outcome in outcomes:
                    yield self._result(attempt, outcome)
            finished_cleanly = True
        finally:
            self._running = False
            if not finished_cleanly:
                self._abandon()

    def _dispatch(self, ahead: _Lookahead, again: deque[_Attempt], waiting: deque[_Attempt]) -> None:
        """Give workers jobs while they have room: retries first, each to a fresh worker."""
        for attempt in [a for a in again if a.beside][: self._beside_room()]:
            again.remove(attempt)
            self._send(self._spawn(None), attempt)
        while (retry := next((a for a in again if not a.beside), None)) and (worker := self._fresh_worker()):
            again.remove(retry)
            self._send(worker, retry)
        while waiting and (worker := self._worker_with_room(pipeline=False)):
            self._send(worker, waiting.popleft())
        while not waiting and len(ahead) and (worker := self._worker_with_room(pipeline=len(ahead) > self.size)):
            self._send(worker, _Attempt(ahead.pop(), 1))

    def _room(self, worker: _Worker, pipeline: bool) -> int:
        if worker.retiring:
            return 0
        depth = _queue_depth(worker.last_load) if pipeline else 1
        return min(depth - len(worker.queue), self.recycle_after - worker.assigned)

    def _worker_with_room(self, pipeline: bool) -> _Worker | None:
        """An idle worker, else a new one in an empty slot, else (`pipeline`) one with room to queue a job."""
        workers = [w for w in self._slots if w is not None]
        if idle := next((w for w in workers if not w.queue), None):  # an idle worker is never retiring: it is retired
            return idle
        if None in self._slots:
            return self._spawn(self._slots.index(None))
        return next((w for w in workers if self._room(w, pipeline) > 0), None)

    def _fresh_worker(self) -> _Worker | None:
        """A new worker: in an empty slot, else in place of an idle one (every worker in a slot has been
        given a job as soon as it was started)."""
        if None in self._slots:
            return self._spawn(self._slots.index(None))
        for slot, worker in enumerate(self._slots):
            if worker is not None and not worker.queue:
                self._retire(worker)
                return self._spawn(slot)
        return None

    def _spawn(self, slot: int | None) -> _Worker:
        """A new worker in `slot`, or beside the slots for `None`."""
        token = secrets.token_hex(4)
        log_path = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log_path = str(self.log_dir.absolute() / f"worker-{token}.log")
        if not self.stats.workers_started:
            self._selector.register(self._zygote, selectors.EVENT_READ, None)
        spawned_at = time.monotonic()
        pid, channel = self._zygote.spawn(
            log_path=log_path, journal_path=str(self.journal.path.absolute()) if self.journal else None, token=token
        )
        channel.setblocking(False)
        worker = _Worker(pid=pid, channel=channel, spawned_at=spawned_at, beside=slot is None)
        self._selector.register(channel, selectors.EVENT_READ, worker)
        if slot is None:
            self._beside.append(worker)
        else:
            self._slots[slot] = worker
        self.stats.workers_started += 1
        return worker

    def _send(self, worker: _Worker, attempt: _Attempt) -> None:
        attempt.id = next(self._ids)
        worker.queue.append(attempt)
        worker.assigned += 1
        self.stats.most_held = max(self.stats.most_held, len(worker.queue))
        if len(worker.queue) == 1:
            self._start_clock(worker, time.monotonic())
        job = attempt.job
        try:
            worker.channel.sendall(encode(Scan(attempt.id, job.format, job.file.path, job.settings)))
        except OSError as exc:  # it died; the zygote will report how
            log.debug("worker %s gone before its job was sent: %s", worker.pid, exc)

    @staticmethod
    def _start_clock(worker: _Worker, now: float) -> None:
        """The deadline of the job now at the head of the queue (a starting worker gets its start-up time too)."""
        if not worker.queue:
            worker.deadline = worker.loading_since = worker.idle_check = None
            return
        timeout = worker.queue[0].job.timeout
        worker.deadline = now + timeout + (0 if worker.ready else STARTUP_GRACE)
        worker.loading_since = now if worker.ready else None
        worker.idle_check = _first_look(now, timeout) if worker.ready and not worker.beside else None
        worker.last_look = None

    # ------------------------------------------------------------------ events

    def _wait(self, again: deque[_Attempt], waiting: deque[_Attempt]) -> list[_Outcome]:
        """Wait for answers, deaths or the nearest deadline; return the finished attempts."""
        wakes = [t for w in self._workers() for t in (w.deadline, w.idle_check) if t is not None]
        timeout = max(0.0, min(wakes) - time.monotonic()) if wakes else None
        outcomes: list[_Outcome] = []
        for key, _ in self._selector.select(timeout):
            if key.data is None:  # the zygote reports ends: a worker may die with its socket held open
                by_pid = {w.pid: w for w in self._workers()}
                for pid in self._zygote.collect():
                    if pid in by_pid:
                        self._on_death(by_pid[pid], again, waiting, outcomes)
            elif self._alive(key.data):  # else already replaced in this round
                self._receive(key.data, again, waiting, outcomes)
        now = time.monotonic()
        for worker in self._workers():
            if worker.deadline is not None and worker.deadline <= now:
                self._on_deadline(worker, again, waiting, outcomes)
            elif worker.idle_check is not None and worker.idle_check <= now:
                worker.idle_check = None
                self._move_beside_if_waiting(worker, now, waiting)
        return outcomes

    def _move_beside_if_waiting(self, worker: _Worker, now: float, waiting: deque[_Attempt]) -> None:
        """If the worker's load has barely used the CPU, nor waited for it, let it wait beside the pool.

        Little CPU alone does not make a hang: on a loaded machine a plugin busy
        loading gets a small share of a core. So a load that used little CPU and
        has a thread running or queued for a core is watched for DEMAND_WINDOW
        more, counting the time its threads spent waiting in the run queue as well:
        a starved load wanted the CPU all along, a hang (a deadlock, a network
        wait) did not. One whose threads all sleep moves at once. A busy load is looked at
        again every IDLE_CHECK seconds: one may work a while, then wait forever.
        """
        cpu = _process_cpu(worker.pid)
        if cpu is None or worker.loading_since is None or not self._beside_room():
            return
        look = _Look(now, cpu, _process_demand(worker.pid))
        last, worker.last_look = worker.last_look or _Look(worker.loading_since, worker.cpu, None), look
        busy = look.worked_since(last)
        if not busy and look.demand is not None:
            if last.demand is not None:
                busy = not look.waited_since(last)
            elif _runnable(worker.pid):  # a first look, and it wants a core now: watch a moment longer
                worker.idle_check = now + DEMAND_WINDOW
                return  # (a first look with every thread asleep: it waits, plainly)
        if busy:  # look again while a verdict can still free the slot before the deadline
            worker.idle_check = _next_look(now, worker.deadline or now)
            return
        log.info(
            "%s waits without using the CPU; its worker %s moves beside the pool",
            worker.queue[0].job.file.path,
            worker.pid,
        )
        self.stats.moved_beside += 1
        self._slots[self._slots.index(worker)] = None
        worker.beside = True
        self._beside.append(worker)
        loading = worker.queue.popleft()
        waiting.extendleft(reversed(worker.queue))  # the jobs queued behind it go to other workers
        worker.queue = deque([loading])

    def _receive(
        self, worker: _Worker, again: deque[_Attempt], waiting: deque[_Attempt], outcomes: list[_Outcome]
    ) -> None:
        try:
            data = worker.channel.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the process is exiting (or closed our socket): wait for its status
            self._on_death(worker, again, waiting, outcomes)
            return
        try:
            messages = worker.reader.feed(data)
        except ProtocolError as exc:
            log.warning("worker %s garbled its channel: %s", worker.pid, exc)
            self._lose(
                worker,
                FailureKind.CRASH,
                f"the worker's channel was corrupted ({exc})",
                again,
                waiting,
                outcomes,
                grace=0.0,
            )
            return
        for message in messages:
            self._on_message(worker, message, outcomes)

    def _on_message(self, worker: _Worker, message: WorkerMessage, outcomes: list[_Outcome]) -> None:
        now = time.monotonic()
        worker.cpu = message.cpu
        if isinstance(message, Ready):
            worker.ready = True
            self._startup_failures = 0
            self.stats.startup_seconds += now - worker.spawned_at
            self._start_clock(worker, now)  # its first job waited for the start-up
            return
        if not worker.queue or message.id != worker.queue[0].id:
            # A worker moved beside still had jobs it was sent before they went to others: its answers to
            # those are expected and dropped. From any other worker this is a bug worth seeing.
            level = logging.DEBUG if worker.beside else logging.WARNING
            log.log(level, "worker %s sent an unexpected message: %.200r", worker.pid, message)
            return
        attempt = worker.queue.popleft()
        self._start_clock(worker, now)  # the queued job started when this answer was sent
        worker.last_load = message.seconds
        if self.journal:
            self.journal.done(attempt.job.file.path)
        outcomes.append((attempt, message))
        if worker.beside:  # its one retry is done
            self._retire(worker)
            return
        if worker.assigned >= self.recycle_after:
            worker.retiring = "count"
        elif message.rss_mb > self.max_rss_mb and not worker.retiring:
            log.info("recycling worker %s at %.0f MB", worker.pid, message.rss_mb)
            worker.retiring = "memory"
        if worker.retiring and not worker.queue:
            if worker.retiring == "count":
                self.stats.recycled_by_count += 1
            else:
                self.stats.recycled_by_memory += 1
            self._retire(worker)

    def _on_death(
        self, worker: _Worker, again: deque[_Attempt], waiting: deque[_Attempt], outcomes: list[_Outcome]
    ) -> None:
        self._drain(worker, outcomes)  # answers written just before dying still count
        if self._alive(worker):  # not already recycled by one of those answers
            self._lose(worker, FailureKind.CRASH, "", again, waiting, outcomes, grace=EXIT_GRACE)

    def _on_deadline(
        self, worker: _Worker, again: deque[_Attempt], waiting: deque[_Attempt], outcomes: list[_Outcome]
    ) -> None:
        timeout = worker.queue[0].job.timeout
        self._lose(
            worker,
            FailureKind.TIMEOUT,
            f"no answer within {timeout:g} s; the worker was killed",
            again,
            waiting,
            outcomes,
            grace=0.0,
        )

    def _lose(
        self,
        worker: _Worker,
        kind: FailureKind,
        message: str,
        again: deque[_Attempt],
        waiting: deque[_Attempt],
        outcomes: list[_Outcome],
        *,
        grace: float,
    ) -> None:
        """A worker is gone or must go: charge its loading job, hand the queued ones out again."""
        loading, queued, ready = (worker.queue[0] if worker.queue else None), list(worker.queue)[1:], worker.ready
        demand = _process_demand(worker.pid) if kind is FailureKind.TIMEOUT else None  # before it is killed
        ended = self._retire(worker, grace)
        code = ended.code if ended else None
        waiting.extendleft(reversed(queued))
        if not ready:  # the environment's fault, not the job's: try the job again as if new
            if loading:
                waiting.appendleft(loading)
            self._startup_failures += 1
            if self._startup_failures >= MAX_STARTUP_FAILURES:
                raise StageError(
                    f"scan workers fail to start ({_describe_exit(code)}, {self._startup_failures} in a row)",
                    fix="check that `python -m pluginary.scanning.zygote` can import pluginary and pedalboard",
                )
            return
        if loading is None:
            log.info("idle worker %s died (%s)", worker.pid, _describe_exit(code))
            return
        signal_number = exit_code = None
        if kind is FailureKind.CRASH:
            self.stats.crashes += 1
            message = message or _describe_exit(code)
            if code is not None and code < 0:
                signal_number = -code
            else:
                exit_code = code
        else:
            self.stats.timeouts += 1
        path = loading.job.file.path
        if loading.number <= self.retries:
            # A hang that left the CPU idle can wait out its retry beside the scan. Whether it wanted the
            # CPU (run-queue time counted, as on a loaded machine) is known where the load was looked at.
            if demand is not None and (last := worker.last_look) is not None and last.demand is not None:
                idle = _Look(time.monotonic(), 0.0, demand).waited_since(last)
            else:
                idle = (
                    kind is FailureKind.TIMEOUT
                    and ended is not None
                    and _little(ended.cpu - worker.cpu, loading.job.timeout)  # over the whole attempt
                )
            log.info("%s: %s; trying again in a fresh worker%s", path, message, " beside the pool" if idle else "")
            self.stats.retries += 1
            self.stats.retries_beside += idle
            again.append(_Attempt(loading.job, loading.number + 1, beside=idle))
            return
        if self.journal:
            self.journal.done(path)
        now = _now_iso()
        failure = ScanFailure(
            path=path,
            format=loading.job.format,
            fingerprint=loading.job.file.fingerprint,
            kind=kind,
            message=message,
            signal=signal_number,
            exit_code=exit_code,
            attempts=loading.number,
            first_seen=now,
            last_seen=now,
        )
        outcomes.append((loading, failure))

    def _drain(self, worker: _Worker, outcomes: list[_Outcome]) -> None:
        while self._alive(worker):
            try:
                data = worker.channel.recv(READ_SIZE)
                messages = worker.reader.feed(data) if data else []
            except (OSError, ProtocolError):
                return
            for message in messages:
                self._on_message(worker, message, outcomes)
            if not data:
                return

    # ------------------------------------------------------------------ workers

    def _workers(self) -> list[_Worker]:
        """Every live worker: the slots' and those beside them."""
        return [w for w in self._slots if w is not None] + self._beside

    def _beside_room(self) -> int:
        """How many more workers may wait beside the pool: BESIDE_PER_WORKER per slot in all."""
        return BESIDE_PER_WORKER * self.size - len(self._beside)

    def _alive(self, worker: _Worker) -> bool:
        return worker in self._slots or worker in self._beside  # a _Worker equals only itself (eq=False)

    def _retire(self, worker: _Worker, grace: float = 0.0) -> WorkerExit | None:
        """Forget a worker, SIGKILLing it unless it ends by itself within `grace`; return how it ended."""
        self._selector.unregister(worker.channel)
        worker.channel.close()
        if worker.beside:
            self._beside.remove(worker)
        else:
            self._slots[self._slots.index(worker)] = None
        ended = self._zygote.exit_status(worker.pid, grace)
        if ended is None:
            self._zygote.kill(worker.pid)
            ended = self._zygote.exit_status(worker.pid, 10.0)
        if ended is None:  # stuck in the kernel (uninterruptible I/O): nothing more we can do
            log.error("worker %s survives SIGKILL; leaving it", worker.pid)
        return ended

    def _abandon(self) -> None:
        """The run was cut short: kill every worker, journal its files as cancelled, not suspect."""
        held = [attempt.job.file.path for w in self._workers() for attempt in w.queue]
        for worker in self._workers():
            self._retire(worker)
        if self.journal and held:
            self.journal.cancel(held)

    # ------------------------------------------------------------------ results

    def _result(self, attempt: _Attempt, outcome: WorkerMessage | ScanFailure) -> FileResult:
        job = attempt.job
        if isinstance(outcome, ScanFailure):
            return FileResult(file=job.file, failure=outcome)
        if isinstance(outcome, Failed):
            failed = self._error(attempt, f"{outcome.error}: {outcome.message}")
            return attrs.evolve(failed, warnings=tuple(outcome.warnings))
        assert isinstance(outcome, Result)  # _on_message passes on nothing else
        return FileResult(
            file=job.file,
            plugins=tuple(outcome.plugins),
            presets=tuple(outcome.presets),
            warnings=tuple(outcome.warnings),
        )

    def _error(self, attempt: _Attempt, message: str) -> FileResult:
        now = _now_iso()
        job = attempt.job
        failure = ScanFailure(
            path=job.file.path,
            format=job.format,
            fingerprint=job.file.fingerprint,
            kind=FailureKind.ERROR,
            message=message,
            attempts=attempt.number,
            first_seen=now,
            last_seen=now,
        )
        return FileResult(file=job.file, failure=failure)


def _queue_depth(last_load: float | None) -> int:
    """How many jobs a worker may hold: the one it loads, plus, if its loads are quick, enough to outlast
    a nap even when the machine wakes the scanner late (three naps' worth)."""
    if last_load is None or last_load >= PIPELINE_BELOW:
        return 1
    return min(MAX_QUEUE, 2 + int(3 * NAP / max(last_load, NAP / MAX_QUEUE)))


def _first_look(now: float, timeout: float) -> float:
    """When a load starting now is first looked at for waiting: a quarter into its deadline, at most IDLE_CHECK."""
    return now + min(timeout / 4, IDLE_CHECK)


def _next_look(now: float, deadline: float) -> float | None:
    """When a busy load is looked at again: halfway to its deadline, at most IDLE_CHECK on; None when too
    little time is left for a verdict (which may take DEMAND_WINDOW) to free its slot before the deadline."""
    left = deadline - now
    return now + min(IDLE_CHECK, left / 2) if left > 2 * DEMAND_WINDOW else None


def _process_cpu(pid: int) -> float | None:
    """CPU seconds a running process has used, from Linux's /proc; None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()  # after the command name, which may hold spaces
    except OSError:
        return None
    # utime and stime, fields 14 and 15 of proc(5), in clock ticks; [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _runnable(pid: int) -> bool:
    """Whether any thread of the process is running or waiting for a core now (state R); False when
    every thread sleeps (or the process cannot be read: then the demand check decides)."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            if stat.read_bytes().rpartition(b")")[2].split()[0] == b"R":
                return True
        except (OSError, IndexError):
            continue
    return False


def _process_demand(pid: int) -> float | None:
    """Seconds a process's threads have run on a CPU or waited in the run queue for one, from Linux's
    schedstat; None where that cannot be read. A thread blocked on a lock or a socket adds to neither."""
    total_ns = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/schedstat", "rb") as stat:
                on_cpu, waiting, _slices = stat.read().split()
            total_ns += int(on_cpu) + int(waiting)
    except (OSError, ValueError):
        return None
    return total_ns / 1e9


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker died"
    if code < 0:
        try:
            return f"the worker was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"the worker was killed by signal {-code}"
    return f"the worker exited with status {code}"
