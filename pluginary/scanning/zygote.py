"""Cheap worker processes: a zygote forks them with everything already imported.

Starting a Python interpreter and importing pedalboard costs ~0.3 s of CPU; a
scan that meets crashing and hanging plugins replaces a worker for each one.
So the scanner starts one zygote process (`python -m pluginary.scanning.zygote`)
that imports the worker module and pedalboard once and then forks a worker on
request, in a few milliseconds. The zygote loads no plugin, so every fork is
a fresh worker.

Protocol on the control socket (AF_UNIX datagrams, one JSON object each):
the scanner sends the worker's arguments (`worker.serve`'s keywords) with the
worker's end of a new socket attached (SCM_RIGHTS); the zygote answers `{"spawned": pid}` and, when a worker
ends, `{"exited": pid, "code": c}` (negative: killed by signal -c). Datagrams
have no end-of-file, so the zygote's stdin is a pipe from the scanner: when the
scanner closes it, or dies, the zygote exits, and its workers die with it
(`PR_SET_PDEATHSIG`, set by each worker). The zygote does not use that signal
itself: it would fire when the scanner *thread* that started it ends.

This is multiprocessing's fork server minus what a library cannot impose on
its callers: re-importing the caller's `__main__` in every worker.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from typing import Any, NamedTuple

from pluginary.core.errors import StageError

log = logging.getLogger(__name__)

#: Imported by the zygote so forked workers start with them loaded: the worker and the
#: readers of the formats that load plugin code through their own ABI. pedalboard is
#: not among them: VST3 uses it only as a fallback, so a worker imports it on the rare
#: bundle that needs it instead of every scan paying ~150 ms to start the zygote.
PRELOAD = ("pluginary.scanning.worker", "pluginary.formats.vst3", "pluginary.formats.clap")
#: The first spawn waits for the zygote to start and import PRELOAD.
START_TIMEOUT = 60.0
_MAX_DATAGRAM = 4096

# ---------------------------------------------------------------- scanner side


class WorkerExit(NamedTuple):
    """How a worker ended: exit code (negative: killed by that signal) and CPU seconds it used in all."""

    code: int
    cpu: float


class Zygote:
    """The scanner's handle on its zygote process (started on first use)."""

    def __init__(self) -> None:
        self._control: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._exits: dict[int, WorkerExit] = {}

    def fileno(self) -> int:
        """Readable when the zygote reports that a worker ended (for the scanner's selector)."""
        return self._start().fileno()

    def spawn(self, **arguments: Any) -> tuple[int, socket.socket]:
        """Fork a worker running `worker.serve(channel, **arguments)`; return its pid and our end of the channel."""
        control = self._start()
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(control, [json.dumps(arguments).encode()], [theirs.fileno()])
        except OSError as exc:
            raise self._gone(exc) from exc
        finally:
            theirs.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            message = self._receive(deadline - time.monotonic())
            if message is None:
                ours.close()
                raise self._gone(TimeoutError(f"no answer within {START_TIMEOUT:g} s"))
            if "spawned" in message:
                return int(message["spawned"]), ours

    def collect(self) -> list[int]:
        """Read the exit reports that have arrived; return the pids that ended."""
        ended = []
        while (message := self._receive(0.0)) is not None:
            if "exited" in message:
                ended.append(int(message["exited"]))
        return ended

    def exit_status(self, pid: int, timeout: float) -> WorkerExit | None:
        """How the worker ended, waiting up to `timeout` for it to end; None if it still runs."""
        deadline = time.monotonic() + timeout
        while pid not in self._exits:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._receive(remaining) is None:
                return None
        return self._exits.pop(pid)

    def kill(self, pid: int) -> None:
        """SIGKILL a worker unless its end was already reported (its pid may be reused)."""
        self.collect()
        if pid not in self._exits:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop the zygote: closing its stdin makes it exit."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _start(self) -> socket.socket:
        if self._control is None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            config = {"sys_path": sys.path, "preload": PRELOAD}
            env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # no threads to fork
            self._process = subprocess.Popen(
                [sys.executable, "-m", "pluginary.scanning.zygote", str(theirs.fileno()), json.dumps(config)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                env=env,
            )
            theirs.close()
            self._control = ours
        return self._control

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        """One message from the zygote within `timeout`, exit reports filed as they pass."""
        control = self._start()
        control.settimeout(max(timeout, 0.0))
        try:
            data = control.recv(_MAX_DATAGRAM)
        except (BlockingIOError, TimeoutError):
            return None
        message: dict[str, Any] = json.loads(data)
        if "exited" in message:
            self._exits[int(message["exited"])] = WorkerExit(int(message["code"]), float(message["cpu"]))
        return message

    def _gone(self, cause: Exception) -> StageError:
        code = self._process.poll() if self._process else None
        return StageError(
            f"the scan's worker zygote stopped working ({cause}; exit status {code})",
            fix="run with -v to see its output; check that `python -m pluginary.scanning.zygote` can start",
        )


# ---------------------------------------------------------------- zygote side


def _fork_worker(control: socket.socket, wakeup: tuple[int, int], request: dict[str, Any], fd: int) -> int:
    """Fork; in the child, become a worker serving `fd` and never return."""
    pid = os.fork()
    if pid:
        os.close(fd)
        return pid
    code = 1
    try:  # shed the zygote's machinery first
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        control.close()
        for end in wakeup:
            os.close(end)
        from pluginary.scanning.worker import serve

        serve(socket.socket(fileno=fd), **request)
        code = 0
    except BaseException:
        log.exception("worker %s failed", os.getpid())
    finally:
        os._exit(code)


def _tell(control: socket.socket, message: dict[str, Any]) -> None:
    try:
        control.send(json.dumps(message).encode())
    except OSError:  # the scanner is gone: so are we (and, with us, every worker)
        raise SystemExit(0) from None


def _report_exits(control: socket.socket) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        cpu = usage.ru_utime + usage.ru_stime
        _tell(control, {"exited": pid, "code": os.waitstatus_to_exitcode(status), "cpu": cpu})


def main(control_fd: int, config: dict[str, Any]) -> None:
    """The zygote's loop: fork a worker per request, report every worker's end."""
    sys.path[:] = config["sys_path"]
    for name in config["preload"]:
        try:
            __import__(name)
        except ImportError as exc:
            log.warning("zygote cannot preload %s: %s", name, exc)
    control = socket.socket(fileno=control_fd)
    wakeup = os.pipe()
    for end in wakeup:
        os.set_blocking(end, False)
    signal.set_wakeup_fd(wakeup[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so SIGCHLD wakes the selector
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scanner's to handle
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wakeup[0], selectors.EVENT_READ)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj == sys.stdin.fileno():
                if not os.read(key.fd, 512):
                    return  # the scanner closed our stdin or died: done
                continue
            if key.fileobj == wakeup[0]:
                while True:
                    try:
                        os.read(wakeup[0], 512)
                    except BlockingIOError:
                        break
                _report_exits(control)
                continue
            data, fds, _, _ = socket.recv_fds(control, _MAX_DATAGRAM, 1)
            for fd in fds:
                _tell(control, {"spawned": _fork_worker(control, wakeup, json.loads(data), fd)})


if __name__ == "__main__":
    main(int(sys.argv[1]), json.loads(sys.argv[2]))
