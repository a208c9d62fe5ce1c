"""Merging metadata versions: the corpus sequences INDEX.md describes, plus placeholders."""

from __future__ import annotations

import json

from corpus_extract import CORPUS, extract

from srs.metadata import (
    DialectRegistry,
    MetadataDocument,
    MetadataTimeline,
    TimelineChange,
    parse_metadata,
)

BOB, PAUL = "srfBElmCRp2QB23b7Mpk0w==", "zSfPoSvdSDCmU3A3TRDxAw=="
S96, S97, S98, S99 = (
    "UAAMm5GRQKSCMVvLyl4rFw==",
    "i1Pz3to5hGk8fuXl+PbwCw==",
    "8zc6e0lYTlWIINA6GR+3ag==",
    "EiXGlc+4TruqqoDaNE76ag==",
)


def corpus_doc(name: str, registry: DialectRegistry, index: int = 0) -> MetadataDocument:
    ctype, body = extract(CORPUS / name).metadata[index]
    return parse_metadata(body, ctype, registry=registry)


def sender(merged: MetadataTimeline, label: str) -> str | None:
    found = merged.stream_sender(label)
    return found.participant_id if found else None


def kinds(changes: list[TimelineChange]) -> list[tuple[str, str]]:
    return [(c.kind, c.subject) for c in changes]


def test_rfc_complete_then_partial_participant_leaves(registry: DialectRegistry) -> None:
    merged = MetadataTimeline()
    merged.apply(corpus_doc("ng911lib__rfc7865-s8.1-complete-metadata.xml", registry), 10.0)
    changes = merged.apply(
        corpus_doc("ng911lib__rfc7865-s8.2-partial-metadata.xml", registry), 20.0
    )
    left = [c for c in changes if c.kind == "participant_left"]
    assert [(c.subject, c.at, c.now, c.version) for c in left] == [
        (BOB, "2010-12-16T23:41:07Z", 20.0, 2)
    ]
    # merged, not replaced: Paul and all four streams remain
    assert [p.participant_id for p in merged.participants] == [PAUL]
    assert [p.participant_id for p in merged.all_participants] == [BOB, PAUL]
    assert merged.left_at(BOB) == "2010-12-16T23:41:07Z"
    assert [s.label for s in merged.streams] == ["96", "97", "98", "99"]
    assert sender(merged, "96") is None and sender(merged, "98") == PAUL
    assert ("stream_sender_changed", "96") in kinds(changes)
    assert [v.raw for v in merged.versions] == [
        (CORPUS / "ng911lib__rfc7865-s8.1-complete-metadata.xml").read_bytes(),
        (CORPUS / "ng911lib__rfc7865-s8.2-partial-metadata.xml").read_bytes(),
    ]
    assert merged.facts.session_ids == ["hVpd7YQgRW2nD22h7q60JQ=="]
    json.dumps(merged.to_json())


def test_aws_hold_and_resume(registry: DialectRegistry) -> None:
    merged = MetadataTimeline()
    first = merged.apply(
        corpus_doc("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt", registry), 1.0
    )
    assert ("participant_joined", BOB) in kinds(first)
    assert {label: sender(merged, label) for label in ("96", "97", "98", "99")} == {
        "96": BOB,
        "97": BOB,
        "98": PAUL,
        "99": PAUL,
    }
    hold = merged.apply(
        corpus_doc("aws-chime-sdk-doc__siprec-example-hold-partial.txt", registry), 2.0
    )
    assert sender(merged, "96") is None and sender(merged, "97") is None
    assert sender(merged, "98") == PAUL and sender(merged, "99") == PAUL
    assert merged.sends(BOB) == [] and merged.receives(BOB) == [S98, S99]
    assert merged.sends(PAUL) == [S98, S99] and merged.receives(PAUL) == []
    assert merged.mapping_confidence("96") is None
    changed = {c.subject: c.detail for c in hold if c.kind == "stream_sender_changed"}
    assert changed == {"96": {"before": [BOB], "after": []}, "97": {"before": [BOB], "after": []}}
    assert len(merged.participants) == 2  # a partial without participants removes nobody
    resume = merged.apply(
        corpus_doc("aws-chime-sdk-doc__siprec-example-resume-partial.txt", registry), 3.0
    )
    assert sender(merged, "96") == BOB and sender(merged, "97") == BOB
    assert merged.sends(BOB) == [S97, S96] and merged.receives(PAUL) == [S97, S96]
    assert sorted(c.subject for c in resume if c.kind == "stream_sender_changed") == ["96", "97"]
    assert merged.stream_sender("96").name == "Alice"  # type: ignore[union-attr]
    assert len(merged.versions) == 3


