"""Pipeline files: every mistake is one positioned line before anything runs; layers combine in order."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from pluginary.core.errors import PipelineError
from pluginary.core.options import ScanOptions
from pluginary.pipeline import loader as pipeline


def load_text(tmp_path: Path, text: str, **kwargs: object) -> pipeline.Pipeline:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    kwargs.setdefault("environ", {})
    kwargs.setdefault("config_path", tmp_path / "absent.yaml")
    return pipeline.load(str(path), **kwargs)  # type: ignore[arg-type]


def error_of(tmp_path: Path, text: str, **kwargs: object) -> str:
    with pytest.raises(PipelineError) as info:
        load_text(tmp_path, text, **kwargs)
    return str(info.value)


def test_builtin_pipelines_load_and_list_full_and_manifest() -> None:
    builtins = pipeline.builtin_pipelines()
    assert {"full", "manifest"} <= set(builtins)
    for name in builtins:
        loaded = pipeline.load(name, environ={}, config_path=Path("/nonexistent/config.yaml"))
        assert loaded.stages, name
    full = pipeline.load("full", environ={}, config_path=Path("/nonexistent"))
    assert list(full.stages) == ["discover", "diff", "scan", "categorize", "store", "export"]
    manifest = pipeline.load("manifest", environ={}, config_path=Path("/nonexistent"))
    assert "scan" not in manifest.stages and "export" in manifest.stages


def test_repo_pipelines_folder_is_the_shipped_one() -> None:
    # `pluginary run pipelines/full.yaml` from a clone uses the same file the wheel ships.
    repo = Path(__file__).resolve().parents[1]
    assert (repo / "pipelines" / "full.yaml").read_bytes() == pipeline.builtin_pipelines()["full"].read_bytes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stages: [\n", "p.yaml:2:1: YAML syntax error"),
        ("name: x\nstagse: []\n", "p.yaml:2:1: unknown key 'stagse' — did you mean 'stages'?"),
        ("stages: []\n", "'stages' must be a non-empty list"),
        ("stages:\n  - discover\n  - scna\n", "p.yaml:3:5: unknown stage 'scna' — did you mean 'scan'?"),
        ("stages:\n  - discover\n  - discover\n", "p.yaml:3:5: stage 'discover' appears twice"),
        ("stages:\n  - diff\n  - discover\n", "p.yaml:3:5: stage 'discover' cannot come after 'diff'"),
        ("stages:\n  - diff\n", "p.yaml:2:5: stage 'diff' needs 'discover' before it"),
        ("stages:\n  - store\n  - export: [{format: json}]\n", "an export target needs 'path'"),
        (
            "stages:\n  - discover: {timeout: 3}\n",
            "p.yaml:2:16: unknown option 'timeout' of stage 'discover' — allowed: formats, extra_paths",
        ),
        ("stages:\n  - discover\n  - diff\n  - scan: {timeout: abc}\n", "p.yaml:4:21: scan.timeout: expected a number"),
        ("stages:\n  - discover\n  - diff\n  - scan: {retries: 1.5}\n", "scan.retries: expected a whole number"),
        ("stages:\n  - discover: {standard_paths: 'no'}\n", "discover.standard_paths: expected true or false"),
        ("stages:\n  - discover: {formats: vst3}\n", "discover.formats: expected a list"),
        ("stages:\n  - discover: {formats: [vts3]}\n", "p.yaml:2:25: unknown format 'vts3' — did you mean 'vst3'?"),
        ("stages:\n  - store: {backend: sqlit}\n", "unknown backend 'sqlit' — did you mean 'sqlite'?"),
        (
            "stages:\n  - store\n  - export: [{format: reapr, path: x}]\n",
            "p.yaml:3:23: unknown exporter 'reapr' — did you mean 'reaper'?",
        ),
    ],
)
def test_mistakes_are_reported_with_position_and_what_is_allowed(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no such pipeline file — built-in: "):
        pipeline.load(str(tmp_path / "nope.yaml"))
    with pytest.raises(PipelineError, match="unknown pipeline 'ful' — did you mean 'full'"):
        pipeline.load("ful")


SCAN_PIPELINE = "stages:\n  - discover\n  - diff\n  - scan: {timeout: 10, workers: auto}\n"


def test_workers_auto_means_one_per_core(tmp_path: Path) -> None:
    assert load_text(tmp_path, SCAN_PIPELINE).stages["scan"].workers == 0


def test_precedence_set_over_env_over_file_over_config_over_default(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("scan: {timeout: 5, retries: 4, recycle_after: 7}\n", encoding="utf-8")
    env = {"PLUGINARY_SCAN__TIMEOUT": "20", "PLUGINARY_SCAN__RETRIES": "3"}
    loaded = load_text(tmp_path, SCAN_PIPELINE, environ=env, config_path=config, overrides=["scan.retries=2"])
    scan: ScanOptions = loaded.stages["scan"]
    assert scan.timeout == 20.0  # env beats the file's 10 and the config's 5
    assert scan.retries == 2  # --set beats env's 3 and the config's 4
    assert scan.recycle_after == 7  # only the config sets it
    assert scan.max_rss_mb == ScanOptions().max_rss_mb  # built-in default
    origins = loaded.origins["scan"]
    assert origins["timeout"] == "env PLUGINARY_SCAN__TIMEOUT"
    assert origins["retries"] == "--set scan.retries=2"
    assert origins["recycle_after"].startswith(f"{config}:1:")
    assert origins["max_rss_mb"] == "built-in default"


def test_pipeline_file_beats_user_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("scan: {timeout: 5}\n", encoding="utf-8")
    loaded = load_text(tmp_path, SCAN_PIPELINE, config_path=config)
    assert loaded.stages["scan"].timeout == 10.0
    assert loaded.origins["scan"]["timeout"].endswith("p.yaml:4:21")


def test_bad_overrides_are_named(tmp_path: Path) -> None:
    assert "--set scan.timeout=x: scan.timeout: expected a number" in error_of(
        tmp_path, SCAN_PIPELINE, overrides=["scan.timeout=x"]
    )
    assert "cannot read --set 'timeout'" in error_of(tmp_path, SCAN_PIPELINE, overrides=["timeout"])
    assert "--set export.path=x: unknown stage 'export'" in error_of(
        tmp_path, SCAN_PIPELINE, overrides=["export.path=x"]
    )
    assert "this pipeline has no 'store' stage" in error_of(tmp_path, SCAN_PIPELINE, overrides=["store.path=x"])
    assert "env PLUGINARY_SCAN__TIMOUT: unknown option 'timout'" in error_of(
        tmp_path, SCAN_PIPELINE, environ={"PLUGINARY_SCAN__TIMOUT": "3"}
    )


def test_config_file_errors_point_into_it(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("scna: {timeout: 5}\n", encoding="utf-8")
    assert f"{config}:1:1: unknown stage 'scna'" in error_of(tmp_path, SCAN_PIPELINE, config_path=config)


def test_effective_settings_cover_every_option(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, SCAN_PIPELINE, overrides=["scan.deep=true"])
    rows = {(stage, option): (value, origin) for stage, option, value, origin in pipeline.effective_settings(loaded)}
    assert rows[("scan", "deep")] == (True, "--set scan.deep=true")
    assert rows[("diff", "full")] == (False, "built-in default")
    assert {option for stage, option in rows if stage == "scan"} == {field.name for field in attrs.fields(ScanOptions)}
