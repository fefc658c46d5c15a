"""`pluginary presets`, and the presets `search`, `info` and `stats` show: in-process through the
real `pluginary` group, on a real SQLite catalogue written through `backend.write`, and as the real
`python -m pluginary` process; last, a real LV2 bundle scanned and its presets listed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from pluginary import Catalog
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import QueryError
from pluginary.cli.app import app
from pluginary.cli.render import PRESET_COLUMNS
from pluginary.core.models import FileResult, PluginFile, Preset, PresetSource
from pluginary.exporters.json import JSONExporter
from pluginary.testing.backend_suite import preset_results, results_for, sample_plugins, sample_presets
from tests.support import need
from tests.test_cli import HOSTILE, OBEYED
from tests.test_exporters import one_line_error, pluginary

PLUGINS = sample_plugins()
PRO_Q, PRO_R = PLUGINS[0], PLUGINS[1]
HOSTILE_FILE = "/presets/vst3/FabFilter/Pro-R/hostile.vstpreset"
#: Preset names an author could write: terminal escapes, a spreadsheet formula, a right-to-left override.
ESCAPES, FORMULA, RTL = f"Esc{HOSTILE}", "=cmd|' /C calc'!A0", "\u202eevil.exe"


def hostile_presets() -> list[Preset]:
    banks = (f"Bank{HOSTILE}", "", "")
    return [
        Preset(f"{HOSTILE_FILE}#{index}", name, PRO_R.id, "vst3", PresetSource.FILE, path=HOSTILE_FILE, bank=bank)
        for index, (name, bank) in enumerate(zip((ESCAPES, FORMULA, RTL), banks, strict=True))
    ]


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(path)
    backend.write(results_for(PLUGINS))
    backend.write(preset_results(sample_presets(PLUGINS)))
    backend.write([FileResult(PluginFile(HOSTILE_FILE, "vst3", 10, 1, "fp"), presets=tuple(hostile_presets()))])
    backend.close()
    return path


def ok(path: Path, *args: str, code: int = 0) -> Result:
    """The command run in-process through the real `pluginary` group; it must exit with `code`."""
    # Wide enough that rich does not wrap the cells the tests look for.
    result = CliRunner().invoke(app, [*args, "--catalog", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == code, (result.output, result.exception)
    return result


def listed(path: Path, *args: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(ok(path, "presets", *args, "-o", "json").stdout)
    return records


def all_presets(path: Path) -> list[Preset]:
    with Catalog.open(path, read_only=True) as catalog:
        return list(catalog.presets())


# -- presets -------------------------------------------------------------------------------


def test_the_table_shows_each_preset_with_its_plugin_and_an_orphan_as_not_installed(catalog_path: Path) -> None:
    table = ok(catalog_path, "presets", "-o", "table").stdout
    lines = table.splitlines()
    bright = next(line for line in lines if "Bright Vocal" in line)
    assert [cell for cell in ("Pro-Q 3", "vst3", "factory", "Factory") if cell not in bright] == []
    lost = next(line for line in lines if "Lost Plate" in line)
    assert "(not installed) lv2:urn:gone" in lost and "bundle" in lost
    total = len(all_presets(catalog_path))
    assert lines[-1] == f"showing 1–{total} of {total}"
    paged = ok(catalog_path, "presets", "-o", "table", "--limit", "2", "--offset", "1").stdout
    assert paged.splitlines()[-1] == f"showing 2–3 of {total}"


def test_plain_lines_are_the_catalogues_presets_in_its_order(catalog_path: Path) -> None:
    rows = [line.split("\t") for line in ok(catalog_path, "presets").stdout.splitlines()]
    stored = all_presets(catalog_path)
    assert [row[0] for row in rows] == [preset.id for preset in stored]
    assert {len(row) for row in rows} == {7}
    by_name = {row[1]: row for row in rows}
    assert by_name["Big Hall"][2:] == [stored_plugin_id("Big Hall", stored), "Reverb", "lv2", "bundle", "Reverbs"]
    assert by_name["Lost Plate"][2:4] == ["lv2:urn:gone", "(not installed)"]


def stored_plugin_id(name: str, stored: list[Preset]) -> str:
    return next(preset.plugin_id for preset in stored if preset.name == name)


@pytest.mark.parametrize(
    ("args", "filters"),
    [
        (["--format", "LV2"], {"format": "LV2"}),
        (["--source", "factory"], {"source": "factory"}),
        (["--bank", "Reverbs"], {"bank": "Reverbs"}),
        (["--orphaned"], {"orphaned": True}),
        (["--installed"], {"orphaned": False}),
        (["--search", "plate"], {"text": "plate"}),
        (["Pro-R"], {"plugin": "Pro-R"}),
        (["lv2:urn:gone"], {"plugin": "lv2:urn:gone"}),
        (["--sort", "plugin", "--reverse"], {"sort": "plugin", "reverse": True}),
        (["--sort", "bank", "--limit", "3", "--offset", "2"], {"sort": "bank", "limit": 3, "offset": 2}),
    ],
)
def test_every_filter_order_and_page_reach_the_catalogue(
    catalog_path: Path, args: list[str], filters: dict[str, Any]
) -> None:
    with Catalog.open(catalog_path, read_only=True) as catalog:
        expected = [(p.plugin_id, p.id) for p in catalog.presets(**filters)]
    assert expected, "each case selects something"
    assert [(r["plugin_id"], r["id"]) for r in listed(catalog_path, *args)] == expected


def test_json_records_are_the_exports_presets_with_their_plugins_name(catalog_path: Path, tmp_path: Path) -> None:
    records = listed(catalog_path)
    stored = all_presets(catalog_path)
    [exported] = JSONExporter().render_with_presets(PLUGINS, stored, tmp_path / "x.json", {})
    in_export = {(p["plugin_id"], p["id"]): p for p in json.loads(exported.content)["presets"]}
    for record in records:
        name = record.pop("plugin_name")
        assert record == in_export[record["plugin_id"], record["id"]]
        assert name == next((p.name for p in PLUGINS if p.id == record["plugin_id"]), None)
    assert {r["name"] for r in records} == {p.name for p in stored}
    big_hall = next(r for r in records if r["name"] == "Big Hall")
    assert big_hall["values"] == [["decay_time", 1.5], ["dry", 0.25]] and big_hall["source"] == "bundle"


def test_yaml_and_csv_hold_the_same_presets(catalog_path: Path) -> None:
    records = listed(catalog_path)
    assert YAML(typ="safe").load(ok(catalog_path, "presets", "-o", "yaml").stdout) == records
    rows = list(csv.DictReader(io.StringIO(ok(catalog_path, "presets", "-o", "csv").stdout)))
    assert tuple(rows[0]) == PRESET_COLUMNS
    assert [(row["plugin_id"], row["id"]) for row in rows] == [(r["plugin_id"], r["id"]) for r in records]
    air = next(row for row in rows if row["name"] == "Air")
    assert (air["plugin_name"], air["tags"], air["host_name"]) == ("Pro-Q 3", "mixing|vocals", "studio")
    assert next(row for row in rows if row["name"] == "Lost Plate")["plugin_name"] == ""


def test_no_preset_is_an_empty_list_in_every_data_format(catalog_path: Path) -> None:
    assert listed(catalog_path, "--bank", "No Such Bank") == []
    assert YAML(typ="safe").load(ok(catalog_path, "presets", "--bank", "x", "-o", "yaml").stdout) == []
    assert (
        ok(catalog_path, "presets", "--bank", "x", "-o", "table").stdout.splitlines()[-1].startswith("showing 0 of 0")
    )


@pytest.mark.parametrize("output", ["table", "plain"])
def test_hostile_preset_text_is_shown_never_obeyed(catalog_path: Path, output: str) -> None:
    shown = ok(catalog_path, "presets", "PRO-R", "-o", output).stdout
    assert not [c for c in OBEYED if c in shown], shown
    assert "Esc\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202eevil\\u2066[bold red]x[/]:skull:" in shown
    assert "Bank\\x1b[2J" in shown and "\\u202eevil.exe" in shown


def test_hostile_preset_text_is_data_in_json_and_escaped_in_csv(catalog_path: Path) -> None:
    assert {r["name"] for r in listed(catalog_path, "Pro-R")} >= {ESCAPES, FORMULA, RTL}
    rows = list(csv.DictReader(io.StringIO(ok(catalog_path, "presets", "Pro-R", "-o", "csv").stdout)))
    names = {row["name"] for row in rows}
    assert f"'{FORMULA}" in names and FORMULA not in names  # a spreadsheet reads text, runs nothing
    assert ESCAPES in names and RTL in names  # CSV is data: kept as it is, quoted where needed


def test_usage_mistakes_are_query_errors_before_anything_is_printed(catalog_path: Path) -> None:
    for args in (["--sort", "size"], ["--limit", "-1"], ["--offset", "-5"], ["--source", "somewhere"]):
        result = ok(catalog_path, "presets", *args, code=1)
        assert isinstance(result.exception, QueryError) and result.stdout == "", args


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--sort", "size"], ["cannot sort presets by 'size'", "name, plugin, bank, format, source"]),
        (["--limit", "-1"], ["--limit", "-1"]),
        (["--offset", "99999999999999999999"], ["--offset"]),
        (["--source", "somewhere"], ["no preset source 'somewhere'", "factory, bundle, file"]),
        (["--presets-typo"], ["No such option", "pluginary presets --help"]),
        (["Nothing Like It"], ["no plugin has the id or name 'Nothing Like It'"]),
    ],
)
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_usage_errors_are_one_line_exit_2_from_the_real_command(
    catalog_path: Path, args: list[str], words: list[str]
) -> None:
    one_line_error(pluginary("presets", *args, "--catalog", str(catalog_path)), 2, *words)


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_the_real_command_lists_what_the_in_process_one_does(catalog_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pluginary", "presets", "--catalog", str(catalog_path), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout) == listed(catalog_path)


# -- search, info, stats ------------------------------------------------------------------


def test_search_shows_matching_presets_after_the_plugins(catalog_path: Path) -> None:
    table = ok(catalog_path, "search", "reverb", "-o", "table").stdout
    assert "Presets" in table and table.index("VintageVerb") < table.index("Presets")
    found = json.loads(ok(catalog_path, "search", "reverbs", "-o", "json").stdout)
    assert {p["name"] for p in found["presets"]} == {"Big Hall", "Dark Room"}  # their bank matched
    assert {p["plugin_name"] for p in found["presets"]} == {"Reverb"}
    plain = ok(catalog_path, "search", "plate").stdout.splitlines()
    preset_lines = [line.split("\t") for line in plain if line.startswith("preset\t")]
    assert {(cells[2], cells[4]) for cells in preset_lines} == {("Vintage Plate", "Pro-R"),
                                                               ("Lost Plate", "(not installed)")}  # fmt: skip


def test_a_search_that_only_presets_match_succeeds(catalog_path: Path) -> None:
    found = json.loads(ok(catalog_path, "search", "bright", "vocal", "-o", "json").stdout)
    assert found["plugins"] == [] and [p["name"] for p in found["presets"]] == ["Bright Vocal"]
    assert ok(catalog_path, "search", "Dark", "Room", "-o", "csv").stdout.splitlines()[1:] == []  # CSV: plugins
    missing = ok(catalog_path, "search", "qqqzzzxxx", code=1)
    assert "no plugins match 'qqqzzzxxx', nor any preset" in missing.stderr


def test_info_lists_the_first_presets_and_all_on_request(catalog_path: Path) -> None:
    with Catalog.open(catalog_path, read_only=True) as catalog:
        own = [p.name for p in catalog.presets(PRO_Q.id, sort="bank")]
    assert len(own) == 3
    table = ok(catalog_path, "info", PRO_Q.id, "-o", "table", "--presets", "2").stdout
    assert "3 presets, the first 2 shown" in table and own[0] in table and own[2] not in table
    record = json.loads(ok(catalog_path, "info", PRO_Q.id, "-o", "json", "--presets", "all").stdout)
    assert record["preset_count"] == 3 and [p["name"] for p in record["presets"]] == own
    assert record["parameters"] and record["id"] == PRO_Q.id  # the plugin's record, unchanged beside them
    plain = ok(catalog_path, "info", PRO_Q.id, "-o", "plain").stdout.splitlines()
    assert "presets\t3" in plain and [line.split("\t")[1] for line in plain if line.startswith("preset\t")] == own
    for wrong in ("some", "-1", "99999999999999999999"):
        result = ok(catalog_path, "info", PRO_Q.id, "--presets", wrong, code=2)
        assert f"'{wrong}' is neither a count from 0 to 9223372036854775807 nor 'all'" in result.output


def test_stats_counts_presets_and_orphans(catalog_path: Path) -> None:
    total = len(all_presets(catalog_path))
    plain = ok(catalog_path, "stats", "-o", "plain").stdout
    assert f"presets\t{total} (1 orphaned: their plugin is not installed)" in plain
    stats = json.loads(ok(catalog_path, "stats", "-o", "json").stdout)
    assert (stats["presets"], stats["orphaned_presets"]) == (total, 1)


# -- a real LV2 bundle ------------------------------------------------------------------------

ZAMCOMP = Path("/usr/lib/lv2/ZamComp.lv2")


@pytest.mark.slow
def test_a_scanned_lv2_bundles_presets_are_listed(tmp_path: Path) -> None:
    need(ZAMCOMP.is_dir(), "needs Debian's zam-plugins (apt-get install zam-plugins)")
    # What the bundle declares, read here without Pluginary: each preset's URI and label in its manifest.
    declared = {
        block.split(">")[0].strip().lstrip("<"): block.split("rdfs:label")[1].split('"')[1]
        for block in (ZAMCOMP / "manifest.ttl").read_text(encoding="utf-8").split(" .\n")
        if "a pset:Preset" in block
    }
    assert len(declared) == 3, declared
    catalog = tmp_path / "catalog.sqlite"
    scanned = pluginary("scan", str(ZAMCOMP), "--catalog", str(catalog), timeout=120)
    assert scanned.returncode == 0, scanned.stderr
    done = pluginary("presets", "ZamComp", "-o", "json", "--catalog", str(catalog))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found and {p["plugin_name"] for p in found} == {"ZamComp"}
    assert {(p["format"], p["source"]) for p in found} == {("lv2", "bundle")}
    assert {p["id"]: p["name"] for p in found} == declared
