"""Mutation testing: do the tests fail when the code is wrong? Run by hand, never in CI.

For each module named, cosmic-ray (PyPI: `pip install cosmic-ray`) makes small
mutants (a flipped comparison, a removed `not`, a changed constant, a `break`
for a `continue`, …); a sample of them is applied one at a time and the
module's own tests are run against each. A mutant the tests notice is killed;
one they do not notice survived and is a hole in the tests. The score is the
killed share. Target: ≥ 90 % per module. Exits 1 on a miss.

Everything happens in a copy of the checkout (cosmic-ray rewrites files on
disk), with PYTHONPATH pointing at the copy, so the tree you work in, and the
real worker processes the tests start, only ever see the copy's mutant.

    python benchmarks/mutation.py [--sample 25] [--seed 1] [--module pluginary/stages/diff.py …]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.90
#: Operators left out per module, and why. The keyword categorizer's weights are data tuned against a
#: labelled set of real plugin names (benchmarks/bench_keywords_accuracy.py measures them); a weight
#: nudged by one changes no single answer a unit test can name, so its number mutants say nothing.
#: Its every `|` is in a type hint (never evaluated: `from __future__ import annotations`) and its
#: every decorator is `functools.cache` (only speed): those mutants cannot change behaviour.
EXCLUDED_OPERATORS: dict[str, list[str]] = {
    # The pool's `|` are type hints too, but for one alias evaluated at import (`_Outcome`), whose
    # mutant fails every test at import: none of them can survive meaningfully.
    "pluginary/scanning/pool.py": ["core/ReplaceBinaryOperator_BitOr_.*"],
    "pluginary/categorizers/keywords.py": [
        "core/NumberReplacer",
        "core/ReplaceBinaryOperator_BitOr_.*",
        "core/RemoveDecorator",
    ],
}
#: Each module, with the tests that are its own (run with -x: the first failure kills the mutant).
MODULES: dict[str, str] = {
    "pluginary/stages/diff.py": "tests/test_diff.py",
    "pluginary/scanning/journal.py": "tests/test_pool.py -k journal",
    "pluginary/scanning/pool.py": "tests/test_pool_probes.py tests/test_pool.py",
    "pluginary/pipeline/runner.py": "tests/test_runner.py tests/test_hooks.py",
    "pluginary/categorizers/native.py": "tests/test_categorize.py",
    "pluginary/categorizers/keywords.py": "tests/test_categorize.py",
    "pluginary/exporters/common.py": "tests/test_exporters.py",
    "pluginary/exporters/reaper.py": "tests/test_exporters.py",
    "pluginary/exporters/ardour.py": "tests/test_exporters.py tests/test_exporters_ardour.py",
    "pluginary/exporters/logic.py": "tests/test_exporters.py",
    "pluginary/exporters/csv.py": "tests/test_exporters.py",
    "pluginary/exporters/writer.py": "tests/test_exporters.py",
}
CONFIG = """[cosmic-ray]
module-path = "{module}"
timeout = {timeout}
excluded-modules = []
test-command = "{python} -m pytest -x -q -p no:cacheprovider {tests}"
{excluded}
[cosmic-ray.distributor]
name = "local"
"""


def copy_checkout(dest: Path) -> None:
    """The files git tracks, and the untracked ones it does not ignore, as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)


def score(module: str, tests: str, sample: int, seed: int, timeout: float, workdir: Path) -> tuple[int, int]:
    """(killed, survived) for a sample of the module's mutants."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    config = workdir / f"{Path(module).stem}.toml"
    session = workdir / f"{Path(module).stem}.sqlite"
    excluded = EXCLUDED_OPERATORS.get(module, [])
    filters = f"\n[cosmic-ray.filters.operators-filter]\nexclude-operators = {excluded!r}\n" if excluded else ""
    config.write_text(
        CONFIG.format(module=module, timeout=timeout, python=sys.executable, tests=tests, excluded=filters)
    )
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    subprocess.run(["cosmic-ray", "init", str(config), str(session)], cwd=workdir, env=env, check=True)
    if excluded:  # marks those mutants skipped, so the sample below is drawn from the rest
        subprocess.run(["cr-filter-operators", str(session), str(config)], cwd=workdir, env=env, check=True)
    with use_db(str(session), WorkDB.Mode.open) as db:
        jobs = [item.job_id for item in db.pending_work_items]
        chosen = set(random.Random(seed).sample(jobs, min(sample, len(jobs))))
        for job in jobs:
            if job not in chosen:
                db.set_result(job, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    subprocess.run(["cosmic-ray", "exec", str(config), str(session)], cwd=workdir, env=env, check=True)
    killed = survived = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome is WorkerOutcome.SKIPPED:
                continue
            if result.test_outcome is TestOutcome.SURVIVED:
                survived += 1
                print(f"    survived: {item.mutations[0].operator_name} at line {item.mutations[0].start_pos[0]}")
            else:
                killed += 1  # killed, or incompetent (the mutant broke the module outright)
    return killed, survived


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=25, help="mutants tried per module")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for one mutant's test run")
    parser.add_argument("--module", action="append", choices=sorted(MODULES), help="only these (repeatable)")
    args = parser.parse_args()
    if shutil.which("cosmic-ray") is None:
        print("cosmic-ray is not installed: pip install cosmic-ray")
        return 2
    ok = True
    with tempfile.TemporaryDirectory(prefix="pluginary-mutation-") as scratch:
        workdir = Path(scratch)
        copy_checkout(workdir)
        for module in args.module or sorted(MODULES):
            print(f"{module}: {args.sample} mutants against {MODULES[module]}", flush=True)
            killed, survived = score(module, MODULES[module], args.sample, args.seed, args.timeout, workdir)
            share = killed / max(1, killed + survived)
            met = share >= TARGET
            ok &= met
            print(
                f"  {killed} killed, {survived} survived: {share:.0%} [target ≥ {TARGET:.0%}: "
                f"{'met' if met else 'MISSED'}]",
                flush=True,
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
