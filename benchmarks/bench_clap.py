"""CLAP: metadata-only scan vs full scan of the DPF plugins built by tests/plugins/build_dpf.sh.

What is timed is the format's own work as a worker does it: each round starts a
fresh Python process per depth (so every `.clap` is dlopen'ed cold, as in a
scan), which scans every file once; the median round counts. Baseline: the full
scan (create each plugin, read params and ports). For the record, the same set
also goes through the real pool end to end, where a worker's start dominates.

Target: metadata-only ≥ 1.5× faster, not the 5× one might hope for. DPF's
`clap_entry.init` constructs a dummy instance of the plugin to answer the
factory's questions (dpf/distrho/src/DistrhoPluginCLAP.cpp,
`clap_plugin_entry_init`), so metadata-only cannot skip the DSP construction on
these plugins; with that and the cold dlopen shared, a full scan costs about
twice as much (measured 2.0-2.8× on 2 cores). The target fails if metadata-only starts
creating plugins (ratio ≈ 1) or if it grows per-file costs a full scan hides.

    python benchmarks/bench_clap.py [--root /var/cache/pluginary/dpf] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import PluginFile
from pluginary.scanning.pool import ScanJob, WorkerPool

TARGET = 1.5
REPO = Path(__file__).resolve().parents[1]

ONE_ROUND = r"""
import json, sys, time
from pathlib import Path
from pluginary.core.interfaces import ScanSettings
from pluginary.formats.clap import CLAPFormat

settings = ScanSettings(metadata_only=sys.argv[1] == "metadata")
fmt = CLAPFormat()
started = time.perf_counter()
plugins = [plugin for path in sys.argv[2:] for plugin in fmt.scan(Path(path), settings)]
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "plugins": len(plugins), "parameters": sum(len(p.parameters) for p in plugins)}))
"""


def one_round(depth: str, files: list[Path]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", ONE_ROUND, depth, *map(str, files)], capture_output=True, text=True, check=True, cwd=REPO
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def pool_wall(files: list[Path], *, metadata_only: bool) -> float:
    settings = ScanSettings(metadata_only=metadata_only)
    jobs = [ScanJob(PluginFile(str(f), "clap", 0, 0, f.name), "clap", settings, 30.0) for f in files]
    started = time.perf_counter()
    with WorkerPool(2, retries=0) as pool:
        failed = [r for r in pool.run(jobs) if r.failure]
    if failed:
        raise SystemExit(f"{len(failed)} files failed in the pool, e.g. {failed[0].failure}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_root = Path(os.environ.get("PLUGINARY_DPF_PLUGINS") or "/var/cache/pluginary/dpf")
    parser.add_argument("--root", type=Path, default=default_root, help="DEST of build_dpf.sh")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    files = sorted((args.root / "clap").glob("*.clap"))
    if not files:
        print(f"no .clap files in {args.root / 'clap'}: run tests/plugins/build_dpf.sh {args.root}")
        return 2

    times: dict[str, list[float]] = {"metadata": [], "full": []}
    counts: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for depth in times:  # alternate, so drift in the machine's load hits both alike
            result = one_round(depth, files)
            times[depth].append(result["seconds"])
            counts[depth] = result
    full = statistics.median(times["full"])
    meta = statistics.median(times["metadata"])
    ratio = full / meta
    print(f"{len(files)} DPF CLAP files in {args.root / 'clap'}, {args.rounds} rounds, cold dlopen each round")
    print(
        f"baseline (full): {full * 1000:.2f} ms median for {counts['full']['plugins']:.0f} plugins, "
        f"{counts['full']['parameters']:.0f} parameters (min {min(times['full']) * 1000:.2f} ms)"
    )
    print(f"metadata-only:   {meta * 1000:.2f} ms median (min {min(times['metadata']) * 1000:.2f} ms)")
    full_pool, meta_pool = pool_wall(files, metadata_only=False), pool_wall(files, metadata_only=True)
    print(
        f"through the pool, end to end (worker start included): full {full_pool:.3f} s, metadata-only {meta_pool:.3f} s"
    )
    met = ratio >= TARGET
    print(f"ratio: metadata-only is {ratio:.2f}× faster [target ≥ {TARGET:g}×: {'met' if met else 'MISSED'}]")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
