"""Malformed metadata: exact messages, what is still recovered, and no exception ever."""

from __future__ import annotations

import pytest
from lxml import etree

from srs.metadata import DialectRegistry, MetadataDocument, default_registry, parse_metadata

RFC = 'xmlns="urn:ietf:params:xml:ns:recording:1"'


def parse(raw: bytes, content_type: str | None = None) -> MetadataDocument:
    return parse_metadata(raw, content_type, registry=default_registry())


@pytest.mark.parametrize("raw", [b"", b"   \r\n\t", b"\xef\xbb\xbf"])
def test_empty_body(raw: bytes) -> None:
    doc = parse(raw)
    assert (doc.well_formed, doc.recovered, doc.errors) == (False, False, ["empty metadata body"])
    assert doc.participants == [] and doc.dialect == "unknown" and doc.raw == raw


def test_text_that_is_not_xml() -> None:
    doc = parse(b"hello")
    assert doc.errors == [
        "not well-formed: line 1, column 1: Start tag expected, '<' not found",
        "recovering parser found no element",
    ]
    assert not doc.recovered


def test_nul_bytes() -> None:
    doc = parse(b"\x00\xff\xfe<")
    assert doc.errors == [
        "not well-formed: line 1, column 1: Document is empty",
        "recovering parser failed: line 1, column 1: Document is empty",
    ]


def test_raw_sip_uri_in_text_is_escaped() -> None:
    raw = (
        f"<recording {RFC}>\n<datamode>complete</datamode>\n"
        '<participant participant_id="p"><nameID aor="sip:a@b">'
        "<name><sip:a@b;user=phone></name></nameID></participant>\n</recording>"
    ).encode()
    doc = parse(raw)
    assert (doc.well_formed, doc.recovered) == (False, True)
    assert doc.errors == [
        "not well-formed: line 3, column 67: error parsing attribute name",
        "escaped raw markup in text: <sip:a@b;user=phone>",
    ]
    assert doc.participants[0].name == "<sip:a@b;user=phone>"
    assert doc.participants[0].name_params == {}


def test_raw_uri_inside_cdata_is_left_alone() -> None:
    raw = f"<recording {RFC}><datamode>complete</datamode><x><![CDATA[<sip:a@b>]]></x></recording>"
    doc = parse(raw.encode())
    assert doc.ok  # well-formed; the unknown element is worth a warning only
    assert doc.warnings == ["non-RFC element <x> kept as extension"]
    assert doc.extensions["x"] == "<sip:a@b>"


def test_unquoted_attribute_values() -> None:
    raw = "<recording xmlns=urn:ietf:params:xml:ns:recording:1><datamode>partial</datamode><participant participant_id=p1/></recording>"
    doc = parse(raw.encode())
    assert doc.errors == [
        "not well-formed: line 1, column 18: AttValue: \" or ' expected",
        "quoted attribute value: xmlns=urn:ietf:params:xml:ns:recording:1",
        "quoted attribute value: participant_id=p1",
    ]
    assert doc.recovered and doc.data_mode == "partial"
    assert [p.participant_id for p in doc.participants] == ["p1"]


def test_start_tag_renamed_to_match_end_tag() -> None:
    raw = (
        f'<recording {RFC}>\n<participant participant_id="a">\n<nameID aor="sip:a@b">\n'
        '<nmae xml:lang="en">Ann</name>\n</nameID></participant></recording>'
    ).encode()
    doc = parse(raw)
    assert doc.errors == [
        "not well-formed: line 4, column 31: Opening and ending tag mismatch: nmae line 4 and name",
        "renamed start tag <nmae> to <name> to match its end tag",
    ]
    assert doc.participants[0].name == "Ann" and doc.participants[0].name_lang == "en"


def test_truncated_document_uses_recovering_parser() -> None:
    raw = (
        f'<recording {RFC}><datamode>complete</datamode><participant participant_id="a">'
        '<nameID aor="sip:a@b">'
    ).encode()
    doc = parse(raw)
    assert doc.errors == [
        "not well-formed: line 1, column 138: Premature end of data in tag nameID line 1",
        "used lxml recovering parser; some content may be lost",
    ]
    assert doc.recovered and [p.aor for p in doc.participants] == ["sip:a@b"]


