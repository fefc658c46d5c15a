"""Pipeline files: find, parse, validate and resolve them into typed stage options.

Every mistake is reported as one line `where: what is wrong — what is allowed`
before anything runs; `where` is `file:line:col` for a pipeline or config
file, the variable for the environment, the item for `--set`.
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import attrs

from pluginary.core import components
from pluginary.core.errors import PipelineError
from pluginary.core.fleet import DatabaseURL, location
from pluginary.core.options import STAGE_OPTIONS, STAGE_ORDER, ExportTarget, Pipeline, StoreOptions
from pluginary.core.paths import default_catalog_path, user_config_dir
from pluginary.pipeline.settings import (
    Layered,
    Setting,
    check_size,
    default_values,
    env_overrides,
    field_types,
    parse_scalar,
    set_overrides,
    structure_option,
)

TOP_LEVEL_KEYS = ("name", "description", "stages")
#: The variable naming the catalogue, as `--catalog` does.
CATALOG_ENV = "PLUGINARY_CATALOG"
#: A stage that needs another before it: what it needs and why.
REQUIRES = {
    "diff": ("discover", "diff compares what discover found"),
    "scan": ("diff", "scan loads what diff chose"),
    "categorize": ("scan", "categorize works on freshly scanned plugins"),
    "export": ("store", "export reads the catalogue that store names"),
}
#: Component options checked against installed components: stage → option → kind.
COMPONENT_OPTIONS = {
    ("discover", "formats"): "format",
    ("categorize", "using"): "categorizer",
    ("store", "backend"): "backend",
}


def builtin_dir() -> Path:
    return Path(str(files("pluginary") / "pipelines"))


def builtin_pipelines() -> dict[str, Path]:
    """The pipelines shipped in the package, by name."""
    return {path.stem: path for path in sorted(builtin_dir().glob("*.yaml"))}


def describe(path: Path) -> str:
    """A pipeline file's `description`, for listings."""
    try:
        doc = _read_yaml(path)
    except PipelineError as exc:
        return f"(unreadable: {exc})"
    return str(doc.get("description", "")) if isinstance(doc, Mapping) else ""


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    from rapidfuzz import process

    best = process.extractOne(word, list(choices), score_cutoff=60)
    return f"did you mean {best[0]!r}? " if best else ""


def resolve(ref: str) -> Path:
    """A pipeline file path, or the name of a built-in pipeline."""
    path = Path(ref).expanduser()
    if path.exists() and not path.is_dir():  # a FIFO or device too, for _read_yaml to refuse in one line
        return path
    builtins = builtin_pipelines()
    if ref in builtins:
        return builtins[ref]
    hint = did_you_mean(ref, list(builtins))
    if path.suffix in (".yaml", ".yml") or os.sep in ref:
        raise PipelineError("no such pipeline file", where=ref, fix=f"{hint}built-in: {', '.join(builtins)}")
    raise PipelineError(f"unknown pipeline {ref!r}", fix=f"{hint}built-in: {', '.join(builtins)}")


#: Larger than any pipeline or config file needs; a bigger one is refused before it is read.
MAX_FILE_BYTES = 1024 * 1024


def _read_yaml(path: Path) -> Any:
    """A pipeline or config file's YAML: UTF-8, a regular file of sane size, aliases bounded."""
    import stat

    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        # Non-blocking, so a FIFO is refused rather than waited on for a writer.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise PipelineError("not a regular file", where=str(path), fix="name a YAML file")
            if info.st_size > MAX_FILE_BYTES:
                raise PipelineError(
                    f"{info.st_size:,} bytes, more than a pipeline or config file may have ({MAX_FILE_BYTES:,})",
                    where=str(path),
                )
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PipelineError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineError(f"not UTF-8 at byte {exc.start}", where=str(path), fix="save it as UTF-8") from None
    try:
        doc = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise PipelineError(f"YAML syntax error: {exc.problem}", where=where, fix="fix the YAML") from exc
    except YAMLError as exc:
        raise PipelineError(f"YAML error: {exc}", where=str(path)) from exc
    except RecursionError:
        raise PipelineError("nested too deeply", where=str(path), fix="a pipeline needs a few levels") from None
    check_size(doc, str(path))
    return doc


