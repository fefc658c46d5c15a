"""The worker process: loads plugins one after another for the scanner.

The scanner (`pluginary.scanning.pool`) starts this as a child process and speaks
`pluginary.scanning.protocol` with it over a private socket. The worker is where
plugin code runs: a plugin may print, crash, call `exit()` or hang here, and
the scanner only sees the socket close or the deadline pass.

The worker decides nothing; it journals the start of each load (only it knows
when a job queued behind another one starts), and answers each job with the
plugins found or the exception the format raised, plus its resident memory so the scanner can recycle it.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pluginary.core.components import instantiate
from pluginary.core.interfaces import PluginFormat, PresetFiles, ScanSettings
from pluginary.core.models import Plugin, Preset
from pluginary.scanning.journal import Journal
from pluginary.scanning.protocol import Failed, JobReader, Ready, Result, Scan, encode, write_frame, write_message

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _above_stdio(fd: int) -> int:
    """The same open file on a descriptor above 2 (fds 0-2 are about to be replaced)."""
    if fd > 2:
        return fd
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return high


def _isolate(channel: socket.socket, log_path: str | None) -> int:
    """Keep the channel on a private fd and point fds 0, 1 and 2 elsewhere; return the channel fd.

    Done first, before any plugin code can run: whatever a plugin writes to
    stdout or stderr (DPF plugins print at load and teardown) lands in
    /dev/null or the worker's log file, never in the channel.
    """
    fd = _above_stdio(channel.detach())
    sink = _above_stdio(os.open(log_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
    source = _above_stdio(os.open(os.devnull, os.O_RDONLY))
    os.dup2(source, 0)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.close(source)
    os.close(sink)
    return fd


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies.

    If the scanner is killed (kill -9, OOM) a worker stuck in a hanging plugin
    would otherwise run on forever; waiting for the socket to close only helps
    a worker that is idle. The worker's parent is the zygote, which exits
    when the scanner does.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def usage() -> tuple[float, float]:
    """Peak resident memory of this process in MB (it only grows as plugins leak) and the CPU seconds
    it has used, from one system call."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak = own.ru_maxrss / 1e6 if sys.platform == "darwin" else own.ru_maxrss / 1024  # bytes on macOS, else KiB
    return peak, own.ru_utime + own.ru_stime


class _Formats:
    """Format components by name, instantiated once per worker."""

    def __init__(self) -> None:
        self._cache: dict[str, PluginFormat] = {}

    def get(self, name: str) -> PluginFormat:
        if name not in self._cache:
            self._cache[name] = instantiate("format", name)
        return self._cache[name]


class WarningCollector(logging.Handler):
    """Keeps what formats log at WARNING or above during one job, so the user sees it.

    Bounded: a bundle that warns about every one of its files must not grow the
    answer without limit.
    """

    MAX_WARNINGS = 50
    MAX_LENGTH = 1_000

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) >= self.MAX_WARNINGS:
            self.dropped += 1
            return
        try:
            text = record.getMessage()
        except Exception:  # a format's bad format string must not lose the job
            text = str(record.msg)
        self.messages.append(_clean(text)[: self.MAX_LENGTH])

    def take(self) -> list[str]:
        """The warnings so far (and a count of those left out), then start afresh."""
        taken = self.messages + ([f"… and {self.dropped} more warnings"] if self.dropped else [])
        self.messages, self.dropped = [], 0
        return taken


def _clean(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode()  # no lone surrogates on the channel


def answer(job: Scan, formats: _Formats, warnings: WarningCollector) -> bytes:
    """Scan one bundle and describe the outcome as an encoded frame (never raises)."""
    started = time.perf_counter()
    try:
        found = read(formats.get(job.format), Path(job.path), job.settings)
        plugins = [item for item in found if isinstance(item, Plugin)]
        presets = [item for item in found if isinstance(item, Preset)]
        seconds = time.perf_counter() - started
        return encode(Result(job.id, plugins, seconds, *usage(), warnings=warnings.take(), presets=presets))
    except Exception as exc:  # the plugin refused to load, or described itself in invalid text: report it
        log.info("%s: %s: %s", job.path, type(exc).__name__, exc)
        seconds = time.perf_counter() - started
        failed = Failed(job.id, type(exc).__name__, _clean(str(exc)), seconds, *usage(), warnings=warnings.take())
        return encode(failed)


def read(fmt: PluginFormat, path: Path, settings: ScanSettings) -> Sequence[Plugin | Preset]:
    """What one discovered file holds: a preset file's presets, or a bundle's plugins (and presets)."""
    if isinstance(fmt, PresetFiles) and path.name.lower().endswith(fmt.preset_suffixes):
        return fmt.read_presets(path)
    return fmt.scan(path, settings)


def serve(
    channel: socket.socket, log_path: str | None = None, journal_path: str | None = None, token: str = "worker"
) -> None:
    """Run jobs from `channel` until the scanner closes it (the process entry point).

    `token` names this worker in the journal at `journal_path`.
    """
    fd = _isolate(channel, log_path)
    # Ctrl-C is the scanner's to handle: it kills the workers. A worker that
    # died of SIGINT first would look like a crash of the plugin it held.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if log_path:
        logging.basicConfig(
            level=logging.INFO,
            stream=sys.stderr,
            force=True,
            format=f"%(asctime)s worker {os.getpid()} %(levelname)s %(name)s: %(message)s",
        )
    warnings = WarningCollector()
    logging.getLogger().addHandler(warnings)
    write_message(fd, Ready(os.getpid(), *usage()))
    journal = Journal(Path(journal_path)) if journal_path else None
    formats = _Formats()
    jobs = JobReader(fd)
    while (job := jobs.next()) is not None:
        log.info("scanning %s", job.path)
        if journal:
            journal.start(job.path, token)
        write_frame(fd, answer(job, formats, warnings))
