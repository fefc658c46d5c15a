"""What the built-in exporters share: option checking, stable ordering, safe text, reading old files.

A third-party exporter may use these too; none of them writes anything.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs

from pluginary.core.errors import PipelineError, StageError
from pluginary.core.models import Plugin, converter

T = TypeVar("T")

#: The types an exporter's options class may give its fields.
_SIMPLE_TYPES: dict[str, type] = {"bool": bool, "int": int, "str": str}


def parse_options(exporter: str, options: Mapping[str, Any], cls: type[T]) -> T:
    """Build the exporter's attrs options class from a pipeline's `options:` mapping.

    Unknown keys and values of the wrong type are a `PipelineError` that lists
    every allowed option with its type and default.
    """
    fields = {field.name: field for field in attrs.fields(cast("type[attrs.AttrsInstance]", cls))}
    allowed = ", ".join(f"{f.name} ({_type_name(f)}, default {_show(f.default)})" for f in fields.values())
    where = f"export {exporter}"
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise PipelineError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"for the {exporter} exporter",
            where=where,
            fix=f"allowed: {allowed}",
        )
    for key, value in options.items():
        expected = _SIMPLE_TYPES[_type_name(fields[key])]
        # bool is an int in Python; an option typed int must not take true/false.
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise PipelineError(
                f"option {key!r} of the {exporter} exporter must be {_type_name(fields[key])}, "
                f"not {type(value).__name__} {value!r}",
                where=where,
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


def _plain(value: Any) -> Any:
    """The converter leaves str-based enums as enum members; YAML and CSV want their plain values.
    Non-finite floats become None."""
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
    XML value line, whatever the plugin's author put in its name."""
    text = _LINE_BREAKS.sub(" ", text)
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).strip()


def xml_safe(text: str) -> str:
    """`text` with the characters XML 1.0 (and so a plist) cannot hold replaced by U+FFFD.

    Tab, newline and carriage return are kept: attribute escaping preserves them.
    """
    return "".join(
        "\ufffd" if (ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff" else ch for ch in text
    )


def read_existing(path: Path) -> bytes | None:
    """The current content of a file an exporter merges into, or None when there is none yet."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StageError(
            f"cannot read {path.name} to merge into it: {exc.strerror or exc}",
            where=str(path),
            fix="make it readable, or move it away to start a fresh file",
        ) from exc


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
