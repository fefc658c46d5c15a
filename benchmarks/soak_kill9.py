"""Soak: kill -9 the scanner at random moments, then resume; nothing may be lost, doubled or left running.

Each round makes a fresh catalogue, starts `pluginary scan` on generated test plugins
(some crash, some hang), kills the scanner with SIGKILL after a random delay, checks
that none of its worker processes outlives it, then runs the same scan again to the
end and checks the catalogue: every good plugin exactly once, every bad one
quarantined, `PRAGMA integrity_check` ok. Printed: rounds, plugins lost, duplicated,
integrity failures, orphans. Target: all four 0. Exits 1 otherwise.

    python benchmarks/soak_kill9.py [--rounds 20] [--count 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

SCAN = [sys.executable, "-m", "pluginary", "scan", "--json", "--set", "scan.timeout=2", "--set", "scan.batch_size=5"]


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        for children in Path(f"/proc/{stack.pop()}/task").glob("*/children"):
            try:
                kids = {int(k) for k in children.read_text().split()} - found
            except OSError:
                continue
            found |= kids
            stack.extend(kids)
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
                living.add(pid)
        except OSError:
            continue
    return living


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    chance = random.Random(args.seed)
    lost = doubled = broken = orphans = 0
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "plugins"
        scanbench.make_test_plugins(root, args.count, args.seed, "--crash-fraction", "0.03", "--hang-fraction", "0.01")
        expected = json.loads((root / "expected.json").read_text())
        good = sorted(p["name"] for e in expected["bundles"] if not e["kills"] for p in e["plugins"])
        print(f"{args.count} bundles ({len(good)} good plugins); {args.rounds} rounds; "
              f"load average {scanbench.load_average()}")  # fmt: skip
        for round_number in range(1, args.rounds + 1):
            catalog = Path(scratch) / f"round{round_number}.sqlite"
            scanner = subprocess.Popen([*SCAN, str(root), "--catalog", str(catalog)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            delay = chance.uniform(0.5, 4.0)
            deadline = time.monotonic() + delay
            workers: set[int] = set()
            while time.monotonic() < deadline and scanner.poll() is None:
                workers |= descendants(scanner.pid)
                time.sleep(0.02)
            scanner.send_signal(signal.SIGKILL)
            scanner.wait()
            time.sleep(1.0)  # workers die with their zygote, which dies with the scanner
            left = alive(workers)
            orphans += len(left)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            done = subprocess.run([*SCAN, str(root), "--catalog", str(catalog)], capture_output=True, text=True)
            conn = sqlite3.connect(catalog)
            names = sorted(name for (name,) in conn.execute("SELECT name FROM plugins"))
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
            round_lost = len(set(good) - set(names))
            round_doubled = len(names) - len(set(names))
            lost, doubled, broken = lost + round_lost, doubled + round_doubled, broken + (not ok)
            print(f"  round {round_number:2}: killed after {delay:.1f} s; resumed with "
                  f"exit {done.returncode}; lost {round_lost}, doubled {round_doubled}, integrity "
                  f"{'ok' if ok else 'BROKEN'}, orphans {len(left)}")  # fmt: skip
    met = lost == doubled == broken == orphans == 0
    print(f"{args.rounds} rounds: lost {lost}, duplicated {doubled}, integrity failures {broken}, orphans {orphans} "
          f"[target all 0: {'met' if met else 'MISSED'}]")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
