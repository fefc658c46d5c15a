"""`csv`: one row per plugin; with `parameters: true` a second file, one row per parameter.

`path` is the plugins file; the parameters go to `<stem>.parameters.csv` beside
it. Lists (categories, tags, native categories, choices) are joined with `|`
in one cell; everything else is one value per cell. Quoting is the csv
module's: a name with commas, quotes or newlines stays in its cell. Rows are in
plugin-id (then parameter-index) order; `scanned_at` only with `timestamps: true`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TextIO

import attrs

from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin
from pluginary.exporters.common import parse_options, plugin_data, stable

LIST_SEPARATOR = "|"
PLUGIN_COLUMNS = (
    "id", "format", "name", "vendor", "version", "path", "is_instrument", "is_effect", "categories", "tags",
    "native_categories", "audio_inputs", "audio_outputs", "midi_inputs", "midi_outputs", "latency", "sdk",
    "parameter_count", "scanner_version", "host_name", "host_os",
)
PARAMETER_COLUMNS = (
    "plugin_id", "index", "name", "kind", "units", "default", "minimum", "maximum", "default_text",
    "minimum_text", "maximum_text", "num_steps", "choices", "automatable",
)


@attrs.frozen
class CSVOptions:
    parameters: bool = False
    timestamps: bool = False


def cell(value: Any) -> str:
    """One value as CSV text: None empty, booleans true/false, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(cell(item) for item in value)
    return str(value)


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
    return buffer.getvalue().encode("utf-8")


def parameters_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.parameters.csv")


class CSVExporter:
    name: ClassVar[str] = "csv"

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, CSVOptions)
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
