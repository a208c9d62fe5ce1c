"""SIPREC calls from SIPp with real RTP: what srs records must match what was sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks import (
    ALICE,
    BOB,
    check_participant_numbers,
    check_participants,
    check_pcap_ports,
    check_two_tones,
)
from harness import SCENARIOS, SrsServer, scenario_copy, sipp

from srs.testing_media import call_pcap, g729_available, pcap_media_duration

pytestmark = pytest.mark.sipp

TRANSPORTS = ["udp", "tcp"]
CODEC_SDP = {  # codec -> (payload type, rtpmap encoding)
    "g722": (9, "G722/8000"),
    "g729": (18, "G729/8000"),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_basic_siprec_call(srs_server: SrsServer, logroot: Path, transport: str) -> None:
    run = sipp(SCENARIOS / "uac-siprec-basic.xml", srs_server, transport, logroot).start()
    run.check()
    check_pcap_ports(run)
    rec = srs_server.wait_recording(run.call_id)

    check_participants(rec)
    check_two_tones(srs_server, rec, pcap_media_duration(SCENARIOS / "audio.pcap"))
    assert rec["completeness"] == 1.0, rec
    assert all(s["lost"] == 0 for s in rec["streams"]), rec["streams"]
    assert rec["recovered"] is False
    assert [m["dialect"] for m in rec["metadata"]] == ["rfc7865"], rec["metadata"]

    session = srs_server.get_json(f"/api/v1/sessions/{rec['id']}")
    assert session["call_id"] == run.call_id
    assert session["live"] is False
    names = {p["name"]: p for p in session["participants"]}
    labels = {s["label"]: s["participant_id"] for s in session["streams"]}
    assert labels == {
        "1": names[ALICE[0]]["participant_id"],
        "2": names[BOB[0]]["participant_id"],
    }, session
    check_participant_numbers(rec["participants"])
    check_participant_numbers(session["participants"])
    assert (session["transport"] or "").lower() == transport, f"stored session: {session}"


def _codec_scenario(codec: str, dest: Path) -> Path:
    pt, rtpmap = CODEC_SDP[codec]
    return scenario_copy(
        "uac-siprec-basic.xml",
        dest,
        [
            ("m=audio [media_port] RTP/AVP 0 101", f"m=audio [media_port] RTP/AVP {pt} 101"),
            ("m=audio [media_port+2] RTP/AVP 0 101", f"m=audio [media_port+2] RTP/AVP {pt} 101"),
            ("a=rtpmap:0 PCMU/8000", f"a=rtpmap:{pt} {rtpmap}"),
            ("a=rtpmap:0 PCMU/8000", f"a=rtpmap:{pt} {rtpmap}"),
        ],
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("codec", sorted(CODEC_SDP))
def test_codec_call(
    srs_server: SrsServer, logroot: Path, tmp_path: Path, codec: str, transport: str
) -> None:
    if codec == "g729":
        assert g729_available(), (
            "the G.729 test encoder needs libbcg729 (Debian/Ubuntu package libbcg729-0): "
            "apt-get install libbcg729-0"
        )
    scenario = _codec_scenario(codec, tmp_path / "scenario")
    sent = call_pcap(scenario.parent / "audio.pcap", codec)
    run = sipp(scenario, srs_server, transport, logroot).start()
    run.check()
    check_pcap_ports(run)
    rec = srs_server.wait_recording(run.call_id)

    check_participants(rec)
    check_two_tones(srs_server, rec, sent.media_duration)
    assert rec["completeness"] == 1.0, rec


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dropped_packets_leave_silence(
    srs_server: SrsServer, logroot: Path, tmp_path: Path, transport: str
) -> None:
    scenario = scenario_copy("uac-siprec-basic.xml", tmp_path / "scenario")
    lost = range(50, 75)
    sent = call_pcap(scenario.parent / "audio.pcap", drop={0: lost})
    run = sipp(scenario, srs_server, transport, logroot).start()
    run.check()
    check_pcap_ports(run)
    rec = srs_server.wait_recording(run.call_id)

    flow = sent.flows[0]
    t0 = min(f.first for f in sent.flows)
    gap = (flow.times[lost.start - 1] + flow.ptime - t0, flow.times[lost.start] - t0)
    assert abs(gap[1] - gap[0] - 0.5) < 1e-9  # what the test promises: 500 ms lost
    check_two_tones(srs_server, rec, sent.media_duration, gaps={"1": [gap]})
    assert rec["completeness"] < 1.0, rec
    by_label = {s["label"]: s for s in rec["streams"]}
    assert by_label["1"]["lost"] == len(lost), by_label
    assert by_label["2"]["lost"] == 0, by_label
    key = by_label["1"]["key"]
    assert list(rec["gaps"]) == [key], f"gaps stored: {rec['gaps']}"
    [(start, end)] = rec["gaps"][key]
    assert abs(start - gap[0]) <= 0.04 and abs(end - gap[1]) <= 0.04, rec["gaps"]
