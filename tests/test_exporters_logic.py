"""Logic's Plug-in Manager files for Audio Units whose codes Logic could never have given, and next to
property lists that Logic (or something else) left damaged."""

from __future__ import annotations

import plistlib
from pathlib import Path

import attrs
import pytest

from pluginary.core.errors import StageError
from pluginary.core.models import Plugin
from tests.test_exporters import catalogue, render

DELAY_TAGSET = "61756678-64656c79-6170706c.tagset"  # catalogue()'s au:aufx-dely-appl


def test_an_au_code_that_is_not_four_mac_roman_bytes_gets_no_tag_set_and_is_not_counted(tmp_path: Path) -> None:
    """An OSType is four bytes in Mac Roman: a code holding a character outside it (a JSON catalogue can
    hold any id) names no Audio Unit Logic knows, so it gets no file, and the export goes on."""
    delay = next(p for p in catalogue() if p.format == "au")
    foreign: Plugin = attrs.evolve(delay, id="au:aufx-d\u4e00ly-appl", name="Foreign")
    files = render("logic", tmp_path, [delay, foreign])
    assert sorted(files) == [DELAY_TAGSET, "MusicApps.properties", "MusicApps.tagpool"]
    assert plistlib.loads(files[DELAY_TAGSET]) == {"tags": {"Effect:Delay": "user", "Effect:Modulation": "user"}}
    # Only the one tag set counts: a second plugin in Effect/Delay would make these 2.
    assert plistlib.loads(files["MusicApps.tagpool"]) == {"Effect": 1, "Effect:Delay": 1, "Effect:Modulation": 1}


#: What a crash or a half-synced folder leaves: cut-off XML, a binary header over garbage, not a plist at all.
DAMAGED = [
    b'<?xml version="1.0"?><plist version="1.0"><dict><key>tags</key>',
    b"bplist00\x00\x01garbage",
    b"not a property list",
]


@pytest.mark.parametrize("content", DAMAGED)
@pytest.mark.parametrize("name", [DELAY_TAGSET, "MusicApps.tagpool", "MusicApps.properties"])
def test_a_damaged_file_to_merge_into_is_one_stage_error_naming_it(name: str, content: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "logic"
    folder.mkdir()
    (folder / name).write_bytes(content)
    with pytest.raises(StageError, match="not a readable property list") as caught:
        render("logic", tmp_path, catalogue())
    assert caught.value.where == str(folder / name)
    assert (folder / name).read_bytes() == content  # refused, not replaced


def test_a_property_list_that_is_no_dictionary_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "logic"
    folder.mkdir()
    (folder / DELAY_TAGSET).write_bytes(plistlib.dumps(["Effect:Delay"]))
    with pytest.raises(StageError, match="holds no dictionary"):
        render("logic", tmp_path, catalogue())


@pytest.mark.parametrize("content", DAMAGED)
def test_another_plugins_damaged_tag_set_is_left_alone_and_not_counted(
    content: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "logic"
    folder.mkdir()
    other = "61756678-61616161-6170706c.tagset"  # an AU this catalogue does not hold
    (folder / other).write_bytes(content)
    files = render("logic", tmp_path, catalogue())
    assert other not in files
    assert plistlib.loads(files["MusicApps.tagpool"]) == {"Effect": 1, "Effect:Delay": 1, "Effect:Modulation": 1}
    assert other in caplog.text and "not counted in the tag pool" in caplog.text
