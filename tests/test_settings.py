"""Settings: every value is range-checked wherever it came from, hostile YAML is refused
quickly, each layer wins over the ones below it, and every command means the same catalogue."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pluginary.core.errors import CatalogError, PipelineError
from pluginary.core.options import ScanOptions, StoreOptions, backend_name
from pluginary.pipeline import loader

SCAN_PIPELINE = "stages:\n  - discover\n  - diff\n  - scan\n"


def pluginary(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI with its config and data folders in `home`, so the user's own are never touched."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLUGINARY_")},
        "PLUGINARY_CONFIG_DIR": str(home / "config"),
        "PLUGINARY_DATA_DIR": str(home / "data"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "pluginary", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
        cwd=home,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a usage error (exit 2), without its `error: ` prefix."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0].removeprefix("error: ")


def load_text(tmp_path: Path, text: str, **kwargs: object) -> loader.Pipeline:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    kwargs.setdefault("environ", {})
    kwargs.setdefault("config_path", tmp_path / "absent.yaml")
    return loader.load(str(path), **kwargs)  # type: ignore[arg-type]


def error_of(tmp_path: Path, text: str, **kwargs: object) -> str:
    with pytest.raises(PipelineError) as info:
        load_text(tmp_path, text, **kwargs)
    return str(info.value)


# -- range checks ------------------------------------------------------------------------

OUT_OF_RANGE = [
    ("timeout", "0", "must be more than 0 and at most 86,400 seconds, got 0"),
    ("timeout", "-5", "must be more than 0 and at most 86,400 seconds, got -5"),
    ("timeout", ".nan", "must be more than 0 and at most 86,400 seconds, got nan"),
    ("timeout", ".inf", "must be more than 0 and at most 86,400 seconds, got inf"),
    ("timeout", "86401", "must be more than 0 and at most 86,400 seconds, got 86401"),
    ("timeouts", "{lv2: 0}", "lv2: must be more than 0 and at most 86,400 seconds, got 0"),
    ("timeouts", "{vst3: .nan}", "vst3: must be more than 0"),
    ("batch_size", "0", "must be at least 1 and at most 100,000, got 0"),
    ("batch_size", "99999999999999999999", "must be at least 1 and at most 100,000, got 99999999999999999999"),
    ("retries", "-1", "must be at least 0 and at most 10, got -1"),
    ("retries", "1000", "must be at least 0 and at most 10, got 1000"),
    ("recycle_after", "0", "must be at least 1"),
    ("max_rss_mb", "10", "must be at least 64 and at most 1,000,000,000 MB, got 10"),
    ("workers", "-1", "must be at least 0 and at most 512 (0: one per core), got -1"),
    ("workers", "100000", "must be at least 0 and at most 512"),
]


@pytest.mark.parametrize(("option", "value", "message"), OUT_OF_RANGE)
def test_out_of_range_in_a_pipeline_file_points_at_the_value(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    text = f"stages:\n  - discover\n  - diff\n  - scan: {{{option}: {value}}}\n"
    column = len("  - scan: {") + len(option) + len(": ") + 1
    assert error_of(tmp_path, text).startswith(f"{tmp_path / 'p.yaml'}:4:{column}: scan.{option}: {message}")


@pytest.mark.parametrize(("option", "value", "message"), OUT_OF_RANGE)
def test_out_of_range_from_config_env_and_set_names_its_source(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"scan:\n  {option}: {value}\n", encoding="utf-8")
    column = len(f"  {option}: ") + 1
    assert error_of(tmp_path, SCAN_PIPELINE, config_path=config).startswith(
        f"{config}:2:{column}: scan.{option}: {message}"
    )
    variable = f"PLUGINARY_SCAN__{option.upper()}"
    assert error_of(tmp_path, SCAN_PIPELINE, environ={variable: value}).startswith(
        f"env {variable}: scan.{option}: {message}"
    )
    assert error_of(tmp_path, SCAN_PIPELINE, overrides=[f"scan.{option}={value}"]).startswith(
        f"--set scan.{option}={value}: scan.{option}: {message}"
    )


@pytest.mark.parametrize(
    "values",
    [
        {"timeout": 0.0},
        {"timeout": math.nan},
        {"timeout": -math.inf},
        {"timeouts": {"lv2": math.inf}},
        {"batch_size": 0},
        {"retries": -1},
        {"recycle_after": 0},
        {"max_rss_mb": 1},
        {"workers": -3},
    ],
)
def test_the_options_classes_refuse_out_of_range_values_from_python_too(values: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        ScanOptions(**values)  # type: ignore[arg-type]


def test_values_at_the_bounds_are_accepted(tmp_path: Path) -> None:
    bounds = "{timeout: 0.5, timeouts: {lv2: 86400}, batch_size: 1, retries: 0, recycle_after: 1, max_rss_mb: 64}"
    scan = load_text(tmp_path, f"stages:\n  - discover\n  - diff\n  - scan: {bounds}\n").stages["scan"]
    assert (scan.timeout, scan.timeouts, scan.batch_size, scan.retries) == (0.5, {"lv2": 86400.0}, 1, 0)
    assert (scan.recycle_after, scan.max_rss_mb, scan.workers) == (1, 64, 0)


@pytest.mark.slow
def test_a_zero_timeout_is_refused_by_the_cli_before_anything_runs(tmp_path: Path) -> None:
    # `--set scan.timeout=0` once failed 2,106 of 2,176 plugins; NaN hung forever.
    for value in ("0", "nan", ".nan"):
        done = pluginary(
            "scan", "--catalog", str(tmp_path / "c.sqlite"), "--set", f"scan.timeout={value}", home=tmp_path
        )
        line = one_line_error(done)
        assert line.startswith(f"--set scan.timeout={value}: scan.timeout: ")
        assert "must be more than 0" in line or "expected a number" in line
    assert not (tmp_path / "c.sqlite").exists() and not (tmp_path / "data").exists()


# -- hostile YAML ------------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    """Nine lists of nine aliases of the list before: 9**9 values once expanded, 1 KB on disk."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\nstages: [discover]\n"


