"""SIP URIs (RFC 3261 §19.1) and the ``;param`` lists shared by URIs and header values.

Parsing uses ``str.partition``/``find`` only: no regular expression that could backtrack on
hostile input, and each character is visited a bounded number of times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from srs.sip.errors import SipParseError

Params = dict[str, str | None]


def split_quoted(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside double quotes and ``<...>``.

    Header lists (``Contact: "a,b" <sip:x>, <sip:y>``) and parameter lists need this;
    the fast path is a plain ``str.split`` when there is nothing to protect.
    """
    if '"' not in text and "<" not in text:
        return text.split(sep)
    out: list[str] = []
    start = 0
    in_quote = False
    in_angle = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if in_quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_quote = False
        elif ch == '"':
            in_quote = True
        elif in_angle:
            if ch == ">":
                in_angle = False
        elif ch == "<":
            in_angle = True
        elif ch == sep:
            out.append(text[start:i])
            start = i + 1
        i += 1
    out.append(text[start:])
    return out


def parse_params(text: str) -> Params:
    """Parse ``a=b;c;d="x;y"`` (no leading ``;``) into an ordered dict.

    Names keep their case (they round-trip); values keep their quotes.
    """
    params: Params = {}
    if not text:
        return params
    for item in split_quoted(text, ";"):
        item = item.strip()
        if not item:
            continue
        name, eq, value = item.partition("=")
        params[name.strip()] = value.strip() if eq else None
    return params


def format_params(params: Params) -> str:
    """Inverse of :func:`parse_params`, with the leading ``;``."""
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def get_param(params: Params, name: str) -> str | None:
    """Case-insensitive parameter lookup (parameter names are case-insensitive)."""
    if name in params:
        return params[name]
    lname = name.lower()
    for key, value in params.items():
        if key.lower() == lname:
            return value
    return None


def parse_host_port(text: str, what: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` / ``[v6]:port``; IPv6 hosts are returned without brackets."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError(f"Unterminated IPv6 reference in {what} {text!r}")
        host = text[1:end]
        rest = text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise SipParseError(f"Malformed host in {what} {text!r}")
        port_text = rest[1:] if rest else None
        if not host or ":" not in host:
            raise SipParseError(f"Malformed IPv6 host in {what} {text!r}")
    else:
        host, colon, port_text_s = text.partition(":")
        port_text = port_text_s if colon else None
    if not host or any(c in host for c in ' \t<>"[]@;?'):
        raise SipParseError(f"Malformed host in {what} {text!r}")
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not port_text.isascii() or len(port_text) > 5:
            raise SipParseError(f"Invalid port in {what} {text!r}")
        port = int(port_text)
        if port > 65535:
            raise SipParseError(f"Invalid port in {what} {text!r}")
    return host, port


def format_host(host: str) -> str:
    """Put brackets back around IPv6 literals."""
    return f"[{host}]" if ":" in host else host


@dataclass
class SipUri:
    """A parsed ``sip:``/``sips:`` URI; other schemes keep their opaque part in ``host``."""

    scheme: str
    user: str | None
    password: str | None
    host: str
    port: int | None = None
    params: Params = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def transport(self) -> str | None:
        """The ``;transport=`` parameter, lower-cased."""
        value = get_param(self.params, "transport")
        return value.lower() if value else None

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user or ''}{format_params(self.params)}"
        if self.scheme not in ("sip", "sips"):
            return f"{self.scheme}:{self.host}{format_params(self.params)}"
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out.append(":" + self.password)
            out.append("@")
        out.append(format_host(self.host))
        if self.port is not None:
            out.append(f":{self.port}")
        out.append(format_params(self.params))
        if self.headers:
            out.append("?" + "&".join(f"{k}={v}" for k, v in self.headers.items()))
        return "".join(out)


def parse_uri(text: str) -> SipUri:
    """Parse a URI; ``sip``/``sips`` structurally, ``tel`` into user + params."""
    text = text.strip()
    scheme, colon, rest = text.partition(":")
    if (
        not colon
        or not scheme
        or not rest
        or not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum()
    ):
        raise SipParseError(f"Malformed URI {text!r}")
    scheme = scheme.lower()
    if any(c in text for c in " \t\r\n"):
        raise SipParseError(f"Malformed URI {text!r}")
    if scheme == "tel":
        number, _, ptext = rest.partition(";")
        return SipUri(scheme, number, None, "", None, parse_params(ptext))
    if scheme not in ("sip", "sips"):
        opaque, _, ptext = rest.partition(";")
        return SipUri(scheme, None, None, opaque, None, parse_params(ptext))
    rest, _, htext = rest.partition("?")
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        user, pcolon, pw = userinfo.partition(":")
        password = pw if pcolon else None
        if not user:
            raise SipParseError(f"Empty user part in URI {text!r}")
    hostport, _, ptext = rest.partition(";")
    host, port = parse_host_port(hostport, "URI")
    headers: dict[str, str] = {}
    if htext:
        for item in htext.split("&"):
            k, _, v = item.partition("=")
            headers[k] = v
    return SipUri(scheme, user, password, host, port, parse_params(ptext), headers)
