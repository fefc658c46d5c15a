"""The page `pluginary serve` sends: one response holding its style, its script and the answers to
its first reads (a page of plugins, the facets, the session, the export formats), so its first
rows need no other request. A real server process on loopback, a real SQLite catalogue.

Plugin names are hostile: one that holds `</script>` or `<!--` must not end or bend the data
block it travels in; the data must be exactly what the API answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pluginary.backends.sqlite import SQLiteBackend
from pluginary.testing.backend_suite import make_plugin, results_for
from tests.test_server import Reply, Server, build_catalog, call, get, running, server_env

# Slow (a real server on the loopback interface): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

#: Names that would end the data block, open a comment that swallows its end, or smuggle markup.
BREAKOUTS = (
    "</script><script>alert(1)</script>",
    "<!--<script>alert(2)//",
    "</SCRIPT ><img src=x onerror=alert(3)>",
    "a & b > c < d \u2028 \u2029",
)
DATA_BLOCK = re.compile(rb'<script type="application/json" id="first-data">(.*?)</script>', re.DOTALL | re.IGNORECASE)


def breakout_catalog(path: Path) -> Path:
    """The server tests' catalogue with a plugin for each of `BREAKOUTS`, all on the first page."""
    build_catalog(path)
    backend = SQLiteBackend(path)
    try:
        backend.write(results_for([make_plugin(name, "<!--Vendor-->", "vst3", "Effect/EQ") for name in BREAKOUTS]))
    finally:
        backend.close()
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(breakout_catalog(tmp_path / "catalog.sqlite"), env=server_env(tmp_path)) as started:
        yield started


def first_data(page: Reply) -> dict[str, Any]:
    """The page's data block, as JSON.parse would read it."""
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    blocks = DATA_BLOCK.findall(page.body)
    assert len(blocks) == 1
    return dict(json.loads(blocks[0]))


def test_the_page_carries_the_answers_to_its_first_reads_exactly(server: Server) -> None:
    data = first_data(get(server, "/"))
    assert set(data) == {"/plugins?sort=name&limit=50&offset=0", "/session", "/stats", "/exporters"}
    for path, embedded in data.items():
        assert embedded == get(server, "/api/v1" + path).json(), path
    names = [plugin["name"] for plugin in data["/plugins?sort=name&limit=50&offset=0"]["plugins"]]
    assert set(BREAKOUTS) <= set(names)


def test_hostile_names_cannot_leave_the_data_block(server: Server) -> None:
    page = get(server, "/").body
    (block,) = DATA_BLOCK.findall(page)
    # Not one `<` inside: nothing there can end the block, open a comment or start a tag; the
    # names are still all there (above), as JSON escapes.
    assert b"<" not in block and b"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in block
    # The page's only scripts: the data block and the page's own, after it.
    tags = re.findall(rb"<script[^>]*>", page, re.IGNORECASE)
    assert tags == [b'<script type="application/json" id="first-data">', b"<script>"]


def test_the_csp_allows_exactly_the_style_and_script_inside_the_page(server: Server) -> None:
    reply = get(server, "/")
    policy = dict(part.strip().split(" ", 1) for part in reply.headers["content-security-policy"].split(";"))
    style = re.search(rb"<style>(.*?)</style>", reply.body, re.DOTALL)
    script = re.search(rb"<script>(.*?)</script>", reply.body, re.DOTALL)
    assert style is not None and script is not None
    for directive, inline in (("script-src", script[1]), ("style-src", style[1])):
        digest = base64.b64encode(hashlib.sha256(inline).digest()).decode()
        assert policy[directive] == f"'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in reply.headers["content-security-policy"]


def test_the_page_keeps_its_etag_until_the_catalogue_changes(server: Server) -> None:
    first = get(server, "/")
    etag = first.headers["etag"]
    again = get(server, "/", **{"If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.headers["etag"] == etag
    plugin_id = urllib.parse.quote("vst3:u-he.diva", safe="")
    assert call(f"{server.url}/api/v1/plugins/{plugin_id}/tags", "POST", {"add": ["fresh"]}).status == 200
    changed = get(server, "/", **{"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag
    rows = first_data(changed)["/plugins?sort=name&limit=50&offset=0"]["plugins"]
    assert next(row["tags"] for row in rows if row["id"] == "vst3:u-he.diva") == ["fresh"]
