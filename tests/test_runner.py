"""The runner end to end: real scans of the suite's own VST3 plugins into real catalogues, then
`export` and `run manifest` through the real CLI, dry runs that write nothing, read-only
pipelines that refuse a missing catalogue, batches streamed through categorize and store,
and failures that name their stage and still finish the run."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginary.catalog import Catalog
from pluginary.core.errors import CatalogError, StageError
from pluginary.core.hookspecs import hookimpl
from pluginary.pipeline import loader, runner
from pluginary.pipeline.hooks import builtin_stage_plugins, make_plugin_manager
from tests.plugins import ParamSpec, PluginSpec
from tests.plugins.fixtures import MakeVst3

# Slow (real scans of the test plugins before each export): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

NAMES = ("Crunch Comp", "Deep Synth", "Wide Verb")


def pluginary(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI, run in `home` with its config and data folders there (never the user's)."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLUGINARY_")},
        "PLUGINARY_CONFIG_DIR": str(home / "config"),
        "PLUGINARY_DATA_DIR": str(home / "data"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, timeout=120, env=environ, cwd=home
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0].removeprefix("error: ")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder`: its bytes and mtime."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def plugins(make_vst3: MakeVst3, tmp_path: Path) -> Path:
    """Three real VST3 bundles: an effect with a parameter, an instrument, a reverb."""
    folder = tmp_path / "plugins"
    gain = ParamSpec(name="Gain", units="dB", default=0.5, min=-24, max=24)
    make_vst3(PluginSpec(name=NAMES[0], vendor="Acme", subcategories="Fx|Dynamics", params=(gain,)), root=folder)
    make_vst3(PluginSpec(name=NAMES[1], vendor="Bolt", instrument=True), root=folder)
    make_vst3(PluginSpec(name=NAMES[2], vendor="Acme", subcategories="Fx|Reverb"), root=folder)
    return folder


@pytest.fixture
def catalog(plugins: Path, tmp_path: Path) -> Path:
    """A catalogue written by a real `pluginary scan` of `plugins`."""
    path = tmp_path / "catalog.sqlite"
    done = ok(pluginary("scan", str(plugins), "--catalog", str(path), "--json", home=tmp_path))
    summary = json.loads(done.stdout)
    assert (summary["scanned"], summary["stored"], summary["failed"]) == (3, 3, 0)
    return path


def runs_of(path: Path) -> list[dict[str, Any]]:
    with Catalog.open(path, read_only=True) as cat:
        return list(cat.stats()["runs"])


# -- export and run manifest, end to end -----------------------------------------------------


def test_export_writes_what_the_catalogue_holds(catalog: Path, tmp_path: Path) -> None:
    done = ok(pluginary("export", "json", "out/catalog.json", "--catalog", str(catalog), home=tmp_path))
    assert done.stdout.splitlines()[-2].startswith("export: ") and ", 1 exported in " in done.stdout
    assert done.stderr == ""  # no warning: in particular no attempt to record a run in a catalogue opened to read
    exported = json.loads((tmp_path / "out" / "catalog.json").read_text(encoding="utf-8"))
    by_name = {plugin["name"]: plugin for plugin in exported["plugins"].values()}
    assert sorted(by_name) == sorted(NAMES)
    assert by_name["Crunch Comp"]["vendor"] == "Acme"
    assert [p["name"] for p in by_name["Crunch Comp"]["parameters"]] == ["Gain"]
    assert by_name["Deep Synth"]["is_instrument"] is True
    assert [c["name"] for c in by_name["Wide Verb"]["categories"]] == ["Effect/Reverb"]

    ok(pluginary("export", "reaper", "reaper", "--catalog", str(catalog), home=tmp_path))
    tags = (tmp_path / "reaper" / "reaper-fxtags.ini").read_text(encoding="utf-8")
    assert "Crunch_Comp.vst3=Dynamics" in tags and "Wide_Verb.vst3=Reverb" in tags and "Deep_Synth.vst3=Bolt" in tags
    assert runs_of(catalog)[0]["pipeline"] == "scan" and len(runs_of(catalog)) == 1  # export recorded nothing


def test_run_manifest_writes_every_manifest(catalog: Path, tmp_path: Path) -> None:
    ok(pluginary("tag", "Crunch Comp", "glue", "--catalog", str(catalog), home=tmp_path))
    ok(pluginary("run", "manifest", "--catalog", str(catalog), home=tmp_path))
    out = tmp_path / "manifests"
    exported = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert sorted(p["name"] for p in exported["plugins"].values()) == sorted(NAMES)
    with (out / "plugins.csv").open(encoding="utf-8", newline="") as file:
        rows = {row["name"]: row for row in csv.DictReader(file)}
    assert sorted(rows) == sorted(NAMES)
    assert (rows["Crunch Comp"]["categories"], rows["Crunch Comp"]["parameter_count"]) == ("Effect/Dynamics", "1")
    with (out / "plugins.parameters.csv").open(encoding="utf-8", newline="") as file:
        parameters = list(csv.DictReader(file))
    assert [(p["plugin_id"], p["name"], p["units"]) for p in parameters] == [(rows["Crunch Comp"]["id"], "Gain", "dB")]
    as_yaml = yaml.safe_load((out / "catalog.yaml").read_text(encoding="utf-8"))
    assert sorted(p["name"] for p in as_yaml["plugins"].values()) == sorted(NAMES)
    assert "Crunch_Comp.vst3=Dynamics" in (out / "reaper" / "reaper-fxtags.ini").read_text(encoding="utf-8")
    # Ardour: what the user tagged is user-set; untagged plugins are left to Ardour's own factory tags
    # (with no factory file beside a CI manifest, they get no entry: they would replace Ardour's).
    ardour = (out / "ardour" / "plugin_tags").read_text(encoding="utf-8")
    assert 'name="Crunch Comp"' in ardour and "glue" in ardour and 'user-set="1"' in ardour
    assert not [name for name in NAMES if name != "Crunch Comp" and f'name="{name}"' in ardour]
    assert not list(out.rglob("*.bak*")) and not list(out.rglob("*~"))  # the pipeline turns backups off


# -- a dry run writes nothing at all ---------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["run", "manifest"], ["export", "json", "manifests/catalog.json"]], ids=["manifest", "export"]
)
def test_a_dry_run_writes_nothing_and_shows_the_diff(catalog: Path, tmp_path: Path, command: list[str]) -> None:
    ok(pluginary(*command, "--catalog", str(catalog), home=tmp_path))
    ok(pluginary("tag", "Wide Verb", "hall-of-fame", "--catalog", str(catalog), home=tmp_path))
    manifests, catalogue = snapshot(tmp_path / "manifests"), (catalog.read_bytes(), catalog.stat().st_mtime_ns)
    runs = runs_of(catalog)
    done = ok(pluginary(*command, "--catalog", str(catalog), "--dry-run", home=tmp_path))
    assert '+      "tags": [\n+        "hall-of-fame"' in done.stdout or '"hall-of-fame"' in done.stdout
    assert any(line.startswith("+") and "hall-of-fame" in line for line in done.stdout.splitlines())
    assert snapshot(tmp_path / "manifests") == manifests
    assert (catalog.read_bytes(), catalog.stat().st_mtime_ns) == catalogue
    assert runs_of(catalog) == runs


# -- pipelines that scan nothing only read -----------------------------------------------------


@pytest.mark.parametrize(
    "command", [["run", "manifest"], ["export", "json", "manifests/catalog.json"]], ids=["manifest", "export"]
)
def test_a_mistyped_catalogue_is_refused_and_nothing_is_overwritten(
    catalog: Path, tmp_path: Path, command: list[str]
) -> None:
    ok(pluginary(*command, "--catalog", str(catalog), home=tmp_path))
    before = snapshot(tmp_path / "manifests")
    for typo in (tmp_path / "catalgo.sqlite", tmp_path / "catalgo.json"):
        line = one_line_error(pluginary(*command, "--catalog", str(typo), home=tmp_path))
        assert line.startswith(f"{typo}: no catalogue here") and "`pluginary scan`" in line
        assert not typo.exists()
    typo.write_bytes(b"")  # an empty file is not a catalogue either, and stays empty
    assert one_line_error(pluginary(*command, "--catalog", str(typo), home=tmp_path)).startswith(f"{typo}: ")
    assert typo.read_bytes() == b"" and sorted(p.name for p in tmp_path.glob("catalgo*")) == ["catalgo.json"]
    assert snapshot(tmp_path / "manifests") == before


def _read_only_mount(folder: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str] | None:
    """`pluginary ARGS` with `folder` bind-mounted read-only; None where this machine cannot mount."""
    if not shutil.which("unshare"):
        return None
    command = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PLUGINARY_")}
    environ |= {"PLUGINARY_CONFIG_DIR": str(cwd / "config"), "PLUGINARY_DATA_DIR": str(cwd / "data")}
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", command, str(folder), sys.executable, "-m", "pluginary", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        cwd=cwd,
    )
    return None if "mount:" in done.stderr or "unshare:" in done.stderr else done


def test_a_catalogue_on_a_read_only_disk_is_exported(catalog: Path, tmp_path: Path) -> None:
    disk = tmp_path / "ro"
    disk.mkdir()
    shutil.move(catalog, disk / catalog.name)
    before = snapshot(disk)
    done = _read_only_mount(disk, "run", "manifest", "--catalog", str(disk / catalog.name), cwd=tmp_path)
    if done is None:
        pytest.skip("needs unshare and mount rights (root) to make a read-only disk")
    ok(done)
    exported = json.loads((tmp_path / "manifests" / "catalog.json").read_text(encoding="utf-8"))
    assert sorted(p["name"] for p in exported["plugins"].values()) == sorted(NAMES)
    assert snapshot(disk) == before


# -- one rule for the backend, one answer to "which catalogue" -----------------------------------


def test_scan_into_a_json_path_writes_json_every_command_reads(plugins: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    ok(pluginary("scan", str(plugins), "--catalog", str(path), home=tmp_path))
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "pluginary-catalog"
    listed = ok(pluginary("list", "--catalog", str(path), "-o", "json", home=tmp_path))
    assert sorted(p["name"] for p in json.loads(listed.stdout)) == sorted(NAMES)
    ok(pluginary("export", "csv", "out.csv", "--catalog", str(path), home=tmp_path))
    assert all(name in (tmp_path / "out.csv").read_text(encoding="utf-8") for name in NAMES)


def test_the_config_files_store_path_is_every_commands_catalogue(plugins: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine" / "plugins.json"
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(f"store: {{path: {mine}}}\n", encoding="utf-8")
    ok(pluginary("scan", str(plugins), home=tmp_path))
    assert mine.is_file() and not (tmp_path / "data").exists()
    listed = ok(pluginary("list", "-o", "json", home=tmp_path))
    assert sorted(p["name"] for p in json.loads(listed.stdout)) == sorted(NAMES)
    assert "Wide Verb" in ok(pluginary("search", "verb", "-o", "plain", home=tmp_path)).stdout
    assert "Bolt" in ok(pluginary("info", "Deep Synth", "-o", "plain", home=tmp_path)).stdout
    ok(pluginary("export", "json", "out.json", home=tmp_path))
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert sorted(p["name"] for p in exported["plugins"].values()) == sorted(NAMES)
    ok(pluginary("run", "manifest", home=tmp_path))
    assert (tmp_path / "manifests" / "catalog.json").read_text(encoding="utf-8") == (tmp_path / "out.json").read_text(
        encoding="utf-8"
    )
    # --catalog (and PLUGINARY_CATALOG) still win over the config file.
    other = tmp_path / "other.sqlite"
    assert one_line_error(pluginary("list", "--catalog", str(other), home=tmp_path)).startswith(f"{other}: ")
    env = {"PLUGINARY_CATALOG": str(other)}
    assert one_line_error(pluginary("export", "json", "x.json", home=tmp_path, env=env)).startswith(f"{other}: ")


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    assert one_line_error(pluginary("run", "ful", home=tmp_path)).startswith("unknown pipeline 'ful'")
    assert one_line_error(pluginary("export", "jsno", "x", home=tmp_path)).startswith("FORMAT: unknown exporter 'jsno'")
    line = one_line_error(pluginary("run", "full", "--set", "scan.retries=-1", home=tmp_path))
    assert line == "--set scan.retries=-1: scan.retries: must be at least 0 and at most 10, got -1"
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()


# -- the runner's chain of hooks, in process -------------------------------------------------------


class Recorder:
    """Records the order of stage hooks, batches and stores, and what the catalogue held at each store."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    @hookimpl
    def pluginary_before_stage(self, context: Any, stage: str) -> None:
        self.events.append(("before", stage))

    @hookimpl
    def pluginary_after_stage(self, context: Any, stage: str) -> None:
        self.events.append(("after", stage))

    @hookimpl(hookwrapper=True)
    def pluginary_scan(self, context: Any, options: Any, files: Any) -> Any:
        outcome = yield
        batches = outcome.get_result()

        def logged() -> Any:
            for batch in batches:
                self.events.append(("batch", len(batch)))
                yield batch

        outcome.force_result(logged())

    @hookimpl(hookwrapper=True)
    def pluginary_categorize(self, context: Any, options: Any, plugins: Any) -> Any:
        yield
        self.events.append(("categorize", len(plugins)))

    @hookimpl(hookwrapper=True)
    def pluginary_store(self, context: Any, options: Any, results: Any, removed: Any) -> Any:
        yield
        categorized = all(plugin.categories for result in results for plugin in result.plugins)
        with Catalog.open(context.catalog_path, read_only=True) as cat:
            self.events.append(("store", len(results), categorized, cat.count()))

    @hookimpl
    def pluginary_run_finished(self, context: Any, summary: Any) -> None:
        self.events.append(("finished", summary.pipeline, summary.interrupted))


