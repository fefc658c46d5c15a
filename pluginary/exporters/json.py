"""`json`: the whole catalogue as one JSON document, keyed by stable plugin id.

The document follows `pluginary/schemas/catalog-v2.json` (JSON Schema 2020-12,
shipped in the package); `schema` and `version` name it so a reader can refuse
a version it does not know. Plugins are in id order and each plugin's fields in
model order, and `scanned_at` is left out unless `timestamps: true`, so the
same catalogue always gives the same bytes.

`path` is the file to write. Options: `indent` (0 to 16 spaces, 0 for one line per
document), `timestamps`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import attrs

from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin
from pluginary.exporters.common import parse_options, plugin_data, stable, utf8

SCHEMA_ID = "urn:pluginary:schema:catalog:2"
SCHEMA_VERSION = 2
SCHEMA_FILE = "catalog-v2.json"


def load_schema() -> dict[str, Any]:
    """The JSON Schema the export follows, as shipped in the package."""
    text = resources.files("pluginary").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def catalog_document(plugins: Iterable[Plugin], *, timestamps: bool) -> dict[str, Any]:
    """The catalogue as plain data; the yaml exporter writes the same document."""
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "plugins": {plugin.id: plugin_data(plugin, timestamps=timestamps) for plugin in stable(plugins)},
    }


#: The widest indent: enough for any reader, while `indent: 999999999` would write gigabytes of spaces.
MAX_INDENT = 16


def _indent_ok(_instance: object, _attribute: object, value: int) -> None:
    if not 0 <= value <= MAX_INDENT:
        raise ValueError(f"indent must be from 0 to {MAX_INDENT}, not {value}")


@attrs.frozen
class JSONOptions:
    indent: int = attrs.field(default=2, validator=_indent_ok)
    timestamps: bool = False


class JSONExporter:
    name: ClassVar[str] = "json"

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, JSONOptions)
        document = catalog_document(plugins, timestamps=opts.timestamps)
        text = json.dumps(document, ensure_ascii=False, indent=opts.indent or None, allow_nan=False)
        return [OutputFile(path, utf8(text + "\n"))]
