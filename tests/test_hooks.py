"""The plugin manager: documented hookspecs, misspelled hooks caught, stages replaceable and blockable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pluginary.core import hookspecs
from pluginary.core.errors import ComponentError, StageError
from pluginary.core.hookspecs import hookimpl
from pluginary.core.options import Pipeline
from pluginary.pipeline import runner
from pluginary.pipeline.hooks import (
    BUILTIN_STAGES,
    builtin_stage_plugins,
    installed_extensions,
    make_plugin_manager,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def test_every_hookspec_is_documented_with_its_exact_arguments() -> None:
    documented = dict(re.findall(r"^- `(pluginary_\w+)\(([^)]*)\)`", DOCS.read_text(encoding="utf-8"), re.M))
    specs = hookspecs.documented_arguments()
    assert specs, "no hookspecs found"
    for name, arguments in specs.items():
        assert name in documented, f"{name} is not documented in {DOCS.name}"
        assert [a.strip() for a in documented[name].split(",")] == arguments, name
    assert set(documented) <= set(specs), "the docs describe hooks that do not exist"


def test_every_stage_has_a_spec_and_a_trylast_builtin() -> None:
    pm = make_plugin_manager(entry_points=False, plugins=builtin_stage_plugins(), disabled=())
    for stage in BUILTIN_STAGES:
        impls = getattr(pm.hook, f"pluginary_{stage}").get_hookimpls()
        assert len(impls) == 1 and impls[0].trylast, stage


def test_builtins_register_through_entry_points() -> None:
    stage_hooks = {ext.name: ext for ext in installed_extensions() if ext.kind == "stage hook"}
    assert set(BUILTIN_STAGES) <= set(stage_hooks)
    assert stage_hooks["scan"].target == "pluginary.stages.scan"
    assert stage_hooks["scan"].distribution == "pluginary"
    pm = make_plugin_manager(disabled=())
    assert {name for name, _ in pm.list_name_plugin()} >= set(BUILTIN_STAGES)


def test_misspelled_hook_implementation_is_refused() -> None:
    class Typo:
        @hookimpl
        def pluginary_discovr(self, context: Any, options: Any) -> None:
            return None

    with pytest.raises(ComponentError, match="pluginary_discovr"):
        make_plugin_manager(entry_points=False, plugins=[Typo()])


def test_disabled_plugins_are_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGINARY_DISABLE_PLUGINS", "diff, export")
    pm = make_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin() if _ is not None}
    assert "diff" not in names and "export" not in names and "scan" in names
    disabled = {ext.name for ext in installed_extensions() if ext.disabled}
    assert disabled == {"diff", "export"}


def _pipeline(tmp_path: Path, **stages: Any) -> Pipeline:
    return Pipeline(name="t", path=tmp_path / "t.yaml", stages=stages)


def test_an_extension_replaces_a_stage_and_an_observer_sees_it(tmp_path: Path) -> None:
    from pluginary.core.models import PluginFile
    from pluginary.core.options import DiffOptions, DiscoverOptions

    seen: list[str] = []
    replacement = PluginFile("/nowhere/X.vst3", "vst3", 1, 1, "f")

    class Replacement:
        @hookimpl
        def pluginary_discover(self, context: Any, options: Any) -> list[PluginFile]:
            return [replacement]

        @hookimpl
        def pluginary_after_stage(self, context: Any, stage: str) -> None:
            seen.append(stage)

    pm = make_plugin_manager(entry_points=False, plugins=[*builtin_stage_plugins(), Replacement()])
    context = runner.run(_pipeline(tmp_path, discover=DiscoverOptions(), diff=DiffOptions()), plugin_manager=pm)
    assert context.found == [replacement]
    assert context.diff is not None and context.diff.added == [replacement]
    assert seen == ["discover", "diff"]
    assert context.summary.found == 1 and context.summary.new == 1


def test_a_wrapper_runs_around_the_builtin_stage(tmp_path: Path) -> None:
    from pluginary.core.options import DiscoverOptions

    calls: list[str] = []

    class Wrapper:
        @hookimpl(hookwrapper=True)
        def pluginary_discover(self, context: Any, options: Any) -> Any:
            calls.append("before")
            outcome = yield
            calls.append(f"after:{len(outcome.get_result())}")

    pm = make_plugin_manager(entry_points=False, plugins=[*builtin_stage_plugins(), Wrapper()])
    options = DiscoverOptions(formats=("lv2",), extra_paths=(tmp_path,), standard_paths=False)
    runner.run(_pipeline(tmp_path, discover=options), plugin_manager=pm)
    assert calls == ["before", "after:0"]


def test_a_stage_with_no_implementation_is_a_stage_error(tmp_path: Path) -> None:
    from pluginary.core.options import DiscoverOptions

    pm = make_plugin_manager(entry_points=False, plugins=[])
    with pytest.raises(StageError, match="no implementation of stage 'discover'") as info:
        runner.run(_pipeline(tmp_path, discover=DiscoverOptions()), plugin_manager=pm)
    assert info.value.exit_code == 3
