"""Finalize's fast paths (in-order reader, one-codec decode, direct ``to_json``) give
byte-identical files and results to the general per-packet path (``FAST_PATH = False``).

Inputs are generated with every perturbation the fast paths must refuse: loss,
reordering beyond and within the window, duplicates, SSRC, payload-type, sequence and
timestamp jumps, DTMF, comfort noise, unknown payload types, padded/short packets, RTCP,
mid-stream ``params`` events, broken events, hold/resume.
"""

from __future__ import annotations

import dataclasses
import json
import random
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srs.media import finalize as finalize_module
from srs.media.finalize import FinalizeConfig, FinalizeResult, finalize_recording
from srs.media.recovery import mark_finalized, read_marker
from srs.media.reorder import MAX_DROPOUT, ReorderBuffer
from srs.media.rtp import build_dtmf
from srs.media.spool import (
    EVENT,
    RTCP,
    RTP,
    SpoolError,
    encode_record,
    iter_records_bytes,
    iter_records_spans,
)
from srs.testing_media import (
    Record,
    StreamFixture,
    event_record,
    params_event,
    rtp_packets,
    sender_report,
    timed_records,
    write_recording,
)

T = 1_700_000_000.0
PERTURBATIONS = (
    "drop",
    "burst",
    "dup",
    "swap",
    "far_swap",
    "ssrc",
    "pt",
    "seq_jump",
    "ts_jump",
    "dtmf",
    "cn",
    "unknown_pt",
    "other_clock",
    "short",
    "padded",
    "rtcp",
    "rtcp_mux",
    "params_mid",
    "broken_event",
    "hold",
    "no_params",
    "jitter",
)


