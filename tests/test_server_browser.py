"""The page of `pluginary serve` in a real headless browser: Debian's chromium driven by Playwright.

What a person does: search as they type, filter by a facet, open a plugin with the keyboard,
add a tag (then `pluginary list` shows it), start a scan and watch it reach the end, read a
failure's reason. Hostile plugin text must stay text: no dialog, no injected element.

`PLUGINARY_SCREENSHOTS=DIR` keeps the screenshots taken on the way (docs/screenshots/ holds them).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support import need
from tests.test_server import (
    HOSTILE_ID,
    HOSTILE_NAME,
    HOSTILE_PARAM,
    HOSTILE_PRESET,
    HOSTILE_TAG,
    HOSTILE_VENDOR,
    Server,
    build_catalog,
    cli,
    running,
    scan_env,
    server_env,
)
from tests.test_server_page import BREAKOUTS, breakout_catalog

# Slow (a real Chromium against a real server): left out by `pytest -m "not slow"`, run by CI.
pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need(CHROMIUM.exists(), "needs Debian's chromium (apt-get install --no-install-recommends chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh tab that fails the test on any script error or dialog (an injected alert())."""
    context = browser.new_context(viewport=LAPTOP)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    opened.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    opened.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
    assert problems == []


def shoot(page: Any, tmp_path: Path, name: str, *, full_page: bool = False) -> None:
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=full_page)
    keep = os.environ.get("PLUGINARY_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(keep) / target.name)


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    return build_catalog(tmp_path / "catalog.sqlite")


@pytest.fixture
def server(catalog_path: Path, tmp_path: Path) -> Iterator[Server]:
    with running(catalog_path, env=server_env(tmp_path)) as started:
        yield started


def rows(page: Any) -> list[str]:
    return [str(row) for row in page.eval_on_selector_all("#rows tr[data-id]", "rows => rows.map(r => r.dataset.id)")]


def test_hostile_metadata_is_shown_as_text_and_runs_nothing(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url + "/")
    page.wait_for_selector("#rows tr[data-id]")
    row = page.locator(f'#rows tr[data-id="{HOSTILE_ID}"]')
    # Control characters are shown as U+FFFD; everything else exactly as the plugin says.
    shown = HOSTILE_NAME.replace("\x07", "\ufffd").replace("\x1b", "\ufffd")
    assert row.locator("td.name").inner_text() == shown
    assert HOSTILE_VENDOR.rstrip("\u2066") in row.locator("td").nth(1).inner_text()
    for selector in ("script:not([src])", "img", "iframe", "svg", "b", "[onerror]", "[onmouseover]", "[onload]"):
        assert page.locator(f"#main {selector}, #facets {selector}").count() == 0, selector
    assert page.locator("#facets").get_by_text(HOSTILE_VENDOR.rstrip("\u2066")).count() == 1
    row.click()
    page.wait_for_selector("#plugin-name")
    assert page.locator("#plugin-name").inner_text() == shown
    assert page.locator("#plugin-view td.name").first.inner_text() == HOSTILE_PARAM
    assert page.locator("#tag-list .chip").first.inner_text().startswith(HOSTILE_TAG)
    assert page.locator("#main iframe, #main svg, #main img").count() == 0
    shoot(page, tmp_path, "hostile", full_page=True)


def test_the_first_rows_facets_and_formats_come_inside_the_page(page: Any, server: Server) -> None:
    """The list shows from the page's one response (its style, script and first reads inside it);
    a filter then asks the API as ever."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urllib.parse.urlsplit(request.url).path))
    page.goto(server.url + "/")
    expect(page.locator("#rows tr[data-id]")).to_have_count(15)
    expect(page.locator("#export-format option[value=json]")).to_have_count(1)
    assert page.locator("#facets .facet").count() == 4 and page.locator("#list-summary").inner_text() == "1–15 of 15"
    embedded = {"/api/v1/plugins", "/api/v1/stats", "/api/v1/session", "/api/v1/exporters"}
    assert not {*asked} & {*embedded, "/static/app.js", "/static/app.css"}, asked
    page.locator(".facet", has_text="Format").get_by_role("button", name="lv2").click()
    expect(page.locator("#list-summary")).to_have_text("1–3 of 3")
    assert {"/api/v1/plugins", "/api/v1/stats"} <= {*asked}


def test_a_name_that_would_close_the_data_block_stays_text(page: Any, tmp_path: Path) -> None:
    with running(breakout_catalog(tmp_path / "breakout.sqlite"), env=server_env(tmp_path)) as server:
        page.goto(server.url + "/")
        page.wait_for_selector("#rows tr[data-id]")
        names = page.eval_on_selector_all("#rows td.name > bdi", "cells => cells.map(cell => cell.textContent)")
        assert set(BREAKOUTS) <= set(names)
        # Only the page's own two scripts (the data block and its code); no image, no injected element.
        assert page.locator("script").count() == 2 and page.locator("img, script[src]").count() == 0


def test_search_as_you_type_filter_and_page(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url + "/")
    page.wait_for_selector("#rows tr[data-id]")
    assert page.locator("#list-summary").inner_text() == "1–15 of 15"
    page.keyboard.press("/")  # the search shortcut
    page.keyboard.type("vintagevreb")  # a typo: the page says what it searched instead
    page.wait_for_selector("#suggestion:not([hidden])")
    assert "did you mean VintageVerb" in page.locator("#suggestion").inner_text()
    assert rows(page) == ["vst3:valhalla dsp.vintageverb"]
    page.fill("#search", "")
    expect(page.locator("#rows tr[data-id]")).to_have_count(15)
    page.locator(".facet", has_text="Format").get_by_role("button", name="lv2").click()
    expect(page.locator("#list-summary")).to_have_text("1–3 of 3")
    assert {page.locator(f'#rows tr[data-id="{i}"] .badge').inner_text() for i in rows(page)} == {"LV2"}
    page.get_by_role("button", name="Params", exact=True).click()
    first = page.locator("#rows tr[data-id]").first
    expect(first).to_have_attribute("data-id", "lv2:ｓｏｎｉｃ.réverbération-étoile-😀")  # 1 parameter, fewest first
    assert page.locator("th[aria-sort='ascending']").inner_text() == "Params ▲"
    shoot(page, tmp_path, "filtered")
    # A search keeps to the selected facet: the two LV2 reverbs, not the five others.
    page.fill("#search", "reverb")
    expect(page.locator("#list-summary")).to_have_text("2 matches, best first")
    assert sorted(rows(page)) == ["lv2:calf studio gear.reverb", "lv2:ｓｏｎｉｃ.réverbération-étoile-😀"]


def test_open_a_plugin_with_the_keyboard_and_tag_it(
    page: Any, server: Server, catalog_path: Path, tmp_path: Path
) -> None:
    page.goto(server.url + "/")
    page.wait_for_selector("#rows tr[data-id]")
    page.keyboard.press("/")
    page.keyboard.type("diva")
    expect(page.locator("#rows tr[data-id]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#plugin-name")
    assert page.locator("#plugin-name").inner_text() == "Diva"
    assert page.locator("text=Parameters (31)").count() == 1
    page.focus("#tag-input")
    page.keyboard.type("warm pads")
    page.keyboard.press("Enter")
    page.wait_for_selector("#tag-list .chip >> text=warm pads")
    listed = cli("list", "--tag", "warm pads", "-o", "json", "--catalog", str(catalog_path), env=server_env(tmp_path))
    assert [p["id"] for p in json.loads(listed.stdout)] == ["vst3:u-he.diva"]
    shoot(page, tmp_path, "plugin", full_page=True)
    page.focus("#plugin-name")
    page.keyboard.press("Escape")  # back to the list
    page.wait_for_selector("#list-view:not([hidden])")


def test_a_plugin_page_shows_ranges_choices_and_other_formats(page: Any, server: Server) -> None:
    page.goto(server.url + "/#/plugin/" + "vst3%3Afabfilter.pro-q-3")
    page.wait_for_selector("#plugin-name")
    mode = page.locator("tr", has_text="Mode")
    assert [c.inner_text() for c in mode.locator(".chip").all()] == ["Clean", "Warm", "Hot"]
    assert "dB" in page.locator("tr", has_text="Band 1 Gain").inner_text()
    page.get_by_role("link", name="AU Pro-Q 3 FabFilter").click()
    page.wait_for_url("**/#/plugin/au%3Afabfilter.pro-q-3")
    page.wait_for_selector("dd >> text=au:fabfilter.pro-q-3")


def test_a_plugin_page_lists_its_presets_and_search_finds_them(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url + "/#/plugin/" + urllib.parse.quote("vst3:fabfilter.pro-q-3", safe=""))
    page.wait_for_selector("#presets td.name")
    assert page.locator("#presets h2").inner_text() == "Presets (3)"
    assert [cell.inner_text() for cell in page.locator("#presets td.name").all()] == ["Air", "Bright Vocal", "Low Cut"]
    assert [chip.inner_text() for chip in page.locator("#presets tr", has_text="Air").locator(".chip").all()] == [
        "mixing",
        "vocals",
    ]
    # A hostile preset name and bank stay text.
    page.goto(server.url + "/#/plugin/" + urllib.parse.quote(HOSTILE_ID, safe=""))
    expect(page.locator("#presets h2")).to_have_text("Presets (1)")  # the hostile plugin's page, not Pro-Q's
    assert page.locator("#presets td.name").inner_text() == HOSTILE_PRESET.replace("\x07", "\ufffd")
    assert page.locator("#presets td").nth(1).inner_text() == "<b>bank</b>"
    assert page.locator("#main img, #main b, #main [onerror]").count() == 0
    # Searching finds presets too, each a link to its plugin.
    page.goto(server.url + "/#/")
    page.fill("#search", "plate")
    page.wait_for_selector("#preset-matches:not([hidden])")
    page.locator("#preset-matches").get_by_role("link", name="Vintage Plate").click()
    page.wait_for_selector("#plugin-name >> text=Pro-R")
    assert page.locator("#presets td.name").inner_text() == "Vintage Plate"
    shoot(page, tmp_path, "presets", full_page=True)


def test_read_only_shows_no_way_to_write(browser: Any, catalog_path: Path, tmp_path: Path) -> None:
    with running(catalog_path, "--read-only", env=server_env(tmp_path)) as server:
        page = browser.new_page(viewport=LAPTOP)
        page.goto(server.url + "/#/plugin/vst3%3Au-he.diva")
        page.wait_for_selector("text=Read-only server: tags cannot be changed.")
        assert page.locator("#scan-button").is_disabled() and page.locator("#tag-input").count() == 0
        page.close()


def test_scan_from_the_page_to_the_end_then_read_the_failure(
    browser: Any, catalog_path: Path, tmp_path: Path, plugin_folder: Path
) -> None:
    with running(catalog_path, env=scan_env(tmp_path, plugin_folder)) as server:
        page = browser.new_page(viewport=LAPTOP)
        page.set_default_timeout(120_000)
        page.goto(server.url + "/")
        page.wait_for_selector("#rows tr[data-id]")
        page.click("#scan-button")
        page.wait_for_selector("#scan-text >> text=Scan finished")
        assert "4 found, 4 new" in page.locator("#scan-text").inner_text()
        assert "(3 plugins), 1 failed" in page.locator("#scan-text").inner_text()
        assert page.eval_on_selector("#scan-progress", "bar => [bar.value, bar.max]") == [1, 1]
        expect(page.locator("#list-summary")).to_have_text("1–18 of 18")
        shoot(page, tmp_path, "scan-finished")
        page.fill("#search", "served")
        expect(page.locator("#rows tr[data-id]")).to_have_count(3)
        page.click("#failures-link")
        row = page.locator("#failures-table tr", has_text="Served Crash.vst3")
        assert "crash, signal 11" in row.inner_text()
        shoot(page, tmp_path, "failures", full_page=True)
        row.get_by_role("button").click()  # retry: the same crash again, one more attempt
        page.wait_for_selector("#scan-text >> text=Scan finished: 1 found")
        page.wait_for_selector("#failures-table tr:has-text('Served Crash.vst3') td:nth-child(5) >> text=2")
        page.close()


@pytest.fixture
def plugin_folder(tmp_path: Path, make_vst3: Any) -> Path:
    from tests.test_server import plugin_folder as make_folder

    return make_folder.__wrapped__(tmp_path, make_vst3)  # type: ignore[attr-defined]


def test_a_phone_width_shows_the_list_without_sideways_scrolling(browser: Any, server: Server, tmp_path: Path) -> None:
    page = browser.new_page(viewport=PHONE, device_scale_factor=2)
    page.goto(server.url + "/")
    page.wait_for_selector("#rows tr[data-id]")
    assert page.eval_on_selector("#facets-box", "box => box.open") is False  # filters folded away
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, tmp_path, "phone-list")
    page.click("#rows tr[data-id] >> nth=2")
    page.wait_for_selector("#plugin-name")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, tmp_path, "phone-plugin", full_page=True)
    page.close()


def test_laptop_screenshots_of_the_main_pages(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url + "/")
    page.wait_for_selector("#rows tr[data-id]")
    shoot(page, tmp_path, "list")
    assert (tmp_path / "list.png").stat().st_size > 10_000
