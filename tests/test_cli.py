"""The `pluginary` command as a user runs it: a real subprocess each time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pedalboard", "sqlite_utils", "sqlite3", "pyoxigraph", "rdflib", "lilv")


def pluginary(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pluginary.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["pipelines"]])
def test_fast_commands_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    report = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        f"sys.argv = ['pluginary', *{args!r}]\n"
        "from pluginary.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"open({str(report)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(report.read_text())
    assert "pluginary.cli.app" in loaded  # the check itself ran
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
    assert heavy == [], f"`pluginary {' '.join(args)}` imported {heavy}"


def test_pipelines_lists_the_shipped_ones() -> None:
    done = pluginary("pipelines")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert {"full", "manifest", "scan"} <= set(names)


def test_plugins_lists_every_kind_with_distribution() -> None:
    done = pluginary("plugins", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    kinds = {row["kind"] for row in rows}
    assert {"stage hook", "format", "backend", "categorizer", "exporter"} <= kinds
    vst3 = next(row for row in rows if row["kind"] == "format" and row["name"] == "vst3")
    assert vst3["distribution"] == "pluginary" and vst3["version"]


def test_a_pipeline_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  - discover: {formats: [vst4]}\n")
    done = pluginary("run", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {bad}:2:25: unknown format 'vst4' — did you mean 'vst3'? installed: au, clap, lv2, vst3"
    ]
    assert "Traceback" not in done.stderr


def test_a_failing_stage_exits_3(tmp_path: Path) -> None:
    # The export path lies under a regular file: the export stage cannot write it.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"stages:\n  - store\n  - export: [{{format: json, path: {blocker / 'out.json'}}}]\n")
    done = pluginary("run", str(pipeline), "--catalog", str(tmp_path / "catalog.sqlite"), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(blocker) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_catalogue_that_cannot_be_opened_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "catalog.sqlite"
    folder.mkdir()
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("stages:\n  - store\n  - export: [{format: json, path: out.json}]\n")
    done = pluginary("run", str(pipeline), "--catalog", str(folder), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(folder) in done.stderr


def test_config_show_names_each_origin(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "PLUGINARY_CONFIG_DIR": str(tmp_path), "PLUGINARY_SCAN__RETRIES": "3"}
    (tmp_path / "config.yaml").write_text("scan:\n  recycle_after: 9\n")
    done = pluginary("config", "show", "full", "--set", "scan.timeout=61", env=env)
    assert done.returncode == 0, done.stderr
    lines = {line.split(" = ")[0]: line for line in done.stdout.splitlines() if " = " in line}
    assert lines["scan.timeout"].endswith("# --set scan.timeout=61") and "61" in lines["scan.timeout"]
    assert lines["scan.retries"].endswith("# env PLUGINARY_SCAN__RETRIES")
    assert f"# {tmp_path / 'config.yaml'}:2:" in lines["scan.recycle_after"]
    assert lines["diff.full"].endswith("# built-in default")
