"""A listing's query string, read into `pluginary.core.query.Query` with exactly its names.

The API takes the fields of `Query` and nothing else, each once; `Query` does every check,
so `pluginary list`, `Catalog.plugins` and `GET /api/v1/plugins` cannot disagree. The
OpenAPI document lists the same fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from pluginary.core.query import Query, QueryError

#: A listing's page when none is asked for, and the largest one served (a client wanting
#: everything pages, or downloads an export).
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

QUERY_FIELDS = {field.name: field for field in attrs.fields(Query)}


def field_kind(name: str) -> str:
    """ "boolean", "integer" or "string": how a query-string value of this Query field is read."""
    annotation = str(QUERY_FIELDS[name].type)
    return "boolean" if "bool" in annotation else "integer" if annotation.startswith("int") else "string"


def parse_query(params: Any, *, extra: tuple[str, ...] = (), paged: bool = True) -> tuple[Query, dict[str, str]]:
    """A `Query` from a query string, with exactly `Query`'s names and checks (the
    `extra` names are returned apart). Each value once; booleans are true/false."""
    allowed = [*QUERY_FIELDS, *extra] if paged else [*(n for n in QUERY_FIELDS if n not in ("limit", "offset")), *extra]
    values: dict[str, Any] = {}
    rest: dict[str, str] = {}
    for name in params:
        if name not in allowed:
            raise QueryError(f"unknown parameter {name!r}", where=name, fix=f"use {', '.join(allowed)}")
        given = params.getlist(name)
        if len(given) > 1:
            raise QueryError(f"{name} is given {len(given)} times", where=name, fix="give it once")
        if name in extra:
            rest[name] = given[0]
        else:
            values[name] = _value(name, given[0])
    if paged:
        values.setdefault("limit", DEFAULT_LIMIT)
        if values["limit"] is not None and values["limit"] > MAX_LIMIT:
            raise QueryError(
                f"limit must be at most {MAX_LIMIT}, not {values['limit']}", where="limit", fix="page with offset"
            )
    try:
        return Query(**values), rest
    except (TypeError, ValueError) as exc:
        raise QueryError(str(exc), fix="see /api/v1/openapi.json") from exc


def _value(name: str, raw: str) -> Any:
    kind = field_kind(name)
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


def query_filters(query: Query) -> dict[str, Any]:
    """The Query as `Catalog.plugins` keyword arguments (it rebuilds and rechecks the same Query)."""
    return attrs.asdict(query, recurse=False)


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
