"""SRTP end to end with a second, independent SIP stack (issue #3).

A pjsua2 UA (pjproject 2.15 from PyPI, its own SIP, SDP, libsrtp and codecs) calls a real
``srs serve`` over a plain SIP trunk (no SIPREC), offering RTP/SAVP with SDES ``a=crypto``
keys over UDP signaling, and plays an 800 Hz tone; the recording srs finalizes must decode
to that tone.  A plain RTP/AVP call is the control case.  Each case is called once (all
at the same time, in separate pjsua processes); the tests below judge that one call from
different sides: pjsua's SIP log, srs's spool ``session.json``, the live capture counters
and the finalized recording from the HTTP API.

pjsua2's build has no AEAD (GCM) suites (``PJMEDIA_SRTP_ENOTSUPCRYPTO``), so the four
AES-CM/HMAC-SHA1 suites are what can be checked against it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from call_book import TONE_AMPLITUDE, TONE_HZ, CallBook
from numpy.typing import NDArray
from placed_call import Case, PlacedCall
from sdp_lines import audio_section

from srs.testing import SrsServer
from srs.testing_media import dominant_frequency, rms

PCMU, G722 = "PCMU/8000/1", "G722/16000/1"
PCMU_SDES = Case("pcmu-sdes", PCMU, "PCMU", srtp=True)
G722_SDES = Case("g722-sdes", G722, "G722", srtp=True)
PCMU_RTP = Case("pcmu-rtp", PCMU, "PCMU", srtp=False)
# One short call per suite srs has to pick from pjsua's offer when it is the only one.
SUITE_CASES = [
    Case(f"pcmu-{suite.lower()}", PCMU, "PCMU", srtp=True, crypto=suite, seconds=1.5)
    for suite in ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_32")
]
CASES = [PCMU_SDES, G722_SDES, PCMU_RTP, *SUITE_CASES]

KEY_SALT_BYTES = {  # RFC 4568 / RFC 6188: master key || master salt
    "AES_CM_128_HMAC_SHA1_80": 30,
    "AES_CM_128_HMAC_SHA1_32": 30,
    "AES_256_CM_HMAC_SHA1_80": 46,
    "AES_256_CM_HMAC_SHA1_32": 46,
}
RTP_HEADER = 12
PAYLOAD_20MS = {"PCMU": 160, "G722": 160}  # pjsua's default ptime is 20 ms

FREQ_TOLERANCE_HZ = 10.0
DURATION_TOLERANCE_S = 0.2
MIN_COMPLETENESS = 0.98
FRAME_S = 0.01


@pytest.fixture(scope="module")
def calls(
    srs_server: SrsServer, tone_wav: Path, tmp_path_factory: pytest.TempPathFactory
) -> CallBook:
    return CallBook(srs_server, tone_wav, tmp_path_factory.mktemp("calls"), CASES)


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def _placed(calls: CallBook, case: Case) -> PlacedCall:
    placed = calls.get(case)
    assert placed.recording is not None, f"no finalized recording; {placed.describe()}"
    return placed


def _auth_tag_bytes(suite: str) -> int:
    return 4 if suite.endswith("_32") else 10


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_call_is_answered_recorded_and_hung_up(calls: CallBook, case: Case) -> None:
    placed = calls.get(case)
    report = placed.report
    assert placed.returncode == 0 and report.get("error") is None, placed.describe()
    assert "CONFIRMED 200" in report["state_log"], placed.describe()
    assert report["state_log"][-1] == "DISCONNECTED 200", placed.describe()
    assert report["media_active"] and report["codec"] == case.encoding, placed.describe()
    recording = _placed(calls, case).recording
    assert recording is not None
    assert recording["end_reason"] == "bye"
    assert recording["session_state"] == "finalized"
    assert len(recording["streams"]) == 1, recording["streams"]
    troubles = [
        line
        for line in placed.srs_log.splitlines()
        if line.startswith(("WARNING", "ERROR", "CRITICAL", "Traceback"))
    ]
    assert troubles == [], placed.srs_log


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_offer_and_answer_on_the_wire(calls: CallBook, case: Case) -> None:
    """What pjsua sent and got back, and that srs saw the same bodies."""
    placed = _placed(calls, case)
    offer, answer = audio_section(placed.offer()), audio_section(placed.answer())
    profile = "RTP/SAVP" if case.srtp else "RTP/AVP"
    assert offer.profile == profile, placed.offer()
    assert answer.profile == profile, placed.answer()
    assert answer.port != 0, placed.answer()
    pt = next(p for p, enc in offer.rtpmap.items() if enc.upper().startswith(case.encoding))
    assert answer.formats[0] == pt, placed.answer()
    if not case.srtp:
        assert offer.cryptos == [] and answer.cryptos == [], placed.answer()
    else:
        offered = {c.tag: c for c in offer.cryptos}
        if case.crypto:
            assert [c.suite for c in offer.cryptos] == [case.crypto], placed.offer()
        assert len(answer.cryptos) == 1, placed.answer()
        chosen = answer.cryptos[0]
        # RFC 4568 §7.1.2: the answer echoes the tag and suite of one offered line and
        # carries the answerer's own key.
        assert chosen.tag in offered and offered[chosen.tag].suite == chosen.suite, placed.answer()
        assert len(chosen.key_salt) == KEY_SALT_BYTES[chosen.suite], placed.answer()
        assert chosen.key_salt not in {c.key_salt for c in offer.cryptos}, placed.answer()
    session = placed.session
    assert session is not None
    sdp = session.get("sdp") or {}
    norm = str.maketrans("", "", "\r")
    assert (sdp.get("remote") or "").translate(norm).strip() == placed.offer().strip()
    assert (sdp.get("local") or "").translate(norm).strip() == placed.answer().strip()
    assert [s["srtp"] for s in session["streams"]] == [case.srtp]


def _tone_frames(placed: PlacedCall) -> tuple[NDArray[np.int16], NDArray[np.bool_]]:
    """The recording in 10 ms frames, and which frames carry the tone.  The threshold is a
    quarter of the played level because pjmedia's G.722 encoder shifts 16-bit PCM down one
    bit to the codec's 14-bit range (FFmpeg, which srs decodes with, does not), so pjsua's
    G.722 tone decodes 6 dB lower than it was played; silence is far below either."""
    size = round(placed.rate * FRAME_S)
    frames = placed.samples[: len(placed.samples) // size * size].reshape(-1, size)
    energy = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    expected = TONE_AMPLITUDE * 32767 / np.sqrt(2)
    return frames, energy > 0.25 * expected


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_recording_decodes_to_the_tone(calls: CallBook, case: Case) -> None:
    placed = _placed(calls, case)
    assert placed.rate > 0 and len(placed.samples) > 0, placed.describe()
    frames, loud = _tone_frames(placed)
    tone = frames[loud].ravel()
    freq = dominant_frequency(tone, placed.rate)
    assert abs(freq - TONE_HZ) <= FREQ_TOLERANCE_HZ, f"dominant {freq:.1f} Hz, rms {rms(tone)}"
    played = placed.report["hangup_at"] - placed.report["tone_started_at"]
    recorded = float(loud.sum()) * FRAME_S
    assert abs(recorded - played) <= DURATION_TOLERANCE_S, (
        f"tone recorded for {recorded:.2f} s, played for {played:.2f} s"
    )


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_media_was_received_and_decrypted(calls: CallBook, case: Case) -> None:
    placed = _placed(calls, case)
    recording = placed.recording
    assert recording is not None
    assert recording["completeness"] >= MIN_COMPLETENESS, recording
    stream = recording["streams"][0]
    assert stream["completeness"] >= MIN_COMPLETENESS, stream
    assert stream["lost"] == 0, stream
    assert stream["ssrcs"] == audio_section(placed.offer()).ssrcs, stream
    live = placed.live_capture
    assert live is not None and len(live) == 1, f"no live capture counters: {live}"
    counters = next(iter(live.values()))
    assert counters["packets"] > 0, counters
    assert counters["srtp_auth_failures"] == 0, counters
    assert counters["srtp_other_failures"] == 0, counters
    assert counters["malformed"] == 0 and counters["wrong_source"] == 0, counters
    # ``bytes`` is as received: every packet carries the SRTP auth tag of the suite the
    # answer chose (none for plain RTP), so this tells SRTP on the wire from cleartext.
    tag = 0
    if case.srtp:
        tag = _auth_tag_bytes(audio_section(placed.answer()).cryptos[0].suite)
    per_packet = RTP_HEADER + PAYLOAD_20MS[case.encoding] + tag
    assert counters["bytes"] == counters["packets"] * per_packet, counters


@pytest.mark.parametrize("case", [PCMU_SDES, G722_SDES], ids=_ids([PCMU_SDES, G722_SDES]))
def test_recording_reports_codec_and_packets(calls: CallBook, case: Case) -> None:
    """The stream as the API describes it: what was decoded, and how much of it."""
    recording = _placed(calls, case).recording
    assert recording is not None
    stream = recording["streams"][0]
    assert (stream["codec"] or "").upper() == case.encoding, stream
    assert stream["packets"] is not None, stream
    assert stream["packets"] >= MIN_COMPLETENESS * stream["expected"], stream
