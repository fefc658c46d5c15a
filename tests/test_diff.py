"""The diff stage on real folders and a real catalogue: what is new, changed, gone, kept or retried.

Discover walks real bundles (the format's own signature files decide what a
change is); the catalogue is a real SQLite file written as a scan would write it.
Nothing is loaded: diff decides what the scan stage will load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pluginary.backends.sqlite import SQLiteBackend
from pluginary.core.context import Diff, RunContext
from pluginary.core.models import FailureKind, FileResult, Plugin, PluginFile, ScanFailure
from pluginary.core.options import DiffOptions, DiscoverOptions, Pipeline
from pluginary.stages.diff import pluginary_diff
from pluginary.stages.discover import pluginary_discover

REPO = Path(__file__).resolve().parents[1]


def make_bundle(path: Path, content: bytes = b"v1") -> Path:
    binary = path / "Contents" / "x86_64-linux" / f"{path.stem}.so"
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_bytes(content)
    return path


class Catalogue:
    """A real SQLite catalogue and the runs of discover + diff over real folders."""

    def __init__(self, tmp_path: Path) -> None:
        self.backend = SQLiteBackend(tmp_path / "catalog.sqlite")

    def diff(self, *roots: Path, full: bool = False, retry_failed: bool = False) -> tuple[Diff, RunContext]:
        discover = DiscoverOptions(formats=("vst3",), extra_paths=roots, standard_paths=False)
        context = RunContext(pipeline=Pipeline(name="test", path=Path("test.yaml")), backend=self.backend)
        found = pluginary_discover(context, discover)
        return pluginary_diff(context, DiffOptions(full=full, retry_failed=retry_failed), found), context

    def store(self, diff: Diff, *, failing: tuple[str, ...] = ()) -> None:
        """What a scan of `diff.to_scan` would store: a plugin per bundle, or a failure for `failing` names."""
        self.backend.remove(diff.removed)
        self.backend.write([self._result(file, Path(file.path).stem in failing) for file in diff.to_scan])

    @staticmethod
    def _result(file: PluginFile, fails: bool) -> FileResult:
        name = Path(file.path).stem
        if fails:
            failure = ScanFailure(path=file.path, format="vst3", fingerprint=file.fingerprint, kind=FailureKind.CRASH)
            return FileResult(file=file, failure=failure)
        return FileResult(file=file, plugins=(Plugin(id=f"vst3:{name}", format="vst3", name=name, path=file.path),))


def names(files: list[PluginFile] | list[str]) -> list[str]:
    return sorted(Path(f if isinstance(f, str) else f.path).stem for f in files)


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    return Catalogue(tmp_path)


def test_new_changed_unchanged_and_removed(catalogue: Catalogue, tmp_path: Path) -> None:
    root = tmp_path / "vst3"
    for name in ("Keep", "Edit", "Drop"):
        make_bundle(root / f"{name}.vst3")
    first, _ = catalogue.diff(root)
    assert names(first.added) == ["Drop", "Edit", "Keep"] and not first.changed and not first.removed
    catalogue.store(first)

    make_bundle(root / "Edit.vst3", b"version two")  # the binary changes size: a new version
    make_bundle(root / "New.vst3")
    (root / "Drop.vst3" / "Contents" / "x86_64-linux" / "Drop.so").unlink()
    (root / "Drop.vst3" / "Contents" / "x86_64-linux").rmdir()
    (root / "Drop.vst3" / "Contents").rmdir()
    (root / "Drop.vst3").rmdir()
    second, _ = catalogue.diff(root)
    assert (names(second.added), names(second.changed), names(second.removed)) == (["New"], ["Edit"], ["Drop"])
    assert second.unchanged == 1 and names(second.to_scan) == ["Edit", "New"]


def test_preset_files_in_any_case_are_found_and_each_edit_is_a_change(catalogue: Catalogue, tmp_path: Path) -> None:
    root = tmp_path / "vst3"
    make_bundle(root / "Synth.vst3")
    make_bundle(root / "Loud.VST3")
    folder = root / "presets" / "Vendor" / "Synth"
    folder.mkdir(parents=True)
    for name in ("Pad.vstpreset", "Bass.VSTPreset", "Lead.vstpreset", "notes.txt"):
        (folder / name).write_bytes(b"VST3 preset")
    (root / "Synth.vst3" / "Contents" / "Inside.vstpreset").write_bytes(b"part of its bundle, not a preset file")
    first, _ = catalogue.diff(root)
    assert names(first.added) == ["Bass", "Lead", "Loud", "Pad", "Synth"]
    assert {file.format for file in first.added} == {"vst3"}
    catalogue.store(first)

    (folder / "Pad.vstpreset").write_bytes(b"VST3 preset, saved again")  # another size
    lead = (folder / "Lead.vstpreset").stat()
    os.utime(folder / "Lead.vstpreset", ns=(lead.st_atime_ns, lead.st_mtime_ns + 10**9))  # only a later mtime
    (folder / "Bass.VSTPreset").unlink()
    second, _ = catalogue.diff(root)
    assert (names(second.changed), names(second.removed), second.unchanged) == (["Lead", "Pad"], ["Bass"], 2)


def test_full_rescans_everything_found(catalogue: Catalogue, tmp_path: Path) -> None:
    root = tmp_path / "vst3"
    for name in ("A", "B"):
        make_bundle(root / f"{name}.vst3")
    catalogue.store(catalogue.diff(root)[0])
    assert catalogue.diff(root)[0].to_scan == []
    full, _ = catalogue.diff(root, full=True)
    assert names(full.changed) == ["A", "B"] and full.unchanged == 0


def test_quarantine_holds_until_the_file_changes_or_a_retry_is_asked(catalogue: Catalogue, tmp_path: Path) -> None:
    root = tmp_path / "vst3"
    make_bundle(root / "Crash.vst3")
    catalogue.store(catalogue.diff(root)[0], failing=("Crash",))
    held, _ = catalogue.diff(root)
    assert held.quarantined == 1 and held.to_scan == []
    asked, _ = catalogue.diff(root, retry_failed=True)
    assert names(asked.retried) == ["Crash"]
    also_full, _ = catalogue.diff(root, full=True)
    assert names(also_full.retried) == ["Crash"]
    make_bundle(root / "Crash.vst3", b"a fixed build")
    changed, _ = catalogue.diff(root)
    assert names(changed.retried) == ["Crash"] and changed.quarantined == 0


def test_a_deleted_quarantined_bundle_leaves_the_quarantine(catalogue: Catalogue, tmp_path: Path) -> None:
    root = tmp_path / "vst3"
    make_bundle(root / "Crash.vst3")
    make_bundle(root / "Fine.vst3")
    catalogue.store(catalogue.diff(root)[0], failing=("Crash",))
    for path in sorted((root / "Crash.vst3").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (root / "Crash.vst3").rmdir()
    gone, _ = catalogue.diff(root)
    assert names(gone.removed) == ["Crash"]
    catalogue.store(gone)
    assert catalogue.backend.failures() == {}


def test_scanning_one_folder_removes_nothing_outside_it(catalogue: Catalogue, tmp_path: Path) -> None:
    one, other = tmp_path / "one", tmp_path / "other"
    make_bundle(one / "A.vst3")
    make_bundle(other / "B.vst3")
    catalogue.store(catalogue.diff(one, other)[0])
    only_one, _ = catalogue.diff(one)
    assert only_one.removed == [] and only_one.unchanged == 1


def test_files_of_formats_not_searched_are_not_removed(catalogue: Catalogue, tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    make_bundle(root / "A.vst3")
    lv2 = PluginFile(path=str(root / "amp.lv2"), format="lv2", size=1, mtime_ns=1, fingerprint="x")
    plugin = Plugin(id="lv2:urn:amp", format="lv2", name="Amp", path=lv2.path)
    catalogue.backend.write([FileResult(file=lv2, plugins=(plugin,))])  # a vst3-only discover cannot see it
    diff, _ = catalogue.diff(root)
    assert diff.removed == [] and names(diff.added) == ["A"]


def test_an_unplugged_drive_keeps_its_plugins(catalogue: Catalogue, tmp_path: Path) -> None:
    root, drive = tmp_path / "vst3", tmp_path / "usb"
    make_bundle(root / "Local.vst3")
    make_bundle(drive / "Vendor" / "External.vst3")
    (root / "External").symlink_to(drive / "Vendor")
    catalogue.store(catalogue.diff(root)[0])
    assert len(catalogue.backend.stored_files()) == 2
    (drive / "Vendor").rename(drive / "elsewhere")  # the link now dangles
    diff, context = catalogue.diff(root)
    assert diff.removed == [] and diff.unchanged == 1
    assert context.unsearched == [root / "External"]
    assert any("External" in warning and "cannot be reached" in warning for warning in context.summary.warnings)


UNPRIVILEGED_DIFF = """
import os, sys
from pathlib import Path
import pluginary.formats.vst3  # imported while root: nobody cannot read root's Python
from pluginary.core import components
components.available("format")  # the entry points too (read once per process), from root's site-packages
from pluginary.backends.sqlite import SQLiteBackend
from tests.test_diff import Catalogue
if os.geteuid() == 0:
    os.setgid(65534); os.setuid(65534)  # nobody, after the imports: permissions apply again
catalogue = Catalogue.__new__(Catalogue)
catalogue.backend = SQLiteBackend(Path(sys.argv[1]), read_only=True)
diff, context = catalogue.diff(Path(sys.argv[2]))
print(diff.removed, diff.unchanged, [str(p) for p in context.unsearched])
"""


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_an_unreadable_folder_keeps_its_plugins() -> None:
    """Run unprivileged (root reads any folder): as root, the child drops to `nobody` itself."""
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        top = Path(scratch)
        top.chmod(0o755)
        catalogue = Catalogue(top)
        root = top / "vst3"
        make_bundle(root / "Open.vst3")
        make_bundle(root / "Vendor" / "Locked.vst3")
        catalogue.store(catalogue.diff(root)[0])
        catalogue.backend.close()
        for path in top.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (root / "Vendor").chmod(0o000)
        command = [sys.executable, "-c", UNPRIVILEGED_DIFF, str(top / "catalog.sqlite"), str(root)]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
        (root / "Vendor").chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == f"[] 1 ['{root / 'Vendor'}']"
