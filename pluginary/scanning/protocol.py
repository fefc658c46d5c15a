"""The messages between the scanner and its worker processes.

A message is a typed msgspec struct in MessagePack, framed by a 4-byte
big-endian length. It travels over a socket the worker keeps on a private
descriptor, never over stdout or stderr, so a plugin that prints cannot
corrupt it. The worker side blocks (`write_message`, `JobReader`); the
scanner side reads without blocking and feeds whatever arrived to a
`FrameReader`, so one slow or dying worker never stalls the others.

Why msgspec: a scan answer is a list of `Plugin` attrs objects with dozens of
`Parameter`s each, and the scanner decodes the answers of every worker in one
process. msgspec encodes and decodes attrs classes in C, about five times
faster than cattrs + json, and validates the types as it decodes, so a
garbled answer is a `ProtocolError`, never a half-built record. Decoding sets
the attrs fields directly: the models have no validators or converters to
skip. MessagePack rather than JSON: it keeps infinite and NaN floats.

Strings must be valid Unicode (no lone surrogates): discover leaves out paths
that are not (`pluginary.scanning.discovery`) and the worker cleans the messages
of exceptions it reports.
"""

from __future__ import annotations

import os
import struct
from collections import deque
from typing import TypeVar

import msgspec

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import Plugin, Preset

HEADER = struct.Struct(">I")
#: A frame longer than this means the stream is corrupt (the largest real answer,
#: a 2,083-parameter instrument, is about 1 MB).
MAX_MESSAGE = 256 * 1024 * 1024
READ_SIZE = 1 << 16  # below malloc's mmap threshold: a bigger buffer costs a mmap per read


class Scan(msgspec.Struct, tag="scan", frozen=True):
    """Scanner → worker: read the bundle at `path` with the format component `format`."""

    id: int
    format: str
    path: str
    settings: ScanSettings


class Ready(msgspec.Struct, tag="ready", frozen=True):
    """Worker → scanner, once: started and waiting for jobs."""

    pid: int
    rss_mb: float
    cpu: float  # CPU seconds the worker has used so far


class Result(msgspec.Struct, tag="result", frozen=True):
    """Worker → scanner: job `id` found these plugins and presets (unstamped: the scan stage adds time and host)."""

    id: int
    plugins: list[Plugin]
    seconds: float
    rss_mb: float
    cpu: float
    #: What the format logged at WARNING or above while reading the bundle (a missing data file, …).
    warnings: list[str] = []
    presets: list[Preset] = []


class Failed(msgspec.Struct, tag="error", frozen=True):
    """Worker → scanner: the format raised `error` with `message` for job `id`."""

    id: int
    error: str
    message: str
    seconds: float
    rss_mb: float
    cpu: float
    warnings: list[str] = []


Message = Scan | Ready | Result | Failed
#: What a worker may say.
WorkerMessage = Ready | Result | Failed

_encoder = msgspec.msgpack.Encoder()
T = TypeVar("T")


class ProtocolError(Exception):
    """The byte stream is not a sequence of well-formed frames of the expected messages."""


def encode(message: Message) -> bytes:
    """One frame: header and payload."""
    payload = _encoder.encode(message)
    if len(payload) > MAX_MESSAGE:
        raise ProtocolError(f"message of {len(payload)} bytes exceeds the {MAX_MESSAGE}-byte limit")
    return HEADER.pack(len(payload)) + payload


_job_decoder = msgspec.msgpack.Decoder(Scan)
_answer_decoder = msgspec.msgpack.Decoder(WorkerMessage)


def _decode(decoder: msgspec.msgpack.Decoder[T], payload: bytes | memoryview) -> T:
    try:
        return decoder.decode(payload)
    except msgspec.MsgspecError as exc:
        raise ProtocolError(f"frame is not a valid message: {exc}") from exc


def write_message(fd: int, message: Message) -> None:
    """Send one message, blocking until all of it is written."""
    write_frame(fd, encode(message))


def write_frame(fd: int, frame: bytes) -> None:
    """Send one encoded message, blocking until all of it is written."""
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view) :]


def _take_frames(buffer: bytearray) -> list[bytes]:
    """Remove the complete frames at the start of `buffer`; return their payloads, in order."""
    payloads: list[bytes] = []
    start = 0
    with memoryview(buffer) as view:
        while len(view) - start >= HEADER.size:
            (size,) = HEADER.unpack_from(view, start)
            if size > MAX_MESSAGE:
                raise ProtocolError(f"frame announces {size} bytes, more than the {MAX_MESSAGE}-byte limit")
            end = start + HEADER.size + size
            if len(view) < end:
                break
            payloads.append(bytes(view[start + HEADER.size : end]))
            start = end
    del buffer[:start]
    return payloads


class JobReader:
    """The worker's side: jobs from a blocking descriptor.

    Reads whatever has arrived, so the jobs queued behind the current one come
    in one system call rather than two each.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._jobs: deque[Scan] = deque()

    def next(self) -> Scan | None:
        """The next job, blocking; None when the scanner closed the channel between jobs."""
        while not self._jobs:
            data = os.read(self._fd, READ_SIZE)
            if not data:
                if self._buffer:
                    raise ProtocolError(f"stream ended inside a frame ({len(self._buffer)} bytes of it arrived)")
                return None
            self._buffer += data
            self._jobs.extend(_decode(_job_decoder, payload) for payload in _take_frames(self._buffer))
        return self._jobs.popleft()


class FrameReader:
    """Reassembles a worker's messages (scanner side) from the chunks a non-blocking read returns."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[WorkerMessage]:
        """Add received bytes; return the messages now complete, in order."""
        self._buffer += data
        return [_decode(_answer_decoder, payload) for payload in _take_frames(self._buffer)]

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still waiting for the rest."""
        return len(self._buffer)
