"""Dialog-level SIPp scenarios: delayed offer, re-INVITE hold/resume, UPDATE, OPTIONS and
the requests srs must refuse (420, 400)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks import DURATION_TOLERANCE, check_pcap_ports, check_tone, check_two_tones
from harness import SCENARIOS, SrsServer, pause, play, recorded_audio, scenario_copy, sipp

from srs.testing_media import call_pcap, pcap_media_duration

pytestmark = pytest.mark.sipp

TRANSPORTS = ["udp", "tcp"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_trunk_delayed_offer(srs_server: SrsServer, logroot: Path, transport: str) -> None:
    run = sipp(
        SCENARIOS / "uac-trunk-delayed-offer.xml", srs_server, transport, logroot, pause_ms=3000
    ).start()
    run.check()
    rec = srs_server.wait_recording(run.call_id)

    # The From URI carries Cisco BIB fork parameters (x-nearend ...): the bundled
    # cisco_bib plugin records the fork as the near-end leg (channel 0) of a two-channel
    # group recording whose far-end leg never comes (that channel stays silent).
    sent = pcap_media_duration(SCENARIOS / "audio-1.pcap")
    assert [s["key"] for s in rec["streams"]] == ["nearend"], rec["streams"]
    channel = rec["streams"][0]["channel"]
    assert rec["channels"] == 2, rec
    assert abs(rec["duration"] - sent) <= DURATION_TOLERANCE, (rec["duration"], sent)
    audio = recorded_audio(srs_server, rec)
    assert abs(audio.duration - sent) <= DURATION_TOLERANCE, (audio.duration, sent)
    check_tone(audio, channel, 440.0, 0.0, audio.duration)
    assert audio.silences(channel) == [], audio.silences(channel)
    assert not audio.channels[1 - channel].any(), "the missing far-end leg is not silent"
    assert rec["completeness"] == 1.0, rec
    session = srs_server.get_json(f"/api/v1/sessions/{rec['id']}")
    assert session["siprec"] is False, session


BIB_FROM = (
    '"1001" <sip:1001@[local_ip]:[local_port];x-nearend;x-refci=19301625;'
    "x-nearendclusterid=StandAloneCluster;x-nearenddevice=SEP6C416A369525;"
    "x-nearendaddr=1001;x-farendrefci=19301624;x-farendclusterid=StandAloneCluster;"
    "x-farenddevice=SEP38ED18552A12;x-farendaddr=1000>"
)
PLAIN_FROM = '"1001" <sip:1001@[local_ip]:[local_port]>'


def test_plain_trunk_delayed_offer(srs_server: SrsServer, logroot: Path, tmp_path: Path) -> None:
    """The same delayed-offer call without the BIB marks: an ordinary mono recording."""
    scenario = scenario_copy(
        "uac-trunk-delayed-offer.xml",
        tmp_path / "scenario",
        [(BIB_FROM, PLAIN_FROM)] * 3,
    )
    sent = call_pcap(scenario.parent / "audio-1.pcap", freqs=(440.0,))
    run = sipp(scenario, srs_server, "udp", logroot, pause_ms=3000).start()
    run.check()
    rec = srs_server.wait_recording(run.call_id)

    assert rec["channels"] == 1, rec
    assert abs(rec["duration"] - sent.media_duration) <= DURATION_TOLERANCE, rec["duration"]
    audio = recorded_audio(srs_server, rec)
    check_tone(audio, 0, 440.0, 0.0, audio.duration)
    assert audio.silences(0) == [], audio.silences(0)
    assert rec["completeness"] == 1.0, rec


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reinvite_hold_resume(
    srs_server: SrsServer, logroot: Path, tmp_path: Path, transport: str
) -> None:
    """Media stops while the call is held (as an SRC's does); the recording keeps its
    place in time: silence for the hold, tones before and after, one hold interval, and
    the three metadata versions (complete + two partial) stored."""
    hold = (1.0, 2.0)
    scenario = scenario_copy(
        "uac-siprec-reinvite-hold-resume.xml",
        tmp_path / "scenario",
        [
            ("<pause/>", play("audio.pcap", round(hold[0] * 1000))),
            ("<pause/>", pause(round((hold[1] - hold[0]) * 1000))),
            ("<pause/>", pause(1000)),
        ],
    )
    sent = call_pcap(scenario.parent / "audio.pcap", silent=hold)
    run = sipp(scenario, srs_server, transport, logroot).start()
    run.check()
    check_pcap_ports(run)
    rec = srs_server.wait_recording(run.call_id)

    check_two_tones(
        srs_server,
        rec,
        sent.media_duration,
        gaps={"1": [hold], "2": [hold]},
        gap_tolerance=0.06,
    )
    assert rec["completeness"] == 1.0, rec
    assert len(rec["metadata"]) == 3, [m["raw"] for m in rec["metadata"]]
    assert [m["seq"] for m in rec["metadata"]] == sorted(m["seq"] for m in rec["metadata"])
    assert all(m["well_formed"] for m in rec["metadata"]), rec["metadata"]
    assert sum("partial" in m["raw"] for m in rec["metadata"]) == 2, rec["metadata"]
    held = {h.get("stream"): (h["start"], h["end"]) for h in rec["holds"]}
    assert set(held) == {"1", "2"}, f"hold intervals stored: {rec['holds']}"
    for start, end in held.values():
        assert abs(start - hold[0]) <= 0.1 and abs(end - hold[1]) <= 0.1, rec["holds"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_update_with_partial_metadata(
    srs_server: SrsServer, logroot: Path, tmp_path: Path, transport: str
) -> None:
    """An UPDATE mid-call keeps the media flowing into the same recording."""
    scenario = scenario_copy(
        "uac-siprec-update.xml",
        tmp_path / "scenario",
        [("<pause/>", play("audio.pcap", 1500)), ("<pause/>", pause(1500))],
    )
    sent = call_pcap(scenario.parent / "audio.pcap")
    run = sipp(scenario, srs_server, transport, logroot).start()
    run.check()
    check_pcap_ports(run)
    rec = srs_server.wait_recording(run.call_id)

    check_two_tones(srs_server, rec, sent.media_duration)
    assert rec["completeness"] == 1.0, rec
    assert len(rec["metadata"]) == 2, [m["raw"] for m in rec["metadata"]]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "scenario",
    [
        "uac-options-ping.xml",
        "uac-require-unsupported-expect-420.xml",
        "uac-malformed-sdp-expect-400.xml",
    ],
)
def test_out_of_dialog_and_refused(
    srs_server: SrsServer, logroot: Path, scenario: str, transport: str
) -> None:
    run = sipp(SCENARIOS / scenario, srs_server, transport, logroot).start()
    run.check()
    assert all(s.get("call_id") != run.call_id for s in srs_server.live_sessions())
    page = srs_server.get_json("/api/v1/recordings", call_id=run.call_id)
    assert page["items"] == [], page
