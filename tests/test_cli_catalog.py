"""The catalogue commands, through a small group that `register`s them (as the real CLI
does), and as this checkout's real `python -m pluginary` process."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import attrs
import click
import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from pluginary import Catalog
from pluginary.backends.jsonfile import FORMAT_VERSION as JSON_FORMAT_VERSION
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.backends.sqlite_schema import SCHEMA_VERSION
from pluginary.catalog import QueryError, UnknownPluginError
from pluginary.cli.catalog_commands import CATALOG_ENV, register
from pluginary.core.errors import CatalogError, PluginaryError
from pluginary.core.models import FailureKind, Parameter
from pluginary.exporters.csv import PLUGIN_COLUMNS as CSV_EXPORT_COLUMNS
from pluginary.exporters.json import JSONExporter
from pluginary.testing.backend_suite import failure_at, results_for, sample_plugins

PLUGINS = sample_plugins()
DATA = Path(__file__).parent / "data"


def make_app() -> click.Group:
    app = click.Group()
    register(app)
    return app


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(path)
    backend.write(results_for(PLUGINS))
    backend.write([failure_at("/plugins/crashes.vst3", last_seen="2025-02-01T10:00:00", signal=11)])
    backend.write(
        [failure_at("/plugins/slow.vst3", last_seen="2025-02-02T10:00:00", kind=FailureKind.TIMEOUT, message="30 s")]
    )
    backend.record_run({"started_at": "2025-02-02T10:00:00", "pipeline": "full", "seconds": 12.5, "stored": 13})
    backend.close()
    return path


def run(path: Path, *args: str) -> Result:
    # Wide enough that rich does not wrap the cells the tests look for.
    return CliRunner().invoke(make_app(), [*args, "--catalog", str(path)], env={"COLUMNS": "200"})


def ok(path: Path, *args: str) -> Result:
    result = run(path, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


# -- list ---------------------------------------------------------------------------------


def test_list_is_plain_tab_separated_when_piped(catalog_path: Path) -> None:
    lines = ok(catalog_path, "list").stdout.splitlines()
    assert len(lines) == len(PLUGINS)
    cells = [line.split("\t") for line in lines]
    assert {len(row) for row in cells} == {7}
    assert cells[0][:5] == ["au:apple.aumatrixreverb", "AUMatrixReverb", "Apple", "au", "Effect/Reverb"]


def test_list_as_a_table_says_what_it_shows(catalog_path: Path) -> None:
    assert ok(catalog_path, "list", "-o", "table").stdout.rstrip().endswith("showing 1–14 of 14")
    assert ok(catalog_path, "list", "-o", "table", "--limit", "3").stdout.rstrip().endswith("showing 1–3 of 14")
    tail = ok(catalog_path, "list", "-o", "table", "--offset", "12", "--format", "vst3").stdout.rstrip()
    assert tail.endswith("showing 0 of 7")
    table = ok(catalog_path, "list", "-o", "table", "--category", "instrument").stdout
    assert "Diva" in table and "u-he" in table and "showing 1–2 of 2" in table


def test_list_passes_every_filter_and_order_to_the_catalogue(catalog_path: Path) -> None:
    args = ["--category", "Effect", "--effect", "--params", ">1", "--has-param", "MIX", "--sort", "vendor"]
    found = json.loads(ok(catalog_path, "list", *args, "--reverse", "-o", "json").stdout)
    with Catalog.open(catalog_path, read_only=True) as catalog:
        expected = catalog.plugins(
            category="Effect", effect=True, params=">1", has_param="MIX", sort="vendor", reverse=True
        )
        assert [record["id"] for record in found] == [plugin.id for plugin in expected]
    assert [record["name"] for record in found] == ["VintageVerb", "Pro-R", "Pro-Q 3", "Pro-Q 3", "Reverb"]
    instruments = ok(catalog_path, "list", "--instrument", "--limit", "1", "--offset", "1").stdout
    assert instruments.split("\t")[1] == "DLSMusicDevice"


def test_list_json_is_the_whole_record(catalog_path: Path) -> None:
    text = ok(catalog_path, "list", "-o", "json").stdout
    # Strict JSON: an open parameter bound is null, as in the json export, never Infinity.
    records = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    diva = next(record for record in records if record["name"] == "Diva")
    assert len(diva["parameters"]) == 31
    assert diva["categories"] == [{"name": "Instrument/Synth", "source": "native", "confidence": 0.9}]


def test_list_json_and_the_json_export_agree_on_an_open_bound(tmp_path: Path) -> None:
    open_ended = attrs.evolve(PLUGINS[0], parameters=(Parameter(0, "Gain", maximum=math.inf, default=math.nan),))
    path = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(path)
    backend.write(results_for([open_ended]))
    backend.close()
    [listed] = json.loads(ok(path, "list", "-o", "json").stdout, parse_constant=lambda name: pytest.fail(name))
    exported = JSONExporter().render([open_ended], tmp_path / "x.json", {})[0].content
    in_export = json.loads(exported)["plugins"][open_ended.id]
    assert listed["parameters"] == in_export["parameters"]
    assert listed["parameters"][0]["maximum"] is None and listed["parameters"][0]["default"] is None


def test_list_csv_and_yaml(catalog_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(ok(catalog_path, "list", "-o", "csv").stdout)))
    # The csv export's columns (one renderer for both), with the scan time a listing keeps.
    assert tuple(rows[0]) == (*CSV_EXPORT_COLUMNS, "scanned_at")
    assert len(rows) == len(PLUGINS) + 1
    diva = dict(zip(rows[0], next(row for row in rows if "Diva" in row), strict=True))
    assert diva["parameter_count"] == "31" and diva["vendor"] == "u-he"
    documents = YAML(typ="safe").load(ok(catalog_path, "list", "-o", "yaml", "--vendor", "u-he").stdout)
    assert [document["name"] for document in documents] == ["Diva"]
    assert documents[0]["parameters"][0]["kind"] == "float"


def test_bad_filters_are_user_errors(catalog_path: Path) -> None:
    for args in (["--params", "lots"], ["--sort", "colour"], ["--limit", "-1"]):
        assert isinstance(run(catalog_path, "list", *args).exception, QueryError)


# -- search, info ------------------------------------------------------------------------------


def test_search(catalog_path: Path) -> None:
    lines = ok(catalog_path, "search", "pro-q", "3").stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["Pro-Q 3", "Pro-Q 3"]
    assert ok(catalog_path, "search", "name:diva", "--raw").stdout.split("\t")[1] == "Diva"


def test_search_takes_the_filters_list_takes(catalog_path: Path) -> None:
    """Plain lines show how many parameters each plugin has (read without them); JSON the whole
    records; the filters keep what they select, best first, and check their values as `list` does."""
    lines = [line.split("\t") for line in ok(catalog_path, "search", "reverb", "--format", "lv2").stdout.splitlines()]
    counts = {plugin.id: str(len(plugin.parameters)) for plugin in PLUGINS}
    assert [(cells[3], cells[5]) for cells in lines] == [("lv2", counts[cells[0]]) for cells in lines]
    assert {cells[5] for cells in lines} == {"1", "3"}
    everything = [line.split("\t")[0] for line in ok(catalog_path, "search", "reverb").stdout.splitlines()]
    assert [cells[0] for cells in lines] == [i for i in everything if i.startswith("lv2:")] != everything
    records = json.loads(ok(catalog_path, "search", "cutoff", "--instrument", "-o", "json").stdout)["plugins"]
    assert [(record["name"], len(record["parameters"])) for record in records] == [("Diva", 31)]
    assert run(catalog_path, "search", "cutoff", "--effect").exit_code == 1  # Diva is no effect
    assert isinstance(run(catalog_path, "search", "reverb", "--params", "lots").exception, QueryError)
    assert "unknown format 'vst2'" in str(run(catalog_path, "search", "reverb", "--format", "vst2").exception)


def test_search_falls_back_to_the_closest_name(catalog_path: Path) -> None:
    result = ok(catalog_path, "search", "valhala")
    assert "did you mean Valhalla DSP" in result.stderr
    assert result.stdout.split("\t")[1] == "VintageVerb"


def test_search_finding_nothing_exits_1(catalog_path: Path) -> None:
    result = run(catalog_path, "search", "qqqzzzxxx")
    assert result.exit_code == 1
    assert "no plugins match 'qqqzzzxxx'" in result.stderr
    assert result.stdout == ""


def test_raw_search_syntax_errors_are_user_errors(catalog_path: Path) -> None:
    assert isinstance(run(catalog_path, "search", '"open', "--raw").exception, QueryError)


def test_info_shows_the_record_and_its_parameters(catalog_path: Path) -> None:
    table = ok(catalog_path, "info", "vst3:fabfilter.pro-q-3", "-o", "table").stdout
    for text in ("FabFilter", "Effect/EQ (native, 0.9)", "5 parameters", "Band 1 Gain", "Clean, Warm, Hot", "choice"):
        assert text in table
    plain = ok(catalog_path, "info", "diva").stdout.splitlines()
    assert plain[0] == "id\tvst3:u-he.diva"
    assert plain[-1].split("\t")[:3] == ["parameter", "30", "Cutoff"]
    assert json.loads(ok(catalog_path, "info", "Diva", "-o", "json").stdout)["vendor"] == "u-he"


def test_info_on_a_name_of_two_formats_of_one_product_shows_the_product(catalog_path: Path) -> None:
    # Several products sharing a name are listed instead: tests/test_products.py.
    lines = ok(catalog_path, "info", "pro-q 3", "-o", "plain").stdout.splitlines()
    assert lines[:3] == ["product\tPro-Q 3", "vendor\tFabFilter", "formats\tvst3, au"]
    assert [line.split("\t")[2] for line in lines if line.startswith("plugin\t")] == [
        "vst3:fabfilter.pro-q-3",
        "au:fabfilter.pro-q-3",
    ]


def test_info_on_an_unknown_name_suggests_the_closest(catalog_path: Path) -> None:
    error = run(catalog_path, "info", "VintagVerb").exception
    assert isinstance(error, UnknownPluginError)
    assert "did you mean 'VintageVerb'" in str(error)


def test_info_cannot_be_csv(catalog_path: Path) -> None:
    assert isinstance(run(catalog_path, "info", "Diva", "-o", "csv").exception, PluginaryError)


# -- stats, failures, tags -----------------------------------------------------------------------


def test_stats(catalog_path: Path) -> None:
    stats = json.loads(ok(catalog_path, "stats", "-o", "json").stdout)
    assert (stats["plugins"], stats["failures"]) == (len(PLUGINS), 2)
    table = ok(catalog_path, "stats", "-o", "table").stdout
    for text in ("formats", "vst3", "Effect/Reverb", "1–10", "full · 12.5 s · 13 stored"):
        assert text in table
    assert "formats\tvst3\t7" in ok(catalog_path, "stats").stdout.splitlines()


def test_failures(catalog_path: Path) -> None:
    table = ok(catalog_path, "failures", "-o", "table").stdout
    assert "crash (SIGSEGV)" in table and "timeout: 30 s" in table
    lines = ok(catalog_path, "failures").stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["/plugins/slow.vst3", "/plugins/crashes.vst3"]
    records = json.loads(ok(catalog_path, "failures", "-o", "json").stdout)
    assert records[1]["signal"] == 11


def test_no_failures(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    SQLiteBackend(path).close()
    assert ok(path, "failures", "-o", "table").stdout == "no quarantined plugins\n"
    assert ok(path, "failures", "-o", "json").stdout == "[]\n"


def test_tag_and_untag(catalog_path: Path) -> None:
    assert ok(catalog_path, "tag", "Diva", "analog", "bass").stdout == "vst3:u-he.diva: analog, bass\n"
    assert ok(catalog_path, "list", "--tag", "ANALOG").stdout.split("\t")[1] == "Diva"
    assert ok(catalog_path, "search", "bass").stdout.split("\t")[1] == "Diva"
    assert ok(catalog_path, "untag", "vst3:u-he.diva", "analog", "bass").stdout == "vst3:u-he.diva: (no tags)\n"
    assert isinstance(run(catalog_path, "tag", "Nothing Like It", "x").exception, UnknownPluginError)


# -- db ------------------------------------------------------------------------------------


def test_db_check(catalog_path: Path) -> None:
    assert ok(catalog_path, "db", "check").stdout == f"{catalog_path}: ok\n"
    conn = sqlite3.connect(catalog_path)
    conn.execute("INSERT INTO plugin_categories (plugin_pk, name, ancestor) VALUES (9999, 'Ghost', 0)")
    conn.commit()
    conn.close()
    result = run(catalog_path, "db", "check")
    assert result.exit_code == 1
    assert f"{catalog_path}: 1 categories of no plugin" in result.stderr


def test_db_vacuum_migrate_backup(catalog_path: Path, tmp_path: Path) -> None:
    assert "bytes" in ok(catalog_path, "db", "vacuum").stdout
    assert ok(catalog_path, "db", "migrate").stdout == f"{catalog_path}: already at schema v{SCHEMA_VERSION}\n"
    copy = tmp_path / "backups" / "copy.sqlite"
    assert ok(catalog_path, "db", "backup", str(copy)).stdout == f"backed up to {copy}\n"
    with Catalog.open(copy, read_only=True) as catalog:
        assert catalog.count() == len(PLUGINS)
    assert isinstance(run(catalog_path, "db", "backup", str(copy)).exception, CatalogError)


def test_db_migrate_upgrades_a_catalogue_of_the_first_schema(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    shutil.copyfile(DATA / "catalog-v1.sqlite", path)  # see tests/data/make_catalog_v1.py
    assert ok(path, "db", "migrate").stdout == f"{path}: schema v1 → v{SCHEMA_VERSION}\n"
    assert ok(path, "db", "migrate").stdout == f"{path}: already at schema v{SCHEMA_VERSION}\n"
    assert ok(path, "db", "check").stdout == f"{path}: ok\n"
    assert ok(path, "search", "neoreverb").stdout.split("\t")[1] == "NeoReverb 2"


# -- which catalogue ------------------------------------------------------------------------


def test_a_missing_catalogue_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    error = run(missing, "list").exception
    assert isinstance(error, CatalogError)
    assert str(error).startswith(f"{missing}: no catalogue here")
    assert not missing.exists()


def test_the_catalogue_can_come_from_the_environment(catalog_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(make_app(), ["search", "cutoff"], env={CATALOG_ENV: str(catalog_path)})
    assert result.stdout.split("\t")[1] == "Diva"
    json_catalog = tmp_path / "catalog.json"
    with Catalog.open(json_catalog) as catalog:
        catalog.backend.write(results_for(PLUGINS[:3]))
    result = CliRunner().invoke(make_app(), ["list"], env={CATALOG_ENV: str(json_catalog)})
    assert len(result.stdout.splitlines()) == 3
    # A JSON catalogue numbers its versions apart from SQLite's schema.
    assert ok(json_catalog, "db", "migrate").stdout == f"{json_catalog}: already at schema v{JSON_FORMAT_VERSION}\n"


def test_registering_the_commands_imports_nothing_heavy() -> None:
    code = (
        "import sys, click\n"
        "from pluginary.cli.catalog_commands import register\n"
        "register(click.Group())\n"
        "print(sorted({'sqlite_utils', 'rich', 'rapidfuzz', 'ruamel', 'pluginary.catalog'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def pluginary(*args: str) -> subprocess.CompletedProcess[str]:
    """This checkout's command line, never whichever `pluginary` comes first on PATH."""
    return subprocess.run([sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_the_real_command(catalog_path: Path) -> None:
    search = pluginary("search", "cutoff", "--catalog", str(catalog_path))
    assert search.returncode == 0, search.stderr
    assert search.stdout.split("\t")[1] == "Diva"
    missing = pluginary("list", "--catalog", str(catalog_path.with_name("none.sqlite")))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "no catalogue here" in missing.stderr


@pytest.mark.slow
def test_a_catalogue_of_a_newer_schema_is_refused_in_one_line_and_left_alone(catalog_path: Path) -> None:
    conn = sqlite3.connect(catalog_path)
    conn.execute("UPDATE metadata SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    before = catalog_path.read_bytes()
    for command in (["db", "migrate"], ["search", "reverb"], ["list"]):
        done = pluginary(*command, "--catalog", str(catalog_path))
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
        assert f"newer Pluginary (schema v{SCHEMA_VERSION + 1}" in done.stderr and "upgrade pluginary" in done.stderr
    assert catalog_path.read_bytes() == before
    assert sorted(entry.name for entry in catalog_path.parent.iterdir()) == [catalog_path.name]
