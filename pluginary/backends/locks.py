"""Who holds a catalogue, and the writer lock a whole scan takes.

SQLite reports another writer only as "database is locked". The user needs to know
which process that is and what to do, so a lock error names it: the holder of SQLite's
write lock as Linux lists it in /proc/locks (any program, not only ours), else the pid a
scanner wrote into its lock file.

A scan writes in many short transactions, one per batch; between them another scan could
start and redo all the work (loading every crashing plugin again). `WriterLock` is held
for the whole scan instead: an `fcntl.flock` on `<catalogue>.lock`, which the kernel
releases when its holder exits, however it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from pathlib import Path

from pluginary.core.errors import CatalogError

#: Seconds a writer waits for another to finish before it gives up with a CatalogError.
BUSY_TIMEOUT = 5.0

#: Where SQLite's unix VFS takes its write locks (a POSIX lock on one byte): the WAL write
#: lock in `<file>-shm`, and the RESERVED byte of the file itself in rollback-journal mode.
_WAL_WRITE_BYTE = 120
_RESERVED_BYTE = 0x40000001


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether `exc` says another connection holds the lock it needed."""
    code = getattr(exc, "sqlite_errorname", "")
    return code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def locked_error(path: Path) -> CatalogError:
    """The one-line error for a catalogue another process keeps locked past BUSY_TIMEOUT."""
    holders = lock_holders(path) or _lock_file_holders(path)
    who = ", ".join(f"pid {pid}{_command(pid)}" for pid in holders) or "another program"
    stop = f" (or stop it: kill {' '.join(map(str, holders))})" if holders else ""
    return CatalogError(
        f"the catalogue is locked by {who}, still writing after {BUSY_TIMEOUT:g} s",
        where=str(path),
        fix=f"wait for it to finish, then run this again{stop}",
    )


def lock_holders(path: Path) -> list[int]:
    """Pids holding SQLite's write lock on the catalogue at `path`, from /proc/locks (Linux); [] elsewhere."""
    wanted: dict[tuple[int, int, int], int] = {}
    for file, byte in ((path.with_name(path.name + "-shm"), _WAL_WRITE_BYTE), (path, _RESERVED_BYTE)):
        with contextlib.suppress(OSError):
            stat = file.stat()
            wanted[(os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino)] = byte
    try:
        table = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    pids: list[int] = []
    for line in table.splitlines():
        # "3: POSIX  ADVISORY  WRITE 1234 fe:00:5678 120 120" (a waiting request has "->" after the number)
        fields = line.split()
        if len(fields) != 8 or fields[1] != "POSIX" or fields[3] != "WRITE":
            continue
        try:
            major, minor, inode = fields[5].split(":")
            byte = wanted.get((int(major, 16), int(minor, 16), int(inode)), -1)
            start, end = int(fields[6]), (byte if fields[7] == "EOF" else int(fields[7]))
            pid = int(fields[4])
        except ValueError:
            continue
        if byte >= 0 and start <= byte <= end and pid not in pids:
            pids.append(pid)
    return pids


def _command(pid: int) -> str:
    """ ": pluginary scan …" for a pid, from /proc; "" where it cannot be read."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    words = [os.fsdecode(arg) for arg in argv if arg]
    if len(words) > 2 and Path(words[0]).name.startswith("python") and words[1] == "-m":
        words = words[2:]  # python3 -m pluginary scan → pluginary scan
    shown = [Path(words[0]).name, *words[1:4]] if words else []
    # One line whatever the arguments hold (a `python -c` script has newlines).
    text = " ".join("".join(char if char.isprintable() else " " for char in " ".join(shown)).split())
    return f": {text[:60]}" if text else ""


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _lock_file_holders(path: Path) -> list[int]:
    """The pid a `WriterLock` holder wrote, while that lock is still held."""
    try:
        with _lock_path(path).open(encoding="ascii") as stream:
            try:
                fcntl.flock(stream, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = stream.read().strip()
                return [int(text)] if text.isdigit() else []
            return []  # nobody holds it: a pid left in it is stale
    except OSError:
        return []


class WriterLock:
    """One writer for a whole scan: `fcntl.flock` on `<catalogue>.lock`, holding the holder's pid.

    Acquired on construction, waiting up to `wait` seconds for another holder;
    refused with a CatalogError naming that holder. `release` (or the holder's exit)
    frees it. The file stays: removing a lock file races with the next taker.
    """

    def __init__(self, catalog: Path, *, wait: float = BUSY_TIMEOUT) -> None:
        self.path = _lock_path(catalog)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    holders = _lock_file_holders(catalog)
                    who = ", ".join(f"pid {pid}{_command(pid)}" for pid in holders) or "another process"
                    raise CatalogError(
                        f"another scan is writing this catalogue ({who})",
                        where=str(catalog),
                        fix="wait for it to finish (it stores what it scans), then run this again",
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None
