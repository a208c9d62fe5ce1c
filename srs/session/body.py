"""Finding the SDP and the SIPREC metadata in a request body, and telling SIPREC apart.

SRCs wrap SDP and metadata in ``multipart/mixed`` in either order, add parts we do not
need (Cisco ``application/gtd``), misspell media types (``application/ +xml``), or leave
out boundaries entirely (documentation samples).  The rules here: trust the part's media
type first, then sniff (``v=0`` / ``m=`` lines for SDP, a ``recording`` root for
metadata); never reject a call because of the metadata part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

SDP = "application/sdp"
METADATA_TYPES = ("application/rs-metadata+xml", "application/rs-metadata")
ACCEPT = "application/sdp, multipart/mixed, application/rs-metadata+xml, application/rs-metadata"

_SDP_START = re.compile(rb"^[ \t]*v=0[ \t]*\r?$", re.MULTILINE)
_M_LINE = re.compile(rb"^[ \t]*m=\S", re.MULTILINE)
_SDP_LINE = re.compile(rb"^[ \t]*(?:[a-zA-Z]=|\.\.\.)")
_XML_ROOT = re.compile(rb"<(?:[\w.-]+:)?recording[\w_-]*[\s>/]")
_TOKEN_SPLIT = re.compile(r"[\s,]+")


class BodyPartLike(Protocol):
    """What ``srs.sip.multipart.BodyPart`` offers (only what we read)."""

    @property
    def body(self) -> bytes: ...

    @property
    def content_type(self) -> str | None: ...


MultipartParser = Callable[[str, bytes], Sequence[BodyPartLike]]


class UnsupportedBody(Exception):
    """A body we cannot use at all: answered 415 with ``Accept``."""


@dataclass
class MetadataPart:
    raw: bytes
    content_type: str | None


@dataclass
class SplitBody:
    sdp: bytes | None = None
    metadata: list[MetadataPart] = field(default_factory=list)


def default_multipart_parser() -> MultipartParser:
    """``srs.sip.multipart.parse_multipart``, imported late (it lives in the SIP layer)."""
    from srs.sip.multipart import parse_multipart

    return parse_multipart


def split_body(
    content_type: str | None,
    content_type_header: str | None,
    body: bytes,
    parse_multipart: MultipartParser,
) -> SplitBody:
    """Split a request body into its SDP and metadata parts.

    ``content_type`` is the lower-case media type, ``content_type_header`` the whole header
    value (boundary parameter included).  Raises ``UnsupportedBody`` for a non-empty body
    with neither SDP nor metadata in it.
    """
    out = SplitBody()
    if not body.strip():
        return out
    ctype = (content_type or "").lower()
    if ctype == SDP:
        out.sdp = body
        return out
    if ctype in METADATA_TYPES:
        out.metadata.append(MetadataPart(body, ctype))
        return out
    if ctype.startswith("multipart/"):
        try:
            parts = list(parse_multipart(content_type_header or ctype, body))
        except Exception:  # framing beyond repair: sniff the whole body below
            parts = []
        for part in parts:
            _classify(part.content_type, part.body, out)
        if not parts:
            _classify(None, body, out)
        if out.sdp is None:
            out.sdp = sniff_sdp(body)
        return out
    if not ctype:
        _classify(None, body, out)
        if out.sdp is not None or out.metadata:
            return out
    raise UnsupportedBody(f"body of type {ctype or 'unknown'!r} carries no SDP")


def _classify(ctype: str | None, data: bytes, out: SplitBody) -> None:
    ctype = (ctype or "").lower().strip()
    root = _XML_ROOT.search(data)
    if not ctype and root is not None and _looks_like_sdp(data[: root.start()]):
        # one unframed blob holding both (boundaries missing): cut it in two
        xml_start = data.rfind(b"<?xml", 0, root.start())
        if out.sdp is None:
            out.sdp = sniff_sdp(data[: root.start()])
        out.metadata.append(
            MetadataPart(data[xml_start if xml_start >= 0 else root.start() :], None)
        )
        return
    if ctype == SDP or (not ctype.endswith("xml") and out.sdp is None and _looks_like_sdp(data)):
        if out.sdp is None:
            out.sdp = data
        return
    if ctype in METADATA_TYPES or _XML_ROOT.search(data[:512]) is not None:
        out.metadata.append(MetadataPart(data, ctype or None))


def _looks_like_sdp(data: bytes) -> bool:
    return _SDP_START.search(data) is not None or _M_LINE.search(data) is not None


def sniff_sdp(body: bytes) -> bytes | None:
    """Cut an SDP out of a body whose multipart framing is broken (e.g. no boundaries).

    Starts at the first ``v=0`` (else the first ``m=``) line and stops at the first line
    that is neither an SDP line nor blank nor an ``...`` elision.
    """
    match = _SDP_START.search(body) or _M_LINE.search(body)
    if match is None:
        return None
    lines = body[match.start() :].splitlines(keepends=True)
    kept: list[bytes] = []
    for line in lines:
        if _SDP_LINE.match(line):
            kept.append(line)
        elif line.strip():
            break
    return b"".join(kept) or None


# -- SIPREC detection -----------------------------------------------------------------


def _tokens(values: Sequence[str]) -> set[str]:
    return {t.lower() for v in values for t in _TOKEN_SPLIT.split(v) if t}


def header_values(headers: Any, name: str) -> list[str]:
    """All values of ``name`` (``Headers.get_all`` when available, else ``get``)."""
    get_all = getattr(headers, "get_all", None)
    if callable(get_all):
        return list(get_all(name))
    value = headers.get(name)
    return [value] if value else []


def is_siprec(headers: Any, split: SplitBody) -> bool:
    """RFC 7866 §6.1: ``siprec`` option tag, ``+sip.src`` Contact feature, or metadata."""
    if split.metadata:
        return True
    if "siprec" in _tokens(header_values(headers, "Require") + header_values(headers, "Supported")):
        return True
    for contact in header_values(headers, "Contact"):
        params = contact.rsplit(">", 1)[-1].lower()
        if re.search(r";\s*\+?sip\.src\b|;\s*src\b", params):
            return True
    return False
