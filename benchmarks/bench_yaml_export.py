"""The YAML export's time and peak memory against the JSON export's, in the same run (target ≤ 3× each).

    python benchmarks/bench_yaml_export.py [--plugins 2176] [--params 0..60] [--runs 5]

Renders one generated catalogue (`tests/catalog_data.iter_plugins`: VST3, LV2 and
AU plugins with 0–60 parameters each; 2,176 is the size of the real catalogue the
old ruamel-based export took 62–96 s and ~690 MB on) with the json exporter (the
baseline) and the yaml exporter, exactly as the export stage calls them
(`render`, which builds the document and its bytes). Time is the median wall time
of `--runs` renders after a warm-up; peak memory is tracemalloc's peak during one
render (measured apart from the timing, which tracemalloc would slow down). Then
checks that PyYAML reads the YAML back equal to the JSON (not timed).

Prints each figure with its baseline, the ratio and the target; exits 1 when a
ratio misses its target or the YAML does not read back equal.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginary.core.interfaces import Exporter
from pluginary.core.models import Plugin
from pluginary.exporters.json import JSONExporter
from pluginary.exporters.yaml import YAMLExporter
from tests.catalog_data import iter_plugins

TARGET_RATIO = 3.0


def render(exporter: Exporter, plugins: list[Plugin]) -> bytes:
    return exporter.render(plugins, Path("catalog.out"), {})[0].content


def seconds(exporter: Exporter, plugins: list[Plugin], runs: int) -> float:
    render(exporter, plugins)  # warm-up: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render(exporter, plugins)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mb(exporter: Exporter, plugins: list[Plugin]) -> float:
    tracemalloc.start()
    try:
        render(exporter, plugins)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugins", type=int, default=2176)
    parser.add_argument("--params", default="0..60", help="parameters per plugin: N or LOW..HIGH")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    low, _, high = args.params.partition("..")
    params: Any = (int(low), int(high)) if high else int(low)
    plugins = list(iter_plugins(args.plugins, params))
    print(f"{len(plugins)} plugins, {sum(len(p.parameters) for p in plugins)} parameters; {args.runs} runs each")

    json_exporter, yaml_exporter = JSONExporter(), YAMLExporter()
    figures = [
        ("time (s, median)", seconds(json_exporter, plugins, args.runs), seconds(yaml_exporter, plugins, args.runs)),
        ("peak memory (MB, tracemalloc)", peak_mb(json_exporter, plugins), peak_mb(yaml_exporter, plugins)),
    ]
    missed = False
    for what, baseline, measured in figures:
        ratio = measured / baseline
        missed |= ratio > TARGET_RATIO
        verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
        print(
            f"{what:31} yaml {measured:8.3f}   baseline json {baseline:8.3f}   "
            f"ratio {ratio:5.2f}×   target ≤ {TARGET_RATIO:.0f}×   {verdict}"
        )

    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    equal = yaml.load(render(yaml_exporter, plugins), Loader=loader) == json.loads(render(json_exporter, plugins))
    print(f"PyYAML ({loader.__name__}) reads the YAML back equal to the JSON: {'yes' if equal else 'NO'}")
    return 1 if missed or not equal else 0


if __name__ == "__main__":
    sys.exit(main())
