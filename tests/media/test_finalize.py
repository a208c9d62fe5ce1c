"""finalize_recording on synthetic spools built from the tone generator."""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import time
import zlib
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.media.finalize import FinalizeConfig, FinalizeError, FinalizeResult, finalize_recording
from srs.media.oggopus import read_ogg_opus
from srs.media.rtp import build_dtmf
from srs.media.spool import RTCP, RTP
from srs.media.wavfile import WAVE_FORMAT_MULAW, WAVE_FORMAT_PCM, read_wav
from srs.testing_media import (
    Record,
    RtpFrame,
    StreamFixture,
    dominant_frequency,
    event_record,
    params_event,
    rtp_packets,
    sender_report,
    timed_records,
    write_recording,
)

T = 1_700_000_000.0
RATE = 8000
PHASE = 0.5  # no exact zero samples inside a tone: silence is found as runs of zeros


def stream(
    key: str,
    channel: int,
    freq: float,
    seconds: float = 3.0,
    *,
    start: float = T,
    codec: str = "pcmu",
    ssrc: int | None = None,
    seq0: int = 1000,
    drop: range | set[int] = range(0),
    pts: dict[int, tuple[str, int]] | None = None,
) -> StreamFixture:
    ssrc = ssrc or zlib.crc32(key.encode())
    frames = rtp_packets(codec, freq, seconds, ssrc=ssrc, seq0=seq0, phase=PHASE)
    records = [r for i, r in enumerate(timed_records(frames, start)) if i not in drop]
    return StreamFixture(key, channel, [event_record(start - 0.5, params_event(pts)), *records])


def finalize(
    tmp_path: Path,
    streams: list[StreamFixture],
    config: FinalizeConfig | None = None,
    **session: object,
) -> FinalizeResult:
    session.setdefault("started_at", T - 1)
    session.setdefault("ended_at", T + 10)
    spool = write_recording(tmp_path / "spool" / "rec-1", streams, **session)  # type: ignore[arg-type]
    return finalize_recording(spool, tmp_path / "out", config or FinalizeConfig())


def wav(result: FinalizeResult, index: int = 0) -> np.ndarray:
    data = read_wav(Path(result.files[index].path))
    assert data.sample_rate == result.files[index].sample_rate
    return data.samples


