"""The worked third-party example, installed as a real distribution: listed, and usable in a pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pluginary.core.models import FileResult, Plugin, PluginFile

# Slow (pip-installs the example distribution): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pluginary-example"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example installed by pip into its own folder (no network: no deps, no build isolation)."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return target


def run_cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, "-m", "pluginary.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )


def test_plugins_lists_the_installed_extension(example_site: Path) -> None:
    done = run_cli(example_site, "plugins", "--json")
    assert done.returncode == 0, done.stderr
    rows = {(row["kind"], row["name"]): row for row in json.loads(done.stdout)}
    assert rows[("exporter", "markdown")]["distribution"] == "pluginary-example"
    assert rows[("exporter", "markdown")]["version"] == "0.1.0"
    assert rows[("stage hook", "example_run_log")]["distribution"] == "pluginary-example"


def test_a_pipeline_uses_the_extension_exporter_and_observer(example_site: Path, tmp_path: Path) -> None:
    from pluginary.backends.sqlite import SQLiteBackend

    catalog = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(catalog)
    file = PluginFile("/x/Pipe|Verb.vst3", "vst3", 1, 1, "f")
    backend.write(
        [FileResult(file, (Plugin(id="vst3:1", format="vst3", name="Pipe|Verb", path=file.path, vendor="Acme"),))]
    )
    backend.close()
    pipeline = tmp_path / "md.yaml"
    pipeline.write_text(f"stages:\n  - store\n  - export: [{{format: markdown, path: {tmp_path / 'p.md'}}}]\n")
    log = tmp_path / "log.jsonl"
    done = run_cli(example_site, "run", str(pipeline), "--catalog", str(catalog), PLUGINARY_EXAMPLE_LOG=str(log))
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "p.md").read_text().splitlines()
    assert table[2] == "| Pipe\\|Verb | Acme | vst3 |  | 0 |"
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["stage"] for e in events if e["event"] == "stage"] == ["store", "export"]
    assert events[-1] == {"event": "run", "pipeline": "md", "stored": 0}


def test_the_examples_own_tests_pass_with_the_shipped_fixtures() -> None:
    """The example tests itself as a third party would: pytest finds Pluginary's fixtures through the
    `pytest11` entry point of the installed package, and nothing else of the repository is used."""
    example = EXAMPLE / "tests"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(EXAMPLE), str(example)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=EXAMPLE,
        env={**os.environ, "PYTHONPATH": str(EXAMPLE / "src")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("2 passed")
