"""Stage options from every layer, each value with the place it came from.

Precedence, lowest first: built-in defaults < user config file < pipeline file
< `PLUGINARY_<STAGE>__<OPTION>` environment variables < `--set stage.option=value`.
Values from the environment and `--set` are YAML scalars or flow collections
(`60`, `true`, `[vst3, lv2]`). Conversion is strict: "no" is not False and
"30" in a pipeline file is not a number; a number outside its option's bounds
is refused by the options class's own validator.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs

from pluginary.core.errors import PipelineError
from pluginary.core.options import WorkerCount

ENV_PREFIX = "PLUGINARY_"
#: Most values (mappings, lists, scalars; an alias counted each time it is used) one file or
#: override may hold: far above any real pipeline, far below what nested aliases (a "billion
#: laughs" file) expand to, so walking what YAML gave us stays cheap.
MAX_VALUES = 10_000


@attrs.frozen
class Setting:
    value: Any
    origin: str  # "pipelines/full.yaml:7:14", "env PLUGINARY_SCAN__TIMEOUT", "--set scan.timeout=60", …
    #: Where to point at when the *key* is wrong (a file position of the key itself).
    key_origin: str = ""


#: stage → option → the winning setting
Layered = dict[str, dict[str, Setting]]


def _reject(expected: str, value: Any) -> typing.NoReturn:
    raise ValueError(f"expected {expected}, got {value!r}")


def _int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _reject("a whole number", value)
    return value


def _float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _reject("a number", value)
    return float(value)


def _bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        _reject("true or false", value)
    return value


def _str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        _reject("text", value)
    return value


def _path(value: Any, _: type) -> Path:
    if not isinstance(value, str) or not value:
        _reject("a path", value)
    return Path(value).expanduser()


def _workers(value: Any, _: type) -> int:
    if value == "auto":
        return 0
    if isinstance(value, bool) or not isinstance(value, int):  # the range is ScanOptions' to check
        _reject("a number of workers or 'auto'", value)
    return value


@functools.cache
def _strict() -> cattrs.Converter:
    """The converter for option values, built on first use: `list` and `search` import this
    module to find their catalogue, and structure an option only when a config file sets one."""
    conv = cattrs.Converter(detailed_validation=False)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(float, _float)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(Path, _path)
    conv.register_structure_hook(WorkerCount, _workers)

    def is_tuple(tp: Any) -> bool:
        return typing.get_origin(tp) is tuple

    def structure_tuple(value: Any, tp: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            _reject("a list, e.g. [a, b]", value)
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(conv.structure(item, item_type) for item in value)

    def is_dict(tp: Any) -> bool:
        return typing.get_origin(tp) is dict

    def structure_dict(value: Any, tp: Any) -> dict[Any, Any]:
        if not isinstance(value, Mapping):
            _reject("a mapping, e.g. {key: value}", value)
        key_type, value_type = typing.get_args(tp)
        if value_type is Any:
            return {conv.structure(k, key_type): v for k, v in value.items()}
        return {conv.structure(k, key_type): conv.structure(v, value_type) for k, v in value.items()}

    conv.register_structure_hook_func(is_tuple, structure_tuple)
    conv.register_structure_hook_func(is_dict, structure_dict)
    return conv


def field_types(options_class: type) -> dict[str, Any]:
    """Option name → its type, resolved (the option modules use postponed annotations)."""
    return typing.get_type_hints(options_class)


def structure_option(options_class: type, name: str, value: Any) -> Any:
    """One option's value in its field's type and within its bounds; ValueError says what was expected."""
    tp = field_types(options_class)[name]
    try:
        structured = _strict().structure(value, tp)
    except ValueError:
        raise
    except Exception as exc:  # cattrs' own errors for unions and the like
        raise ValueError(f"expected {_describe(tp)}, got {value!r}") from exc
    field = attrs.fields_dict(options_class)[name]
    if field.validator is not None:
        field.validator(None, field, structured)  # the options class's own range check
    return structured


def _describe(tp: Any) -> str:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return " or ".join(getattr(a, "__name__", str(a)) for a in args) or getattr(tp, "__name__", str(tp))


def default_values(options_class: type) -> dict[str, Any]:
    """Every option's built-in default."""
    return attrs.asdict(options_class(), recurse=False)


def check_size(value: Any, where: str) -> None:
    """A PipelineError when `value`, aliases expanded, holds more than MAX_VALUES values.

    YAML aliases share one object, so loading a "billion laughs" file is quick;
    what blows up is walking it. Sizes are counted once per distinct object, so
    this walk is as cheap as the file is small.
    """
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, Mapping | list):
            return 1
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = MAX_VALUES + 1  # an alias of a node inside itself counts as too many
        children = [*node.keys(), *node.values()] if isinstance(node, Mapping) else node
        total = 1
        for child in children:
            total = min(total + size(child), MAX_VALUES + 1)
        sizes[id(node)] = total
        return total

    if size(value) > MAX_VALUES:
        raise PipelineError(
            f"more than {MAX_VALUES:,} values once its aliases are expanded",
            where=where,
            fix="write the values out, or use fewer aliases (*name) of aliases",
        )


def parse_scalar(text: str, where: str = "") -> Any:
    """A value typed on a command line or in an environment variable, read as YAML."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        value = YAML(typ="safe", pure=True).load(text)
    except (YAMLError, RecursionError):
        return text  # not YAML: keep the text; the option's type check says what is wrong
    check_size(value, where or repr(text[:40]))
    return value


def env_overrides(environ: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(stage, option, raw value, variable name) for each `PLUGINARY_<STAGE>__<OPTION>`."""
    found = []
    for var, raw in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX) or "__" not in var:
            continue
        stage, _, option = var[len(ENV_PREFIX) :].partition("__")
        found.append((stage.lower(), option.lower(), raw, var))
    return found


def set_overrides(items: list[str]) -> list[tuple[str, str, str, str]]:
    """(stage, option, raw value, the item as typed) for each `--set stage.option=value`."""
    found = []
    for item in items:
        key, sep, raw = item.partition("=")
        stage, dot, option = key.strip().partition(".")
        if not sep or not dot or not stage or not option:
            raise PipelineError(
                f"cannot read --set {item!r}", fix="write it as stage.option=value, e.g. scan.timeout=60"
            )
        found.append((stage, option, raw, item))
    return found
