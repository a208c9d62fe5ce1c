"""SDP session descriptions (RFC 8866, formerly 4566): a tolerant parser and serializer.

SIPREC clients send SDP that is often not quite RFC-shaped (no ``c=`` at all from
OpenSIPS, no ``t=``, ``...`` elision lines in documentation samples, indented lines,
LF-only line ends).  The parser keeps everything it can and records what it had to
tolerate in ``warnings``; it raises ``SdpError`` only when the input is clearly not SDP.

Serializing always produces canonical CRLF SDP in RFC order, so
``parse(serialize(d)) == d`` holds for every description the parser can produce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from srs.sdp.attributes import (
    STATIC_PAYLOAD_TYPES,
    Attribute,
    Crypto,
    Rtcp,
    Rtpmap,
    direction_of,
    is_decimal,
    parse_crypto,
    parse_fmtp,
    parse_ptime,
    parse_rtcp,
    parse_rtpmap,
)

__all__ = [
    "Bandwidth",
    "Connection",
    "MediaDescription",
    "Origin",
    "SdpError",
    "SessionDescription",
]

_LINE = re.compile(r"^\s*([A-Za-z])\s*=(.*)$")
# Session-level line types that are kept verbatim (in order) rather than modelled.
_PRE_CONNECTION = ("i", "u", "e", "p")
_POST_TIMING = ("z", "k")


class SdpError(ValueError):
    """The input cannot be read as SDP at all (``message`` is exact, for tests)."""


@dataclass
class Connection:
    """``c=<nettype> <addrtype> <address>`` (multicast TTL/count stay in ``address``)."""

    address: str
    addr_type: str = "IP4"
    net_type: str = "IN"

    @classmethod
    def parse(cls, value: str) -> Connection | None:
        parts = value.split()
        if len(parts) < 3:
            return None
        return cls(address=parts[2], addr_type=parts[1], net_type=parts[0])

    @property
    def host(self) -> str:
        """The address without a multicast ``/ttl/count`` suffix."""
        return self.address.split("/", 1)[0]

    def __str__(self) -> str:
        return f"{self.net_type} {self.addr_type} {self.address}"


@dataclass
class Origin:
    """``o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>``.

    Ids are kept as text: vendors send values that overflow 64 bits or are not numeric.
    """

    username: str = "-"
    session_id: str = "0"
    session_version: str = "0"
    net_type: str = "IN"
    addr_type: str = "IP4"
    address: str = "0.0.0.0"

    @classmethod
    def parse(cls, value: str) -> Origin | None:
        parts = value.split()
        if len(parts) < 6:
            return None
        return cls(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.net_type} {self.addr_type} {self.address}"
        )


@dataclass
class Bandwidth:
    """``b=<bwtype>:<bandwidth>`` (value kept as text; ``kbps`` is the number when valid)."""

    bw_type: str
    value: str

    @classmethod
    def parse(cls, value: str) -> Bandwidth | None:
        bw_type, sep, amount = value.partition(":")
        if not sep or not bw_type.strip():
            return None
        return cls(bw_type.strip(), amount.strip())

    @property
    def amount(self) -> int | None:
        return int(self.value) if is_decimal(self.value) else None

    def __str__(self) -> str:
        return f"{self.bw_type}:{self.value}"


def _attribute(value: str) -> Attribute:
    name, sep, rest = value.partition(":")
    return Attribute(name.strip(), rest if sep else None)


def _media_line(value: str, index: int, warnings: list[str]) -> MediaDescription:
    parts = value.split()
    media = parts[0] if parts else "-"  # "-" keeps an empty m= line representable
    port_text = parts[1] if len(parts) > 1 else ""
    proto = parts[2] if len(parts) > 2 else ""
    formats = parts[3:]
    port_part, slash, count_part = port_text.partition("/")
    port = int(port_part) if is_decimal(port_part) and int(port_part) < 65536 else None
    port_count = int(count_part) if slash and is_decimal(count_part) else None
    if port is None:
        # A media line whose port is not a number cannot be answered (RFC 3264 needs
        # one answer m-line per offer m-line with a meaningful port): reject the body.
        raise SdpError(f"m-line {index}: invalid port {port_text!r} in 'm={value.strip()}'")
    return MediaDescription(media, port, proto, formats, port_count=port_count)


@dataclass
class MediaDescription:
    """One ``m=`` section with its own ``i=``/``c=``/``b=``/``k=``/``a=`` lines."""

    media: str
    port: int
    proto: str
    formats: list[str]
    port_count: int | None = None
    title: str | None = None
    connections: list[Connection] = field(default_factory=list)
    bandwidths: list[Bandwidth] = field(default_factory=list)
    key: str | None = None
    attributes: list[Attribute] = field(default_factory=list)

    # -- attribute access ------------------------------------------------------------
    def get(self, name: str) -> str | None:
        """Value of the first ``a=name`` (case-insensitive); ``""`` for a flag."""
        lname = name.lower()
        for attr in self.attributes:
            if attr.name.lower() == lname:
                return attr.value if attr.value is not None else ""
        return None

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [a.value or "" for a in self.attributes if a.name.lower() == lname]

    @property
    def label(self) -> str | None:
        value = self.get("label")
        return value.strip() if value is not None and value.strip() else None

    def rtpmaps(self) -> dict[int, Rtpmap]:
        """Explicit ``a=rtpmap`` entries by payload type (first one wins)."""
        found: dict[int, Rtpmap] = {}
        for value in self.get_all("rtpmap"):
            rtpmap = parse_rtpmap(value)
            if rtpmap is not None and rtpmap.payload_type not in found:
                found[rtpmap.payload_type] = rtpmap
        return found

    def codecs(self) -> list[Rtpmap]:
        """The formats in offer order, static payload types filled in without rtpmap.

        Dynamic payload types without an ``a=rtpmap`` are skipped: nobody can decode them.
        """
        explicit = self.rtpmaps()
        out: list[Rtpmap] = []
        for fmt in self.formats:
            if not is_decimal(fmt) or int(fmt) > 127:
                continue
            pt = int(fmt)
            if pt in explicit:
                out.append(explicit[pt])
            elif pt in STATIC_PAYLOAD_TYPES:
                encoding, clock, channels = STATIC_PAYLOAD_TYPES[pt]
                out.append(Rtpmap(pt, encoding, clock, channels))
        return out

    def fmtp(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for value in self.get_all("fmtp"):
            parsed = parse_fmtp(value)
            if parsed is not None:
                found.setdefault(parsed[0], parsed[1])
        return found

    @property
    def rtcp(self) -> Rtcp | None:
        value = self.get("rtcp")
        return parse_rtcp(value) if value is not None else None

    def crypto(self) -> list[Crypto]:
        """Every readable ``a=crypto`` line in order (unreadable ones are skipped)."""
        return [c for c in map(parse_crypto, self.get_all("crypto")) if c is not None]

    @property
    def ptime(self) -> int | None:
        value = self.get("ptime")
        return parse_ptime(value) if value is not None else None

    def serialize_lines(self) -> list[str]:
        port = f"{self.port}/{self.port_count}" if self.port_count is not None else str(self.port)
        head = " ".join(p for p in (self.media, port, self.proto, *self.formats) if p)
        lines = [f"m={head}"]
        if self.title is not None:
            lines.append(f"i={self.title}")
        lines += [f"c={c}" for c in self.connections]
        lines += [f"b={b}" for b in self.bandwidths]
        if self.key is not None:
            lines.append(f"k={self.key}")
        lines += [f"a={a}" for a in self.attributes]
        return lines


@dataclass
class SessionDescription:
    """A whole SDP body.  ``origin``/``connection`` are ``None`` when the sender left them out."""

    version: int = 0
    origin: Origin | None = None
    session_name: str = "-"
    extra_lines: list[tuple[str, str]] = field(default_factory=list)  # i/u/e/p
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    timing: list[str] = field(default_factory=list)  # t= (and r=) lines, verbatim
    post_timing: list[tuple[str, str]] = field(default_factory=list)  # z/k
    attributes: list[Attribute] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list, compare=False)

    # -- parsing ---------------------------------------------------------------------
    @classmethod
    def parse(cls, data: bytes | str) -> SessionDescription:
        """Read SDP, tolerating what real SRCs send; ``SdpError`` only for non-SDP input."""
        text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
        desc = cls()
        warnings = desc.warnings
        seen_version = False
        seen_name = False
        current: MediaDescription | None = None
        for lineno, raw in enumerate(text.splitlines(), 1):
            match = _LINE.match(raw)
            if match is None:
                if raw.strip():
                    warnings.append(f"line {lineno}: ignored {raw.strip()[:40]!r}")
                continue
            kind = match.group(1).lower()
            value = match.group(2).strip()
            if kind == "m":
                current = _media_line(value, len(desc.media), warnings)
                desc.media.append(current)
            elif current is not None:
                _media_field(current, kind, value, lineno, warnings)
            elif kind == "v":
                if is_decimal(value):
                    desc.version = int(value)
                else:
                    warnings.append(f"line {lineno}: invalid version {value!r}")
                seen_version = True
            elif kind == "o":
                desc.origin = Origin.parse(value)
                if desc.origin is None:
                    warnings.append(f"line {lineno}: invalid origin {value!r}")
            elif kind == "s":
                if not seen_name:
                    desc.session_name = value or "-"
                seen_name = True
            elif kind == "c":
                conn = Connection.parse(value)
                if conn is None:
                    warnings.append(f"line {lineno}: invalid connection {value!r}")
                elif desc.connection is None:
                    desc.connection = conn
            elif kind == "b":
                bw = Bandwidth.parse(value)
                if bw is None:
                    warnings.append(f"line {lineno}: invalid bandwidth {value!r}")
                else:
                    desc.bandwidths.append(bw)
            elif kind in ("t", "r"):
                desc.timing.append(f"{kind}={value}")
            elif kind == "a":
                desc.attributes.append(_attribute(value))
            elif kind in _PRE_CONNECTION:
                desc.extra_lines.append((kind, value))
            else:
                desc.post_timing.append((kind, value))
        if not seen_version and not desc.media:
            raise SdpError("not an SDP body: no v= line and no m= line")
        if not any(line.startswith("t=") for line in desc.timing):
            warnings.append("no t= line")
        return desc

    # -- serializing -----------------------------------------------------------------
    def serialize(self) -> bytes:
        """Canonical CRLF SDP in RFC 8866 line order."""
        lines = [f"v={self.version}"]
        if self.origin is not None:
            lines.append(f"o={self.origin}")
        lines.append(f"s={self.session_name}")
        lines += [f"{kind}={value}" for kind, value in self.extra_lines]
        if self.connection is not None:
            lines.append(f"c={self.connection}")
        lines += [f"b={b}" for b in self.bandwidths]
        lines += self.timing
        lines += [f"{kind}={value}" for kind, value in self.post_timing]
        lines += [f"a={a}" for a in self.attributes]
        for media in self.media:
            lines += media.serialize_lines()
        return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")

    # -- helpers ---------------------------------------------------------------------
    def connection_for(self, media: MediaDescription) -> Connection | None:
        """The media-level ``c=`` if any, else the session-level one, else ``None``."""
        return media.connections[0] if media.connections else self.connection

    def direction_for(self, media: MediaDescription) -> str:
        """``sendrecv``/``sendonly``/``recvonly``/``inactive``; media level wins over session."""
        return direction_of(media.attributes) or direction_of(self.attributes) or "sendrecv"


def _media_field(
    media: MediaDescription, kind: str, value: str, lineno: int, warnings: list[str]
) -> None:
    if kind == "a":
        media.attributes.append(_attribute(value))
    elif kind == "c":
        conn = Connection.parse(value)
        if conn is None:
            warnings.append(f"line {lineno}: invalid connection {value!r}")
        else:
            media.connections.append(conn)
    elif kind == "b":
        bw = Bandwidth.parse(value)
        if bw is None:
            warnings.append(f"line {lineno}: invalid bandwidth {value!r}")
        else:
            media.bandwidths.append(bw)
    elif kind == "i" and media.title is None:
        media.title = value
    elif kind == "k" and media.key is None:
        media.key = value
    else:
        warnings.append(f"line {lineno}: {kind}= line ignored inside m-line {media.media!r}")
