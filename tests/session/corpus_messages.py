"""Build ``SipRequest`` objects from the corpus files as INDEX.md says to read them.

Whole-message doc samples are dedented and split at the first blank line; ``*-body.txt``
files are wrapped in an INVITE whose boundary is their second line; SIPp scenarios have
their ``[keywords]`` substituted.  Bodies are kept byte-exact (LF stays LF).
"""

from __future__ import annotations

import re
from pathlib import Path

from srs.sip.handler import DialogRef
from srs.sip.headers import Headers
from srs.sip.message import SipRequest

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

SIPP_VALUES = {
    "local_ip": "192.0.2.1",
    "local_ip_type": "4",
    "local_port": "5070",
    "remote_ip": "192.0.2.2",
    "remote_port": "5060",
    "auto_media_port": "6000",
    "transport": "UDP",
    "branch": "z9hG4bK-sipp-1",
    "pid": "1",
    "call_number": "1",
    "call_id": "sipp-call-1",
    "service": "srs",
    "peer_tag_param": ";tag=srs-tag",
    "len": "0",
}


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def _dedent(lines: list[bytes]) -> list[bytes]:
    indents = [len(ln) - len(ln.lstrip(b" \t")) for ln in lines if ln.strip()]
    cut = min(indents, default=0)
    return [ln[cut:] for ln in lines]


def parse_request(data: bytes) -> SipRequest:
    """Tolerant split of a doc-sample message: start line, folded headers, raw body.

    Doc samples indent headers unevenly and fold without leading whitespace, so any line
    that does not look like ``Name: value`` continues the previous header.
    """
    data = data.lstrip(b"\r\n")
    match = re.search(rb"\r?\n[ \t]*\r?\n", data)
    head, body = (data[: match.start()], data[match.end() :]) if match else (data, b"")
    start, *rest = head.decode("utf-8", "replace").splitlines()
    method, uri, *_ = start.split()
    pairs: list[tuple[str, str]] = []
    for text in rest:
        if pairs and not _HEADER.match(text):
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {text.strip()}")
            continue
        name, _, value = text.partition(":")
        pairs.append((name.strip(), value.strip()))
    return SipRequest(method, uri, Headers(pairs), body)


_HEADER = re.compile(r"^\s*[A-Za-z0-9!%*_+`'~.-]+\s*:")


def body_fixture_request(name: str, *, extra: list[tuple[str, str]] | None = None) -> SipRequest:
    """A ``drachtio-srs__*-body.txt`` wrapped in an INVITE (boundary from line 2)."""
    body = corpus(name)
    boundary = body.lstrip().splitlines()[0].decode().strip()[2:]
    headers = [
        ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1"),
        ("From", "<sip:src@192.0.2.1>;tag=src-1"),
        ("To", "<sip:srs@192.0.2.2>"),
        ("Call-ID", f"{name}@192.0.2.1"),
        ("CSeq", "1 INVITE"),
        ("Contact", "<sip:src@192.0.2.1>;+sip.src"),
        ("Content-Type", f"multipart/mixed;boundary={boundary}"),
        *(extra or []),
    ]
    return SipRequest("INVITE", "sip:srs@192.0.2.2", Headers(headers), body)


def sipp_requests(name: str) -> list[SipRequest]:
    """Every ``<send>`` of a SIPp scenario, keywords substituted."""
    text = corpus(name).decode("latin-1")
    out = []
    for block in re.findall(r"<send[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", text, re.S):
        filled = re.sub(r"\[(\w+)\]", lambda m: SIPP_VALUES.get(m.group(1), m.group(0)), block)
        lines = _dedent(filled.strip("\n").encode().splitlines())
        out.append(parse_request(b"\n".join(lines) + b"\n"))
    return out


def dialog_for(request: SipRequest, local_tag: str = "srs-tag") -> DialogRef:
    from_value = request.headers.get("From") or ""
    tag = re.search(r"tag=([^;>\s]+)", from_value)
    return DialogRef(
        request.headers.get("Call-ID") or "call", local_tag, tag.group(1) if tag else ""
    )


def with_body(
    request: SipRequest, method: str, body: bytes, content_type: str | None
) -> SipRequest:
    """A request in the same dialog with another method and body (re-INVITE, UPDATE, ACK)."""
    headers = Headers((n, v) for n, v in request.headers.items() if n != "Content-Type")
    if content_type is not None:
        headers.add("Content-Type", content_type)
    return SipRequest(method, request.uri, headers, body)
