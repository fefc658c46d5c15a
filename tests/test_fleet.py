"""Several machines, one PostgreSQL catalogue, through the real CLI: real scans of generated LV2
bundles by processes standing in for machines (`PLUGINARY_HOST`), run at once, one killed
with kill -9 and resumed; then the fleet questions, merging, and a password never shown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.lv2gen import write_bundles
from tests.pg import PASSWORD, Server, pg_server

# Slow (eight scanner processes writing one PostgreSQL catalogue): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

__all__ = ["pg_server"]

HOSTS = 8
#: Plugins per machine: 100 bundles of 10. Machine k has bundles k*10 … k*10+99, so neighbours
#: share 90 bundles and each has 10 (100 plugins) the next lacks.
BUNDLES, PER_BUNDLE, SHIFT = 100, 10, 10


def pluginary(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "pluginary", *args], env=env, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def machine(tmp_path: Path, k: int) -> Path:
    """Machine k's plugin folder: bundles k*SHIFT … k*SHIFT+BUNDLES-1 of the generator."""
    folder = tmp_path / f"host{k}"
    write_bundles(folder, bundles=k * SHIFT + BUNDLES, plugins=PER_BUNDLE, ports=4)
    for b in range(k * SHIFT):
        shutil.rmtree(folder / f"gen{b:04d}.lv2")
    return folder


def environment(tmp_path: Path, host: str) -> dict[str, str]:
    return {
        **os.environ,
        "PLUGINARY_HOST": host,
        "PLUGINARY_DATA_DIR": str(tmp_path / "data" / host),
        "PLUGINARY_CONFIG_DIR": str(tmp_path / "config"),
        "LV2_PATH": "",
    }


