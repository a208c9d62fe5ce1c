"""Call facts carried in SIP headers of the recording INVITE rather than in metadata.

Cisco CUCM built-in-bridge recording sends no metadata at all: who is recorded sits in
``x-nearend``/``x-farend`` parameters of the From URI.  Oracle, CUBE and Avaya add
``Cisco-Guid``, ``Cisco-Gucid``, ``X-Acme-Call-ID`` and a hex ``User-to-User`` carrying the
Avaya UCID.  ``facts_from_headers`` turns these into the same ``CallFacts`` keys the
metadata dialects use, so ``doc.facts.merged(facts_from_headers(...))`` gives one view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from srs.metadata.facts import CallFacts
from srs.metadata.identity import parse_name_addr, uri_user

_CISCO_PARAMS = {
    "x-refci": "cisco_refci",
    "x-nearendclusterid": "cisco_near_end_cluster",
    "x-nearenddevice": "cisco_near_end_device",
    "x-nearendaddr": "cisco_near_end_addr",
    "x-farendrefci": "cisco_far_end_refci",
    "x-farendclusterid": "cisco_far_end_cluster",
    "x-farenddevice": "cisco_far_end_device",
    "x-farendaddr": "cisco_far_end_addr",
}
_UUI_UCID_TAG = 0xFA
_UUI_GUCID_TAG = 0xC8

HeaderSource = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(headers: HeaderSource) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name).strip().lower(), str(value)) for name, value in items]


def _unfold(value: str) -> str:
    """Undo header folding, and line breaks pasted inside ``<…>`` (Cisco docs do that)."""

    def join(match: re.Match[str]) -> str:
        return re.sub(r"\s*[\r\n]+\s*", "", match.group(0))

    value = re.sub(r"<[^>]*>", join, value)
    return " ".join(value.split())


def uri_params(uri: str) -> dict[str, str]:
    """Parameters of a SIP URI (``sip:u@h;a=b;flag`` → ``{"a": "b", "flag": ""}``)."""
    params: dict[str, str] = {}
    for item in uri.split(";")[1:]:
        key, _, value = item.partition("=")
        if key.strip():
            params[key.strip().lower()] = value.strip()
    return params


def parse_uui(value: str) -> dict[str, str]:
    """Avaya-style hex User-to-User: ``ucid`` (tag FA) and ``gucid`` (tag C8, ASCII)."""
    data_text, _, params = value.strip().partition(";")
    if "encoding=hex" not in params.replace(" ", "").lower():
        return {}
    try:
        data = bytes.fromhex(data_text.strip())
    except ValueError:
        return {}
    result: dict[str, str] = {}
    index = 1 if data[:1] == b"\x04" else 0  # protocol discriminator
    while index + 2 <= len(data):
        tag, length = data[index], data[index + 1]
        chunk = data[index + 2 : index + 2 + length]
        if len(chunk) < length:
            break
        if tag == _UUI_UCID_TAG:
            result["ucid"] = chunk.hex().upper()
        elif tag == _UUI_GUCID_TAG:
            result["gucid"] = chunk.decode("ascii", errors="replace")
        index += 2 + length
    return result


def ucid_from_uui_hex(value: str) -> str | None:
    """The 8-byte Avaya UCID inside hex UUI (``00FA08`` + 16 hex digits), else ``None``.

    Avaya SBCE uses this form as its session id and Oracle sends it in ``apkt:ucid`` with
    ``;encoding=hex``.
    """
    text = value.split(";", 1)[0].strip()
    match = re.fullmatch(r"0[04]FA08([0-9A-Fa-f]{16})", text)
    return match.group(1).upper() if match else None


def _cisco_bib(facts: CallFacts, from_value: str) -> None:
    display, uri = parse_name_addr(from_value)
    if not uri:
        return
    params = uri_params(uri)
    leg = "nearend" if "x-nearend" in params else "farend" if "x-farend" in params else None
    if leg is None and "x-sessionid" not in params:
        return
    if leg is not None:
        facts.attributes["cisco_recorded_leg"] = leg
    for key, name in _CISCO_PARAMS.items():
        if params.get(key):
            facts.attributes[name] = params[key]
    if params.get("x-sessionid"):
        facts.vendor_ids["x_session_id"] = params["x-sessionid"]
    near, far = params.get("x-nearendaddr"), params.get("x-farendaddr")
    if near:
        facts.attributes["cisco_near_end_number"] = near
    if far:
        facts.attributes["cisco_far_end_number"] = far
    if display and uri_user(uri) == near:
        facts.attributes["cisco_near_end_name"] = display


def facts_from_headers(headers: HeaderSource) -> CallFacts:
    """Vendor ids and parties from SIP headers (names case-insensitive, repeats allowed)."""
    facts = CallFacts()
    for name, raw_value in _pairs(headers):
        value = _unfold(raw_value)
        if name in ("call-id", "i"):
            facts.vendor_ids["sip_call_id"] = value
        elif name == "cisco-guid":
            facts.vendor_ids["cisco_guid"] = value
        elif name == "cisco-gucid":
            facts.vendor_ids["cisco_gucid"] = value
        elif name == "x-acme-call-id":
            facts.vendor_ids["oracle_call_id"] = value
        elif name == "session-id":
            local = value.split(";", 1)[0].strip()
            if local:
                facts.vendor_ids["session_id"] = local
        elif name in ("user-to-user", "x-user-to-user"):
            uui = parse_uui(value)
            if "ucid" in uui:
                facts.vendor_ids["uui_ucid"] = uui["ucid"]
            if "gucid" in uui:
                facts.vendor_ids.setdefault("cisco_gucid", uui["gucid"])
        elif name in ("from", "f"):
            # The SRC->SRS From/To name the recorder dialog, not the call's parties; only
            # CUCM built-in-bridge parameters say something about the call.
            _cisco_bib(facts, value)
    return facts
