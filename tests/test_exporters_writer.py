"""`write_outputs` at its edges: the backup names a user finds beside a DAW file, and where a dry run stops
reading an old file to show its diff."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime
from pathlib import Path

from pluginary.core.interfaces import OutputFile
from pluginary.exporters.writer import BACKUP_TIME_FORMAT, backups, write_outputs

#: docs/exporters.md: a dry run's diff covers files up to 64 MB, "files over 64 MB get a one-line summary".
DOCUMENTED_DIFF_LIMIT = 64 * 1024 * 1024


def test_backups_are_named_by_their_time_and_numbered_only_after_the_first_of_a_second(tmp_path: Path) -> None:
    path = tmp_path / "reaper-fxtags.ini"
    path.write_bytes(b"0\n")
    older = tmp_path / "reaper-fxtags.ini.20200101-000000-7.bak"  # from a run long ago: numbers its second only
    older.write_bytes(b"old\n")
    before = datetime.now().replace(microsecond=0)
    for number in range(1, 4):  # quicker than a second apart: some share a time stamp
        write_outputs([OutputFile(path, f"{number}\n".encode())], dry_run=False)
    assert backups(path)[0] == older
    found = backups(path)[1:]
    assert [p.read_bytes() for p in found] == [b"0\n", b"1\n", b"2\n"]
    by_stamp: dict[str, list[str]] = {}
    for backup in found:
        match = re.fullmatch(r"reaper-fxtags\.ini\.(\d{8}-\d{6})(-\d+)?\.bak", backup.name)
        assert match, backup.name
        assert before <= datetime.strptime(match[1], BACKUP_TIME_FORMAT) <= datetime.now()
        by_stamp.setdefault(match[1], []).append(match[2] or "")
    for numbers in by_stamp.values():  # `x.bak`, then `x-2.bak`, `x-3.bak` within the same second
        assert numbers == ["", *(f"-{n}" for n in range(2, len(numbers) + 1))]


def test_a_dry_run_reads_an_old_file_up_to_the_diff_limit_and_only_summarises_a_larger_one(tmp_path: Path) -> None:
    """Sparse files of zeros (binary, so summarised in one line either way): the one at the limit is read to
    compare it, the one a byte larger is not."""
    at_limit, above = tmp_path / "at_limit.tagset", tmp_path / "above.tagset"
    for path, size in ((at_limit, DOCUMENTED_DIFF_LIMIT), (above, DOCUMENTED_DIFF_LIMIT + 1)):
        with path.open("wb") as handle:
            handle.truncate(size)
    changes = write_outputs([OutputFile(at_limit, b"x"), OutputFile(above, b"x")], dry_run=True)
    assert [c.diff for c in changes] == [
        f"Binary file {at_limit} differs ({DOCUMENTED_DIFF_LIMIT} → 1 bytes)\n",
        f"File {above} differs ({DOCUMENTED_DIFF_LIMIT + 1} → 1 bytes, too large to show)\n",
    ]
    assert (at_limit.stat().st_size, above.stat().st_size) == (DOCUMENTED_DIFF_LIMIT, DOCUMENTED_DIFF_LIMIT + 1)


def test_a_new_file_gets_the_permissions_the_umask_leaves(tmp_path: Path) -> None:
    """As any program creating a file would give it (0o666 less the umask), not the temporary file's 0o600."""
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        path = tmp_path / f"{umask:o}" / "plugins.csv"
        old = os.umask(umask)
        try:
            write_outputs([OutputFile(path, b"id\r\n")], dry_run=False)
        finally:
            os.umask(old)
        assert stat.S_IMODE(path.stat().st_mode) == mode
