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
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.90
#: Operators left out per module, and why. The keyword categorizer's weights are data tuned against a
#: labelled set of real plugin names (benchmarks/bench_keywords_accuracy.py measures them); a weight
#: nudged by one changes no single answer a unit test can name, so its number mutants say nothing.
#: Its every decorator is `functools.cache` (only speed): those mutants cannot change behaviour.
#: (Mutants inside type annotations are left out for every module: see `annotation_spans`.)
EXCLUDED_OPERATORS: dict[str, list[str]] = {
    "pluginary/categorizers/keywords.py": ["core/NumberReplacer", "core/RemoveDecorator"],
}
#: Mutants shown to be equivalent — no test can fail on them, because the program does the same — left
#: out like the annotation ones: (operator name, the source text from the mutated token on, why).
#: Matched by text, not line number, so an entry follows its code and lapses when the code changes.
EQUIVALENT: dict[str, list[tuple[str, str, str]]] = {
    "pluginary/scanning/pool.py": [
        ("core/ReplaceComparisonOperator_Is_LtE", "is FailureKind.CRASH:",
         "FailureKind's values are strings and 'crash' sorts first: `kind <= CRASH` holds for CRASH alone"),
        ("core/NumberReplacer", "500,",
         "a default of policy: telling 499 from 501 takes 500 loads in one worker, a number no behaviour hangs on"),
        ("core/NumberReplacer", "2048,", "a default of policy: 2047 or 2049 MB tell apart no plugin a test can load"),
        ("core/ReplaceBinaryOperator_Div_Pow", "/ MAX_QUEUE)))",
         "only the floor that keeps the division finite: below NAP / MAX_QUEUE every depth is capped at MAX_QUEUE"),
        ("core/ReplaceComparisonOperator_NotEq_Lt", "!= worker.queue[0].id:",
         "a worker answers in order: an id above its oldest job's comes only after that job's answer"),
        ("core/ReplaceFalseWithTrue", "False  # a retry of an idle hang",
         "read only for retries, which always set it"),
    ],
    "pluginary/exporters/yaml.py": [
        ("core/ReplaceComparisonOperator_Gt_GtE", '> 0 else "-.inf"', "the value here is ±infinity, never 0"),
        ("core/NumberReplacer", '0 else "-.inf"', "the value here is ±infinity: 1 or -1 splits it as 0 does"),
        ("core/ReplaceComparisonOperator_Eq_LtE", '== "plugins" and value',
         "the document's keys are schema, version, plugins and presets: none sorts before plugins"),
        ("core/ReplaceComparisonOperator_Eq_Lt", '== "plugins" and value',
         "only memory: the plugins written one at a time or whole give the same text"),
    ],
    "pluginary/exporters/writer.py": [
        ("core/ReplaceComparisonOperator_NotEq_Gt", "!= len(new) and not",
         "only speed: a longer new file is compared byte for byte instead, and differs"),
    ],
    "pluginary/exporters/ardour.py": [
        ("core/ReplaceComparisonOperator_Is_Eq", "is CategorySource.USER", "enum members are singletons"),
        ("core/ReplaceComparisonOperator_Gt_NotEq", '> 1 else ""',
         "each such warning is written only under `if count:`: the count is never 0"),
    ],
    "pluginary/categorizers/native.py": [
        ("core/ReplaceComparisonOperator_Gt_NotEq", "> 1 and not any(",
         "an empty list is read as [''], which finds no category either way"),
    ],
}  # fmt: skip
#: Each module, with the tests that are its own (run with -x: the first failure kills the mutant).
MODULES: dict[str, str] = {
    "pluginary/stages/diff.py": "tests/test_diff.py",
    "pluginary/scanning/journal.py": "tests/test_pool.py -k journal",
    "pluginary/scanning/pool.py": "tests/test_pool_probes.py tests/test_pool_edges.py tests/test_pool.py",
    "pluginary/pipeline/runner.py": "tests/test_runner.py tests/test_hooks.py",
    "pluginary/categorizers/native.py": "tests/test_categorize.py",
    "pluginary/categorizers/keywords.py": "tests/test_categorize.py",
    "pluginary/exporters/common.py": "tests/test_exporters.py",
    "pluginary/exporters/reaper.py": "tests/test_exporters.py tests/test_exporters_reaper.py",
    "pluginary/exporters/ardour.py": "tests/test_exporters.py tests/test_exporters_ardour.py",
    "pluginary/exporters/logic.py": "tests/test_exporters.py tests/test_exporters_logic.py",
    "pluginary/exporters/csv.py": "tests/test_exporters.py",
    "pluginary/exporters/writer.py": "tests/test_exporters.py tests/test_exporters_writer.py",
    "pluginary/exporters/json.py": "tests/test_exporters.py",
    "pluginary/exporters/yaml.py": "tests/test_exporters.py tests/test_exporters_yaml.py",
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


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's type annotations are, as ((line, column), (line, column)) in characters.

    With `from __future__ import annotations` an annotation (of an argument, a return, a variable) is
    kept as a string that nothing here evaluates, so a mutant inside one (`int | None` → `int & None`)
    cannot change behaviour. Without that import annotations are evaluated: none are returned.
    An alias such as `X = tuple[A, B | C]` is an expression evaluated at import, not an annotation.
    """
    tree = ast.parse(source)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(a.name == "annotations" for a in node.names)
        for node in tree.body
    )
    if not postponed:
        return []
    lines = source.splitlines()

    def position(line: int, byte: int) -> tuple[int, int]:  # ast counts UTF-8 bytes, cosmic-ray characters
        return line, len(lines[line - 1].encode()[:byte].decode())

    annotations = [
        node.annotation if isinstance(node, ast.arg | ast.AnnAssign) else node.returns
        for node in ast.walk(tree)
        if isinstance(node, ast.arg | ast.AnnAssign | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return [
        (position(a.lineno, a.col_offset), position(a.end_lineno or a.lineno, a.end_col_offset or a.col_offset))
        for a in annotations
        if a is not None
    ]


def compiles(source: str, mutation: Any) -> bool:
    """Whether the module still compiles with this mutant: cosmic-ray also turns the `*` that marks
    keyword-only arguments into `/` or `**`, a syntax error that fails every test — not a kill."""
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    operator = get_operator(mutation.operator_name)(**getattr(mutation, "operator_args", {}))
    mutated = mutate_code(source, operator, mutation.occurrence)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # `x is 0` from an `==` mutant: it still runs
        try:
            compile(mutated or source, "<mutant>", "exec")
        except SyntaxError:
            return False
    return True


def equivalent(module: str, lines: list[str], mutation: Any) -> bool:
    """Whether `EQUIVALENT` lists this mutant of the module."""
    line, column = mutation.start_pos
    code = lines[line - 1][column:]
    return any(
        mutation.operator_name == operator and code.startswith(text)
        for operator, text, _why in EQUIVALENT.get(module, [])
    )


def skip_unmeaning_mutants(session: Path, module: str, source: str) -> tuple[int, int, int]:
    """Mark every pending mutant that lies wholly inside a type annotation, that does not compile, or
    that `EQUIVALENT` lists as skipped; return how many of each."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = annotation_spans(source)
    lines = source.splitlines()
    annotations = broken = same = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            inside = [any(start <= m.start_pos and m.end_pos <= end for start, end in spans) for m in item.mutations]
            if inside and all(inside):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="annotation only"))
                annotations += 1
            elif not all(compiles(source, mutation) for mutation in item.mutations):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="no Python"))
                broken += 1
            elif all(equivalent(module, lines, mutation) for mutation in item.mutations):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="equivalent"))
                same += 1
    return annotations, broken, same


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
    annotations, broken, same = skip_unmeaning_mutants(session, module, (workdir / module).read_text())
    print(
        f"  left out: {annotations} mutants inside annotations (never evaluated), {broken} that do not compile,"
        f" {same} listed as equivalent (EQUIVALENT: each with why)",
        flush=True,
    )
    with use_db(str(session), WorkDB.Mode.open) as db:
        # cosmic-ray lists pending work in random order, with random ids: sort by what each mutant is, so
        # a seed draws the same sample every time.
        pending = sorted(
            db.pending_work_items,
            key=lambda item: [(m.start_pos, m.operator_name, m.occurrence) for m in item.mutations],
        )
        jobs = [item.job_id for item in pending]
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
