"""One CUCM recording fork, read from the From header of its INVITE.

CUCM (Built-in-Bridge and network-based recording) sends the recorder two plain SIP calls
per recorded line, with no SIPREC metadata and no SDP (delayed offer).  Everything that
links the two forks is in From URI parameters::

    From: <sip:9110001@10.48.32.90;x-nearend;x-refci=38960750;x-nearendclusterid=c1;
          x-nearenddevice=sep001795bdd16b;x-nearendaddr=9110001;x-farendrefci=38960749;
          x-farendclusterid=c1;x-farenddevice=sep0018195aa209;x-farendaddr=9110006>;tag=…

Both forks carry the same parameters except the ``x-nearend``/``x-farend`` flag (Cisco doc
200788 traces, CUCM 10.5 and 11.5).  Reading is tolerant: parameter names in any case,
device names in any case (CUCM 10.5 sends them lower-case), line breaks inside the header
(documentation copies wrap it inside ``<…>``), parameters after ``>`` instead of inside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Role = Literal["nearend", "farend"]

NEAREND: Role = "nearend"
FAREND: Role = "farend"

_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
_COMPACT = {"f": "from", "i": "call-id"}
_MAX_CLIP = 120


class BibHeaderError(ValueError):
    """The From header says it is a BIB fork but lacks what pairing needs."""


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_CLIP else text[: _MAX_CLIP - 3] + "..."


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    out: list[str] = []
    start = 0
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted:
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            out.append(text[start:i])
            start = i + 1
        i += 1
    out.append(text[start:])
    return out


def _params(text: str) -> dict[str, str | None]:
    """``a=b;c;D=e`` → ``{"a": "b", "c": None, "d": "e"}`` (names lower-cased, quotes kept off)."""
    params: dict[str, str | None] = {}
    for item in _split_outside_quotes(text, ";"):
        name, eq, value = item.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        params.setdefault(name, value.strip().strip('"') if eq else None)
    return params


def split_from(value: str) -> tuple[str | None, str, dict[str, str | None], dict[str, str | None]]:
    """A From value → (display name, URI without params, URI params, header params)."""
    text = _LINE_BREAK.sub("", value).strip()
    display: str | None = None
    rest = text
    if rest.startswith('"'):
        end = 1
        while end < len(rest) and rest[end] != '"':
            end += 2 if rest[end] == "\\" else 1
        display = rest[1:end].replace('\\"', '"').strip() or None
        rest = rest[end + 1 :].strip()
    lt = rest.find("<")
    if lt >= 0:
        if display is None:
            display = rest[:lt].strip() or None
        gt = rest.find(">", lt)
        inside = rest[lt + 1 :] if gt < 0 else rest[lt + 1 : gt]
        after = "" if gt < 0 else rest[gt + 1 :]
        uri, _, uri_params = inside.partition(";")
        return display, uri.strip(), _params(uri_params), _params(after.lstrip(";"))
    # addr-spec form: every parameter is a header parameter (RFC 3261 §20), read them all.
    uri, _, params = rest.partition(";")
    return display, uri.strip(), {}, _params(params)


def _uri_user(uri: str) -> str | None:
    _, colon, rest = uri.partition(":")
    body = rest if colon else uri
    user, at, _ = body.partition("@")
    return user or None if at else None


def _header(headers: Iterable[tuple[str, str]] | Mapping[str, str], name: str) -> str | None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    wanted = name.lower()
    for key, value in items:
        key = key.strip().lower()
        if _COMPACT.get(key, key) == wanted:
            return value
    return None


@dataclass(frozen=True)
class BibLeg:
    """The facts of one fork.  Device names are upper-case (CUCM's own spelling)."""

    dialog_id: str
    role: Role
    refci: str
    farend_refci: str | None
    nearend_cluster: str | None
    nearend_device: str | None
    nearend_addr: str | None
    farend_cluster: str | None
    farend_device: str | None
    farend_addr: str | None
    session_id: str | None = None
    display_name: str | None = None
    from_user: str | None = None
    cisco_guid: str | None = None

    @classmethod
    def from_from_header(
        cls, value: str, *, dialog_id: str | None = None, cisco_guid: str | None = None
    ) -> BibLeg | None:
        """Read a From header value; ``None`` when it is not a BIB fork.

        ``dialog_id`` defaults to the From tag (unique per fork).  Raises
        ``BibHeaderError`` when the fork flag is there but ``x-refci`` is not.
        """
        display, uri, uri_params, header_params = split_from(value)
        params = {**header_params, **uri_params}
        near = "x-nearend" in params
        far = "x-farend" in params
        if not near and not far:
            return None
        if near and far:
            raise BibHeaderError(f"From has both x-nearend and x-farend: {_clip(value)!r}")
        refci = (params.get("x-refci") or "").strip()
        if not refci:
            raise BibHeaderError(f"BIB fork without x-refci in From: {_clip(value)!r}")
        tag = header_params.get("tag")
        ident = dialog_id or tag
        if not ident:
            raise BibHeaderError(f"BIB fork without Call-ID or From tag: {_clip(value)!r}")

        def text(name: str) -> str | None:
            item = params.get(name)
            return item.strip() or None if item is not None else None

        def device(name: str) -> str | None:
            item = text(name)
            return item.upper() if item else None

        return cls(
            dialog_id=ident,
            role=NEAREND if near else FAREND,
            refci=refci,
            farend_refci=text("x-farendrefci"),
            nearend_cluster=text("x-nearendclusterid"),
            nearend_device=device("x-nearenddevice"),
            nearend_addr=text("x-nearendaddr"),
            farend_cluster=text("x-farendclusterid"),
            farend_device=device("x-farenddevice"),
            farend_addr=text("x-farendaddr"),
            session_id=text("x-sessionid"),
            display_name=display,
            from_user=_uri_user(uri),
            cisco_guid=cisco_guid.strip() if cisco_guid else None,
        )

    @classmethod
    def from_headers(
        cls,
        headers: Iterable[tuple[str, str]] | Mapping[str, str],
        *,
        dialog_id: str | None = None,
    ) -> BibLeg | None:
        """Read a fork from an INVITE's headers (``(name, value)`` pairs or a mapping).

        Names are matched case-insensitively, compact forms included; the dialog id is the
        Call-ID unless given.  ``None`` when there is no From or it is not a BIB fork.
        """
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        from_value = _header(pairs, "from")
        if from_value is None:
            return None
        call_id = _header(pairs, "call-id")
        return cls.from_from_header(
            from_value,
            dialog_id=dialog_id or (call_id.strip() if call_id else None),
            cisco_guid=_header(pairs, "cisco-guid"),
        )

    @property
    def refcis(self) -> frozenset[str]:
        """The call-leg ids this fork links (near-end and far-end refci)."""
        return frozenset(item for item in (self.refci, self.farend_refci) if item)

    @property
    def device_key(self) -> tuple[str, str]:
        """The recorded line: (cluster, device), compared case-insensitively."""
        return ((self.nearend_cluster or "").lower(), (self.nearend_device or "").lower())

    @property
    def pair_key(self) -> tuple[str, str, str, str]:
        """Forks of one recording share this key, whichever refci each names first."""
        low, high = sorted((self.refci, self.farend_refci or ""), key=lambda v: (len(v), v))
        return (*self.device_key, low, high)

    def facts(self) -> dict[str, str]:
        """Searchable facts, ``cisco_bib.`` prefixed; absent values are left out."""
        values = {
            "refci": self.refci,
            "farend_refci": self.farend_refci,
            "nearend_cluster": self.nearend_cluster,
            "nearend_device": self.nearend_device,
            "nearend_number": self.nearend_addr,
            "farend_cluster": self.farend_cluster,
            "farend_device": self.farend_device,
            "farend_number": self.farend_addr,
            "session_id": self.session_id,
        }
        return {f"cisco_bib.{key}": value for key, value in values.items() if value}
