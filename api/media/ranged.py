"""Sending a file with HTTP Range (206/416), ``ETag``/``If-Range`` and a disposition.

The byte-range parsing is :mod:`api.recordings.media`'s (one parser for the whole API);
this module only builds the response for any file, stored or derived.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Stream

from api.media.services import MediaFile
from api.recordings.media import parse_range, read_chunks


def file_response(
    request: Request[Any, Any, Any],
    media: MediaFile,
    *,
    attachment: bool,
    extra_headers: dict[str, str] | None = None,
) -> Stream:
    """``media`` whole (200) or the single range the client asked for (206)."""
    size = media.path.stat().st_size
    disposition = "attachment" if attachment else "inline"
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'{disposition}; filename="{media.filename}"',
        **({"ETag": media.etag} if media.etag else {}),
        **(extra_headers or {}),
    }
    if media.etag and request.headers.get("if-none-match") == media.etag:
        return Stream(iter(()), status_code=304, headers=headers, media_type=media.media_type)
    wanted = parse_range(request.headers.get("range"), size)
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range and if_range != media.etag:
        wanted = None  # the client's copy is stale: send the whole file
    status, first, length = 200, 0, size
    if wanted is not None:
        status, first, length = 206, wanted.first, wanted.length
        headers["Content-Range"] = wanted.content_range(size)
    headers["Content-Length"] = str(length)
    return Stream(
        read_chunks(media.path, first, length),
        status_code=status,
        headers=headers,
        media_type=media.media_type,
    )
