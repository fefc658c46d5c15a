"""The OpenAPI 3.1 document the server publishes at `/api/v1/openapi.json`.

A listing's parameters are read from `Query`'s (and `PresetQuery`'s) own attrs fields, so the
document cannot describe filters the API does not take (or miss one it does).
"""

from __future__ import annotations

from typing import Any

import attrs

from pluginary import __version__
from pluginary.core.query import PRESET_SORT_KEYS, SORT_KEYS, PresetQuery, Query
from pluginary.server.query import DEFAULT_LIMIT, MAX_LIMIT, UNRANKED, field_kind, listing_fields

#: One line per Query field, as `pluginary list --help` says it.
FIELD_HELP = {
    "format": "vst3, clap, lv2 or au (any installed format)",
    "vendor": "vendor name (any case)",
    "category": 'a category and everything under it: "Effect" includes "Effect/Reverb"',
    "tag": "a user tag",
    "instrument": "true: only instruments; false: no instruments",
    "effect": "true: only effects; false: no effects",
    "params": "parameter count: 10..50, >20, <10 or an exact number",
    "has_param": "has a parameter with this name (any case)",
    "host": "a fleet catalogue's machine (default: this one)",
    "all_hosts": "true: every machine's (each row names its host)",
    "plugin_id": "the presets of this plugin id (also of a plugin no longer installed)",
    "source": "factory, bundle or file",
    "bank": "bank, program list or category, as the format names it",
    "text": "name, bank, author or tags contain this (any case, taken literally)",
    "orphaned": "true: only presets whose plugin is not installed; false: only those whose plugin is",
    "sort": "the order",
    "reverse": "reverse the order",
    "limit": f"at most this many (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    "offset": "skip this many first",
}

_ERROR = {"$ref": "#/components/responses/Error"}


def _query_parameters(
    cls: type[attrs.AttrsInstance], *, paged: bool, without: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    parameters = []
    sort_keys = PRESET_SORT_KEYS if cls is PresetQuery else SORT_KEYS
    for name in listing_fields(cls, paged=paged, without=without):
        schema: dict[str, Any] = {"type": field_kind(cls, name)}
        if name == "sort":
            schema["enum"] = list(sort_keys)
        parameters.append({"name": name, "in": "query", "description": FIELD_HELP.get(name, ""), "schema": schema})
    return parameters


def _ok(description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {}}}, "default": _ERROR}