def _limited_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024, 1024 * 1024 * 1024))


@pytest.mark.parametrize("where", ["pipeline", "config"])
def test_a_billion_laughs_file_is_refused_in_under_a_second_in_bounded_memory(tmp_path: Path, where: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(), encoding="utf-8")
    config, pipeline = (bomb, "full") if where == "config" else (tmp_path / "absent.yaml", str(bomb))
    script = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from pluginary.pipeline import loader\n"
        "started = time.perf_counter()\n"
        "try:\n"
        f"    loader.load({pipeline!r}, environ={{}}, config_path=Path({str(config)!r}))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, preexec_fn=_limited_memory
    )
    assert done.returncode == 0, done.stderr
    refusal, figures = done.stdout.splitlines()
    assert refusal == (
        f"PipelineError {bomb}: more than 10,000 values once its aliases are expanded"
        " — write the values out, or use fewer aliases (*name) of aliases"
    )
    seconds, max_rss_kb = figures.split()
    assert float(seconds) < 1.0
    # Bounded: the interpreter and its imports take 40-200 MB as the machine goes; expanding the file
    # would take gigabytes (the child runs under a 1 GB limit).
    assert int(max_rss_kb) < 300_000


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_bomb_through_the_cli_is_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(), encoding="utf-8")
    assert one_line_error(pluginary("run", str(bomb), home=tmp_path)).startswith(f"{bomb}: more than 10,000 values")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(billion_laughs(), encoding="utf-8")
    line = one_line_error(pluginary("config", "show", "full", home=tmp_path))
    assert line.startswith(f"{tmp_path / 'config' / 'config.yaml'}: more than 10,000 values")


def test_a_bomb_in_a_set_override_is_refused(tmp_path: Path) -> None:
    levels = ["&a [1, 1, 1, 1, 1, 1, 1, 1, 1]"] + [
        f"&{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(5)
    ]
    override = f"scan.timeouts={{x: [{', '.join(levels)}]}}"
    assert "more than 10,000 values once its aliases are expanded" in error_of(
        tmp_path, SCAN_PIPELINE, overrides=[override]
    )


def test_a_few_aliases_are_still_fine(tmp_path: Path) -> None:
    text = "stages:\n  - discover: {formats: &f [lv2, vst3]}\n  - diff\n  - scan: {timeouts: {lv2: &t 5, vst3: *t}}\n"
    loaded = load_text(tmp_path, text)
    assert loaded.stages["discover"].formats == ("lv2", "vst3")
    assert loaded.stages["scan"].timeouts == {"lv2": 5.0, "vst3": 5.0}


@pytest.mark.parametrize("where", ["pipeline", "config"])
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_file_that_is_not_utf8_is_one_line_with_the_byte(tmp_path: Path, where: str) -> None:
    latin1 = "stages:\n  - discover  # café\n".encode("latin-1")
    if where == "pipeline":
        bad = tmp_path / "p.yaml"
        bad.write_bytes(latin1)
        done = pluginary("run", str(bad), home=tmp_path)
    else:
        bad = tmp_path / "config" / "config.yaml"
        bad.parent.mkdir()
        bad.write_bytes(latin1)
        done = pluginary("config", "show", "scan", home=tmp_path)
    assert one_line_error(done) == f"{bad}: not UTF-8 at byte {latin1.index(0xE9)} — save it as UTF-8"


