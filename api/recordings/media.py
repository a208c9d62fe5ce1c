"""Serving recording files with HTTP Range (RFC 9110 §14) so players can seek.

Only single ranges are honoured; a multi-range or malformed ``Range`` is ignored and the
whole file is sent, as RFC 9110 allows.  A syntactically valid range that starts past the
end is answered 416.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from api.errors import RangeNotSatisfiableError

CHUNK = 64 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)

MEDIA_TYPES = {
    "wav": "audio/wav",
    "wav-g711": "audio/wav",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "mp3": "audio/mpeg",
}


@dataclass(frozen=True)
class ByteRange:
    """Inclusive ``first``..``last`` byte positions."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.first}-{self.last}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The byte range a ``Range`` header asks for, ``None`` for "send everything".

    Raises :class:`RangeNotSatisfiableError` when the range lies outside the file.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None  # other units, multiple ranges, garbage: ignore
    start, end = match.group(1), match.group(2)
    if not start and not end:
        return None
    if not start:  # suffix: the last N bytes
        suffix = int(end)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(header, size)
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(start)
    last = int(end) if end else size - 1
    if end and last < first:
        return None  # invalid range-spec: ignore the header
    if first >= size:
        raise _unsatisfiable(header, size)
    return ByteRange(first, min(last, size - 1))


def _unsatisfiable(header: str, size: int) -> RangeNotSatisfiableError:
    return RangeNotSatisfiableError(
        f"range {header.strip()!r} is outside the file ({size} bytes)",
        field="Range",
        headers={"Content-Range": f"bytes */{size}"},
    )


def read_chunks(path: Path, first: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``path`` from ``first``, in chunks (files can be hours long)."""
    with path.open("rb") as handle:
        handle.seek(first)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def media_type(fmt: str | None, path: Path) -> str:
    return MEDIA_TYPES.get((fmt or "").lower()) or MEDIA_TYPES.get(
        path.suffix.lstrip(".").lower(), "application/octet-stream"
    )
