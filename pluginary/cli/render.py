"""How the catalogue commands print: a table for people, plain lines for pipes,
JSON, CSV or YAML for programs.

JSON, CSV and YAML come from the exporters' own renderers (`plugin_data`,
`plugin_row`, `make_yaml`), so `pluginary list -o json` and the json export
give each plugin the same shape: no second copy to drift. A preset is
`preset_data`'s shape (the json export's `presets` items) plus its plugin's name.

Text that comes from a plugin (names, vendors, tags, categories, parameter
names, failure messages, presets' names, banks and paths) is hostile: `safe()` makes it visible-safe in tables
and plain text, and rich is told never to read it as markup or emoji codes, so
a name cannot drive the terminal. JSON, CSV and YAML are data: each format
escapes for itself.

Without `--output`, a terminal gets a rich `table` and a pipe gets `plain`
text: one record per line, tab-separated, no header, no colour, no summary,
ready for `cut`, `sort` and `grep`. Plugin lists in json, csv, yaml and plain
are written as they are read, so memory stays flat however many plugins there
are; a table needs its rows first (it is limited to 50 by default).

rich and ruamel.yaml are imported inside the functions that need them.
"""

from __future__ import annotations

import enum
import json
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TextIO, TypeVar

from pluginary.core.errors import PluginaryError

if TYPE_CHECKING:
    from rich.console import Console

    from pluginary.core.models import Parameter, Plugin, Preset, ScanFailure
    from pluginary.core.products import Product

#: A plugin's name by its id; None when it is not installed (its presets are orphaned).
PluginName = Callable[[str], "str | None"]


class Output(enum.StrEnum):
    TABLE = "table"
    PLAIN = "plain"
    JSON = "json"
    CSV = "csv"
    YAML = "yaml"

    @property
    def whole_records(self) -> bool:
        """Whether it writes each plugin's whole record (parameters included); a table and plain
        lines show only how many parameters there are, which a record read without them still knows."""
        return self in (Output.JSON, Output.CSV, Output.YAML)


T = TypeVar("T")

#: A table shows this many plugins unless --limit says otherwise.
TABLE_LIMIT = 50

#: What a terminal would obey rather than show: C0 and C1 controls (ESC starts an escape sequence),
#: DEL, line and paragraph separators, bidirectional overrides and isolates (which reorder what
#: follows them), and lone surrogates (a file name that was not UTF-8, unprintable as it is).
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def safe(text: object) -> str:
    r"""`text` as a terminal should show it: every character it would obey written as an escape
    (`\x1b`, `\u202e`), everything else as it is."""
    return _TERMINAL_UNSAFE.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def choose(output: Output | str | None, stream: TextIO | None = None) -> Output:
    """The format asked for; else a table on a terminal and plain text in a pipe."""
    if output is not None:
        return Output(output)
    return Output.TABLE if (stream or sys.stdout).isatty() else Output.PLAIN


def require(output: Output, allowed: Iterable[Output], what: str) -> None:
    allowed = tuple(allowed)
    if output not in allowed:
        raise PluginaryError(
            f"{what} cannot be written as {output.value}",
            where="--output",
            fix=f"use one of {', '.join(o.value for o in allowed)}",
        )


def showing(offset: int, shown: int, total: int) -> str:
    """The summary under a table: "showing 1–50 of 612"."""
    if shown == 0:
        return f"showing 0 of {total}"
    return f"showing {offset + 1}–{offset + shown} of {total}"


def record(plugin: Plugin) -> dict[str, Any]:
    """A plugin as plain JSON-able data: the json export's shape, scan time included."""
    from pluginary.exporters.common import plugin_data

    return plugin_data(plugin, timestamps=True)


def write_plugins(plugins: Iterable[Plugin], output: Output, stream: TextIO) -> int:
    """Write a plugin list; returns how many were written."""
    return _write_list(plugins, output, stream, table=_plugin_table, data=record, csv=_csv_list, plain=_plain_cells)


