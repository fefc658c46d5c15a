"""An observer: one JSON line per finished stage and per run, when PLUGINARY_EXAMPLE_LOG is set."""

from __future__ import annotations

import json
import os
from typing import Any

from pluginary.core.hookspecs import hookimpl


def _append(record: dict[str, Any]) -> None:
    if target := os.environ.get("PLUGINARY_EXAMPLE_LOG"):
        with open(target, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")


@hookimpl
def pluginary_after_stage(context: Any, stage: str) -> None:
    _append({"event": "stage", "stage": stage})


@hookimpl
def pluginary_run_finished(context: Any, summary: Any) -> None:
    _append({"event": "run", "pipeline": summary.pipeline, "stored": summary.stored})
