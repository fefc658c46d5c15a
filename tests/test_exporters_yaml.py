"""The one YAML writer (`dumps`, `make_yaml().dump`, which every command's `-o yaml` uses) on plain data the
catalogue export never holds: infinities, NaN, top-level scalars and lists, read back by PyYAML and ruamel."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
from ruamel.yaml import YAML

from pluginary.exporters.yaml import dumps, make_yaml


def readers() -> list[Any]:
    """PyYAML (YAML 1.1) and ruamel (YAML 1.2), as most programs call them."""
    import yaml

    return [yaml.safe_load, YAML(typ="safe", pure=True).load]


@pytest.mark.parametrize(
    "data",
    [
        {"low": -math.inf, "high": math.inf, "small": 1e-05, "big": -1.5e300, "whole": 2.0, "zero": -0.0},
        [[1, [2.5]], [], {}, ["a"], {"k": [3, None, True, False]}],
        {"": {"nested": {"deeper": ["x", "1:2", "yes"]}}, "k" * 2000: 1},
        "a: b",
        -7,
        None,
        [],
        {},
    ],
)
def test_plain_data_reads_back_the_same_in_pyyaml_and_ruamel(data: Any) -> None:
    text = dumps(data)
    for load in readers():
        assert load(text) == data


def test_infinities_keep_their_sign_and_nan_stays_nan() -> None:
    for load in readers():
        low, high, nan = load(dumps([-math.inf, math.inf, math.nan]))
        assert (low, high) == (-math.inf, math.inf)
        assert math.isnan(nan)


def test_one_item_lists_written_one_after_another_are_one_list() -> None:
    """How `pluginary list -o yaml` streams its records without holding them all."""
    stream = io.StringIO()
    writer = make_yaml()
    records = [{"id": "a", "tags": ["x"]}, {"id": "b", "tags": []}, {"id": "c", "low": -math.inf}]
    for record in records:
        writer.dump([record], stream)
    for load in readers():
        assert load(stream.getvalue()) == records
