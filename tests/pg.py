"""A throw-away PostgreSQL server for the tests: one cluster per test session, a database or
schema per test.

Debian's server binaries (`apt-get install postgresql`, in /usr/lib/postgresql/<N>/bin) are
run from a temporary folder as a non-root user (the server refuses root: as root, through
`runuser -u postgres`), listening on 127.0.0.1 at a free port with password authentication
(scram), so the tests use a URL with a password, as a studio would, and can check it never
shows. Outside CI a missing server skips with the reason; in CI (`PLUGINARY_REQUIRE_REAL_PLUGINS`)
it fails (`tests.support.need`).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tests.support import need

#: The password of the role the tests connect as: it must never appear in any output.
PASSWORD = "s3cret-Pa55word"
ROLE = "studio"


def server_bin() -> Path | None:
    """The newest installed server's binaries, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


@attrs.frozen
class Server:
    bin: Path
    port: int
    socket_dir: Path
    _names: Iterator[int] = attrs.field(factory=itertools.count)

    def url(self, database: str = "pluginary", *, password: str = PASSWORD, schema: str | None = None) -> str:
        url = f"postgresql://{ROLE}:{password}@127.0.0.1:{self.port}/{database}"
        return url + (f"?options=-csearch_path%3D{schema}" if schema else "")

    def admin(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket; its output."""
        done = subprocess.run(
            [str(self.bin / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d",
             database, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    def load(self, dump: Path, database: str) -> None:
        """Run a plain SQL dump (`pg_dump --no-owner`) in `database` as the test role, whose tables they become."""
        subprocess.run(
            [str(self.bin / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d",
             database, "-v", "ON_ERROR_STOP=1", "-q", "-c", f"SET ROLE {ROLE}", "-f", str(dump)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip

    def database(self, prefix: str = "t") -> str:
        """A new empty database owned by the test role."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} OWNER {ROLE}")
        return name

    def schema(self, database: str) -> str:
        """A new empty schema (a catalogue of its own) in `database`."""
        name = f"s_{next(self._names)}"
        self.admin(f"CREATE SCHEMA {name} AUTHORIZATION {ROLE}", database)
        return name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    """The server refuses to run as root: run it as `postgres` then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    binaries = server_bin()
    need(
        binaries is not None and (os.geteuid() != 0 or shutil.which("runuser")),
        "needs a PostgreSQL server (apt-get install postgresql)",
    )
    assert binaries is not None
    import psycopg  # noqa: F401  # a missing driver is an install error, not a skip

    with running_server(binaries) as server:
        yield server


@contextlib.contextmanager
def running_server(binaries: Path) -> Iterator[Server]:
    """A cluster in a temporary folder for as long as the block runs (benchmarks use it too)."""
    root = Path(tempfile.mkdtemp(prefix="pluginary-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                         "--locale=C.UTF-8", "--no-sync"]),
        check=True, capture_output=True,
    )  # fmt: skip
    # The superuser only on the socket; everyone else by password over TCP, as on a studio's server.
    (data / "pg_hba.conf").write_text("local all postgres trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off -c max_connections=100"
    subprocess.run(
        _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
                         "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    server = Server(bin=binaries, port=port, socket_dir=sockets)
    try:
        server.admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        server.admin(f"CREATE DATABASE pluginary OWNER {ROLE}")
        yield server
    finally:
        subprocess.run(
            _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
