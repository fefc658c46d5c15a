"""Several processes on one catalogue: first scans at once, a writer holding the lock,
two scans at once, reads while a scan rewrites, and read-only commands that must not write.

Every case runs real processes on a real SQLite file: the errors these guard against
(`table metadata already exists`, `database is locked`, a false "damaged") only
happen between processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pluginary import Catalog
from pluginary.backends import locks
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.core.errors import CatalogError
from tests.catalog_data import batches, iter_plugins, iter_results

# Slow (real processes racing for one catalogue): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def stored(path: Path, count: int = 50) -> list[str]:
    """A catalogue of `count` generated plugins at `path`; their ids."""
    backend = SQLiteBackend(path)
    for batch in batches(iter_results(iter_plugins(count, 10))):
        backend.write(batch)
    ids = [plugin.id for plugin in backend.plugins()]
    backend.close()
    return ids


def pluginary(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """This checkout's CLI, through its real entry point."""
    return subprocess.run(
        [sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, env=ENV, timeout=timeout, cwd=ROOT
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A catalogue, and another process holding a write transaction on it until the test ends."""
    path = tmp_path / "catalog.sqlite"
    stored(path)
    script = textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO runs (started_at, data) VALUES ('now', '{{}}')")
        print("holding", flush=True)
        time.sleep(120)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "holding\n"
    yield path, process
    process.kill()
    process.wait()


# -- a catalogue locked by another writer ------------------------------------------------------


def test_a_locked_catalogue_is_one_line_naming_the_holder_after_waiting(
    holder: tuple[Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    path, process = holder
    with Catalog.open(path, read_only=True) as catalog:
        first = next(catalog.plugins())
    bundle = tmp_path / "plugins" / "eg-amp.lv2"
    shutil.copytree("/usr/lib/lv2/eg-amp.lv2", bundle)
    for args in (
        ("tag", first.id, "warm"),
        ("db", "vacuum"),
        ("db", "check"),  # a lock is not damage
        ("scan", str(bundle.parent)),  # and its run record's clean-up does not hide the error
    ):
        started = time.monotonic()
        line = one_line_error(pluginary(*args, "--catalog", str(path)))
        assert time.monotonic() - started >= locks.BUSY_TIMEOUT, args  # it waited for the writer first
        assert f"{path}: the catalogue is locked by pid {process.pid}: python" in line, args
        assert f"kill {process.pid}" in line and "damaged" not in line, args
    # A read never waits for a writer: the export is written in full, from the last commit.
    out = tmp_path / "out.json"
    done = pluginary("export", "json", str(out), "--catalog", str(path))
    assert done.returncode == 0, done.stderr
    assert '"name": "' + first.name in out.read_text(encoding="utf-8")
    with pytest.raises(CatalogError, match=f"locked by pid {process.pid}"):
        SQLiteBackend(path).record_run({"started_at": "later"})
    process.kill()
    process.wait()
    assert pluginary("tag", first.id, "warm", "--catalog", str(path)).returncode == 0  # free again


def test_the_holder_is_named_from_proc_locks_whoever_it_is(holder: tuple[Path, subprocess.Popen[str]]) -> None:
    path, process = holder
    assert locks.lock_holders(path) == [process.pid]
    process.kill()
    process.wait()
    assert locks.lock_holders(path) == []


# -- two processes creating or scanning the same catalogue -------------------------------------

CREATE_AND_WRITE = """
import sys, time
from pluginary.backends.sqlite import SQLiteBackend
from tests.catalog_data import iter_plugins, iter_results
path, start, number = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
backend = SQLiteBackend(path)
(result,) = iter_results(iter_plugins(1, 5, seed=number))
backend.write([result])
backend.close()
"""


@pytest.mark.parametrize("round_", range(5))
def test_first_scans_of_a_new_catalogue_at_once_all_succeed(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "new" / "catalog.sqlite"
    start = time.time() + 1.0  # the interpreters start first, then all open the file at once
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CREATE_AND_WRITE, str(path), str(start), str(n)],
            env=ENV,
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    errors = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, errors
    with Catalog.open(path, read_only=True) as catalog:
        assert catalog.count() == 4
        assert catalog.check() == []


HOLD_EXCLUSIVE = """
import sys, time
from pluginary.backends.sqlite import SQLiteBackend
backend = SQLiteBackend(sys.argv[1], exclusive=True)
print("scanning", flush=True)
time.sleep(120)
"""


def test_a_second_scan_waits_then_is_refused_naming_the_first(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    stored(path, 5)
    first = subprocess.Popen(
        [sys.executable, "-c", HOLD_EXCLUSIVE, str(path)], env=ENV, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout is not None and first.stdout.readline() == "scanning\n"
        started = time.monotonic()
        with pytest.raises(CatalogError) as raised:
            SQLiteBackend(path, exclusive=True)
        assert time.monotonic() - started >= locks.BUSY_TIMEOUT
        message = str(raised.value)
        assert f"another scan is writing this catalogue (pid {first.pid}: python" in message
        assert message.startswith(str(path)) and "\n" not in message
        # Only scans exclude each other: a query, or a tag between two batches, goes on.
        with Catalog.open(path) as catalog:
            assert catalog.count() == 5
            catalog.tag(next(catalog.plugins()).id, "meanwhile")
    finally:
        first.send_signal(signal.SIGKILL)  # however it ends, the kernel frees its lock
        first.wait()
    second = SQLiteBackend(path, exclusive=True)
    assert (path.parent / "catalog.sqlite.lock").read_text() == f"{os.getpid()}\n"
    second.close()


# -- reads while a scan rewrites the catalogue -----------------------------------------------


def test_reads_while_a_scan_rewrites_see_no_damage(tmp_path: Path) -> None:
    """A short run of benchmarks/soak_catalog.py: a writer process rewrites every plugin in a
    loop while list, search, info, stats and export run; no false "damaged", no traceback."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "soak_catalog.py"),
            "--runs",
            "25",
            "--cli-runs",
            "2",
            "--plugins",
            "200",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "false errors: 0" in done.stdout
    assert "runs: 25 in-process, 2 through the CLI (200 plugins" in done.stdout


# -- read-only operations that must not write --------------------------------------------------


@pytest.mark.parametrize("command", [("list",), ("search", "reverb"), ("stats",), ("db", "check")])
def test_queries_on_an_empty_file_say_so_and_leave_it_empty(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = tmp_path / "catalog.sqlite"
    path.touch()
    line = one_line_error(pluginary(*command, "--catalog", str(path)))
    assert f"{path}: an empty file, not a catalogue yet" in line
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.sqlite"]


def test_vacuum_refuses_a_damaged_file_and_leaves_it_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    stored(path, 300)
    content = bytearray(path.read_bytes())
    page = 4096
    middle = len(content) // page // 2 * page
    content[middle : middle + page] = b"\x00" * page  # a page of parameters or an index, not the schema
    path.write_bytes(bytes(content))
    line = one_line_error(pluginary("db", "vacuum", "--catalog", str(path)))
    assert f"{path}: the catalogue is damaged" in line and "restore a backup" in line and "db check" not in line
    assert path.read_bytes() == bytes(content)


def test_db_check_flags_a_stored_file_whose_plugin_is_missing(tmp_path: Path) -> None:
    """What a plugin installed twice looked like before schema v3: its file stored, its record gone."""
    path = tmp_path / "catalog.sqlite"
    ids = stored(path, 5)
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM plugins WHERE id = ?", (ids[0],))
    conn.commit()
    conn.close()
    done = pluginary("db", "check", "--catalog", str(path))
    assert done.returncode == 1
    assert "1 plugins of stored files that are missing (`pluginary scan --full` finds them again)" in done.stderr
    assert "Traceback" not in done.stderr


WRITE_MORE = textwrap.dedent(
    """
    import sys
    from pluginary.backends.sqlite import SQLiteBackend
    from tests.catalog_data import batches, iter_plugins, iter_results
    backend = SQLiteBackend(sys.argv[1])
    for batch in batches(iter_results(iter_plugins(int(sys.argv[2]), 2, seed=int(sys.argv[3])))):
        backend.write(batch)
    backend.close()
    """
)


def test_a_reader_open_all_along_sees_what_another_process_wrote(tmp_path: Path) -> None:
    """A long-lived reader (a server) keeps seeing new scans after the same process opened the file
    again: opening a catalogue must not drop the process's SQLite locks (a plain open() and close() of
    the file does), or the writer's last close deletes the WAL under the reader, which then reads a
    stale snapshot for ever."""
    path = tmp_path / "c.sqlite"
    stored(path)
    reader = Catalog(SQLiteBackend(path, read_only=True))
    try:
        before = reader.count()
        Catalog(SQLiteBackend(path, read_only=True)).close()  # another open and close in this process
        for scan in (1, 2, 3):  # the second scan was the first one not seen, before the fix
            subprocess.run(
                [sys.executable, "-c", WRITE_MORE, str(path), "40", str(scan)], env=ENV, cwd=ROOT, check=True
            )
            assert reader.count() == before + 40 * scan
    finally:
        reader.close()
