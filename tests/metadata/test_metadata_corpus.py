"""Every corpus file: the facts INDEX.md says a correct parser extracts.

One check per file, named after the file; a corpus file without a check fails the suite.
Files without metadata (CUCM built-in-bridge recording, SDP-only ACKs) are checked for
the facts their SIP headers carry (``facts_from_headers``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from corpus_extract import Extracted, corpus_files, extract

from srs.metadata import (
    DialectRegistry,
    MetadataDocument,
    MetadataTimeline,
    facts_from_headers,
    parse_metadata,
)
from srs.sip.multipart import parse_multipart

Check = Callable[[Extracted, DialectRegistry], None]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        assert name not in CHECKS, name
        CHECKS[name] = function
        return function

    return register


def docs(found: Extracted, registry: DialectRegistry) -> list[MetadataDocument]:
    return [parse_metadata(body, ctype, registry=registry) for ctype, body in found.metadata]


def only_doc(found: Extracted, registry: DialectRegistry) -> MetadataDocument:
    parsed = docs(found, registry)
    assert len(parsed) == 1, [ct for ct, _ in found.metadata]
    return parsed[0]


def timeline(*documents: MetadataDocument) -> MetadataTimeline:
    merged = MetadataTimeline()
    for now, doc in enumerate(documents):
        merged.apply(doc, float(now))
    return merged


def sender_ids(merged: MetadataTimeline, labels: list[str]) -> dict[str, str | None]:
    result = {}
    for label in labels:
        sender = merged.stream_sender(label)
        result[label] = sender.participant_id if sender else None
    return result


def people(doc: MetadataDocument) -> list[tuple[str, str | None, str | None]]:
    return [(p.participant_id, p.aor, p.name) for p in doc.participants]


def labels(doc: MetadataDocument) -> dict[str, str]:
    return {s.label or "": s.stream_id for s in doc.streams}


def header_facts(found: Extracted, index: int = 0) -> dict[str, object]:
    return facts_from_headers(found.messages[index].headers).to_json()


def sdp_labels(found: Extracted, index: int = 0) -> set[str]:
    return set(re.findall(r"a=label:(\S+)", found.messages[index].body.decode()))


def utc(doc: MetadataDocument) -> str | None:
    return doc.facts.start_time


# --- RFC 7865 transcriptions -----------------------------------------------------------

BOB, PAUL = "srfBElmCRp2QB23b7Mpk0w==", "zSfPoSvdSDCmU3A3TRDxAw=="
RFC_STREAMS = {
    "96": "UAAMm5GRQKSCMVvLyl4rFw==",
    "97": "i1Pz3to5hGk8fuXl+PbwCw==",
    "98": "8zc6e0lYTlWIINA6GR+3ag==",
    "99": "EiXGlc+4TruqqoDaNE76ag==",
}


@check("ng911lib__rfc7865-s8.1-complete-metadata.xml")
def _rfc_complete(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "rfc7865" and doc.data_mode == "complete"
    assert [g.group_id for g in doc.groups] == ["7+OTCyoxTmqmqyA/1weDAg=="]
    assert doc.groups[0].extensions["call-center"] == {
        "supervisor": "sip:alice@atlanta.com",
        "@ns": "urn:ietf:params:xml:ns:callcenter",
    }
    session = doc.sessions[0]
    assert session.session_id == "hVpd7YQgRW2nD22h7q60JQ=="
    assert session.sip_session_ids == [
        "ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"
    ]
    assert session.group_ref == "7+OTCyoxTmqmqyA/1weDAg=="
    assert "mydata" in session.extensions
    assert people(doc) == [
        (BOB, "sip:bob@biloxi.com", "Bob"),
        (PAUL, "sip:Paul@biloxi.com", "Paul"),
    ]
    assert [p.name_lang for p in doc.participants] == ["it", "it"]
    assert labels(doc) == RFC_STREAMS
    merged = timeline(doc)
    assert sender_ids(merged, ["96", "97", "98", "99"]) == {
        "96": BOB,
        "97": BOB,
        "98": PAUL,
        "99": PAUL,
    }
    assert merged.mapping_confidence("96") == "metadata"
    assert doc.stream_assoc(BOB).recv == [RFC_STREAMS["98"], RFC_STREAMS["99"]]  # type: ignore[union-attr]
    assert doc.stream_assoc(PAUL).recv == [RFC_STREAMS["96"], RFC_STREAMS["97"]]  # type: ignore[union-attr]
    assert [a.associate_time.iso() for a in doc.participant_session_assocs] == [  # type: ignore[union-attr]
        "2010-12-16T23:41:07Z"
    ] * 2
    assert utc(doc) == "2010-12-16T23:41:07Z"


@check("ng911lib__rfc7865-s8.2-partial-metadata.xml")
def _rfc_partial(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.data_mode == "partial"
    assert people(doc) == [(BOB, "sip:bob@biloxi.com", "Bob")]
    assert doc.sessions == []  # referenced, not declared
    (assoc,) = doc.participant_session_assocs
    assert (assoc.participant, assoc.session) == (BOB, "hVpd7YQgRW2nD22h7q60JQ==")
    assert assoc.associate_time is None
    assert assoc.disassociate_time is not None
    assert assoc.disassociate_time.iso() == "2010-12-16T23:41:07Z"


# --- AWS Chime (RFC 7866/8068 adaptation) ----------------------------------------------


@check("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt")
def _aws_initial(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert not doc.well_formed and doc.recovered
    assert doc.errors == [
        "not well-formed: line 29, column 60: Opening and ending tag mismatch: naSRCme line 29 and name",
        "renamed start tag <naSRCme> to <name> to match its end tag",
    ]
    assert doc.content_type == "application/rs-metadata"
    assert doc.sessions[0].session_id == "hVpd7YQgRW2nD22h7q60JQ=="
    assert doc.sessions[0].sip_session_ids == [
        "ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"
    ]
    assert doc.sessions[0].group_ref == "7+OTCyoxTmqmqyA/1weDAg=="
    assert doc.groups[0].group_id == "7+OTCyoxTmqmqyA/1weDAg=="
    assert people(doc) == [
        (BOB, "sip:alice@atlanta.com", "Alice"),  # RFC reuses Bob's id for Alice here
        (PAUL, "sip:bob@biloxy.com", "Bob"),
    ]
    merged = timeline(doc)
    assert sender_ids(merged, ["96", "97", "98", "99"]) == {
        "96": BOB,
        "97": BOB,
        "98": PAUL,
        "99": PAUL,
    }
    assert header_facts(found)["vendor_ids"] == {
        "sip_call_id": "d253c800-b0d1ea39-4a7dd-3f0e20a",
        "session_id": "ab30317f1a784dc48ff824d0d3715d86",
    }
    assert doc.participant_session_assocs[0].associate_time.iso() == "2010-12-16T23:41:07Z"  # type: ignore[union-attr]


@check("aws-chime-sdk-doc__siprec-example-hold-partial.txt")
def _aws_hold(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.errors == [] and doc.data_mode == "partial"
    assert doc.participants == [] and doc.sessions == [] and doc.streams == []
    alice, bob = doc.participant_stream_assocs
    assert (alice.participant, alice.send, alice.recv) == (
        BOB,
        [],
        [RFC_STREAMS["98"], RFC_STREAMS["99"]],
    )
    assert (bob.participant, bob.send, bob.recv) == (
        PAUL,
        [RFC_STREAMS["98"], RFC_STREAMS["99"]],
        [],
    )


@check("aws-chime-sdk-doc__siprec-example-resume-partial.txt")
def _aws_resume(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.data_mode == "partial"
    alice, bob = doc.participant_stream_assocs
    assert alice.send == [RFC_STREAMS["97"], RFC_STREAMS["96"]]
    assert alice.recv == [RFC_STREAMS["98"], RFC_STREAMS["99"]]
    assert bob.send == [RFC_STREAMS["98"], RFC_STREAMS["99"]]
    assert bob.recv == [RFC_STREAMS["97"], RFC_STREAMS["96"]]


# --- Oracle / Acme Packet --------------------------------------------------------------

ORACLE_SESSION = "urn:uuid:79b2fcd8-5c7f-455c-783f-db334e5d57d0"
SIPP_P = "urn:uuid:10ac9063-76b7-40bb-4587-08ba290d7327"
SUT_P = "urn:uuid:797c45f5-e765-4b12-52b0-d9be31138529"
LABEL1 = "urn:uuid:4a72a1ed-abb2-4d7c-5f4d-6d4c36e2d4ec"
LABEL2 = "urn:uuid:07868c77-ef8e-4d6f-6dd5-a02ff53a1329"


@check("oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt")
def _oracle_note1(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "draft" and doc.data_mode == "complete"
    session = doc.sessions[0]
    assert session.session_id == ORACLE_SESSION
    assert session.start_time is not None and session.start_time.raw == "2011-06-27T17:03:57"
    assert session.start_time.zone_assumed and session.start_time.iso() == "2011-06-27T17:03:57Z"
    assert "<start-time> '2011-06-27T17:03:57' has no zone; read as UTC" in doc.warnings
    assert people(doc) == [
        (SIPP_P, "sip:sipp@168.192.24.40", "sipp"),
        (SUT_P, "sip:service@168.192.24.60", "sut"),
    ]
    assert labels(doc) == {"1": LABEL1}
    assert doc.stream_assoc(SIPP_P).send == [LABEL2]  # type: ignore[union-attr]
    assert (
        f"participant {SIPP_P!r} references stream {LABEL2!r} not declared in this document"
        in doc.warnings
    )
    merged = timeline(doc)
    assert merged.stream_sender("1") is None and merged.mapping_confidence("1") is None


@check("oracle-sbc-doc__sample-sdp-metadata-note2-reinvite-partial.txt")
def _oracle_note2(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.data_mode == "partial"
    assert people(doc) == [(SUT_P, "sip:service@168.192.24.60", "sut")]
    assert doc.stream_assoc(SUT_P).send == [LABEL1]  # type: ignore[union-attr]
    assert labels(doc) == {"2": LABEL2}
    (assoc,) = doc.participant_session_assocs
    assert assoc.associate_time is not None and assoc.associate_time.raw == "2011-06-27T17:03:58"


@check("oracle-sbc-doc__ucid-spl-extensiondata-fragment.txt")
def _oracle_ucid_fragment(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert not doc.well_formed and doc.recovered
    assert doc.errors == [
        "not well-formed: line 1, column 27: AttValue: \" or ' expected",
        "quoted attribute value: xmlns:apkt=http:/acmepacket.com/siprec/extensiondata",
        "quoted attribute value: xmlns:apkt=http:/acmepacket.com/siprec/extensiondata",
        "wrapped fragment in <srs-fragment>: no single root element",
    ]
    assert doc.dialect == "oracle"
    assert doc.extensions["oracle"] == {
        "ucids": ["00FA08001900014E3E7D5C;encoding=hex", "C0934BE72BF711D6800285D16359919A"]
    }
    assert doc.facts.vendor_ids["ucid"] == "00FA08001900014E3E7D5C"
    assert doc.facts.attributes["ucid_decoded"] == "001900014E3E7D5C"


@check("drachtio-srs__acme-oracle-sbc-offer-body.txt")
def _acme_offer(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "oracle"
    assert doc.sessions[0].session_id == "AavRXwIIQj1Q39eJulTipQ=="
    assert doc.sessions[0].associate_time.raw == "2019-03-09T16:50:20"  # type: ignore[union-attr]
    p1, p2 = "fSD3PFErSjNTHLDiXCELjw==", "EbccNyypRlFYXTm4iw8hxw=="
    assert people(doc) == [
        (p1, "sip:9000@192.168.50.102", "9000"),
        (p2, "sip:1002@192.168.50.10", "1002"),
    ]
    assert [p.extensions["callingParty"] for p in doc.participants] == ["true", "false"]
    assert doc.extensions["oracle"]["participants"] == {  # type: ignore[index]
        p1: {"calling_party": True},
        p2: {"calling_party": False},
    }
    assert doc.facts.caller.participant_id == p1 and doc.facts.caller.number == "9000"
    assert doc.facts.callee.participant_id == p2 and doc.facts.callee.number == "1002"
    assert doc.facts.caller_source == "vendor:oracle"
    assert sender_ids(timeline(doc), ["16777227", "16777228"]) == {"16777227": p1, "16777228": p2}
    assert [s.mode for s in doc.streams] == ["separate", "separate"]
    assert doc.stream("16777228").associate_time.raw == "2019-03-09T16:50:31"  # type: ignore[union-attr]


def _genesys_common(doc: MetadataDocument) -> None:
    assert doc.dialect == "genesys" and doc.dialects[-2:] == ["oracle", "genesys"]
    assert any("apkt prefix bound to different namespace URIs" in w for w in doc.warnings)
    assert doc.facts.attributes["oracle_caller_orig"] == "true"
    assert doc.facts.caller.name == "Genesys" and doc.facts.caller_source is not None
    assert doc.facts.attributes["oracle_realm"] == "OMNI_MH_Ingress"


@check("vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt")
def _genesys_invite(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert not doc.well_formed and doc.recovered
    assert doc.errors[0] == "not well-formed: line 20, column 78: error parsing attribute name"
    assert doc.errors[1].startswith(
        "escaped raw markup in text: <sip:record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19"
    )
    assert len(doc.errors) == 2
    _genesys_common(doc)
    assert doc.sessions[0].session_id == "Vu4qFY9ESUlyq9aGK4UvmA=="
    assert doc.sessions[0].associate_time.iso() == "2024-04-05T07:59:19Z"  # type: ignore[union-attr]
    assert doc.facts.vendor_ids["ucid"] == "00473539660FF5A7"
    p1, p2 = "0iRXlXtJRdNycO2aF5l4+w==", "N+fijXBkQjFgPM5FhZLI9A=="
    assert people(doc) == [
        (p1, "sip:Genesys@10.28.70.121", "Genesys"),
        (
            p2,
            "sip:record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19@127.0.0.1",
            "record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19",
        ),
    ]
    merged = timeline(doc)
    assert sender_ids(merged, ["1006644281", "1006644283", "1006644282", "1006644284"]) == {
        "1006644281": p1,
        "1006644283": p1,
        "1006644282": p2,
        "1006644284": p2,
    }
    assert (
        doc.facts.vendor_ids["oracle_call_id"]
        == "wlss-9df06dac-AC565000-947B-5BFE-1ECF-88D28E4B0995-7094@10.28.70.121"
    )
    assert doc.facts.vendor_ids["genesys_call_uuid"] == "01PEP83ES8B0FC7QD151Q2LAES00022M"
    assert doc.facts.vendor_ids["genesys_connid"] == "02c203701171b854"
    assert doc.facts.caller.number == "6325883654" and doc.facts.callee.number == "8663738232"
    assert doc.facts.caller.participant_id == p1 and doc.facts.callee.participant_id == p2
    assert doc.extensions["genesys"]["recording_legs"] == [p2]  # type: ignore[index]
    sip = header_facts(found)
    assert sip["vendor_ids"]["cisco_gucid"] == "00071136261712321959"  # type: ignore[index]
    assert sip["vendor_ids"]["uui_ucid"] == "0047353A660FF5A7"  # type: ignore[index]


@check("vorpal-blade__oracle-sbc-genesys-4stream-request-in-cdata.txt")
def _genesys_cdata(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.errors == []
    _genesys_common(doc)
    assert doc.sessions[0].session_id == "gxwzQvnlSSVhNe2DPctt4Q=="
    assert doc.sessions[0].associate_time.iso() == "2023-10-24T15:53:04Z"  # type: ignore[union-attr]
    assert doc.facts.vendor_ids["ucid"] == "0090D1AD6537E860"
    p1, p2 = "jQysQaOQQKN+GPqD9ucaNw==", "UaWEAnypTXljTotoD5TX5w=="
    assert [(p.participant_id, p.aor) for p in doc.participants] == [
        (p1, "sip:Genesys@10.29.199.68"),
        (p2, "sip:record=00U2QRJBLKAF3CCSEDB1Q2LAES0188NT_2023-10-24_15-53-28@127.0.0.1"),
    ]
    assert sender_ids(timeline(doc), ["268749245", "268749247", "268749246", "268749248"]) == {
        "268749245": p1,
        "268749247": p1,
        "268749246": p2,
        "268749248": p2,
    }
    assert (
        doc.facts.vendor_ids["oracle_call_id"]
        == "wlss-51879a67-9C565000-8D9C-2A83-9619-EA8320AF242A-7090@10.29.199.68"
    )
    sip = header_facts(found)
    assert sip["vendor_ids"]["cisco_gucid"] == "00144536801698162784"  # type: ignore[index]


@check("vorpal-blade__oracle-sbc-invite-template-siprec-acme.txt")
def _oracle_template(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "oracle"
    assert doc.sessions[0].session_id == "tgfh2ko3QLdt5TI44tJGIg=="
    assert doc.sessions[0].associate_time.raw == "2026-05-05T14:41:56"  # type: ignore[union-attr]
    assert doc.facts.vendor_ids["ucid"] == "004762BD69FA4805"
    p1, p2 = "gXnUad4yRbxolQd+Vq1Nrw==", "r3jmmJrDTL50Rpog/r9DQg=="
    assert people(doc) == [
        (p1, "sip:+19195184357@vzb.int", "+19195184357"),
        (p2, "sip:+18442820485@uhc.com", "+18442820485"),
    ]
    assert doc.facts.caller.participant_id == p1 and doc.facts.caller.number == "+19195184357"
    assert doc.facts.callee.number == "+18442820485"
    assert sender_ids(timeline(doc), ["739440565", "739440566"]) == {
        "739440565": p1,
        "739440566": p2,
    }
    assert doc.stream("739440566").associate_time.raw == "2026-05-05T14:42:04"  # type: ignore[union-attr]
    assert (
        doc.facts.attributes["oracle_request_uri"] == "sip:1970900410@elr11.uhgvcc.globalipcom.com"
    )
    assert doc.facts.attributes["oracle_realm"] == "peerVZBSR1"
    call_id = "wlss-64071c05-73fde93a6638f450@152.190.6.22"
    assert doc.facts.vendor_ids["oracle_call_id"] == call_id
    assert header_facts(found)["vendor_ids"]["oracle_call_id"] == call_id  # type: ignore[index]


# --- Avaya, BroadWorks ------------------------------------------------------------------


@check("drachtio-srs__broadworks-offer-2_actually-avaya-sbce-body.txt")
def _avaya(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "avaya"
    assert doc.sessions[0].session_id == "00FA0800705D4C5DCAAC41"
    assert doc.sessions[0].associate_time.raw == "2019-11-12T15:57:37"  # type: ignore[union-attr]
    real, dummy = "9a2de728ba0bc348db1e", "abcdef12345678901234"
    assert people(doc) == [
        (real, "sip:9878942259@212.188.68.145", None),
        (dummy, "sip:ASBCE@asbce.com", None),
    ]
    assert [p.placeholder for p in doc.participants] == [False, True]
    assert sender_ids(timeline(doc), ["10", "20"]) == {"10": real, "20": dummy}
    assert doc.facts.caller.participant_id == real and doc.facts.caller.number == "9878942259"
    assert doc.facts.callee.empty()  # the far end is only the dummy
    assert doc.facts.vendor_ids["ucid"] == "00705D4C5DCAAC41"


@check("drachtio-srs__broadworks-offer_mangled-body.txt")
def _broadworks_mangled(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.dialect == "broadworks"
    assert doc.errors == [
        "unexpected content type 'application/ +xml'",
        "<recording_metadata> holds only text, no metadata elements (tags stripped?)",
    ]
    assert not doc.ok and doc.participants == [] and doc.streams == []
    scavenged = doc.extensions["scavenged"]
    assert scavenged["times"] == ["2019-01-13T14:48:35-05:00"]  # type: ignore[index]
    # kept as sent, although 'g' is not a hex digit
    assert scavenged["uuids"] == ["urn:uuid:e76f6cf1-181e-4f94-a137-a3dddg85b35f"]  # type: ignore[index]
    assert doc.facts.vendor_ids == {
        "broadworks_call_id": "callhalf-11473743407:0",
        "broadworks_ext_tracking_id": "1142208:1",
    }
    # The SDP part is still usable.
    parts = parse_multipart("multipart/mixed", found_body(found))
    assert [p.content_type for p in parts] == ["application/ +xml", "application/sdp"]
    assert b"a=label:1" in parts[1].body and b"a=sendonly" in parts[1].body


def found_body(found: Extracted) -> bytes:
    from corpus_extract import CORPUS

    return (CORPUS / found.name).read_bytes()


# --- Cisco CUBE -------------------------------------------------------------------------


@check("drachtio-srs__cisco-cube-offer-body.txt")
def _cube_offer(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "cisco"
    session = doc.sessions[0]
    assert session.session_id == "kQNhKFdEEeeJ9tD/VsPGWA=="
    assert session.sip_session_ids == [
        "e9fffff2020a598b86962867715db0cf;remote=cd0f7093d62c5f0697098fd69a4aa57b"
    ]
    assert session.start_time.iso() == "2017-06-23T12:16:06.040Z"  # type: ignore[union-attr]
    p1, p2 = "kQNhKFdEEeeJ99D/VsPGWA==", "kQNhKFdEEeeJ+ND/VsPGWA=="
    assert people(doc) == [
        (p1, "sip:7301@35.162.237.204", None),
        (p2, "sip:7300@35.162.237.204", "7300"),
    ]
    assert doc.participants[1].name_lang == "en"
    assert sender_ids(timeline(doc), ["1", "2"]) == {"1": p1, "2": p2}
    assert doc.stream_assoc(p1).recv == [labels(doc)["2"]]  # type: ignore[union-attr]
    assert doc.facts.vendor_ids["session_id"] == "e9fffff2020a598b86962867715db0cf"


@check("drachtio-srs__cisco-cube-inactive-sdp-body.txt")
def _cube_inactive(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "cisco"
    assert doc.sessions[0].session_id == "GZBIusaXEeuxxK1dFIaIyA=="
    assert doc.sessions[0].start_time.iso() == "2021-06-07T07:16:23.618Z"  # type: ignore[union-attr]
    p1, p2 = "GZBIusaXEeuxxa1dFIaIyA==", "GZBIusaXEeuxxq1dFIaIyA=="
    assert people(doc) == [
        (p1, "sip:0733165805@192.168.40.34", None),
        (p2, "sip:+972546136443@192.168.10.140", None),
    ]
    assert labels(doc) == {"1": "GbZGg8aXEeuxy61dFIaIyA==", "2": "GbZGg8aXEeuxzK1dFIaIyA=="}
    assert doc.senders() == {}
    merged = timeline(doc)
    assert sender_ids(merged, ["1", "2"]) == {"1": p1, "2": p2}
    assert merged.mapping_confidence("1") == merged.mapping_confidence("2") == "fallback"
    assert "participantstreamassoc elements are empty (early media?)" in doc.warnings


@check("cisco-cube-doc__siprec-media-proxy-invite.txt")
def _cube_media_proxy(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "cisco"
    assert doc.sessions[0].session_id == "sPVtz01IEeqC3dJj6Y+AJA=="
    assert doc.sessions[0].sip_session_ids == [
        "0e0960d88013509f86e7ad2d78da208a;remote=4d0de1325c205fa08f77d8d31c1b3a6f"
    ]
    assert doc.sessions[0].start_time.iso() == "2020-02-13T03:35:19.008Z"  # type: ignore[union-attr]
    p1, p2 = "sPVtz01IEeqC3tJj6Y+AJA==", "sPVtz01IEeqC39Jj6Y+AJA=="
    assert [(p.participant_id, p.aor) for p in doc.participants] == [
        (p1, "sip:3478@8.41.17.71"),
        (p2, "sip:98765@8.41.17.71"),
    ]
    assert sender_ids(timeline(doc), ["1", "2"]) == {"1": p1, "2": p2}
    sip = header_facts(found)["vendor_ids"]
    assert sip["sip_call_id"] == "B0FA2851-4D4811EA-82E5D263-E98F8024@8.43.33.209"  # type: ignore[index]
    assert sip["cisco_guid"] == "2967454021-1296568810-2195116643-3918495780"  # type: ignore[index]


# --- Cisco CUCM built-in bridge (no metadata: From-URI parameters) ----------------------


def _bib(
    found: Extracted, leg: str, near: tuple[str, str, str], far: tuple[str, str, str], cluster: str
) -> dict[str, object]:
    assert found.metadata == []
    facts = header_facts(found)
    attributes = facts["attributes"]
    assert attributes == {
        **attributes,  # type: ignore[dict-item]
        "cisco_recorded_leg": leg,
        "cisco_near_end_number": near[0],
        "cisco_near_end_device": near[1],
        "cisco_refci": near[2],
        "cisco_far_end_number": far[0],
        "cisco_far_end_device": far[1],
        "cisco_far_end_refci": far[2],
        "cisco_near_end_cluster": cluster,
        "cisco_far_end_cluster": cluster,
    }
    return facts


CUCM10_NEAR = ("9110001", "sep001795bdd16b", "38960750")
CUCM10_FAR = ("9110006", "sep0018195aa209", "38960749")
CUCM11_NEAR = ("1001", "SEP6C416A369525", "19301625")
CUCM11_FAR = ("1000", "SEP38ED18552A12", "19301624")


@check("cisco-doc-200788__cucm10.5-bib-invite1-nearend.txt")
def _cucm10_invite1(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "nearend", CUCM10_NEAR, CUCM10_FAR, "glenscucm10-5")
    assert facts["vendor_ids"] == {
        "sip_call_id": "abbb8e00-4291f775-204c-5a20300e@10.48.32.90",
        "cisco_guid": "2881195520-0000065536-0000000011-1512058894",
    }


@check("cisco-doc-200788__cucm10.5-bib-invite2-farend.txt")
def _cucm10_invite2(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "farend", CUCM10_NEAR, CUCM10_FAR, "glenscucm10-5")
    assert facts["vendor_ids"] == {
        "sip_call_id": "abbb8e00-4291f775-204d-5a20300e@10.48.32.90",
        "cisco_guid": "2881195520-0000065536-0000000012-1512058894",
    }


@check("cisco-doc-200788__cucm10.5-bib-ack1-nearend-sdp.txt")
def _cucm10_ack1(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "nearend", CUCM10_NEAR, CUCM10_FAR, "glenscucm10-5")
    assert facts["vendor_ids"] == {"sip_call_id": "abbb8e00-4291f775-204c-5a20300e@10.48.32.90"}


@check("cisco-doc-200788__cucm10.5-bib-ack2-farend-sdp.txt")
def _cucm10_ack2(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "farend", CUCM10_NEAR, CUCM10_FAR, "glenscucm10-5")
    assert facts["vendor_ids"] == {"sip_call_id": "abbb8e00-4291f775-204d-5a20300e@10.48.32.90"}


@check("cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt")
def _cucm11_invite1(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "nearend", CUCM11_NEAR, CUCM11_FAR, "StandAloneCluster")
    assert facts["attributes"]["cisco_near_end_name"] == "SJ User 2"  # type: ignore[index]
    assert facts["vendor_ids"]["session_id"] == "0848153900105000a0006c416a369525"  # type: ignore[index]
    assert facts["vendor_ids"]["sip_call_id"] == "35554700-d6514bef-3281-526300e@10.48.38.5"  # type: ignore[index]


@check("cisco-doc-200788__cucm11.5-bib-invite2-farend.txt")
def _cucm11_invite2(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "farend", CUCM11_NEAR, CUCM11_FAR, "StandAloneCluster")
    assert facts["vendor_ids"]["session_id"] == "56a8a95e00105000a0006c416a369525"  # type: ignore[index]
    assert facts["vendor_ids"]["sip_call_id"] == "35eddd80-d6514bf0-3283-526300e@10.48.38.5"  # type: ignore[index]


@check("cisco-doc-200788__cucm11.5-bib-ack-to-recorder-farend-sdp.txt")
def _cucm11_ack_far(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "farend", CUCM11_NEAR, CUCM11_FAR, "StandAloneCluster")
    assert facts["vendor_ids"]["session_id"] == "56a8a95e00105000a0006c416a369525"  # type: ignore[index]


@check("cisco-doc-200788__cucm11.5-bib-ack-to-recorder-nearend-sdp.txt")
def _cucm11_ack_near(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(found, "nearend", CUCM11_NEAR, CUCM11_FAR, "StandAloneCluster")
    assert facts["vendor_ids"]["session_id"] == "0848153900105000a0006c416a369525"  # type: ignore[index]


@check("cisco-doc-200788__cucm11.5-mediasense-200ok-savp-crypto-redacted.txt")
def _mediasense_answer(found: Extracted, registry: DialectRegistry) -> None:
    assert found.messages[0].start_line == "SIP/2.0 200 Ok"
    _bib(found, "farend", CUCM11_NEAR, CUCM11_FAR, "StandAloneCluster")


@check("cisco-cube-doc__ucm-nbr-from-header-fragment.txt")
def _nbr_from(found: Extracted, registry: DialectRegistry) -> None:
    facts = _bib(
        found,
        "nearend",
        ("198101", "SEP2834A28318CE", "27298698"),
        ("172001", "AFIFIM-VI1", "27298699"),
        "NY-NJ-Labcluster",
    )
    assert facts["vendor_ids"] == {"x_session_id": "696dd5d3f7755c6abdc438e93d01febf"}


# --- Ribbon / Sonus -----------------------------------------------------------------------


@check("drachtio-srs__sonus-sbc-offer-body.txt")
def _sonus(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "ribbon"
    assert doc.sessions[0].session_id == "MTQ3YzA3YzEtNjdkNy0xMA=="
    assert doc.groups[0].group_id == doc.sessions[0].group_ref == "MTQ3YzA3YzAtNjdkNy0xMA=="
    assert doc.sessions[0].start_time.iso() == "1970-05-13T03:29:05Z"  # type: ignore[union-attr]
    p1, p2 = "MTQ3YzA3YzItNjdkNy0xMA==", "MTQ3YzA3YzMtNjdkNy0xMA=="
    assert people(doc) == [
        (p1, "sip:2249888500@172.16.198.55", "Extension 8500"),
        (p2, "sip:2249888012@172.16.195.72", None),  # name was a single space
    ]
    assert [p.aor_original for p in doc.participants] == [
        "2249888500@172.16.198.55",
        "2249888012@172.16.195.72",
    ]
    assert sender_ids(timeline(doc), ["1", "2"]) == {"2": p1, "1": p2}
    assert doc.facts.vendor_ids == {
        "call_data_call_id": "2da553f7-a48b-1235-d6a2-5254003a4988",
        "gcid": "241205267",
    }
    assert doc.facts.caller.participant_id == p1 and doc.facts.caller.name == "Extension 8500"
    assert doc.facts.caller.number == "2249888500"
    assert doc.facts.callee.participant_id == p2 and doc.facts.callee.number == "2249888012"


@check("drachtio-srs__sipp-uac_siprec_pcap2-sonus.xml")
def _sonus_sipp(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "ribbon"
    assert doc.sessions[0].session_id == "Njk0NjgzODEtNTA3NS0xMA=="
    assert doc.sessions[0].start_time.iso() == "2018-06-12T13:49:55Z"  # type: ignore[union-attr]
    p1, p2 = "Njk0NjgzODItNTA3NS0xMA==", "Njk0NjgzODMtNTA3NS0xMA=="
    assert people(doc) == [
        (p1, "sip:daveh@216.110.2.220", None),
        (p2, "sip:+16177232500@216.110.2.220", None),
    ]
    assert sender_ids(timeline(doc), ["1", "2"]) == {"2": p1, "1": p2}
    assert doc.facts.vendor_ids == {
        "call_data_call_id": "92383NjE1ODM2Y2NjODdiODdjZmE4MTgzNmYyYzQxZTljYjM",
        "gcid": "787747",
    }
    assert doc.facts.caller.participant_id == p1 and doc.facts.caller.number == "+15083084809"
    assert doc.facts.callee.participant_id == p2
    assert not (set(labels(doc)) & sdp_labels(found))  # metadata labels match no SDP label


# --- SEMS, OpenSIPS, AudioCodes -----------------------------------------------------------


@check("drachtio-srs__sipp-uac_siprec_pcap.xml")
def _sems_sipp(found: Extracted, registry: DialectRegistry) -> None:
    invite, reinvite = docs(found, registry)
    for doc in (invite, reinvite):
        assert doc.well_formed and doc.dialect == "rfc7865"
        assert doc.sessions[0].session_id == "XoM2pKdFR8C3eX33qJKcww=="
        assert doc.sessions[0].sip_session_ids == ["hvij5wK4Wx"]
        p1, p2 = "omFyWlFETEyFz/KXNLe4iQ==", "fLbZzLMgRXGp+F5w0hOt6w=="
        assert people(doc) == [(p1, "sip:6001@localhost", None), (p2, "sip:101@localhost", None)]
        assert doc.participant_stream_assocs == []
    merged = timeline(invite, reinvite)
    assert merged.mapping_confidence("1") == "fallback"
    assert not (set(labels(invite)) & sdp_labels(found, 0))
    assert "a=inactive" in found.messages[2].body.decode()  # the re-INVITE holds both


@check("drachtio-srs__procomm-sems-offer-body.txt")
def _procomm(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "sems"
    assert doc.sessions[0].session_id == "ho9aUhEQTRS+31th7sHStA=="
    assert doc.sessions[0].start_time.iso() == "2017-12-11T14:44:23Z"  # type: ignore[union-attr]
    p1, p2 = "Ye5S5pU+SAG2JY4oG7M4Cw==", "QDhKextjTa+F1TzXuvHZHw=="
    assert people(doc) == [
        (p1, "sip:016190200@87.252.209.116", "016190200"),
        (p2, "sip:Extension-016190619@speechpath.ie", "Speechpath-Main-Line 016190619"),
    ]
    assert doc.participants[1].aor_original == "Extension-016190619@speechpath.ie"
    assert sender_ids(timeline(doc), ["a_leg", "b_leg"]) == {"a_leg": p1, "b_leg": p2}
    assert doc.facts.caller.participant_id == p1 and doc.facts.caller.number == "016190200"
    assert doc.facts.caller_source == "vendor:sems"


@check("drachtio-srs__connectel-opensips-offer-body.txt")
def _opensips(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "opensips"
    assert doc.sessions[0].session_id == "2+hKdGY+QvCKu8HYTdBouQ=="
    assert doc.sessions[0].sip_session_ids == ["2d8abbf0769c66e15bb349f509693d60@52.57.92.239"]
    p1, p2 = "WEWTz80cS1Cqdyepmu3STQ==", "21Isz6eFRYuiDN0vEkVXQQ=="
    assert people(doc) == [
        (p1, "sip:0771121212@52.57.92.239", "test_user"),
        (p2, "sip:0760516936@sip-cust1.connectel.io", None),
    ]
    assert doc.participants[0].name_params == {"lang": "en-US", "id": "22"}
    assert set(labels(doc)) == {"1", "2"}
    merged = timeline(doc)
    assert sender_ids(merged, ["1", "2"]) == {"1": p1, "2": p2}
    assert merged.mapping_confidence("1") == "fallback"
    assert doc.facts.caller.participant_id == p1 and doc.facts.caller.number == "0771121212"
    assert doc.facts.vendor_ids["sip_call_id"] == "2d8abbf0769c66e15bb349f509693d60@52.57.92.239"


@check("gh-go-test-unresolved-repo__audiocodes-mediant-ve-7.20A-invite-crlf.txt")
def _audiocodes(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.well_formed and doc.dialect == "audiocodes"
    assert doc.sessions[0].session_id == "0000-0000-0000-0000-bf41fa8f111f3e43"
    assert (
        doc.groups[0].group_id
        == doc.sessions[0].group_ref
        == "00000000-0000-00b6-d16f-0000000004e4"
    )
    assert doc.groups[0].associate_time.iso() == "2023-08-21T16:42:05Z"  # type: ignore[union-attr]
    assert [(p.participant_id, p.aor, p.aor_original, p.number) for p in doc.participants] == [
        ("+18888888888", "sip:+18888888888@fakeip.com", "+18888888888@fakeip.com", "+18888888888"),
        ("+17777777777", "sip:+17777777777@fakeip.com", "+17777777777@fakeip.com", "+17777777777"),
    ]
    assert sender_ids(timeline(doc), ["1", "2"]) == {"1": "+18888888888", "2": "+17777777777"}
    assert header_facts(found)["vendor_ids"] == {"sip_call_id": "1974564438218202316425@8.8.8.8"}


# --- NetSapiens ---------------------------------------------------------------------------


@check("netsapiens-via-vcon-siprec-adapter__v1.0-call-0720-singleline.xml")
def _ns_0720(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "netsapiens"
    assert doc.groups[0].group_id == "d9836b259df931287df49822bd3a5e16"
    assert doc.groups[0].associate_time.iso() == "2026-07-20T17:29:39Z"  # type: ignore[union-attr]
    assert doc.sessions[0].session_id == "20260720172939050790"
    assert people(doc) == [
        ("1003@dwang.netsapiens.com", "sip:1003@dwang.netsapiens.com", "Luke Skywalker"),
        ("1001@dwang.netsapiens.com", "sip:1001w@dwang.netsapiens.com", "Din Djarin"),
    ]
    assert labels(doc) == {"1": "SkvmlWgijIQuKcHP00654B", "2": "tym50Xsy4eco8tK800654D"}
    assert doc.senders() == {}
    assert timeline(doc).mapping_confidence("1") == "fallback"
    facts = doc.facts
    assert facts.caller.number == "8587645225" and facts.callee.number == "8587645200"
    assert facts.caller.participant_id == "1003@dwang.netsapiens.com"
    assert facts.direction == "outbound" and facts.tenant == "tenant_1_23584"
    assert facts.attributes["netsapiens_group_seq"] == "0"
    assert facts.vendor_ids["netsapiens_by_action"] == "ForwardSRing"


@check("netsapiens-via-vcon-siprec-adapter__v1.0-call-0722-no-streams-singleline.xml")
def _ns_0722(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "netsapiens"
    assert doc.streams == [] and doc.sessions[0].session_id == "20260722210808064141"
    assert [(p.aor, p.name) for p in doc.participants] == [
        ("sip:1003w@dwang.netsapiens.com", "Luke Skywalker"),
        ("sip:1002@dwang.netsapiens.com", "Boba Fett"),
    ]
    assert [u["user_id"] for u in doc.extensions["netsapiens"]["users"]] == [  # type: ignore[index]
        "1002@dwang.netsapiens.com",
        "1003@dwang.netsapiens.com",
    ]
    assert doc.facts.direction == "internal"
    assert doc.facts.caller.name == "Luke Skywalker" and doc.facts.callee.name == "Boba Fett"
    assert timeline(doc).stream_sender("1") is None


S1_DIN, S1_BOBA = (
    "58cc3154ca0bdd2b0efbf9a04139526e",
    "20260729201719000629-0018491486ec5db64acd5aca455acfe8",
)
OBI = "20260729201738000654-0018491486ec5db64acd5aca455acfe8"


@check("netsapiens-via-vcon-siprec-adapter__v1.1-xfer-s1-initial.xml")
def _ns_s1(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.ok and doc.dialect == "netsapiens"
    assert doc.groups[0].group_id == "58cc3154ca0bdd2b0efbf9a04139526e"
    assert doc.sessions[0].session_id == "20260729201721000631"
    assert doc.facts.attributes["netsapiens_group_seq"] == "0"
    assert [(p.participant_id, p.name) for p in doc.participants] == [
        (S1_DIN, "Din Djarin"),
        (S1_BOBA, "Boba Fett"),
    ]
    assert labels(doc) == {"1": "wJwvQ18yqrywIhoZ00975F", "2": "LjU9KTyGQlU7nWe8009760"}
    assert sender_ids(timeline(doc), ["1", "2"]) == {"1": S1_DIN, "2": S1_BOBA}
    assert doc.facts.caller.number == "8587641001" and doc.facts.caller.participant_id == S1_DIN
    assert doc.facts.callee.number == "8587641002"
    assert doc.facts.direction == "internal"


@check("netsapiens-via-vcon-siprec-adapter__v1.1-xfer-s2-consultation.xml")
def _ns_s2(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    group = "5ed05251-7abca882-e05368bf@192.168.0.245"
    assert doc.groups[0].group_id == group and doc.sessions[0].group_ref == group
    assert doc.sessions[0].session_id == "20260729201741000664"
    assert [(p.aor, p.name) for p in doc.participants] == [
        ("sip:1002@dwang.netsapiens.com", "Boba Fett"),
        ("sip:1006@dwang.netsapiens.com", "Obi Wan Kenobi"),
    ]
    assert sender_ids(timeline(doc), ["1", "2"]) == {"1": group, "2": OBI}
    assert labels(doc)["2"] == "uEJ5NSEvncwFIg2500977D"
    assert doc.facts.caller.number == "8587641002" and doc.facts.callee.number == "8587641006"


@check("netsapiens-via-vcon-siprec-adapter__v1.1-xfer-s3-post-transfer.xml")
def _ns_s3(found: Extracted, registry: DialectRegistry) -> None:
    doc = only_doc(found, registry)
    assert doc.groups[0].group_id == "58cc3154ca0bdd2b0efbf9a04139526e"
    assert doc.facts.attributes["netsapiens_group_seq"] == "1"
    assert doc.sessions[0].session_id == "20260729201748000671"
    assert sender_ids(timeline(doc), ["1", "2"]) == {"1": S1_DIN, "2": OBI}
    assert labels(doc) == {"1": "wJwvQ18yqrywIhoZ00975F", "2": "uEJ5NSEvncwFIg2500977D"}
    assert doc.facts.attributes["netsapiens_by_aor"] == "sip:1002@dwang.netsapiens.com"
    assert doc.facts.vendor_ids["netsapiens_by_action"] == "XferSup"
    assert (
        doc.facts.vendor_ids["netsapiens_xferred_group_id"]
        == "5ed05251-7abca882-e05368bf@192.168.0.245"
    )
    assert doc.facts.caller.name == "Din Djarin" and doc.facts.callee.name == "Obi Wan Kenobi"


# --- the parametrised runners -------------------------------------------------------------


def test_every_corpus_file_has_a_check() -> None:
    names = {path.name for path in corpus_files()}
    assert names == set(CHECKS), sorted(names ^ set(CHECKS))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file(path, registry: DialectRegistry) -> None:  # type: ignore[no-untyped-def]
    found = extract(path)
    CHECKS[path.name](found, registry)
    for doc in docs(found, registry):
        assert not any(e.startswith("internal error") for e in doc.errors)
        json.dumps(doc.to_json())


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_line_endings_do_not_change_facts(path, registry: DialectRegistry) -> None:  # type: ignore[no-untyped-def]
    for ctype, body in extract(path).metadata:
        lf = parse_metadata(body.replace(b"\r\n", b"\n"), ctype, registry=registry)
        crlf = parse_metadata(
            body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), ctype, registry=registry
        )
        assert lf.facts.to_json() == crlf.facts.to_json()
        assert [p.to_json() for p in lf.participants] == [p.to_json() for p in crlf.participants]
        assert lf.senders() == crlf.senders()
