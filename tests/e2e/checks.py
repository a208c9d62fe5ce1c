"""What a correct recording of the test calls looks like, as reusable assertions."""

from __future__ import annotations

from typing import Any

from harness import Audio, SippRun, SrsServer, recorded_audio

from srs.testing_media import dominant_frequency

DURATION_TOLERANCE = 0.04  # seconds, recording vs media actually sent
GAP_TOLERANCE = 0.02
MIN_GAP = 0.02  # a silence run this long counts as a gap

ALICE = ("Alice Caller", "+15551230001")
BOB = ("Bob Callee", "+15551230002")


def freq_ok(measured: float, expected: float) -> bool:
    return abs(measured - expected) <= max(15.0, 0.03 * expected)


def channel_of_label(rec: dict[str, Any], label: str) -> int:
    streams = [s for s in rec["streams"] if s["label"] == label]
    assert len(streams) == 1, f"one stream labelled {label!r} expected: {rec['streams']}"
    channel = streams[0]["channel"]
    assert isinstance(channel, int), f"stream {label} has no channel: {streams[0]}"
    return channel


def check_participants(rec: dict[str, Any]) -> None:
    """Alice on label 1's stream, Bob on label 2's, each on the channel of its stream;
    the summary's caller/callee agree."""
    by_id = {p["participant_id"]: p for p in rec["participants"]}
    for label, (name, number) in (("1", ALICE), ("2", BOB)):
        stream = next(s for s in rec["streams"] if s["label"] == label)
        party = by_id.get(stream["participant_id"])
        assert party is not None, f"label {label}: no participant mapped: {rec['streams']}"
        assert party["name"] == name, f"label {label}: {party}"
        assert party["aor"] == f"sip:{number}@example.com", f"label {label}: {party}"
        assert party["channel"] == stream["channel"], f"label {label}: {party} vs {stream}"
    assert (rec["caller"]["name"], rec["caller"]["number"]) == ALICE, rec["caller"]
    assert (rec["callee"]["name"], rec["callee"]["number"]) == BOB, rec["callee"]


def check_participant_numbers(participants: list[dict[str, Any]]) -> None:
    """Each participant row carries the number of its AOR, as the caller/callee summary
    does (checked last: a missing number should not hide the media checks)."""
    numbers = {p["name"]: p["number"] for p in participants}
    assert numbers == dict((ALICE, BOB)), f"participant numbers: {participants}"


def check_tone(audio: Audio, channel: int, freq: float, start: float, end: float) -> None:
    measured = dominant_frequency(audio.segment(channel, start, end), audio.rate)
    assert freq_ok(measured, freq), (
        f"channel {channel} {start:.2f}-{end:.2f} s: dominant {measured:.1f} Hz, expected {freq} Hz"
    )


def check_two_tones(
    server: SrsServer,
    rec: dict[str, Any],
    media_duration: float,
    *,
    freqs: tuple[float, float] = (440.0, 1000.0),
    gaps: dict[str, list[tuple[float, float]]] | None = None,
    gap_tolerance: float = GAP_TOLERANCE,
) -> Audio:
    """The recording of a two-stream call: stereo, as long as the media sent, label 1's
    tone on its channel and label 2's on the other, silence exactly where ``gaps`` says
    (per label: expected (start, end) seconds of each silence run) and nowhere else."""
    assert rec["channels"] == 2, f"stereo expected: {rec['channels']} channels"
    assert abs(rec["duration"] - media_duration) <= DURATION_TOLERANCE, (
        f"recording lasts {rec['duration']} s, the media sent {media_duration:.3f} s"
    )
    audio = recorded_audio(server, rec)
    assert audio.channels.shape[0] == 2, f"WAV has {audio.channels.shape[0]} channels"
    assert abs(audio.duration - media_duration) <= DURATION_TOLERANCE, (
        f"WAV lasts {audio.duration:.3f} s, the media sent {media_duration:.3f} s"
    )
    channels = {label: channel_of_label(rec, label) for label in ("1", "2")}
    assert sorted(channels.values()) == [0, 1], f"labels share a channel: {channels}"
    for label, freq in zip(("1", "2"), freqs, strict=True):
        channel = channels[label]
        check_tone(audio, channel, freq, 0.0, audio.duration)
        expected = (gaps or {}).get(label, [])
        found = audio.silences(channel, MIN_GAP)
        assert len(found) == len(expected), (
            f"label {label} (channel {channel}): silence runs {found}, expected {expected}"
        )
        for (start, end), (want_start, want_end) in zip(found, expected, strict=True):
            assert abs((end - start) - (want_end - want_start)) <= gap_tolerance, (
                f"label {label}: silence {start:.3f}-{end:.3f} s, expected "
                f"{want_start:.3f}-{want_end:.3f} s"
            )
            assert abs(start - want_start) <= max(gap_tolerance, DURATION_TOLERANCE), (
                f"label {label}: silence starts at {start:.3f} s, expected {want_start:.3f} s"
            )
    return audio


def check_pcap_ports(run: SippRun) -> None:
    """SIPp replays flow *k* of a pcap to (first answered port + 2k): the 2-stream tests
    only mean something if srs answered ports p and p + 2."""
    ports = run.answered_ports()[:2]  # the first answer's (re-INVITEs answer again)
    assert len(ports) == 2 and ports[1] == ports[0] + 2, (
        f"srs answered RTP ports {ports}; SIPp's pcap replay needs p, p + 2"
    )
