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
                    warn(f"{folder}: cannot read ({exc.strerror}); skipped")
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                if folder.is_symlink():
                    warn(f"{folder}: symlink loop or folder seen already; skipped")
                continue
            seen.add(key)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                warn(f"{folder}: cannot list ({exc.strerror}); skipped")
                continue
            for entry in entries:
                path = Path(entry.path)
                if entry.name.lower().endswith(lowered):
                    yield path
                elif _is_dir(entry):
                    stack.append(path)


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
