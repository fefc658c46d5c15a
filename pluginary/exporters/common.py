"""What the built-in exporters share: option checking, stable ordering, plain data, safe text, reading old files.

A third-party exporter may use these too; none of them writes anything.
"""

from __future__ import annotations

import enum
import math
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs

from pluginary.core.errors import PipelineError, StageError
from pluginary.core.models import Plugin, Preset, converter

T = TypeVar("T")

#: The types an exporter's options class may give its fields.
_SIMPLE_TYPES: dict[str, type] = {"bool": bool, "int": int, "str": str}


def parse_options(
    exporter: str,
    options: Mapping[str, Any],
    cls: type[T],
    *,
    where: str | None = None,
    positions: Mapping[str, str] | None = None,
) -> T:
    """Build the exporter's attrs options class from a pipeline's `options:` mapping.

    Unknown keys and values of the wrong type are a `PipelineError` that lists
    every allowed option with its type and default. `where` names the options
    (default: the exporter); `positions` maps an option to the `file:line:col` of
    its value, when the pipeline loader checks them.
    """
    fields = {field.name: field for field in attrs.fields(cast("type[attrs.AttrsInstance]", cls))}
    allowed = ", ".join(f"{f.name} ({_type_name(f)}, default {_show(f.default)})" for f in fields.values())
    where = where or f"export {exporter}"
    positions = positions or {}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise PipelineError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"for the {exporter} exporter",
            where=positions.get(unknown[0], where),
            fix=f"allowed: {allowed}",
        )
    for key, value in options.items():
        expected = _SIMPLE_TYPES[_type_name(fields[key])]
        # bool is an int in Python; an option typed int must not take true/false.
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise PipelineError(
                f"option {key!r} of the {exporter} exporter must be {_type_name(fields[key])}, "
                f"not {type(value).__name__} {value!r}",
                where=positions.get(key, where),
                fix=f"allowed: {allowed}",
            )
    try:
        return cls(**options)
    except ValueError as exc:  # an attrs validator refused a value
        raise PipelineError(f"{exc}", where=where, fix=f"allowed: {allowed}") from exc


def _type_name(field: attrs.Attribute[Any]) -> str:
    kind = field.type
    return kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))


