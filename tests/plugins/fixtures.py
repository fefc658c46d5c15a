"""Pytest fixtures for real plugins: our compiled VST3 test plugin and Debian's packaged ones.

Registered for the whole suite through `pytest_plugins` in tests/conftest.py.
Missing tools or packages skip the test with a reason that says what to install
(`tests.support.need`); in CI (`PLUGINARY_REQUIRE_REAL_PLUGINS`) they fail instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pytest

from tests.plugins import BundleSpec, LinkMode, PluginSpec, build_library, default_cache_dir, find_compiler, make_bundle
from tests.support import need

DEBIAN_VST3_DIR = Path("/usr/lib/vst3")
DEBIAN_LV2_DIR = Path("/usr/lib/lv2")


class MakeVst3(Protocol):
    """The `make_vst3` fixture: write a bundle for a spec and return its `.vst3` path."""

    def __call__(self, spec: BundleSpec | PluginSpec, *, root: Path | None = None, link: LinkMode = "copy") -> Path: ...


@pytest.fixture(scope="session")
def vst3_library() -> Path:
    """The compiled test plugin library, built once and cached across sessions by source hash."""
    compiler = find_compiler()
    need(compiler, "needs a C compiler to build the VST3 test plugins (apt-get install gcc)")
    return build_library(default_cache_dir(), compiler)


@pytest.fixture
def make_vst3(tmp_path: Path, vst3_library: Path) -> MakeVst3:
    """Make real VST3 bundles under `tmp_path / "vst3"` (or `root`), one call per bundle."""

    def make(spec: BundleSpec | PluginSpec, *, root: Path | None = None, link: LinkMode = "copy") -> Path:
        folder = root or tmp_path / "vst3"
        folder.mkdir(parents=True, exist_ok=True)
        return make_bundle(folder, spec, vst3_library, link=link)

    return make


@pytest.fixture(scope="session")
def debian_vst3_dir() -> Path:
    """/usr/lib/vst3 holding Debian's zam-plugins VST3 bundles (real DPF plugins by Damien Zammit)."""
    need(
        any(DEBIAN_VST3_DIR.glob("Za*.vst3")),
        f"needs Debian's zam-plugins VST3 bundles in {DEBIAN_VST3_DIR} (apt-get install zam-plugins)",
    )
    return DEBIAN_VST3_DIR


@pytest.fixture(scope="session")
def debian_lv2_dir() -> Path:
    """/usr/lib/lv2 holding Debian's LV2 bundles from lsp-plugins-lv2, lv2-examples and zam-plugins."""
    need(
        any(DEBIAN_LV2_DIR.glob("lsp-plugins*.lv2"))
        and (DEBIAN_LV2_DIR / "eg-amp.lv2").is_dir()
        and any(DEBIAN_LV2_DIR.glob("Za*.lv2")),
        f"needs Debian's LV2 plugins in {DEBIAN_LV2_DIR} (apt-get install lsp-plugins-lv2 lv2-examples zam-plugins)",
    )
    return DEBIAN_LV2_DIR


#: Where Debian's `ardour` package puts Ardour's VST3 scanner, beside the private libraries it links.
ARDOUR_VST3_SCANNER = "usr/lib/ardour*/ardour-vst3-scanner"


@pytest.fixture(scope="session")
def ardour_vst3_scanner() -> Path:
    """Ardour's own VST3 scanner, `ardour-vst3-scanner`: what a real host reads from a VST3 bundle."""
    found = sorted(Path("/").glob(ARDOUR_VST3_SCANNER))
    need(found, "needs Ardour's VST3 scanner (apt-get install --no-install-recommends ardour)")
    return found[-1]
