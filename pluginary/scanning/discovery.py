"""Walking plugin folders: find bundles without descending into them, survive bad folders.

Vendors nest bundles in sub-folders, folders can be unreadable, and symlinks
can loop; none of that stops a scan, each is reported once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path

from pluginary.core.models import PluginFile

#: Called with a folder or bundle that could not be searched, and the warning to show. What the
#: catalogue holds under that path is kept: it may be unplugged or unreadable now, not uninstalled.
Skip = Callable[[Path, str], None]


def find_bundles(roots: Sequence[Path], suffixes: Sequence[str], skip: Skip) -> Iterator[Path]:
    """`find_bundle_paths` as Path objects, for callers that handle a few bundles rather than every preset file."""
    return map(Path, find_bundle_paths(roots, suffixes, skip))


def find_bundle_paths(roots: Sequence[Path], suffixes: Sequence[str], skip: Skip) -> Iterator[str]:
    """Every file or folder under `roots` whose name ends with one of `suffixes`, as a path string.

    A root that is itself a bundle is yielded as is. Each real folder is
    entered once, so symlink loops and roots that overlap end by themselves.
    What cannot be searched is passed to `skip` and left out: an unreadable
    folder or bundle, a link to a folder or bundle that is not there (an
    unplugged drive), a link loop, a bundle whose path is not valid UTF-8
    (bytes from another encoding, on Linux: neither the catalogue nor a DAW's
    plugin list can name it). Strings, not Paths: a preset folder holds
    thousands of files, and a Path for each was most of a no-change rescan.
    """
    lowered = tuple(suffix.lower() for suffix in suffixes)
    seen: set[tuple[int, int]] = set()
    for root in roots:
        if root.name.lower().endswith(lowered) and root.exists():
            yield os.fspath(root)
            continue
        top = os.fspath(root)
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                info = os.stat(folder)
            except OSError as exc:
                if folder is not top:
                    skip(Path(folder), f"{_shown(folder)}: cannot read ({exc.strerror}); skipped")
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                if os.path.islink(folder):
                    skip(Path(folder), f"{_shown(folder)}: symlink loop or folder seen already; skipped")
                continue
            seen.add(key)
            try:
                entries = sorted(os.scandir(folder), key=attrgetter("name"))
            except OSError as exc:
                skip(Path(folder), f"{_shown(folder)}: cannot list ({exc.strerror}); skipped")
                continue
            for entry in entries:
                path = entry.path
                if problem := _unreachable(entry):
                    skip(Path(path), f"{_shown(path)}: {problem}; skipped (the catalogue keeps what it holds there)")
                elif not entry.name.lower().endswith(lowered):
                    if _is_dir(entry):
                        stack.append(path)
                elif _is_utf8(path):
                    yield path
                else:
                    skip(Path(path), f"{_shown(path)}: the name is not valid UTF-8; skipped (rename it to scan it)")


def _unreachable(entry: os.DirEntry[str]) -> str | None:
    """Why a link or bundle folder cannot be followed or read, or None when it can."""
    try:
        if entry.is_symlink():
            os.stat(entry.path)  # follows the link: a missing target or a loop raises
        if entry.is_dir() and not os.access(entry.path, os.R_OK | os.X_OK):
            return "cannot read (Permission denied)"
    except OSError as exc:
        if entry.is_symlink():
            return f"a link to {_shown(os.readlink(entry.path))}, which cannot be reached ({exc.strerror})"
        return f"cannot read ({exc.strerror})"
    return None


def _is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept as lone surrogates by os.fsdecode
        return False
    return True


def _shown(path: str | Path) -> str:
    """The path as printable text, undecodable bytes as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks: a linked vendor folder is searched
    except OSError:
        return False


def plugin_file(bundle: str | Path, format_name: str, signature: Sequence[str | Path]) -> PluginFile:
    """The bundle as diff sees it: total size, newest mtime and a fingerprint of its signature files.

    Missing signature files are skipped; a bundle with none at all is still
    returned (its scan will say what is wrong with it). Plain strings and
    os.stat rather than pathlib: a no-change rescan of 10,000 bundles is mostly
    this function.
    """
    parts = []
    size = 0
    newest = 0
    folder = os.fspath(bundle)
    prefix = folder + os.sep
    for name in sorted(str(path) for path in signature):
        try:
            info = os.stat(name)
        except OSError:
            continue
        size += info.st_size
        newest = max(newest, info.st_mtime_ns)
        # The path inside the bundle, not the name alone: a file moved between its sub-folders is a change.
        parts.append(_part(name[len(prefix) :] if name.startswith(prefix) else name, info))
    if not parts:  # an empty or broken bundle: its own stat still says when it changes
        try:
            info = os.stat(folder)
            newest = info.st_mtime_ns
            parts.append(f"{os.path.basename(folder)}:{info.st_mtime_ns}")
        except OSError:
            pass
    return PluginFile(folder, format_name, size, newest, _fingerprint(parts))


def preset_file(path: str, format_name: str) -> PluginFile:
    """`plugin_file(path, format_name, [path])` for a file that is its own signature (a preset file):
    the same record without the loop, since a rescan meets 100,000 of them."""
    try:
        info = os.stat(path)
    except OSError:  # gone since the walk: recorded as plugin_file records any bundle it cannot stat
        return plugin_file(path, format_name, [path])
    return PluginFile(path, format_name, info.st_size, info.st_mtime_ns, _fingerprint([_part(path, info)]))


def _part(inside: str, info: os.stat_result) -> str:
    return f"{inside}:{info.st_size}:{info.st_mtime_ns}"


def _fingerprint(parts: list[str]) -> str:
    return hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()
