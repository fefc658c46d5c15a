"""Benchmark 5: every installed LV2 plugin's metadata, in seconds per 10 MB of Turtle.

    python benchmarks/bench_lv2.py                     # the bundles in the standard LV2 folders
    python benchmarks/bench_lv2.py --synthetic 60      # plus 60 generated bundles (tests/lv2gen.py)

Target (issue 4): ≤ 1 s per 10 MB of Turtle with 2 workers. The figure is the
wall time of `WorkerPool(2).run` over every bundle, in the order the pipeline
hands them over (by path), results (every Plugin with its parameters) decoded
in this process. Both workers are started and have read a small bundle before
the clock starts, as they would have a few bundles into a real scan. MB counts
every *.ttl in the bundles.

Baselines, same run and same bundles:
- raw parse: pyoxigraph iterating every statement of those files, nothing kept,
  one process: what any reader built on pyoxigraph's Python API pays at least;
- lilv: `lv2info` for every URI `lv2ls` lists (the C library hosts use). Each call
  is a process that loads lilv's world (every manifest) and then the plugin's own
  files, so it overstates lilv's in-process cost somewhat.

Discovery of the same bundles: `signature_files` of every bundle (every Turtle file and
binary, sub-folders included) plus a stat of each, as discover fingerprints them, beside
`os.walk` + `stat` of every file in the bundles, the least any listing of them costs.
Target ≤ 4× that baseline: 2.8× measured on Debian's 232 bundles (12 ms), before and
after sub-folders were included; the rest is Python building one Path per file.

Each figure is the best of `--runs` (other work on this shared machine only ever
slows a run down); the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for scanbench
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.lv2gen

from scanbench import load_average

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import PluginFile
from pluginary.formats.lv2 import LV2Format
from pluginary.scanning.pool import ScanJob, WorkerPool
from tests.lv2gen import write_bundles

WORKERS = 2
TARGET = 1.0  # seconds per 10 MB of Turtle
DISCOVERY_TARGET = 4.0  # signature files + stat, as a multiple of os.walk + stat


def find_bundles(roots: list[Path]) -> list[Path]:
    return sorted(b for root in roots if root.is_dir() for b in root.iterdir() if b.suffix == ".lv2" and b.is_dir())


def turtle_files(bundles: list[Path]) -> list[Path]:
    return [f for b in bundles for f in sorted(b.glob("*.ttl"))]


def jobs(bundles: list[Path]) -> list[ScanJob]:
    return [ScanJob(PluginFile(str(b), "lv2", 0, 0, b.name), "lv2", ScanSettings()) for b in bundles]


def time_in_process(bundles: list[Path]) -> tuple[float, float, int]:
    """Wall and CPU time of `LV2Format.scan` over every bundle in this process; plugin count."""
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(len(LV2Format().scan(b, ScanSettings())) for b in bundles)
    return time.perf_counter() - start, time.process_time() - cpu, count


def time_pool(pool: WorkerPool, bundles: list[Path]) -> tuple[float, int]:
    """Wall time of one pool run over every bundle; plugin count. Any failure stops the benchmark."""
    start = time.perf_counter()
    results = list(pool.run(jobs(bundles)))
    seconds = time.perf_counter() - start
    if failed := [r for r in results if r.failure]:
        sys.exit(f"{failed[0].file.path}: {failed[0].failure}")
    return seconds, sum(len(r.plugins) for r in results)


def time_signatures(bundles: list[Path]) -> tuple[float, int]:
    """Wall time of every bundle's `signature_files` and a stat of each; how many files."""
    start = time.perf_counter()
    files = [f for b in bundles for f in LV2Format().signature_files(b)]
    for f in files:
        f.stat()
    return time.perf_counter() - start, len(files)


def time_walk(bundles: list[Path]) -> float:
    start = time.perf_counter()
    for bundle in bundles:
        for top, _dirs, names in os.walk(bundle):
            for name in names:
                os.stat(os.path.join(top, name))
    return time.perf_counter() - start


def time_raw_parse(files: list[Path]) -> float:
    from pyoxigraph import RdfFormat, parse

    start = time.perf_counter()
    for path in files:
        for _ in parse(path=path, format=RdfFormat.TURTLE, base_iri=path.absolute().as_uri()):
            pass
    return time.perf_counter() - start


