"""Property tests: parse_metadata and the timeline never raise, whatever the bytes."""

from __future__ import annotations

import json
from functools import cache

from corpus_extract import corpus_files, extract
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srs.metadata import DialectRegistry, MetadataDocument, MetadataTimeline, parse_metadata
from srs.metadata.registry import process_registry

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def corpus_bodies() -> list[tuple[str | None, bytes]]:
    return [part for path in corpus_files() for part in extract(path).metadata]


def registry() -> DialectRegistry:
    return process_registry()  # built-ins + the installed vendor distribution


def assert_sane(doc: MetadataDocument) -> None:
    assert not [e for e in doc.errors if e.startswith("internal error")], doc.errors
    json.dumps(doc.to_json())
    if doc.well_formed:
        assert not doc.recovered


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw: bytes) -> None:
    assert_sane(parse_metadata(raw, registry=registry()))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str | None, bytes, bytes]:
    ctype, body = draw(st.sampled_from(corpus_bodies()))
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "insert":
            token = draw(
                st.sampled_from([b"<", b">", b"&", b'"', b"</x>", b"<sip:a@b>", b"]]>", b"\x00"])
                | st.binary(max_size=8)
            )
            data[at:at] = token
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return ctype, body, bytes(data)


@SETTINGS
@given(mutated())
def test_mutated_corpus_documents(case: tuple[str | None, bytes, bytes]) -> None:
    ctype, original, raw = case
    doc = parse_metadata(raw, ctype, registry=registry())
    assert_sane(doc)
    merged = MetadataTimeline()
    merged.apply(parse_metadata(original, ctype, registry=registry()), 1.0)
    merged.apply(doc, 2.0)
    for stream in merged.streams:
        if stream.label is not None:
            merged.stream_sender(stream.label)
            merged.mapping_confidence(stream.label)
    json.dumps(merged.to_json())


TOKENS = [
    "<datamode>partial</datamode>",
    "<datamode>complete</datamode>",
    '<participant participant_id="p1">',
    '<participant id="p2" session="s">',
    "</participant>",
    '<nameID aor="a@b">',
    "<name>x;lang=en</name>",
    "</nameID>",
    '<stream stream_id="s1" session_id="s">',
    "<label>1</label>",
    "</stream>",
    '<participantstreamassoc participant_id="p1">',
    "<send>s1</send>",
    "<recv>1</recv>",
    "</participantstreamassoc>",
    '<participantsessionassoc participant_id="p2" session_id="s">',
    "<disassociate-time>2020-01-01T00:00:00</disassociate-time>",
    "</participantsessionassoc>",
    '<session session_id="s">',
    "<start-time>99</start-time>",
    "</session>",
    '<extensiondata xmlns:apkt="http://acmepacket.com/siprec/extensiondata">',
    "<apkt:callingParty>true</apkt:callingParty>",
    "</extensiondata>",
    "<aor>sip:ASBCE@asbce.com</aor>",
]


@SETTINGS
@given(
    st.lists(st.sampled_from(TOKENS), max_size=30), st.lists(st.sampled_from(TOKENS), max_size=30)
)
def test_structured_sequences_merge(first: list[str], second: list[str]) -> None:
    head = "<recording xmlns='urn:ietf:params:xml:ns:recording:1'>"
    docs = [
        parse_metadata((head + "".join(tokens) + "</recording>").encode(), registry=registry())
        for tokens in (first, second)
    ]
    merged = MetadataTimeline()
    for now, doc in enumerate(docs):
        assert_sane(doc)
        merged.apply(doc, float(now))
    json.dumps(merged.to_json())
    present = {p.participant_id for p in merged.participants}
    for stream in merged.streams:
        if stream.label is None:
            continue
        found = merged.stream_sender(stream.label)
        confidence = merged.mapping_confidence(stream.label)
        assert (found is None) == (confidence is None)
        if found is not None:
            assert found.participant_id in present
        if confidence == "metadata":
            assert [p.participant_id for p in merged.stream_senders(stream.label)] == [
                found.participant_id  # type: ignore[union-attr]
            ]


def test_fuzz_target_runs_on_corpus_files() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_metadata.py"
    spec = importlib.util.spec_from_file_location("fuzz_metadata", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["fuzz_metadata.py", *map(str, corpus_files())]) == 0
