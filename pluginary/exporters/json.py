"""`json`: the whole catalogue as one JSON document, plugins keyed by stable id, and their presets.

The document follows `pluginary/schemas/catalog-v3.json` (JSON Schema 2020-12,
shipped in the package); `schema` and `version` name it so a reader can refuse
a version it does not know. Plugins are in id order and each plugin's fields in
model order, and `scanned_at` is left out unless `timestamps: true`, so the
same catalogue always gives the same bytes.

Version 3 added `presets`: one top-level list in (plugin id, id) order, each record naming its
`plugin_id`, rather than a list inside each plugin. A preset whose plugin is not installed
(orphaned) has no plugin record to sit in, yet is what a user looking for a lost sound needs;
a plugin's record stays exactly version 2's, so a reader of plugins changes nothing; and the list
is the shape `pluginary presets -o json` prints. A reader joins on `plugin_id`.

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
from pluginary.core.models import Plugin, Preset
from pluginary.exporters.common import parse_options, plugin_data, preset_data, stable, stable_presets, utf8

SCHEMA_ID = "urn:pluginary:schema:catalog:3"
SCHEMA_VERSION = 3
SCHEMA_FILE = "catalog-v3.json"


def load_schema() -> dict[str, Any]:
    """The JSON Schema the export follows, as shipped in the package."""
    text = resources.files("pluginary").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def catalog_document(plugins: Iterable[Plugin], *, timestamps: bool, presets: Iterable[Preset] = ()) -> dict[str, Any]:
    """The catalogue as plain data; the yaml exporter writes the same document."""
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "plugins": {plugin.id: plugin_data(plugin, timestamps=timestamps) for plugin in stable(plugins)},
        "presets": [preset_data(preset) for preset in stable_presets(presets)],
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
    options_class: ClassVar[type[JSONOptions]] = JSONOptions

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        """The document without presets (`presets` is an empty list): what a caller that has none gets."""
        return self.render_with_presets(plugins, (), path, options)

    def render_with_presets(
        self, plugins: Iterable[Plugin], presets: Iterable[Preset], path: Path, options: dict[str, Any]
    ) -> list[OutputFile]:
        """The document with the catalogue's presets: what the export stage calls."""
        opts = parse_options(self.name, options, self.options_class)
        document = catalog_document(plugins, timestamps=opts.timestamps, presets=presets)
        text = json.dumps(document, ensure_ascii=False, indent=opts.indent or None, allow_nan=False)
        return [OutputFile(path, utf8(text + "\n"))]