def zero_runs(x: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """(start, length) of every run of exact zeros at least ``min_len`` long."""
    padded = np.concatenate([[False], x == 0, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [
        (int(a), int(b - a))
        for a, b in zip(edges[::2], edges[1::2], strict=True)
        if b - a >= min_len
    ]


def test_two_streams_make_a_stereo_wav_with_each_tone_on_its_channel(tmp_path: Path) -> None:
    result = finalize(
        tmp_path, [stream("a", 0, 440.0, 5.0), stream("b", 1, 1000.0, 5.0, start=T + 0.05)]
    )
    (info,) = result.files
    assert (info.format, info.channels, info.sample_rate) == ("wav", 2, RATE)
    assert info.duration == pytest.approx(5.05, abs=0.04)
    assert result.duration == info.duration
    samples = wav(result)
    assert samples.shape == (round(info.duration * RATE), 2)
    assert dominant_frequency(samples[:, 0], RATE) == pytest.approx(440, abs=1)
    assert dominant_frequency(samples[:, 1], RATE) == pytest.approx(1000, abs=1)
    # no silence inside either tone, and b starts exactly 50 ms late
    assert zero_runs(samples[:40000, 0], 3) == []
    assert zero_runs(samples[:, 1], 3)[0] == (0, 400)
    body = Path(info.path).read_bytes()
    assert info.size == len(body) and info.sha256 == hashlib.sha256(body).hexdigest()
    a, b = result.streams
    assert (a.key, a.channel, b.key, b.channel) == ("a", 0, "b", 1)
    assert a.packets_received == a.expected == 250 and a.lost == 0 and a.gaps == []
    assert a.completeness == result.completeness == 1.0
    assert a.codecs == ["pcmu"] and a.jitter_ms == 0.0
    assert (a.first_packet, b.first_packet, b.last_packet) == (0.0, 0.05, 5.05)
    assert not result.recovered and result.warnings == []


def test_result_is_json_and_round_trips(tmp_path: Path) -> None:
    result = finalize(tmp_path, [stream("a", 0, 440.0, 1.0)])
    text = json.dumps(result.to_json())
    again = FinalizeResult.from_json(json.loads(text))
    assert again == result
    result.latency = 0.25
    assert json.loads(json.dumps(result.to_json()))["latency"] == 0.25


def test_session_channel_decides_left_and_right(tmp_path: Path) -> None:
    result = finalize(tmp_path, [stream("a", 1, 440.0), stream("b", 0, 1000.0)])
    samples = wav(result)
    assert dominant_frequency(samples[:, 0], RATE) == pytest.approx(1000, abs=1)
    assert dominant_frequency(samples[:, 1], RATE) == pytest.approx(440, abs=1)
    assert result.files[0].streams == ["b", "a"]
    assert {s.key: s.channel for s in result.streams} == {"a": 1, "b": 0}


def test_dropped_packets_become_silence_of_their_exact_length(tmp_path: Path) -> None:
    result = finalize(
        tmp_path, [stream("a", 0, 440.0, 3.0, drop=range(50, 60)), stream("b", 1, 1000.0, 3.0)]
    )
    samples = wav(result)
    assert zero_runs(samples[:, 0], 3) == [(50 * 160, 10 * 160)]  # 200 ms, exactly there
    assert zero_runs(samples[:, 1], 3) == []
    a = result.streams[0]
    assert a.gaps == [[1.0, 1.2]]
    assert (a.packets_received, a.expected, a.lost) == (140, 150, 10)
    assert a.completeness == pytest.approx(140 / 150, abs=1e-4)
    assert result.completeness == pytest.approx(290 / 300, abs=1e-4)
    assert samples.shape[0] == 3 * RATE  # loss inside the call does not shorten it


def test_reordered_and_duplicated_spool_gives_the_same_audio(tmp_path: Path) -> None:
    clean = finalize(tmp_path / "clean", [stream("a", 0, 440.0, 2.0)])
    messy = stream("a", 0, 440.0, 2.0)
    records = messy.records[1:]
    rng = random.Random(3)
    for i in range(0, len(records) - 1, 7):  # swap neighbours: arrival order != seq order
        records[i], records[i + 1] = records[i + 1], records[i]
    dups = [records[i] for i in rng.sample(range(len(records)), 10)]
    for rec in dups:
        records.insert(records.index(rec) + 3, rec)
    messy.records[1:] = records
    result = finalize(tmp_path / "messy", [messy])
    assert np.array_equal(wav(result), wav(clean))
    a = result.streams[0]
    assert (a.duplicates, a.lost, a.reordered, a.packets_received) == (10, 0, 15, 110)
    assert a.completeness == 1.0


def test_ssrc_change_mid_call_continues_without_gap(tmp_path: Path) -> None:
    first = rtp_packets("pcmu", 440, 1.0, phase=PHASE, ssrc=1, seq0=100, ts0=5000)
    second = rtp_packets("pcmu", 440, 1.0, phase=PHASE, ssrc=2, seq0=40000, ts0=987654)
    frames = first + second
    s = StreamFixture("a", 0, [event_record(T, params_event()), *timed_records(frames, T)])
    result = finalize(tmp_path, [s])
    samples = wav(result)[:, 0]
    assert len(samples) == 2 * RATE
    assert zero_runs(samples, 3) == []
    a = result.streams[0]
    assert a.ssrcs == [1, 2] and a.lost == 0 and a.gaps == []


def test_sequence_wrap_in_the_spool_is_not_loss(tmp_path: Path) -> None:
    result = finalize(tmp_path, [stream("a", 0, 440.0, 2.0, seq0=65500)])
    a = result.streams[0]
    assert (a.expected, a.lost) == (100, 0)
    assert zero_runs(wav(result)[:, 0], 3) == []


def test_timestamp_jump_does_not_invent_silence(tmp_path: Path) -> None:
    first = rtp_packets("pcmu", 440, 1.0, phase=PHASE, ssrc=7, seq0=10, ts0=0)
    second = rtp_packets(
        "pcmu", 440, 1.0, phase=PHASE, ssrc=7, seq0=60, ts0=80_000_000
    )  # ~2.8 h ahead
    s = StreamFixture("a", 0, [event_record(T, params_event()), *timed_records(first + second, T)])
    result = finalize(tmp_path, [s])
    assert result.duration == pytest.approx(2.0, abs=0.001)
    assert zero_runs(wav(result)[:, 0], 3) == []


def test_hold_interval_is_silence_on_that_stream_only(tmp_path: Path) -> None:
    a = stream("a", 0, 440.0, 4.0)
    a.records.append(event_record(T + 1.0, {"event": "hold"}))
    a.records.append(event_record(T + 2.5, {"event": "resume"}))
    a.records.sort(key=lambda r: r[1])
    result = finalize(tmp_path, [a, stream("b", 1, 1000.0, 4.0)])
    samples = wav(result)
    assert zero_runs(samples[:, 0], 3) == [(RATE, int(1.5 * RATE))]
    assert zero_runs(samples[:, 1], 3) == []
    assert result.intervals == [{"kind": "hold", "stream": "a", "start": 1.0, "end": 2.5}]


def test_pause_silences_every_stream_and_mute_only_its_own(tmp_path: Path) -> None:
    a, b = stream("a", 0, 440.0, 4.0), stream("b", 1, 1000.0, 4.0)
    a.records += [
        event_record(T + 0.5, {"event": "pause"}),
        event_record(T + 1.0, {"event": "resume_pause"}),
    ]
    b.records += [
        event_record(T + 2.0, {"event": "mute"}),
        event_record(T + 3.0, {"event": "unmute"}),
    ]
    for s in (a, b):
        s.records.sort(key=lambda r: r[1])
    samples = wav(finalize(tmp_path, [a, b]))
    assert zero_runs(samples[:, 0], 3) == [(RATE // 2, RATE // 2)]
    assert zero_runs(samples[:, 1], 3) == [(RATE // 2, RATE // 2), (2 * RATE, RATE)]


def test_a_span_recorded_twice_is_reported_once(tmp_path: Path) -> None:
    # capture writes a pause into every stream's spool, and session.json has it too
    a, b = stream("a", 0, 440.0, 3.0), stream("b", 1, 1000.0, 3.0)
    for s in (a, b):
        s.records += [
            event_record(T + 1.0, {"event": "pause"}),
            event_record(T + 2.0, {"event": "resume_pause"}),
        ]
        s.records.sort(key=lambda r: r[1])
    events = [{"kind": "pause", "stream": None, "start": T + 1.0, "end": T + 2.0}]
    result = finalize(tmp_path, [a, b], events=events)
    assert result.intervals == [{"kind": "pause", "stream": None, "start": 1.0, "end": 2.0}]


def test_session_json_intervals_are_applied(tmp_path: Path) -> None:
    events = [{"kind": "hold", "stream": "a", "start": T + 1.0, "end": T + 1.5}]
    result = finalize(tmp_path, [stream("a", 0, 440.0, 2.0)], events=events)
    assert zero_runs(wav(result)[:, 0], 3) == [(RATE, RATE // 2)]


def test_open_hold_lasts_to_the_end_and_no_packets_means_silence(tmp_path: Path) -> None:
    a = stream("a", 0, 440.0, 1.0)
    a.records.append(event_record(T + 1.0, {"event": "hold"}))
    b = stream("b", 1, 1000.0, 3.0)
    samples = wav(finalize(tmp_path, [a, b]))
    assert len(samples) == 3 * RATE
    assert zero_runs(samples[:, 0], 3) == [(RATE, 2 * RATE)]


def test_g711_passthrough_keeps_the_wire_bytes(tmp_path: Path) -> None:
    a, b = stream("a", 0, 440.0, 2.0), stream("b", 1, 1000.0, 2.0)
    result = finalize(tmp_path, [a, b], FinalizeConfig(format="wav-g711"))
    (info,) = result.files
    assert info.format == "wav-pcmu"
    data = read_wav(Path(info.path))
    assert data.format_tag == WAVE_FORMAT_MULAW and data.samples.dtype == np.uint8
    sent = b"".join(r[2][12:] for r in a.records if r[0] == RTP)
    assert data.samples[:, 0].tobytes() == sent.replace(b"\x7f", b"\xff")  # only -0 → +0


def test_g711_passthrough_with_mixed_laws_falls_back_to_pcm(tmp_path: Path) -> None:
    b = stream("b", 1, 1000.0, codec="pcma", pts={8: ("pcma", 8000)})
    result = finalize(tmp_path, [stream("a", 0, 440.0), b], FinalizeConfig(format="wav-g711"))
    assert result.files[0].format == "wav"
    assert read_wav(Path(result.files[0].path)).format_tag == WAVE_FORMAT_PCM
    assert result.warnings == [
        "rec-1.wav: wav-g711 needs one G.711 law at 8 kHz (got ['pcma', 'pcmu'] at 8000 Hz); wrote PCM16"
    ]


def test_ogg_opus_output_decodes_to_both_tones(tmp_path: Path) -> None:
    result = finalize(
        tmp_path,
        [stream("a", 0, 440.0, 2.0), stream("b", 1, 1000.0, 2.0)],
        FinalizeConfig(format="ogg"),
    )
    (info,) = result.files
    assert info.path.endswith("rec-1.ogg") and info.format == "ogg" and info.channels == 2
    rate, samples = read_ogg_opus(Path(info.path))
    assert samples.shape[1] == 2
    assert len(samples) / rate == pytest.approx(2.0, abs=0.04)
    body = samples[rate // 4 : -rate // 4]
    assert dominant_frequency(body[:, 0], rate) == pytest.approx(440, abs=2)
    assert dominant_frequency(body[:, 1], rate) == pytest.approx(1000, abs=2)


def three(tmp_path: Path, layout: str) -> FinalizeResult:
    streams = [stream("a", 0, 440.0), stream("b", 1, 1000.0), stream("c", 2, 2200.0)]
    return finalize(tmp_path, streams, FinalizeConfig(layout=layout))  # type: ignore[arg-type]


def test_multichannel_layout_has_one_channel_per_stream(tmp_path: Path) -> None:
    result = three(tmp_path, "multichannel")
    samples = wav(result)
    assert samples.shape[1] == 3
    for ch, freq in enumerate((440, 1000, 2200)):
        assert dominant_frequency(samples[:, ch], RATE) == pytest.approx(freq, abs=1)
    assert [s.channel for s in result.streams] == [0, 1, 2]


def test_separate_layout_writes_one_mono_file_per_stream(tmp_path: Path) -> None:
    result = three(tmp_path, "separate")
    assert [Path(f.path).name for f in result.files] == [
        "rec-1.a.wav",
        "rec-1.b.wav",
        "rec-1.c.wav",
    ]
    for index, freq in enumerate((440, 1000, 2200)):
        samples = wav(result, index)
        assert samples.shape[1] == 1
        assert dominant_frequency(samples[:, 0], RATE) == pytest.approx(freq, abs=1)


def test_mixed_layout_sums_everyone_into_mono(tmp_path: Path) -> None:
    result = three(tmp_path, "mixed")
    samples = wav(result)[:, 0].astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    top3 = sorted(round(f) for f in freqs[np.argsort(spectrum)[-3:]])
    assert top3 == [440, 1000, 2200]


def test_stereo_with_more_streams_alternates_sides(tmp_path: Path) -> None:
    result = three(tmp_path, "stereo")
    assert result.files[0].channels == 2
    assert [s.channel for s in result.streams] == [0, 1, 0]


def test_single_stream_stereo_is_mono(tmp_path: Path) -> None:
    result = finalize(tmp_path, [stream("a", 0, 440.0)])
    assert result.files[0].channels == 1


def test_torn_spool_tail_is_ignored(tmp_path: Path) -> None:
    clean = finalize(tmp_path / "clean", [stream("a", 0, 440.0, 1.0)])
    torn_stream = stream("a", 0, 440.0, 1.0)
    spool = write_recording(
        tmp_path / "torn" / "rec-1",
        [torn_stream],
        started_at=T - 1,
        ended_at=T + 10,
        torn_tail=b"\x01\xac\x00\x00",
    )
    torn = finalize_recording(spool, tmp_path / "torn-out", FinalizeConfig())
    assert np.array_equal(wav(torn), wav(clean))


def test_wideband_codec_raises_the_output_rate(tmp_path: Path) -> None:
    wide = stream("b", 1, 6000.0, codec="g722", pts={9: ("g722", 8000)})
    result = finalize(tmp_path, [stream("a", 0, 440.0), wide])
    assert result.sample_rate == 16000
    samples = wav(result)
    assert len(samples) == pytest.approx(3 * 16000, abs=16)
    assert dominant_frequency(samples[:, 0], 16000) == pytest.approx(440, abs=1)
    assert dominant_frequency(samples[1600:, 1], 16000) == pytest.approx(6000, abs=5)
    assert result.streams[1].codecs == ["g722"]


def test_opus_stream_is_resampled_to_the_output_rate(tmp_path: Path) -> None:
    opus = stream("a", 0, 440.0, 2.0, codec="opus", pts={111: ("opus", 48000)})
    result = finalize(tmp_path, [opus], FinalizeConfig(sample_rate=16000))
    samples = wav(result)
    assert result.sample_rate == 16000
    assert len(samples) == pytest.approx(2.0 * 16000, abs=400)
    assert dominant_frequency(samples[1600:, 0], 16000) == pytest.approx(440, abs=2)


def test_codec_change_mid_stream_follows_the_params_event(tmp_path: Path) -> None:
    first = rtp_packets("pcmu", 440, 1.0, phase=PHASE, ssrc=5, seq0=1)
    second = rtp_packets("g722", 1000, 1.0, phase=PHASE, ssrc=5, seq0=51, ts0=8000)
    records: list[Record] = [event_record(T - 1, params_event())]
    records += timed_records(first, T)
    records.append(event_record(T + 0.99, params_event({9: ("g722", 8000)})))
    records += timed_records(second, T + 1.0)
    result = finalize(tmp_path, [StreamFixture("a", 0, records)])
    samples = wav(result)[:, 0]
    assert result.sample_rate == 16000 and len(samples) == 2 * 16000
    assert dominant_frequency(samples[: 16000 - 800], 16000) == pytest.approx(440, abs=2)
    assert dominant_frequency(samples[16000 + 1600 :], 16000) == pytest.approx(1000, abs=2)
    assert result.streams[0].codecs == ["pcmu", "g722"]


def test_dtmf_events_are_reported_not_played(tmp_path: Path) -> None:
    frames = rtp_packets("pcmu", 440, 2.0, phase=PHASE, ssrc=9, seq0=1)
    # digit 5 at 1.0 s for 100 ms, sent instead of audio packets 50..54 (RFC 4733 §2.5)
    dtmf = [
        RtpFrame(f.seq, 8000, 9, 101, i == 0, build_dtmf(5, i >= 4, 10, (i + 1) * 160))
        for i, f in enumerate(frames[50:55])
    ]
    records = [
        event_record(T - 1, params_event()),
        *timed_records(frames[:50] + dtmf + frames[55:], T),
    ]
    result = finalize(tmp_path, [StreamFixture("a", 0, records)])
    a = result.streams[0]
    assert a.dtmf == [{"t": 1.0, "digit": "5", "duration": 0.1}]
    assert a.lost == 0 and a.packets_received == 100
    assert zero_runs(wav(result)[:, 0], 3) == [(RATE, 800)]


def test_comfort_noise_is_silence_not_loss(tmp_path: Path) -> None:
    frames = rtp_packets("pcmu", 440, 2.0, phase=PHASE, ssrc=9, seq0=1)
    cn = RtpFrame(frames[50].seq, frames[50].ts, 9, 13, False, b"\x40")
    talk = [f._replace(seq=f.seq - 9) for f in frames[60:]]  # DTX: 10 packets never sent
    records = [event_record(T - 1, params_event())]
    records += timed_records([*frames[:50], cn], T)
    records += [(RTP, T + 1.2 + i * 0.02, f.packet()) for i, f in enumerate(talk)]
    result = finalize(tmp_path, [StreamFixture("a", 0, records)])
    a = result.streams[0]
    assert a.lost == 0 and a.gaps == [] and a.completeness == 1.0
    assert zero_runs(wav(result)[:, 0], 3) == [(RATE, int(0.2 * RATE))]


def test_late_first_packet_does_not_shift_the_stream(tmp_path: Path) -> None:
    a = stream("a", 0, 440.0, 2.0)
    kind, arrival, data = a.records[1]
    a.records[1] = (kind, arrival + 0.03, data)  # first packet 30 ms late (jitter)
    a.records[1], a.records[2] = a.records[2], a.records[1]
    result = finalize(tmp_path, [a, stream("b", 1, 1000.0, 2.0)])
    assert result.streams[0].first_packet == 0.0
    assert zero_runs(wav(result)[:, 0], 3) == []
    assert result.streams[0].jitter_ms > 0


def test_rtcp_sender_reports_correct_the_sender_clock(tmp_path: Path) -> None:
    """The sender's clock runs 0.1 % fast: without SRs its audio would end 40 ms late."""
    frames = rtp_packets("pcmu", 440, 40.0, phase=PHASE, ssrc=3, seq0=1)
    pace = 0.02 / 1.001  # packets leave faster in our time
    records: list[Record] = [event_record(T - 1, params_event())]
    records += [(RTP, T + i * pace, f.packet()) for i, f in enumerate(frames)]
    ntp0 = T + 2208988800
    records += [
        (RTCP, T + k * 10 * 1.0, sender_report(3, ntp0 + k * 10, round(k * 10 * 8008)))
        for k in range(4)
    ]
    records.sort(key=lambda r: r[1])
    result = finalize(tmp_path, [StreamFixture("a", 0, records)])
    assert result.duration == pytest.approx(40.0 / 1.001, abs=0.002)


def test_unfinished_session_is_recovered_up_to_the_last_packet(tmp_path: Path) -> None:
    result = finalize(tmp_path, [stream("a", 0, 440.0, 2.0)], ended_at=None)
    assert result.recovered
    assert result.ended_at == pytest.approx(T + 1.98)


def test_session_span_keeps_leading_and_trailing_silence(tmp_path: Path) -> None:
    result = finalize(
        tmp_path,
        [stream("a", 0, 440.0, 2.0)],
        FinalizeConfig(span="session"),
        started_at=T - 1,
        ended_at=T + 3,
    )
    samples = wav(result)[:, 0]
    assert len(samples) == 4 * RATE
    assert zero_runs(samples, 3) == [(0, RATE), (3 * RATE, RATE)]


def test_spools_missing_from_session_json_are_still_finalized(tmp_path: Path) -> None:
    spool = write_recording(
        tmp_path / "spool" / "rec-9", [stream("a", 0, 440.0)], recording_id="rec-9"
    )
    (spool / "session.json").unlink()
    result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
    assert result.recording_id == "rec-9" and [s.key for s in result.streams] == ["a"]
    assert result.recovered


def test_config_errors_name_the_choices() -> None:
    with pytest.raises(
        FinalizeError, match=r"unknown layout 'quad' \(stereo, multichannel, separate, mixed\)"
    ):
        FinalizeConfig(layout="quad")  # type: ignore[arg-type]
    with pytest.raises(FinalizeError, match=r"unknown output format 'mp3' \(wav, wav-g711, ogg\)"):
        FinalizeConfig(format="mp3")  # type: ignore[arg-type]


def test_directory_without_streams_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(FinalizeError, match="no streams"):
        finalize_recording(tmp_path / "empty", tmp_path / "out")


def test_ten_minute_stereo_call_finalizes_quickly(tmp_path: Path) -> None:
    """No per-sample Python: 10 minutes of stereo G.711 is 60 000 packets."""
    streams = [stream("a", 0, 440.0, 600.0), stream("b", 1, 1000.0, 600.0)]
    spool = write_recording(tmp_path / "spool" / "long", streams, started_at=T, ended_at=T + 601)
    began = time.perf_counter()
    result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
    elapsed = time.perf_counter() - began
    assert result.duration == pytest.approx(600.0, abs=0.04)
    assert elapsed < 8.0, f"finalize took {elapsed:.1f} s for 10 minutes"


rtp_like = st.builds(
    lambda seq, ts, pt, body: (
        bytes([0x80, pt]) + seq.to_bytes(2, "big") + ts.to_bytes(4, "big") + b"\0\0\0\1" + body
    ),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.sampled_from([0, 8, 9, 13, 18, 101, 111, 127]),
    st.binary(max_size=40),
)
junk_record = st.tuples(
    st.sampled_from([RTP, RTCP, 3, 9]),
    st.floats(T, T + 5, allow_nan=False),
    st.one_of(rtp_like, st.binary(max_size=40)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(junk_record, max_size=40))
def test_fuzz_garbage_spool_records_never_break_finalize(junk: list[Record]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        good = stream("a", 0, 440.0, 0.5)
        pts = {0: ("pcmu", 8000), 9: ("g722", 8000), 18: ("g729", 8000), 111: ("opus", 48000)}
        good.records[0] = event_record(T - 1, params_event(pts))
        good.records += junk
        good.records[1:] = sorted(good.records[1:], key=lambda r: r[1])
        result = finalize(Path(tmp), [good])
        a = result.streams[0]
        assert a.packets_received == a.expected - a.lost + a.duplicates + a.late + a.strays
        assert 0.0 <= a.completeness <= 1.0
        assert Path(result.files[0].path).exists()


def test_noise_gap_fill_marks_the_loss_faintly(tmp_path: Path) -> None:
    s = stream("a", 0, 440.0, 2.0, drop=range(50, 55))
    samples = wav(finalize(tmp_path, [s], FinalizeConfig(gap_fill="noise")))[:, 0]
    gap = samples[RATE : RATE + 800]
    assert zero_runs(samples, 3) == []
    assert 0 < np.abs(gap.astype(int)).max() <= 30


def test_spool_cut_at_any_byte_of_its_last_records(tmp_path: Path) -> None:
    """kill -9 mid-write: whatever prefix reached the disk finalizes."""
    spool = write_recording(
        tmp_path / "spool" / "rec-1", [stream("a", 0, 440.0, 0.2)], ended_at=None
    )
    path = spool / "a.spool"
    whole = path.read_bytes()
    record = 11 + 12 + 160  # header + RTP header + payload
    for cut in range(len(whole) - 2 * record, len(whole) + 1, 7):
        path.write_bytes(whole[:cut])
        result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
        complete = 10 - (len(whole) - cut + record - 1) // record
        assert result.streams[0].packets_received == complete
        assert result.duration == pytest.approx(complete * 0.02)
        assert result.recovered


def test_participant_comes_from_the_stream_entry_and_participants(tmp_path: Path) -> None:
    a = stream("a", 0, 440.0, 0.5)
    a.participant_id, a.participant_name = "p1", None
    b = stream("b", 1, 1000.0, 0.5)
    b.participant_id, b.participant_name, b.label = "p2", "Bob", "callee"
    spool = write_recording(tmp_path / "spool" / "rec-1", [a, b], started_at=T, ended_at=T + 1)
    session = json.loads((spool / "session.json").read_text())
    session["participants"] = [{"id": "p1", "name": "Alice", "aor": "sip:alice@example.com"}]
    (spool / "session.json").write_text(json.dumps(session))
    result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
    assert [s.participant for s in result.streams] == [
        {"id": "p1", "name": "Alice", "aor": "sip:alice@example.com"},
        {"id": "p2", "name": "Bob", "aor": None},
    ]
    assert [s.label for s in result.streams] == ["a", "callee"]


@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_recording_without_media(tmp_path: Path, fmt: Literal["wav", "ogg"]) -> None:
    silent = [StreamFixture("a", 0, [event_record(T, params_event())]), StreamFixture("b", 1, [])]
    config = FinalizeConfig(format=fmt)
    ended = finalize(tmp_path / "ended", silent, config, started_at=T, ended_at=T + 2)
    assert ended.duration == 2.0 and ended.files[0].channels == 2 and ended.completeness == 1.0
    assert [s.packets_received for s in ended.streams] == [0, 0]
    live = finalize(tmp_path / "live", silent, config, started_at=T, ended_at=None)
    assert live.recovered and live.duration == 0.0 and live.ended_at is None
    assert Path(live.files[0].path).stat().st_size == live.files[0].size


def test_reads_the_params_event_capture_writes(tmp_path: Path) -> None:
    from srs.media.capture import params_event as capture_params
    from srs.session.plan import CodecSpec, StreamSpec

    spec = StreamSpec(
        key="leg1",
        index=0,
        media="audio",
        label="leg1",
        local_rtp_port=20000,
        local_rtcp_port=20001,
        remote_rtp=None,
        codecs=(CodecSpec(9, "g722", 8000), CodecSpec(101, "telephone-event", 8000)),
        telephone_event_pt=101,
        participant_id="p7",
        participant_name="Carol",
        participant_aor="sip:carol@example.com",
    )
    frames = rtp_packets("g722", 1000, 1.0, phase=PHASE, ssrc=4)
    s = StreamFixture(
        "leg1", 0, [event_record(T - 1, capture_params(spec)), *timed_records(frames, T)]
    )
    result = finalize(tmp_path, [s])
    assert result.sample_rate == 16000 and result.streams[0].codecs == ["g722"]
    assert result.streams[0].participant == {
        "id": "p7",
        "name": "Carol",
        "aor": "sip:carol@example.com",
    }
    assert dominant_frequency(wav(result)[1600:, 0], 16000) == pytest.approx(1000, abs=2)