def _write_list(
    items: Iterable[T],
    output: Output,
    stream: TextIO,
    *,
    table: Callable[[list[T]], Any],
    data: Callable[[T], dict[str, Any]],
    csv: Callable[[Iterable[T], TextIO], None],
    plain: Callable[[T], Sequence[object]],
) -> int:
    """A list in any output, from its table, JSON/YAML record, CSV and plain-line makers; returns how
    many items were written. A table needs its rows first; every other output is written as read."""
    if output is Output.TABLE:
        rows = list(items)
        _console(stream).print(table(rows))
        return len(rows)
    counted = _Counted(items)
    if output is Output.JSON:
        _json_list(map(data, counted), stream)
    elif output is Output.YAML:
        _yaml_list(map(data, counted), stream)
    elif output is Output.CSV:
        csv(counted, stream)
    else:
        for item in counted:
            _plain(stream, *plain(item))
    return counted.count


class _Counted(Generic[T]):
    """Items passed on as they are read, counted: a list written as it streams still says how long it was."""

    def __init__(self, items: Iterable[T]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[T]:
        for item in self.items:
            self.count += 1
            yield item


def _json_list(records: Iterable[dict[str, Any]], stream: TextIO) -> None:
    # One object per line inside the array: valid JSON, streamable, greppable.
    stream.write("[")
    for index, data in enumerate(records):
        stream.write(",\n" if index else "\n")
        stream.write(json.dumps(data, ensure_ascii=False, allow_nan=False))
    stream.write("\n]\n")


def _csv_list(plugins: Iterable[Plugin], stream: TextIO) -> None:
    from pluginary.exporters.csv import PLUGIN_COLUMNS, csv_writer, plugin_row

    writer = csv_writer(stream, (*PLUGIN_COLUMNS, "scanned_at"))
    writer.writeheader()
    for plugin in plugins:
        writer.writerow(plugin_row(record(plugin)))


def _yaml_list(records: Iterable[dict[str, Any]], stream: TextIO) -> None:
    yaml = _yaml()
    wrote = False
    for data in records:
        yaml.dump([data], stream)  # one item at a time; together they are one YAML list
        wrote = True
    if not wrote:
        yaml.dump([], stream)  # an empty list, not an empty document a reader takes for null


def _plain_cells(plugin: Plugin) -> tuple[object, ...]:
    return (plugin.id, plugin.name, plugin.vendor, plugin.format, _category(plugin), plugin.parameter_count,
            ",".join(plugin.tags))  # fmt: skip


# -- presets ---------------------------------------------------------------------------------

#: `-o csv`'s columns for presets: the preset's own fields (its values left out: the json has them),
#: its plugin's name beside its id.
PRESET_COLUMNS = (
    "id", "name", "plugin_id", "plugin_name", "format", "source", "bank", "author", "tags", "description", "path",
    "host_name", "host_os",
)  # fmt: skip


def preset_record(preset: Preset, plugin_name: PluginName) -> dict[str, Any]:
    """A preset as plain data: the json export's shape, and its plugin's name (None: not installed)."""
    from pluginary.exporters.common import preset_data

    return {**preset_data(preset), "plugin_name": plugin_name(preset.plugin_id)}


def write_presets(presets: Iterable[Preset], plugin_name: PluginName, output: Output, stream: TextIO) -> int:
    """Write a preset list, each with its plugin's name; returns how many were written."""

    def data(preset: Preset) -> dict[str, Any]:
        return preset_record(preset, plugin_name)

    return _write_list(
        presets,
        output,
        stream,
        table=lambda rows: _preset_table(rows, plugin_name),
        data=data,
        csv=lambda rows, out: _preset_csv(map(data, rows), out),
        plain=lambda preset: _preset_cells(data(preset)),
    )


def write_search(
    plugins: list[Plugin], presets: list[Preset], plugin_name: PluginName, output: Output, stream: TextIO
) -> None:
    """What `search` found: the plugins, then the presets, as a second table titled "Presets", a
    `presets` key beside `plugins` in JSON and YAML, and plain lines that start with `preset`.
    CSV holds one table, the plugins' (`pluginary presets --search` writes presets as CSV)."""
    if output in (Output.JSON, Output.YAML):
        data = {"plugins": [record(p) for p in plugins], "presets": [preset_record(p, plugin_name) for p in presets]}
        if output is Output.JSON:
            stream.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
        else:
            _yaml().dump(data, stream)
        return
    if output is Output.TABLE:
        console = _console(stream)
        if plugins:
            console.print(_plugin_table(plugins))
        if presets:
            console.print(_preset_table(presets, plugin_name, title="Presets"))
        return
    write_plugins(plugins, output, stream)
    if output is Output.PLAIN:
        for preset in presets:
            _plain(stream, "preset", *_preset_cells(preset_record(preset, plugin_name)))


def _preset_table(presets: list[Preset], plugin_name: PluginName, title: str | None = None) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("name", "plugin", "format", "source", "bank"):
        table.add_column(column, overflow="fold")
    table.add_column("id", style="dim", overflow="fold")
    for preset in presets:
        name = plugin_name(preset.plugin_id)
        shown = name if name is not None else f"(not installed) {preset.plugin_id}"
        _row(table, preset.name, shown, preset.format, preset.source.value, preset.bank, preset.id)
    return table


def _preset_cells(data: dict[str, Any]) -> tuple[object, ...]:
    """A preset's plain line: id, name, its plugin's id and name ("(not installed)" for an orphan),
    format, source, bank."""
    plugin = data["plugin_name"] if data["plugin_name"] is not None else "(not installed)"
    return data["id"], data["name"], data["plugin_id"], plugin, data["format"], data["source"], data["bank"]


def _own_preset_cells(preset: Preset) -> tuple[object, ...]:
    """One of a plugin's own presets, under its record: name, bank, source, id."""
    return preset.name, preset.bank, preset.source.value, preset.id


def _preset_csv(records: Iterable[dict[str, Any]], stream: TextIO) -> None:
    from pluginary.exporters.csv import cell, csv_writer

    writer = csv_writer(stream, PRESET_COLUMNS)
    writer.writeheader()
    for data in records:
        flat = {**data, "host_name": data["host"]["name"], "host_os": data["host"]["os"]}
        writer.writerow({column: cell(flat[column]) for column in PRESET_COLUMNS})


def write_plugin(
    plugin: Plugin, output: Output, stream: TextIO, *, presets: Sequence[Preset] = (), preset_count: int = 0
) -> None:
    """One plugin's whole record, with its parameters, and `presets` (the first of its `preset_count`)."""
    require(output, (Output.TABLE, Output.PLAIN, Output.JSON, Output.YAML), "a plugin's record")
    if output in (Output.JSON, Output.YAML):
        from pluginary.exporters.common import preset_data

        data = {**record(plugin), "preset_count": preset_count, "presets": [preset_data(p) for p in presets]}
        if output is Output.JSON:
            stream.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
        else:
            _yaml().dump(data, stream)
        return
    fields = _fields(plugin)
    if output is Output.PLAIN:
        for name, value in fields:
            _plain(stream, name, value)
        for parameter in plugin.parameters:
            _plain(stream, "parameter", *_parameter_cells(parameter))
        if preset_count:
            _plain(stream, "presets", preset_count)
        for preset in presets:
            _plain(stream, "preset", *_own_preset_cells(preset))
        return
    from rich.table import Table

    console = _console(stream)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in fields:
        _row(grid, name, value)
    console.print(grid)
    if plugin.parameters:
        table = Table(title=f"{len(plugin.parameters)} parameters", title_justify="left")
        for column in ("#", "name", "default", "range", "kind", "choices"):
            table.add_column(column, overflow="fold")
        for parameter in plugin.parameters:
            _row(table, *_parameter_cells(parameter))
        console.print(table)
    if preset_count:
        more = (
            f", the first {len(presets)} shown (`--presets all` lists every one)" if len(presets) < preset_count else ""
        )
        table = Table(title=f"{preset_count} presets{more}", title_justify="left")
        for column in ("name", "bank", "source", "id"):
            table.add_column(column, overflow="fold")
        for preset in presets:
            _row(table, *_own_preset_cells(preset))
        console.print(table)


# -- products --------------------------------------------------------------------------------

#: `-o csv`'s and plain text's columns for products: one row each, its plugins' ids in format order.
PRODUCT_COLUMNS = ("key", "name", "vendor", "formats", "category", "tags", "plugin_ids")


def product_record(product: Product) -> dict[str, Any]:
    """A product as plain data: key, shown name and vendor, formats, tags, and each plugin's record."""
    return {
        "key": product.key,
        "name": product.name,
        "vendor": product.vendor,
        "formats": list(product.formats),
        "tags": list(product.tags),
        "plugins": [record(plugin) for plugin in product.plugins],
    }


def write_products(products: Iterable[Product], output: Output, stream: TextIO) -> int:
    """Write a product list, one row per product with its formats; returns how many were written."""
    return _write_list(
        products, output, stream, table=_product_table, data=product_record, csv=_product_csv, plain=_product_plain
    )


def _product_csv(products: Iterable[Product], stream: TextIO) -> None:
    from pluginary.exporters.csv import cell, csv_writer

    writer = csv_writer(stream, PRODUCT_COLUMNS)
    writer.writeheader()
    for product in products:
        writer.writerow(dict(zip(PRODUCT_COLUMNS, map(cell, _product_cells(product)), strict=True)))


def _product_plain(product: Product) -> tuple[object, ...]:
    return tuple(",".join(c) if isinstance(c, list) else c for c in _product_cells(product))


def write_product(
    product: Product,
    output: Output,
    stream: TextIO,
    presets: Mapping[str, tuple[Sequence[Preset], int]] | None = None,
) -> None:
    """One product: its key, name, vendor, formats and tags, then each format's whole record, with
    `presets[plugin id]`: (the first of its presets, how many it has), as `write_plugin` shows them."""
    require(output, (Output.TABLE, Output.PLAIN, Output.JSON, Output.YAML), "a product's record")
    presets = presets or {}
    if output in (Output.JSON, Output.YAML):
        from pluginary.exporters.common import preset_data

        data = product_record(product)
        for plugin, plugin_data in zip(product.plugins, data["plugins"], strict=True):
            shown, count = presets.get(plugin.id, ((), 0))
            plugin_data.update(preset_count=count, presets=[preset_data(p) for p in shown])
        if output is Output.JSON:
            stream.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
        else:
            _yaml().dump(data, stream)
        return
    fields = [
        ("product", product.name),
        ("vendor", product.vendor),
        ("formats", ", ".join(product.formats)),
        ("tags", ", ".join(product.tags)),
        ("key", product.key),
    ]
    if output is Output.PLAIN:
        for name, value in fields:
            _plain(stream, name, value)
    else:
        from rich.table import Table

        table = Table(show_header=False, box=None)
        for name, value in fields:
            _row(table, name, value)
        _console(stream).print(table)
    for plugin in product.plugins:
        if output is Output.PLAIN:
            _plain(stream, "plugin", plugin.format, plugin.id)
        else:
            _console(stream).rule(safe(f"{plugin.format}: {plugin.name}"), style="dim")
        shown, count = presets.get(plugin.id, ((), 0))
        write_plugin(plugin, output, stream, presets=shown, preset_count=count)


def _product_cells(product: Product) -> tuple[object, ...]:
    """PRODUCT_COLUMNS' values; lists stay lists (CSV and plain text join them their own way)."""
    ids = [plugin.id for plugin in product.plugins]
    return product.key, product.name, product.vendor, list(product.formats), _lead(product), list(product.tags), ids


def _lead(product: Product) -> str:
    """A product's category: its preferred plugin's."""
    return _category(product.plugins[0]) if product.plugins else ""


def _product_table(products: list[Product]) -> Any:
    from rich.table import Table

    table = Table()
    for column in ("name", "vendor", "formats", "category", "tags"):
        table.add_column(column, overflow="fold")
    table.add_column("key", style="dim", overflow="fold")
    for product in products:
        formats, tags = ", ".join(product.formats), ", ".join(product.tags)
        _row(table, product.name, product.vendor, formats, _lead(product), tags, product.key)
    return table


def write_stats(stats: dict[str, Any], output: Output, stream: TextIO) -> None:
    require(output, (Output.TABLE, Output.PLAIN, Output.JSON, Output.YAML), "statistics")
    if output is Output.JSON:
        stream.write(json.dumps(stats, ensure_ascii=False, indent=2) + "\n")
        return
    if output is Output.YAML:
        _yaml().dump(stats, stream)
        return
    parameters = stats["parameters"]
    summary = {
        "catalogue": f"{stats['path']} ({_size(stats['size_bytes'])}, schema v{stats['schema_version']})",
        "plugins": stats["plugins"],
        "instruments": stats["instruments"],
        "effects": stats["effects"],
        "files": stats["files"],
        "failures": stats["failures"],
        "presets": f"{stats['presets']} ({stats['orphaned_presets']} orphaned: their plugin is not installed)",
        "parameters": (
            f"{parameters['total']} (min {parameters['min']}, median {parameters['median']}, max {parameters['max']})"
        ),
    }
    sections = {
        "formats": stats["formats"],
        "vendors": stats["vendors"],
        "categories": stats["categories"],
        "parameter counts": parameters["histogram"],
    }
    runs = [_run_line(run) for run in stats["runs"]]
    if output is Output.PLAIN:
        for name, value in summary.items():
            _plain(stream, name, value)
        for section, counts in sections.items():
            for name, count in counts.items():
                _plain(stream, section, name or "(none)", count)
        for line in runs:
            _plain(stream, "run", line)
        return
    from rich.columns import Columns
    from rich.table import Table

    console = _console(stream)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in summary.items():
        _row(grid, name, value)
    console.print(grid)
    tables = []
    for section, counts in sections.items():
        table = Table(title=section, title_justify="left")
        table.add_column("name")
        table.add_column("count", justify="right")
        items = list(counts.items())
        for name, count in items[:15]:
            _row(table, name or "(none)", count)
        if len(items) > 15:
            _row(table, f"… {len(items) - 15} more", sum(count for _, count in items[15:]))
        tables.append(table)
    console.print(Columns(tables))
    if runs:
        console.print("last runs", style="bold")
        for line in runs:
            console.print(f"  {safe(line)}")


def write_failures(failures: list[ScanFailure], output: Output, stream: TextIO) -> None:
    from pluginary.core.models import converter

    if output is Output.JSON:
        stream.write(json.dumps(converter.unstructure(failures), ensure_ascii=False, indent=2) + "\n")
    elif output is Output.YAML:
        _yaml().dump(converter.unstructure(failures), stream)
    elif output is Output.CSV:
        import csv

        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(("path", "format", "reason", "attempts", "first_seen", "last_seen", "fingerprint"))
        for failure in failures:
            writer.writerow(
                (failure.path, failure.format, reason(failure), failure.attempts, failure.first_seen,
                 failure.last_seen, failure.fingerprint)
            )  # fmt: skip
    elif output is Output.PLAIN:
        for failure in failures:
            _plain(stream, failure.path, failure.format, reason(failure), failure.attempts, failure.first_seen,
                   failure.last_seen)  # fmt: skip
    else:
        from rich.table import Table

        table = Table()
        for column in ("path", "format", "reason", "attempts", "first seen", "last seen"):
            table.add_column(column, overflow="fold")
        for failure in failures:
            _row(table, failure.path, failure.format, reason(failure), failure.attempts, failure.first_seen,
                 failure.last_seen)  # fmt: skip
        _console(stream).print(table)


def reason(failure: ScanFailure) -> str:
    """Why a file is quarantined, in a few words: "crash (SIGSEGV)", "timeout", "error: …"."""
    kind = failure.kind.value
    if failure.signal is not None:
        try:
            name = signal.Signals(failure.signal).name
        except ValueError:
            name = f"signal {failure.signal}"
        detail = name
    elif failure.exit_code is not None:
        detail = f"exit status {failure.exit_code}"
    else:
        detail = ""
    text = f"{kind} ({detail})" if detail else kind
    return f"{text}: {failure.message}" if failure.message else text


def _plugin_table(plugins: list[Plugin]) -> Any:
    from rich.table import Table

    table = Table()
    table.add_column("name", overflow="fold")
    table.add_column("vendor", overflow="fold")
    table.add_column("format")
    table.add_column("category", overflow="fold")
    table.add_column("type")
    table.add_column("params", justify="right")
    table.add_column("tags", overflow="fold")
    table.add_column("id", style="dim", overflow="fold")
    for plugin in plugins:
        _row(
            table, plugin.name, plugin.vendor, plugin.format, _category(plugin), _type(plugin),
            plugin.parameter_count, ", ".join(plugin.tags), plugin.id,
        )  # fmt: skip
    return table


def _fields(plugin: Plugin) -> list[tuple[str, str]]:
    io = plugin.io
    ports = [
        f"{label} {count}"
        for label, count in (
            ("audio in", io.audio_inputs),
            ("audio out", io.audio_outputs),
            ("MIDI in", io.midi_inputs),
            ("MIDI out", io.midi_outputs),
        )
        if count is not None
    ]
    categories = [f"{c.name} ({c.source.value}, {c.confidence:g})" for c in plugin.categories]
    fields = [
        ("id", plugin.id),
        ("name", plugin.name),
        ("vendor", plugin.vendor),
        ("version", plugin.version),
        ("format", plugin.format),
        ("type", _type(plugin)),
        ("categories", ", ".join(categories)),
        ("native categories", ", ".join(plugin.native_categories)),
        ("tags", ", ".join(plugin.tags)),
        ("io", ", ".join(ports)),
        ("latency", "" if plugin.latency is None else f"{plugin.latency} samples"),
        ("sdk", plugin.sdk),
        ("path", plugin.path),
        (
            "scanned",
            " ".join(filter(None, (plugin.scanned_at, plugin.scanner_version and f"by {plugin.scanner_version}"))),
        ),
        ("host", " ".join(filter(None, (plugin.host.name, plugin.host.os and f"({plugin.host.os})")))),
    ]
    return [(name, value) for name, value in fields if value]


def _parameter_cells(parameter: Parameter) -> tuple[str, ...]:
    choices = parameter.choices
    shown = ", ".join(choices[:8]) + (f", … ({len(choices) - 8} more)" if len(choices) > 8 else "")
    return (
        str(parameter.index),
        parameter.name,
        _value(parameter.default_text, parameter.default, parameter.units),
        f"{_value(parameter.minimum_text, parameter.minimum, parameter.units)} … "
        f"{_value(parameter.maximum_text, parameter.maximum, parameter.units)}",
        parameter.kind.value + (f" ({parameter.num_steps} steps)" if parameter.num_steps else ""),
        shown,
    )


def _value(text: str, number: float | None, units: str) -> str:
    """What the plugin displays, else the number with its units."""
    if text:
        return text if not units or units in text else f"{text} {units}"
    if number is None:
        return "?"
    return f"{number:g} {units}".strip()


def _category(plugin: Plugin) -> str:
    return plugin.categories[0].name if plugin.categories else ""


def _type(plugin: Plugin) -> str:
    return " + ".join(kind for kind, yes in (("instrument", plugin.is_instrument), ("effect", plugin.is_effect)) if yes)


def _run_line(run: dict[str, Any]) -> str:
    counts = ", ".join(
        f"{run[key]} {key}"
        for key in ("found", "new", "changed", "removed", "scanned", "failed", "stored")
        if run.get(key)
    )
    seconds = f"{run['seconds']:.1f} s" if isinstance(run.get("seconds"), int | float) else ""
    return " · ".join(filter(None, (str(run.get("started_at", "")), str(run.get("pipeline", "")), seconds, counts)))


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _plain(stream: TextIO, *cells: object) -> None:
    # A tab or newline inside a value would break the line's columns.
    stream.write("\t".join(safe(" ".join(str(cell).split())) for cell in cells) + "\n")


def _row(table: Any, *cells: object) -> None:
    """One table row, every cell made safe (the console reads no markup in it either)."""
    table.add_row(*(safe(cell) for cell in cells))


def _console(stream: TextIO) -> Console:
    from rich.console import Console

    # Plugin text is never markup ("[bold red]x[/]") nor an emoji code (":skull:"): print it as it is.
    return Console(file=stream, highlight=False, markup=False, emoji=False)


def _yaml() -> Any:
    from pluginary.exporters.yaml import make_yaml

    return make_yaml()
