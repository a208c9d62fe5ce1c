"""Sans-IO SIP message parsing and serialisation (RFC 3261 §7, §8.2.6, §18.3, §20).

``parse_message`` reads one UDP datagram, ``StreamFramer`` cuts a TCP/TLS byte stream into
messages.  Both share one header parser that is lenient about what real devices send (LF
line ends, folding, extra blanks, leading CRLFs) and strict about what the transaction and
dialog layers rely on (mandatory headers, CSeq, Content-Length, version), reporting each
defect with an exact message and the status to answer with.

Only the start line, the header split and the five mandatory headers are parsed eagerly;
everything else (Contact, Route, body parts …) is parsed when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from srs.sip.errors import SipParseError
from srs.sip.headers import (
    COMPACT_FORMS,
    LIST_HEADERS,
    CSeq,
    Headers,
    NameAddr,
    Via,
    canonical_name,
    is_token,
    parse_cseq,
    parse_name_addr,
    parse_via,
    split_list,
    ws_split,
)
from srs.sip.uri import Params, SipUri, parse_params, parse_uri

__all__ = [
    "COMPACT_FORMS",
    "LIST_HEADERS",
    "REASON_PHRASES",
    "CSeq",
    "Headers",
    "NameAddr",
    "Params",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "SipUri",
    "StreamFramer",
    "Via",
    "canonical_name",
    "make_response",
    "parse_cseq",
    "parse_message",
    "parse_name_addr",
    "parse_params",
    "parse_uri",
    "parse_via",
    "split_list",
]

REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    199: "Early Dialog Terminated",
    200: "OK",
    202: "Accepted",
    204: "No Notification",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    412: "Conditional Request Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    417: "Unknown Resource-Priority",
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    428: "Use Identity Header",
    429: "Provide Referrer Identity",
    433: "Anonymity Disallowed",
    436: "Bad Identity-Info",
    437: "Unsupported Certificate",
    438: "Invalid Identity Header",
    439: "First Hop Lacks Outbound Support",
    440: "Max-Breadth Exceeded",
    469: "Bad Info Package",
    470: "Consent Needed",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
    607: "Unwanted",
}

_MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")
_T = TypeVar("_T")


def _clip(text: str, limit: int = 80) -> str:
    """Quote attacker-supplied text for an error message without echoing megabytes."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


class _MessageFields:
    """Typed accessors shared by requests and responses, parsed on first use.

    The cache is keyed by the raw header text, so editing ``headers`` never serves a stale
    value.  Returned objects are shared with the cache: treat them as read-only.
    """

    headers: Headers
    body: bytes
    _cache: dict[str, tuple[object, object]]

    def _cached(self, key: str, raw: object, parse: Callable[[], _T]) -> _T:
        hit = self._cache.get(key)
        if hit is not None and hit[0] == raw:
            return hit[1]  # type: ignore[return-value]
        value = parse()
        self._cache[key] = (raw, value)
        return value

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"Missing mandatory header {name}")
        return value

    @property
    def call_id(self) -> str:
        return self._required("Call-ID")

    @property
    def cseq(self) -> CSeq:
        raw = self._required("CSeq")
        return self._cached("cseq", raw, lambda: parse_cseq(raw))

    @property
    def vias(self) -> list[Via]:
        raw = tuple(self.headers.get_all("Via"))
        return self._cached("vias", raw, lambda: [parse_via(v) for v in raw])

    @property
    def top_via(self) -> Via:
        raw = self._required("Via")
        return self._cached("top_via", raw, lambda: parse_via(raw))

    @property
    def from_(self) -> NameAddr:
        raw = self._required("From")
        return self._cached("from", raw, lambda: parse_name_addr(raw))

    @property
    def to(self) -> NameAddr:
        raw = self._required("To")
        return self._cached("to", raw, lambda: parse_name_addr(raw))

    @property
    def content_type(self) -> str | None:
        """Lower-case media type without parameters (``multipart/mixed``)."""
        raw = self.headers.get("Content-Type")
        if raw is None:
            return None
        return raw.partition(";")[0].strip().lower()

    @property
    def content_type_params(self) -> dict[str, str]:
        """Content-Type parameters with lower-case names and unquoted values."""
        raw = self.headers.get("Content-Type")
        if raw is None:
            return {}
        return media_type_params(raw)


def media_type_params(value: str) -> dict[str, str]:
    """``multipart/mixed; boundary="x"`` → ``{"boundary": "x"}``."""
    out: dict[str, str] = {}
    for key, val in parse_params(value.partition(";")[2]).items():
        if val is None:
            val = ""
        elif len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[key.lower()] = val
    return out


