"""Bounded, defused reading of project files: what every project reader shares.

A project file comes from anyone (a collaborator, a download, a CI artefact), so it is read
as hostile input:

- a file larger than `MAX_FILE_BYTES` is refused from its size alone, before one byte is read;
- gzip is unpacked in 1 MiB pieces and refused past `MAX_DOCUMENT_BYTES` of output (a gzip
  bomb costs one piece of memory and a second or two, not gigabytes);
- XML goes through expat with every DTD refused (so no entity, internal or external, can be
  declared: XXE and "billion laughs" stop at `<!DOCTYPE`), in 1 MiB pieces; expat holds a
  single tag or comment whole, so one longer than `MAX_TOKEN_BYTES` is refused too, and the
  memory a file can take is bounded by that, not by the file;
- nothing a project names (plugin files, samples, paths) is ever opened.

Text from a project is returned as it is; the CLI escapes it for the terminal.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from pluginary.core.errors import PluginaryError
from pluginary.core.xmlsafe import parser_without_dtd

#: A project file larger than this is refused unread (REAPER projects full of plugin state
#: reach tens of MB; Ardour sessions and Live sets are smaller).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: A Live set unpacking to more XML than this is refused (real ones unpack to tens of MB).
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
#: One tag, comment or processing instruction longer than this is refused: expat holds it whole.
MAX_TOKEN_BYTES = 16 * 1024 * 1024
#: How much is read, unpacked or parsed at a time.
CHUNK_BYTES = 1024 * 1024
#: What `sniff` is shown of a file.
HEAD_BYTES = 4096
#: A reference's `raw` text is cut to this many characters.
RAW_CHARS = 300

GZIP_MAGIC = b"\x1f\x8b"


class ProjectError(PluginaryError):
    """A project file cannot be read: missing, too large, not the kind it claims, malformed."""


def check_size(path: Path) -> int:
    """The file's size; a ProjectError when it is not a readable regular file or is too large."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ProjectError(f"cannot read the project: {exc.strerror}", where=str(path), fix="check the path") from exc
    if not path.is_file():
        raise ProjectError("not a project file", where=str(path), fix="name the project file itself, not a folder")
    if info.st_size > MAX_FILE_BYTES:
        raise ProjectError(
            f"{info.st_size} bytes: larger than the {MAX_FILE_BYTES // 2**20} MiB a project file may be",
            where=str(path),
            fix="check that this is a DAW project",
        )
    return info.st_size


def open_project(path: Path) -> BinaryIO:
    """The file opened for reading in binary, after `check_size`."""
    check_size(path)
    try:
        return path.open("rb")
    except OSError as exc:
        raise ProjectError(
            f"cannot read the project: {exc.strerror}", where=str(path), fix="check its permissions"
        ) from exc


def read_head(path: Path) -> bytes:
    """The first `HEAD_BYTES` of a file (for `sniff`)."""
    with open_project(path) as stream:
        return stream.read(HEAD_BYTES)


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream in `CHUNK_BYTES` pieces."""
    while piece := stream.read(CHUNK_BYTES):
        yield piece


def gunzipped(stream: BinaryIO, where: str) -> Iterator[bytes]:
    """A gzip stream unpacked piece by piece, refused past `MAX_DOCUMENT_BYTES`.

    The size the gzip trailer claims is never believed: only what really comes out is counted.
    """
    unpacked = 0
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as archive:
            while piece := archive.read(CHUNK_BYTES):
                unpacked += len(piece)
                if unpacked > MAX_DOCUMENT_BYTES:
                    raise ProjectError(
                        f"unpacks to more than {MAX_DOCUMENT_BYTES // 2**20} MiB: refused",
                        where=where,
                        fix="a real project is far smaller; this one may be a gzip bomb",
                    )
                yield piece
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ProjectError(f"not a readable gzip file: {exc}", where=where, fix="check the file is complete") from exc


def parse_xml(
    pieces: Iterator[bytes],
    where: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
) -> None:
    """Stream XML through expat, calling `start(tag, attributes)` and `end(tag)`.

    A DTD (and so any entity declaration), a malformed document or one over-long token is
    a ProjectError naming the line and column.
    """
    parser = parser_without_dtd(
        lambda line: ProjectError(
            f"has a DTD (line {line}): refused",
            where=where,
            fix="DAW projects have none; entities in a DTD are how XML files attack their readers",
        )
    )
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    fed = 0
    try:
        for piece in pieces:
            parser.Parse(piece, False)
            fed += len(piece)
            # Between calls expat's position is just past the last thing it parsed: what lies
            # beyond is the token it is still holding whole.
            if fed - parser.CurrentByteIndex > MAX_TOKEN_BYTES:
                line = parser.CurrentLineNumber
                raise ProjectError(
                    f"one XML tag longer than {MAX_TOKEN_BYTES // 2**20} MiB (line {line}): refused",
                    where=where,
                    fix="check that this is a DAW project",
                )
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ProjectError(
            f"not well-formed XML at line {exc.lineno}, column {exc.offset}: {expat.ErrorString(exc.code)}",
            where=where,
            fix="check that the file is complete, or open a backup",
        ) from exc


def shorten(text: str) -> str:
    """`text` on one line, cut to `RAW_CHARS` characters."""
    line = " ".join(text.split())
    return line if len(line) <= RAW_CHARS else line[: RAW_CHARS - 1] + "…"
