"""Helpers shared by the test modules."""

from __future__ import annotations

import os

import pytest

#: Set by `.ci/run`: a missing compiler or Debian plugin package fails the test instead of skipping it.
STRICT_ENV = "PLUGINARY_REQUIRE_REAL_PLUGINS"


def need(condition: object, reason: str) -> None:
    """Skip the calling test unless `condition` holds; in CI (strict mode) fail instead.

    `reason` must say what is missing and what to install, e.g.
    "needs Debian's zam-plugins (apt-get install zam-plugins)".
    """
    if condition:
        return
    if os.environ.get(STRICT_ENV):
        pytest.fail(f"{reason} [{STRICT_ENV} is set, so this is a failure, not a skip]")
    pytest.skip(reason)
