"""What the scan benchmarks share: generated test plugins, timed pool runs, an in-process baseline.

Run the benchmarks from the repository root (they import `tests.plugins`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import attrs

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import FileResult, PluginFile
from pluginary.scanning.journal import Journal
from pluginary.scanning.pool import PoolStats, ScanJob, WorkerPool

REPO = Path(__file__).resolve().parents[1]


def make_test_plugins(directory: Path, count: int, seed: int, *options: str) -> list[Path]:
    """Generate `count` test bundles (see `python -m tests.plugins make --help`); return them sorted.

    `directory / "expected.json"` says what each bundle is.
    """
    command = [
        sys.executable,
        "-m",
        "tests.plugins",
        "make",
        str(directory),
        "--count",
        str(count),
        "--seed",
        str(seed),
        "--clean",
        *options,
    ]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return sorted(directory.glob("*.vst3"))


def jobs(bundles: Iterable[Path], timeout: float, fmt: str = "vst3") -> Iterable[ScanJob]:
    for bundle in bundles:
        yield ScanJob(PluginFile(str(bundle), fmt, 0, 0, bundle.name), fmt, ScanSettings(), timeout)


@attrs.define
class PoolRun:
    results: list[FileResult]  # empty unless kept
    plugins: int  # found, over all results
    failed: int  # files that failed
    wall: float  # pool created .. closed
    steady: float  # first result .. last result
    stats: PoolStats
    arrivals: list[float]  # seconds after the start, per result


def pool_scan(
    bundles: list[Path],
    workers: int,
    timeout: float = 30.0,
    *,
    journal: Path | None = None,
    retries: int = 1,
    keep: bool = True,
    fmt: str = "vst3",
) -> PoolRun:
    """Scan through a fresh pool; `keep=False` counts results and drops them as they come, as the
    in-process baseline does (and the pipeline, which stores them batch by batch)."""
    started = time.perf_counter()
    arrivals: list[float] = []
    results: list[FileResult] = []
    plugins = failed = 0
    with WorkerPool(workers, retries=retries, journal=Journal(journal) if journal else None) as pool:
        for result in pool.run(jobs(bundles, timeout, fmt)):
            arrivals.append(time.perf_counter() - started)
            plugins += len(result.plugins)
            failed += result.failure is not None
            if keep:
                results.append(result)
        stats = pool.stats
    wall = time.perf_counter() - started
    steady = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else wall
    return PoolRun(results, plugins, failed, wall, steady, stats, arrivals)


IN_PROCESS = r"""
import json, sys, time
from pathlib import Path
from pluginary.core.interfaces import ScanSettings
from pluginary.core.components import instantiate
paths = [Path(p) for p in json.loads(sys.stdin.read())]
fmt = instantiate("format", sys.argv[2])
started = time.perf_counter()
plugins = sum(len(fmt.scan(path, ScanSettings())) for path in paths)
done = time.perf_counter()
Path(sys.argv[1]).write_text(json.dumps({"loop": done - started, "plugins": plugins}))
"""

POOL_PROCESS = r"""
import json, sys, time
from pathlib import Path
from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import PluginFile
from pluginary.scanning.pool import ScanJob, WorkerPool
paths = [Path(p) for p in json.loads(sys.stdin.read())]
plugins = 0
with WorkerPool(int(sys.argv[2])) as pool:
    fmt = sys.argv[3]
    jobs = (ScanJob(PluginFile(str(p), fmt, 0, 0, p.name), fmt, ScanSettings(), 30.0) for p in paths)
    for result in pool.run(jobs):
        plugins += len(result.plugins)
Path(sys.argv[1]).write_text(json.dumps({"plugins": plugins}))
"""


def in_process_scan(bundles: list[Path], fmt: str = "vst3") -> dict[str, float]:
    """Scan every bundle in one plain process, no isolation; return its timings (seconds): `loop` for the
    scanning alone, `wall` from starting the process to its exit (imports included)."""
    return _timed_process(IN_PROCESS, bundles, fmt)


def pool_process_scan(bundles: list[Path], workers: int, fmt: str = "vst3") -> dict[str, float]:
    """Scan every bundle through a pool in a fresh process; `wall` from starting it to its exit, so the
    imports, the zygote's and the workers' start-up and closing them are all counted."""
    return _timed_process(POOL_PROCESS, bundles, str(workers), fmt)


def _timed_process(code: str, bundles: list[Path], *args: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code, str(figures), *args],
            input=json.dumps([str(b) for b in bundles]),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        return {**json.loads(figures.read_text()), "wall": wall}


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
