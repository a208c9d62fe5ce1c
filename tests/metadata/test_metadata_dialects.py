"""Dialect registry, the vendor distribution, and vendors without a corpus sample.

The BroadWorks and Metaswitch documents below are HAND-WRITTEN in the shape those vendors
describe (no capture was available); they test the dialect code, not the vendors.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import tomllib
from pathlib import Path

import pytest
import srs_vendor_dialects
from srs_vendor_dialects.oracle import OracleDialect

from srs.metadata import (
    DialectRegistry,
    MetadataDialect,
    MetadataTimeline,
    default_registry,
    load_vendor_dialects,
    parse_metadata,
)
from srs.metadata.loader import load_xml

DIST = Path(__file__).resolve().parents[2] / "plugins" / "vendor-dialects"


def test_default_registry_has_built_ins_only() -> None:
    assert default_registry().names() == ["draft", "rfc7865"]


def test_load_vendor_dialects_registers_every_module() -> None:
    registry = default_registry()
    assert load_vendor_dialects(registry) == list(srs_vendor_dialects.MODULES)
    assert set(registry.names()) == {"draft", "rfc7865", *srs_vendor_dialects.MODULES}
    for name in registry.names():
        assert isinstance(registry.get(name), MetadataDialect)


def test_entry_points_match_modules() -> None:
    declared = tomllib.loads((DIST / "pyproject.toml").read_text())["project"]["entry-points"][
        "srs"
    ]
    assert declared == {name: f"srs_vendor_dialects.{name}" for name in srs_vendor_dialects.MODULES}
    installed = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="srs")}
    assert {k: v for k, v in installed.items() if k in declared} == declared


@pytest.mark.parametrize("module_name", srs_vendor_dialects.MODULES)
def test_each_module_is_a_hook_implementation(module_name: str) -> None:
    module = importlib.import_module(f"srs_vendor_dialects.{module_name}")
    hook = module.srs_register_metadata_dialects
    assert hasattr(hook, "srs_impl")  # pluggy marker from srs.plugins.hookimpl
    registry = DialectRegistry()
    hook(registry=registry)
    assert registry.names() == [module_name]


def test_register_replaces_and_rejects_nameless() -> None:
    registry = DialectRegistry()
    first, second = OracleDialect(), OracleDialect()
    registry.register(first)
    registry.register(second)
    assert registry.names() == ["oracle"] and registry.get("oracle") is second

    class Nameless(OracleDialect):
        name = ""

    with pytest.raises(ValueError, match="a metadata dialect needs a non-empty name"):
        registry.register(Nameless())


def test_best_for_and_matching_order(registry: DialectRegistry) -> None:
    raw = b"""<recording xmlns='urn:ietf:params:xml:ns:recording'><datamode>complete</datamode>
    <participant id="p" session="s"><nameID aor="sip:a@b"/><send>x</send>
    <extensiondata xmlns:apkt="http://acmepacket.com/siprec/extensiondata">
    <apkt:callingParty>true</apkt:callingParty></extensiondata></participant></recording>"""
    root = load_xml(raw).root
    assert root is not None
    assert registry.best_for(root, raw).name == "oracle"  # type: ignore[union-attr]
    assert [d.name for _, d in registry.matching(root, raw)] == ["rfc7865", "draft", "oracle"]
    assert default_registry().best_for(root, raw).name == "draft"  # type: ignore[union-attr]
    doc = parse_metadata(raw, registry=registry)
    assert doc.facts.caller.participant_id == "p" and doc.facts.caller_source == "vendor:oracle"


def test_vendor_dialects_off_without_registration() -> None:
    path = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
    raw = (path / "netsapiens-via-vcon-siprec-adapter__v1.1-xfer-s1-initial.xml").read_bytes()
    doc = parse_metadata(raw, registry=default_registry())
    assert doc.dialect == "rfc7865" and doc.facts.tenant is None
    assert "netsapiensExtension" in doc.extensions  # kept raw for later


# --- BroadWorks (hand-written) ------------------------------------------------------------

BROADWORKS = """<?xml version="1.0" encoding="UTF-8"?>
<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">
  <dataMode>complete</dataMode>
  <group id="urn:uuid:4b0b0f06-6d0f-4b7e-9a55-7d3e7e1f0a01">
    <associate-time>2019-01-13T14:48:35-05:00</associate-time>
  </group>
  <session id="urn:uuid:e76f6cf1-181e-4f94-a137-a3ddd085b35f">
    <group-ref>urn:uuid:4b0b0f06-6d0f-4b7e-9a55-7d3e7e1f0a01</group-ref>
    <start-time>2019-01-13T14:48:35-05:00</start-time>
  </session>
  <participant id="urn:uuid:0c1d" session="urn:uuid:e76f6cf1-181e-4f94-a137-a3ddd085b35f">
    <nameID aor="sip:+15551230001@sbc.example;user=phone"><name>Demo Caller</name></nameID>
    <send>urn:uuid:5a1e</send>
  </participant>
  <participant id="urn:uuid:0c2e" session="urn:uuid:e76f6cf1-181e-4f94-a137-a3ddd085b35f">
    <nameID aor="sip:+15551230002@sbc.example;user=phone"/>
    <send>urn:uuid:5a1e</send>
  </participant>
  <stream id="urn:uuid:5a1e" session="urn:uuid:e76f6cf1-181e-4f94-a137-a3ddd085b35f">
    <label>1</label>
    <mode>mixed</mode>
  </stream>
  <extensiondata xmlns:bw="http://schema.broadsoft.com/broadWorksRecordingMetadata">
    <bw:broadWorksRecordingMetadata version="{version}">
      <bw:extTrackingID>1142208:1</bw:extTrackingID>
      <bw:serviceProviderID>DemoCorp</bw:serviceProviderID>
      <bw:groupID>Demo</bw:groupID>
      <bw:userID>caller@democorp.com</bw:userID>
      <bw:callID>callhalf-11473743407:0</bw:callID>{extra}
    </bw:broadWorksRecordingMetadata>
  </extensiondata>
