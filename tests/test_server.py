"""`pluginary serve` over HTTP: a real server process on the loopback interface, a real SQLite
catalogue, real scans of the suite's own VST3 plugins. No in-process test client: every
request crosses a socket, as a script's or the page's would.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest

from pluginary.backends.sqlite import SQLiteBackend
from pluginary.catalog import Catalog, QueryError
from pluginary.core.models import FailureKind, Host, Preset, PresetSource
from pluginary.testing.backend_suite import (
    failure_at,
    make_plugin,
    preset_results,
    results_for,
    sample_plugins,
    sample_presets,
)
from tests import pg
from tests.pg import pg_server
from tests.plugins import Misbehaviour, PluginSpec

__all__ = ["pg_server"]  # the fixture, imported to be found

# Slow (real servers on the loopback interface, real scans): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

#: Every kind of hostile text a plugin's author could put in its metadata.
HOSTILE_NAME = '<script>alert("name")</script>\'"><img src=x onerror=alert(1)>\u202eevil\x07\x1b[2J'
HOSTILE_VENDOR = "<b onmouseover=alert(2)>Vendor</b>\u2066"
HOSTILE_TAG = "<svg/onload=alert(3)>"
HOSTILE_PARAM = "<iframe src=javascript:alert(4)>"
HOSTILE_ID = "vst3:hostile/../<x>"
HOSTILE_FAILURE = "/plugins/<script>alert(5)</script>.vst3"
HOSTILE_PRESET = '<img src=x onerror=alert(6)>"Pad\u202e\x07'


@attrs.frozen
class Server:
    url: str  # http://127.0.0.1:PORT (no slash)
    token: str | None
    process: subprocess.Popen[str]
    log: list[str]


def hostile_plugin() -> Any:
    return make_plugin(
        HOSTILE_NAME,
        HOSTILE_VENDOR,
        "vst3",
        "Effect/EQ",
        (HOSTILE_PARAM, "Mode"),
        id=HOSTILE_ID,
        path="/plugins/hostile.vst3",
        tags=(HOSTILE_TAG,),
    )


def hostile_preset() -> Preset:
    path = "/presets/vst3/<script>alert(7)</script>.vstpreset"
    return Preset(path, HOSTILE_PRESET, HOSTILE_ID, "vst3", PresetSource.FILE, path=path, bank="<b>bank</b>")


def build_catalog(path: Path) -> Path:
    """The backend suite's sample plugins and presets, one hostile plugin with one hostile preset, one
    quarantined file and one run."""
    backend = SQLiteBackend(path)
    try:
        backend.write(results_for([*sample_plugins(), hostile_plugin()]))
        backend.write(preset_results([*sample_presets(sample_plugins()), hostile_preset()]))
        backend.write([failure_at(HOSTILE_FAILURE, last_seen="2025-05-01T00:00:00+00:00", message="<b>bad</b>")])
        backend.record_run({"pipeline": "full", "started_at": "2025-05-01T00:00:00+00:00", "scanned": 15})
    finally:
        backend.close()
    return path


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    return build_catalog(tmp_path / "catalog.sqlite")


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a user with no config of their own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLUGINARY_")}
    env.update(PLUGINARY_CONFIG_DIR=str(tmp_path / "config"), PLUGINARY_DATA_DIR=str(tmp_path / "data"))
    if os.environ.get("PLUGINARY_REQUIRE_REAL_PLUGINS"):
        env["PLUGINARY_REQUIRE_REAL_PLUGINS"] = os.environ["PLUGINARY_REQUIRE_REAL_PLUGINS"]
    env.update(extra)
    return env


@contextmanager
def running(catalog: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`pluginary serve` on a free loopback port, stopped with Ctrl-C's signal afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pluginary", "serve", "--catalog", str(catalog), "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    match = re.search(r" at (http://[^/\s]+)/(?:#token=(\S+))?", first)
    if match is None:
        process.kill()
        raise AssertionError(f"no address in {first!r}: {process.communicate()}")
    log = [first]
    threading.Thread(target=lambda: log.extend(process.stderr or ()), daemon=True).start()
    try:
        yield Server(match[1], match[2], process, log)
    except BaseException:
        print("the server's log:\n" + "".join(log))  # shown by pytest with the failure
        raise
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


@pytest.fixture
def server(catalog_path: Path, tmp_path: Path) -> Iterator[Server]:
    with running(catalog_path, env=server_env(tmp_path)) as started:
        yield started


@attrs.frozen
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    sent = {"Content-Type": "application/json"} if body is not None and not isinstance(body, bytes) else {}
    request = urllib.request.Request(url, data=data, method=method, headers={**sent, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def get(server: Server, path: str, **headers: str) -> Reply:
    return call(server.url + path, headers=headers)


def ids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [plugin["id"] for plugin in reply.json()["plugins"]]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, env=env)


# -- reads: one definition of a listing ----------------------------------------------------------------------

LISTINGS = [
    {},
    {"format": "vst3"},
    {"vendor": "fabfilter"},
    {"category": "Effect", "sort": "vendor"},
    {"instrument": True},
    {"effect": False},
    {"params": "2..5", "sort": "params", "reverse": True},
    {"has_param": "mix"},
    {"tag": HOSTILE_TAG},
    {"sort": "scanned", "limit": 3, "offset": 2},
    {"format": "lv2", "limit": 1, "offset": 1},
]


@pytest.mark.parametrize("filters", LISTINGS, ids=[json.dumps(f, ensure_ascii=True) for f in LISTINGS])
def test_a_listing_is_exactly_what_catalog_plugins_gives(server: Server, catalog_path: Path, filters: dict) -> None:
    query = urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()})
    reply = get(server, f"/api/v1/plugins?{query}")
    with Catalog.open(catalog_path, read_only=True) as catalog:
        expected = [plugin.id for plugin in catalog.plugins(**{"limit": 50, **filters})]
        total = catalog.count(**filters)
    assert ids(reply) == expected
    assert reply.json()["total"] == total and total > 0


@pytest.mark.parametrize(
    ("query", "where", "what"),
    [
        ("sort=bogus", "sort", "cannot sort by 'bogus'"),
        ("params=lots", "params", "cannot read the parameter count range 'lots'"),
        ("limit=-1", "--limit", "limit must be from 0"),
        ("limit=5000", "limit", "limit must be at most 1000"),
        ("instrument=maybe", "instrument", "instrument must be true or false"),
        ("offset=x", "offset", "offset must be a whole number"),
        ("colour=red", "colour", "unknown parameter 'colour'"),
        ("vendor=a&vendor=b", "vendor", "vendor is given 2 times"),
    ],
)
def test_a_bad_listing_is_a_json_error_with_what_where_and_fix(
    server: Server, query: str, where: str, what: str
) -> None:
    reply = get(server, f"/api/v1/plugins?{query}")
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["where"] == where and error["what"].startswith(what) and error["fix"]
    assert error["message"] == f"{where}: {error['what']} — {error['fix']}"


def test_the_query_errors_are_querys_own(server: Server) -> None:
    """The API adds no wording of its own to what Query refuses."""
    with pytest.raises(QueryError) as raised:
        Catalog.__new__(Catalog).plugins(sort="bogus")  # Query is checked before any backend is touched
    assert get(server, "/api/v1/plugins?sort=bogus").json()["error"]["message"] == str(raised.value)


def test_search_suggests_and_searches_the_closest_name(server: Server) -> None:
    found = get(server, "/api/v1/search?q=pro-q+3").json()
    assert {p["format"] for p in found["plugins"] if p["name"] == "Pro-Q 3"} == {"vst3", "au"}
    assert found["suggestions"] == [] and found["searched"] == "pro-q 3"
    corrected = get(server, "/api/v1/search?q=vintagevreb").json()
    assert corrected["suggestions"][0] == "VintageVerb" and corrected["searched"] == "VintageVerb"
    assert [p["name"] for p in corrected["plugins"]] == ["VintageVerb"]
    assert get(server, "/api/v1/search?q=x&limit=0").status == 400


def test_search_keeps_to_the_selected_facets(server: Server, catalog_path: Path) -> None:
    """The facets the page has selected narrow a search as they narrow the list: the same
    plugins `Catalog.search` finds with the same filters, in its order; a listing's order is refused."""
    cases = [
        {"format": "lv2"},
        {"vendor": "fabfilter"},
        {"category": "Effect/Reverb", "format": "vst3", "instrument": "false"},
    ]
    with Catalog.open(catalog_path, read_only=True) as catalog:
        for filters in cases:
            answer = get(server, "/api/v1/search?" + urllib.parse.urlencode({"q": "reverb", **filters})).json()
            typed = {key: value == "true" if value in ("true", "false") else value for key, value in filters.items()}
            expected = [p.id for p in catalog.search("reverb", **typed)]
            assert [p["id"] for p in answer["plugins"]] == expected
            assert {p["id"] for p in answer["plugins"]} < {p.id for p in catalog.search("reverb")}
    refused = get(server, "/api/v1/search?q=reverb&sort=name").json()["error"]
    assert refused["where"] == "sort"
    assert get(server, "/api/v1/search?q=reverb&format=vst3&format=lv2").status == 400


