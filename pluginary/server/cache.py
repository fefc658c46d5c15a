"""Answers to catalogue reads, kept in memory until the catalogue changes.

Why: with 32 clients the latency of a read is the queue in front of `Catalog` (Little's law:
32 × a 10-20 ms query), and the page, a script polling with ETags or a team sharing one
server ask the same few questions again and again while nothing is written. An answer read
from this dict costs a version check and a send.

What "changed" means: SQLite's `PRAGMA data_version` on one read-only connection of our own,
which changes whenever any other connection commits (this server's tag writes, a scan's child
process, `pluginary tag` in a terminal), and only then, for as long as that connection reads the
WAL's live shared memory (see `wal_identity` for when it cannot, and what is done then). A
version read from the file's size and time alone could repeat within a clock tick after a WAL
reset; this one cannot. The version is read *before* the answer is computed, so an answer is
never filed under a version newer than the data it shows: a commit in between files it under
the old version, which no later request asks for. Other backends (JSON, PostgreSQL) offer no
such version: their reads are not cached.

The layer sits in front of Starlette, so a hit runs no routing and no thread: it is served
from the event loop. Identical misses arriving together (every page after a scan's batch)
wait for the first one's answer rather than each running the query.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Bounds of what one catalogue version keeps (the oldest answer goes first).
MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024

Scope = MutableMapping[str, Any]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Send], Awaitable[None]]
#: A captured answer: the response's start headers and its body.
Answer = tuple[list[tuple[bytes, bytes]], bytes]


def wal_identity(path: Path) -> tuple[int, int] | None:
    """The catalogue's WAL shared-memory file (`-shm`) now, as (device, inode); None without one.

    A connection keeps reading the shared memory it opened. When the WAL's last user closes it,
    SQLite deletes both files, and it can think itself the last while this process still has the
    file open: any plain open() and close() of the catalogue here (the backend reads its header
    on every open) drops this process's locks on it (POSIX record locks belong to the process).
    A connection opened before then would read the deleted copy for ever, seeing no change
    again: so a connection is reopened whenever this identity moves."""
    try:
        found = os.stat(path.with_name(path.name + "-shm"))
    except OSError:
        return None
    return found.st_dev, found.st_ino


class SQLiteVersion:
    """A token that moves whenever the catalogue file changes: `PRAGMA data_version` on a
    read-only connection used only for that, reopened when the WAL's files were replaced
    (`wal_identity`), with the main file's size and time (a WAL written and deleted between
    two requests leaves its checkpoint there)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._wal: tuple[int, int] | None = None
        self._opened = 0

    def __call__(self) -> tuple[int, ...] | None:
        """The token now; None when the file cannot be read (then nothing is cached)."""
        try:
            if self._conn is None or wal_identity(self.path) != self._wal:
                if self._conn is not None:
                    self._conn.close()
                # Used from the event loop's thread only; never waiting on a lock (timeout 0),
                # which would stall every request: busy gives None.
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=0)
                self._conn.execute("PRAGMA data_version").fetchone()  # opens the WAL's files, if any
                self._wal, self._opened = wal_identity(self.path), self._opened + 1
            (data_version,) = self._conn.execute("PRAGMA data_version").fetchone()
            main = os.stat(self.path)
        except (sqlite3.Error, OSError) as exc:
            log.debug("no catalogue version from %s (%s): not caching", self.path, exc)
            return None
        return self._opened, int(data_version), main.st_size, main.st_mtime_ns


class ResponseCache:
    """GET requests for `paths` (prefixes), answered from memory while `version()` is unchanged.

    Only 200 answers are kept, with their ETag; a request whose If-None-Match names it gets
    the same empty 304 the endpoints give.
    """

    def __init__(self, app: ASGIApp, version: Callable[[], Hashable | None], paths: tuple[str, ...]) -> None:
        self.app = app
        self.version = version
        self.paths = paths
        self._version: Hashable | None = None
        self._answers: dict[tuple[bytes, bytes], Answer] = {}
        self._size = 0
        self._pending: dict[tuple[bytes, bytes], asyncio.Future[Answer | None]] = {}

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        version = self.version()
        if version is None:
            await self.app(scope, receive, send)
            return
        if version != self._version:
            self._version, self._answers, self._size = version, {}, 0
            self._pending = {}  # answers being computed from the old version are not filed
        # The raw path: a plugin id's %2F and a bare slash ask for different things (`app.plugin_path`).
        key = (scope.get("raw_path") or scope["path"].encode(), scope["query_string"])
        answer = self._answers.get(key)
        if answer is None and key in self._pending:
            answer = await asyncio.shield(self._pending[key])
        if answer is None:
            answer = await self._compute(scope, receive, send, key, version)
            if answer is None:
                return  # not kept: sent as the application gave it
        await _send_answer(scope, send, answer)

    async def _compute(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Any]],
        send: Send,
        key: tuple[bytes, bytes],
        version: Hashable,
    ) -> Answer | None:
        """Run the request (without If-None-Match: the whole answer is wanted) and keep a 200
        answer; any other (an error) goes to the client as the application gave it."""
        waiting: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = waiting
        start: MutableMapping[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        headers = [(name, value) for name, value in scope["headers"] if name != b"if-none-match"]
        answer: Answer | None = None
        try:
            await self.app({**scope, "headers": headers}, receive, capture)
            if start.get("status") == 200:
                answer = (list(start.get("headers", [])), b"".join(body))
        except Exception:
            if start:  # the application's own answer to its failure (a JSON 500), then the failure itself
                await _forward(send, start, body)
            raise
        finally:
            waiting.set_result(answer)  # waiters without an answer run the request themselves
            if self._pending.get(key) is waiting:
                del self._pending[key]
        if answer is None:
            await _forward(send, start, body)
        elif version == self._version:
            self._keep(key, answer)
        return answer

    def _keep(self, key: tuple[bytes, bytes], answer: Answer) -> None:
        self._answers[key] = answer
        self._size += len(answer[1])
        while len(self._answers) > MAX_ENTRIES or self._size > MAX_BYTES:
            oldest = next(iter(self._answers))
            self._size -= len(self._answers.pop(oldest)[1])


async def _forward(send: Send, start: MutableMapping[str, Any], body: list[bytes]) -> None:
    await send(start)
    await send({"type": "http.response.body", "body": b"".join(body)})


async def _send_answer(scope: Scope, send: Send, answer: Answer) -> None:
    headers, body = answer
    etag = next((value for name, value in headers if name == b"etag"), None)
    given = dict(scope["headers"]).get(b"if-none-match", b"")
    if etag is not None and etag in {tag.strip().removeprefix(b"W/") for tag in given.split(b",")}:
        kept = [(name, value) for name, value in headers if name in (b"etag", b"cache-control")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
