"""The child process a scan started from the page runs in: `pluginary scan`'s pipeline, with an
observer that writes each hook call as one JSON line for the server to stream.

    python -m pluginary.server.scan_process [--catalog PATH] [--full] [--retry-failed] [PATH…]

Why a child process and not a thread of the server: the scan pool forks workers, and forking
a process that runs threads (uvicorn's, the request pool's) can copy a lock another thread
held; a crash or leak in the scan machinery stays out of the server; Ctrl-C's clean path
(KeyboardInterrupt in the main thread: workers killed, finished batches kept) is what a
SIGINT from the server's cancel button gives here; and the catalogue's writer lock is taken
by this process exactly as by `pluginary scan`, so a scan from the page and one from a
terminal exclude each other the same way.

Events go to a private copy of standard output, and standard output itself is pointed at
standard error, so nothing a library or plugin prints can corrupt the event stream.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import IO, Any

import attrs

from pluginary.core.context import RunContext, RunSummary
from pluginary.core.errors import PluginaryError
from pluginary.core.hookspecs import hookimpl
from pluginary.core.models import Plugin, ScanFailure

EXIT_INTERRUPTED = 130


class EventWriter:
    """An observer plugin: every observer hook of the run as one JSON line."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def emit(self, event: dict[str, Any]) -> None:
        self.out.write(json.dumps(event, default=str) + "\n")
        self.out.flush()

    @hookimpl
    def pluginary_before_stage(self, context: RunContext, stage: str) -> None:
        total = None
        if stage == "scan":
            total = len(context.diff.to_scan) if context.diff else len(context.found)
        self.emit({"type": "stage", "stage": stage, "total": total})

    @hookimpl
    def pluginary_plugin_scanned(self, context: RunContext, plugin: Plugin) -> None:
        self.emit({"type": "scanned", "path": plugin.path, "id": plugin.id, "name": plugin.name})

    @hookimpl
    def pluginary_scan_failed(self, context: RunContext, failure: ScanFailure) -> None:
        self.emit({"type": "failed", "path": failure.path, "kind": str(failure.kind), "message": failure.message})

    @hookimpl
    def pluginary_run_finished(self, context: RunContext, summary: RunSummary) -> None:
        self.emit({"type": "finished", "summary": attrs.asdict(summary)})


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    # As the CLI does: SIGTERM takes Ctrl-C's clean path; a second one ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pluginary.server.scan_process")
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--retry-failed", action="store_true")
    args = parser.parse_args(argv)

    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")  # not inherited by workers
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    writer = EventWriter(events)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from pluginary.pipeline import loader, runner

        overrides = loader.scan_overrides(args.paths, full=args.full, retry_failed=args.retry_failed)
        runner.run(loader.load("scan", overrides=overrides), observers=[writer], catalog=args.catalog)
    except KeyboardInterrupt:
        writer.emit({"type": "interrupted"})
        return EXIT_INTERRUPTED
    except PluginaryError as exc:
        writer.emit({"type": "error", "what": exc.what, "where": exc.where, "fix": exc.fix, "message": str(exc)})
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
