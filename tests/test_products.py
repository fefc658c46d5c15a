"""Products: one entry per plugin across its formats, on Debian's real zam plugins.

The catalogue comes from a real `pluginary scan` of every zam VST3 and LV2 (17 effects, each in
both formats) into a temporary SQLite file; commands run as `python -m pluginary` in a
subprocess, as a user or CI runs them. The rule's own cases are plain names.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pluginary import Catalog
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.core.models import FileResult, Host, Plugin
from pluginary.core.products import Product, group, one_per_product, product_key, product_of
from pluginary.exporters.csv import LIST_SEPARATOR
from tests.catalog_data import file_for
from tests.pg import Server, pg_server
from tests.support import need

__all__ = ["pg_server"]

VST3 = Path("/usr/lib/vst3")
LV2 = Path("/usr/lib/lv2")
ZAM_COMP = ("vst3:2046504473616C63504D435A00000000", "lv2:urn:zamaudio:ZamComp")
ZAM_GATE = ("vst3:2046504473616C635441475A00000000", "lv2:urn:zamaudio:ZamGate")


def pluginary(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """This checkout's command line; asserts the exit status and, on failure, one plain line."""
    done = subprocess.run([sys.executable, "-m", "pluginary", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == code, done.stderr
    if code == 2:
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done


def zam_bundles() -> list[Path]:
    need(
        (VST3 / "ZamComp.vst3").exists() and (LV2 / "ZamComp.lv2").exists(),
        "needs Debian's zam-plugins (apt-get install zam-plugins)",
    )
    return sorted(VST3.glob("Za*.vst3")) + sorted(LV2.glob("Za*.lv2"))


def stored(path: Path, *plugins: Plugin) -> Path:
    """A SQLite catalogue at `path` holding these plugins, each in a file of its own, as a scan stores them."""
    backend = SQLiteBackend(path)
    backend.write([FileResult(file_for(plugin), plugins=(plugin,)) for plugin in plugins])
    backend.close()
    return path


@pytest.fixture(scope="module")
def zam_scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every zam VST3 and LV2, scanned for real; tests copy it before changing it."""
    catalog = tmp_path_factory.mktemp("zam") / "zam.sqlite"
    pluginary("scan", *map(str, zam_bundles()), "--catalog", str(catalog))
    return catalog


@pytest.fixture
def zam(zam_scanned: Path, tmp_path: Path) -> Path:
    """A copy of the scanned catalogue of one's own (a consistent one: the backend's backup)."""
    copy = tmp_path / "zam.sqlite"
    with Catalog.open(zam_scanned, read_only=True, create=False) as catalog:
        catalog.backup(copy)
    return copy


# -- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("Pro-Q 3 (VST3)", "FabFilter"), ("pro q 3", "FabFilter")),
        (("ProQ3", "FabFilter Inc."), ("PRO-Q 3 x64", "fabfilter")),
        (("Diva [AU, VST3]", "u-he GmbH"), ("Diva", "u-he")),
        (("Surge XT (CLAP)", "Surge Synth Team"), ("Surge  XT", "Surge Synth Team")),
        (("ZamComp_vst3", "Damien Zammit"), ("ZamComp", "Damien Zammit")),
        (("Ｓｏｎｉｃ Comp 64-bit", "Ｓｏｎｉｃ Ｃｈａｒｇｅ"), ("Sonic Comp", "Sonic Charge")),
    ],
)
def test_names_differing_only_by_build_case_or_spacing_are_one_product(
    one: tuple[str, str], other: tuple[str, str]
) -> None:
    assert product_key(*one) == product_key(*other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Comp Mono", "Comp Stereo"),
        ("Comp (Mono)", "Comp (Stereo)"),
        ("ZamComp", "ZamCompX2"),
        ("ZamGate", "ZamGateX2"),
        ("Super Clap", "Super"),  # a drum sound at the end, not the format
        ("Vst Tools", "Tools"),  # a build word inside a name is part of it
    ],
)
def test_variants_are_different_products(one: str, other: str) -> None:
    assert product_key(one, "Vendor") != product_key(other, "Vendor")


def test_a_vendor_and_a_name_that_is_only_a_build_word() -> None:
    assert product_key("ZamComp", "Damien Zammit") != product_key("ZamComp", "Other")
    assert product_key("VST3")[0] == "vst3"  # never an empty name, which would join every such plugin
    assert product_of(Plugin("lv2:x", "lv2", "ZamComp (LV2)", "/p", vendor="Damien Zammit")) == "damienzammit/zamcomp"


def test_grouping_orders_formats_and_names_a_user_product() -> None:
    lv2 = Plugin("lv2:a", "lv2", "Comp", "/a", vendor="V", tags=("warm",))
    vst3 = Plugin("vst3:b", "vst3", "Comp (VST3)", "/b", vendor="V", tags=("own",))
    other = Plugin("au:c", "au", "Squash", "/c", vendor="W")
    (comp, squash) = group([lv2, vst3, other], {})
    assert comp == Product("v/comp", "Comp (VST3)", "V", (vst3, lv2))
    assert (comp.formats, comp.tags, squash.formats) == (("vst3", "lv2"), ("own", "warm"), ("au",))
    assert comp.by_format() == {"vst3": (vst3,), "lv2": (lv2,)}
    (named,) = group([lv2, other], {"lv2:a": "My Dynamics", "au:c": "My Dynamics"})
    assert (named.name, named.vendor, named.formats) == ("My Dynamics", "", ("au", "lv2"))
    # One per product: the first preferred format it has; a format not listed after the listed ones.
    assert one_per_product([lv2, vst3, other], {}, ("lv2", "vst3")) == [lv2, other]
    assert one_per_product([lv2, vst3], {}, ("au",)) == [lv2]  # "lv2" before "vst3" by name


# -- the real zam set -------------------------------------------------------------------------


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_the_zam_set_is_17_products_of_two_formats(zam_scanned: Path) -> None:
    names = {path.name.removesuffix(".vst3") for path in VST3.glob("Za*.vst3")}
    with Catalog.open(zam_scanned, read_only=True, create=False) as catalog:
        assert catalog.count() == 34
        products = catalog.products()
        assert len(products) == 17 == len(names)
        assert {product.name for product in products} == names
        assert all(product.formats == ("vst3", "lv2") for product in products)
        assert all(product.key == product_of(product.plugins[0]) for product in products)
        # Filters select products and show them whole; paging counts products.
        lv2_only = catalog.products(format="lv2", category="Effect/Spatial")
        assert [(p.name, p.formats) for p in lv2_only] == [("ZamHeadX2", ("vst3", "lv2"))]
        assert [p.name for p in catalog.products(limit=2, offset=1)] == [p.name for p in products[1:3]]


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_list_products_one_row_each_with_its_formats(zam_scanned: Path) -> None:
    rows = json.loads(pluginary("list", "--products", "--catalog", str(zam_scanned), "-o", "json").stdout)
    assert len(rows) == 17
    comp = next(row for row in rows if row["name"] == "ZamComp")
    assert comp["formats"] == ["vst3", "lv2"] and [p["id"] for p in comp["plugins"]] == list(ZAM_COMP)
    table = pluginary("list", "--products", "--catalog", str(zam_scanned), "-o", "table").stdout
    assert "showing 1–17 of 17" in table and table.count("vst3, lv2") == 17
    plain = pluginary("list", "--products", "--vendor", "Damien Zammit", "--catalog", str(zam_scanned)).stdout
    assert plain.splitlines()[2].split("\t")[:4] == ["damienzammit/zamcomp", "ZamComp", "Damien Zammit", "vst3,lv2"]


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_info_on_a_name_of_two_formats_shows_the_product(zam_scanned: Path) -> None:
    done = pluginary("info", "ZamComp", "--catalog", str(zam_scanned), "-o", "json")
    product = json.loads(done.stdout)
    assert (product["name"], product["formats"], product["key"]) == ("ZamComp", ["vst3", "lv2"], "damienzammit/zamcomp")
    assert [p["id"] for p in product["plugins"]] == list(ZAM_COMP)
    assert all(len(p["parameters"]) == 8 for p in product["plugins"])  # each format's whole record
    lv2 = next(p for p in product["plugins"] if p["format"] == "lv2")  # with its presets (zam ships some)
    assert lv2["preset_count"] == len(lv2["presets"]) > 0 and {p["plugin_id"] for p in lv2["presets"]} == {lv2["id"]}
    plain = pluginary("info", "zamcomp (VST3)", "--catalog", str(zam_scanned), "-o", "plain").stdout
    assert plain.startswith("product\tZamComp\n") and plain.count("\nplugin\t") == 2
    one = json.loads(pluginary("info", ZAM_COMP[1], "--catalog", str(zam_scanned), "-o", "json").stdout)
    assert one["id"] == ZAM_COMP[1]  # an id is still the one plugin
    unknown = pluginary("info", "ZamKomp", "--catalog", str(zam_scanned), code=2)
    assert "no plugin has the id or name 'ZamKomp'" in unknown.stderr and "ZamComp" in unknown.stderr


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_search_collapses_to_products(zam_scanned: Path) -> None:
    found = pluginary("search", "zamgate", "--products", "--catalog", str(zam_scanned), "-o", "plain").stdout
    assert [line.split("\t")[:4] for line in found.splitlines()] == [
        ["damienzammit/zamgate", "ZamGate", "Damien Zammit", "vst3,lv2"],
        ["damienzammit/zamgatex2", "ZamGateX2", "Damien Zammit", "vst3,lv2"],
    ]
    plugins = pluginary("search", "zamgate", "--catalog", str(zam_scanned), "-o", "plain").stdout
    assert len(plugins.splitlines()) == 4


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_tags_on_a_product_show_on_every_format(zam: Path) -> None:
    done = pluginary("tag", "--product", "ZamGate", "gates", "--catalog", str(zam))
    assert done.stdout == "damienzammit/zamgate (vst3, lv2): gates\n"
    pluginary("tag", ZAM_GATE[1], "mine", "--catalog", str(zam))  # the LV2's own tag
    pluginary("tag", "ZamComp", "squash", "--catalog", str(zam))  # a name of two formats: the product
    with Catalog.open(zam, create=False) as catalog:
        assert {p.id: p.tags for p in catalog.plugins(tag="gates")} == {
            ZAM_GATE[0]: ("gates",),
            ZAM_GATE[1]: ("gates", "mine"),
        }
        assert sorted(p.id for p in catalog.plugins(tag="squash")) == sorted(ZAM_COMP)
        assert catalog.product("ZamGate").tags == ("gates", "mine")
        assert catalog.untag_product("ZamGate", "gates") == ()
        assert {p.id: p.tags for p in catalog.product("ZamGate").plugins} == {ZAM_GATE[0]: (), ZAM_GATE[1]: ("mine",)}
    left = pluginary("untag", "ZamComp", "squash", "--catalog", str(zam))
    assert left.stdout == "damienzammit/zamcomp (vst3, lv2): (no tags)\n"


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_a_product_tag_reaches_a_format_installed_later(tmp_path: Path) -> None:
    zam_bundles()
    catalog = tmp_path / "later.sqlite"
    pluginary("scan", str(VST3 / "ZamGate.vst3"), "--catalog", str(catalog))
    pluginary("tag", "--product", "ZamGate", "later", "--catalog", str(catalog))
    pluginary("scan", str(LV2 / "ZamGate.lv2"), "--catalog", str(catalog))
    with Catalog.open(catalog, create=False) as opened:
        assert {p.id: p.tags for p in opened.plugins()} == {ZAM_GATE[0]: ("later",), ZAM_GATE[1]: ("later",)}


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_a_grouping_survives_a_real_rescan_and_ungroup_undoes_it(zam: Path) -> None:
    done = pluginary("group", "ZamComp", "ZamCompX2", "--as", "Zam compressors", "--catalog", str(zam))
    assert done.stdout.startswith("Zam compressors: ")
    pluginary("scan", *map(str, zam_bundles()), "--full", "--catalog", str(zam))
    with Catalog.open(zam, create=False) as catalog:
        products = catalog.products()
        assert len(products) == 16
        (grouped,) = (p for p in products if p.key == "Zam compressors")
        assert (grouped.name, grouped.vendor, grouped.formats) == ("Zam compressors", "Damien Zammit", ("vst3", "lv2"))
        assert {p.name for p in grouped.plugins} == {"ZamComp", "ZamCompX2"} and len(grouped.plugins) == 4
    info = json.loads(pluginary("info", "zam  COMPRESSORS", "--catalog", str(zam), "-o", "json").stdout)
    assert len(info["plugins"]) == 4
    pluginary("ungroup", "Zam compressors", "--catalog", str(zam))
    with Catalog.open(zam, create=False) as catalog:
        assert len(catalog.products()) == 17


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_group_errors_are_one_plain_line(zam: Path) -> None:
    blank = pluginary("group", "ZamComp", "--as", "  ", "--catalog", str(zam), code=2)
    assert "a product's name must have some text" in blank.stderr
    unknown = pluginary("group", "ZamComp", "NoSuchPlugin", "--catalog", str(zam), code=2)
    assert "'NoSuchPlugin'" in unknown.stderr
    with Catalog.open(zam, create=False) as catalog:
        assert len(catalog.products()) == 17  # nothing was grouped


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_an_export_that_prefers_a_format_writes_one_entry_per_product(zam: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.csv"
    pluginary("export", "csv", str(out), "--prefer", "lv2,vst3", "--catalog", str(zam))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 17 and {row["format"] for row in rows} == {"lv2"}
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "name: p\nstages:\n  - store\n  - export:\n"
        f"      - {{format: json, path: {tmp_path / 'one.json'}, prefer: [vst3]}}\n"
        f"      - {{format: json, path: {tmp_path / 'all.json'}}}\n"
    )
    pluginary("run", str(pipeline), "--catalog", str(zam))
    one = json.loads((tmp_path / "one.json").read_text())["plugins"].values()
    every = json.loads((tmp_path / "all.json").read_text())["plugins"].values()
    assert (len(one), len(every)) == (17, 34) and {p["format"] for p in one} == {"vst3"}
    pipeline.write_text(pipeline.read_text().replace("[vst3]", "[vts3]"))
    typo = pluginary("run", str(pipeline), "--catalog", str(zam), code=2)
    assert f"{pipeline}:5:" in typo.stderr and "unknown format 'vts3'" in typo.stderr and "'vst3'" in typo.stderr


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_info_lists_the_plugins_of_several_products_that_share_a_name(tmp_path: Path) -> None:
    path = stored(
        tmp_path / "two.sqlite",
        Plugin("vst3:a", "vst3", "Comp", "/a.vst3", vendor="A"),
        Plugin("lv2:b", "lv2", "Comp", "/b.lv2", vendor="B"),
    )
    done = pluginary("info", "comp", "--catalog", str(path), "-o", "plain", code=1)
    assert "2 plugins are named 'comp'" in done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["lv2:b", "vst3:a"]
    tagged = pluginary("tag", "comp", "x", "--catalog", str(path), code=2)
    assert "'comp' names 2 products: " in tagged.stderr


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_a_fleet_diff_goes_by_the_stored_product(pg_server: Server, tmp_path: Path) -> None:
    """Two machines' catalogues merged into PostgreSQL: a user's grouping makes their plugins one product."""
    from pluginary.fleet import diff, merge

    sources = [
        stored(tmp_path / "a.sqlite", Plugin("vst3:c", "vst3", "Comp", "/c.vst3", vendor="V", host=Host("a"))),
        stored(tmp_path / "b.sqlite", Plugin("lv2:k", "lv2", "Kompressor", "/k", vendor="V", host=Host("b"))),
    ]
    with Catalog.open(pg_server.url(pg_server.database("products")), host="a") as fleet:
        merge(fleet, sources)
        assert [(d.name, d.status) for d in diff(fleet, "a", "b")] == [("Comp", "only A"), ("Kompressor", "only B")]
        fleet.backend.group(["vst3:c", "lv2:k"], "Comp")
        (one,) = diff(fleet, "a", "b")
        assert (one.name, one.status, one.a, one.b) == ("Comp", "formats differ", {"vst3": ""}, {"lv2": ""})


# -- hostile text -----------------------------------------------------------------------------


@pytest.mark.slow  # real scans and CLI processes: run by CI, left out of `-m 'not slow'`
def test_product_listings_escape_what_plugins_say(tmp_path: Path) -> None:
    path = stored(
        tmp_path / "hostile.sqlite",
        Plugin("vst3:e1", "vst3", "=HYPERLINK(1) \x1b[2J\u202e", "/e1.vst3", vendor="Evil\x9b31m"),
        Plugin("lv2:e1", "lv2", "=HYPERLINK(1) \x1b[2J\u202e (LV2)", "/e1.lv2", vendor="Evil\x9b31m"),
    )
    for output in ("plain", "table"):
        shown = pluginary("list", "--products", "--catalog", str(path), "-o", output).stdout
        assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown and "\\x1b[2J" in shown
    rows = list(csv.reader(io.StringIO(pluginary("list", "--products", "--catalog", str(path), "-o", "csv").stdout)))
    assert len(rows) == 2 and rows[1][1].startswith("'=HYPERLINK(1)")  # a spreadsheet would run it
    assert rows[1][3] == LIST_SEPARATOR.join(("vst3", "lv2"))