def test_one_plugin_has_its_parameters_and_other_formats(server: Server) -> None:
    data = get(server, "/api/v1/plugins/vst3:fabfilter.pro-q-3").json()
    plugin = data["plugin"]
    assert plugin["name"] == "Pro-Q 3" and plugin["vendor"] == "FabFilter"
    mode = next(p for p in plugin["parameters"] if p["name"] == "Mode")
    assert mode["kind"] == "choice" and mode["choices"] == ["Clean", "Warm", "Hot"] and mode["num_steps"] == 2
    gain = next(p for p in plugin["parameters"] if p["name"] == "Band 1 Gain")
    assert gain["units"] == "dB" and gain["minimum"] == 0.0 and gain["maximum"] == 1.0
    assert [o["id"] for o in data["other_formats"]] == ["au:fabfilter.pro-q-3"]
    missing = get(server, "/api/v1/plugins/vst3:nothing")
    assert missing.status == 404 and missing.json()["error"]["where"] == "vst3:nothing"


def test_stats_failures_and_runs_are_the_catalogues(server: Server, catalog_path: Path) -> None:
    with Catalog.open(catalog_path, read_only=True) as catalog:
        stats = catalog.stats()
    served = get(server, "/api/v1/stats").json()
    for key in ("plugins", "failures", "instruments", "effects", "formats", "vendors", "categories"):
        assert served[key] == stats[key], key
    assert served["vendors"][HOSTILE_VENDOR] == 1
    (failure,) = get(server, "/api/v1/failures").json()["failures"]
    assert (
        failure["path"] == HOSTILE_FAILURE
        and failure["kind"] == FailureKind.CRASH
        and failure["message"] == "<b>bad</b>"
    )
    assert get(server, "/api/v1/runs").json()["runs"][0]["scanned"] == 15


