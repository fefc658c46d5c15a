"""The README's Python example runs as printed, against a real catalogue in the default place."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pluginary.backends.sqlite import SQLiteBackend
from pluginary.testing.backend_suite import results_for, sample_plugins

README = Path(__file__).resolve().parents[1] / "README.md"


def python_example() -> str:
    section = README.read_text().split("## From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the README's From Python section has no python block"
    return match[1]


@pytest.mark.slow  # a real process: left out of the quick tier
def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLUGINARY_")}
    env["PLUGINARY_DATA_DIR"] = str(tmp_path / "data")
    backend = SQLiteBackend(tmp_path / "data" / "catalog.sqlite")
    backend.write(results_for(sample_plugins()))
    backend.close()
    done = subprocess.run(
        [sys.executable, "-c", python_example()], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The two LV2 reverbs found (best first), with their parameter counts though read without them.
    assert sorted(lines[:2]) == ["Reverb Calf Studio Gear 3", "Réverbération Étoile 😀 Ｓｏｎｉｃ 1"]
    # Dynamics by vendor (Waves, then x42), each with its first parameters.
    assert lines[2:4] == [
        "vst3:waves.c4-multiband ['Threshold']",
        "lv2:x42.dynamic-compressor ['Threshold', 'Ratio', 'Attack']",
    ]
    assert lines[4] == "Dynamic Compressor ('lv2',)"
    assert lines[5] == "{'vst3': 7, 'au': 4, 'lv2': 3} ['Valhalla DSP']"
    assert len(lines) == 6