def _serialize(start_line: str, headers: Headers, body: bytes) -> bytes:
    lines = [start_line]
    length = str(len(body))
    seen = False
    for name, value in headers.items():
        if name == "Content-Length":
            if seen:
                continue
            seen = True
            value = length
        elif "\n" in value or "\r" in value:
            raise ValueError(f"{name} header value contains a line break")
        lines.append(f"{name}: {value}")
    if not seen:
        lines.append(f"Content-Length: {length}")
    if "\n" in start_line or "\r" in start_line:
        raise ValueError("start line contains a line break")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


@dataclass
class SipRequest(_MessageFields):
    """A SIP request; ``uri`` is the Request-URI text, ``request_uri`` its parsed form."""

    method: str
    uri: str
    headers: Headers
    body: bytes = b""
    version: str = "SIP/2.0"
    _cache: dict[str, tuple[object, object]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def request_uri(self) -> SipUri:
        uri = self.uri
        return self._cached("request_uri", uri, lambda: parse_uri(uri))

    def serialize(self) -> bytes:
        return _serialize(f"{self.method} {self.uri} {self.version}", self.headers, self.body)


@dataclass
class SipResponse(_MessageFields):
    """A SIP response."""

    status: int
    reason: str
    headers: Headers
    body: bytes = b""
    version: str = "SIP/2.0"
    _cache: dict[str, tuple[object, object]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def serialize(self) -> bytes:
        return _serialize(f"{self.version} {self.status} {self.reason}", self.headers, self.body)


SipMessage = SipRequest | SipResponse


# --------------------------------------------------------------------------- parsing


@dataclass
class _Head:
    """Start line and headers of one message, before the body is known."""

    request: bool
    method: str
    uri: str
    status: int
    reason: str
    version: str
    headers: Headers
    error: str | None
    content_length: int | None
    content_length_error: str | None

    def partial(self) -> SipRequest | None:
        if not self.request:
            return None
        return SipRequest(self.method, self.uri, self.headers, b"", self.version)

    def fail(self, message: str, status: int = 400) -> SipParseError:
        return SipParseError(message, status, partial=self.partial())


def _find_head_end(buf: bytes | bytearray, start: int) -> tuple[int, int]:
    """Index where the header block ends and where the body starts, or ``(-1, -1)``.

    The blank line may be CRLF CRLF, LF LF or a mix; we look for ``\\n`` followed by an
    optional ``\\r`` and ``\\n``.
    """
    a = buf.find(b"\n\r\n", start)
    b = buf.find(b"\n\n", start)
    if a < 0 and b < 0:
        return -1, -1
    if b < 0 or (0 <= a < b):
        return a, a + 3
    return b, b + 2


def _parse_start_line(line: str) -> tuple[bool, str, str, int, str, str]:
    if line[:4].upper() == "SIP/":
        version, _, rest = line.partition(" ")
        code, _, reason = rest.lstrip(" \t").partition(" ")
        version = version.upper()
        if version != "SIP/2.0":
            if not code:
                raise SipParseError(f"Malformed status line {_clip(line)}")
            raise SipParseError(f"Unsupported SIP version {_clip(version)}", 505)
        if (
            len(code) != 3
            or not code.isdigit()
            or not code.isascii()
            or not 100 <= int(code) <= 699
        ):
            raise SipParseError(f"Malformed status line {_clip(line)}")
        reason = reason.strip(" \t")
        return False, "", "", int(code), reason, version
    parts = ws_split(line)
    if len(parts) != 3 or not is_token(parts[0]):
        raise SipParseError(f"Malformed request line {_clip(line)}")
    method, uri, version = parts
    if not version.upper().startswith("SIP/"):
        raise SipParseError(f"Malformed request line {_clip(line)}")
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"Unsupported SIP version {_clip(version)}", 505)
    scheme, colon, rest = uri.partition(":")
    if (
        not colon
        or not rest
        or not scheme.isascii()
        or not scheme.isalpha()
        or "<" in uri
        or ">" in uri
    ):
        raise SipParseError(f"Malformed Request-URI {_clip(uri)}")
    return True, method, uri, 0, "", "SIP/2.0"


def _parse_head(raw: bytes) -> _Head:
    """Parse the start line (errors raised) and headers (first error recorded)."""
    if b"\x00" in raw:
        raise SipParseError("NUL byte in header section")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # some devices send ISO-8859-1 display names
    lines = text.split("\n")
    first = lines[0]
    if first.endswith("\r"):
        first = first[:-1]
    if "\r" in first:
        raise SipParseError("Bare CR in start line")
    if not first:
        raise SipParseError("Empty message")
    request, method, uri, status, reason, version = _parse_start_line(first)

    headers = Headers()
    error: str | None = None
    name: str | None = None
    value = ""
    for line in lines[1:]:
        if line.endswith("\r"):
            line = line[:-1]
        if "\r" in line:
            error = error or f"Bare CR in header line {_clip(line)}"
            continue
        if line[:1] in (" ", "\t"):
            if name is None:
                error = error or f"Continuation line before first header {_clip(line)}"
            else:
                extra = line.strip(" \t")
                value = f"{value} {extra}" if value and extra else value or extra
            continue
        if name is not None:
            headers.add(name, value)
            name = None
        colon = line.find(":")
        if colon <= 0:
            error = error or f"Malformed header line {_clip(line)}"
            continue
        hname = line[:colon].rstrip(" \t")
        if not is_token(hname):
            error = error or f"Malformed header name {_clip(hname)}"
            continue
        name = hname
        value = line[colon + 1 :].strip(" \t\r")
    if name is not None:
        headers.add(name, value)

    content_length: int | None = None
    cl_error: str | None = None
    cl_values = headers.raw_values("Content-Length")
    if cl_values:
        first_cl = cl_values[0].strip(" \t")
        if not first_cl.isdigit() or not first_cl.isascii() or len(first_cl) > 12:
            cl_error = f"Invalid Content-Length value {_clip(first_cl)}"
        elif any(v.strip(" \t") != first_cl for v in cl_values[1:]):
            cl_error = "Conflicting Content-Length headers"
        else:
            content_length = int(first_cl)
    return _Head(
        request, method, uri, status, reason, version, headers, error, content_length, cl_error
    )


def _check_mandatory(head: _Head, msg: SipMessage) -> None:
    """RFC 3261 §8.1.1: the headers every transaction and dialog relies on."""
    headers = head.headers
    for name in _MANDATORY:
        count = headers.count(name)
        if count == 0:
            raise head.fail(f"Missing mandatory header {name}")
        if count > 1 and name != "Via":
            raise head.fail(f"Duplicate {name} header")
    try:
        msg.top_via  # noqa: B018 - parsed now so transactions can rely on it
    except SipParseError as exc:
        raise head.fail(exc.message) from None
    for hname, attr in (("From", "from_"), ("To", "to")):
        try:
            getattr(msg, attr)
        except SipParseError:
            raise head.fail(f"Malformed {hname} header {_clip(headers.get(hname) or '')}") from None
    if not msg.call_id.strip(" \t"):
        raise head.fail("Empty Call-ID header")
    try:
        cseq = msg.cseq
    except SipParseError as exc:
        raise head.fail(exc.message) from None
    if head.request and cseq.method != head.method:
        raise head.fail(
            f"CSeq method {cseq.method!r} does not match request method {head.method!r}"
        )
    max_forwards = headers.get("Max-Forwards")
    if max_forwards is not None:
        mf = max_forwards.strip(" \t")
        if not mf.isdigit() or not mf.isascii() or len(mf) > 3 or int(mf) > 255:
            raise head.fail(f"Invalid Max-Forwards value {_clip(mf)}")


def _build(head: _Head, body: bytes) -> SipMessage:
    if head.error is not None:
        raise head.fail(head.error)
    msg: SipMessage
    if head.request:
        msg = SipRequest(head.method, head.uri, head.headers, body, head.version)
    else:
        msg = SipResponse(head.status, head.reason, head.headers, body, head.version)
    _check_mandatory(head, msg)
    return msg


def _skip_crlf(buf: bytes | bytearray) -> int:
    i = 0
    n = len(buf)
    while i < n and buf[i] in (10, 13):
        i += 1
    return i


def parse_message(data: bytes, *, max_size: int = 65535) -> SipMessage:
    """Parse one whole datagram.

    Without Content-Length the body is the rest of the datagram; a shorter Content-Length
    truncates the body, a longer one is an error (RFC 3261 §18.3).
    """
    if len(data) > max_size:
        raise SipParseError(f"Message of {len(data)} bytes exceeds limit of {max_size} bytes", 513)
    start = _skip_crlf(data)
    if start == len(data):
        raise SipParseError("Empty message")
    end, body_start = _find_head_end(data, start)
    if end < 0:  # header-only datagram without the final blank line
        end = body_start = len(data)
        while end > start and data[end - 1] in (10, 13):
            end -= 1
    head = _parse_head(data[start:end])
    rest = data[body_start:]
    if head.content_length_error is not None and head.error is None:
        raise head.fail(head.content_length_error)
    if head.content_length is not None:
        if head.content_length > len(rest):
            if head.error is None:
                raise head.fail(
                    f"Content-Length {head.content_length} exceeds body length {len(rest)}"
                )
        rest = rest[: head.content_length]
    return _build(head, rest)


class StreamFramer:
    """Cuts a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3).

    ``feed`` returns parsed messages and per-message ``SipParseError``s (the stream stays
    usable).  When framing itself is lost (bad start line, missing/invalid Content-Length,
    limits exceeded) the error is returned once, ``broken`` becomes true and the caller
    must close the connection.  CRLF keep-alives (RFC 5626 §4.4.1) are skipped; ``pings``
    counts double-CRLF pings so the transport can answer each with a CRLF pong.
    """

    def __init__(self, *, max_header_size: int = 16384, max_body_size: int = 65535) -> None:
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.broken = False
        self.pings = 0
        self._crlf_run = 0
        self._buf = bytearray()
        self._scan = 0
        self._head: _Head | None = None
        self._need = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete message."""
        return len(self._buf)

    def _break(self, error: SipParseError) -> SipParseError:
        self.broken = True
        self._buf.clear()
        self._head = None
        return error

    def feed(self, data: bytes) -> list[SipMessage | SipParseError]:
        if self.broken:
            return []
        buf = self._buf
        buf += data
        out: list[SipMessage | SipParseError] = []
        while True:
            if self._head is None:
                skip = _skip_crlf(buf)
                if skip:
                    self._crlf_run += skip
                    while self._crlf_run >= 4:
                        self.pings += 1
                        self._crlf_run -= 4
                    del buf[:skip]
                    self._scan = 0
                if buf:
                    self._crlf_run = 0
                if not buf:
                    break
                end, body_start = _find_head_end(buf, self._scan)
                if end < 0 or end > self.max_header_size:
                    if len(buf) > self.max_header_size:
                        out.append(
                            self._break(
                                SipParseError(
                                    f"Header section exceeds limit of {self.max_header_size} bytes",
                                    513,
                                )
                            )
                        )
                    else:
                        self._scan = max(0, len(buf) - 2)
                    break
                try:
                    head = _parse_head(bytes(buf[:end]))
                except SipParseError as exc:
                    out.append(self._break(exc))
                    break
                if head.content_length_error is not None:
                    out.append(self._break(head.fail(head.content_length_error)))
                    break
                if head.content_length is None:
                    out.append(
                        self._break(head.fail("Missing Content-Length header on stream transport"))
                    )
                    break
                if head.content_length > self.max_body_size:
                    out.append(
                        self._break(
                            head.fail(
                                f"Content-Length {head.content_length} exceeds limit of "
                                f"{self.max_body_size} bytes",
                                413,
                            )
                        )
                    )
                    break
                del buf[:body_start]
                self._head = head
                self._need = head.content_length
                self._scan = 0
            if len(buf) < self._need:
                break
            head, self._head = self._head, None
            body = bytes(buf[: self._need])
            del buf[: self._need]
            try:
                out.append(_build(head, body))
            except SipParseError as exc:
                out.append(exc)
        return out


# --------------------------------------------------------------------------- responses


def make_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SipResponse:
    """Build a response as RFC 3261 §8.2.6 says: Via (all, in order), From, To (+tag),
    Call-ID, CSeq copied; Timestamp copied into 100 (§8.2.6.1).

    Record-Route is not copied: that is dialog work (§12.1.1), pass it in ``headers``.
    """
    out = Headers()
    src = request.headers
    for value in src.raw_values("Via"):
        out.add("Via", value)
    for name in ("From", "To", "Call-ID", "CSeq"):
        found = src.get(name)
        if found is None:
            continue
        value = found
        if name == "To" and to_tag is not None:
            try:
                has_tag = parse_name_addr(value).tag is not None
            except SipParseError:
                has_tag = True
            if not has_tag:
                value = f"{value};tag={to_tag}"
        out.add(name, value)
    if status == 100:
        timestamp = src.get("Timestamp")
        if timestamp is not None:
            out.add("Timestamp", timestamp)
    for name, value in headers:
        out.add(name, value)
    if content_type is not None:
        out.set("Content-Type", content_type)
    if reason is None:
        reason = REASON_PHRASES.get(status, _CLASS_REASONS.get(status // 100, "Unknown"))
    return SipResponse(status, reason, out, body)


_CLASS_REASONS = {
    1: "Progress",
    2: "OK",
    3: "Redirect",
    4: "Client Error",
    5: "Server Error",
    6: "Global Failure",
}
