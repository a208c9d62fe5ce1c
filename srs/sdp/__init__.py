"""SDP (RFC 8866) parsing/serializing and SIPREC offer/answer (RFC 3264, RFC 7866)."""

from srs.sdp.attributes import Attribute, Crypto, KeyParam, Rtcp, Rtpmap
from srs.sdp.description import (
    Bandwidth,
    Connection,
    MediaDescription,
    Origin,
    SdpError,
    SessionDescription,
)

__all__ = [
    "Attribute",
    "Bandwidth",
    "Connection",
    "Crypto",
    "KeyParam",
    "MediaDescription",
    "Origin",
    "Rtcp",
    "Rtpmap",
    "SdpError",
    "SessionDescription",
]
