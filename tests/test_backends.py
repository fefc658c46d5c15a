"""The shared backend suite (`pluginary.testing.backend_suite.BackendSuite`) against both built-in backends."""

from __future__ import annotations

import pytest

from pluginary.backends.jsonfile import JSONBackend
from pluginary.backends.sqlite import SQLiteBackend
from pluginary.testing.backend_suite import BackendFactory, BackendSuite


class TestSQLiteBackend(BackendSuite):
    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        return SQLiteBackend


class TestJSONBackend(BackendSuite):
    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        return JSONBackend