</recording_metadata>
"""
EXTRA = {
    "1.0": "",
    "2.0": "\n      <bw:callType>Originating</bw:callType>",
    "3.0": "\n      <bw:callType>Terminating</bw:callType>"
    "\n      <bw:callingPartyNumber>+15551230002</bw:callingPartyNumber>"
    "\n      <bw:calledPartyNumber>+15551230001</bw:calledPartyNumber>",
}


@pytest.mark.parametrize("version", ["1.0", "2.0", "3.0"])
def test_broadworks_hand_written(version: str, registry: DialectRegistry) -> None:
    raw = BROADWORKS.format(version=version, extra=EXTRA[version]).encode()
    doc = parse_metadata(raw, "application/rs-metadata+xml", registry=registry)
    assert doc.ok and doc.dialect == "broadworks" and doc.dialects[:2] == ["draft", "broadworks"]
    facts = doc.facts
    assert facts.vendor_ids == {
        "broadworks_ext_tracking_id": "1142208:1",
        "broadworks_call_id": "callhalf-11473743407:0",
    }
    assert (facts.tenant, facts.group, facts.user) == ("DemoCorp", "Demo", "caller@democorp.com")
    assert facts.attributes["broadworks_metadata_version"] == version
    assert facts.start_time == "2019-01-13T19:48:35Z"
    assert facts.direction == {"1.0": None, "2.0": "outbound", "3.0": "inbound"}[version]
    if version == "3.0":
        assert (facts.caller.number, facts.callee.number) == ("+15551230002", "+15551230001")
    else:
        assert facts.caller.name == "Demo Caller" and facts.caller.number == "+15551230001"
    assert doc.extensions["broadworks"]["mixed_streams"] == ["1"]  # type: ignore[index]
    merged = MetadataTimeline()
    merged.apply(doc, 0.0)
    # one mixed stream sent by both: no single sender to name the channel after
    assert merged.stream_sender("1") is None and merged.mapping_confidence("1") is None
    assert [p.participant_id for p in merged.stream_senders("1")] == [
        "urn:uuid:0c1d",
        "urn:uuid:0c2e",
    ]


# --- Metaswitch (hand-written) -------------------------------------------------------------

METASWITCH = b"""<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="bXN3LXNlc3Npb24tMQ==">
    <sipSessionID>a1b2c3d4e5f60718293a4b5c6d7e8f90;remote=00000000000000000000000000000000</sipSessionID>
    <start-time>2024-02-01T10:00:00Z</start-time>
    <extensiondata>
      <metaswitch>
        <callId>4f1e0c77-2b1a@10.1.1.1</callId>
        <direction>incoming</direction>
        <subscriber>+12125550100</subscriber>
        <businessGroup>Acme BG</businessGroup>
      </metaswitch>
    </extensiondata>
  </session>
  <participant participant_id="bXN3LXAx"><nameID aor="sip:+13125550199@carrier.example"/></participant>
  <participant participant_id="bXN3LXAy"><nameID aor="sip:+12125550100@acme.example"><name>Front Desk</name></nameID></participant>
  <stream stream_id="bXN3LXN0cmVhbQ==" session_id="bXN3LXNlc3Npb24tMQ=="><label>1</label></stream>
  <participantstreamassoc participant_id="bXN3LXAx"><send>bXN3LXN0cmVhbQ==</send></participantstreamassoc>
  <participantstreamassoc participant_id="bXN3LXAy"><send>bXN3LXN0cmVhbQ==</send></participantstreamassoc>
