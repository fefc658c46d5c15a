"""`pluginary serve`: the catalogue in a web page and a JSON API, from this machine.

Only click is imported here: Starlette, uvicorn and the server package are imported when
the command runs, so `pluginary --help` pays nothing for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from pluginary.cli.catalog_commands import Command, catalog_option
from pluginary.core.errors import PluginaryError

if TYPE_CHECKING:
    import socket

TOKEN_ENV = "PLUGINARY_SERVE_TOKEN"


@click.command("serve", cls=Command)
@catalog_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0: any free port.")
@click.option("--read-only", is_flag=True, help="Refuse every write (tags, scans).")
def serve(catalog: Path | None, host: str, port: int, read_only: bool) -> None:
    """Browse, search, tag and rescan the catalogue in a web page, with a JSON API at /api/v1.

    On 127.0.0.1 (the default) only this machine can connect. Bound to any other address,
    writes need a token: PLUGINARY_SERVE_TOKEN, or a fresh one printed at start-up.
    """
    import os
    import secrets

    import uvicorn

    from pluginary.cli.catalog_commands import _open
    from pluginary.pipeline.loader import catalog_location
    from pluginary.server.app import LOOPBACK_NAMES, Settings, allowed_hosts, create_app

    # The catalogue `list` reads, checked by opening it; opened for writing unless read-only,
    # so an older schema is upgraded now (the request threads open it read-only).
    backend = None if catalog else catalog_location(None)[1]
    with _open(catalog) as opened:
        path = opened.path
        read_only = read_only or opened.read_only
    token = os.environ.get(TOKEN_ENV) or None
    if token is None and host not in LOOPBACK_NAMES and not read_only:
        token = secrets.token_urlsafe(24)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    settings = Settings(
        catalog=path, backend=backend, read_only=read_only, token=token, allowed_hosts=allowed_hosts(host, bound_port)
    )
    shown = f"[{host}]" if ":" in host else host
    link = f"http://{shown}:{bound_port}/" + (f"#token={token}" if token else "")
    click.echo(f"serving {path} at {link}" + (" (read-only)" if read_only else ""), err=True)
    click.echo("press Ctrl-C to stop", err=True)
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so the port (0: a free one) is known before the app is built."""
    import socket

    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # Made with IPPROTO_TCP named (socket.create_server leaves it 0): asyncio switches Nagle's
        # algorithm off only on connections whose protocol says TCP, and with it on, a response's
        # body (a second small write after its headers) waited 40 ms for the client's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once on the same port
            sock.bind(address)
            sock.listen()
        except OSError:
            sock.close()
            raise
        return sock
    except OSError as exc:
        raise PluginaryError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            where="--host/--port",
            fix="choose another --port (0 picks a free one) or another --host",
        ) from None
