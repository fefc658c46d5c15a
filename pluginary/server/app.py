"""The ASGI application behind `pluginary serve`: the JSON API under `/api/v1/` and the page.

Starlette rather than FastAPI: a listing is defined once, by `pluginary.core.query.Query`.
FastAPI would have us restate its fields as typed endpoint parameters (a second query
language that drifts); here the query string goes straight into `Query(**…)`, which does
every check, and the OpenAPI schema (`openapi.py`) is built from the same attrs fields.

A read opens a read-only `Catalog` for the request (SQLite; see `Catalogs` for why not one per
thread) or uses its worker thread's own (PostgreSQL); every read runs in one read transaction
of the backend, so a scan writing the file at the same time is seen batch by batch, never
half-written. A write
(tags) opens the catalogue for writing just for that request. Answers to reads are kept until
the catalogue changes (`cache.py`), so most reads never reach a thread or the catalogue.

Safety, for a page that shows text any plugin author wrote and a port any local program
or web page can reach:
- plugin text is data: JSON here, `textContent` in the page, under a strict CSP;
- writes are POSTs with a JSON body (a cross-site form cannot send one, and a cross-site
  `fetch` with that type needs a preflight this server never grants), from the same
  origin, with the token when one is set, and refused in `--read-only`;
- on loopback, a request naming another host (DNS rebinding) is refused.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import io
import json
import logging
import tempfile
import threading
import urllib.parse
import zipfile
from collections.abc import AsyncIterator, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from pluginary import __version__
from pluginary.catalog import Catalog, UnknownPluginError
from pluginary.core.errors import CatalogError, PluginaryError
from pluginary.core.models import Plugin, Preset, converter
from pluginary.core.query import PresetQuery, Query, QueryError
from pluginary.exporters.common import plugin_data
from pluginary.server import openapi
from pluginary.server.cache import ASGIApp, ResponseCache, SQLiteVersion
from pluginary.server.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PAGE_FIELDS,
    UNRANKED,
    MultiDict,
    bounded_int,
    parse_query,
    query_filters,
)
from pluginary.server.scans import ScanBusyError, Scans

log = logging.getLogger(__name__)

API = "/api/v1"
TOKEN_HEADER = "authorization"


@functools.cache
def page_file(name: str) -> bytes:
    """One of the page's files (`static/`) as shipped in the package, read once."""
    return resources.files("pluginary.server").joinpath("static", name).read_bytes()


def inline_source(name: str) -> str:
    """The CSP source that lets exactly this file's bytes run inline (see `INLINED`)."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(page_file(name)).digest()).decode()}'"


#: The page runs only its own script and style (inside it, each allowed by its hash); plugin text
#: can never become code.
CSP = (
    f"default-src 'none'; script-src 'self' {inline_source('app.js')}; style-src 'self' {inline_source('app.css')}; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


class ApiError(PluginaryError):
    """A request the API refuses; `status` is its HTTP status."""

    status = 400


class Forbidden(ApiError):
    status = 403


class Unauthorized(ApiError):
    status = 401


class NotFound(ApiError):
    status = 404


@attrs.frozen
class Settings:
    """What `pluginary serve` was started with."""

    catalog: Path
    backend: str | None = None
    read_only: bool = False
    #: Required on every write when set (always set when bound beyond loopback).
    token: str | None = None
    #: Host header values accepted (name or name:port); empty: any (bound to all interfaces).
    allowed_hosts: frozenset[str] = frozenset()


class Catalogs:
    """A read-only `Catalog` per request (SQLite) or per worker thread (others), and a writable one per write.

    A SQLite catalogue is opened afresh for each request the cache does not answer (about a
    millisecond): a connection kept across requests can be left reading WAL files that a scan
    deleted when it closed, and would then never see a change again (see `cache.wal_identity`).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._fresh = is_sqlite(settings)

    @contextmanager
    def reader(self) -> Iterator[Catalog]:
        if self._fresh:
            with self._open() as fresh:
                yield fresh
            return
        kept: Catalog | None = getattr(self._local, "catalog", None)
        if kept is None:
            kept = self._local.catalog = self._open()
        yield kept

    def _open(self) -> Catalog:
        return Catalog.open(self.settings.catalog, backend=self.settings.backend, read_only=True, create=False)

    @contextmanager
    def writer(self) -> Iterator[Catalog]:
        if self.settings.read_only:
            raise Forbidden(
                "this server is read-only", where="--read-only", fix="restart `pluginary serve` without --read-only"
            )
        with Catalog.open(self.settings.catalog, backend=self.settings.backend, create=False) as catalog:
            yield catalog


