"""The messages between the scanner and its worker processes.

A message is a JSON object framed by a 4-byte big-endian length. It travels
over a socket the worker keeps on a private descriptor, never over stdout or
stderr, so a plugin that prints cannot corrupt it. The worker side blocks
(`write_message`, `read_message`); the scanner side reads without blocking and
feeds whatever arrived to a `FrameReader`, so one slow or dying worker never
stalls the others.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from pluginary.core.models import converter

HEADER = struct.Struct(">I")
#: A frame longer than this means the stream is corrupt (the largest real answer,
#: a 2,083-parameter instrument, is about 1 MB).
MAX_MESSAGE = 256 * 1024 * 1024

Message = dict[str, Any]

#: How plugins travel: the shared converter, minus fields left at their default
#: (a third of the bytes of a typical plugin). Structuring trusts the worker's
#: JSON types (no detailed validation, strings and optional numbers taken as
#: they come): this runs once per plugin in the one scanner process that every
#: worker feeds, and it is our own worker that unstructured them.
wire = converter.copy(omit_if_default=True, detailed_validation=False)
wire.register_structure_hook_func(lambda t: t == tuple[str, ...], lambda value, _: tuple(value))
wire.register_structure_hook_func(lambda t: t in (float | None, int | None), lambda value, _: value)


class ProtocolError(Exception):
    """The byte stream is not a sequence of well-formed frames."""


def encode(message: Message) -> bytes:
    """One frame: header and JSON payload. ASCII-escaped, so any str survives."""
    payload = json.dumps(message, separators=(",", ":")).encode("ascii")
    if len(payload) > MAX_MESSAGE:
        raise ProtocolError(f"message of {len(payload)} bytes exceeds the {MAX_MESSAGE}-byte limit")
    return HEADER.pack(len(payload)) + payload


def _decode(payload: bytes) -> Message:
    try:
        message = json.loads(payload)
    except ValueError as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError(f"frame holds a {type(message).__name__}, not an object")
    return message


def write_message(fd: int, message: Message) -> None:
    """Send one message, blocking until all of it is written."""
    view = memoryview(encode(message))
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> Message | None:
    """Receive one message, blocking; None when the peer closed between messages."""
    try:
        header = _read_exactly(fd, HEADER.size)
    except EOFError:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ProtocolError(f"frame announces {size} bytes, more than the {MAX_MESSAGE}-byte limit")
    try:
        return _decode(_read_exactly(fd, size))
    except EOFError:
        raise ProtocolError(f"stream ended inside a {size}-byte frame") from None


class FrameReader:
    """Reassembles messages from the chunks a non-blocking read returns."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return the messages now complete, in order."""
        self._buffer += data
        messages: list[Message] = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if size > MAX_MESSAGE:
                raise ProtocolError(f"frame announces {size} bytes, more than the {MAX_MESSAGE}-byte limit")
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            messages.append(_decode(bytes(self._buffer[HEADER.size : end])))
            del self._buffer[:end]
        return messages

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still waiting for the rest."""
        return len(self._buffer)
