"""The `pluginary` command as a user runs it: a real subprocess each time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.plugins import Misbehaviour, PluginSpec
from tests.test_scan_pipeline import _alive, _default_sigint, _descendants, _stored, scan, slow_folder  # noqa: F401  # a fixture

REPO = Path(__file__).resolve().parents[1]

HEAVY = ("pedalboard", "sqlite_utils", "sqlite3", "pyoxigraph", "rdflib", "lilv")


def pluginary(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pluginary.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["pipelines"]])
def test_fast_commands_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    report = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        f"sys.argv = ['pluginary', *{args!r}]\n"
        "from pluginary.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"open({str(report)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(report.read_text())
    assert "pluginary.cli.app" in loaded  # the check itself ran
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
    assert heavy == [], f"`pluginary {' '.join(args)}` imported {heavy}"


def test_pipelines_lists_the_shipped_ones() -> None:
    done = pluginary("pipelines")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert {"full", "manifest", "scan"} <= set(names)


def test_plugins_lists_every_kind_with_distribution() -> None:
    done = pluginary("plugins", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    kinds = {row["kind"] for row in rows}
    assert {"stage hook", "format", "backend", "categorizer", "exporter"} <= kinds
    vst3 = next(row for row in rows if row["kind"] == "format" and row["name"] == "vst3")
    assert vst3["distribution"] == "pluginary" and vst3["version"]


def test_a_pipeline_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  - discover: {formats: [vst4]}\n")
    done = pluginary("run", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {bad}:2:25: unknown format 'vst4' — did you mean 'vst3'? installed: au, clap, lv2, vst3"
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_failing_stage_exits_3(tmp_path: Path) -> None:
    from pluginary.backends.sqlite import SQLiteBackend

    # The export path lies under a regular file: the export stage cannot write it.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"stages:\n  - store\n  - export: [{{format: json, path: {blocker / 'out.json'}}}]\n")
    SQLiteBackend(tmp_path / "catalog.sqlite").close()  # an empty catalogue: export refuses a missing one
    done = pluginary("run", str(pipeline), "--catalog", str(tmp_path / "catalog.sqlite"), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(blocker) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_catalogue_that_cannot_be_opened_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "catalog.sqlite"
    folder.mkdir()
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("stages:\n  - store\n  - export: [{format: json, path: out.json}]\n")
    done = pluginary("run", str(pipeline), "--catalog", str(folder), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(folder) in done.stderr


def test_config_show_names_each_origin(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "PLUGINARY_CONFIG_DIR": str(tmp_path), "PLUGINARY_SCAN__RETRIES": "3"}
    (tmp_path / "config.yaml").write_text("scan:\n  recycle_after: 9\n")
    done = pluginary("config", "show", "full", "--set", "scan.timeout=61", env=env)
    assert done.returncode == 0, done.stderr
    lines = {line.split(" = ")[0]: line for line in done.stdout.splitlines() if " = " in line}
    assert lines["scan.timeout"].endswith("# --set scan.timeout=61") and "61" in lines["scan.timeout"]
    assert lines["scan.retries"].endswith("# env PLUGINARY_SCAN__RETRIES")
    assert f"# {tmp_path / 'config.yaml'}:2:" in lines["scan.recycle_after"]
    assert lines["diff.full"].endswith("# built-in default")


# -- user errors the walk in test_cli_usage.py cannot derive ------------------------------------------


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    from pluginary.backends.sqlite import SQLiteBackend
    from pluginary.testing.backend_suite import results_for, sample_plugins

    path = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(path)
    backend.write(results_for(sample_plugins()))
    backend.close()
    return path


def one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The one stderr line of a command that failed as the user should see it."""
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("error: ") and all(word in line for word in words), line
    return line


def test_scanning_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    done = pluginary("scan", "/typo/path", "--catalog", str(tmp_path / "c.sqlite"))
    one_line(done, 2, "'/typo/path' does not exist", "pluginary scan --help")
    assert not (tmp_path / "c.sqlite").exists()


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_search_limit_must_be_at_least_one(catalog: Path, limit: str) -> None:
    one_line(pluginary("search", "reverb", "--limit", limit, "--catalog", str(catalog)), 2, "--limit", limit)