def scan(folder: Path, url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pluginary", "scan", str(folder), "--catalog", url, "--json",
         "--set", "scan.workers=1", "--set", "scan.batch_size=50"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def stored(server: Server, database: str, host: str) -> int:
    """How many plugins `host` has stored so far (0 before the first scan creates the tables)."""
    try:
        return int(server.admin(f"SELECT count(*) FROM plugins WHERE host = '{host}'", database))
    except subprocess.CalledProcessError:
        return 0


@pytest.mark.slow
def test_eight_machines_at_once_one_killed_lose_and_duplicate_nothing(pg_server: Server, tmp_path: Path) -> None:
    database = pg_server.database("fleet")
    url = pg_server.url(database)
    folders = [machine(tmp_path, k) for k in range(HOSTS)]
    envs = [environment(tmp_path, f"host{k}") for k in range(HOSTS)]
    scans = [scan(folders[k], url, envs[k]) for k in range(HOSTS)]
    # Kill the last machine's scan once some of its batches are stored, mid-run.
    victim = scans[-1]
    deadline = time.monotonic() + 120
    while stored(pg_server, database, f"host{HOSTS - 1}") < 100:
        assert victim.poll() is None, "the scan to kill finished first"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    killed_at = stored(pg_server, database, f"host{HOSTS - 1}")
    for process in scans[:-1]:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert PASSWORD not in err
    assert killed_at < BUNDLES * PER_BUNDLE  # it really died mid-write
    # Resumed: only what was not stored yet is scanned.
    resumed = json.loads(pluginary("scan", str(folders[-1]), "--catalog", url, "--json", env=envs[-1]).stdout)
    assert resumed["scanned"] < BUNDLES  # bundles, not plugins
    # Every plugin of every machine exactly once.
    counts = pg_server.admin(
        "SELECT host, count(*), count(DISTINCT id) FROM plugins GROUP BY host ORDER BY host", database
    ).split()
    assert counts == [f"host{k}|1000|1000" for k in range(HOSTS)]
    for k in range(HOSTS):
        expected = {f"lv2:urn:pluginary:gen:{b}:{p}" for b in range(k * SHIFT, k * SHIFT + BUNDLES)
                    for p in range(PER_BUNDLE)}  # fmt: skip
        ids = set(pg_server.admin(f"SELECT id FROM plugins WHERE host = 'host{k}'", database).split())
        assert ids == expected
    assert pg_server.admin("SELECT count(*) FROM files", database) == f"{HOSTS * BUNDLES}\n"
    # A machine's rescan with no change is a no-op.
    again = json.loads(pluginary("scan", str(folders[0]), "--catalog", url, "--json", env=envs[0]).stdout)
    assert (again["scanned"], again["stored"]) == (0, 0)
    # The fleet questions agree with what each machine holds.
    hosts = json.loads(pluginary("hosts", "--catalog", url, "-o", "json", env=envs[0]).stdout)
    assert [(h["host"], h["plugins"], h["files"]) for h in hosts] == [(f"host{k}", 1000, 100) for k in range(HOSTS)]
    diff = json.loads(pluginary("fleet", "diff", "host0", "host1", "--catalog", url, "-o", "json", env=envs[0]).stdout)
    only_a = {row["product"] for row in diff if row["status"] == "only A"}
    only_b = {row["product"] for row in diff if row["status"] == "only B"}
    assert len(only_a) == len(only_b) == SHIFT * PER_BUNDLE and len(diff) == 2 * SHIFT * PER_BUNDLE
    listed = json.loads(pluginary("list", "--catalog", url, "--host", "host3", "-o", "json", env=envs[0]).stdout)
    assert len(listed) == 1000 and {p["host"]["name"] for p in listed} == {"host3"}


def test_fleet_questions_merge_and_no_password_anywhere(pg_server: Server, tmp_path: Path) -> None:
    """Two machines' SQLite catalogues pushed into PostgreSQL; `where`, `diff`, `list --all-hosts`;
    a second merge changes nothing; the password shows nowhere, not even in errors."""
    database = pg_server.database("merge")
    url = pg_server.url(database)
    files = []
    for k in (0, 1):
        env = environment(tmp_path, f"desk{k}")
        files.append(tmp_path / f"desk{k}.sqlite")
        pluginary("scan", str(machine(tmp_path, k)), "--catalog", str(files[-1]), env=env)
    env = environment(tmp_path, "admin")
    merged = pluginary("merge", url, *map(str, files), env=env)
    assert merged.stdout.splitlines() == ["desk0: 1000 plugins", "desk1: 1000 plugins"]
    before = pg_server.admin("SELECT host, count(*) FROM plugins GROUP BY host ORDER BY host", database)
    pluginary("merge", url, *map(str, files), env=env)
    assert pg_server.admin("SELECT host, count(*) FROM plugins GROUP BY host ORDER BY host", database) == before
    where = json.loads(
        pluginary("fleet", "where", "lv2:urn:pluginary:gen:5:0", "--catalog", url, "-o", "json", env=env).stdout
    )
    assert [row["host"] for row in where] == ["desk0"]
    where = json.loads(
        pluginary("fleet", "where", "lv2:urn:pluginary:gen:50:0", "--catalog", url, "-o", "json", env=env).stdout
    )
    assert [row["host"] for row in where] == ["desk0", "desk1"]
    every = json.loads(pluginary("list", "--all-hosts", "--catalog", url, "-o", "json", env=env).stdout)
    assert len(every) == 2000
    # Which machines would open a session: one plugin both have, one only desk0 has (desk1 starts at bundle 10).
    session = tmp_path / "song.rpp"
    session.write_text(
        '<REAPER_PROJECT 0.1 "7.0"\n  <TRACK\n    <FXCHAIN\n'
        '      <LV2 "LV2: Gen 50" urn:pluginary:gen:50:0 ""\n      >\n'
        '      <LV2 "LV2: Gen 5" urn:pluginary:gen:5:0 ""\n      >\n    >\n  >\n>\n',
        encoding="utf-8",
    )
    ready = pluginary("project", str(session), "--fleet", "--catalog", url, "-o", "json", env=env)
    assert [(row["host"], row["status"], row["missing"]) for row in json.loads(ready.stdout)] == [
        ("desk0", "opens", []),
        ("desk1", "missing", ["Gen 5"]),
    ]
    session.write_text(session.read_text().replace("gen:5:0", "gen:0:0").replace("gen:50:0", "gen:2000:0"))
    nowhere = pluginary("project", str(session), "--fleet", "--catalog", url, env=env, check=False)
    assert nowhere.returncode == 4 and "missing" in nowhere.stdout  # CI can test: no machine opens it
    # The password: not in output, errors, config show or the run records.
    outputs: list[Any] = [merged.stdout, merged.stderr]
    wrong = url.replace(PASSWORD, "not-" + PASSWORD)
    failed = pluginary("list", "--catalog", wrong, env=env, check=False)
    assert failed.returncode != 0 and "password authentication failed" in failed.stderr
    assert "studio:***@" in failed.stderr and "Traceback" not in failed.stderr
    missing = pluginary("fleet", "diff", "desk0", "nobody", "--catalog", url, env=env, check=False)
    assert missing.returncode != 0 and "nobody" in missing.stderr
    env_url = {**env, "PLUGINARY_STORE__URL": url}
    shown = pluginary("config", "show", "scan", env=env_url)
    assert "store.url" in shown.stdout and "studio:***@" in shown.stdout
    ran = pluginary("scan", str(tmp_path / "host0"), "--json", env={**env_url, "PLUGINARY_HOST": "desk0"})
    assert json.loads(ran.stdout)["catalog"].startswith("postgresql://studio:***@")
    runs = pg_server.admin("SELECT string_agg(data, ' ') FROM runs", database)
    outputs += [failed.stdout, failed.stderr, missing.stderr, shown.stdout, ran.stdout, ran.stderr, runs]
    for text in outputs:
        assert PASSWORD not in text


def test_merge_carries_presets_groupings_and_product_tags(pg_server: Server, tmp_path: Path) -> None:
    """Two machines' catalogues (SQLite and JSON) with presets, a user's grouping and product tags,
    merged twice through `fleet.merge`: each machine's presets under it, the grouping and the
    product's tags in the fleet (the tags as the product's, not each plugin's own)."""
    import attrs

    from pluginary import Catalog
    from pluginary.backends.postgres import PostgresBackend
    from pluginary.core.models import Host
    from pluginary.fleet import merge
    from pluginary.testing.backend_suite import preset_results, results_for, sample_plugins, sample_presets

    sources = []
    for name, suffix in (("desk0", "sqlite"), ("desk1", "json")):
        host = Host(name, "linux")
        plugins = [attrs.evolve(p, host=host) for p in sample_plugins()]
        presets = [attrs.evolve(p, host=host) for p in sample_presets(plugins)]
        with_presets = [
            attrs.evolve(result, plugins=tuple(attrs.evolve(p, host=host) for p in result.plugins))
            for result in preset_results(presets)
        ]
        sources.append(tmp_path / f"{name}.{suffix}")
        with Catalog.open(sources[-1]) as catalog:
            catalog.backend.write([*results_for(plugins), *with_presets])
            catalog.backend.group([plugins[1].id, plugins[2].id], "mine/reverbs")  # Pro-R and VintageVerb
            catalog.backend.tag_product("mine/reverbs", ["space"])
            catalog.backend.categorize_product("mine/reverbs", "Effect/Reverb")
            catalog.tag(plugins[1].id, "bright")
    url = pg_server.url(pg_server.database("merge_products"))
    with Catalog.open(url) as fleet:
        for _ in range(2):  # the second merge changes nothing
            merge(fleet, sources)
            for host in ("desk0", "desk1"):
                assert fleet.count_presets(host=host) == len(presets)
    with Catalog(PostgresBackend(url, host="desk1")) as desk:
        keys = desk.backend.product_keys([plugins[1].id, plugins[2].id, plugins[0].id])
        assert (keys[plugins[1].id], keys[plugins[2].id]) == ("mine/reverbs", "mine/reverbs")
        assert keys[plugins[0].id] != "mine/reverbs"
        assert desk.get(plugins[1].id).tags == ("bright", "space")  # type: ignore[union-attr]
        # The product's tag is the product's: untagging it there leaves each plugin's own.
        desk.backend.untag_product("mine/reverbs", ["space"])
        assert desk.get(plugins[1].id).tags == ("bright",)  # type: ignore[union-attr]
        assert desk.get(plugins[2].id).tags == ()  # type: ignore[union-attr]
        # So is the product's category: cleared there, no plugin keeps it as its own.
        user = [c for c in desk.get(plugins[2].id).categories if c.source.value == "user"]  # type: ignore[union-attr]
        assert [c.name for c in user] == ["Effect/Reverb"]
        desk.backend.categorize_product("mine/reverbs", None)
        for plugin in (plugins[1], plugins[2]):
            assert all(c.source.value != "user" for c in desk.get(plugin.id).categories)  # type: ignore[union-attr]
