"""`yaml`: the same catalogue document as the json exporter, as YAML every common reader loads the same.

`path` is the file to write. Option: `timestamps`.

Why a hand-written emitter rather than ruamel.yaml's: a general emitter chooses a
style per scalar, and the styles it chooses are read differently by YAML 1.1
readers (PyYAML, the most used) and YAML 1.2 ones (ruamel): `1:2` written plain
was read by PyYAML as the sexagesimal 62, a float `1e-05` as a string, so 228
values of a real 2,176-plugin catalogue changed and the file failed our own
schema; and it took 62–96 s and ~690 MB where the JSON export took 2.2 s. Our
document is plain data of a fixed, small set of types, and each has one spelling
that both YAML versions read the same:

- every string (keys included) as a double-quoted scalar with JSON's escapes,
  which are a subset of YAML's (1.1 and 1.2): nothing in quotes is ever a number,
  boolean, null, date or sexagesimal. Characters YAML may not hold raw (DEL, C1
  controls, U+FEFF/FFFE/FFFF) or would take for line breaks (U+0085, U+2028/9)
  are escaped `\\uXXXX`; a lone surrogate becomes U+FFFD, as in the JSON export;
- a float always with a `.` and a signed exponent (`1.0e-05`: YAML 1.1's float
  pattern needs both), infinities and NaN as `.inf`, `-.inf`, `.nan`;
- integers in decimal, `true`/`false`, `null`, `{}` and `[]`;
- a key longer than YAML's 1,024-character limit on implicit keys written as an
  explicit `? key` entry.

Lines are never folded, and keys keep the JSON export's order.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TextIO

import attrs

from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin, Preset
from pluginary.exporters.common import parse_options, utf8
from pluginary.exporters.json import catalog_document

#: What JSON's escaping leaves raw but YAML must not hold raw: DEL and the C1 controls (U+0085, NEL, is a
#: line break in YAML 1.1), the Unicode line and paragraph separators, the byte-order mark and the two
#: non-characters YAML's printable set leaves out.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
#: YAML readers refuse an implicit key longer than this (counted in characters, quotes included).
MAX_IMPLICIT_KEY = 1024
_INDENT = "  "

_encode = json.encoder.encode_basestring  # C speed, leaves non-ASCII raw


def quoted(text: str) -> str:
    """`text` as a double-quoted YAML scalar that YAML 1.1 and 1.2 readers both load back as `text`."""
    out: str = _encode(text)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04X}", out) if _UNSAFE.search(out) else out


def scalar(value: Any) -> str:
    """A scalar's one spelling, read the same by YAML 1.1 and 1.2 readers."""
    if isinstance(value, str):
        return quoted(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)  # e.g. 0.5, 1e-05, 1.5e+300: the exponent always has its sign
        mantissa, _, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}" if exponent else mantissa
    raise TypeError(f"cannot write {type(value).__name__} as YAML: not plain data")


def _lines(value: Any, indent: str) -> Iterator[str]:
    """The block lines of a non-empty mapping or sequence at `indent`, each ending in a newline."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = quoted(str(key))
            if len(name) > MAX_IMPLICIT_KEY:
                yield f"{indent}? {name}\n"
                yield from _entry(f"{indent}:", item, indent)
            else:
                yield from _entry(f"{indent}{name}:", item, indent)
    else:
        for item in value:
            yield from _entry(f"{indent}-", item, indent)


def _entry(head: str, item: Any, indent: str) -> Iterator[str]:
    """`head` (a key and its colon, or a dash) followed by `item`: inline when a scalar or empty, else
    as an indented block."""
    if isinstance(item, dict | list | tuple) and item:
        lines = _lines(item, indent + _INDENT)
        if head.endswith("-"):  # a sequence item starts on the dash's line: `- "name": …`, `- - 1`
            yield f"{head} {next(lines)[len(indent) + len(_INDENT) :]}"
        else:
            yield f"{head}\n"
        yield from lines
    elif isinstance(item, dict):
        yield f"{head} {{}}\n"
    elif isinstance(item, list | tuple):
        yield f"{head} []\n"
    else:
        yield f"{head} {scalar(item)}\n"


def dumps(data: Any) -> str:
    """Plain data (dicts with string keys, lists, str, int, float, bool, None) as one YAML document."""
    if isinstance(data, dict | list | tuple) and data:
        return "".join(_lines(data, ""))
    return next(_entry("---", data, ""))


class YAMLWriter:
    """The one YAML writer: the export and every command's `--output yaml` write with it.

    `dump(data, stream)` as ruamel's and PyYAML's emitters spell it, so the CLI calls it the same way.
    """

    def dump(self, data: Any, stream: TextIO) -> None:
        stream.write(dumps(data))


def make_yaml() -> YAMLWriter:
    """The YAML writer the export and the CLI's `-o yaml` share."""
    return YAMLWriter()


@attrs.frozen
class YAMLOptions:
    timestamps: bool = False


def _document(plugins: Iterable[Plugin], presets: Iterable[Preset], timestamps: bool) -> Iterator[str]:
    """The catalogue document in pieces of one plugin each, so that only one plugin's lines are alive at
    once (a list of every line of 2,000 plugins would cost several times the text itself)."""
    for key, value in catalog_document(plugins, timestamps=timestamps, presets=presets).items():
        if key == "plugins" and value:
            yield f"{quoted(key)}:\n"
            for plugin_id, record in value.items():
                yield "".join(_lines({plugin_id: record}, _INDENT))
        else:
            yield "".join(_entry(f"{quoted(key)}:", value, ""))


class YAMLExporter:
    name: ClassVar[str] = "yaml"
    options_class: ClassVar[type[YAMLOptions]] = YAMLOptions

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        """The document without presets (`presets` is an empty list), as the json exporter's `render`."""
        return self.render_with_presets(plugins, (), path, options)

    def render_with_presets(
        self, plugins: Iterable[Plugin], presets: Iterable[Preset], path: Path, options: dict[str, Any]
    ) -> list[OutputFile]:
        opts = parse_options(self.name, options, self.options_class)
        return [OutputFile(path, utf8("".join(_document(plugins, presets, opts.timestamps))))]