@pytest.mark.slow
def test_an_unknown_format_filter_names_the_installed_ones(catalog: Path) -> None:
    line = one_line(pluginary("list", "--format", "xyz", "--catalog", str(catalog)), 2, "unknown format 'xyz'")
    assert line.endswith("installed: au, clap, lv2, vst3")
    close = one_line(pluginary("list", "--format", "VTS3", "--catalog", str(catalog)), 2)
    assert "did you mean 'vst3'?" in close
    listed = pluginary("list", "--format", "VST3", "--catalog", str(catalog)).stdout.splitlines()
    assert len(listed) == 7 and {line.split("\t")[3] for line in listed} == {"vst3"}


@pytest.mark.slow
@pytest.mark.parametrize("option", ["--limit", "--offset"])
def test_integers_too_large_for_sqlite_are_usage_errors(catalog: Path, option: str) -> None:
    huge = "99999999999999999999"
    one_line(pluginary("list", option, huge, "--catalog", str(catalog)), 2, option, huge, str(2**63 - 1))
    assert pluginary("list", option, str(2**63 - 1), "--catalog", str(catalog)).returncode == 0


@pytest.mark.slow
def test_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("")
    env = {**os.environ, "PLUGINARY_DATA_DIR": str(blocker)}
    for args in (["list"], ["scan", str(tmp_path)], ["export", "json", str(tmp_path / "out.json")]):
        one_line(pluginary(*args, env=env), 2, str(blocker), "PLUGINARY_DATA_DIR names a file")
    assert blocker.read_text() == ""


#: The CLI as `nobody`: imports first (the interpreter lives under /root), then permissions apply.
AS_NOBODY = """
import os, sys
import pluginary.cli.app, pluginary.catalog, pluginary.backends.sqlite, pluginary.pipeline.loader
os.setgid(65534); os.setuid(65534)
pluginary.cli.app.main(sys.argv[1:])
"""


