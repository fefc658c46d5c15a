"""REAPER's Favorites folder: the user's favourite plugins added to it, nothing of the user's taken out."""

from __future__ import annotations

import configparser
from pathlib import Path

import attrs

from pluginary.core.models import Category, Plugin
from tests.test_exporters import REAPER_FOLDERS, catalogue, ini, render

PRO_Q = "/usr/lib/vst3/FabFilter Pro-Q 3.vst3"  # catalogue()'s only plugin tagged favorite


def folders_of(files: dict[str, bytes]) -> tuple[dict[str, str], configparser.ConfigParser]:
    folders = ini(files["reaper-fxfolders.ini"])
    count = int(folders["Folders"]["NbFolders"])
    return {folders["Folders"][f"Name{i}"]: folders["Folders"][f"Id{i}"] for i in range(count)}, folders


def test_a_new_resource_folder_gets_reapers_favorites_folder_with_the_favourites(tmp_path: Path) -> None:
    named, folders = folders_of(render("reaper", tmp_path, catalogue(), tags=False))
    assert next(iter(named)) == "Favorites"
    favorites = folders[f"Folder{named['Favorites']}"]
    assert dict(favorites) == {"Item0": PRO_Q, "Type0": "3", "Nb": "1"}
    assert len(set(named.values())) == len(named)  # every folder its own id


def test_favourites_join_the_users_favorites_and_nothing_of_theirs_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "reaper"
    folder.mkdir()
    (folder / "reaper-fxfolders.ini").write_bytes(REAPER_FOLDERS.encode())
    named, folders = folders_of(render("reaper", tmp_path, catalogue(), tags=False))
    assert named["Favorites"] == "0"
    favorites = dict(folders["Folder0"])
    assert (favorites["Item0"], favorites["Item1"], favorites["Type1"], favorites["Nb"]) == (
        "ReJJ/ReEQ.jsfx",
        PRO_Q,
        "3",
        "2",
    )


def test_a_favourite_already_there_is_not_added_twice_and_reexport_is_stable(tmp_path: Path) -> None:
    folder = tmp_path / "reaper"
    folder.mkdir()
    target = folder / "reaper-fxfolders.ini"
    target.write_text(f"[Folders]\nId0=3\nName0=Favorites\nNbFolders=1\n\n[Folder3]\nItem5={PRO_Q}\nType5=3\nNb=6\n")
    first = render("reaper", tmp_path, catalogue(), tags=False)["reaper-fxfolders.ini"]
    _named, folders = folders_of({"reaper-fxfolders.ini": first})
    assert dict(folders["Folder3"]) == {"Item5": PRO_Q, "Type5": "3", "Nb": "6"}
    target.write_bytes(first)
    assert render("reaper", tmp_path, catalogue(), tags=False)["reaper-fxfolders.ini"] == first


def test_favourites_can_be_left_out_and_untagged_plugins_never_go_in(tmp_path: Path) -> None:
    named, _folders = folders_of(render("reaper", tmp_path, catalogue(), tags=False, favorites=False))
    assert "Favorites" not in named
    plain = [attrs.evolve(plugin, tags=()) for plugin in catalogue()]
    named, _folders = folders_of(render("reaper", tmp_path, plain, tags=False))
    assert "Favorites" not in named  # no favourite: REAPER's files get no folder they did not have
    spelled = [attrs.evolve(plugin, tags=(" Favourite ",)) for plugin in catalogue()]
    named, folders = folders_of(render("reaper", tmp_path, spelled, tags=False))
    assert folders[f"Folder{named['Favorites']}"]["Nb"] == "4"


# --- a VST3 shell's members, keyed as REAPER's own plugin cache keys them -----------------------------

SHELL = "/usr/lib/vst3/WaveShell1-VST3 14.0_x64.vst3"
C4, H_REVERB = "A1" * 16, "B2" * 16


def shell_plugins() -> list[Plugin]:
    return [
        Plugin(id=f"vst3:{C4}", format="vst3", name="C4", path=SHELL, vendor="Waves",
               categories=(Category("Effect/Dynamics"),)),
        Plugin(id=f"vst3:{H_REVERB}", format="vst3", name="H-Reverb", path=SHELL, vendor="Waves",
               categories=(Category("Effect/Reverb"),)),
    ]  # fmt: skip


def test_without_reapers_cache_a_shells_members_share_the_bundles_key(tmp_path: Path) -> None:
    tags = ini(render("reaper", tmp_path, shell_plugins(), folders=False)["reaper-fxtags.ini"])
    assert dict(tags["category"]) == {"WaveShell1_VST3_14.0_x64.vst3": "Dynamics|Reverb"}


def test_reapers_cache_gives_each_member_of_a_shell_its_own_key(tmp_path: Path) -> None:
    folder = tmp_path / "reaper"
    folder.mkdir()
    (folder / "reaper-vstplugins64.ini").write_text(
        "[vstcache]\n"
        "WaveShell1_VST3_14.0_x64.vst3=00D9A8E1C6A2DB01,<SHELL>\n"
        f"WaveShell1_VST3_14.0_x64.vst3<1094803304=00D9A8E1C6A2DB01,1094803304{{{C4.lower()}}},C4 Stereo (Waves)\n"
        f"WaveShell1_VST3_14.0_x64.vst3<1212765253=00D9A8E1C6A2DB01,1212765253{{{H_REVERB}}},H-Reverb (Waves)\n"
        "reaeq.dll=00E0,1919247729,ReaEQ (Cockos)\n"
        "broken line without a value\n"
        "[xvst3_compat]\n"
        f"other.vst3=1,2{{{'C3' * 16}}},Not read\n",
        encoding="utf-8",
    )
    tags = ini(render("reaper", tmp_path, shell_plugins(), folders=False)["reaper-fxtags.ini"])
    assert dict(tags["category"]) == {
        "WaveShell1_VST3_14.0_x64.vst3<1094803304": "Dynamics",
        "WaveShell1_VST3_14.0_x64.vst3<1212765253": "Reverb",
    }
    assert tags["developer"]["WaveShell1_VST3_14.0_x64.vst3<1094803304"] == "Waves"


def test_a_hostile_cache_key_stays_one_key(tmp_path: Path) -> None:
    folder = tmp_path / "reaper"
    folder.mkdir()
    (folder / "reaper-vstplugins64.ini").write_text(f"[vstcache]\n[evil].vst3<1=0,1{{{C4}}},x\n", encoding="utf-8")
    tags = render("reaper", tmp_path, shell_plugins()[:1], folders=False)["reaper-fxtags.ini"].decode()
    assert "[evil]" not in tags  # a line REAPER would read as a header is no key: the bundle's key is used
    assert "WaveShell1_VST3_14.0_x64.vst3=Dynamics" in tags