def _run(text: str, tmp_path: Path, *plugins: object, catalog: Path | None = None, **kwargs: Any) -> Any:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = loader.load(str(path), environ={}, config_path=tmp_path / "absent.yaml")
    pm = make_plugin_manager(entry_points=False, plugins=[*builtin_stage_plugins(), *plugins], disabled=())
    return runner.run(loaded, plugin_manager=pm, catalog=catalog or tmp_path / "c.sqlite", **kwargs)


def scan_pipeline(folder: Path) -> str:
    return (
        "name: t\nstages:\n"
        f"  - discover: {{formats: [vst3], standard_paths: false, extra_paths: [{folder}]}}\n"
        "  - diff\n  - scan: {workers: 1, batch_size: 1, timeout: 10}\n  - categorize\n  - store\n"
    )


def test_each_batch_is_categorized_and_stored_before_the_next_is_scanned(plugins: Path, tmp_path: Path) -> None:
    recorder = Recorder()
    context = _run(scan_pipeline(plugins), tmp_path, recorder)
    assert recorder.events == [
        ("before", "discover"),
        ("after", "discover"),
        ("before", "diff"),
        ("after", "diff"),
        ("before", "scan"),
        ("before", "categorize"),
        ("before", "store"),
        *[event for stored in (1, 2, 3) for event in (("batch", 1), ("categorize", 1), ("store", 1, True, stored))],
        ("after", "categorize"),
        ("after", "store"),
        ("after", "scan"),
        ("finished", "t", False),
    ]
    summary = context.summary
    assert (summary.found, summary.new, summary.scanned, summary.plugins, summary.stored) == (3, 3, 3, 3, 3)
    assert [run["stored"] for run in runs_of(tmp_path / "c.sqlite")] == [3]


