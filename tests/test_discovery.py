"""The discovery walk over real folders: nesting, bundles, symlink loops, unreadable and undecodable names."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pluginary.scanning.discovery import find_bundles, plugin_file, preset_file

REPO = Path(__file__).resolve().parents[1]


def walk(*roots: Path) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    found = find_bundles(list(roots), (".vst3", ".lv2"), lambda _path, message: warnings.append(message))
    return sorted(str(p.relative_to(roots[0])) for p in found), warnings


def bundle(path: Path) -> Path:
    (path / "Contents" / "x86_64-linux").mkdir(parents=True)
    # A bundle inside a bundle is part of it, never a plugin of its own.
    (path / "Contents" / "Resources" / "Inner.vst3").mkdir(parents=True)
    return path


def test_nested_vendor_folders_are_searched_bundles_are_not_entered(tmp_path: Path) -> None:
    bundle(tmp_path / "Top.vst3")
    bundle(tmp_path / "Vendor" / "Suite" / "Deep.VST3")
    (tmp_path / "Vendor" / "amp.lv2").mkdir()
    (tmp_path / "Vendor" / "readme.txt").write_text("not a plugin")
    found, warnings = walk(tmp_path)
    assert found == ["Top.vst3", "Vendor/Suite/Deep.VST3", "Vendor/amp.lv2"]
    assert warnings == []


def test_symlink_loops_and_overlapping_roots_end_with_one_warning(tmp_path: Path) -> None:
    bundle(tmp_path / "Vendor" / "A.vst3")
    (tmp_path / "Vendor" / "again").symlink_to(tmp_path)  # a loop back to the root
    (tmp_path / "Vendor" / "dangling").symlink_to(tmp_path / "gone")
    found, warnings = walk(tmp_path, tmp_path / "Vendor")
    assert found == ["Vendor/A.vst3"]  # once, although two roots and a loop lead to it
    assert [w for w in warnings if "symlink loop" in w] == [
        f"{tmp_path / 'Vendor' / 'again'}: symlink loop or folder seen already; skipped"
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux file names can hold bytes that are not UTF-8")
def test_a_bundle_whose_name_is_not_utf8_is_reported_not_scanned(tmp_path: Path) -> None:
    bundle(tmp_path / "Good.vst3")
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"Caf\xe9 Verb.vst3"))  # Latin-1 é
    found, warnings = walk(tmp_path)
    assert found == ["Good.vst3"]
    assert warnings == [f"{tmp_path}/Caf\\xe9 Verb.vst3: the name is not valid UTF-8; skipped (rename it to scan it)"]


UNPRIVILEGED_WALK = """
import os, sys
from pathlib import Path
from pluginary.scanning.discovery import find_bundles, plugin_file
os.setgid(65534); os.setuid(65534)  # nobody, after the imports: permissions apply again
warnings = []
found = [p.name for p in find_bundles([Path(sys.argv[1])], (".vst3",), lambda _p, m: warnings.append(m))]
print(found); print(warnings)
"""


def test_an_unreadable_folder_is_reported_and_the_walk_goes_on() -> None:
    """Run as an unprivileged user (root reads any folder); as root the test drops to `nobody` itself."""
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        root = Path(scratch)
        root.chmod(0o755)
        bundle(root / "Open" / "Fine.vst3")
        bundle(root / "Locked" / "Hidden.vst3")
        for folder in (root / "Open", root / "Open" / "Fine.vst3"):
            folder.chmod(0o755)
        (root / "Locked").chmod(0o300)  # can enter, cannot list
        command = [sys.executable, "-c", UNPRIVILEGED_WALK, str(root)]
        if os.geteuid() != 0:
            command[2] = UNPRIVILEGED_WALK.replace("os.setgid(65534); os.setuid(65534)", "pass")
        out = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "['Fine.vst3']"
    assert out[1] == (
        f"['{root / 'Locked'}: cannot read (Permission denied); skipped (the catalogue keeps what it holds there)']"
    )


def test_dangling_links_and_link_loops_are_skipped_not_found(tmp_path: Path) -> None:
    bundle(tmp_path / "Real.vst3")
    (tmp_path / "Unplugged").symlink_to(tmp_path / "media" / "usb" / "plugins")  # a drive not mounted
    (tmp_path / "Gone.vst3").symlink_to(tmp_path / "nowhere.vst3")
    (tmp_path / "Loop.vst3").symlink_to(tmp_path / "Loop.vst3")
    skipped: list[Path] = []
    found = list(find_bundles([tmp_path], (".vst3",), lambda path, _message: skipped.append(path)))
    assert found == [tmp_path / "Real.vst3"]  # neither link is a plugin that failed to load
    assert sorted(skipped) == sorted([tmp_path / "Unplugged", tmp_path / "Gone.vst3", tmp_path / "Loop.vst3"])
    _, warnings = walk(tmp_path)
    assert (
        f"{tmp_path / 'Unplugged'}: a link to {tmp_path / 'media/usb/plugins'}, which cannot be reached"
        in (warnings[2])
    )


def test_a_signature_file_moved_inside_its_bundle_is_a_change(tmp_path: Path) -> None:
    bundle = tmp_path / "amp.lv2"
    (bundle / "a").mkdir(parents=True)
    (bundle / "b").mkdir()
    data = bundle / "a" / "amp.ttl"
    data.write_text("@prefix lv2: <http://lv2plug.in/ns/lv2core#> .")
    before = plugin_file(bundle, "lv2", [data])
    stat = data.stat()
    moved = data.rename(bundle / "b" / "amp.ttl")
    os.utime(moved, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime: only the place differs
    after = plugin_file(bundle, "lv2", [moved])
    assert (after.size, after.mtime_ns) == (before.size, before.mtime_ns)
    assert after.fingerprint != before.fingerprint


def test_a_preset_file_is_recorded_as_a_bundle_that_is_its_own_signature(tmp_path: Path) -> None:
    """preset_file is plugin_file's shortcut: the same record, so catalogues keep their fingerprints."""
    preset = tmp_path / "Pad.vstpreset"
    preset.write_bytes(b"VST3 preset")
    path = str(preset)
    found = preset_file(path, "vst3")
    assert found == plugin_file(path, "vst3", [path])
    assert (found.path, found.size, found.mtime_ns) == (path, 11, preset.stat().st_mtime_ns)
    preset.unlink()  # gone between the walk and the stat
    assert preset_file(path, "vst3") == plugin_file(path, "vst3", [path])
