"""The facts a recording stores: metadata facts plus the ids carried in SIP headers, so
that ``/api/v1/recordings?vendor_id=`` finds a call by any of them."""

from __future__ import annotations

from typing import Any

from corpus_messages import corpus, dialog_for, parse_request
from session_fakes import FakePorts, counting_key, id_sequence

from srs.metadata.facts import CallFacts
from srs.session.facts import call_facts_from_json
from srs.session.plan import SessionSnapshot
from srs.session.recording import Recorder, RecorderConfig
from srs.sip.headers import Headers
from srs.sip.message import SipRequest

ACME_TEMPLATE = "vorpal-blade__oracle-sbc-invite-template-siprec-acme.txt"
GENESYS = "vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt"


def snapshot_of(request: SipRequest) -> dict[str, Any]:
    rec = Recorder(
        FakePorts(),
        config=RecorderConfig(media_address="192.0.2.10"),
        new_id=id_sequence(),
        random_bytes=counting_key,
    )
    assert rec.on_invite(dialog_for(request), request, 1.0).status == 200
    snaps = [e.data for e in rec.take_events() if isinstance(e, SessionSnapshot)]
    return snaps[-1]


def test_oracle_template_header_call_id_is_a_vendor_id() -> None:
    """The Acme template has no SIP envelope: its headers go on a minimal INVITE."""
    template = parse_request(corpus(ACME_TEMPLATE))
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1"),
            ("From", "<sip:src@192.0.2.1>;tag=1"),
            ("To", "<sip:srs@192.0.2.2>"),
            ("Call-ID", "acme-template@192.0.2.1"),
            ("CSeq", "1 INVITE"),
            *template.headers.items(),
        ]
    )
    snap = snapshot_of(SipRequest("INVITE", template.uri, headers, template.body))
    ids = snap["facts"]["vendor_ids"]
    assert ids["oracle_call_id"] == "wlss-64071c05-73fde93a6638f450@152.190.6.22"
    assert ids["sip_call_id"] == "acme-template@192.0.2.1"
    assert ids["ucid"] == "004762BD69FA4805"  # from apkt:ucid in the metadata


def test_genesys_headers_and_metadata_ids_together() -> None:
    snap = snapshot_of(parse_request(corpus(GENESYS)))
    ids = snap["facts"]["vendor_ids"]
    assert ids["ucid"] == "00473539660FF5A7"  # metadata apkt:ucid
    assert ids["uui_ucid"] == "0047353A660FF5A7"  # the UCID inside User-to-User (hex)
    assert ids["cisco_gucid"] == "00071136261712321959"  # Cisco-Gucid header
    assert ids["sip_call_id"] == "13b4b541dc1b6078eaaa4ab84f52d094040@10.178.60.190"


def test_facts_round_trip_through_json() -> None:
    facts = CallFacts(direction="inbound", vendor_ids={"ucid": "1"}, session_ids=["s"])
    facts.caller.number = "1001"
    facts.attributes["a"] = "b"
    assert call_facts_from_json(facts.to_json()) == facts
    assert call_facts_from_json(None) == CallFacts()
    garbage = {"direction": "sideways", "vendor_ids": ["x"], "caller": "bob", "session_ids": 3}
    assert call_facts_from_json(garbage) == CallFacts()