# -- responses ---------------------------------------------------------------------


def json_response(request: Request, data: Any, status: int = 200) -> Response:
    """`data` as JSON with a strong ETag of its bytes: a client polling with If-None-Match
    gets an empty 304 while nothing changed. ASCII-escaped, so a lone surrogate in a
    plugin's name (undecodable bytes) still travels as valid JSON."""
    body = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    etag = etag_of(body)
    headers = {"etag": etag, "cache-control": "no-cache"}
    if status == 200 and etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(body, status, media_type="application/json", headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def error_body(exc: PluginaryError) -> dict[str, Any]:
    """The same what/where/fix as the CLI's one-line error, as fields."""
    return {"error": {"what": exc.what, "where": exc.where, "fix": exc.fix, "message": str(exc)}}


def status_of(exc: PluginaryError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, UnknownPluginError):
        return 404
    if isinstance(exc, ScanBusyError):
        return 409
    if isinstance(exc, CatalogError):
        return 503  # locked, damaged or missing: the server is fine, the file is not usable now
    return 400


def plugin_summary(plugin: Plugin) -> dict[str, Any]:
    """What a row of the table shows; the whole record is one request away."""
    return {
        "id": plugin.id,
        "name": plugin.name,
        "vendor": plugin.vendor,
        "format": plugin.format,
        "version": plugin.version,
        "categories": [category.name for category in plugin.categories],
        "tags": list(plugin.tags),
        "is_instrument": plugin.is_instrument,
        "is_effect": plugin.is_effect,
        "parameters": plugin.parameter_count,
        "host": plugin.host.name,
    }


def preset_data(preset: Preset) -> dict[str, Any]:
    """A preset as JSON data: every field, as the catalogue holds it."""
    return dict(converter.unstructure(preset))


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object a write sends, after the checks every write passes."""
    settings: Settings = request.app.state.settings
    if settings.read_only:
        raise Forbidden(
            "this server is read-only", where="--read-only", fix="restart `pluginary serve` without --read-only"
        )
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError("a write must send a JSON body", where="Content-Type", fix="send Content-Type: application/json")
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
        raise Forbidden(f"a write from another site ({origin}) is refused", where="Origin", fix="use the page itself")
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        raise Forbidden("a write from another site is refused", where="Sec-Fetch-Site", fix="use the page itself")
    if settings.token is not None:
        given = request.headers.get(TOKEN_HEADER, "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.token.encode()):
            raise Unauthorized(
                "this write needs the server's token",
                where="Authorization",
                fix="open the address `pluginary serve` printed (with #token=…) or send Authorization: Bearer TOKEN",
            )
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise ApiError(f"the body is not JSON: {exc}", where="body", fix="send a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError("the body must be a JSON object", where="body", fix='send {"…": …}')
    return body


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(f"{key} must be a list of strings", where=key, fix=f'send {{"{key}": ["…"]}}')
    return value


# -- the API -----------------------------------------------------------------------


def catalogs(request: Request) -> Catalogs:
    return request.app.state.catalogs


def list_plugins(request: Request) -> Response:
    query, _ = parse_query(request.query_params, Query)
    filters = query_filters(query)
    with catalogs(request).reader() as catalog:
        plugins = [plugin_summary(plugin) for plugin in catalog.plugins(**filters, parameters=False)]
        total = catalog.count(**filters)
    return json_response(request, {"total": total, "offset": query.offset, "limit": query.limit, "plugins": plugins})


def search(request: Request) -> Response:
    """Search plugins (among those the filters of a listing select) and presets, and when no plugin
    matches the closest names, the best one searched instead (as the CLI)."""
    query, rest = parse_query(request.query_params, Query, extra=("q", "limit"), paged=False, without=UNRANKED)
    filters = query_filters(query, without=(*PAGE_FIELDS, *UNRANKED))
    text = rest.get("q", "")
    limit = bounded_int(rest, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    with catalogs(request).reader() as catalog:
        found = catalog.search(text, limit=limit, parameters=False, **filters) if text.strip() else []
        suggestions: list[str] = []
        searched = text
        if not found and text.strip():
            suggestions = catalog.suggest(text)
            if suggestions:
                searched = suggestions[0]
                found = catalog.search(searched, limit=limit, parameters=False, **filters)
        data = {
            "query": text,
            "searched": searched,
            "suggestions": suggestions,
            "plugins": list(map(plugin_summary, found)),
            "presets": list(map(preset_data, catalog.search_presets(text, limit=limit))) if text.strip() else [],
        }
    return json_response(request, data)


def list_products(request: Request) -> Response:
    """A page of products (one plugin across its formats) with a plugin the Query selects, as
    `Catalog.products` groups them, each with a summary of every format."""
    query, _ = parse_query(request.query_params, Query)
    filters = query_filters(query)
    # A product's formats are listed without a parameter count: the listing's shape since it began.
    limit, offset = filters.pop("limit"), filters.pop("offset")
    with catalogs(request).reader() as catalog:
        everything = catalog.products(**filters)  # grouped whole, so counted whole
    page = everything[offset : None if limit is None else offset + limit]
    products = [
        {
            "key": product.key,
            "name": product.name,
            "vendor": product.vendor,
            "formats": list(product.formats),
            "tags": list(product.tags),
            "plugins": [
                {key: value for key, value in plugin_summary(plugin).items() if key != "parameters"}
                for plugin in product.plugins
            ],
        }
        for product in page
    ]
    return json_response(request, {"total": len(everything), "offset": offset, "limit": limit, "products": products})


def plugin_path(request: Request) -> tuple[str, str]:
    """A /plugins/… URL's plugin id, and what of the plugin it asks for: "" (the plugin), "presets" or
    "tags". Read from the raw path, where a slash inside an id comes as %2F (as a client encodes any
    path segment): only a slash sent as it is starts "/presets", so an id ending in "/presets" (an
    LV2 URI may) is still the plugin's. An id sent with bare slashes works too, unless it ends so."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    tail = raw.decode("latin-1").removeprefix(f"{API}/plugins/")
    head, slash, last = tail.rpartition("/")
    if slash and last in ("presets", "tags"):
        return urllib.parse.unquote(head), last
    return urllib.parse.unquote(tail), ""


def plugin_resource(request: Request) -> Response:
    """GET /plugins/{id} (the plugin) or /plugins/{id}/presets (its presets), told apart by `plugin_path`."""
    plugin_id, part = plugin_path(request)
    return list_presets(request, plugin_id) if part == "presets" else get_plugin(request, plugin_id)


async def plugin_change(request: Request) -> Response:
    """POST /plugins/{id}/tags; nothing else of a plugin is written."""
    plugin_id, part = plugin_path(request)
    if part != "tags":
        raise NotFound("nothing to write here", where=request.url.path, fix="POST to /api/v1/plugins/{id}/tags")
    return await edit_tags(request, plugin_id)


def list_presets(request: Request, plugin_id: str | None = None) -> Response:
    """A page of presets: `PresetQuery`'s filters, sort and page; under a plugin's URL, its presets."""
    given = {} if plugin_id is None else {"plugin_id": plugin_id}
    query, _ = parse_query(request.query_params, PresetQuery, given=given)
    filters = query_filters(query)
    with catalogs(request).reader() as catalog:
        presets = [preset_data(preset) for preset in catalog.presets(**filters)]
        total = catalog.count_presets(**filters)
    return json_response(request, {"total": total, "offset": query.offset, "limit": query.limit, "presets": presets})


def get_plugin(request: Request, plugin_id: str) -> Response:
    with catalogs(request).reader() as catalog:
        plugin = catalog.get(plugin_id)
        if plugin is None:
            raise NotFound(f"no plugin has the id {plugin_id!r}", where=plugin_id, fix="see /api/v1/plugins")
        others = [plugin_summary(other) for other in catalog.find(plugin.name) if other.id != plugin.id]
    return json_response(request, {"plugin": plugin_data(plugin, timestamps=True), "other_formats": others})


async def edit_tags(request: Request, plugin_id: str) -> Response:
    body = await json_body(request)
    add, remove = _strings(body, "add"), _strings(body, "remove")
    if not add and not remove:
        raise ApiError("nothing to change", where="body", fix='send {"add": ["tag"]} or {"remove": ["tag"]}')

    def edit() -> tuple[str, ...]:
        with catalogs(request).writer() as catalog:
            plugin = catalog.get(plugin_id)
            if plugin is None:
                raise NotFound(f"no plugin has the id {plugin_id!r}", where=plugin_id, fix="see /api/v1/plugins")
            tags = plugin.tags
            if add:
                tags = catalog.tag(plugin.id, *add)
            if remove:
                tags = catalog.untag(plugin.id, *remove)
            return tags

    return json_response(request, {"id": plugin_id, "tags": list(await run_in_threadpool(edit))})


def stats(request: Request) -> Response:
    with catalogs(request).reader() as catalog:
        data = catalog.stats()
    data["path"] = str(data.get("path", ""))
    return json_response(request, data)


def failures(request: Request) -> Response:
    with catalogs(request).reader() as catalog:
        found = [converter.unstructure(failure) for failure in catalog.failures()]
    return json_response(request, {"failures": found})


def runs(request: Request) -> Response:
    with catalogs(request).reader() as catalog:
        return json_response(request, {"runs": catalog.stats().get("runs", [])})


def exporters(request: Request) -> Response:
    from pluginary.core import components

    return json_response(request, {"exporters": sorted(components.available("exporter"))})


def export(request: Request) -> Response:
    """Any installed exporter's output for the plugins a Query selects, rendered in memory:
    one file as itself, several as a zip. Only installed names: never a `module:attr`."""
    from pluginary.core import components
    from pluginary.pipeline.settings import parse_scalar

    name = request.path_params["name"]
    if name not in components.available("exporter"):
        raise NotFound(f"no exporter named {name!r}", where=name, fix="see /api/v1/exporters")
    params = request.query_params
    options: dict[str, Any] = {}
    for item in params.getlist("option"):
        key, sep, raw = item.partition("=")
        if not sep:
            raise QueryError(f"cannot read option {item!r}", where="option", fix="write it as key=value")
        options[key.strip()] = parse_scalar(raw)
    filtered = [(key, value) for key, value in params.multi_items() if key != "option"]
    query, _ = parse_query(MultiDict(filtered), Query, paged=False)
    with catalogs(request).reader() as catalog, tempfile.TemporaryDirectory(prefix="pluginary-export-") as folder:
        plugins = catalog.plugins(**query_filters(query))
        # A fresh, empty place: an exporter that merges into the user's files finds none to read.
        files = components.instantiate("exporter", name).render(plugins, Path(folder) / f"pluginary-{name}", options)
        root = Path(folder)
        if len(files) == 1:
            content, filename = files[0].content, files[0].path.name
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in files:
                    archive.writestr(str(file.path.relative_to(root)), file.content)
            content, filename = buffer.getvalue(), f"pluginary-{name}.zip"
    disposition = f'attachment; filename="{filename.encode("ascii", "replace").decode()}"'
    return Response(content, media_type="application/octet-stream", headers={"content-disposition": disposition})


def session(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    data = {
        "version": __version__,
        "read_only": settings.read_only,
        "token_required": settings.token is not None,
    }
    with catalogs(request).reader() as catalog:
        data["fleet"] = is_fleet(catalog)
    return json_response(request, data)


def is_fleet(catalog: Catalog) -> bool:
    """Whether the catalogue holds several machines: its backend answers `pluginary.fleet`'s questions."""
    return hasattr(catalog.backend, "hosts")


def hosts(request: Request) -> Response:
    """A fleet catalogue's machines with their counts (`pluginary hosts`)."""
    from pluginary import fleet

    with catalogs(request).reader() as catalog:
        if not is_fleet(catalog):
            raise NotFound(
                "this catalogue holds one machine",
                where="/api/v1/hosts",
                fix="serve a fleet catalogue (postgresql://…)",
            )
        return json_response(request, {"hosts": fleet.hosts(catalog)})


def openapi_document(request: Request) -> Response:
    return json_response(request, openapi.schema())


# -- scans -------------------------------------------------------------------------


def scans(request: Request) -> Scans:
    return request.app.state.scans


async def start_scan(request: Request) -> Response:
    body = await json_body(request)
    full, retry = body.get("full", False), body.get("retry_failed", False)
    if not isinstance(full, bool) or not isinstance(retry, bool):
        raise ApiError("full and retry_failed must be true or false", where="body", fix='send {"full": true}')
    paths = _strings(body, "paths")
    if paths:
        # Only quarantined files may be named: the page retries a failure, it never points the
        # scanner (which loads and runs plugin code) at an arbitrary path.
        def quarantined() -> set[str]:
            with catalogs(request).reader() as catalog:
                return {failure.path for failure in catalog.failures()}

        known = await run_in_threadpool(quarantined)
        unknown = [path for path in paths if path not in known]
        if unknown:
            raise ApiError(
                f"not a quarantined file: {unknown[0]}", where="paths", fix="name files from /api/v1/failures"
            )
    scan = scans(request).start(full=full, retry_failed=retry or bool(paths), paths=paths)
    return json_response(request, scan.state(), status=202)


def get_scan(request: Request) -> Response:
    scan = scans(request).find(request.path_params["scan_id"])
    if scan is None:
        raise NotFound("no such scan", where=request.path_params["scan_id"], fix="see /api/v1/scans")
    return json_response(request, scan.state())


def list_scans(request: Request) -> Response:
    return json_response(request, {"scans": [scan.state() for scan in scans(request).all()]})


async def cancel_scan(request: Request) -> Response:
    await json_body(request)
    scan = scans(request).find(request.path_params["scan_id"])
    if scan is None:
        raise NotFound("no such scan", where=request.path_params["scan_id"], fix="see /api/v1/scans")
    scan.cancel()
    return json_response(request, scan.state(), status=202)


async def scan_events(request: Request) -> Response:
    """Server-sent events: every event of the scan from the first (or after Last-Event-ID), until it ends."""
    scan = scans(request).find(request.path_params["scan_id"])
    if scan is None:
        raise NotFound("no such scan", where=request.path_params["scan_id"], fix="see /api/v1/scans")
    last = request.headers.get("last-event-id", "")
    start = int(last) + 1 if last.isdigit() else 0
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(scan.stream(start), media_type="text/event-stream", headers=headers)


# -- the page ----------------------------------------------------------------------

STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
#: The reads the page makes first (app.js `start`), exactly as it makes them: their answers travel
#: inside the page, so its first rows, facets and export formats wait for no request of their own.
FIRST_READS = ("/plugins?sort=name&limit=50&offset=0", "/session", "/stats", "/exporters")
#: Where index.html takes them: a data block, never run.
FIRST_DATA = b'<script type="application/json" id="first-data">{}</script>'
#: The page's style and script go inside it, where index.html links them: its first load is one
#: request (on a busy machine each more costs several processes' turns: about 150 ms at p50).
INLINED = {
    b'<link rel="stylesheet" href="/static/app.css">': (b"<style>", "app.css", b"</style>"),
    b'<script src="/static/app.js"></script>': (b"<script>", "app.js", b"</script>"),
}


def etag_of(content: bytes) -> str:
    return f'"{hashlib.blake2b(content, digest_size=12).hexdigest()}"'


def load_assets() -> dict[str, tuple[bytes, str, str]]:
    """The page's files as shipped in the package: name → (content, type, ETag); index.html with
    its style and script inside it (`INLINED`)."""
    folder = resources.files("pluginary.server").joinpath("static")
    assets = {}
    for entry in folder.iterdir():
        suffix = Path(entry.name).suffix
        if suffix in STATIC_TYPES:
            content = page_file(entry.name)
            if entry.name == "index.html":
                for tag, (start, name, end) in INLINED.items():
                    content = content.replace(tag, start + page_file(name) + end)
            assets[entry.name] = (content, STATIC_TYPES[suffix], etag_of(content))
    return assets


async def asset(request: Request) -> Response:
    """One of the page's files, from memory: async, so it never waits for a thread of the pool.
    The page itself comes with the answers to its first reads (`with_first_reads`)."""
    name = request.path_params.get("name", "index.html")
    found = request.app.state.assets.get(name)
    if found is None:
        raise NotFound(f"no such file {name!r}", where=request.url.path, fix="open /")
    content, media_type, etag = found
    if name == "index.html":
        content = await with_first_reads(request, content)
        etag = etag_of(content)
    headers = {"etag": etag, "cache-control": "no-cache"}
    if etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


async def with_first_reads(request: Request, page: bytes) -> bytes:
    """index.html with the answers to `FIRST_READS` in its data block, each read as a request from
    outside would be (through the response cache: most cost a lookup). One that is not a 200 is
    left out: the page asks for it itself and shows the error."""
    answers = await asyncio.gather(*(read_through(request, API + path) for path in FIRST_READS))
    entries = zip(FIRST_READS, answers, strict=True)
    data = b",".join(json.dumps(path).encode() + b":" + body for path, body in entries if body is not None)
    # A plugin's name holding `</script` or `<!--` would end or bend the block: `<`, `>` and `&` go as
    # JSON escapes (only ever inside strings), which JSON.parse reads back as the same characters.
    safe = b"{" + data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026") + b"}"
    return page.replace(FIRST_DATA, FIRST_DATA.replace(b"{}", safe))


async def read_through(request: Request, target: str) -> bytes | None:
    """The body of this server's 200 answer to GET `target` (path?query), None for any other."""
    path, _, query = target.partition("?")
    headers = [(name, value) for name, value in request.scope["headers"] if name != b"if-none-match"]
    scope = {**request.scope, "path": path, "raw_path": path.encode(), "query_string": query.encode()}
    scope["headers"] = headers
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    try:
        await request.app.state.reads(scope, receive, send)
    except Exception:  # a bug in that read, logged by `_bug`: the page asks again and shows the error
        return None
    return bytes(body) if status == 200 else None


# -- the application ---------------------------------------------------------------


async def _pluginary_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PluginaryError)
    return json_response(request, error_body(exc), status=status_of(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = ApiError(str(exc.detail), where=request.url.path, fix="see /api/v1/openapi.json")
    return json_response(request, error_body(error), status=exc.status_code)


async def _bug(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    error = ApiError("the server failed on this request", where=request.url.path, fix="see the server's log")
    return json_response(request, error_body(error), status=500)


class Guard:
    """Security headers on every response; a Host header this server does not answer to (a
    DNS-rebinding page) refused before any route runs."""

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.allowed_hosts:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host not in self.allowed_hosts:
                await _refuse_host(send, host)
                return

        async def send_secure(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_secure)


async def _refuse_host(send: Any, host: str) -> None:
    error = Forbidden(f"this server does not answer to host {host!r}", where="Host", fix="open it by its own address")
    body = json.dumps(error_body(error)).encode()
    headers = [(b"content-type", b"application/json"), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a server bound to `host` answers to: its loopback names, or any when it is
    bound to every interface (the token guards writes there)."""
    if host in ("0.0.0.0", "::", ""):
        return frozenset()
    names = {*LOOPBACK_NAMES} if host in LOOPBACK_NAMES else {host, f"[{host}]"}
    return frozenset(name for base in names for name in (base, f"{base}:{port}"))


def create_app(settings: Settings) -> ASGIApp:
    """The whole server: API, page and scans over the catalogue `settings` names."""
    routes = [
        Route("/", asset),
        Route("/static/{name}", asset),
        Route(f"{API}/session", session),
        Route(f"{API}/openapi.json", openapi_document),
        Route(f"{API}/plugins", list_plugins),
        Route(f"{API}/plugins/{{plugin_path:path}}", plugin_resource),
        Route(f"{API}/plugins/{{plugin_path:path}}", plugin_change, methods=["POST"]),
        Route(f"{API}/presets", list_presets),
        Route(f"{API}/products", list_products),
        Route(f"{API}/search", search),
        Route(f"{API}/stats", stats),
        Route(f"{API}/hosts", hosts),
        Route(f"{API}/failures", failures),
        Route(f"{API}/runs", runs),
        Route(f"{API}/exporters", exporters),
        Route(f"{API}/exports/{{name}}", export),
        Route(f"{API}/scans", list_scans),
        Route(f"{API}/scans", start_scan, methods=["POST"]),
        Route(f"{API}/scans/{{scan_id}}", get_scan),
        Route(f"{API}/scans/{{scan_id}}/cancel", cancel_scan, methods=["POST"]),
        Route(f"{API}/scans/{{scan_id}}/events", scan_events),
    ]
    scan_runner = Scans(settings.catalog, settings.backend)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(scan_runner.shutdown)  # a scan still running is cancelled cleanly

    app = Starlette(
        routes=routes,
        exception_handlers={PluginaryError: _pluginary_error, HTTPException: _http_error, Exception: _bug},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.catalogs = Catalogs(settings)
    app.state.scans = scan_runner
    app.state.assets = load_assets()
    app.state.reads = _cached(app, settings)  # also what the page's first reads go through (`read_through`)
    return Guard(app.state.reads, settings.allowed_hosts)


#: The reads that depend only on the catalogue (and installed exporters, and the settings, which never
#: change): kept until it changes.
CACHED_READS = tuple(
    f"{API}/{name}"
    for name in [
        "session",  # opens the catalogue (5-10 ms), and every page load asks for it
        "plugins",
        "products",
        "presets",
        "search",
        "stats",
        "hosts",
        "failures",
        "runs",
        "exporters",
        "openapi.json",
    ]
)


def is_sqlite(settings: Settings) -> bool:
    from pluginary.core.options import backend_name

    return backend_name(settings.catalog, settings.backend) == "sqlite"


def _cached(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The application behind a response cache, when the catalogue says when it changes (SQLite)."""
    return ResponseCache(app, SQLiteVersion(Path(settings.catalog)), CACHED_READS) if is_sqlite(settings) else app
