"""Built-in diff stage: what is new, changed, gone or unchanged since the catalogue was written."""

from __future__ import annotations

from pathlib import Path

from pluginary.core.context import Diff, RunContext
from pluginary.core.hookspecs import hookimpl
from pluginary.core.models import PluginFile
from pluginary.core.options import DiffOptions


@hookimpl(trylast=True)
def pluginary_diff(context: RunContext, options: DiffOptions, found: list[PluginFile]) -> Diff:
    backend = context.backend
    stored = backend.stored_files() if backend else {}
    failures = backend.failures() if backend else {}
    diff = Diff()
    for file in found:
        failure = failures.get(file.path)
        if failure is not None:
            if failure.fingerprint == file.fingerprint and not (options.retry_failed or options.full):
                diff.quarantined += 1
            else:
                diff.retried.append(file)
        elif (old := stored.get(file.path)) is None:
            diff.added.append(file)
        elif old.fingerprint != file.fingerprint or options.full:
            diff.changed.append(file)
        else:
            diff.unchanged += 1
    diff.removed = _removed(context, found, [*stored.values(), *failures.values()])
    return diff


def _removed(context: RunContext, found: list[PluginFile], known: list) -> list[str]:
    """Known files that discover did not find, but only under folders it searched completely.

    A folder that was unreadable or not searched this time (another format,
    an extra path given once) says nothing about what is gone.
    """
    found_paths = {file.path for file in found}
    formats = {file.format for file in found} | context.searched_formats
    return sorted(
        {
            item.path
            for item in known
            if item.path not in found_paths
            and item.format in formats
            and _under(item.path, context.searched_roots)
            and not _under(item.path, context.unsearched)
        }
    )


def _under(path: str, folders: list[Path]) -> bool:
    return any(Path(path).is_relative_to(folder) for folder in folders)
