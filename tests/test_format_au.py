"""The Audio Unit format: Info.plist fixtures everywhere, loading on macOS only."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path
from typing import Any

import pytest

from pluginary.core.errors import PluginaryError
from pluginary.core.interfaces import PluginFormat, ScanSettings
from pluginary.core.models import Plugin
from pluginary.formats.au import AUFormat

SETTINGS = ScanSettings()
#: Every Audio Unit type code of AUComponent.h, with what it says about instrument/effect.
TYPES = {
    "aufx": "effect",
    "aumf": "effect",
    "aumu": "instrument",
    "augn": "",
    "aumi": "",
    "auou": "",
    "aufc": "",
    "aupn": "",
    "aumx": "",
    "auol": "",
    "aurx": "",
    "aurg": "",
    "auri": "",
    "aurm": "",
}

on_linux_only = pytest.mark.skipif(
    sys.platform == "darwin", reason="on macOS, scan also loads the unit, which a fixture bundle has no code for"
)


def write_component(folder: Path, info: dict[str, Any], *, fmt: plistlib.PlistFormat = plistlib.FMT_XML) -> Path:
    contents = folder / "Contents"
    (contents / "MacOS").mkdir(parents=True)
    (contents / "MacOS" / folder.stem).write_bytes(b"\xcf\xfa\xed\xfe")
    (contents / "Info.plist").write_bytes(plistlib.dumps(info, fmt=fmt))
    return folder


def component(au_type: str, subtype: str, manufacturer: str = "Plgn", **extra: Any) -> dict[str, Any]:
    return {"type": au_type, "subtype": subtype, "manufacturer": manufacturer, **extra}


def plugin(bundle: Path, au_type: str, subtype: str, name: str, **fields: Any) -> Plugin:
    return Plugin(
        id=f"au:{au_type}-{subtype}-Plgn",
        format="au",
        name=name,
        path=str(bundle),
        native_categories=(au_type, *fields.pop("tags", ())),
        is_instrument=TYPES[au_type] == "instrument",
        is_effect=TYPES[au_type] == "effect",
        **fields,
    )


def test_au_format_is_a_plugin_format() -> None:
    assert isinstance(AUFormat(), PluginFormat)
    assert AUFormat.name == "au" and AUFormat.bundle_suffixes == (".component",)


@on_linux_only
def test_every_type_code_one_plugin_per_component(tmp_path: Path) -> None:
    entries = [
        component(t, f"s{i:03d}", name=f"Plugin Co: Unit {t}", version=0x00010203, tags=["Tag"])
        for i, t in enumerate(TYPES)
    ]
    bundle = write_component(tmp_path / "Multi.component", {"CFBundleName": "Multi", "AudioComponents": entries})
    assert AUFormat().scan(bundle, SETTINGS) == [
        plugin(bundle, t, f"s{i:03d}", f"Unit {t}", vendor="Plugin Co", version="1.2.3", tags=("Tag",))
        for i, t in enumerate(TYPES)
    ]


@on_linux_only
@pytest.mark.parametrize("fmt", [plistlib.FMT_XML, plistlib.FMT_BINARY], ids=["xml", "binary"])
def test_names_versions_and_missing_keys(tmp_path: Path, fmt: plistlib.PlistFormat) -> None:
    info = {
        "CFBundleName": "Bundle Name",
        "CFBundleShortVersionString": "4.5.6",
        "AudioComponents": [
            component("aumu", "syn1", name="Acme Audio: Big Synth", version=0x000A0B0C),
            component("aufx", "dly1", name="No Colon Delay"),  # no vendor; bundle version
            component("aufx", "cmp1", name="Acme: Comp: Deluxe", version=65536),  # first colon splits
            component("aumf", "mfx1"),  # no name at all: the bundle's
            component("aufx", "tag1", name="Acme: Tagged", tags="Reverb"),  # tags must be a list
            {"type": "aufx", "subtype": "bad1", "name": "Acme: No Manufacturer"},
            component("aufx", "bad", name="Acme: Short Subtype"),
            component("adec", "mp3 ", name="Apple: MP3 Decoder"),  # a codec, no plugin
            "not a dictionary",
        ],
    }
    bundle = write_component(tmp_path / "Acme.component", info, fmt=fmt)
    assert AUFormat().scan(bundle, SETTINGS) == [
        plugin(bundle, "aumu", "syn1", "Big Synth", vendor="Acme Audio", version="10.11.12"),
        plugin(bundle, "aufx", "dly1", "No Colon Delay", version="4.5.6"),
        plugin(bundle, "aufx", "cmp1", "Comp: Deluxe", vendor="Acme", version="1.0.0"),
        plugin(bundle, "aumf", "mfx1", "Bundle Name", version="4.5.6"),
        plugin(bundle, "aufx", "tag1", "Tagged", vendor="Acme", version="4.5.6"),
    ]


@on_linux_only
def test_no_version_anywhere_and_no_bundle_name(tmp_path: Path) -> None:
    bundle = write_component(tmp_path / "Bare.component", {"AudioComponents": [component("augn", "gen1")]})
    assert AUFormat().scan(bundle, SETTINGS) == [plugin(bundle, "augn", "gen1", "Bare")]


def test_a_component_without_audio_components_gives_nothing(tmp_path: Path) -> None:
    # A legacy Component Manager unit, or a component that is no Audio Unit.
    bundle = write_component(tmp_path / "Legacy.component", {"CFBundleName": "Legacy"})
    assert AUFormat().scan(bundle, SETTINGS) == []


def test_missing_info_plist_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "Empty.component" / "Contents").mkdir(parents=True)
    with pytest.raises(PluginaryError, match=r"Empty\.component: no Contents/Info\.plist — .*reinstall"):
        AUFormat().scan(tmp_path / "Empty.component", SETTINGS)


@pytest.mark.parametrize("content", [b"<plist><dict><key>x", plistlib.dumps(["a", "list"])], ids=["broken", "list"])
def test_unreadable_info_plist_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bundle = write_component(tmp_path / "Bad.component", {})
    (bundle / "Contents" / "Info.plist").write_bytes(content)
    with pytest.raises(PluginaryError, match=r"Bad\.component/Contents/Info\.plist: .* — reinstall"):
        AUFormat().scan(bundle, SETTINGS)


def test_signature_files_are_the_plist_and_the_executables(tmp_path: Path) -> None:
    bundle = write_component(tmp_path / "Sig.component", {})
    (bundle / "Contents" / "Resources").mkdir()
    (bundle / "Contents" / "Resources" / "icon.icns").write_bytes(b"")
    assert AUFormat().signature_files(bundle) == [
        bundle / "Contents" / "Info.plist",
        bundle / "Contents" / "MacOS" / "Sig",
    ]


def test_default_roots_are_the_macos_component_folders() -> None:
    roots = AUFormat().default_roots()
    if sys.platform == "darwin":
        assert roots == [
            Path.home() / "Library/Audio/Plug-Ins/Components",
            Path("/Library/Audio/Plug-Ins/Components"),
            Path("/System/Library/Components"),
        ]
    else:
        assert roots == []


@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="Audio Unit loading needs macOS")
def test_loading_on_macos_adds_parameters() -> None:
    from pluginary.formats.au import read_components

    effects = [
        (bundle, p)
        for root in AUFormat().default_roots()
        if root.is_dir()
        for bundle in sorted(root.glob("*.component"))
        for p in read_components(bundle)
        if p.id.startswith("au:aufx-") and p.id.endswith("-appl")
    ]
    if not effects:
        pytest.skip("no Apple effect Audio Unit with AudioComponents in its Info.plist")
    bundle, listed = effects[0]
    loaded = {p.id: p for p in AUFormat().scan(bundle, SETTINGS)}[listed.id]
    assert loaded.name == listed.name and loaded.parameters
    assert all(p.minimum == 0.0 and p.maximum == 1.0 for p in loaded.parameters)
    assert all(p.default is not None and 0.0 <= p.default <= 1.0 for p in loaded.parameters)
