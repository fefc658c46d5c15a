"""`yaml`: the same catalogue document as the json exporter, as YAML.

`path` is the file to write. Option: `timestamps`. Strings that YAML could
misread (a name like `1.0`, or one with `: `, `#` or newlines) are quoted by
the emitter; Unicode line breaks (NEL, U+2028/9), which ruamel.yaml would
otherwise write raw, are escaped, and YAML 1.1's `yes`/`no`/`on`/`off` are
quoted, so the file loads back to the same data with any YAML reader.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import SafeRepresenter

from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin
from pluginary.exporters.common import parse_options, utf8
from pluginary.exporters.json import catalog_document

#: Line breaks ruamel.yaml writes raw inside a single-quoted scalar, where a reader folds them to spaces.
_UNSAFE_BREAKS = ("\x85", "\u2028", "\u2029")
#: Plain words a YAML 1.1 reader (PyYAML) would take for booleans; YAML 1.2 does not, so ruamel leaves them bare.
_YAML11_BOOLEANS = re.compile(r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF")


def _represent_str(representer: SafeRepresenter, data: str) -> ScalarNode:
    """Double-quote (escaped) a string with a Unicode line break; quote one YAML 1.1 would misread."""
    style = '"' if any(c in data for c in _UNSAFE_BREAKS) else "'" if _YAML11_BOOLEANS.fullmatch(data) else None
    return representer.represent_scalar("tag:yaml.org,2002:str", data, style=style)


@attrs.frozen
class YAMLOptions:
    timestamps: bool = False


def make_yaml() -> YAML:
    """The one YAML emitter: the export and every command's `--output yaml` write with it."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    # Never fold: a long name stays on one line, and ruamel folds a long double-quoted scalar after an
    # escape such as `\f` into a line break that reads back as an extra space.
    yaml.width = 2**31 - 1
    yaml.representer.add_representer(str, _represent_str)
    return yaml


class YAMLExporter:
    name: ClassVar[str] = "yaml"

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        opts = parse_options(self.name, options, YAMLOptions)
        yaml = make_yaml()
        buffer = io.StringIO()
        yaml.dump(catalog_document(plugins, timestamps=opts.timestamps), buffer)
        return [OutputFile(path, utf8(buffer.getvalue()))]
