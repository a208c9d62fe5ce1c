"""Alignment helpers: RTCP SR parsing, sender clock, anchors, jitter, silence intervals."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.media.timeline import (
    Interval,
    SenderReport,
    clock_rate_from_reports,
    interarrival_jitter,
    intervals_from_events,
    intervals_from_session,
    merge_intervals,
    parse_sender_reports,
    session_time,
    substream_anchor,
)
from srs.testing_media import sender_report

RR = struct.pack("!BBHI", 0x80, 201, 1, 0x99)  # receiver report, no blocks
SDES = struct.pack("!BBHI", 0x81, 202, 2, 0x42) + b"\x00\x00\x00\x00"


def test_sender_report_is_found_in_a_compound_packet() -> None:
    sr = sender_report(0x1234, 3_900_000_000.5, 0xFFFFFFF0, packets=7, octets=1120)
    (report,) = parse_sender_reports(RR + sr + SDES, arrival=12.5)
    assert report == SenderReport(0x1234, 3_900_000_000.5, 0xFFFFFFF0, 12.5)


def test_truncated_or_garbage_rtcp_yields_what_parsed() -> None:
    sr = sender_report(1, 3_900_000_000.0, 100)
    assert [r.ssrc for r in parse_sender_reports(sr + sr[:10])] == [1]
    assert parse_sender_reports(b"\x00\xc8\x00\x06" + bytes(24)) == []  # version 0
    assert parse_sender_reports(b"") == []


def reports(rate: float, seconds: list[float], ts0: int = 0) -> list[SenderReport]:
    return [
        SenderReport(1, 3_900_000_000.0 + s, (ts0 + round(s * rate)) & 0xFFFFFFFF, s)
        for s in seconds
    ]


def test_sender_clock_is_measured_between_far_apart_reports() -> None:
    assert clock_rate_from_reports(reports(8008.0, [0, 10, 20, 30]), 8000) == pytest.approx(
        8008.0, abs=0.01
    )
    # across a 32-bit timestamp wrap
    wrapped = reports(8004.0, [0, 15, 30], ts0=0xFFFFFFFF - 100_000)
    assert clock_rate_from_reports(wrapped, 8000) == pytest.approx(8004.0, abs=0.01)


@pytest.mark.parametrize(
    "case",
    [
        reports(8008.0, [0]),  # one report
        reports(8008.0, [0, 5]),  # too close together
        reports(8100.0, [0, 20]),  # 1.25 % off: a broken NTP clock, not drift
    ],
)
def test_sender_clock_falls_back_to_nominal(case: list[SenderReport]) -> None:
    assert clock_rate_from_reports(case, 8000) == 8000.0


def test_anchor_is_the_least_delayed_packet() -> None:
    offsets = np.arange(10, dtype=np.int64) * 160
    arrivals = 100.0 + offsets / 8000 + np.array([0.03, 0, 0.01, 0.002, 0, 0, 0.05, 0, 0, 0])
    assert substream_anchor(arrivals, offsets, 8000) == pytest.approx(100.0)
    assert substream_anchor(arrivals, offsets, 8000, probe=1) == pytest.approx(100.03)


def reference_jitter(arrivals: list[float], ts: list[int], rate: float) -> list[float]:
    """RFC 3550 §A.8 literally, in arrival order."""
    order = sorted(range(len(arrivals)), key=lambda i: arrivals[i])
    out, jitter, prev = [], 0.0, None
    for i in order:
        transit = arrivals[i] - ts[i] / rate
        if prev is not None:
            jitter += (abs(transit - prev) - jitter) / 16
            out.append(jitter)
        prev = transit
    return out


def test_jitter_matches_rfc3550_reference() -> None:
    rng = random.Random(1)
    ts = [i * 160 for i in range(300)]
    arrivals = [i * 0.02 + rng.uniform(0, 0.015) for i in range(300)]
    got = interarrival_jitter(np.array(arrivals), np.array(ts, dtype=np.int64), 8000)
    assert got.tolist() == pytest.approx(reference_jitter(arrivals, ts, 8000))
    assert 0.002 < got[-1] < 0.01
    perfect = interarrival_jitter(
        np.arange(50, dtype=np.float64) * 0.02, np.arange(50, dtype=np.int64) * 160, 8000
    )
    assert np.allclose(perfect, 0.0)


def test_events_pair_into_intervals() -> None:
    events = [
        (1.0, "hold"),
        (1.5, "hold"),  # repeated start keeps the first
        (2.0, "resume"),
        (2.5, "resume"),  # unmatched end is ignored
        (3.0, "mute"),
        (4.0, "pause"),
        (4.5, "unmute"),
        (5.0, "params"),
    ]
    assert intervals_from_events(events, "a", end=9.0) == [
        Interval("hold", 1.0, 2.0, "a"),
        Interval("mute", 3.0, 4.5, "a"),
        Interval("pause", 4.0, 9.0, "a"),  # still open at the end
    ]


def test_session_events_in_both_shapes() -> None:
    events = [
        {"kind": "hold", "stream": "a", "start": 1.0, "end": 2.0},
        {"kind": "mute", "stream": "b", "start": "2023-11-14T22:13:21+00:00"},
        {"event": "pause", "at": 5.0},
        {"event": "resume_pause", "at": 6.0},
        "junk",
        {"event": "hold"},  # no time: skipped
    ]
    got = intervals_from_session(events, end=1_700_000_010.0)
    assert Interval("hold", 1.0, 2.0, "a") in got
    assert Interval("mute", 1_700_000_001.0, 1_700_000_010.0, "b") in got
    assert Interval("pause", 5.0, 6.0, None) in got
    assert len(got) == 3
    assert intervals_from_session(None, end=1.0) == []


def test_session_time_accepts_epoch_and_iso() -> None:
    assert session_time(12.5) == 12.5
    assert session_time("1970-01-01T00:00:10Z") == 10.0
    assert session_time("yesterday") is None
    assert session_time(True) is None
    assert session_time(None) is None


def test_merge_intervals() -> None:
    assert merge_intervals([(3, 4), (1, 2), (1.5, 2.5), (4, 5)]) == [(1, 2.5), (3, 5)]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_fuzz_rtcp_never_raises(data: bytes) -> None:
    for report in parse_sender_reports(data):
        assert 0 <= report.rtp_ts <= 0xFFFFFFFF
