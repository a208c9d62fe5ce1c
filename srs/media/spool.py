"""Append-only spool files: the crash-safe hand-over from capture to finalize.

A spool is written by the capture hot path with no decoding: each record is the packet
exactly as received (after SRTP decryption) plus its arrival time.  The reader tolerates a
torn last record, so a ``kill -9`` loses at most what had not been flushed yet.

Layout (little-endian): file header ``b"SRSP" u8 version``, then records
``u8 type, u16 length, f64 arrival`` followed by ``length`` bytes.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"SRSP"
VERSION = 1
FILE_HEADER = MAGIC + bytes([VERSION])
RECORD_HEADER = struct.Struct("<BHd")

RTP = 1
RTCP = 2
EVENT = 3


class SpoolError(ValueError):
    """The file is not a spool at all (a torn tail is not an error)."""


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    kind: int
    arrival: float
    data: bytes

    def event(self) -> dict[str, object]:
        """Decode an ``EVENT`` record's JSON body."""
        value = json.loads(self.data)
        if not isinstance(value, dict):
            raise SpoolError("event record is not a JSON object")
        return value


def encode_record(kind: int, arrival: float, data: bytes) -> bytes:
    """One record, ready to append (header + payload)."""
    return RECORD_HEADER.pack(kind, len(data), arrival) + data


def encode_event(arrival: float, event: dict[str, object]) -> bytes:
    return encode_record(EVENT, arrival, json.dumps(event, separators=(",", ":")).encode())


def open_spool(path: Path) -> int:
    """Create (or reopen for appending) a spool file and its directory; returns the fd.
    Runs on the capture engine's file thread: creating inodes can cost milliseconds on a
    busy ext4 (its allocator skips recently deleted inodes), which the event loop must not
    wait for."""
    os.makedirs(path.parent, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)


class SpoolWriter:
    """Buffers records in memory and appends them to the file on ``flush()``.

    ``append`` is the per-packet call: one ``struct.pack_into`` style append to a
    ``bytearray``; ``flush`` is one ``os.write`` per stream per flush interval.

    ``opening``: the file is being opened elsewhere (:func:`open_spool` on a thread);
    records buffer until it is open, ``flush`` writes nothing before that, ``close``
    waits for it.  A failed background open is retried here, synchronously, by the next
    flush (whose ``OSError`` the caller already handles: buffer kept, retried).
    """

    __slots__ = ("_buffer", "_fd", "_opening", "bytes_written", "path")

    def __init__(self, path: Path, *, opening: Future[int] | None = None) -> None:
        self.path = path
        self._buffer = bytearray()
        self.bytes_written = 0
        self._fd: int | None = None
        self._opening = opening
        if opening is None:
            self._attach(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640))

    def _attach(self, fd: int) -> None:
        self._fd = fd
        if os.fstat(fd).st_size == 0:  # one syscall on the open file, no path lookups
            self._buffer[0:0] = FILE_HEADER

    def _ready(self, wait: bool) -> bool:
        """True once the file is open; opens it here when the background open failed."""
        if self._fd is not None:
            return True
        opening = self._opening
        if opening is not None:
            if not wait and not opening.done():
                return False
            self._opening = None
            if opening.exception() is None:
                self._attach(opening.result())
                return True
        self._attach(open_spool(self.path))  # OSError: the caller keeps the buffer
        return True

    def append(self, kind: int, arrival: float, data: bytes) -> None:
        buf = self._buffer
        buf += RECORD_HEADER.pack(kind, len(data), arrival)
        buf += data

    def append_event(self, arrival: float, event: dict[str, object]) -> None:
        self._buffer += encode_event(arrival, event)

    def flush(self, fsync: bool = False, *, wait: bool = False) -> int:
        """Write buffered records; returns bytes written (0 while a background open runs,
        unless ``wait``).  Raises ``OSError`` (e.g. ENOSPC) with the buffer kept, so a
        later flush can retry."""
        if not self._buffer or not self._ready(wait):
            return 0
        fd = self._fd
        assert fd is not None
        view = memoryview(self._buffer)
        total = 0
        try:
            while total < len(view):
                chunk = view[total:]
                try:
                    total += os.write(fd, chunk)
                finally:
                    # an exception traceback may still reference the slice: release it
                    # explicitly, or the bytearray stays exported and cannot be resized
                    chunk.release()
        finally:
            view.release()
            del self._buffer[:total]
            self.bytes_written += total
        if fsync:
            os.fsync(fd)
        return total

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def close(self) -> None:
        """Flush and close (waiting for a background open still running)."""
        self._ready(wait=True)
        try:
            self.flush()
        finally:
            assert self._fd is not None
            os.close(self._fd)


def iter_records(path: Path) -> Iterator[SpoolRecord]:
    """Yield every complete record; stop silently at a torn tail."""
    data = path.read_bytes()
    yield from iter_records_bytes(data)


def iter_records_bytes(data: bytes) -> Iterator[SpoolRecord]:
    for kind, arrival, start, end in iter_records_spans(data):
        yield SpoolRecord(kind, arrival, data[start:end])


def iter_records_spans(data: bytes) -> list[tuple[int, float, int, int]]:
    """``(kind, arrival, start, end)`` of every complete record, ``data[start:end]`` its
    body: finalize's bulk reader, which slices only the bodies it needs (no record objects,
    no generator).  Raises ``SpoolError`` at once for a file that is not a spool."""
    if len(data) < len(FILE_HEADER) and FILE_HEADER.startswith(data):
        return []  # killed before (or while) the file header was first written
    if not data.startswith(MAGIC):
        raise SpoolError(f"not a spool file: starts with {data[:4]!r}, expected {MAGIC!r}")
    if len(data) < len(FILE_HEADER) or data[4] != VERSION:
        raise SpoolError(f"unsupported spool version {data[4:5]!r}")
    offset = len(FILE_HEADER)
    size = RECORD_HEADER.size
    end = len(data)
    unpack = RECORD_HEADER.unpack_from
    spans: list[tuple[int, float, int, int]] = []
    append = spans.append
    while offset + size <= end:
        kind, length, arrival = unpack(data, offset)
        start = offset + size
        offset = start + length
        if offset > end:
            break
        append((kind, arrival, start, offset))
    return spans
