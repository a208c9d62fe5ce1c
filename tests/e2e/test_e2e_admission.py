"""Calls srs must not record: over its session limit (503) and cancelled while ringing
(487).  Each needs its own server configuration."""

from __future__ import annotations

import signal
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
def lag_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    """Sheds new sessions while its event loop runs more than 100 ms late."""
    server = e2e_server(tmp_path_factory.mktemp("srs-lag"), sip={"overload_lag_ms": 100})
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


def test_late_event_loop_sheds_new_sessions_then_recovers(
    lag_server: SrsServer, logroot: Path
) -> None:
    """srs frozen for 1 s (SIGSTOP: what a loop stuck behind a burst looks like): once it
    runs again it sees how late it is and says so; an INVITE then answers 503 +
    Retry-After (SIPp's expect-503 scenario) for at least the 2 s hold, after which a
    call is recorded again."""
    server = lag_server
    server.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(1.0)
    finally:
        server.process.send_signal(signal.SIGCONT)
    _wait_for_log(server, "answering new sessions 503")
    sipp(SCENARIOS / "uac-siprec-expect-503.xml", server, "udp", logroot).start().check()
    _wait_for_log(server, "accepting new sessions again")
    accepted = sipp(SCENARIOS / "uac-siprec-basic.xml", server, "udp", logroot).start()
    accepted.check()
    assert server.wait_recording(accepted.call_id)["completeness"] == 1.0


def _wait_for_log(server: SrsServer, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log_text():
        assert time.monotonic() < deadline, f"srs never logged {text!r}"
        time.sleep(0.02)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cancel_while_ringing_487(ringing_server: SrsServer, logroot: Path, transport: str) -> None:
    run = sipp(SCENARIOS / "uac-siprec-cancel-expect-487.xml", ringing_server, transport, logroot)
    run.start().check()
    time.sleep(1.3)  # past the answer delay: a CANCEL that did not stick would answer now
    assert all(s.get("call_id") != run.call_id for s in ringing_server.live_sessions())
    page = ringing_server.get_json("/api/v1/recordings", call_id=run.call_id)
    assert page["items"] == [], page
