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

A full disk, a read-only folder or a permission problem raises `StageError`
saying what, where and what to do; the old file is left as it was.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

import attrs

from pluginary.core.errors import StageError
from pluginary.core.interfaces import OutputFile

Status = Literal["created", "changed", "unchanged"]

#: Timestamped backups kept per file; older ones are removed after a new one is written.
KEEP_BACKUPS = 5
BACKUP_TIME_FORMAT = "%Y%m%d-%H%M%S"


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
    changes = []
    for output in files:
        old = _read(output.path)
        if old == output.content:
            changes.append(OutputChange(output.path, "unchanged"))
            continue
        status: Status = "created" if old is None else "changed"
        if dry_run:
            changes.append(OutputChange(output.path, status, diff(output.path, old, output.content)))
            continue
        # A DAW file symlinked into a dotfiles repository: replace the file it points to, keep the link.
        destination = output.path.resolve() if output.path.is_symlink() else output.path
        saved = _backup(destination) if backup and old is not None else None
        _write_atomically(destination, output.content)
        changes.append(OutputChange(output.path, status, backup=saved))
    return changes


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
        match = _BACKUP.fullmatch(candidate.name[len(path.name):]) if candidate.name.startswith(path.name) else None
        if match:
            found.append(((match[1], int(match[2] or 1)), candidate))
    return sorted(found)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error("cannot read", path, exc) from exc


def _backup(path: Path) -> Path:
    stamp = datetime.now().strftime(BACKUP_TIME_FORMAT)
    # Several backups within one second are numbered after the highest already there.
    number = max((n for (when, n), _ in _stamped_backups(path) if when == stamp), default=0) + 1
    target = path.with_name(f"{path.name}.{stamp}.bak" if number == 1 else f"{path.name}.{stamp}-{number}.bak")
    try:
        shutil.copy2(path, target)
        for old in backups(path)[:-KEEP_BACKUPS]:
            old.unlink()
    except OSError as exc:
        raise _error("cannot back up", path, exc) from exc
    return target


def _write_atomically(path: Path, content: bytes) -> None:
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False) as handle:
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
