"""Time reading every LV2 plugin's metadata from Turtle, against lilv on the same machine.

    python benchmarks/bench_lv2.py                     # the bundles in the standard LV2 folders
    python benchmarks/bench_lv2.py --synthetic 60      # plus 60 generated bundles (tests/lv2gen.py)

Prints the plugin count, MB of Turtle (every *.ttl in the bundles), the wall time
of scanning in this process and with 2 worker processes, and seconds per 10 MB.
The workers are started and have imported the LV2 format before the clock starts,
as the long-lived scan workers would have; they send back only plugin counts.

Baseline, same run: `lv2info` for every URI `lv2ls` lists (lilv, the C library
hosts use). Each call is a process that loads lilv's world (every manifest) and
then the plugin's own files, so it overstates lilv's in-process cost somewhat.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.lv2gen

from pluginary.core.interfaces import ScanSettings
from pluginary.formats.lv2 import LV2Format

WORKERS = 2


def scan_bundle(bundle: str) -> int:
    return len(LV2Format().scan(Path(bundle), ScanSettings()))


def warm_up(_: int) -> None:
    import pyoxigraph  # noqa: F401  (the format imports it on first use)

    time.sleep(0.2)  # long enough that every worker gets one of these calls


def find_bundles(roots: list[Path]) -> list[Path]:
    return sorted(b for root in roots if root.is_dir() for b in root.iterdir() if b.suffix == ".lv2" and b.is_dir())


def turtle_mb(bundles: list[Path]) -> float:
    return sum(f.stat().st_size for b in bundles for f in b.glob("*.ttl")) / 1e6


def time_in_process(bundles: list[Path]) -> tuple[int, float, float]:
    """Plugin count, wall time and CPU time (less skewed by a busy machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(scan_bundle(str(b)) for b in bundles)
    return count, time.perf_counter() - start, time.process_time() - cpu


def time_in_workers(bundles: list[Path]) -> tuple[int, float]:
    # Largest first, so a big bundle does not start last and leave a worker idle.
    ordered = sorted(bundles, key=lambda b: -turtle_mb([b]))
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(warm_up, range(WORKERS)))
        start = time.perf_counter()
        count = sum(pool.map(scan_bundle, [str(b) for b in ordered]))
        return count, time.perf_counter() - start


def time_lilv(lv2_path: str | None) -> tuple[int, float] | None:
    if not (shutil.which("lv2ls") and shutil.which("lv2info")):
        return None
    env = {"LANG": "C", "PATH": "/usr/bin:/bin"} | ({"LV2_PATH": lv2_path} if lv2_path else {})
    start = time.perf_counter()
    uris = subprocess.run(["lv2ls"], env=env, capture_output=True, text=True, check=True).stdout.split()
    for uri in uris:
        subprocess.run(["lv2info", uri], env=env, capture_output=True, check=True)
    return len(uris), time.perf_counter() - start


def report(label: str, bundles: list[Path], lv2_path: str | None) -> None:
    mb = turtle_mb(bundles)
    count, single, cpu = time_in_process(bundles)
    _, pooled = time_in_workers(bundles)
    print(f"{label}: {count} plugins in {len(bundles)} bundles, {mb:.1f} MB of Turtle")
    print(f"  pluginary, in process:   {single:6.2f} s  ({single / mb * 10:.2f} s per 10 MB; CPU {cpu:.2f} s)")
    print(f"  pluginary, {WORKERS} workers:    {pooled:6.2f} s  ({pooled / mb * 10:.2f} s per 10 MB)")
    if (lilv := time_lilv(lv2_path)) is not None:
        print(f"  lilv, lv2info per URI:   {lilv[1]:6.2f} s  ({lilv[0]} plugins listed by lv2ls)")
    else:
        print("  lilv baseline skipped: lv2ls/lv2info not installed (apt-get install lilv-utils)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=0, metavar="BUNDLES", help="also time generated bundles")
    args = parser.parse_args()
    # Other work on the machine skews every figure below; say how busy it was.
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    roots = [root for root in LV2Format().default_roots() if root.is_dir()]
    bundles = find_bundles(roots)
    if bundles:
        report("this machine", bundles, None)
    else:
        print("no LV2 bundles in", ", ".join(map(str, LV2Format().default_roots())))
    if args.synthetic:
        from tests.lv2gen import write_bundles

        with tempfile.TemporaryDirectory() as tmp:
            write_bundles(Path(tmp), bundles=args.synthetic, plugins=10, ports=60)
            report("generated", find_bundles([Path(tmp)]), tmp)


if __name__ == "__main__":
    main()