def _rtp(seq: int, ts: int, ssrc: int, pt: int, payload: bytes, marker: bool = False) -> bytes:
    b1 = (0x80 if marker else 0) | pt
    return struct.pack("!BBHII", 0x80, b1, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


@st.composite
def stream_records(draw: st.DrawFn, key: str) -> StreamFixture:
    """One stream: a G.711 packet run with a drawn subset of ``PERTURBATIONS``."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    n = draw(st.integers(1, 90))
    law_pt = draw(st.sampled_from([0, 8]))
    size = draw(st.sampled_from([80, 160, 240]))
    seq0 = draw(st.integers(0, 0xFFFF))
    ts0 = draw(st.integers(0, 0xFFFFFFFF))
    ssrc = draw(st.integers(1, 0xFFFFFFFF))
    chosen = draw(st.sets(st.sampled_from(PERTURBATIONS), max_size=4))
    at = lambda: rng.randrange(n)  # noqa: E731
    packets: list[list[Any]] = [  # [seq, ts, ssrc, pt, payload, arrival]
        [seq0 + i, ts0 + i * size, ssrc, law_pt, rng.randbytes(size), T + i * size / 8000]
        for i in range(n)
    ]
    if "ssrc" in chosen:
        for p in packets[at() :]:
            p[0] += 12345
            p[2] = (ssrc + 1) & 0xFFFFFFFF
    if "pt" in chosen:
        for p in packets[at() :]:
            p[3] = 8 - law_pt
    if "seq_jump" in chosen:
        for p in packets[at() :]:
            p[0] += 5000
    if "ts_jump" in chosen:
        for p in packets[at() :]:
            p[1] += 8000 * 5
    if "jitter" in chosen:
        for p in packets:
            p[5] += rng.uniform(-0.03, 0.03)
    if "dtmf" in chosen:
        k = at()
        for j in range(k, min(n, k + 3)):
            packets[j][3:5] = [101, build_dtmf(7, j == k + 2, 10, 160 * (j - k + 1))]
    if "cn" in chosen:
        packets[at()][3:5] = [13, b"\x40"]
    if "unknown_pt" in chosen:
        packets[at()][3] = 99
    if "other_clock" in chosen:
        packets[at()][3] = 96
    records: list[Record] = [
        (RTP, p[5], _rtp(p[0], p[1], p[2], p[3], p[4], i == 0)) for i, p in enumerate(packets)
    ]
    if "padded" in chosen:
        k = at()
        p = packets[k]
        body = bytearray(_rtp(p[0], p[1], p[2], p[3], p[4] + b"\0\x02"))
        body[0] |= 0x20
        records[k] = (RTP, p[5], bytes(body))
    if "drop" in chosen:
        for _ in range(rng.randrange(1, 4)):
            if len(records) > 1:
                del records[rng.randrange(len(records))]
    if "burst" in chosen:
        k = rng.randrange(len(records))
        del records[k : k + rng.randrange(1, 40)]
        records = records or [(RTP, T, _rtp(seq0, ts0, ssrc, law_pt, b"\xff" * size))]
    if "dup" in chosen:
        k = rng.randrange(len(records))
        records.insert(min(len(records), k + rng.randrange(1, 5)), records[k])
    if "swap" in chosen:
        for _ in range(3):
            k = rng.randrange(len(records))
            j = min(len(records) - 1, k + rng.randrange(1, 4))
            records[k], records[j] = records[j], records[k]
    if "far_swap" in chosen:
        k = rng.randrange(len(records))
        records.insert(min(len(records), k + 70), records.pop(k))
    if "short" in chosen:
        records.insert(rng.randrange(len(records) + 1), (RTP, T, b"\x80\x00\x01"))
    if "rtcp" in chosen:  # SRs 20 s apart: a clock 0.1 % (0.3 % after an SSRC change) fast
        for sender, ticks in ((ssrc, 160160), ((ssrc + 1) & 0xFFFFFFFF, 160480)):
            for ntp, stamp in ((3.9e9, ts0), (3.9e9 + 20, ts0 + ticks)):
                report = (RTCP, T, sender_report(sender, ntp, stamp))
                records.insert(rng.randrange(len(records) + 1), report)
    if "rtcp_mux" in chosen:
        records.insert(rng.randrange(len(records) + 1), (RTP, T, sender_report(ssrc, 3.9e9, ts0)))
    if "params_mid" in chosen:
        table = {0: ("pcmu", 8000), 8: ("pcma", 8000), 99: ("pcma", 16000)}
        records.insert(rng.randrange(len(records) + 1), event_record(T, params_event(table)))
    if "broken_event" in chosen:
        records.insert(rng.randrange(len(records) + 1), (EVENT, T, b"{not json"))
    if "hold" in chosen:
        records.insert(rng.randrange(len(records) + 1), event_record(T + 0.1, {"event": "hold"}))
        records.insert(rng.randrange(len(records) + 1), event_record(T + 0.3, {"event": "resume"}))
    table = {0: ("pcmu", 8000), 96: ("pcmu", 16000)}
    head = [] if "no_params" in chosen else [event_record(T - 0.5, params_event(table, label=key))]
    return StreamFixture(key, int(key[1:]), [*head, *records], participant_id=f"p-{key}")


configs = st.builds(
    FinalizeConfig,
    format=st.sampled_from(["wav", "wav-g711"]),
    layout=st.sampled_from(["stereo", "separate", "multichannel", "mixed"]),
    gap_fill=st.sampled_from(["silence", "noise"]),
    span=st.sampled_from(["media", "session"]),
    window=st.sampled_from([64, 8, 1]),
)


@contextmanager
def fast_path(enabled: bool) -> Iterator[None]:
    saved = finalize_module.FAST_PATH
    finalize_module.FAST_PATH = enabled
    try:
        yield
    finally:
        finalize_module.FAST_PATH = saved


def run_both(
    spool: Path, out: Path, config: FinalizeConfig
) -> tuple[tuple[dict[str, Any], dict[str, bytes]], tuple[dict[str, Any], dict[str, bytes]]]:
    """(result JSON, file bytes) of the general path, then of the fast path, same out dir."""
    runs = []
    for enabled in (False, True):
        with fast_path(enabled):
            result = finalize_recording(spool, out, config)
        files = {f.path: Path(f.path).read_bytes() for f in result.files}
        runs.append((result.to_json(), files))
    return runs[0], runs[1]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    streams=st.integers(1, 3).flatmap(
        lambda count: st.tuples(*(stream_records(f"s{k}") for k in range(count)))
    ),
    config=configs,
    ended=st.booleans(),
)
def test_fast_path_output_equals_the_general_path(
    streams: tuple[StreamFixture, ...], config: FinalizeConfig, ended: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spool = write_recording(
            Path(tmp) / "spool",
            streams,
            started_at=T - 0.25,
            ended_at=T + 2.0 if ended else None,
        )
        (slow, slow_files), (fast, fast_files) = run_both(spool, Path(tmp) / "out", config)
    assert fast == slow
    assert fast_files == slow_files
    assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)


def clean_recording(directory: Path, seconds: float = 1.0) -> Path:
    rng = random.Random(3)
    streams = []
    for k in range(2):
        records = [
            (
                RTP,
                T + i * 0.02,
                _rtp(65500 + i, 2**32 - 800 + i * 160, 7 + k, 0, rng.randbytes(160)),
            )
            for i in range(round(seconds / 0.02))
        ]
        params = params_event({0: ("pcmu", 8000), 96: ("pcmu", 16000)})
        streams.append(StreamFixture(f"s{k}", k, [event_record(T - 0.5, params), *records]))
    return write_recording(directory, streams, started_at=T, ended_at=T + seconds)


def test_a_clean_call_skips_the_reorder_buffer_and_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sequence and timestamp wrap inside: still the common case."""
    spool = clean_recording(tmp_path / "spool")
    (slow, slow_files), _ = run_both(spool, tmp_path / "out", FinalizeConfig())
    pushes: list[int] = []
    original = ReorderBuffer.push

    def counting(self: ReorderBuffer, *args: Any, **kwargs: Any) -> Any:
        pushes.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ReorderBuffer, "push", counting)
    result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
    assert pushes == []
    assert result.to_json() == slow
    assert {f.path: Path(f.path).read_bytes() for f in result.files} == slow_files
    assert result.streams[0].packets_received == 50 and result.streams[0].lost == 0