def test_a_bundle_gone_from_disk_leaves_the_catalogue(plugins: Path, tmp_path: Path) -> None:
    _run(scan_pipeline(plugins), tmp_path)
    shutil.rmtree(plugins / "Wide Verb.vst3")
    recorder = Recorder()
    context = _run(scan_pipeline(plugins), tmp_path, recorder)
    summary = context.summary
    assert (summary.found, summary.removed, summary.unchanged, summary.scanned) == (2, 1, 2, 0)
    assert ("store", 0, True, 2) in recorder.events  # the removal, stored by the scan stage's store
    with Catalog.open(tmp_path / "c.sqlite", read_only=True) as cat:
        assert sorted(plugin.name for plugin in cat.plugins()) == ["Crunch Comp", "Deep Synth"]
    assert sorted(run["removed"] for run in runs_of(tmp_path / "c.sqlite")) == [0, 1]


def test_a_stage_that_raises_is_named_and_the_run_still_finishes(catalog: Path, tmp_path: Path) -> None:
    class Broken:
        @hookimpl
        def pluginary_export(self, context: Any, targets: Any) -> int:
            raise RuntimeError("the disk caught fire")

    recorder = Recorder()
    text = "name: t\nstages:\n  - store\n  - export: [{format: json, path: out.json}]\n"
    with pytest.raises(StageError) as raised:
        _run(text, tmp_path, Broken(), recorder, catalog=catalog)
    assert str(raised.value) == "stage 'export' failed: the disk caught fire — run with -v for details"
    assert raised.value.exit_code == 3
    assert recorder.events == [
        ("before", "store"),
        ("store", 0, True, 3),  # nothing to store: the catalogue is only read
        ("after", "store"),
        ("before", "export"),
        ("finished", "t", False),
    ]