def _show(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


#: The user tags that mark a favourite, which the DAW exporters carry into the DAW's own favourites.
FAVORITE_TAGS = frozenset({"favorite", "favourite"})


def user_tags(plugin: Plugin) -> set[str]:
    """The plugin's tags as the DAW exporters compare them: trimmed, lower case."""
    return {tag.strip().lower() for tag in plugin.tags}


def stable(plugins: Iterable[Plugin]) -> list[Plugin]:
    """Plugins in id order, one per id, so the same catalogue always renders the same bytes.

    When two share an id (the same plugin seen on two machines), the first by
    (host name, path, then everything else) is kept, whatever order they came in.
    """
    kept: dict[str, Plugin] = {}
    for plugin in sorted(plugins, key=lambda p: (p.id, p.host.name, p.path, repr(p))):
        kept.setdefault(plugin.id, plugin)
    return list(kept.values())


def plugin_data(plugin: Plugin, *, timestamps: bool) -> dict[str, Any]:
    """One plugin as plain data (the shared cattrs converter), without its scan time unless asked."""
    data: dict[str, Any] = _plain(converter.unstructure(plugin))
    if not timestamps:
        # A rescan changes scanned_at and nothing else: leaving it out keeps CI diffs to real changes.
        del data["scanned_at"]
    return data


def stable_presets(presets: Iterable[Preset]) -> list[Preset]:
    """Presets in (plugin id, id) order, one per pair, chosen as `stable` chooses plugins."""
    kept: dict[tuple[str, str], Preset] = {}
    for preset in sorted(presets, key=lambda p: (p.plugin_id, p.id, p.host.name, p.path, repr(p))):
        kept.setdefault((preset.plugin_id, preset.id), preset)
    return list(kept.values())


def preset_data(preset: Preset) -> dict[str, Any]:
    """One preset as plain data (the shared cattrs converter), without its file's fingerprint: that is
    the catalogue's change stamp (size and mtime), which a touched file changes and a reader never needs."""
    data: dict[str, Any] = _plain(converter.unstructure(preset))
    del data["fingerprint"]
    return data


#: Types `_plain` returns unchanged at once (exact types: a str-based enum must become its value).
_AS_THEY_ARE = frozenset({str, int, bool})


def _plain(value: Any) -> Any:
    """The converter leaves str-based enums as enum members; YAML and CSV want their plain values.
    Non-finite floats become None."""
    if value is None or type(value) in _AS_THEY_ARE:  # most values: a third of the time of 10,000 presets
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no infinity or NaN; a bound a plugin left open reads as "not given"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


_LINE_BREAKS = re.compile("[\u2028\u2029]")


def single_line(text: str) -> str:
    """`text` with every control character and line break made a space, trimmed: safe as one INI or
    XML value line, whatever the plugin's author put in its name. A lone surrogate (a name that was
    not valid Unicode) becomes U+FFFD, so it cannot turn into a raw byte on the way out."""
    text = _LINE_BREAKS.sub(" ", text)
    return "".join(_SAFE.get(unicodedata.category(ch), ch) for ch in text).strip()


_SAFE = {"Cc": " ", "Cs": "\ufffd"}


def utf8(text: str) -> bytes:
    """`text` as UTF-8, a lone surrogate (a name that was never valid Unicode, as a JSON catalogue can
    hold) written U+FFFD instead of failing the whole export; free when there is none."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", text).encode("utf-8")


def xml_safe(text: str) -> str:
    """`text` with the characters XML 1.0 (and so a plist) cannot hold replaced by U+FFFD.

    Tab, newline and carriage return are kept: attribute escaping preserves them.
    """
    return "".join(
        "\ufffd"
        if (ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff" or 0xD800 <= ord(ch) <= 0xDFFF
        else ch
        for ch in text
    )


def split_lines(data: bytes | None) -> list[str]:
    """A text file's lines, each with its own ending, so that `join_lines` gives back the same bytes.

    Lines end at `\n` only: a form feed, `\x1c`–`\x1e`, U+0085 or U+2028 inside a user's line is part
    of it (`str.splitlines` would cut it there), a `\r\n` stays with its line, the last line may have
    no ending at all, and bytes that are not UTF-8 (an old ANSI file) travel as surrogate escapes.
    """
    text = (data or b"").decode("utf-8", errors="surrogateescape")
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]  # what follows the last "\n": a line without an ending, or nothing
    return lines if lines[-1] else lines[:-1]


def newline_of(lines: list[str]) -> str:
    """The ending new lines take: the file's first line's, `\n` for a new file."""
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def body(line: str) -> str:
    """A line without its ending (`\n` or `\r\n`)."""
    return line[:-1].removesuffix("\r") if line.endswith("\n") else line


def join_lines(lines: Iterable[str], newline: str) -> bytes:
    """The file's bytes; only its last line may lack an ending, one that is no longer last gets `newline`."""
    listed = list(lines)
    text = "".join(line if line.endswith("\n") else line + newline for line in listed[:-1]) + "".join(listed[-1:])
    return text.encode("utf-8", errors="surrogateescape")


#: The largest file an exporter reads to merge into. DAW files are kilobytes (REAPER's and Ardour's
#: hold a line per plugin); anything this big is not one, and reading it whole would only cost memory.
MAX_MERGE_BYTES = 64 * 1024 * 1024


def read_regular(path: Path, *, limit: int | None, purpose: str) -> bytes | None:
    """The content of the regular file at `path`, or None when nothing is there.

    A device, FIFO, socket or folder is refused without being read: `/dev/full` or `/dev/zero` would
    be read forever, and a FIFO would block until someone writes to it (it is opened non-blocking,
    so even one put there after the check cannot hang). Above `limit` bytes the file is refused too.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if file_type(path) not in (None, stat.S_IFREG):
            raise not_a_file(path) from exc  # a socket cannot even be opened
        raise StageError(
            f"cannot read {path.name} {purpose}: {exc.strerror or exc}",
            where=str(path),
            fix="make it readable, or move it away to start a fresh file",
        ) from exc
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise not_a_file(path)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
    finally:
        os.close(descriptor)
    if limit is not None and len(data) > limit:
        raise PipelineError(
            f"{path.name} is larger than {limit // (1024 * 1024)} MB, far too large for a DAW's plugin "
            f"list: not read {purpose}",
            where=str(path),
            fix="check the export path; move that file away if Pluginary should write a fresh one",
        )
    return data


def file_type(path: Path) -> int | None:
    """`stat.S_IFREG`, `S_IFDIR`, `S_IFCHR`… of what `path` leads to; None when that cannot be known
    (nothing there, a dangling link, a folder on the way this user cannot enter)."""
    try:
        return stat.S_IFMT(path.stat().st_mode)
    except (OSError, ValueError):
        return None


def not_a_file(path: Path) -> PipelineError:
    """The error for an export path that exists but is not a regular file (a device, FIFO, folder…)."""
    kind = _KINDS.get(file_type(path) or 0, "something else")
    return PipelineError(
        f"it is {kind}, not a regular file: Pluginary neither reads nor replaces it",
        where=str(path),
        fix="give the path of a regular file (or of a new one) to export to",
    )


_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def read_existing(path: Path) -> bytes | None:
    """The current content of a file an exporter merges into, or None when there is none yet.

    Only a regular file of at most `MAX_MERGE_BYTES` is read (see `read_regular`)."""
    return read_regular(path, limit=MAX_MERGE_BYTES, purpose="to merge into it")


def folder_target(exporter: str, path: Path) -> Path:
    """Check that `path` can be the folder an exporter writes several files into."""
    if path.exists() and not path.is_dir():
        raise PipelineError(
            f"the {exporter} exporter writes several files and needs a folder, but {path} is a file",
            where=f"export {exporter}",
            fix="give the folder that holds (or will hold) the DAW's files as the path",
        )
    return path


def au_codes(plugin_id: str) -> tuple[str, str, str] | None:
    """Type, subtype and manufacturer of `au:<type>-<subtype>-<manufacturer>`.

    Each code is exactly four characters and may itself contain `-`, so the id
    is cut by position, not split.
    """
    body = plugin_id.removeprefix("au:")
    if len(body) != 14 or body[4] != "-" or body[9] != "-":
        return None
    return body[:4], body[5:9], body[10:]