@pytest.mark.parametrize(
    ("perturbation", "fast"),
    [
        ("swap", False),
        ("ssrc", False),
        ("params_mid", False),
        ("ts_jump", False),
        ("other_clock", False),
        ("dtmf", True),
        ("cn", True),
        ("pcma", True),
        ("first_cn", False),
        ("all_cn", False),
    ],
)
def test_which_cases_skip_the_reorder_buffer(tmp_path: Path, perturbation: str, fast: bool) -> None:
    spool = clean_recording(tmp_path / "spool", 0.4)
    path = spool / "s0.spool"
    records = [(k, a, d) for k, a, d in _records(path.read_bytes())]
    rtp = [i for i, (k, _, _) in enumerate(records) if k == RTP]
    i = rtp[5]
    kind, arrival, data = records[i]
    if perturbation == "swap":
        records[i], records[i + 1] = records[i + 1], records[i]
    elif perturbation == "ssrc":
        records[i] = (kind, arrival, data[:8] + b"\0\0\0\x63" + data[12:])
    elif perturbation == "dtmf":
        records[i] = (
            kind,
            arrival,
            data[:1] + bytes([101]) + data[2:12] + build_dtmf(1, False, 10, 160),
        )
    elif perturbation in ("cn", "pcma", "other_clock"):
        pt = {"cn": 13, "pcma": 8, "other_clock": 96}[perturbation]
        records[i] = (kind, arrival, data[:1] + bytes([pt]) + data[2:])
    elif perturbation in ("first_cn", "all_cn"):
        for j in rtp if perturbation == "all_cn" else rtp[:1]:
            kind, arrival, data = records[j]
            records[j] = (kind, arrival, data[:1] + bytes([13]) + data[2:])
    elif perturbation == "params_mid":
        records.insert(i, event_record(arrival, params_event()))
    else:
        records[i] = (kind, arrival, data[:4] + struct.pack("!I", 8000 * 9) + data[8:])
    path.write_bytes(path.read_bytes()[:5] + b"".join(encode_record(*r) for r in records))
    assert _read_in_order_taken(path) == fast
    (slow, slow_files), (quick, quick_files) = run_both(spool, tmp_path / "out", FinalizeConfig())
    assert quick == slow and quick_files == slow_files


def _records(data: bytes) -> list[tuple[int, float, bytes]]:
    return [(r.kind, r.arrival, r.data) for r in iter_records_bytes(data)]


def _read_in_order_taken(path: Path) -> bool:
    """Whether ``_read_stream`` takes the fast reader for this spool."""
    taken: list[bool] = []
    original = finalize_module._read_in_order

    def spy(*args: Any) -> bool:
        taken.append(original(*args))
        return taken[-1]

    finalize_module._read_in_order = spy  # type: ignore[assignment]
    try:
        stream = finalize_module._Stream("s", None, 0, 0, {"id": None})
        finalize_module._read_stream(stream, path, FinalizeConfig())
    finally:
        finalize_module._read_in_order = original
    return taken == [True]


