"""A catalogue that is a database server rather than a file, and the machine a scan runs on.

A studio's machines share one PostgreSQL catalogue, named by a URL
(`postgresql://user:password@server/db`) wherever a catalogue path is accepted. The URL
carries a password, which must never reach a log, an error, `config show` or a run
record: `DatabaseURL` *is* the redacted text (so printing, formatting, JSON and
logging can only ever show that) and keeps the real URL apart, for the backend that
connects. Each machine writes its own rows, keyed by `host_name()`.

Only the standard library: the CLI and the pipeline loader import this at start-up.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: What a database URL starts with (libpq accepts both).
SCHEMES = ("postgresql://", "postgres://")

#: Set it to stand in for another machine (tests, containers whose host name is random).
HOST_ENV = "PLUGINARY_HOST"

#: URL query parameters that hold secrets (libpq's names).
_SECRET_PARAMETERS = {"password", "sslpassword"}
_HIDDEN = "***"


def is_database_url(location: object) -> bool:
    """Whether a catalogue location is a database URL rather than a file."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def redact(url: str) -> str:
    """`url` with its password (in the user part or a query parameter) replaced by ***."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user, colon, _password = userinfo.partition(":")
            netloc = f"{user}{':' + _HIDDEN if colon else ''}@{hostport}"
        query = parse_qsl(parts.query, keep_blank_values=True)
        hidden = [(key, _HIDDEN if key.lower() in _SECRET_PARAMETERS else value) for key, value in query]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(hidden, safe="/:,=")))
    except ValueError:  # unreadable (a bad port): show the scheme only rather than risk the secret
        return url.split("://", 1)[0] + "://" + _HIDDEN


def secrets_of(url: str) -> list[str]:
    """The secret strings inside `url` (to scrub from a driver's error messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password] if parts.password else []
    found += [value for key, value in parse_qsl(parts.query) if key.lower() in _SECRET_PARAMETERS and value]
    return found


def scrub(text: str, url: str) -> str:
    """`text` with every secret of `url` replaced by ***."""
    for secret in secrets_of(url):
        text = text.replace(secret, _HIDDEN)
    return text


class DatabaseURL(str):
    """A database URL whose text is the redacted URL; `.secret` is the real one.

    Being the redacted text (not merely printing as it) matters: `json.dumps`, `%s`
    in logging and string concatenation all read a str's own characters.
    """

    secret: str

    def __new__(cls, url: str) -> DatabaseURL:
        if isinstance(url, DatabaseURL):
            return url
        self = super().__new__(cls, redact(url))
        self.secret = url
        return self

    def __reduce__(self) -> tuple[type[DatabaseURL], tuple[str]]:  # the real URL survives pickling
        return (DatabaseURL, (self.secret,))


def location(text: str | Path) -> Path | DatabaseURL:
    """A catalogue named on the command line, in the environment or the config file:
    a `DatabaseURL`, or a path (`~` expanded). Never `Path(url)`, which would fold its `//`."""
    if is_database_url(text):
        return DatabaseURL(str(text))
    return Path(text).expanduser()


def host_name() -> str:
    """This machine's name in a fleet catalogue: `PLUGINARY_HOST`, else the network name."""
    return os.environ.get(HOST_ENV, "").strip() or platform.node() or "localhost"


_PASSWORD_IN_TEXT = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@")


def scrub_urls(text: str) -> str:
    """Any database URL's password inside free text replaced by *** (for messages built
    from settings that may hold one)."""
    return _PASSWORD_IN_TEXT.sub(rf"\g<1>{_HIDDEN}@", text)
