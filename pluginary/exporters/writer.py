"""Write what exporters render: only what changed, atomically, after a backup; or show the diff.

Exporters are pure: they return `OutputFile`s with the whole new content. The
export stage hands them to `write_outputs`, which for each file:

- compares it with what is on disk: an identical file is left alone (its mtime stays);
- on a dry run returns a unified diff (a one-line summary for binary files) and writes nothing;
- otherwise copies a file that will change to `<name>.<YYYYmmdd-HHMMSS>.bak`
  beside it (keeping the newest `KEEP_BACKUPS`), writes the new content to a
  temporary file in the same folder, fsyncs it and renames it over the old one,
  so a reader sees the old file or the new one, never half of either. A
  symlinked file is written through its link (the link stays).

A path that exists but is not a regular file (a device such as `/dev/full`, a
FIFO, a folder) is refused before any file is written, and never opened for
writing or read: reading a device can be endless, opening a FIFO can block.
The old file is read only when its content matters: to compare one of the
new file's size, or for a dry run's diff (a summary line above
`MAX_DIFF_BYTES`).

A full disk, a read-only folder or a permission problem raises `StageError`
saying what, where and what to do; the old file is left as it was, and no
temporary file or partial backup stays behind.
"""

from __future__ import annotations

import difflib
import errno
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

import attrs

from pluginary.core.errors import StageError
from pluginary.core.interfaces import OutputFile
from pluginary.exporters.common import file_type, not_a_file, read_regular

Status = Literal["created", "changed", "unchanged"]

logger = logging.getLogger(__name__)

#: Timestamped backups kept per file; older ones are removed after a new one is written.
KEEP_BACKUPS = 5
BACKUP_TIME_FORMAT = "%Y%m%d-%H%M%S"
#: A dry run shows a line diff of files up to this size, and a one-line summary of larger ones.
MAX_DIFF_BYTES = 64 * 1024 * 1024


@attrs.frozen
class OutputChange:
    """What writing (or, on a dry run, would writing) one file did."""

    path: Path
    status: Status
    #: Unified diff on a dry run (a summary line for binary content); empty otherwise.
    diff: str = ""
    #: The backup written before the file was replaced, if any.
    backup: Path | None = None


def write_outputs(files: Sequence[OutputFile], *, dry_run: bool, backup: bool = True) -> list[OutputChange]:
    """Write (or diff, on a dry run) each file; see the module docstring."""
    for output in files:  # all refused before any is written: a set of DAW files is never half-replaced
        if file_type(output.path) not in (None, stat.S_IFREG):
            raise not_a_file(output.path)
    changes = []
    for output in files:
        status, old = _old(output.path, output.content, dry_run=dry_run)
        if status == "unchanged":
            changes.append(OutputChange(output.path, "unchanged"))
            continue
        if dry_run:
            shown = (
                diff(output.path, old, output.content)
                if old is not None or status == "created"
                else (
                    f"File {output.path} differs ({output.path.stat().st_size} → {len(output.content)} bytes, "
                    "too large to show)\n"
                )
            )
            changes.append(OutputChange(output.path, status, shown))
            continue
        # A DAW file symlinked into a dotfiles repository: replace the file it points to, keep the link.
        destination = output.path.resolve() if output.path.is_symlink() else output.path
        saved = _backup(destination) if backup and status == "changed" else None
        try:
            _write_atomically(destination, output.content)
        except StageError:
            if saved is not None:
                saved.unlink(missing_ok=True)  # the old file is intact: a fresh copy of it is only litter
            raise
        if saved is not None:
            _prune(destination)
        changes.append(OutputChange(output.path, status, backup=saved))
    return changes


def _old(path: Path, new: bytes, *, dry_run: bool) -> tuple[Status, bytes | None]:
    """What writing `new` to `path` would be, and the old content where it was needed to tell (or to
    show, on a dry run). A file of another size has changed without being read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "created", None
    except OSError as exc:
        raise _error("cannot read", path, exc) from exc
    if size != len(new) and not (dry_run and size <= MAX_DIFF_BYTES):
        return "changed", None
    old = read_regular(path, limit=None, purpose="to compare it")
    if old is None:  # removed since the stat
        return "created", None
    return ("unchanged" if old == new else "changed"), old


def is_binary(content: bytes) -> bool:
    """Binary property lists, and anything that is not NUL-free UTF-8, get no line diff."""
    if content.startswith(b"bplist") or b"\0" in content:
        return True
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def diff(path: Path, old: bytes | None, new: bytes) -> str:
    """A unified diff from the file on disk (or nothing) to the new content."""
    if (old is not None and is_binary(old)) or is_binary(new):
        if old is None:
            return f"Binary file {path} would be created ({len(new)} bytes)\n"
        return f"Binary file {path} differs ({len(old)} → {len(new)} bytes)\n"
    before = old.decode("utf-8").splitlines(keepends=True) if old is not None else []
    after = new.decode("utf-8").splitlines(keepends=True)
    lines = difflib.unified_diff(
        before, after, fromfile="/dev/null" if old is None else f"a/{path}", tofile=f"b/{path}"
    )
    # A last line without a newline would glue itself to the next header.
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


_BACKUP = re.compile(r"\.(\d{8}-\d{6})(?:-(\d+))?\.bak")


def backups(path: Path) -> list[Path]:
    """The timestamped backups of `path`, oldest first."""
    return [candidate for _, candidate in _stamped_backups(path)]


def _stamped_backups(path: Path) -> list[tuple[tuple[str, int], Path]]:
    """Each backup with its (time stamp, number within that second), oldest first."""
    if not path.parent.is_dir():
        return []
    found = []
    for candidate in path.parent.iterdir():
        match = _BACKUP.fullmatch(candidate.name[len(path.name) :]) if candidate.name.startswith(path.name) else None
        if match:
            found.append(((match[1], int(match[2] or 1)), candidate))
    return sorted(found)


def _backup(path: Path) -> Path:
    stamp = datetime.now().strftime(BACKUP_TIME_FORMAT)
    # Several backups within one second are numbered after the highest already there.
    number = max((n for (when, n), _ in _stamped_backups(path) if when == stamp), default=0) + 1
    target = path.with_name(f"{path.name}.{stamp}.bak" if number == 1 else f"{path.name}.{stamp}-{number}.bak")
    try:
        shutil.copy2(path, target)
    except OSError as exc:
        target.unlink(missing_ok=True)  # a backup cut short by a full disk is no backup
        raise _error("cannot back up", path, exc) from exc
    return target


def _prune(path: Path) -> None:
    """Remove all but the newest `KEEP_BACKUPS` backups, once the new file is in place (so a failed
    write costs no backup); one that cannot be removed is only worth a warning then."""
    for old in backups(path)[:-KEEP_BACKUPS]:
        try:
            old.unlink()
        except OSError as exc:
            logger.warning("cannot remove the old backup %s: %s", old, exc.strerror or exc)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = Path(handle.name)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temporary)  # the new file keeps the old one's permissions
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
        temporary = None
        _fsync_folder(path.parent)
    except OSError as exc:
        raise _error("cannot write", path, exc) from exc
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder, which is fine."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _error(action: str, path: Path, exc: OSError) -> StageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = "free some disk space (or raise the quota) and run the export again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "make the folder writable for this user or choose another export path"
    else:
        fix = "check the export path and run again"
    reason = exc.strerror or type(exc).__name__
    return StageError(f"{action} {path.name}: {reason}; the previous file is unchanged", where=str(path), fix=fix)
