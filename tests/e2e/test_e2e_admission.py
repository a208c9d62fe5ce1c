"""Calls srs must not record: over its session limit (503) and cancelled while ringing
(487).  Each needs its own server configuration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from checks import check_participants, check_two_tones
from harness import SCENARIOS, SrsServer, e2e_server, running, scenario_copy, sipp

from srs.testing_media import call_pcap

pytestmark = pytest.mark.sipp

TRANSPORTS = ["udp", "tcp"]


@pytest.fixture(scope="module")
def one_session_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    server = e2e_server(tmp_path_factory.mktemp("srs-max1"), sip={"max_sessions": 1})
    with running(server):
        yield server


@pytest.fixture(scope="module")
def ringing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    """srs sends 180 and waits 1 s before answering (``sip.answer_delay``)."""
    server = e2e_server(tmp_path_factory.mktemp("srs-ringing"), sip={"answer_delay": 1.0})
    with running(server):
        yield server


def test_overload_503_while_one_call_records(
    one_session_server: SrsServer, logroot: Path, tmp_path: Path
) -> None:
    server = one_session_server
    scenario = scenario_copy(
        "uac-siprec-basic.xml",
        tmp_path / "scenario",
        [('<pause milliseconds="3000"/>', "<pause/>")],
    )
    sent = call_pcap(scenario.parent / "audio.pcap")
    first = sipp(scenario, server, "udp", logroot, pause_ms=3000).start()
    try:
        server.wait_live(first.call_id)
        for transport in TRANSPORTS:
            refused = sipp(SCENARIOS / "uac-siprec-expect-503.xml", server, transport, logroot)
            refused.start().check()
            page = server.get_json("/api/v1/recordings", call_id=refused.call_id)
            assert page["items"] == [], page
        assert [s["call_id"] for s in server.live_sessions()] == [first.call_id]
        first.check()
    finally:
        first.terminate()
    rec = server.wait_recording(first.call_id)
    check_participants(rec)
    check_two_tones(server, rec, sent.media_duration)
    assert rec["completeness"] == 1.0, rec


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cancel_while_ringing_487(ringing_server: SrsServer, logroot: Path, transport: str) -> None:
    run = sipp(SCENARIOS / "uac-siprec-cancel-expect-487.xml", ringing_server, transport, logroot)
    run.start().check()
    time.sleep(1.3)  # past the answer delay: a CANCEL that did not stick would answer now
    assert all(s.get("call_id") != run.call_id for s in ringing_server.live_sessions())
    page = ringing_server.get_json("/api/v1/recordings", call_id=run.call_id)
    assert page["items"] == [], page
