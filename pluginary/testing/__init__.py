"""Fixtures for people who write Pluginary extensions (a pytest plugin, entry point `pytest11`).

- `pluginary_plugin_manager`: a fresh plugin manager with the built-in stages
  and no entry points loaded; register your plugin object on it.
- `pluginary_catalog_path`: a catalogue file path in a temporary folder.
- `pluginary_run`: run a pipeline given as YAML text (or a path) with that
  manager and catalogue; returns the run context (`.summary`, `.outputs`, …).

Backend authors subclass `pluginary.testing.backend_suite.BackendSuite` to run the
same tests the built-in backends pass.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def pluginary_plugin_manager() -> Any:
    from pluginary.pipeline.hooks import builtin_stage_plugins, make_plugin_manager

    return make_plugin_manager(entry_points=False, plugins=builtin_stage_plugins(), disabled=())


@pytest.fixture
def pluginary_catalog_path(tmp_path: Path) -> Path:
    return tmp_path / "catalog.sqlite"


@pytest.fixture
def pluginary_run(pluginary_plugin_manager: Any, pluginary_catalog_path: Path, tmp_path: Path) -> Callable[..., Any]:
    from pluginary.pipeline import loader as pipeline
    from pluginary.pipeline import runner

    def run(yaml_or_path: str | Path, *, overrides: tuple[str, ...] = (), dry_run: bool = False) -> Any:
        path = Path(yaml_or_path)
        if isinstance(yaml_or_path, str) and "\n" in yaml_or_path:
            path = tmp_path / "pipeline.yaml"
            path.write_text(yaml_or_path, encoding="utf-8")
        loaded = pipeline.load(str(path), overrides=overrides, environ={}, config_path=tmp_path / "no-user-config.yaml")
        return runner.run(
            loaded,
            plugin_manager=pluginary_plugin_manager,
            catalog=pluginary_catalog_path,
            dry_run=dry_run,
        )

    return run