def _write(description: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description + " Needs Content-Type: application/json, the same origin, and the token when set.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "done"}, "202": {"description": "started"}, "default": _ERROR},
        "security": [{"token": []}],
    }


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def schema() -> dict[str, Any]:
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pluginary", "version": __version__, "description": "The plugin catalogue over HTTP."},
        "paths": {
            "/api/v1/plugins": {
                "get": {
                    "summary": "A page of plugins: the filters, sort and paging of `pluginary list`",
                    "parameters": _query_parameters(Query, paged=True),
                    "responses": _ok("total, offset, limit and the page's plugins"),
                }
            },
            "/api/v1/plugins/{id}": {
                "get": {
                    "summary": "One plugin's whole record (parameters included) and its other formats",
                    "parameters": [_path_id("id")],
                    "responses": _ok("plugin and other_formats"),
                }
            },
            "/api/v1/plugins/{id}/presets": {
                "get": {
                    "summary": "A page of one plugin's presets: the filters, sort and paging of /api/v1/presets",
                    "parameters": [_path_id("id"), *_query_parameters(PresetQuery, paged=True, without=("plugin_id",))],
                    "responses": _ok("total, offset, limit and the page's presets"),
                }
            },
            "/api/v1/products": {
                "get": {
                    "summary": "A page of products (one plugin across its formats) with a plugin the filters "
                    "select, each with every format: `pluginary list --products`",
                    "parameters": _query_parameters(Query, paged=True),
                    "responses": _ok(
                        "total, offset, limit and the page's products (key, name, vendor, formats, tags, plugins)"
                    ),
                }
            },
            "/api/v1/presets": {
                "get": {
                    "summary": "A page of presets: `PresetQuery`'s filters, sort and paging",
                    "parameters": _query_parameters(PresetQuery, paged=True),
                    "responses": _ok("total, offset, limit and the page's presets"),
                }
            },
            "/api/v1/plugins/{id}/tags": {
                "post": {
                    "summary": "Add and remove user tags",
                    "parameters": [_path_id("id")],
                    **_write(
                        "Returns the plugin's tags.",
                        {"type": "object", "properties": {"add": strings, "remove": strings}},
                    ),
                }
            },
            "/api/v1/search": {
                "get": {
                    "summary": "Search plugins (names, vendors, categories, tags, parameter names) among those "
                    "the filters of /api/v1/plugins select, best first, and presets (names, banks, authors, tags); "
                    "when no plugin matches, the closest names are suggested and the best one searched",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": MAX_LIMIT}},
                        *_query_parameters(Query, paged=False, without=UNRANKED),
                    ],
                    "responses": _ok("query, searched, suggestions, plugins, presets"),
                }
            },
            "/api/v1/stats": {
                "get": {
                    "summary": "Counts by format, vendor, category; presets (and orphaned ones); parameters",
                    "responses": _ok("what `pluginary stats` shows"),
                }
            },
            "/api/v1/hosts": {
                "get": {
                    "summary": "A fleet catalogue's machines: host, last_scanned, plugins, files, failures "
                    "(404 for a one-machine catalogue)",
                    "responses": _ok("hosts"),
                }
            },
            "/api/v1/failures": {"get": {"summary": "Quarantined files and why", "responses": _ok("failures")}},
            "/api/v1/runs": {"get": {"summary": "The latest run summaries", "responses": _ok("runs")}},
            "/api/v1/exporters": {"get": {"summary": "Installed exporters", "responses": _ok("exporters")}},
            "/api/v1/exports/{name}": {
                "get": {
                    "summary": "Download an exporter's output for the plugins the filters select "
                    "(several files come as a zip)",
                    "parameters": [
                        _path_id("name"),
                        *_query_parameters(Query, paged=False),
                        {
                            "name": "option",
                            "in": "query",
                            "description": "an exporter option, key=value",
                            "schema": strings,
                            "style": "form",
                            "explode": True,
                        },
                    ],
                    "responses": {
                        "200": {"description": "the file", "content": {"application/octet-stream": {}}},
                        "default": _ERROR,
                    },
                }
            },
            "/api/v1/scans": {
                "get": {"summary": "Scans started from this server, newest first", "responses": _ok("scans")},
                "post": {
                    "summary": "Start `pluginary scan` (one at a time); `paths` only quarantined files, to retry them",
                    **_write(
                        "",
                        {
                            "type": "object",
                            "properties": {
                                "full": {"type": "boolean"},
                                "retry_failed": {"type": "boolean"},
                                "paths": strings,
                            },
                        },
                    ),
                },
            },
            "/api/v1/scans/{id}": {
                "get": {"summary": "A scan's state", "parameters": [_path_id("id")], "responses": _ok("state")}
            },
            "/api/v1/scans/{id}/events": {
                "get": {
                    "summary": "The scan's progress as server-sent events, from the start or after Last-Event-ID",
                    "parameters": [_path_id("id")],
                    "responses": {"200": {"description": "events", "content": {"text/event-stream": {}}}},
                }
            },
            "/api/v1/scans/{id}/cancel": {
                "post": {
                    "summary": "Stop the scan as Ctrl-C does",
                    "parameters": [_path_id("id")],
                    **_write("", {"type": "object"}),
                }
            },
            "/api/v1/session": {
                "get": {"summary": "read_only, token_required, fleet (several machines), version", "responses": _ok("")}
            },
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "what is wrong, where, and what to do (as the CLI's one-line errors)",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "error": {
                                        "type": "object",
                                        "properties": {
                                            key: {"type": "string"} for key in ("what", "where", "fix", "message")
                                        },
                                    }
                                },
                            }
                        }
                    },
                }
            },
        },
    }
