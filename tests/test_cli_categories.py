"""`pluginary categorize` on a real catalogue: Debian's zam plugins scanned for real (ZamComp as VST3
and LV2, one product; ZamDelay as VST3) into a SQLite file, every command a `python -m pluginary`
process, as a user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pluginary import Catalog
from tests.support import need
from tests.test_products import pluginary

# Real scans and CLI processes: run by CI, left out of `-m 'not slow'`.
pytestmark = pytest.mark.slow

BUNDLES = (Path("/usr/lib/vst3/ZamComp.vst3"), Path("/usr/lib/lv2/ZamComp.lv2"), Path("/usr/lib/vst3/ZamDelay.vst3"))
ZAM_COMP = ("vst3:2046504473616C63504D435A00000000", "lv2:urn:zamaudio:ZamComp")
ZAM_DELAY = "vst3:2046504473616C634C444D5A00000000"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need(all(bundle.exists() for bundle in BUNDLES), "needs Debian's zam-plugins (apt-get install zam-plugins)")
    catalog = tmp_path_factory.mktemp("zam") / "zam.sqlite"
    pluginary("scan", *map(str, BUNDLES), "--catalog", str(catalog))
    return catalog


@pytest.fixture
def zam(scanned: Path, tmp_path: Path) -> Path:
    """A copy of the scanned catalogue, for a test to change."""
    return Path(shutil.copy(scanned, tmp_path / "zam.sqlite"))


def first_categories(path: Path) -> dict[str, str]:
    """Each plugin id → the category it shows first."""
    with Catalog.open(path, create=False) as catalog:
        return {plugin.id: plugin.categories[0].name for plugin in catalog.plugins()}


def plain(path: Path, *args: str) -> list[str]:
    """The plugin ids a listing command prints."""
    return [line.split("\t")[0] for line in pluginary(*args, "--catalog", str(path), "-o", "plain").stdout.splitlines()]


def test_a_product_and_a_plugin_take_a_user_category_that_survives_a_rescan(zam: Path) -> None:
    scanned = first_categories(zam)
    assert scanned == {ZAM_COMP[0]: "Effect/Dynamics", ZAM_COMP[1]: "Effect/Dynamics", ZAM_DELAY: "Effect/Delay"}
    # A name two formats of one product share sets the product's category.
    done = pluginary("categorize", "ZamComp", "mastering", "--catalog", str(zam))
    assert done.stdout == "damienzammit/zamcomp (vst3, lv2): Effect/Mastering\n"
    done = pluginary("categorize", ZAM_COMP[1], "effect / channel strip", "--catalog", str(zam))
    assert done.stdout.startswith(f"{ZAM_COMP[1]}: Effect/Channel Strip, ")  # its own, shown first
    done = pluginary("categorize", "--product", "ZamDelay", "Effect/Modulation", "--catalog", str(zam))
    assert done.stdout == "damienzammit/zamdelay (vst3): Effect/Modulation\n"
    chosen = {ZAM_COMP[0]: "Effect/Mastering", ZAM_COMP[1]: "Effect/Channel Strip", ZAM_DELAY: "Effect/Modulation"}
    assert first_categories(zam) == chosen
    assert plain(zam, "list", "--category", "Effect/Mastering") == [ZAM_COMP[0]]
    assert plain(zam, "search", "channel strip") == [ZAM_COMP[1]]
    assert "Effect/Mastering" in pluginary("stats", "--catalog", str(zam), "-o", "plain").stdout
    pluginary("scan", *map(str, BUNDLES), "--full", "--catalog", str(zam))  # every plugin read again
    assert first_categories(zam) == chosen
    done = pluginary("categorize", ZAM_COMP[1], "--clear", "--catalog", str(zam))
    assert done.stdout.startswith(f"{ZAM_COMP[1]}: Effect/Mastering, ")  # the product's shows again
    done = pluginary("categorize", "ZamComp", "--clear", "--catalog", str(zam))
    assert done.stdout == "damienzammit/zamcomp (vst3, lv2): (no user category)\n"
    assert first_categories(zam) == {**scanned, ZAM_DELAY: "Effect/Modulation"}


def test_mistakes_are_one_line_errors(zam: Path) -> None:
    before = zam.read_bytes()
    unknown = pluginary("categorize", "ZamDelay", "Effect/Reverbb", "--catalog", str(zam), code=2).stderr
    assert "'Effect/Reverbb' is not a category" in unknown and "Effect/Reverb" in unknown
    hostile = pluginary("categorize", "ZamDelay", "\x1b[31mred", "--catalog", str(zam), code=2).stderr
    assert "\x1b" not in hostile and "Effect/Reverb" in hostile  # escaped, with every name to choose from
    nobody = pluginary("categorize", "ZamNothing", "reverb", "--catalog", str(zam), code=2).stderr
    assert "no plugin has the id or name 'ZamNothing'" in nobody
    for args in (("ZamDelay",), ("ZamDelay", "reverb", "--clear")):
        both = pluginary("categorize", *args, "--catalog", str(zam), code=2).stderr
        assert "give a CATEGORY or --clear" in both
    assert first_categories(zam)[ZAM_DELAY] == "Effect/Delay"
    assert zam.read_bytes() == before


def test_a_reaper_export_files_a_plugin_under_the_users_category(zam: Path, tmp_path: Path) -> None:
    pluginary("categorize", "ZamDelay", "Effect/Modulation", "--catalog", str(zam))
    resource = tmp_path / "REAPER"
    resource.mkdir()
    pluginary("export", "reaper", str(resource), "--catalog", str(zam))
    tags = (resource / "reaper-fxtags.ini").read_text().splitlines()
    assert "ZamDelay.vst3=Modulation|Delay" in tags  # the user's first, then the format's own
    assert "ZamComp.vst3=Dynamics" in tags
    folders = (resource / "reaper-fxfolders.ini").read_text()
    assert "=Pluginary: Effect/Modulation\n" in folders