def test_fragment_without_root_is_wrapped() -> None:
    doc = parse(b"<participant participant_id='a'/><participant participant_id='b'/>")
    assert doc.errors == [
        "not well-formed: line 1, column 34: Extra content at the end of the document",
        "wrapped fragment in <srs-fragment>: no single root element",
    ]
    assert [p.participant_id for p in doc.participants] == ["a", "b"]


def test_entities_are_not_resolved() -> None:
    raw = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<recording " + RFC.encode() + b"><datamode>&x;</datamode></recording>"
    )
    doc = parse(raw)
    assert doc.errors == ["<datamode> has unknown value '&x;'"]
    assert "root:" not in repr(doc.to_json())


def test_semantic_errors_have_exact_messages() -> None:
    raw = (
        f"<recording {RFC}><datamode>sometimes</datamode><participant/><group/><session/>"
        '<stream stream_id="s"><label>1</label><associate-time>yesterday</associate-time></stream>'
        "<participantstreamassoc/><participantsessionassoc/><sessionrecordingassoc/>"
        '<stream stream_id="t"><associate-time>2020-13-45T10:00:00Z</associate-time></stream>'
        "</recording>"
    ).encode()
    doc = parse(raw)
    assert doc.well_formed and not doc.recovered
    assert doc.errors == [
        "<datamode> has unknown value 'sometimes'",
        "<participant> without participant_id",
        "<group> without group_id",
        "<session> without session_id",
        "<associate-time>: unrecognised time value 'yesterday'",
        "<participantstreamassoc> without participant_id",
        "<participantsessionassoc> without participant_id",
        "<sessionrecordingassoc> without session_id",
        "<associate-time>: invalid time value '2020-13-45T10:00:00Z': month must be in 1..12",
    ]
    assert [s.stream_id for s in doc.streams] == ["s", "t"]


@pytest.mark.parametrize(
    ("content_type", "error", "warning"),
    [
        ("application/rs-metadata+xml", None, None),
        ("Application/RS-Metadata+XML; charset=utf-8", None, None),
        (
            "application/rs-metadata",
            None,
            "content type 'application/rs-metadata' lacks '+xml' (RFC 7866)",
        ),
        ("application/ +xml", "unexpected content type 'application/ +xml'", None),
        ("text/plain", "unexpected content type 'text/plain'", None),
    ],
)
def test_content_type(content_type: str, error: str | None, warning: str | None) -> None:
    doc = parse(
        f"<recording {RFC}><datamode>complete</datamode></recording>".encode(), content_type
    )
    assert doc.errors == ([error] if error else [])
    assert doc.warnings == ([warning] if warning else [])


def test_missing_datamode_is_assumed_complete_and_flagged() -> None:
    doc = parse(f"<recording {RFC}/>".encode())
    assert doc.data_mode == "complete" and not doc.data_mode_stated
    assert doc.warnings == ["no <datamode>; assumed complete"]


def test_text_input_is_accepted() -> None:
    doc = parse_metadata(f"<recording {RFC}><datamode>partial</datamode></recording>")  # type: ignore[arg-type]
    assert doc.data_mode == "partial" and doc.ok


class _Boom:
    name = "boom"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        return 99

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        raise RuntimeError("broken plugin")


class _Shy:
    name = "shy"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        raise ValueError("cannot decide")

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        raise AssertionError("never called")


def test_a_failing_dialect_does_not_lose_the_document() -> None:
    registry: DialectRegistry = default_registry()
    registry.register(_Boom())
    registry.register(_Shy())
    doc = parse_metadata(
        f'<recording {RFC}><datamode>complete</datamode><participant participant_id="a"/></recording>'.encode(),
        registry=registry,
    )
    assert doc.errors == ["dialect 'boom' failed: RuntimeError('broken plugin')"]
    assert doc.dialects == ["rfc7865", "boom"] and doc.participants[0].participant_id == "a"
