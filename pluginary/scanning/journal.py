"""The scan journal: which plugin files a scan is loading right now.

If the whole scan dies (kill -9, OOM, power loss) the plugin being loaded may
be the reason, and nothing else says which one it was. So right before a
worker loads a file it appends `start <worker> <path>` and forces it to disk;
when the file's result is known the scanner appends `done <path>` (no fsync).
Files a closing scan abandons (Ctrl-C, an early `break`) get `cancel <path>`:
they did nothing wrong.

`in_flight()` on the next run lists the files started but neither done nor
cancelled. A worker loads one file at a time, so its next `start` also closes
its previous one: a `done` lost in a power loss costs nothing. Paths are JSON
strings, so any character survives; a torn last line is ignored. Several
processes append to the file at once (O_APPEND keeps each line whole).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_START, _DONE, _CANCEL = "start", "done", "cancel"


class Journal:
    """An append-only journal file; its path is the caller's (e.g. next to the catalogue).

    One scan at a time may write a given journal. The file is created on the
    first write and removed by `clear()` at a clean end of the run.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def in_flight(self) -> list[str]:
        """Files a previous run started and never finished, in the order they were started."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        open_paths: dict[str, None] = {}
        loading: dict[str, str] = {}  # worker → the path it started last
        for line in text.splitlines():
            verb, _, rest = line.partition(" ")
            worker, _, quoted = rest.partition(" ") if verb == _START else ("", "", rest)
            try:
                path = json.loads(quoted)
            except ValueError:
                log.warning("%s: ignoring a damaged line: %r", self.path, line)
                continue
            if verb == _START:
                if worker in loading:
                    open_paths.pop(loading[worker], None)
                loading[worker] = path
                open_paths[path] = None
            elif verb in (_DONE, _CANCEL):
                open_paths.pop(path, None)
        return list(open_paths)

    def start(self, path: str, worker: str) -> None:
        """Record that `worker` (a token without spaces) is about to load `path`; on disk when this returns."""
        os.write(self._open(), f"{_START} {worker} {json.dumps(path)}\n".encode())
        os.fsync(self._open())

    def done(self, path: str) -> None:
        """Record that a file's result (plugins or failure) is known."""
        self._append(_DONE, (path,))

    def cancel(self, paths: Iterable[str]) -> None:
        """Record that loads were abandoned by the scanner, not ended by their plugins."""
        self._append(_CANCEL, paths)

    def clear(self) -> None:
        """Forget everything: the run ended cleanly."""
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _append(self, verb: str, paths: Iterable[str]) -> None:
        lines = "".join(f"{verb} {json.dumps(path)}\n" for path in paths)
        if lines:
            os.write(self._open(), lines.encode("utf-8"))

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            if not existed:
                _fsync_directory(self.path.parent)
        return self._fd


def _fsync_directory(folder: Path) -> None:
    """Make a new file's directory entry durable, so the journal itself survives a power loss."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