@pytest.mark.slow
def test_a_fifo_or_a_deep_nest_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    assert (
        one_line_error(pluginary("run", str(fifo), home=tmp_path)) == f"{fifo}: not a regular file — name a YAML file"
    )
    deep = tmp_path / "deep.yaml"
    deep.write_text("stages: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert one_line_error(pluginary("run", str(deep), home=tmp_path)).startswith(f"{deep}: nested too deeply")


# -- layers ------------------------------------------------------------------------------


def test_each_layer_beats_the_ones_below_it(tmp_path: Path) -> None:
    """One option set in every layer, the top layer removed one at a time."""
    config = tmp_path / "config.yaml"
    config.write_text("scan: {timeout: 2}\n", encoding="utf-8")
    pipeline_text = "stages:\n  - discover\n  - diff\n  - scan: {timeout: 3}\n"
    env = {"PLUGINARY_SCAN__TIMEOUT": "4"}
    layers: list[tuple[dict[str, Any], str, float, str]] = [
        ({"overrides": ["scan.timeout=5"], "environ": env, "config_path": config}, pipeline_text, 5.0, "--set"),
        ({"environ": env, "config_path": config}, pipeline_text, 4.0, "env PLUGINARY_SCAN__TIMEOUT"),
        ({"config_path": config}, pipeline_text, 3.0, f"{tmp_path / 'p.yaml'}:4:21"),
        ({"config_path": config}, SCAN_PIPELINE, 2.0, f"{config}:1:17"),
        ({}, SCAN_PIPELINE, 30.0, "built-in default"),
    ]
    for kwargs, text, timeout, origin in layers:
        loaded = load_text(tmp_path, text, **kwargs)
        assert loaded.stages["scan"].timeout == timeout, origin
        assert loaded.origins["scan"]["timeout"].startswith(origin)


@pytest.mark.parametrize("name", sorted(loader.builtin_pipelines()))
def test_the_user_config_reaches_every_builtin_pipeline(tmp_path: Path, name: str) -> None:
    # The README's own example, `scan: {timeout: 60}`, once never applied: the built-ins pinned the defaults.
    config = tmp_path / "config.yaml"
    config.write_text(
        "discover: {formats: [lv2], standard_paths: false}\n"
        "diff: {full: true}\n"
        "scan: {timeout: 60, workers: 3, retries: 2, batch_size: 7}\n"
        "categorize: {using: [native]}\n"
        f"store: {{path: {tmp_path / 'mine.json'}}}\n",
        encoding="utf-8",
    )
    loaded = loader.load(name, environ={}, config_path=config)
    expected: dict[str, dict[str, Any]] = {
        "discover": {"formats": ("lv2",), "standard_paths": False},
        "diff": {"full": True},
        "scan": {"timeout": 60.0, "workers": 3, "retries": 2, "batch_size": 7},
        "categorize": {"using": ("native",)},
        "store": {"path": tmp_path / "mine.json"},
    }
    assert set(loaded.stages) - {"export"} <= set(expected)
    for stage in set(loaded.stages) - {"export"}:
        for option, value in expected[stage].items():
            assert getattr(loaded.stages[stage], option) == value, f"{name}: {stage}.{option}"
            assert loaded.origins[stage][option].startswith(f"{config}:"), f"{name}: {stage}.{option}"


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_config_show_says_the_config_file_sets_the_readme_example(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("scan: {timeout: 60}\n", encoding="utf-8")
    for name in ("full", "scan"):
        done = pluginary("config", "show", name, home=tmp_path)
        assert done.returncode == 0, done.stderr
        rows = {line.split(" = ")[0]: line for line in done.stdout.splitlines() if " = " in line}
        assert rows["scan.timeout"] == f"scan.timeout = 60.0    # {tmp_path / 'config' / 'config.yaml'}:1:17"
        assert rows["scan.retries"] == "scan.retries = 1    # built-in default"
        assert rows["discover.formats"].endswith("# built-in default")


def test_config_show_points_at_each_export_target(tmp_path: Path) -> None:
    loaded = loader.load("manifest", environ={}, config_path=tmp_path / "absent.yaml")
    rows = [row for row in loader.effective_settings(loaded) if row[0] == "export"]
    assert [row[3] for row in rows] == [f"{loaded.path}:{line}:9" for line in range(10, 16)]
    assert rows[0][2]["path"] == Path("manifests/catalog.json")


# -- which catalogue ---------------------------------------------------------------------


def test_the_backend_follows_the_suffix_and_a_contradiction_is_refused() -> None:
    assert backend_name(Path("x.json")) == "json"
    assert backend_name(Path("x.JSON")) == "json"
    assert backend_name(Path("x.sqlite")) == backend_name(Path("x.db")) == backend_name(None) == "sqlite"
    assert backend_name(Path("x.data"), "json") == "json"
    assert backend_name(Path("x.json"), "example:Backend") == "example:Backend"
    with pytest.raises(CatalogError, match=r"x\.json: a \.json file is a json catalogue, but the sqlite backend"):
        backend_name(Path("x.json"), "sqlite")
    with pytest.raises(CatalogError, match=r"a \.sqlite file is a sqlite catalogue, but the json backend"):
        backend_name(Path("x.sqlite"), "json")


def test_catalog_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--catalog > PLUGINARY_CATALOG > PLUGINARY_STORE__PATH > the config's store > the default."""
    monkeypatch.setenv("PLUGINARY_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "config.yaml"
    absent = tmp_path / "absent.yaml"
    assert loader.catalog_location(environ={}, config_path=absent) == (tmp_path / "data" / "catalog.sqlite", None)
    config.write_text("store: {backend: json}\n", encoding="utf-8")
    assert loader.catalog_location(environ={}, config_path=config) == (tmp_path / "data" / "catalog.json", "json")
    config.write_text(f"store: {{path: {tmp_path / 'conf.sqlite'}}}\n", encoding="utf-8")
    assert loader.catalog_location(environ={}, config_path=config) == (tmp_path / "conf.sqlite", None)
    env = {"PLUGINARY_STORE__PATH": str(tmp_path / "store-env.sqlite")}
    assert loader.catalog_location(environ=env, config_path=config)[0] == tmp_path / "store-env.sqlite"
    env["PLUGINARY_CATALOG"] = str(tmp_path / "env.json")
    assert loader.catalog_location(environ=env, config_path=config) == (tmp_path / "env.json", None)
    assert loader.catalog_location(tmp_path / "flag.db", environ=env, config_path=config) == (
        tmp_path / "flag.db",
        None,
    )
    config.write_text("store: {path: 3}\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=f"{config}:1:15: store.path: expected a path, got 3"):
        loader.catalog_location(environ={}, config_path=config)


def test_store_settings_ignore_other_stages_of_the_environment(tmp_path: Path) -> None:
    # A typo meant for `scan` must not break `list`; the store's own variables apply.
    env = {"PLUGINARY_SCAN__TIMOUT": "3", "PLUGINARY_STORE__BACKEND": "json"}
    assert loader.store_settings(environ=env, config_path=tmp_path / "absent.yaml") == StoreOptions(backend="json")


# -- export targets' options: checked when the pipeline loads ----------------------------------

EXPORT_PIPELINE = (
    "stages:\n  - store\n  - export:\n      - format: {fmt}\n        path: out/x\n        options: {options}\n"
)


@pytest.mark.parametrize(
    ("fmt", "options", "key", "message"),
    [
        ("json", "{indnt: 2}", "indnt", "unknown option 'indnt' for the json exporter"),
        ("json", "{indent: '2'}", "indent", "option 'indent' of the json exporter must be int, not str '2'"),
        ("reaper", "{folder_prefix: ''}", "folder_prefix", "folder_prefix"),
        ("ardour", "{statuses: yes please}", "statuses", "option 'statuses' of the ardour exporter must be bool"),
        ("logic", "{properties: 3}", "properties", "must be bool, not int 3"),
    ],
)
def test_exporter_options_are_checked_at_load_with_their_position(
    tmp_path: Path, fmt: str, options: str, key: str, message: str
) -> None:
    text = EXPORT_PIPELINE.format(fmt=fmt, options=options)
    error = error_of(tmp_path, text)
    assert message in error and "allowed:" in error
    if "unknown" in message or "must be" in message:  # the option's value is pointed at
        column = len("        options: {") + len(key) + len(": ") + 1
        assert error.startswith(f"{tmp_path / 'p.yaml'}:6:{column}: "), error
    else:  # a value its options class refused: the options
        assert error.startswith(f"{tmp_path / 'p.yaml'}:6:9: "), error


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_good_exporter_options_load_and_a_bad_one_stops_run_before_scanning(tmp_path: Path) -> None:
    good = load_text(tmp_path, EXPORT_PIPELINE.format(fmt="json", options="{indent: 4}"))
    assert good.stages["export"][0].options == {"indent": 4}
    pipeline = tmp_path / "bad.yaml"
    pipeline.write_text(
        EXPORT_PIPELINE.format(fmt="csv", options="{parameters: 1}").replace(
            "  - store\n", "  - discover\n  - diff\n  - scan\n  - store\n"
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "PLUGINARY_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-m", "pluginary", "run", str(pipeline), "--catalog", str(tmp_path / "c.db")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert one_line_error(done).startswith(f"{pipeline}:9:31: option 'parameters' of the csv exporter")
    assert not (tmp_path / "c.db").exists()  # nothing was scanned or stored
