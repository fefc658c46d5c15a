"""A listing's query string, read into `pluginary.core.query.Query` (or `PresetQuery`) with exactly its names.

The API takes the fields of `Query` and nothing else, each once; `Query` does every check,
so `pluginary list`, `Catalog.plugins` and `GET /api/v1/plugins` cannot disagree (likewise
`PresetQuery` for `/api/v1/presets`). The OpenAPI document lists the same fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import attrs

from pluginary.core.query import PresetQuery, Query, QueryError

#: A listing's page when none is asked for, and the largest one served (a client wanting
#: everything pages, or downloads an export).
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

L = TypeVar("L", Query, PresetQuery)

#: The listings the API serves, each defined by its attrs class: a plugin listing (`Query`) and a
#: preset listing (`PresetQuery`). Their fields are the query string's names.
Listing = Query | PresetQuery
PAGE_FIELDS = ("limit", "offset")
#: A listing's order, which a search does not take: its order is best first.
UNRANKED = ("sort", "reverse")
#: Fields for Python callers only: how much of each record to read is the API's business, not the client's
#: (a page of plugins comes without their parameters, with their count; one plugin comes whole).
PYTHON_ONLY_FIELDS = ("parameters",)


def listing_fields(cls: type[attrs.AttrsInstance], *, paged: bool = True, without: tuple[str, ...] = ()) -> list[str]:
    """The query-string names of a listing: its class's fields that hold one value (a tuple, such
    as `PresetQuery.plugin_ids`, is for Python callers), less the page when not `paged`."""
    left_out = (*without, *PYTHON_ONLY_FIELDS, *(() if paged else PAGE_FIELDS))
    return [
        field.name
        for field in attrs.fields(cls)
        if field.name not in left_out and not str(field.type).startswith("tuple")
    ]


def field_kind(cls: type[attrs.AttrsInstance], name: str) -> str:
    """ "boolean", "integer" or "string": how a query-string value of this field is read."""
    annotation = str(attrs.fields_dict(cls)[name].type)
    return "boolean" if "bool" in annotation else "integer" if annotation.startswith("int") else "string"


def parse_query(
    params: Any,
    cls: type[L],
    *,
    extra: tuple[str, ...] = (),
    paged: bool = True,
    given: dict[str, Any] | None = None,
    without: tuple[str, ...] = (),
) -> tuple[L, dict[str, str]]:
    """A listing (`cls`: Query or PresetQuery) from a query string, with exactly its names and
    checks (the `extra` names are returned apart; `given` fields are set by the URL's path and
    so refused in the query string, as are the fields `without` names). Each value once;
    booleans are true/false."""
    values: dict[str, Any] = dict(given or {})
    allowed = [*listing_fields(cls, paged=paged, without=(*values, *without)), *extra]
    rest: dict[str, str] = {}
    for name in params:
        if name not in allowed:
            raise QueryError(f"unknown parameter {name!r}", where=name, fix=f"use {', '.join(allowed)}")
        found = params.getlist(name)
        if len(found) > 1:
            raise QueryError(f"{name} is given {len(found)} times", where=name, fix="give it once")
        if name in extra:
            rest[name] = found[0]
        else:
            values[name] = _value(cls, name, found[0])
    if paged:
        values.setdefault("limit", DEFAULT_LIMIT)
        if values["limit"] is not None and values["limit"] > MAX_LIMIT:
            raise QueryError(
                f"limit must be at most {MAX_LIMIT}, not {values['limit']}", where="limit", fix="page with offset"
            )
    try:
        return cls(**values), rest
    except (TypeError, ValueError) as exc:
        raise QueryError(str(exc), fix="see /api/v1/openapi.json") from exc


def _value(cls: type[attrs.AttrsInstance], name: str, raw: str) -> Any:
    kind = field_kind(cls, name)
    if kind == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise QueryError(f"{name} must be true or false, not {raw!r}", where=name, fix=f"pass {name}=true")
        return raw.lower() in ("true", "1")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise QueryError(f"{name} must be a whole number, not {raw!r}", where=name, fix=f"pass {name}=N") from None
    return raw


def query_filters(query: Listing, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """The listing as `Catalog.plugins` (or `Catalog.presets`) keyword arguments, less the fields
    `without` names; Catalog rebuilds and rechecks the same Query. `Catalog.presets` names its
    plugin `plugin` (an id or a name)."""
    filters = {name: getattr(query, name) for name in listing_fields(type(query), without=without)}
    if isinstance(query, PresetQuery):
        filters["plugin"] = filters.pop("plugin_id")
    return filters


def bounded_int(params: Any, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter from `low` to `high`."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise QueryError(f"{name} must be from {low} to {high}, not {raw!r}", where=name, fix=f"pass {name}=N")
    return value


class MultiDict:
    """Just what `parse_query` reads of Starlette's QueryParams, over (key, value) pairs."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self._items))

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._items if key == name]