def test_hostile_metadata_comes_back_as_exact_data(server: Server) -> None:
    data = get(server, "/api/v1/plugins/" + urllib.parse.quote(HOSTILE_ID, safe="")).json()["plugin"]
    assert (data["name"], data["vendor"], data["tags"]) == (HOSTILE_NAME, HOSTILE_VENDOR, [HOSTILE_TAG])
    assert data["parameters"][0]["name"] == HOSTILE_PARAM
    reply = get(server, "/api/v1/search?q=evil")
    assert reply.headers["content-type"] == "application/json" and b"<script>" in reply.body  # data, never HTML


def test_every_response_carries_a_strict_content_security_policy(server: Server) -> None:
    for path in ("/", "/static/app.js", "/api/v1/plugins", "/api/v1/nothing", "/api/v1/plugins?sort=x"):
        headers = get(server, path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_the_page_never_puts_text_into_markup() -> None:
    """The page's own code: plugin text reaches the DOM only as Text nodes."""
    from importlib import resources

    script = resources.files("pluginary.server").joinpath("static", "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script.replace("innerHTML is never used", ""), sink


def test_polling_with_the_etag_gets_an_empty_304_until_something_changes(server: Server) -> None:
    first = get(server, "/api/v1/plugins?format=vst3")
    etag = first.headers["etag"]
    again = get(server, "/api/v1/plugins?format=vst3", **{"If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.headers["etag"] == etag
    tagged = call(f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags", "POST", {"add": ["polled"]})
    assert tagged.status == 200
    changed = get(server, "/api/v1/plugins?format=vst3", **{"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag and b"polled" in changed.body


def test_the_openapi_document_lists_exactly_querys_fields(server: Server) -> None:
    document = get(server, "/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    listed = [p["name"] for p in document["paths"]["/api/v1/plugins"]["get"]["parameters"]]
    every = [field.name for field in attrs.fields(__import__("pluginary").catalog.Query)]
    assert listed == [name for name in every if name != "parameters"]  # how much to read is the server's call
    assert get(server, "/api/v1/plugins?parameters=false").status == 400  # not a client's to ask
    sort = next(p for p in document["paths"]["/api/v1/plugins"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["name", "vendor", "format", "category", "params", "scanned"]


# -- presets: one definition of a preset listing ------------------------------------------------------------

PRESET_LISTINGS = [
    {},
    {"format": "lv2"},
    {"source": "factory", "sort": "bank"},
    {"bank": "Reverbs", "reverse": True},
    {"text": "plate"},
    {"orphaned": True},
    {"orphaned": False, "sort": "plugin", "limit": 2, "offset": 1},
]


def preset_ids(reply: Reply) -> list[tuple[str, str]]:
    assert reply.status == 200, reply.body
    return [(preset["plugin_id"], preset["id"]) for preset in reply.json()["presets"]]


@pytest.mark.parametrize("filters", PRESET_LISTINGS, ids=[json.dumps(f) for f in PRESET_LISTINGS])
def test_a_preset_listing_is_exactly_what_catalog_presets_gives(
    server: Server, catalog_path: Path, filters: dict
) -> None:
    query = urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()})
    reply = get(server, f"/api/v1/presets?{query}")
    with Catalog.open(catalog_path, read_only=True) as catalog:
        expected = [(p.plugin_id, p.id) for p in catalog.presets(**{"limit": 50, **filters})]
        total = catalog.count_presets(**filters)
    assert preset_ids(reply) == expected and expected
    assert reply.json()["total"] == total


def test_a_plugins_presets_are_under_its_url(server: Server, catalog_path: Path) -> None:
    with Catalog.open(catalog_path, read_only=True) as catalog:
        pro_q = [(p.plugin_id, p.id) for p in catalog.presets("vst3:fabfilter.pro-q-3", sort="bank")]
    reply = get(server, "/api/v1/plugins/vst3:fabfilter.pro-q-3/presets?sort=bank")
    assert preset_ids(reply) == pro_q and len(pro_q) == 3 and reply.json()["total"] == 3
    # A preset whose plugin is not installed is still found by its plugin id.
    orphans = get(server, "/api/v1/plugins/lv2:urn:gone/presets").json()["presets"]
    assert [preset["name"] for preset in orphans] == ["Lost Plate"]
    missing = get(server, "/api/v1/plugins/vst3:nothing/presets")
    assert missing.status == 404 and "vst3:nothing" in missing.json()["error"]["what"]
    twice = get(server, "/api/v1/plugins/vst3:fabfilter.pro-q-3/presets?plugin_id=lv2:urn:gone")
    assert twice.status == 400 and twice.json()["error"]["where"] == "plugin_id"  # the path names the plugin


@pytest.mark.parametrize(
    ("query", "where"),
    [("sort=vendor", "sort"), ("source=cloud", "source"), ("orphaned=maybe", "orphaned"), ("limit=5000", "limit")],
)
def test_a_bad_preset_listing_is_presetquerys_own_error(server: Server, query: str, where: str) -> None:
    reply = get(server, f"/api/v1/presets?{query}")
    assert reply.status == 400 and reply.json()["error"]["where"] == where and reply.json()["error"]["fix"]


def test_search_finds_presets_and_stats_count_them(server: Server, catalog_path: Path) -> None:
    found = get(server, "/api/v1/search?q=plate").json()
    assert {p["name"] for p in found["presets"]} == {"Vintage Plate", "Lost Plate"}
    hostile = get(server, "/api/v1/search?q=pad").json()["presets"]
    assert [(p["name"], p["bank"], p["plugin_id"]) for p in hostile] == [(HOSTILE_PRESET, "<b>bank</b>", HOSTILE_ID)]
    with Catalog.open(catalog_path, read_only=True) as catalog:
        stats = catalog.stats()
    served = get(server, "/api/v1/stats").json()
    assert (served["presets"], served["orphaned_presets"]) == (stats["presets"], stats["orphaned_presets"]) == (8, 1)


def test_the_openapi_document_lists_exactly_presetquerys_fields(server: Server) -> None:
    from pluginary.core.query import PresetQuery

    paths = get(server, "/api/v1/openapi.json").json()["paths"]
    fields = [field.name for field in attrs.fields(PresetQuery) if not str(field.type).startswith("tuple")]
    assert [p["name"] for p in paths["/api/v1/presets"]["get"]["parameters"]] == fields
    under_plugin = [p["name"] for p in paths["/api/v1/plugins/{id}/presets"]["get"]["parameters"]]
    assert under_plugin == ["id", *(name for name in fields if name != "plugin_id")]


@pytest.mark.parametrize("filters", [{}, {"vendor": "fabfilter", "limit": 1, "offset": 1}, {"format": "au"}])
def test_products_are_what_catalog_products_groups(server: Server, catalog_path: Path, filters: dict) -> None:
    query = urllib.parse.urlencode(filters)
    reply = get(server, f"/api/v1/products?{query}")
    assert reply.status == 200, reply.body
    with Catalog.open(catalog_path, read_only=True) as catalog:
        page = {key: filters[key] for key in ("limit", "offset") if key in filters}
        expected = catalog.products(**{"limit": 50, **filters})
        total = len(catalog.products(**{k: v for k, v in filters.items() if k not in page}))
    served = reply.json()
    assert [(p["key"], p["formats"], [plugin["id"] for plugin in p["plugins"]]) for p in served["products"]] == [
        (p.key, list(p.formats), [plugin.id for plugin in p.plugins]) for p in expected
    ]
    assert served["total"] == total and expected
    if not filters:  # Pro-Q 3 as VST3 and AU is one product
        pro_q = next(p for p in served["products"] if p["name"] == "Pro-Q 3")
        assert sorted(pro_q["formats"]) == ["au", "vst3"]


# -- a fleet catalogue: every machine's plugins, each row naming its machine ---------------------------------


def test_a_fleet_catalogue_lists_every_machine_and_names_each_rows(pg_server: pg.Server, tmp_path: Path) -> None:
    url = pg_server.url(pg_server.database("serve"))
    plugins = sample_plugins()
    for host, held in (("desk0", plugins[:4]), ("desk1", plugins[2:5])):
        with Catalog.open(url, host=host) as catalog:  # as each machine's scan stamps its plugins
            catalog.backend.write(results_for([attrs.evolve(p, host=Host(name=host, os="linux")) for p in held]))
    with running(url, env=server_env(tmp_path)) as server:  # type: ignore[arg-type]
        assert get(server, "/api/v1/session").json()["fleet"] is True
        machines = get(server, "/api/v1/hosts").json()["hosts"]
        assert [(row["host"], row["plugins"]) for row in machines] == [("desk0", 4), ("desk1", 3)]
        listed = get(server, "/api/v1/plugins?all_hosts=true&sort=vendor").json()
        with Catalog.open(url) as catalog:
            expected = [(p.id, p.host.name) for p in catalog.plugins(all_hosts=True, sort="vendor", limit=50)]
        assert [(row["id"], row["host"]) for row in listed["plugins"]] == expected and listed["total"] == 7
        assert {row["host"] for row in get(server, "/api/v1/plugins?host=desk1").json()["plugins"]} == {"desk1"}
        assert pg.PASSWORD not in "".join(server.log)


def test_a_one_machine_catalogue_has_no_hosts_list(server: Server) -> None:
    assert get(server, "/api/v1/session").json()["fleet"] is False
    reply = get(server, "/api/v1/hosts")
    assert reply.status == 404 and reply.json()["error"]["what"] == "this catalogue holds one machine"


# -- the response cache: answers kept only while the catalogue is unchanged ---------------------------------


def test_a_write_by_another_process_is_seen_by_the_next_read(
    server: Server, catalog_path: Path, tmp_path: Path
) -> None:
    """Answers are kept until the catalogue changes, whoever changes it: here `pluginary tag` in a terminal."""
    path = "/api/v1/plugins?tag=from-terminal"
    assert ids(get(server, path)) == [] and ids(get(server, path)) == []  # kept
    first = get(server, "/api/v1/search?q=diva")
    assert get(server, "/api/v1/search?q=diva", **{"If-None-Match": first.headers["etag"]}).status == 304
    tagged = cli("tag", "vst3:u-he.diva", "from-terminal", "--catalog", str(catalog_path), env=server_env(tmp_path))
    assert tagged.returncode == 0, tagged.stderr
    assert ids(get(server, path)) == ["vst3:u-he.diva"]
    changed = get(server, "/api/v1/search?q=diva", **{"If-None-Match": first.headers["etag"]})
    assert changed.status == 200 and b"from-terminal" in changed.body


def test_concurrent_requests_for_one_uncached_answer_all_get_it(server: Server) -> None:
    """Identical misses wait for the first one's answer: each still gets the whole, same answer."""
    replies: list[Reply] = []
    threads = [
        threading.Thread(target=lambda: replies.append(get(server, "/api/v1/plugins?sort=vendor&limit=7")))
        for _ in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 12 and {r.status for r in replies} == {200}
    assert len({r.body for r in replies}) == 1 and len(replies[0].json()["plugins"]) == 7


# -- exports -----------------------------------------------------------------------------------------------


def test_an_export_downloads_the_exporters_output_for_the_filters(server: Server, catalog_path: Path) -> None:
    exporters = get(server, "/api/v1/exporters").json()["exporters"]
    assert {"json", "csv", "yaml", "reaper", "ardour"} <= set(exporters)
    reply = get(server, "/api/v1/exports/csv?format=lv2")
    assert reply.status == 200 and 'filename="pluginary-csv"' in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.body.decode())))
    with Catalog.open(catalog_path, read_only=True) as catalog:
        assert sorted(row["id"] for row in rows) == sorted(p.id for p in catalog.plugins(format="lv2"))
    document = json.loads(get(server, "/api/v1/exports/json?option=indent=0&vendor=apple").body)
    assert {p["vendor"] for p in document["plugins"].values()} == {"Apple"}


def test_an_exporter_writing_several_files_downloads_a_zip(server: Server) -> None:
    reply = get(server, "/api/v1/exports/csv?option=parameters=true")
    names = zipfile.ZipFile(io.BytesIO(reply.body)).namelist()
    assert sorted(names) == ["pluginary-csv", "pluginary-csv.parameters.csv"]
    assert reply.headers["content-disposition"] == 'attachment; filename="pluginary-csv.zip"'


@pytest.mark.parametrize(
    ("path", "status", "where"),
    [
        ("/api/v1/exports/pluginary.exporters.json:JSONExporter", 404, None),  # never a module:attr import
        ("/api/v1/exports/nope", 404, "nope"),
        ("/api/v1/exports/json?option=colour=red", 400, "export json"),
        ("/api/v1/exports/json?limit=3", 400, "limit"),
    ],
)
def test_a_bad_export_is_refused(server: Server, path: str, status: int, where: str | None) -> None:
    reply = get(server, path)
    assert reply.status == status and reply.json()["error"]["what"]
    if where:
        assert reply.json()["error"]["where"] == where


# -- writes: tags, and what guards every write ---------------------------------------------------------------


def test_a_tag_added_over_http_is_in_pluginary_list(server: Server, catalog_path: Path, tmp_path: Path) -> None:
    added = call(f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags", "POST", {"add": ["  warm   pads ", "fav"]})
    assert added.status == 200 and added.json()["tags"] == ["fav", "warm pads"]
    listed = cli("list", "--tag", "warm pads", "-o", "json", "--catalog", str(catalog_path), env=server_env(tmp_path))
    assert [p["id"] for p in json.loads(listed.stdout)] == ["vst3:u-he.diva"], listed.stderr
    removed = call(f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags", "POST", {"remove": ["fav"]})
    assert removed.json()["tags"] == ["warm pads"]
    blank = call(f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags", "POST", {"add": ["  "]})
    assert blank.status == 400 and blank.json()["error"]["where"] == "tags"
    unknown = call(f"{server.url}/api/v1/plugins/vst3:nope/tags", "POST", {"add": ["x"]})
    assert unknown.status == 404


@pytest.mark.slow  # a real server process: left out of the quick tier
def test_an_id_that_ends_in_presets_or_tags_is_still_a_plugin(tmp_path: Path) -> None:
    """LV2 ids are URIs, and a URI may end in "/presets": sent as a client encodes a path segment
    (`/` as %2F, as the page does), it names the plugin; a bare "/presets" after it asks for presets."""
    plain = make_plugin("Plain", "Acme", "lv2", "Effect/EQ", ("Gain",), id="lv2:http://acme.example/eq")
    odd = make_plugin("Odd", "Acme", "lv2", "Effect/EQ", ("Mix",), id="lv2:http://acme.example/eq/presets")
    tagged = make_plugin("Tagged", "Acme", "lv2", "Effect/EQ", ("Mix",), id="lv2:http://acme.example/x/tags")
    path = tmp_path / "catalog.sqlite"
    backend = SQLiteBackend(path)
    backend.write(results_for([plain, odd, tagged]))
    bright = Preset("urn:p1", "Bright", plain.id, "lv2", PresetSource.BUNDLE, path="/presets/bright.preset.lv2")
    backend.write(preset_results([bright]))
    backend.close()
    quoted = {plugin.id: urllib.parse.quote(plugin.id, safe="") for plugin in (plain, odd, tagged)}
    with running(path, env=server_env(tmp_path)) as server:
        assert get(server, f"/api/v1/plugins/{quoted[odd.id]}").json()["plugin"]["name"] == "Odd"
        presets = get(server, f"/api/v1/plugins/{quoted[plain.id]}/presets").json()["presets"]
        assert [preset["name"] for preset in presets] == ["Bright"]
        # The same URL with bare slashes asks for Plain's presets, as it always did (cached apart).
        assert get(server, f"/api/v1/plugins/{plain.id}/presets").json()["total"] == 1
        assert get(server, f"/api/v1/plugins/{plain.id}").json()["plugin"]["name"] == "Plain"
        assert get(server, f"/api/v1/plugins/{quoted[tagged.id]}").json()["plugin"]["name"] == "Tagged"
        added = call(f"{server.url}/api/v1/plugins/{quoted[tagged.id]}/tags", "POST", {"add": ["bright"]})
        assert added.status == 200 and added.json()["tags"] == ["bright"]
        assert call(f"{server.url}/api/v1/plugins/{quoted[odd.id]}", "POST", {"add": ["x"]}).status == 404


@pytest.mark.parametrize(
    ("headers", "body", "status", "where"),
    [
        ({"Content-Type": "text/plain"}, b'{"add": ["x"]}', 400, "Content-Type"),  # what a cross-site form sends
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"add=x", 400, "Content-Type"),
        ({"Content-Type": "application/json", "Origin": "http://evil.example"}, b'{"add": ["x"]}', 403, "Origin"),
        (
            {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
            b'{"add": ["x"]}',
            403,
            "Sec-Fetch-Site",
        ),
        ({"Content-Type": "application/json"}, b"[1]", 400, "body"),
        ({"Content-Type": "application/json"}, b'{"add": "x"}', 400, "add"),
    ],
)
def test_a_write_from_another_site_or_without_json_is_refused(
    server: Server, catalog_path: Path, headers: dict[str, str], body: bytes, status: int, where: str
) -> None:
    reply = call(f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags", "POST", body, headers)
    assert (reply.status, reply.json()["error"]["where"]) == (status, where)
    with Catalog.open(catalog_path, read_only=True) as catalog:
        assert catalog.get("vst3:u-he.diva").tags == ()  # type: ignore[union-attr]


def test_a_request_for_another_host_name_is_refused(server: Server) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: nothing is answered to it."""
    reply = get(server, "/api/v1/plugins", Host="evil.example")
    assert reply.status == 421 and reply.json()["error"]["where"] == "Host"
    port = server.url.rsplit(":", 1)[1]
    assert get(server, "/api/v1/session", Host=f"localhost:{port}").status == 200


def test_read_only_serves_reads_and_refuses_every_write(catalog_path: Path, tmp_path: Path) -> None:
    with running(catalog_path, "--read-only", env=server_env(tmp_path)) as server:
        assert "(read-only)" in server.log[0]
        assert get(server, "/api/v1/session").json()["read_only"] is True
        assert len(ids(get(server, "/api/v1/plugins"))) == 15
        for path, body in [("/api/v1/plugins/vst3:u-he.diva/tags", {"add": ["x"]}), ("/api/v1/scans", {})]:
            reply = call(server.url + path, "POST", body)
            assert reply.status == 403 and reply.json()["error"]["where"] == "--read-only", path
    with Catalog.open(catalog_path, read_only=True) as catalog:
        assert catalog.get("vst3:u-he.diva").tags == ()  # type: ignore[union-attr]


def test_beyond_loopback_writes_need_the_token_printed_at_start(catalog_path: Path, tmp_path: Path) -> None:
    """127.0.0.2 is not one of the loopback names the server trusts, so it is "any other address"; the
    traffic still stays on this machine."""
    with running(catalog_path, "--host", "127.0.0.2", env=server_env(tmp_path)) as server:
        assert server.token and len(server.token) >= 32
        url = f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags"
        assert call(url, "POST", {"add": ["x"]}).status == 401
        wrong = call(url, "POST", {"add": ["x"]}, {"Authorization": "Bearer nope"})
        assert wrong.status == 401 and wrong.json()["error"]["where"] == "Authorization"
        assert get(server, "/api/v1/plugins").status == 200  # reads stay open
        right = call(url, "POST", {"add": ["x"]}, {"Authorization": f"Bearer {server.token}"})
        assert right.status == 200 and right.json()["tags"] == ["x"]


def test_a_token_from_the_environment_guards_loopback_too(catalog_path: Path, tmp_path: Path) -> None:
    env = server_env(tmp_path, PLUGINARY_SERVE_TOKEN="s3cret-token")
    with running(catalog_path, env=env) as server:
        assert server.token == "s3cret-token" and get(server, "/api/v1/session").json()["token_required"] is True
        url = f"{server.url}/api/v1/plugins/vst3:u-he.diva/tags"
        assert call(url, "POST", {"add": ["x"]}).status == 401
        assert call(url, "POST", {"add": ["x"]}, {"Authorization": "Bearer s3cret-token"}).status == 200


# -- the command -----------------------------------------------------------------------------------------------


def test_a_missing_catalogue_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = cli("serve", "--catalog", str(tmp_path / "none.sqlite"), "--port", "0", env=server_env(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: {tmp_path / 'none.sqlite'}: no catalogue here — run `pluginary scan` first")


def test_a_port_in_use_is_one_line_and_exit_2(server: Server, catalog_path: Path, tmp_path: Path) -> None:
    port = server.url.rsplit(":", 1)[1]
    done = cli("serve", "--catalog", str(catalog_path), "--port", port, env=server_env(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: --host/--port: cannot listen on 127.0.0.1:{port}")


def test_ctrl_c_stops_the_server_as_any_command(catalog_path: Path, tmp_path: Path) -> None:
    with running(catalog_path, env=server_env(tmp_path)) as server:
        assert get(server, "/").status == 200
    assert server.process.returncode == 130  # the CLI's contract for Ctrl-C
    assert server.log[-1] == "interrupted\n" and not [line for line in server.log if "Traceback" in line]


def test_help_does_not_import_the_server() -> None:
    probe = (
        "import sys; from pluginary.cli.app import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('starlette', 'uvicorn', 'pluginary.server'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "serve" in done.stdout and done.stdout.strip().endswith("[]"), done.stdout


# -- scans: the same pipeline as `pluginary scan`, streamed -------------------------------------------------


def scan_env(tmp_path: Path, folder: Path) -> dict[str, str]:
    """A scan of `folder` only, each plugin tried once."""
    return server_env(
        tmp_path,
        PLUGINARY_DISCOVER__EXTRA_PATHS=json.dumps([str(folder)]),
        PLUGINARY_DISCOVER__STANDARD_PATHS="false",
        PLUGINARY_DISCOVER__FORMATS="[vst3]",
        PLUGINARY_SCAN__RETRIES="0",
    )


def events(server: Server, scan_id: str, timeout: float = 120) -> list[dict[str, Any]]:
    """Every server-sent event of the scan, read as a browser's EventSource would, until its end."""
    request = urllib.request.Request(f"{server.url}/api/v1/scans/{scan_id}/events")
    found = []
    with urllib.request.urlopen(request, timeout=timeout) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        ids_seen = []
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                ids_seen.append(int(line[4:]))
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
                if found[-1]["type"] == "end":
                    break
    assert ids_seen == list(range(len(found)))
    return found


@pytest.fixture
def plugin_folder(tmp_path: Path, make_vst3: Any) -> Path:
    folder = tmp_path / "plugins"
    for name in ("Served One", "Served Two", "Served Three"):
        make_vst3(PluginSpec(name=name), root=folder)
    make_vst3(PluginSpec(name="Served Crash", misbehaviour=Misbehaviour(crash="segv")), root=folder)
    return folder


def test_a_scan_streams_its_progress_to_the_end_and_stores_the_plugins(
    catalog_path: Path, tmp_path: Path, plugin_folder: Path
) -> None:
    with running(catalog_path, env=scan_env(tmp_path, plugin_folder)) as server:
        started = call(f"{server.url}/api/v1/scans", "POST", {})
        assert started.status == 202 and started.json()["status"] == "running"
        busy = call(f"{server.url}/api/v1/scans", "POST", {})
        assert busy.status == 409 and busy.json()["error"]["fix"] == "wait for it or cancel it"
        streamed = events(server, started.json()["id"])
        kinds = [event["type"] for event in streamed]
        assert kinds[0] == "stage" and kinds[-2:] == ["finished", "end"]
        assert sorted(e["name"] for e in streamed if e["type"] == "scanned") == ["Served One", "Served Three",
                                                                                  "Served Two"]  # fmt: skip
        (failed,) = [event for event in streamed if event["type"] == "failed"]
        assert failed["path"].endswith("Served Crash.vst3") and failed["kind"] == "crash"
        end = streamed[-1]
        assert end["status"] == "finished" and end["done"] == end["total"] == 4 and end["failed"] == 1
        state = get(server, f"/api/v1/scans/{started.json()['id']}").json()
        assert state["summary"]["plugins"] == 3 and state["summary"]["failed"] == 1 and state["exit_code"] == 0
        listed = get(server, "/api/v1/search?q=served").json()["plugins"]
        assert sorted(p["name"] for p in listed) == ["Served One", "Served Three", "Served Two"]
        failures = get(server, "/api/v1/failures").json()["failures"]
        crash = next(f for f in failures if f["path"].endswith("Served Crash.vst3"))
        assert crash["kind"] == "crash" and crash["signal"] == signal.SIGSEGV
        # A late listener replays the whole scan; Last-Event-ID resumes after what it saw.
        assert [e["type"] for e in events(server, started.json()["id"])] == kinds
        request = urllib.request.Request(
            f"{server.url}/api/v1/scans/{started.json()['id']}/events", headers={"Last-Event-ID": str(len(kinds) - 2)}
        )
        with urllib.request.urlopen(request, timeout=30) as stream:
            assert [json.loads(line[6:])["type"] for line in stream.read().decode().splitlines()
                    if line.startswith("data: ")] == ["end"]  # fmt: skip


def test_a_retry_scans_only_the_quarantined_file_it_names(
    catalog_path: Path, tmp_path: Path, plugin_folder: Path
) -> None:
    with running(catalog_path, env=scan_env(tmp_path, plugin_folder)) as server:
        refused = call(f"{server.url}/api/v1/scans", "POST", {"paths": [str(plugin_folder)]})
        assert refused.status == 400 and refused.json()["error"]["where"] == "paths"  # never an arbitrary path
        assert get(server, "/api/v1/stats").status == 200  # as the page does on opening: before any scan
        assert events(server, call(f"{server.url}/api/v1/scans", "POST", {}).json()["id"])[-1]["failed"] == 1
        crash = str(plugin_folder / "Served Crash.vst3")
        # Read (and kept) before the retry: each scan's process deletes the WAL's files when it closes,
        # and the answer must still move with the retry's write.
        assert {f["path"]: f["attempts"] for f in get(server, "/api/v1/failures").json()["failures"]}[crash] == 1
        retried = call(f"{server.url}/api/v1/scans", "POST", {"paths": [crash]})
        assert retried.status == 202
        streamed = events(server, retried.json()["id"])
        assert [e["path"] for e in streamed if e["type"] in ("scanned", "failed")] == [crash]
        assert streamed[-1]["status"] == "finished" and streamed[-1]["total"] == 1
        failures = {f["path"]: f for f in get(server, "/api/v1/failures").json()["failures"]}
        assert failures[crash]["attempts"] == 2 and HOSTILE_FAILURE in failures  # the other failure untouched


def test_cancel_is_ctrl_c_for_the_scan(catalog_path: Path, tmp_path: Path, make_vst3: Any) -> None:
    folder = tmp_path / "slow"
    for n in range(6):
        make_vst3(PluginSpec(name=f"Slow {n}", misbehaviour=Misbehaviour(sleep_ms=1500)), root=folder)
    env = scan_env(tmp_path, folder)
    env.update(PLUGINARY_SCAN__WORKERS="1", PLUGINARY_SCAN__BATCH_SIZE="1")
    with running(catalog_path, env=env) as server:
        scan_id = call(f"{server.url}/api/v1/scans", "POST", {}).json()["id"]
        deadline = time.monotonic() + 60
        while get(server, f"/api/v1/scans/{scan_id}").json()["done"] < 1:
            assert time.monotonic() < deadline, "nothing was scanned in 60 s"
            time.sleep(0.1)
        assert call(f"{server.url}/api/v1/scans/{scan_id}/cancel", "POST", {}).status == 202
        end = events(server, scan_id)[-1]
        assert end["status"] == "cancelled" and end["exit_code"] == 130
        kept = len(ids(get(server, "/api/v1/search?q=slow")))
        assert 1 <= kept < 6  # finished batches are stored, the rest was not started
        assert get(server, "/api/v1/failures").json()["failures"][0]["path"] == HOSTILE_FAILURE  # no plugin blamed