@pytest.mark.slow
def test_a_catalogue_in_a_folder_the_user_cannot_enter(tmp_path: Path, catalog: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("drops to `nobody`, which needs root; as another user, chmod gives the same case")
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        locked = Path(scratch) / "locked"
        locked.mkdir()
        shutil.copy(catalog, locked / "catalog.sqlite")
        Path(scratch).chmod(0o755)
        locked.chmod(0o700)  # root's own: nobody cannot enter it
        for args in (["list"], ["search", "reverb"], ["stats"], ["info", "Diva"], ["db", "check"]):
            done = subprocess.run(
                [sys.executable, "-c", AS_NOBODY, *args, "--catalog", str(locked / "catalog.sqlite")],
                capture_output=True, text=True, timeout=60, cwd=REPO,
            )  # fmt: skip
            one_line(done, 1, str(locked / "catalog.sqlite"), "Permission denied", "permissions")


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_standard_output_on_a_full_disk(catalog: Path) -> None:
    for args in (["list", "--catalog", str(catalog)], ["--help"], ["list", "-o", "json", "--catalog", str(catalog)]):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "pluginary", *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
            )
        one_line(done, 1, "cannot write standard output: No space left on device")


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(catalog: Path) -> None:
    # `pluginary list | head -1`: the reader goes away after one line.
    from pluginary.backends.sqlite import SQLiteBackend
    from tests.catalog_data import batches, iter_plugins, iter_results

    backend = SQLiteBackend(catalog)
    for batch in batches(iter_results(iter_plugins(3000, 2))):
        backend.write(batch)
    backend.close()
    done = subprocess.run(
        f"{sys.executable} -m pluginary list --catalog {catalog} | head -1", shell=True, capture_output=True,
        text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == ""


# -- text from plugins never drives the terminal ---------------------------------------------------------

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil\u2066[bold red]x[/]:skull:"
OBEYED = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")


@pytest.fixture
def hostile_catalog(tmp_path: Path) -> Path:
    import attrs

    from pluginary.backends.sqlite import SQLiteBackend
    from pluginary.core.models import Category, FailureKind
    from pluginary.testing.backend_suite import failure_at, make_plugin, results_for

    plugin = make_plugin(f"Name{HOSTILE}", f"Vendor{HOSTILE}", "vst3", f"Effect/Cat{HOSTILE}", (f"Param{HOSTILE}",))
    plugin = attrs.evolve(plugin, id="vst3:hostile", tags=(f"tag{HOSTILE}",),
                          categories=(Category(f"Effect/Cat{HOSTILE}"),))  # fmt: skip
    path = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(path)
    backend.write(results_for([plugin]))
    backend.write([failure_at(f"/p/Bad{HOSTILE}.vst3", last_seen="2025-01-01", kind=FailureKind.ERROR,
                              message=f"message{HOSTILE}")])  # fmt: skip
    backend.close()
    return path


@pytest.mark.slow
@pytest.mark.parametrize("output", ["table", "plain"])
def test_plugin_text_is_shown_never_obeyed(hostile_catalog: Path, output: str) -> None:
    catalog = ["--catalog", str(hostile_catalog), "-o", output]
    shown = {
        "list": pluginary("list", *catalog, env={**os.environ, "COLUMNS": "400"}),
        "search": pluginary("search", "name", *catalog, env={**os.environ, "COLUMNS": "400"}),
        "info": pluginary("info", "vst3:hostile", *catalog, env={**os.environ, "COLUMNS": "400"}),
        "stats": pluginary("stats", *catalog, env={**os.environ, "COLUMNS": "400"}),
        "failures": pluginary("failures", *catalog, env={**os.environ, "COLUMNS": "400"}),
    }
    for command, done in shown.items():
        assert done.returncode == 0, (command, done.stderr)
        assert not [c for c in OBEYED if c in done.stdout], (command, done.stdout)
        # Escaped where the text was, and rich read no markup or emoji code in it.
        assert "\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202eevil\\u2066[bold red]x[/]:skull:" in done.stdout, command
    assert "Name\\x1b" in shown["list"].stdout and "Vendor\\x1b" in shown["search"].stdout
    assert "Param\\x1b" in shown["info"].stdout and "tag\\x1b" in shown["info"].stdout
    assert "Cat\\x1b" in shown["stats"].stdout and "message\\x1b" in shown["failures"].stdout


def test_json_output_keeps_plugin_text_as_data(hostile_catalog: Path) -> None:
    done = pluginary("list", "-o", "json", "--catalog", str(hostile_catalog))
    assert json.loads(done.stdout)[0]["name"] == f"Name{HOSTILE}"


@pytest.mark.slow
def test_the_run_summary_shows_a_hostile_failure_safely(tmp_path: Path, make_vst3: Any) -> None:
    root = tmp_path / "plugins"
    make_vst3(PluginSpec(name=f"Crash{HOSTILE}", misbehaviour=Misbehaviour(crash="segv")), root=root)
    done = pluginary("scan", str(root), "--catalog", str(tmp_path / "c.sqlite"), "--set", "scan.retries=0")
    assert done.returncode == 0, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 1 and "Crash\\x1b[2J" in failed[0], done.stderr
    assert not [c for c in OBEYED if c in done.stderr + done.stdout]


# -- SIGTERM and a terminal's Ctrl-C end a scan as cleanly as Ctrl-C ------------------------------------------


def _scan_in_its_own_session(folder: Path, catalog: Path) -> subprocess.Popen[str]:
    """A scan as a terminal runs it: the leader of its own process group, workers inside it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pluginary", "scan", str(folder), "--catalog", str(catalog), "--json",
         "--set", "scan.workers=2", "--set", "scan.batch_size=1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_default_sigint,  # a foreground job's Ctrl-C, even when pytest runs in the background
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while _stored(catalog) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the scan stored nothing in 60 s"
        time.sleep(0.05)
    return process


@pytest.mark.parametrize(
    ("send", "code", "said"),
    [
        (lambda p: p.send_signal(signal.SIGTERM), 143, "terminated"),
        (lambda p: os.killpg(p.pid, signal.SIGINT), 130, "interrupted"),  # Ctrl-C reaches the whole group
    ],
    ids=["SIGTERM", "Ctrl-C to the process group"],
)
@pytest.mark.slow
def test_a_stopped_scan_blames_no_plugin_and_resumes(
    slow_folder: Path,  # noqa: F811  # test_scan_pipeline's fixture, imported above
    tmp_path: Path,
    send: Any,
    code: int,
    said: str,
) -> None:
    catalog = tmp_path / "catalog.sqlite"
    process = _scan_in_its_own_session(slow_folder, catalog)
    workers = _descendants(process.pid)
    send(process)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert err.splitlines() == [f"{said}: everything scanned so far is stored; run the same command again to resume"]
    stored = _stored(catalog)
    assert 2 <= stored < 8
    time.sleep(0.2)
    assert not _alive(workers), "workers outlived the scan"
    resumed = scan(slow_folder, catalog, "--set", "scan.workers=2")
    # The plugins loading when the scan stopped were innocent: they are scanned again, not suspected.
    assert not [w for w in resumed["warnings"] if "stopped while loading" in w], resumed["warnings"]
    assert (resumed["unchanged"], resumed["scanned"], resumed["failed"]) == (stored, 8 - stored, 0)
    assert _stored(catalog) == 8
