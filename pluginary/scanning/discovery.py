"""Walking plugin folders: find bundles without descending into them, survive bad folders.

Vendors nest bundles in sub-folders, folders can be unreadable, and symlinks
can loop; none of that stops a scan, each is reported once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pluginary.core.models import PluginFile


def find_bundles(roots: Sequence[Path], suffixes: Sequence[str], warn: Callable[[str], None]) -> Iterator[Path]:
    """Every file or folder under `roots` whose name ends with one of `suffixes`.

    A root that is itself a bundle is yielded as is. Each real folder is
    entered once, so symlink loops and roots that overlap end by themselves.
    A bundle whose path is not valid UTF-8 (bytes from another encoding, on
    Linux) is reported and left out: neither the catalogue nor a DAW's plugin
    list can name it.
    """
    lowered = tuple(suffix.lower() for suffix in suffixes)
    seen: set[tuple[int, int]] = set()
    for root in roots:
        if root.name.lower().endswith(lowered) and root.exists():
            yield root
            continue
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                info = folder.stat()
            except OSError as exc:
                if folder is not root:
                    warn(f"{_shown(folder)}: cannot read ({exc.strerror}); skipped")
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                if folder.is_symlink():
                    warn(f"{_shown(folder)}: symlink loop or folder seen already; skipped")
                continue
            seen.add(key)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                warn(f"{_shown(folder)}: cannot list ({exc.strerror}); skipped")
                continue
            for entry in entries:
                path = Path(entry.path)
                if not entry.name.lower().endswith(lowered):
                    if _is_dir(entry):
                        stack.append(path)
                elif _is_utf8(entry.path):
                    yield path
                else:
                    warn(f"{_shown(path)}: the name is not valid UTF-8; skipped (rename it to scan it)")


def _is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept as lone surrogates by os.fsdecode
        return False
    return True


def _shown(path: Path) -> str:
    """The path as printable text, undecodable bytes as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks: a linked vendor folder is searched
    except OSError:
        return False


def plugin_file(bundle: Path, format_name: str, signature: Sequence[Path]) -> PluginFile:
    """The bundle as diff sees it: total size, newest mtime and a fingerprint of its signature files.

    Missing signature files are skipped; a bundle with none at all is still
    returned (its scan will say what is wrong with it).
    """
    parts = []
    size = 0
    newest = 0
    for path in sorted(signature):
        try:
            info = path.stat()
        except OSError:
            continue
        size += info.st_size
        newest = max(newest, info.st_mtime_ns)
        parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    if not parts:  # an empty or broken bundle: its own stat still says when it changes
        try:
            info = bundle.stat()
            newest = info.st_mtime_ns
            parts.append(f"{bundle.name}:{info.st_mtime_ns}")
        except OSError:
            pass
    fingerprint = hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()
    return PluginFile(str(bundle), format_name, size, newest, fingerprint)
