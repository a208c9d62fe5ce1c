"""The SIP header multi-map and the typed values of the headers every layer reads.

``Headers`` keeps wire order (Via order matters, and serialising must not reshuffle what a
peer sent) and answers case-insensitive look-ups through an index, so ``get`` is one dict
hit.  Compact forms (``v``, ``i``, ``m`` …) are expanded on the way in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from srs.sip.errors import SipParseError
from srs.sip.uri import (
    Params,
    format_host,
    format_params,
    get_param,
    parse_host_port,
    parse_params,
    split_quoted,
)

COMPACT_FORMS = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "u": "Allow-Events",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
    "y": "Identity",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
}

_WELL_KNOWN = [
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
    "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-ID", "Content-Language",
    "Content-Length", "Content-Type", "CSeq", "Date", "Diversion", "Error-Info", "Event",
    "Expires", "From", "History-Info", "Identity", "In-Reply-To", "Max-Forwards",
    "MIME-Version", "Min-Expires", "Min-SE", "Organization", "P-Asserted-Identity",
    "P-Charging-Vector", "P-Preferred-Identity", "Path", "Priority", "Privacy",
    "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "RAck", "Reason",
    "Record-Route", "Refer-To", "Referred-By", "Reject-Contact", "Remote-Party-ID",
    "Replaces", "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route", "RSeq",
    "Security-Client", "Security-Server", "Security-Verify", "Server", "Service-Route",
    "Session-Expires", "Session-ID", "SIP-ETag", "SIP-If-Match", "Subject",
    "Subscription-State", "Supported", "Timestamp", "To", "Unsupported", "User-Agent",
    "User-to-User", "Via", "Warning", "WWW-Authenticate",
]  # fmt: skip

_CANONICAL: dict[str, str] = {name.lower(): name for name in _WELL_KNOWN}
_CANONICAL.update(COMPACT_FORMS)

LIST_HEADERS = frozenset(
    name.lower()
    for name in (
        "Via", "Route", "Record-Route", "Contact", "Allow", "Supported", "Require",
        "Proxy-Require", "Unsupported", "Accept", "Accept-Encoding", "Accept-Language",
        "Allow-Events",
    )
)  # fmt: skip

_name_cache: dict[str, str] = {}


def canonical_name(name: str) -> str:
    """``v`` → ``Via``, ``call-id`` → ``Call-ID``; unknown names keep the sender's case."""
    cached = _name_cache.get(name)
    if cached is not None:
        return cached
    result = _CANONICAL.get(name.lower(), name)
    if len(_name_cache) < 4096:  # bounded: header names are attacker-chosen
        _name_cache[name] = result
    return result


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, respecting quotes and ``<...>``."""
    return [part.strip() for part in split_quoted(value, ",") if part.strip()]


class Headers:
    """Ordered, case-insensitive multi-map of SIP headers.

    ``items()`` is the wire order with canonical names; ``get_all`` splits comma lists for
    the list-valued headers so ``Via: a, b`` and two ``Via`` lines read the same.
    """

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = []
        self._index: dict[str, list[str]] = {}
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append one header line."""
        name = canonical_name(name)
        self._items.append((name, value))
        key = name.lower()
        values = self._index.get(key)
        if values is None:
            self._index[key] = [value]
        else:
            values.append(value)

    def _reindex(self) -> None:
        self._index = {}
        for name, value in self._items:
            self._index.setdefault(name.lower(), []).append(value)

    def set(self, name: str, value: str) -> None:
        """Replace all lines of ``name`` by one, at the position of the first."""
        name = canonical_name(name)
        key = name.lower()
        if key not in self._index:
            self.add(name, value)
            return
        out: list[tuple[str, str]] = []
        placed = False
        for item in self._items:
            if item[0].lower() == key:
                if not placed:
                    out.append((name, value))
                    placed = True
            else:
                out.append(item)
        self._items = out
        self._index[key] = [value]

    def remove(self, name: str) -> None:
        """Drop every line of ``name`` (no error when absent)."""
        key = canonical_name(name).lower()
        if key not in self._index:
            return
        self._items = [item for item in self._items if item[0].lower() != key]
        del self._index[key]

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value (first list element for list-valued headers)."""
        key = canonical_name(name).lower()
        values = self._index.get(key)
        if not values:
            return default
        if key in LIST_HEADERS:
            for value in values:
                parts = split_list(value)
                if parts:
                    return parts[0]
            return default
        return values[0]

    def get_all(self, name: str) -> list[str]:
        """Every value, comma lists split for list-valued headers."""
        key = canonical_name(name).lower()
        values = self._index.get(key)
        if not values:
            return []
        if key in LIST_HEADERS:
            out: list[str] = []
            for value in values:
                out.extend(split_list(value))
            return out
        return list(values)

    def raw_values(self, name: str) -> list[str]:
        """Every line's value as received (no comma splitting)."""
        return list(self._index.get(canonical_name(name).lower(), ()))

    def count(self, name: str) -> int:
        """Number of header lines named ``name``."""
        return len(self._index.get(canonical_name(name).lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_name(name).lower() in self._index

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        new = Headers()
        new._items = list(self._items)
        new._index = {k: list(v) for k, v in self._index.items()}
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class CSeq(NamedTuple):
    """``CSeq: 101 INVITE``."""

    number: int
    method: str

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")


def is_token(text: str) -> bool:
    """RFC 3261 ``token``: what method and header names are made of."""
    return bool(text) and all(c in _TOKEN_CHARS for c in text)


def ws_split(text: str) -> list[str]:
    """Split on runs of SP/HT only: ``str.split()`` would also eat Unicode blanks."""
    return [part for part in text.replace("\t", " ").split(" ") if part]


def parse_cseq(value: str) -> CSeq:
    """Parse ``101 INVITE``; the number must fit 31 bits (RFC 3261 §8.1.1.5)."""
    parts = ws_split(value)
    if (
        len(parts) != 2
        or not parts[0].isdigit()
        or not parts[0].isascii()
        or len(parts[0]) > 10
        or not is_token(parts[1])
    ):
        raise SipParseError(f"Invalid CSeq header {value!r}")
    number = int(parts[0])
    if number >= 2**31:
        raise SipParseError(f"CSeq number {number} out of range")
    return CSeq(number, parts[1])


@dataclass
class Via:
    """One Via entry; ``host`` holds IPv6 literals without brackets."""

    transport: str
    host: str
    port: int | None = None
    params: Params = field(default_factory=dict)

    @property
    def branch(self) -> str | None:
        return get_param(self.params, "branch")

    @property
    def received(self) -> str | None:
        return get_param(self.params, "received")

    @property
    def rport(self) -> int | None:
        """The ``rport`` value once filled in by a server, else None."""
        value = get_param(self.params, "rport")
        return int(value) if value and value.isascii() and value.isdigit() else None

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return (
            f"SIP/2.0/{self.transport} {format_host(self.host)}{port}{format_params(self.params)}"
        )


def parse_via(value: str) -> Via:
    """Parse one Via entry (``SIP / 2.0 / UDP host:port;branch=...``)."""
    head, _, ptext = value.partition(";")
    proto, slash1, rest = head.partition("/")
    version, slash2, rest = rest.partition("/")
    if not slash1 or not slash2 or proto.strip().upper() != "SIP" or version.strip() != "2.0":
        raise SipParseError(f"Malformed Via header {value!r}")
    fields = ws_split(rest)
    if len(fields) != 2 or not is_token(fields[0]):
        raise SipParseError(f"Malformed Via header {value!r}")
    try:
        host, port = parse_host_port(fields[1], "Via")
    except SipParseError:
        raise SipParseError(f"Malformed Via header {value!r}") from None
    return Via(fields[0].upper(), host, port, parse_params(ptext))


@dataclass
class NameAddr:
    """``"Display" <uri>;params`` as found in From, To, Contact, Route, Refer-To …"""

    display: str | None
    uri: str
    params: Params = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return get_param(self.params, "tag")

    def __str__(self) -> str:
        if self.display is not None:
            escaped = self.display.replace("\\", "\\\\").replace('"', '\\"')
            head = f'"{escaped}" <{self.uri}>'
        else:
            head = f"<{self.uri}>"
        return head + format_params(self.params)


def _unquote(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            i += 1
            ch = text[i]
        out.append(ch)
        i += 1
    return "".join(out)


def parse_name_addr(value: str) -> NameAddr:
    """Parse name-addr (``"A" <sip:a@b>;tag=1``) or addr-spec (``sip:a@b;tag=1``).

    In the addr-spec form the ``;params`` belong to the header, not the URI (RFC 3261
    §20.10), which is what makes ``From: sip:x@y;tag=1`` carry a tag.
    """
    text = value.strip()
    display: str | None = None
    if text.startswith('"'):
        i = 1
        n = len(text)
        while i < n and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i >= n:
            raise SipParseError(f"Unterminated quoted display name in {value!r}")
        display = _unquote(text[1:i])
        text = text[i + 1 :].lstrip()
        if not text.startswith("<"):
            raise SipParseError(f"Missing <URI> after display name in {value!r}")
    lt = text.find("<")
    if lt >= 0:
        if display is None:
            display = text[:lt].strip() or None
        gt = text.find(">", lt)
        if gt < 0:
            raise SipParseError(f"Unterminated <URI> in {value!r}")
        uri = text[lt + 1 : gt].strip()
        rest = text[gt + 1 :].strip()
        if rest and not rest.startswith(";"):
            raise SipParseError(f"Unexpected text after <URI> in {value!r}")
        params = parse_params(rest[1:])
    else:
        uri, _, ptext = text.partition(";")
        uri = uri.strip()
        params = parse_params(ptext)
    if not uri or any(c in uri for c in " \t<>"):
        raise SipParseError(f"Malformed address {value!r}")
    return NameAddr(display, uri, params)