</recording>
"""


def test_metaswitch_hand_written(registry: DialectRegistry) -> None:
    doc = parse_metadata(METASWITCH, registry=registry)
    assert doc.ok and doc.dialect == "metaswitch"
    assert doc.sessions[0].extensions["metaswitch"]["direction"] == "incoming"  # type: ignore[index]
    facts = doc.facts
    assert facts.direction == "inbound"
    assert facts.vendor_ids == {"sip_call_id": "4f1e0c77-2b1a@10.1.1.1"}
    assert (facts.user, facts.group) == ("+12125550100", "Acme BG")
    assert doc.extensions["metaswitch"]["mixed_streams"] == ["1"]  # type: ignore[index]
    merged = MetadataTimeline()
    merged.apply(doc, 0.0)
    assert merged.stream_sender("1") is None and len(merged.stream_senders("1")) == 2


def test_rfc_namespace_under_a_prefix(registry: DialectRegistry) -> None:
    raw = b"""<tns:recording xmlns:tns="urn:ietf:params:xml:ns:recording:1">
    <tns:datamode>partial</tns:datamode>
    <tns:participant participant_id="p"><tns:nameID aor="sip:p@h"><tns:name>P</tns:name></tns:nameID></tns:participant>
    </tns:recording>"""
    doc = parse_metadata(raw, registry=registry)
    assert doc.ok and doc.dialect == "rfc7865" and doc.data_mode == "partial"
    assert [(p.aor, p.name) for p in doc.participants] == [("sip:p@h", "P")]


def test_plugin_manager_registers_builtin_and_vendor_dialects() -> None:
    from srs.metadata import registry_from_plugins
    from srs.plugins.manager import get_plugin_manager

    manager = get_plugin_manager(environ={})
    assert set(registry_from_plugins(manager).names()) == {
        "draft",
        "rfc7865",
        *srs_vendor_dialects.MODULES,
    }


def test_set_default_registry_is_used_by_parse_metadata() -> None:
    from srs.metadata import set_default_registry

    raw = (
        Path(__file__).resolve().parents[1]
        / "fixtures"
        / "corpus"
        / ("netsapiens-via-vcon-siprec-adapter__v1.1-xfer-s1-initial.xml")
    ).read_bytes()
    try:
        set_default_registry(default_registry())
        assert parse_metadata(raw).dialect == "rfc7865"
    finally:
        set_default_registry(None)
    assert parse_metadata(raw).dialect == "netsapiens"
