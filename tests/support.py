"""Helpers shared by the test modules."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import NoReturn

import pytest

#: Set by `.ci/run`: a missing compiler or Debian plugin package fails the test instead of skipping it.
STRICT_ENV = "PLUGINARY_REQUIRE_REAL_PLUGINS"


def need(condition: object, reason: str) -> None:
    """Skip the calling test unless `condition` holds; in CI (strict mode) fail instead.

    `reason` must say what is missing and what to install, e.g.
    "needs Debian's zam-plugins (apt-get install zam-plugins)".
    """
    if not condition:
        missing(reason)


def missing(reason: str) -> NoReturn:
    """Skip the calling test for what is missing; in CI (strict mode) fail instead."""
    if os.environ.get(STRICT_ENV):
        pytest.fail(f"{reason} [{STRICT_ENV} is set, so this is a failure, not a skip]")
    pytest.skip(reason)


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """`count` processes spinning on the CPU for the duration: a loaded machine, as CI's often is."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.2)  # let them reach the scheduler
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()
