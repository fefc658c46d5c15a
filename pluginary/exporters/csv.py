"""`csv`: one row per plugin; with `parameters: true` a second file, one row per parameter.

`path` is the plugins file; the parameters go to `<stem>.parameters.csv` beside
it. Lists (categories, tags, native categories, choices) are joined with `|`
in one cell; everything else is one value per cell. Quoting is the csv
module's: a name with commas, quotes or newlines stays in its cell. Rows are in
plugin-id (then parameter-index) order; `scanned_at` only with `timestamps: true`.

A spreadsheet takes a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms) for a formula, and a plugin's name is
whatever its author wrote: such a text cell gets a leading `'` (OWASP's advice
against CSV injection). A text cell that already starts with `'` gets one
too, so a reader gets every value back by removing one leading `'`. Numbers
are numbers, written as they are: a minimum of -60 stays `-60.0`, and text that
is a plain number (a version `-1`) cannot be a formula, so it stays too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TextIO

import attrs

from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin
from pluginary.exporters.common import parse_options, plugin_data, stable, utf8

LIST_SEPARATOR = "|"
PLUGIN_COLUMNS = (
    "id",
    "format",
    "name",
    "vendor",
    "version",
    "path",
    "is_instrument",
    "is_effect",
    "categories",
    "tags",
    "native_categories",
    "audio_inputs",
    "audio_outputs",
    "midi_inputs",
    "midi_outputs",
    "latency",
    "sdk",
    "parameter_count",
    "scanner_version",
    "host_name",
    "host_os",
)
PARAMETER_COLUMNS = (
    "plugin_id",
    "index",
    "name",
    "kind",
    "units",
    "default",
    "minimum",
    "maximum",
    "default_text",
    "minimum_text",
    "maximum_text",
    "num_steps",
    "choices",
    "automatable",
)


@attrs.frozen
class CSVOptions:
    parameters: bool = False
    timestamps: bool = False


#: What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection"), and the `'` that escapes it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20", "'")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cell(value: Any) -> str:
    """One value as CSV text: None empty, booleans true/false, numbers as they are, lists joined,
    text that a spreadsheet would run as a formula escaped with a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text) else text


def plugin_row(data: dict[str, Any]) -> dict[str, str]:
    flat = dict(data)
    flat["categories"] = [category["name"] for category in data["categories"]]
    flat.update(data["io"])
    flat["parameter_count"] = len(data["parameters"])
    flat["host_name"], flat["host_os"] = data["host"]["name"], data["host"]["os"]
    columns = (*PLUGIN_COLUMNS, "scanned_at") if "scanned_at" in data else PLUGIN_COLUMNS
    return {column: cell(flat[column]) for column in columns}


def csv_writer(stream: TextIO, columns: Sequence[str]) -> csv.DictWriter[str]:
    """The one CSV dialect: the export and `pluginary list -o csv` write with it."""
    # RFC 4180 "\r\n" rows: the csv module quotes a cell holding any character of the line terminator,
    # so with "\r\n" a lone "\r" in a name is quoted too (with "\n" alone it would end the row).
    return csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\r\n")


def _table(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv_writer(buffer, columns)
    writer.writeheader()
    writer.writerows(rows)
    return utf8(buffer.getvalue())


def parameters_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.parameters.csv")


class CSVExporter:
    name: ClassVar[str] = "csv"
    options_class: ClassVar[type[CSVOptions]] = CSVOptions

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, self.options_class)
        data = [plugin_data(plugin, timestamps=opts.timestamps) for plugin in stable(plugins)]
        columns = (*PLUGIN_COLUMNS, "scanned_at") if opts.timestamps else PLUGIN_COLUMNS
        files = [OutputFile(path, _table(columns, (plugin_row(d) for d in data)))]
        if opts.parameters:
            rows = (
                {"plugin_id": d["id"], **{c: cell(p[c]) for c in PARAMETER_COLUMNS[1:]}}
                for d in data
                for p in sorted(d["parameters"], key=lambda p: p["index"])
            )
            files.append(OutputFile(parameters_path(path), _table(PARAMETER_COLUMNS, rows)))
        return files
