"""The example's own tests, written as a third party writes them: with the fixtures Pluginary ships
(`pluginary_plugin_manager`, `pluginary_catalog_path`, `pluginary_run`), no Pluginary internals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pluginary_example import run_log

from pluginary import Catalog
from pluginary.core.models import FileResult, Plugin, PluginFile

MARKDOWN = "pluginary_example.markdown:MarkdownExporter"  # by module path: works before the package is installed


@pytest.fixture
def catalogue(pluginary_catalog_path: Path) -> Path:
    """A catalogue holding two plugins, written through the public backend API."""
    from pluginary.backends.sqlite import SQLiteBackend

    backend = SQLiteBackend(pluginary_catalog_path)
    for name, vendor in (("Pipe|Verb", "Acme"), ("Comp", "Zed")):
        file = PluginFile(f"/x/{name}.vst3", "vst3", 1, 1, name)
        backend.write(
            [FileResult(file, (Plugin(id=f"vst3:{name}", format="vst3", name=name, path=file.path, vendor=vendor),))]
        )
    backend.close()
    return pluginary_catalog_path


def test_the_markdown_exporter_writes_one_row_per_plugin(catalogue: Path, pluginary_run: Any, tmp_path: Path) -> None:
    out = tmp_path / "plugins.md"
    context = pluginary_run(f"stages:\n  - store\n  - export: [{{format: '{MARKDOWN}', path: '{out}'}}]\n")
    assert context.summary.exported == 1
    rows = out.read_text().splitlines()
    assert rows[2:] == ["| Comp | Zed | vst3 |  | 0 |", "| Pipe\\|Verb | Acme | vst3 |  | 0 |"]
    with Catalog.open(catalogue) as catalog:
        assert catalog.count() == 2  # the export read the catalogue and changed nothing


def test_the_observer_logs_each_stage_and_the_run(
    catalogue: Path, pluginary_plugin_manager: Any, pluginary_run: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("PLUGINARY_EXAMPLE_LOG", str(log))
    pluginary_plugin_manager.register(run_log)
    pluginary_run(f"stages:\n  - store\n  - export: [{{format: '{MARKDOWN}', path: '{tmp_path / 'p.md'}'}}]\n")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [event["stage"] for event in events if event["event"] == "stage"] == ["store", "export"]
    assert events[-1] == {"event": "run", "pipeline": "pipeline", "stored": 0}