def test_a_users_error_inside_a_stage_keeps_its_own_message_and_code(catalog: Path, tmp_path: Path) -> None:
    class Refusing:
        @hookimpl
        def pluginary_export(self, context: Any, targets: Any) -> int:
            raise CatalogError("locked by pid 42", where="x.sqlite")

    text = "name: t\nstages:\n  - store\n  - export: [{format: json, path: out.json}]\n"
    with pytest.raises(CatalogError) as raised:
        _run(text, tmp_path, Refusing(), catalog=catalog)
    assert (str(raised.value), raised.value.exit_code) == ("x.sqlite: locked by pid 42", 2)


def test_ctrl_c_in_a_stage_marks_the_run_interrupted_and_finishes_it(plugins: Path, tmp_path: Path) -> None:
    class Interrupting:
        @hookimpl
        def pluginary_diff(self, context: Any, options: Any, found: Any) -> Any:
            raise KeyboardInterrupt

    recorder = Recorder()
    with pytest.raises(KeyboardInterrupt):
        _run(scan_pipeline(plugins), tmp_path, Interrupting(), recorder)
    assert recorder.events[-2:] == [("before", "diff"), ("finished", "t", True)]
    assert [run["interrupted"] for run in runs_of(tmp_path / "c.sqlite")] == [True]


def test_the_runners_dry_run_reaches_every_export_target(catalog: Path, tmp_path: Path) -> None:
    text = "name: t\nstages:\n  - store\n  - export:\n" + "".join(
        f"      - {{format: {name}, path: {tmp_path / 'out' / name}}}\n" for name in ("json", "csv", "reaper")
    )
    context = _run(text, tmp_path, catalog=catalog, dry_run=True)
    assert not (tmp_path / "out").exists()
    assert sorted({change.status for change in context.outputs}) == ["created"]
    assert len(context.outputs) >= 3 and context.summary.exported == len(context.outputs)