def test_to_json_is_asdict_and_the_marker_round_trips(tmp_path: Path) -> None:
    rng = random.Random(5)
    records: list[Record] = [event_record(T - 0.5, params_event())]
    for i in range(30):
        pt, payload = (
            (101, build_dtmf(3, i == 12, 10, 320)) if 10 <= i <= 12 else (0, b"\x55" * 160)
        )
        if i != 20:  # one loss
            records.append(
                (RTP, T + i * 0.02 + rng.uniform(0, 0.001), _rtp(i, i * 160, 9, pt, payload))
            )
    records.append(event_record(T + 0.1, {"event": "hold"}))
    spool = write_recording(tmp_path / "spool", [StreamFixture("s0", 0, records)], started_at=T)
    result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
    assert result.streams[0].dtmf and result.streams[0].gaps and result.intervals
    expected = dataclasses.asdict(result)
    assert result.to_json() == expected
    assert list(result.to_json()) == list(expected)
    assert list(result.to_json()["streams"][0]) == list(expected["streams"][0])
    copy = result.to_json()
    copy["streams"][0]["dtmf"][0]["digit"] = "X"
    copy["intervals"][0]["kind"] = "X"
    copy["files"][0]["streams"].append("X")
    assert result.to_json() == expected  # nothing shared
    mark_finalized(spool, result)
    marker = read_marker(spool)
    assert marker is not None and marker.to_json() == expected
    assert FinalizeResult.from_json(json.loads(json.dumps(expected))) == result


def test_record_spans_match_records_at_every_torn_length() -> None:
    body = b"SRSP\x01" + b"".join(
        encode_record(kind, 1.5 * i, bytes(range(i * 7 % 50)))
        for i, kind in enumerate([1, 2, 3, 1])
    )
    for cut in range(len(body) + 1):
        data = body[:cut]
        if cut and not body[:cut].startswith(b"SRSP"[:cut]):
            continue
        spans = iter_records_spans(data)
        assert [(k, a, data[s:e]) for k, a, s, e in spans] == _records(data)
        assert all(e <= len(data) for *_, e in spans)
    with pytest.raises(SpoolError, match="not a spool file"):
        iter_records_spans(b"RIFF....")
    with pytest.raises(SpoolError, match="unsupported spool version"):
        iter_records_spans(b"SRSP\x02")


@pytest.mark.parametrize("step", [2, 100, MAX_DROPOUT, MAX_DROPOUT + 1, 0x8000, 0xFFFF, 0])
def test_sequence_steps_around_the_fast_path_limits(tmp_path: Path, step: int) -> None:
    """Holes up to ``MAX_DROPOUT`` are plain loss; further jumps, going back and repeats
    take the reorder buffer; both give the general path's output."""
    rng = random.Random(step)
    seqs = [65000 + i for i in range(20)] + [65019 + step + i for i in range(20)]
    records: list[Record] = [event_record(T - 0.5, params_event())]
    records += [
        (RTP, T + i * 0.02, _rtp(seq, i * 160, 5, 0, rng.randbytes(160)))
        for i, seq in enumerate(seqs)
    ]
    spool = write_recording(tmp_path / "spool", [StreamFixture("s0", 0, records)], started_at=T)
    assert _read_in_order_taken(spool / "s0.spool") == (1 <= step <= MAX_DROPOUT)
    for window in (64, 4):
        (slow, slow_files), (fast, fast_files) = run_both(
            spool, tmp_path / "out", FinalizeConfig(window=window)
        )
        assert fast == slow and fast_files == slow_files
    assert slow["streams"][0]["lost"] == (step - 1 if 1 <= step <= MAX_DROPOUT else 0)


def test_two_sample_rates_in_one_stream_match(tmp_path: Path) -> None:
    """G.711 then G.722 (16 kHz): two native tracks resampled into one channel."""
    first = rtp_packets("pcmu", 440, 0.4, ssrc=3)
    second = rtp_packets("g722", 660, 0.4, ssrc=3, seq0=first[-1].seq + 1, ts0=3200)
    records: list[Record] = [
        event_record(T - 0.5, params_event({0: ("pcmu", 8000), 9: ("g722", 8000)}))
    ]
    records += timed_records([*first, *second], T)
    clean = StreamFixture("s1", 1, timed_records(rtp_packets("pcmu", 550, 0.8, ssrc=4), T))
    spool = write_recording(
        tmp_path / "spool", [StreamFixture("s0", 0, records), clean], started_at=T
    )
    (slow, slow_files), (fast, fast_files) = run_both(spool, tmp_path / "out", FinalizeConfig())
    assert slow["sample_rate"] == 16000
    assert fast == slow and fast_files == slow_files
