"""One definition of a plugin listing: filters, order and page, checked once for every backend.

The CLI, `pluginary.Catalog`, the HTTP API and every backend take a `Query`;
a backend translates it into its own SQL (or loop) and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypedDict

import attrs

from pluginary.core.errors import PluginaryError
from pluginary.core.models import PresetSource

#: What `sort=` accepts; every key breaks ties by name, then id.
SORT_KEYS = ("name", "vendor", "format", "category", "params", "scanned")

#: The largest integer SQLite stores: a bigger limit or offset would overflow in the driver.
MAX_INT = 2**63 - 1


class QueryError(PluginaryError):
    """A filter, sort key or raw search expression the catalogue cannot use."""


@attrs.frozen
class ParamRange:
    """An inclusive range of parameter counts; None is open on that side."""

    low: int | None = None
    high: int | None = None

    _SPEC = re.compile(r"^\s*(?:(?P<low>\d+)?\s*\.\.\s*(?P<high>\d+)?|(?P<op>[<>]=?)\s*(?P<n>\d+)|(?P<exact>\d+))\s*$")

    @classmethod
    def parse(cls, spec: str | tuple[int | None, int | None] | ParamRange) -> ParamRange:
        """`"10..50"`, `"10.."`, `"..50"`, `">20"`, `">=20"`, `"<10"`, `"<=10"`, `"12"` or a (low, high) tuple."""
        if isinstance(spec, ParamRange):
            return spec
        if isinstance(spec, tuple):
            return cls(*spec)
        match = cls._SPEC.match(spec)
        if match is None or spec.strip() == "..":
            raise QueryError(
                f"cannot read the parameter count range {spec!r}",
                where="params",
                fix="use 10..50, >20, <10 or an exact count",
            )
        if match["exact"]:
            return cls(int(match["exact"]), int(match["exact"]))
        if match["op"]:
            n = int(match["n"])
            return {
                ">": cls(low=n + 1),
                ">=": cls(low=n),
                "<": cls(high=n - 1),
                "<=": cls(high=n),
            }[match["op"]]
        low, high = match["low"], match["high"]
        return cls(int(low) if low else None, int(high) if high else None)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _strip_slashes(value: str | None) -> str | None:
    return None if value is None else value.strip("/")


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _param_range(value: str | tuple[int | None, int | None] | ParamRange | None) -> ParamRange | None:
    return None if value is None else ParamRange.parse(value)


class Filters(TypedDict, total=False):
    """The filters of a listing (`Query`'s fields that select plugins), as keyword arguments."""

    format: str | None
    vendor: str | None
    category: str | None
    tag: str | None
    instrument: bool | None
    effect: bool | None
    params: str | tuple[int | None, int | None] | ParamRange | None
    has_param: str | None
    host: str | None
    all_hosts: bool


@attrs.frozen(kw_only=True)
class Query:
    """Filters, order and page of a plugin listing, checked once here for every backend.

    Text filters ignore case; `category` matches the category itself and
    everything under it ("Effect" matches "Effect/Reverb"); `has_param` is a
    parameter name, matched whole.
    """

    format: str | None = attrs.field(default=None, converter=_lower)
    vendor: str | None = None
    category: str | None = attrs.field(default=None, converter=_strip_slashes)
    tag: str | None = None
    instrument: bool | None = None
    effect: bool | None = None
    params: ParamRange | None = attrs.field(default=None, converter=_param_range)
    has_param: str | None = None
    #: A fleet catalogue's machine to list (default: this one's); `all_hosts` lists every machine's,
    #: a plugin once per machine. A one-machine catalogue (SQLite, JSON) holds only its own.
    host: str | None = None
    all_hosts: bool = False
    sort: str = attrs.field(default="name")
    reverse: bool = False
    limit: int | None = attrs.field(default=None)
    offset: int = attrs.field(default=0)
    #: Read each plugin's parameters (and outputs); off, plugins come with none: a listing that shows
    #: no parameter (products, a table of names) reads several times faster.
    parameters: bool = True

    @sort.validator
    def _check_sort(self, _: attrs.Attribute[str], value: str) -> None:
        if value not in SORT_KEYS:
            raise QueryError(f"cannot sort by {value!r}", where="sort", fix=f"use one of {', '.join(SORT_KEYS)}")

    @limit.validator
    def _check_limit(self, _: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None:
            check_count("limit", value)

    @offset.validator
    def _check_offset(self, _: attrs.Attribute[int], value: int) -> None:
        check_count("offset", value)


def check_count(name: str, value: int, *, minimum: int = 0) -> None:
    """A QueryError unless `value`, a count such as a limit or an offset, is from `minimum` to MAX_INT."""
    if not minimum <= value <= MAX_INT:
        raise QueryError(
            f"{name} must be from {minimum} to {MAX_INT}, not {value}", where=f"--{name}", fix=f"pass --{name} N"
        )


#: What a preset listing's `sort=` accepts ("plugin": by plugin id); every key breaks ties by name,
#: then plugin id, then id.
PRESET_SORT_KEYS = ("name", "plugin", "bank", "format", "source")


@attrs.frozen(kw_only=True)
class PresetQuery:
    """Filters, order and page of a preset listing, checked once here for every backend.

    `plugin_id` selects one plugin's presets, `plugin_ids` those of any of several (a product's
    formats); `text` keeps presets whose name, bank, author or
    tags contain it (ignoring case, taken literally); `orphaned` True keeps only presets whose
    plugin is not in the catalogue, False only those whose plugin is. Host rules are `Query`'s.
    """

    plugin_id: str | None = None
    plugin_ids: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    format: str | None = attrs.field(default=None, converter=_lower)
    source: str | None = attrs.field(default=None, converter=_lower)
    bank: str | None = None
    text: str | None = None
    orphaned: bool | None = None
    host: str | None = None
    all_hosts: bool = False
    sort: str = attrs.field(default="name")
    reverse: bool = False
    limit: int | None = attrs.field(default=None)
    offset: int = attrs.field(default=0)

    @source.validator
    def _check_source(self, _: attrs.Attribute[str | None], value: str | None) -> None:
        sources = tuple(PresetSource)
        if value is not None and value not in sources:
            raise QueryError(f"no preset source {value!r}", where="source", fix=f"use one of {', '.join(sources)}")

    @sort.validator
    def _check_preset_sort(self, _: attrs.Attribute[str], value: str) -> None:
        if value not in PRESET_SORT_KEYS:
            raise QueryError(
                f"cannot sort presets by {value!r}", where="sort", fix=f"use one of {', '.join(PRESET_SORT_KEYS)}"
            )

    @limit.validator
    def _check_limit(self, _: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None:
            check_count("limit", value)

    @offset.validator
    def _check_offset(self, _: attrs.Attribute[int], value: int) -> None:
        check_count("offset", value)