def test_oracle_forward_reference_resolved_by_partial(registry: DialectRegistry) -> None:
    sipp = "urn:uuid:10ac9063-76b7-40bb-4587-08ba290d7327"
    sut = "urn:uuid:797c45f5-e765-4b12-52b0-d9be31138529"
    merged = MetadataTimeline()
    merged.apply(corpus_doc("oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt", registry), 1.0)
    assert sender(merged, "1") is None
    changes = merged.apply(
        corpus_doc("oracle-sbc-doc__sample-sdp-metadata-note2-reinvite-partial.txt", registry), 2.0
    )
    assert sender(merged, "1") == sut and sender(merged, "2") == sipp
    assert merged.stream_sender("1").name == "sut"  # type: ignore[union-attr]
    assert merged.stream_sender("2").aor == "sip:sipp@168.192.24.40"  # type: ignore[union-attr]
    assert merged.mapping_confidence("2") == "metadata"
    assert ("stream_reference_resolved", "urn:uuid:07868c77-ef8e-4d6f-6dd5-a02ff53a1329") in kinds(
        changes
    )
    assert ("stream_added", "urn:uuid:07868c77-ef8e-4d6f-6dd5-a02ff53a1329") in kinds(changes)
    assert [p.participant_id for p in merged.participants] == [sipp, sut]
    assert merged.facts.caller.participant_id == sipp  # kept from the complete version


def test_netsapiens_attended_transfer(registry: DialectRegistry) -> None:
    prefix = "netsapiens-via-vcon-siprec-adapter__v1.1-xfer-"
    din, boba = (
        "58cc3154ca0bdd2b0efbf9a04139526e",
        "20260729201719000629-0018491486ec5db64acd5aca455acfe8",
    )
    obi = "20260729201738000654-0018491486ec5db64acd5aca455acfe8"
    original, consult = (
        "58cc3154ca0bdd2b0efbf9a04139526e",
        "5ed05251-7abca882-e05368bf@192.168.0.245",
    )
    merged = MetadataTimeline()
    merged.apply(corpus_doc(prefix + "s1-initial.xml", registry), 1.0)
    merged.apply(corpus_doc(prefix + "s2-consultation.xml", registry), 2.0)
    assert merged.group_sessions(consult) == ["20260729201741000664"]
    changes = merged.apply(corpus_doc(prefix + "s3-post-transfer.xml", registry), 3.0)
    assert merged.group_sessions(original) == ["20260729201721000631", "20260729201748000671"]
    assert ("session_added_to_group", original) in kinds(changes)
    assert [p.participant_id for p in merged.participants] == [din, obi]
    assert merged.left_at(boba) == 2.0  # left with s2, which did not list him
    assert merged.departure(boba).reason == "absent from complete metadata"  # type: ignore[union-attr]
    assert sender(merged, "1") == din and sender(merged, "2") == obi
    assert merged.stream_sender("2").name == "Obi Wan Kenobi"  # type: ignore[union-attr]
    # the stream ids were reused from s1 (label 1, dropped by s2) and s2 (label 2)
    assert ("stream_added", "wJwvQ18yqrywIhoZ00975F") in kinds(changes)
    assert ("stream_moved", "uEJ5NSEvncwFIg2500977D") in kinds(changes)
    assert ("participant_rejoined", din) in kinds(changes)
    assert merged.ended_sessions == ["20260729201721000631", "20260729201741000664"]
    facts = merged.facts
    assert facts.attributes["netsapiens_group_seq"] == "1"
    assert facts.vendor_ids["netsapiens_xferred_group_id"] == consult
    assert facts.vendor_ids["netsapiens_xferred_group_id"] in [g.group_id for g in merged.groups]
    assert (facts.caller.name, facts.callee.name) == ("Din Djarin", "Obi Wan Kenobi")
    assert facts.group_ids == [original, consult]
    json.dumps(merged.to_json())


