"""Just enough SDP reading to check an offer/answer seen on the wire.

Deliberately independent of ``srs.sdp``: the interop tests must not judge srs's SDP with
srs's own parser.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

_CRYPTO = re.compile(r"^(\d+) (\S+) inline:([A-Za-z0-9+/=]+)(?:\|\S+)*(?: .*)?$")


@dataclass(frozen=True)
class Crypto:
    """One RFC 4568 ``a=crypto`` line."""

    tag: int
    suite: str
    key_salt: bytes  # the decoded inline key||salt


@dataclass
class AudioSection:
    """The first ``m=audio`` section of an SDP body."""

    port: int
    profile: str
    formats: list[int]
    rtpmap: dict[int, str] = field(default_factory=dict)  # pt -> "PCMU/8000"
    cryptos: list[Crypto] = field(default_factory=list)
    ssrcs: list[int] = field(default_factory=list)
    direction: str = "sendrecv"


def sip_body(message: str) -> str:
    """The body of a SIP message as logged (CRLF or LF line ends)."""
    text = message.replace("\r\n", "\n")
    _, sep, body = text.partition("\n\n")
    return body if sep else ""


def sip_header(message: str, name: str) -> str | None:
    for line in message.replace("\r\n", "\n").split("\n"):
        if not line:
            break
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == name.lower():
            return value.strip()
    return None


def audio_section(sdp: str) -> AudioSection:
    """Parse the first audio m-line and its attributes; raises ``ValueError`` if none."""
    section: AudioSection | None = None
    for raw in sdp.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("m="):
            if section is not None:
                break
            parts = line[2:].split()
            if parts[0] == "audio":
                section = AudioSection(int(parts[1]), parts[2], [int(p) for p in parts[3:]])
            continue
        if section is None or not line.startswith("a="):
            continue
        name, _, value = line[2:].partition(":")
        if name == "rtpmap":
            pt, _, encoding = value.partition(" ")
            section.rtpmap[int(pt)] = encoding
        elif name == "crypto":
            match = _CRYPTO.match(value)
            if match is None:
                raise ValueError(f"unparseable a=crypto:{value}")
            key = base64.b64decode(match.group(3), validate=True)
            section.cryptos.append(Crypto(int(match.group(1)), match.group(2), key))
        elif name == "ssrc":
            section.ssrcs.append(int(value.split()[0]))
        elif name in ("sendrecv", "sendonly", "recvonly", "inactive"):
            section.direction = name
    if section is None:
        raise ValueError("no m=audio section in SDP:\n" + sdp)
    return section
