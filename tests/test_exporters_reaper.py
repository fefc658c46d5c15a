"""REAPER's Favorites folder: the user's favourite plugins added to it, nothing of the user's taken out."""

from __future__ import annotations

from pathlib import Path

import attrs

from tests.test_exporters import REAPER_FOLDERS, catalogue, ini, render

PRO_Q = "/usr/lib/vst3/FabFilter Pro-Q 3.vst3"  # catalogue()'s only plugin tagged favorite


def folders_of(files: dict[str, bytes]) -> tuple[dict[str, str], object]:
    folders = ini(files["reaper-fxfolders.ini"])
    count = int(folders["Folders"]["NbFolders"])
    return {folders["Folders"][f"Name{i}"]: folders["Folders"][f"Id{i}"] for i in range(count)}, folders


def test_a_new_resource_folder_gets_reapers_favorites_folder_with_the_favourites(tmp_path: Path) -> None:
    named, folders = folders_of(render("reaper", tmp_path, catalogue(), tags=False))
    assert list(named)[0] == "Favorites"
    favorites = folders[f"Folder{named['Favorites']}"]  # type: ignore[index]
    assert dict(favorites) == {"Item0": PRO_Q, "Type0": "3", "Nb": "1"}
    assert len(set(named.values())) == len(named)  # every folder its own id


def test_favourites_join_the_users_favorites_and_nothing_of_theirs_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "reaper"
    folder.mkdir()
    (folder / "reaper-fxfolders.ini").write_bytes(REAPER_FOLDERS.encode())
    named, folders = folders_of(render("reaper", tmp_path, catalogue(), tags=False))
    assert named["Favorites"] == "0"
    favorites = dict(folders["Folder0"])  # type: ignore[index]
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
    named, folders = folders_of({"reaper-fxfolders.ini": first})
    assert dict(folders["Folder3"]) == {"Item5": PRO_Q, "Type5": "3", "Nb": "6"}  # type: ignore[index]
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
    assert folders[f"Folder{named['Favorites']}"]["Nb"] == "4"  # type: ignore[index]