def _pos(path: Path, node: Any, key: Any = None, *, of_value: bool = False) -> str:
    """`file:line:col` of a mapping key (or its value), of a list item, or of the node itself."""
    lc = getattr(node, "lc", None)
    try:
        if lc is None:
            return str(path)
        if key is None:
            line, col = lc.line, lc.col
        elif isinstance(key, int) and not isinstance(node, Mapping):
            line, col = lc.item(key)
        else:
            line, col = lc.value(key) if of_value else lc.key(key)
    except (KeyError, TypeError, AttributeError):
        return str(path)
    return f"{path}:{line + 1}:{col + 1}"


def _plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for plain in (int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return value


def _stage_entries(path: Path, doc: Any) -> list[tuple[str, Any, str]]:
    """(stage, raw options node, position) for each item of `stages`, checked for shape and order."""
    if not isinstance(doc, Mapping):
        raise PipelineError("a pipeline file is a mapping with a 'stages' list", where=_pos(path, doc))
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            raise PipelineError(
                f"unknown key {key!r}",
                where=_pos(path, doc, key),
                fix=f"{did_you_mean(str(key), TOP_LEVEL_KEYS)}allowed: {', '.join(TOP_LEVEL_KEYS)}",
            )
    stages = doc.get("stages")
    if not isinstance(stages, list) or not stages:
        where = _pos(path, doc, "stages", of_value=True) if "stages" in doc else str(path)
        raise PipelineError("'stages' must be a non-empty list", where=where, fix="e.g. stages: [discover, diff]")
    entries: list[tuple[str, Any, str]] = []
    for index, item in enumerate(stages):
        where = _pos(path, stages, index)
        if isinstance(item, str):
            name, node = item, None
        elif isinstance(item, Mapping) and len(item) == 1:
            ((name, node),) = item.items()
            where = _pos(path, item, name)
        else:
            raise PipelineError(
                "each stage is a name or a mapping of one name to its options",
                where=where,
                fix="e.g. '- scan: {timeout: 30}'",
            )
        name = str(name)
        if name not in STAGE_OPTIONS:
            raise PipelineError(
                f"unknown stage {name!r}",
                where=where,
                fix=f"{did_you_mean(name, STAGE_ORDER)}stages: {' → '.join(STAGE_ORDER)}",
            )
        seen = [entry[0] for entry in entries]
        if name in seen:
            raise PipelineError(f"stage {name!r} appears twice", where=where, fix="each stage may run once")
        if seen and STAGE_ORDER.index(name) < STAGE_ORDER.index(seen[-1]):
            raise PipelineError(
                f"stage {name!r} cannot come after {seen[-1]!r}",
                where=where,
                fix=f"the order is {' → '.join(STAGE_ORDER)}",
            )
        entries.append((name, node, where))
    names = [entry[0] for entry in entries]
    for name, _node, where in entries:
        if name in REQUIRES and REQUIRES[name][0] not in names:
            needed, why = REQUIRES[name]
            raise PipelineError(f"stage {name!r} needs {needed!r} before it", where=where, fix=why)
    return entries


def _file_layer(path: Path, stage: str, node: Any, where: str, layered: Layered) -> None:
    """Put one stage's options from a pipeline or config file into `layered`."""
    if node is None:
        return
    if not isinstance(node, Mapping):
        raise PipelineError(f"the options of stage {stage!r} must be a mapping", where=where, fix="e.g. {timeout: 30}")
    for key in node:
        layered.setdefault(stage, {})[str(key)] = Setting(
            _plain(node[key]), _pos(path, node, key, of_value=True), _pos(path, node, key)
        )


def _config_layer(config_path: Path, stages: Sequence[str], layered: Layered) -> None:
    """The user's config file: `stage: {option: value}` for any stage; absent is fine."""
    if not config_path.exists():
        return
    doc = _read_yaml(config_path)
    if doc is None:
        return
    if not isinstance(doc, Mapping):
        raise PipelineError("the config file is a mapping of stage names to options", where=_pos(config_path, doc))
    for stage in doc:
        where = _pos(config_path, doc, stage)
        if stage not in STAGE_OPTIONS or stage == "export":
            allowed = [s for s in STAGE_ORDER if s != "export"]
            raise PipelineError(
                f"unknown stage {stage!r}",
                where=where,
                fix=f"{did_you_mean(str(stage), allowed)}allowed: {', '.join(allowed)}",
            )
        if stage in stages:
            _file_layer(config_path, str(stage), doc[stage], where, layered)


def _override_layer(
    overrides: list[tuple[str, str, str, str]], stages: Sequence[str], layered: Layered, label: str
) -> None:
    for stage, option, raw, source in overrides:
        where = f"{label} {source}"
        if stage not in STAGE_OPTIONS or stage == "export":
            allowed = [s for s in STAGE_ORDER if s != "export"]
            raise PipelineError(
                f"unknown stage {stage!r}",
                where=where,
                fix=f"{did_you_mean(stage, allowed)}allowed: {', '.join(allowed)}",
            )
        if stage not in stages:
            raise PipelineError(
                f"this pipeline has no {stage!r} stage",
                where=where,
                fix=f"its stages: {', '.join(stages)}",
            )
        layered.setdefault(stage, {})[option] = Setting(parse_scalar(raw, where), where, where)


def check_component(kind: str, name: str, where: str) -> None:
    """A PipelineError with a "did you mean" unless `name` is an installed component of `kind`."""
    if not components.is_known(kind, name):
        installed = sorted(components.available(kind))
        raise PipelineError(
            f"unknown {kind} {name!r}",
            where=where,
            fix=f"{did_you_mean(name, installed)}installed: {', '.join(installed) or 'none'}",
        )


def check_exporter(name: str, where: str) -> None:
    check_component("exporter", name, where)


def _check_component(stage: str, option: str, value: Any, where: str) -> None:
    kind = COMPONENT_OPTIONS.get((stage, option))
    if kind is None or value is None:
        return
    for name in value if isinstance(value, tuple) else (value,):
        check_component(kind, name, where)


def _structure_stage(stage: str, settings: dict[str, Setting]) -> tuple[Any, dict[str, str]]:
    """The stage's options object, every option checked; and where each value came from."""
    options_class = STAGE_OPTIONS[stage]
    allowed = list(field_types(options_class))
    values: dict[str, Any] = {}
    origins = {name: "built-in default" for name in allowed}
    for option, setting in settings.items():
        if option not in allowed:
            raise PipelineError(
                f"unknown option {option!r} of stage {stage!r}",
                where=setting.key_origin or setting.origin,
                fix=f"{did_you_mean(option, allowed)}allowed: {', '.join(allowed)}",
            )
        try:
            values[option] = structure_option(options_class, option, setting.value)
        except ValueError as exc:
            raise PipelineError(f"{stage}.{option}: {exc}", where=setting.origin) from exc
        _check_component(stage, option, values[option], setting.origin)
        origins[option] = setting.origin
    return options_class(**values), origins


def _export_targets(path: Path, node: Any, where: str) -> tuple[tuple[ExportTarget, ...], dict[str, str]]:
    """The export stage: a list of targets, each `{format: NAME, path: PATH, …}`; and where each is."""
    if node is None:
        return (), {}
    if not isinstance(node, list):
        raise PipelineError(
            "the export stage takes a list of targets",
            where=where,
            fix="e.g. '- export: [{format: json, path: out/catalog.json}]'",
        )
    allowed = list(field_types(ExportTarget))
    targets = []
    for index, item in enumerate(node):
        item_where = _pos(path, node, index)
        if not isinstance(item, Mapping):
            raise PipelineError("an export target is a mapping", where=item_where, fix="{format: …, path: …}")
        values: dict[str, Any] = {}
        for key in item:
            if key not in allowed:
                raise PipelineError(
                    f"unknown option {key!r} of an export target",
                    where=_pos(path, item, key),
                    fix=f"{did_you_mean(str(key), allowed)}allowed: {', '.join(allowed)}",
                )
            value_where = _pos(path, item, key, of_value=True)
            try:
                values[str(key)] = structure_option(ExportTarget, str(key), _plain(item[key]))
            except ValueError as exc:
                raise PipelineError(f"export.{key}: {exc}", where=value_where) from exc
        for required in ("format", "path"):
            if required not in values:
                raise PipelineError(f"an export target needs {required!r}", where=item_where)
        check_exporter(values["format"], where=_pos(path, item, "format", of_value=True))
        for name in values.get("prefer", ()):
            check_component("format", name, where=_pos(path, item, "prefer", of_value=True))
        if "options" in item:
            _check_exporter_options(values["format"], values["options"], path, item)
        targets.append(ExportTarget(**values))
    return tuple(targets), {f"[{index}]": _pos(path, node, index) for index in range(len(targets))}


def _check_exporter_options(exporter: str, options: dict[str, Any], path: Path, item: Any) -> None:
    """An export target's `options:` checked now, before anything runs, with each one's position,
    when its exporter declares an `options_class` (every built-in one does); otherwise the exporter
    checks them itself when it runs."""
    from pluginary.exporters.common import parse_options

    options_class = getattr(components.load("exporter", exporter), "options_class", None)
    if options_class is None:
        return
    node = item["options"]
    positions = {str(key): _pos(path, node, key, of_value=True) for key in node} if isinstance(node, Mapping) else {}
    parse_options(exporter, options, options_class, where=_pos(path, item, "options"), positions=positions)


def load(
    ref: str,
    *,
    overrides: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Pipeline:
    """Find, read and validate a pipeline with every settings layer applied."""
    path = resolve(ref)
    doc = _read_yaml(path)
    entries = _stage_entries(path, doc)
    names = [name for name, _node, _where in entries]
    layered: Layered = {}
    _config_layer(config_path or user_config_dir() / "config.yaml", names, layered)
    export_targets: tuple[ExportTarget, ...] = ()
    origins: dict[str, dict[str, str]] = {}
    for name, node, where in entries:
        if name == "export":
            export_targets, origins[name] = _export_targets(path, node, where)
        else:
            _file_layer(path, name, node, where, layered)
    _override_layer(env_overrides(os.environ if environ is None else environ), names, layered, "env")
    _override_layer(set_overrides(list(overrides)), names, layered, "--set")
    stages: dict[str, Any] = {}
    for name in names:
        if name == "export":
            stages[name] = export_targets
            continue
        stages[name], origins[name] = _structure_stage(name, layered.get(name, {}))
    return Pipeline(
        name=str(doc.get("name") or path.stem),
        path=path,
        description=str(doc.get("description") or ""),
        stages=stages,
        origins=origins,
    )


def effective_settings(pipeline: Pipeline) -> list[tuple[str, str, Any, str]]:
    """(stage, option, value, origin) for every option of every stage, for `config show`."""
    rows = []
    for stage, options in pipeline.stages.items():
        if stage == "export":
            for index, target in enumerate(options):
                origin = pipeline.origins.get(stage, {}).get(f"[{index}]", str(pipeline.path))
                rows.append((stage, f"[{index}]", attrs.asdict(target), origin))
            continue
        for option, value in default_values(type(options)).items():
            rows.append((stage, option, getattr(options, option, value), pipeline.origins[stage][option]))
    return rows


def store_settings(*, environ: Mapping[str, str] | None = None, config_path: Path | None = None) -> StoreOptions:
    """The store stage's options from the config file and `PLUGINARY_STORE__*`, for the
    commands that load no pipeline file (`export`, `list`, `search`, …)."""
    layered: Layered = {}
    _config_layer(config_path or user_config_dir() / "config.yaml", ["store"], layered)
    env = [item for item in env_overrides(os.environ if environ is None else environ) if item[0] == "store"]
    _override_layer(env, ["store"], layered, "env")
    options, _origins = _structure_stage("store", layered.get("store", {}))
    return typing.cast(StoreOptions, options)


def catalog_location(
    path: Path | DatabaseURL | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> tuple[Path | DatabaseURL, str | None]:
    """The catalogue a command means, and the backend named for it (None: its suffix says).

    Lowest first: the default in the user data dir < the config file's
    `store.path`/`store.backend` < `PLUGINARY_STORE__*` < `PLUGINARY_CATALOG` < `--catalog`
    (`path`), so `list` reads the catalogue `scan` wrote with the same settings.
    """
    environ = os.environ if environ is None else environ
    if path is None and environ.get(CATALOG_ENV):
        path = location(environ[CATALOG_ENV])
    if path is not None:
        return location(path), None
    store = store_settings(environ=environ, config_path=config_path)
    if store.url is not None:
        return DatabaseURL(store.url), store.backend
    if store.path is not None:
        return store.path, store.backend
    if store.backend is None:
        return default_catalog_path(), None
    return default_catalog_path(components.load("backend", store.backend).default_filename), store.backend


def scan_overrides(paths: list[Path], *, full: bool, retry_failed: bool) -> list[str]:
    """The settings `pluginary scan [--full] [--retry-failed] [PATH…]` gives the `scan` pipeline (the CLI and a
    scan started from `pluginary serve` both ask for them here)."""
    overrides = [f"diff.full={str(full).lower()}", f"diff.retry_failed={str(retry_failed).lower()}"]
    if paths:
        listed = ", ".join(json.dumps(str(path.resolve())) for path in paths)
        overrides += [f"discover.extra_paths=[{listed}]", "discover.standard_paths=false"]
    return overrides