def test_netsapiens_post_transfer_alone_keeps_the_group_sequence(registry: DialectRegistry) -> None:
    prefix = "netsapiens-via-vcon-siprec-adapter__v1.1-xfer-"
    merged = MetadataTimeline()
    merged.apply(corpus_doc(prefix + "s1-initial.xml", registry), 1.0)
    merged.apply(corpus_doc(prefix + "s3-post-transfer.xml", registry), 5.0)
    assert merged.group_sessions("58cc3154ca0bdd2b0efbf9a04139526e") == [
        "20260729201721000631",
        "20260729201748000671",
    ]
    assert ("stream_removed", "LjU9KTyGQlU7nWe8009760") in kinds(merged.changes)
    assert ("stream_added", "uEJ5NSEvncwFIg2500977D") in kinds(merged.changes)


# Hand-written, not a capture: the partial update an Avaya SBCE sends once the far end is
# known, in the same shape as the corpus sample (drachtio broadworks-offer-2).
AVAYA_UPDATE = b"""<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
<dataMode>partial</dataMode>
<participant participant_id="fedcba09876543210987">
<nameID aor="sip:+442071234567@carrier.example"><name>Far End</name></nameID>
</participant>
<participantsessionassoc participant_id="fedcba09876543210987" session_id="00FA0800705D4C5DCAAC41">
<associate-time>2019-11-12T15:57:45</associate-time>
</participantsessionassoc>
<participantstreamassoc participant_id="fedcba09876543210987">
<send>261ddd3615629f108092</send>
</participantstreamassoc>
</recording>
"""


def test_avaya_dummy_replaced_by_real_party(registry: DialectRegistry) -> None:
    dummy = "abcdef12345678901234"
    merged = MetadataTimeline()
    merged.apply(
        corpus_doc("drachtio-srs__broadworks-offer-2_actually-avaya-sbce-body.txt", registry), 1.0
    )
    assert sender(merged, "20") == dummy
    assert merged.facts.callee.empty()
    changes = merged.apply(parse_metadata(AVAYA_UPDATE, registry=registry), 2.0)
    replaced = [c for c in changes if c.kind == "participant_replaced"]
    assert [(c.subject, c.detail["by"]) for c in replaced] == [(dummy, "fedcba09876543210987")]
    assert sender(merged, "20") == "fedcba09876543210987"
    assert sender(merged, "10") == "9a2de728ba0bc348db1e"
    assert dummy not in [p.participant_id for p in merged.participants]
    assert merged.facts.callee.number == "+442071234567"
    assert merged.facts.callee.name == "Far End"
    assert merged.facts.vendor_ids["ucid"] == "00705D4C5DCAAC41"


def test_avaya_dummy_id_reused_with_real_aor(registry: DialectRegistry) -> None:
    update = AVAYA_UPDATE.replace(b"fedcba09876543210987", b"abcdef12345678901234")
    merged = MetadataTimeline()
    merged.apply(
        corpus_doc("drachtio-srs__broadworks-offer-2_actually-avaya-sbce-body.txt", registry), 1.0
    )
    changes = merged.apply(parse_metadata(update, registry=registry), 2.0)
    assert ("participant_updated", "abcdef12345678901234") in kinds(changes)
    found = merged.stream_sender("20")
    assert found is not None and found.aor == "sip:+442071234567@carrier.example"
    assert not found.placeholder


