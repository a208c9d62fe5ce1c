"""RFC 3262 through a real SIPp: with ``[sip] answer_delay`` srs rings with a reliable 180
when the INVITE requires 100rel, answers only after the PRACK, and records the call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import SCENARIOS, SrsServer, e2e_server, running, sipp

pytestmark = pytest.mark.sipp

SCENARIO = SCENARIOS / "uac-siprec-100rel-prack.xml"
BLOCK = re.compile(r"^(?:UDP|TCP) message (sent|received)[^\n]*\n", re.M)


@pytest.fixture(scope="module")
def ringing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    """srs rings (180) for 0.5 s before answering."""
    server = e2e_server(tmp_path_factory.mktemp("srs-100rel"), sip={"answer_delay": 0.5})
    with running(server):
        yield server


def traced(messages_log: Path) -> list[tuple[str, str, dict[str, str]]]:
    """SIPp's message trace as (sent|received, start line, first value of each header)."""
    parts = BLOCK.split(messages_log.read_text(errors="replace"))
    out = []
    for direction, text in zip(parts[1::2], parts[2::2], strict=True):
        lines = [line.strip() for line in text.strip().splitlines()]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                break
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        out.append((direction, lines[0], headers))
    return out


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_reliable_180_prack_then_200(
    ringing_server: SrsServer, logroot: Path, transport: str
) -> None:
    run = sipp(SCENARIO, ringing_server, transport, logroot).start()
    run.check()  # SIPp itself checked the 180's RSeq/Require and 200 PRACK before 200 INVITE
    trace = traced(run.logdir / "messages.log")
    ringing = [h for d, line, h in trace if d == "received" and line.startswith("SIP/2.0 180")]
    assert ringing, trace
    assert {h["require"] for h in ringing} == {"100rel"}
    assert len({h["rseq"] for h in ringing}) == 1  # a resent 180 keeps its RSeq
    pracks = [h for d, line, h in trace if d == "sent" and line.startswith("PRACK ")]
    assert [h["rack"] for h in pracks] == [f"{ringing[0]['rseq']} 1 INVITE"] * len(pracks)
    finals = [
        h["cseq"] for d, line, h in trace if d == "received" and line.startswith("SIP/2.0 200")
    ]
    assert finals[:2] == ["2 PRACK", "1 INVITE"], finals
    rec = ringing_server.wait_recording(run.call_id)
    assert len(rec["streams"]) == 2, rec["streams"]
