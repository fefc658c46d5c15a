"""CLAP vs VST3: 1,000 generated test plugins of each, through the pool and in one plain process.

Both formats' test plugins are the suite's own (C, no SDK), with the same kind of
parameters, so the comparison is between the two readers and what isolating
them costs. For each format: a full scan in one plain process (the baseline),
then through a pool of 2 workers, both end to end in fresh processes. Printed:
each format's time, CLAP's time as a ratio of VST3's, and each format's pool
speed-up over its own in-process loop. Target: CLAP's pool speed-up within
0.7-1.5× of VST3's (isolation costs the same whatever the format). Exits 1 on
a miss.

    python benchmarks/bench_clap_vs_vst3.py [--count 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

LOW, HIGH = 0.7, 1.5


def make_clap(folder: Path, count: int) -> list[Path]:
    subprocess.run([sys.executable, "-m", "tests.plugins.clap", str(folder), "--count", str(count)],
                   cwd=scanbench.REPO, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return sorted(folder.glob("*.clap"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many runs of each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        sets = {
            "vst3": scanbench.make_test_plugins(Path(scratch) / "vst3", args.count, 3),
            "clap": make_clap(Path(scratch) / "clap", args.count),
        }
        print(f"{len(sets['vst3'])} VST3 and {len(sets['clap'])} CLAP test plugins; "
              f"load average {scanbench.load_average()}")  # fmt: skip
        speedups, pooled = {}, {}
        for fmt, bundles in sets.items():
            alone = min(scanbench.in_process_scan(bundles, fmt)["wall"] for _ in range(args.rounds))
            pool = min(scanbench.pool_process_scan(bundles, 2, fmt)["wall"] for _ in range(args.rounds))
            speedups[fmt], pooled[fmt] = alone / pool, pool
            print(f"{fmt}: in one process {alone:.2f} s [baseline]; pool of 2 {pool:.2f} s = {alone / pool:.2f}×")
        relative = speedups["clap"] / speedups["vst3"]
        met = LOW <= relative <= HIGH
        print(
            f"CLAP through the pool takes {pooled['clap'] / pooled['vst3']:.2f}× VST3's time; CLAP's pool "
            f"speed-up is {relative:.2f}× VST3's [target {LOW}-{HIGH}×: {'met' if met else 'MISSED'}]"
        )
        print(f"load average {scanbench.load_average()}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