def test_unusable_version_is_kept_but_changes_nothing(registry: DialectRegistry) -> None:
    merged = MetadataTimeline()
    merged.apply(corpus_doc("drachtio-srs__cisco-cube-offer-body.txt", registry), 1.0)
    before = merged.to_json()
    changes = merged.apply(parse_metadata(b"<not-xml", registry=registry), 2.0)
    assert [c.kind for c in changes] == ["version_unusable"]
    assert len(merged.versions) == 2 and merged.versions[1].raw == b"<not-xml"
    after = merged.to_json()
    assert after["participants"] == before["participants"]
    assert after["mapping"] == before["mapping"]


def small_complete(*parties: str) -> bytes:
    """A hand-written complete document: each party sends the stream labelled like it."""
    body = [
        f'<participant participant_id="{p}"><nameID aor="sip:{p}@example.com"/></participant>'
        f'<stream stream_id="s{p}" session_id="S"><label>{p}</label></stream>'
        f'<participantstreamassoc participant_id="{p}"><send>s{p}</send></participantstreamassoc>'
        for p in parties
    ]
    return (
        '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode>'
        '<session session_id="S"/>' + "".join(body) + "</recording>"
    ).encode()


def test_complete_update_removes_what_it_omits(registry: DialectRegistry) -> None:
    merged = MetadataTimeline()
    merged.apply(parse_metadata(small_complete("1", "2"), registry=registry), 1.0)
    assert sender(merged, "2") == "2"
    changes = merged.apply(parse_metadata(small_complete("1"), registry=registry), 2.0)
    assert kinds(changes) == [
        ("participant_left", "2"),
        ("stream_removed", "s2"),
        ("stream_sender_changed", "2"),
    ]
    assert [p.participant_id for p in merged.participants] == ["1"]
    assert merged.stream_sender("2") is None and sender(merged, "1") == "1"
    changes = merged.apply(parse_metadata(small_complete("1", "2"), registry=registry), 3.0)
    assert ("participant_rejoined", "2") in kinds(changes) and sender(merged, "2") == "2"


def test_timeline_json_round_trip(registry: DialectRegistry) -> None:
    merged = MetadataTimeline()
    merged.apply(corpus_doc("drachtio-srs__sonus-sbc-offer-body.txt", registry), 7.5)
    data = json.loads(json.dumps(merged.to_json()))
    assert data["mapping"] == {
        "1": {"participant_id": "MTQ3YzA3YzMtNjdkNy0xMA==", "confidence": "metadata"},
        "2": {"participant_id": "MTQ3YzA3YzItNjdkNy0xMA==", "confidence": "metadata"},
    }
    assert data["versions"][0]["now"] == 7.5 and data["versions"][0]["dialect"] == "ribbon"
    assert data["facts"]["vendor_ids"]["gcid"] == "241205267"
    assert [c["kind"] for c in data["changes"]][:2] == ["group_added", "session_added"]


def test_full_hold_does_not_fall_back_to_document_order(registry: DialectRegistry) -> None:
    merged = MetadataTimeline()
    merged.apply(
        corpus_doc("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt", registry), 1.0
    )
    hold = (  # hand-written: both parties stop sending
        '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>partial</datamode>'
        f'<participantstreamassoc participant_id="{BOB}"><recv>{S98}</recv></participantstreamassoc>'
        f'<participantstreamassoc participant_id="{PAUL}"><recv>{S96}</recv></participantstreamassoc>'
        "</recording>"
    ).encode()
    merged.apply(parse_metadata(hold, registry=registry), 2.0)
    assert [merged.stream_sender(label) for label in ("96", "97", "98", "99")] == [None] * 4
    assert merged.mapping_confidence("96") is None
