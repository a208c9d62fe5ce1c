"""Real SIPREC INVITEs from the corpus (normalised to CRLF with a true Content-Length, as
tests/fixtures/corpus/INDEX.md says) must be accepted: 100, then 200 with our Contact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.sip.handler import Decision, DialogRef
from srs.sip.message import SipRequest, SipResponse, parse_message
from srs.transport import Address

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus"
INVITES = [
    "cisco-cube-doc__siprec-media-proxy-invite.txt",
    "cisco-doc-200788__cucm10.5-bib-invite1-nearend.txt",
    "cisco-doc-200788__cucm10.5-bib-invite2-farend.txt",
    "cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt",
    "cisco-doc-200788__cucm11.5-bib-invite2-farend.txt",
    "gh-go-test-unresolved-repo__audiocodes-mediant-ve-7.20A-invite-crlf.txt",
    "vorpal-blade__oracle-sbc-genesys-4stream-request-in-cdata.txt",
    "vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt",
]


def normalise(raw: bytes) -> bytes:
    text = raw.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    body = body.replace(b"\n", b"\r\n")
    head = re.sub(rb"(?im)^content-length:.*$", b"Content-Length: %d" % len(body), head)
    return head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + body


class Accepting:
    def __init__(self) -> None:
        self.invites: list[SipRequest] = []

    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        return None

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        self.invites.append(request)
        return Decision(200, b"v=0\r\n")

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        raise AssertionError("no re-INVITE here")

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        raise AssertionError("no ACK here")

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        raise AssertionError("no INFO here")

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        raise AssertionError(f"terminated: {reason}")


@pytest.mark.parametrize("name", INVITES)
def test_corpus_invite_is_accepted(name: str) -> None:
    request = parse_message(normalise((CORPUS / name).read_bytes()))
    assert isinstance(request, SipRequest)
    handler = Accepting()
    config = EndpointConfig(addresses={"udp": ("127.0.0.1", 5060), "tcp": ("127.0.0.1", 5060)})
    endpoint = SipEndpoint(config, handler)
    transport = request.top_via.transport.lower()
    source = Address(transport, "127.0.0.2", 5060, 1 if transport == "tcp" else None)
    endpoint.receive(request, source, 0.0)
    replies = [parse_message(out.data) for out in endpoint.take_outgoing()]
    assert [r.status for r in replies if isinstance(r, SipResponse)] == [100, 200]
    ok = replies[1]
    assert isinstance(ok, SipResponse)
    assert handler.invites == [request]
    contact = request.headers.get("Contact") or ""
    srs_tag = ";+sip.srs" if "+sip.src" in contact else ""
    suffix = "" if transport == "udp" else f";transport={transport}"
    assert ok.headers.get("Contact") == f"<sip:127.0.0.1:5060{suffix}>{srs_tag}"
    assert ok.call_id == request.call_id and ok.to.tag
