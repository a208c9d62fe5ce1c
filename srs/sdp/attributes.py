"""Typed readings of the SDP attributes a recorder needs (rtpmap, fmtp, rtcp, crypto…).

Each reader takes the raw attribute value and returns ``None`` for a value it cannot
understand, so one broken line (e.g. Cisco's redacted ``a=crypto:XXXX``) never spoils the
rest of the description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def is_decimal(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²`` and other Unicode digits that
    ``int()`` rejects, and SDP numbers are ASCII."""
    return text.isascii() and text.isdigit()


@dataclass
class Attribute:
    """``a=<name>[:<value>]``; ``value`` is ``None`` for a property (flag) attribute."""

    name: str
    value: str | None = None

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name}:{self.value}"


def direction_of(attributes: Iterable[Attribute]) -> str | None:
    """The last direction attribute, or ``None``.

    ``a=direction:both`` (SEMS, RFC 4145 COMEDIA) is *not* a media direction: its name is
    ``direction`` so it never matches here.
    """
    found: str | None = None
    for attr in attributes:
        name = attr.name.lower()
        if attr.value is None and name in DIRECTIONS:
            found = name
    return found


# -- rtpmap -----------------------------------------------------------------------------

# RFC 3551 static payload types: encoding, clock rate, channels.
STATIC_PAYLOAD_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("pcmu", 8000, 1),
    3: ("gsm", 8000, 1),
    4: ("g723", 8000, 1),
    5: ("dvi4", 8000, 1),
    6: ("dvi4", 16000, 1),
    7: ("lpc", 8000, 1),
    8: ("pcma", 8000, 1),
    9: ("g722", 8000, 1),
    10: ("l16", 44100, 2),
    11: ("l16", 44100, 1),
    12: ("qcelp", 8000, 1),
    13: ("cn", 8000, 1),
    14: ("mpa", 90000, 1),
    15: ("g728", 8000, 1),
    16: ("dvi4", 11025, 1),
    17: ("dvi4", 22050, 1),
    18: ("g729", 8000, 1),
    25: ("celb", 90000, 1),
    26: ("jpeg", 90000, 1),
    28: ("nv", 90000, 1),
    31: ("h261", 90000, 1),
    32: ("mpv", 90000, 1),
    33: ("mp2t", 90000, 1),
    34: ("h263", 90000, 1),
}

_LEADING_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Rtpmap:
    """A payload type with its (lower-case) encoding name, clock rate and channels."""

    payload_type: int
    encoding: str
    clock_rate: int
    channels: int = 1


def parse_rtpmap(value: str) -> Rtpmap | None:
    """``<pt> <encoding>/<clock>[/<channels>]``, tolerating typos such as ``pcmu/8000a``."""
    pt_text, _, rest = value.strip().partition(" ")
    if not is_decimal(pt_text) or int(pt_text) > 127:
        return None
    pieces = rest.strip().split("/")
    encoding = pieces[0].strip().lower()
    if not encoding:
        return None
    pt = int(pt_text)
    clock = _leading_int(pieces[1]) if len(pieces) > 1 else None
    if clock is None:
        static = STATIC_PAYLOAD_TYPES.get(pt)
        clock = static[1] if static and static[0] == encoding else 8000
    channels = _leading_int(pieces[2]) if len(pieces) > 2 else None
    return Rtpmap(pt, encoding, clock, channels or 1)


def _leading_int(text: str) -> int | None:
    match = _LEADING_DIGITS.match(text.strip())
    return int(match.group()) if match else None


def parse_fmtp(value: str) -> tuple[int, str] | None:
    """``<pt> <params>`` → ``(pt, params)``."""
    pt_text, _, params = value.strip().partition(" ")
    if not is_decimal(pt_text):
        return None
    return int(pt_text), params.strip()


# -- rtcp (RFC 3605) --------------------------------------------------------------------


@dataclass(frozen=True)
class Rtcp:
    port: int
    address: str | None = None  # "IN IP4 10.0.0.1" → "10.0.0.1"


def parse_rtcp(value: str) -> Rtcp | None:
    parts = value.split()
    if not parts or not is_decimal(parts[0]) or int(parts[0]) > 65535:
        return None
    return Rtcp(int(parts[0]), parts[3] if len(parts) >= 4 else None)


# -- crypto (RFC 4568 SDES) -------------------------------------------------------------


@dataclass(frozen=True)
class KeyParam:
    """One ``inline:<key||salt>[|<lifetime>][|<MKI>:<length>]``."""

    key_salt: str
    lifetime: str | None = None
    mki: str | None = None

    def __str__(self) -> str:
        parts = [self.key_salt]
        if self.lifetime is not None:
            parts.append(self.lifetime)
        if self.mki is not None:
            parts.append(self.mki)
        return "inline:" + "|".join(parts)


@dataclass(frozen=True)
class Crypto:
    tag: int
    suite: str
    keys: tuple[KeyParam, ...]
    session_params: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        text = f"{self.tag} {self.suite} " + ";".join(str(k) for k in self.keys)
        return " ".join((text, *self.session_params))


def parse_key_param(text: str) -> KeyParam | None:
    method, sep, info = text.partition(":")
    if not sep or method.strip().lower() != "inline" or not info:
        return None
    fields = info.split("|")
    key_salt = fields[0].strip()
    if not key_salt or not re.fullmatch(r"[A-Za-z0-9+/]+=*", key_salt):
        return None
    lifetime: str | None = None
    mki: str | None = None
    for extra in fields[1:]:
        if ":" in extra:
            mki = extra.strip()
        else:
            lifetime = extra.strip()
    return KeyParam(key_salt, lifetime, mki)


def parse_crypto(value: str) -> Crypto | None:
    """``<tag> <crypto-suite> <key-params> [<session-params>]``; ``None`` when unusable."""
    parts = value.split()
    if len(parts) < 3 or not is_decimal(parts[0]):
        return None
    keys = []
    for text in parts[2].split(";"):
        key = parse_key_param(text)
        if key is None:
            return None
        keys.append(key)
    return Crypto(int(parts[0]), parts[1], tuple(keys), tuple(parts[3:]))


def parse_ptime(value: str) -> int | None:
    number = _leading_int(value)
    return number if number else None
