"""Scans started from the page: one child process at a time (`scan_process`), its events kept
for every listener.

The child writes one JSON line per observer hook call; a reader thread appends them to the
scan's event list, and each server-sent-event stream replays that list from where its
client is (`Last-Event-ID`), so a page opened mid-scan, or reconnecting, misses nothing.
Cancel sends SIGINT: the child takes the same path as Ctrl-C on `pluginary scan`.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import json
import logging
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pluginary.core.errors import PluginaryError

log = logging.getLogger(__name__)

#: Scans kept for `GET /api/v1/scans` after they end.
KEEP = 10
#: How long shutting down waits for a cancelled scan to store what it finished.
SHUTDOWN_WAIT = 30.0
#: How often a stream looks for new events, and how often it sends a comment to keep proxies open.
POLL = 0.1
HEARTBEAT = 15.0


class ScanBusyError(PluginaryError):
    """A scan started from this server is still running."""


class Scan:
    """One child process running the scan pipeline, and what it reported so far."""

    def __init__(self, command: list[str]) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self.events: list[dict[str, Any]] = []
        self.status = "running"
        self.total: int | None = None
        self.stage = ""
        self.current = ""
        self.failed = 0
        self.summary: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.exit_code: int | None = None
        self._done: set[str] = set()
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._lock = threading.Lock()
        self._cancelled = False
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # the server's Ctrl-C reaches it through our shutdown, once
        )
        threading.Thread(target=self._read_stderr, name=f"scan-{self.id}-stderr", daemon=True).start()
        self._reader = threading.Thread(target=self._read_events, name=f"scan-{self.id}", daemon=True)
        self._reader.start()

    @property
    def running(self) -> bool:
        return self.status == "running"

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "id": self.id,
                "status": self.status,
                "started_at": self.started_at,
                "stage": self.stage,
                "total": self.total,
                "done": len(self._done),
                "failed": self.failed,
                "current": self.current,
                "summary": self.summary,
                "error": self.error,
                "exit_code": self.exit_code,
                "events": len(self.events),
            }

    def cancel(self) -> None:
        """Ctrl-C for the child: it stops its workers and keeps every finished batch."""
        if self.running and self.process.poll() is None:
            self._cancelled = True
            self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float) -> None:
        self._reader.join(timeout)

    def _add(self, event: dict[str, Any]) -> None:
        with self._lock:
            kind = event.get("type")
            if kind == "stage":
                self.stage = str(event.get("stage", ""))
                if event.get("total") is not None:
                    self.total = int(event["total"])
            elif kind == "scanned":
                self._done.add(str(event.get("path")))
                self.current = str(event.get("name", ""))
            elif kind == "failed":
                self._done.add(str(event.get("path")))
                self.failed += 1
                self.current = str(event.get("path", ""))
            elif kind == "finished":
                self.summary = event.get("summary")
            elif kind == "error":
                self.error = {key: event.get(key, "") for key in ("what", "where", "fix", "message")}
            event = {**event, "done": len(self._done), "total": self.total, "failed": self.failed}
            self.events.append(event)

    def _read_events(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                log.warning("scan %s: unreadable event %r", self.id, line[:200])
                continue
            if isinstance(event, dict):
                self._add(event)
        code = self.process.wait()
        if code != 0 and self.error is None and not self._cancelled:
            last = self._stderr[-1] if self._stderr else f"exit status {code}"
            self.error = {"what": f"the scan failed: {last}", "where": "scan", "fix": "see the server's log",
                          "message": last}  # fmt: skip
            log.error("scan %s failed (exit %s):\n%s", self.id, code, "".join(self._stderr))
        status = "cancelled" if self._cancelled else "finished" if code == 0 else "failed"
        with self._lock:
            self.exit_code = code
        self._add({"type": "end", "status": status, "exit_code": code, "error": self.error})
        with self._lock:
            self.status = status

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)
            log.info("scan %s: %s", self.id, line.rstrip())

    async def stream(self, start: int) -> AsyncIterator[bytes]:
        """Server-sent events from index `start` until the scan's end event."""
        index, quiet = start, 0.0
        while True:
            with self._lock:
                fresh = self.events[index:]
            for event in fresh:
                yield f"id: {index}\ndata: {json.dumps(event)}\n\n".encode()
                index += 1
                if event.get("type") == "end":
                    return
            if not fresh:
                quiet += POLL
                if quiet >= HEARTBEAT:
                    quiet = 0.0
                    yield b": still scanning\n\n"
                await asyncio.sleep(POLL)


class Scans:
    """The scans of one server: at most one running; the last few kept to look at."""

    def __init__(self, catalog: Path, backend: str | None) -> None:
        self.catalog = catalog
        self.backend = backend
        self._scans: collections.OrderedDict[str, Scan] = collections.OrderedDict()
        self._lock = threading.Lock()

    def start(self, *, full: bool = False, retry_failed: bool = False, paths: list[str] | None = None) -> Scan:
        command = [sys.executable, "-m", "pluginary.server.scan_process", "--catalog", str(self.catalog)]
        command += ["--full"] * full + ["--retry-failed"] * retry_failed + ["--", *(paths or [])]
        with self._lock:
            running = [scan for scan in self._scans.values() if scan.running]
            if running:
                raise ScanBusyError(
                    "a scan is already running", where=f"scan {running[0].id}", fix="wait for it or cancel it"
                )
            scan = Scan(command)
            self._scans[scan.id] = scan
            while len(self._scans) > KEEP:
                self._scans.popitem(last=False)
        return scan

    def find(self, scan_id: str) -> Scan | None:
        with self._lock:
            return self._scans.get(scan_id)

    def all(self) -> list[Scan]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._scans.values()))

    def shutdown(self) -> None:
        """Cancel a running scan and give it the time to store what it finished."""
        for scan in self.all():
            if scan.running:
                scan.cancel()
                scan.wait(SHUTDOWN_WAIT)