def time_lilv(lv2_path: str | None) -> tuple[float, int] | None:
    if not (shutil.which("lv2ls") and shutil.which("lv2info")):
        return None
    env = {"LANG": "C", "PATH": "/usr/bin:/bin"} | ({"LV2_PATH": lv2_path} if lv2_path else {})
    start = time.perf_counter()
    uris = subprocess.run(["lv2ls"], env=env, capture_output=True, text=True, check=True).stdout.split()
    for uri in uris:
        subprocess.run(["lv2info", uri], env=env, capture_output=True, check=True)
    return time.perf_counter() - start, len(uris)


def per_10_mb(seconds: float, mb: float) -> str:
    return f"{seconds:6.2f} s  ({seconds / mb * 10:5.2f} s per 10 MB)"


def report(label: str, bundles: list[Path], lv2_path: str | None, pool: WorkerPool, runs: int) -> bool:
    """Print every figure for these bundles; True when the target is met."""
    files = turtle_files(bundles)
    mb = sum(f.stat().st_size for f in files) / 1e6
    # Best of `runs`, each figure taken separately.
    pooled, plugins = min(time_pool(pool, bundles) for _ in range(runs))
    single, cpu, _ = min(time_in_process(bundles) for _ in range(runs))
    raw = min(time_raw_parse(files) for _ in range(runs))
    signatures, signature_count = min(time_signatures(bundles) for _ in range(runs))
    walk = min(time_walk(bundles) for _ in range(runs))
    met = pooled / mb * 10 <= TARGET and signatures <= DISCOVERY_TARGET * walk
    print(f"{label}: {plugins} plugins in {len(bundles)} bundles, {mb:.1f} MB of Turtle (best of {runs})")
    print(f"  pluginary, pool of {WORKERS}:   {per_10_mb(pooled, mb)}"
          f"  [target ≤ {TARGET:g} s per 10 MB: {'met' if met else 'MISSED'}]")  # fmt: skip
    print(f"  pluginary, in process: {per_10_mb(single, mb)}  CPU {cpu:.2f} s")
    print(f"  raw pyoxigraph parse:  {per_10_mb(raw, mb)}  (baseline: every statement, nothing kept)")
    if (lilv := time_lilv(lv2_path)) is not None:
        print(f"  lilv, lv2info per URI: {per_10_mb(lilv[0], mb)}  ({lilv[1]} plugins listed by lv2ls)")
    else:
        print("  lilv baseline skipped: lv2ls/lv2info not installed (apt-get install lilv-utils)")
    verdict = "met" if signatures <= DISCOVERY_TARGET * walk else "MISSED"
    print(f"  discovery, signature files + stat: {signatures * 1000:6.1f} ms ({signature_count} files)"
          f"  [{signatures / walk:.1f}x os.walk + stat of every file, {walk * 1000:.1f} ms;"
          f" target ≤ {DISCOVERY_TARGET:g}x: {verdict}]")  # fmt: skip
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=0, metavar="BUNDLES", help="also time generated bundles")
    parser.add_argument("--runs", type=int, default=3, help="time each figure this many times, keep the best")
    args = parser.parse_args()
    print(f"load average {load_average()} on {WORKERS} workers")
    bundles = find_bundles([root for root in LV2Format().default_roots() if root.is_dir()])
    met = True
    with tempfile.TemporaryDirectory() as tmp, WorkerPool(WORKERS) as pool:
        # Start both workers and let each import the LV2 format and pyoxigraph.
        warm = write_bundles(Path(tmp, "warm"), bundles=4 * WORKERS, plugins=1, ports=1).bundles
        time_pool(pool, list(warm))
        if bundles:
            met &= report("this machine", bundles, None, pool, args.runs)
        else:
            print("no LV2 bundles in", ", ".join(map(str, LV2Format().default_roots())))
        if args.synthetic:
            generated = Path(tmp, "generated")
            write_bundles(generated, bundles=args.synthetic, plugins=10, ports=60)
            met &= report("generated", find_bundles([generated]), str(generated), pool, args.runs)
        print(f"{pool.stats.workers_started} workers started")
    print(f"load average {load_average()}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
