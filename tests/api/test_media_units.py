"""The pure parts of api.media: link signing, the secret file, peaks, PNG, targets."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.media.png import encode_png
from api.media.signing import LinkError, LinkSigner, load_secret
from api.media.transcode import TARGETS, TranscodeError, output_rate, target
from api.media.waveform import peaks, render

SIGNER = LinkSigner(b"k" * 32)
NOW = 1_800_000_000.0


@given(st.text(min_size=1, max_size=40), st.integers(60, 30 * 24 * 3600))
def test_signed_links_verify_until_they_expire(recording_id: str, ttl: int) -> None:
    link = SIGNER.sign(recording_id, ttl, NOW)
    assert SIGNER.verify(recording_id, str(link.expires), link.signature, NOW) == link.expires
    just_after = link.expires + 0.0
    with pytest.raises(LinkError, match="expired"):
        SIGNER.verify(recording_id, str(link.expires), link.signature, just_after)


@given(st.text(min_size=1, max_size=40), st.integers(0, 42), st.characters(codec="ascii"))
def test_a_changed_signature_never_verifies(recording_id: str, at: int, char: str) -> None:
    link = SIGNER.sign(recording_id, 600, NOW)
    sig = link.signature
    forged = sig[: at % len(sig)] + char + sig[at % len(sig) + 1 :]
    if forged == sig:
        return
    with pytest.raises(LinkError, match="sig: signature does not match"):
        SIGNER.verify(recording_id, str(link.expires), forged, NOW)


def test_another_secret_or_recording_does_not_verify() -> None:
    link = SIGNER.sign("rec-1", 600, NOW)
    with pytest.raises(LinkError):
        LinkSigner(b"x" * 32).verify("rec-1", str(link.expires), link.signature, NOW)
    with pytest.raises(LinkError):
        SIGNER.verify("rec-2", str(link.expires), link.signature, NOW)


@pytest.mark.parametrize("exp", ["-5", "1e9", " 1", "١٢٣", "9" * 13])
def test_malformed_expiry(exp: str) -> None:
    with pytest.raises(LinkError, match="exp: not a Unix time"):
        SIGNER.verify("rec-1", exp, "sig", NOW)


def test_ttl_bounds() -> None:
    for ttl in (59, 30 * 24 * 3600 + 1):
        with pytest.raises(ValueError, match="ttl"):
            SIGNER.sign("r", ttl, NOW)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        LinkSigner(b"short")


def test_secret_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_secret(None, tmp_path / "data")
    assert len(first) >= 32
    assert load_secret(None, tmp_path / "data") == first
    assert (tmp_path / "data" / "signing_secret").stat().st_mode & 0o777 == 0o600
    assert load_secret("configured-secret-value", tmp_path / "data") == b"configured-secret-value"


def test_peaks_of_a_short_signal() -> None:
    samples = np.array([[1000], [-2000], [3000]], dtype=np.int16)
    (channel,) = peaks(samples, 6)
    present = channel.high != 0
    assert present.sum() == 3  # three frames over six columns: three columns drawn
    assert sorted(channel.high[present] * 32768) == [-2000, 1000, 3000]


def test_peaks_cover_every_sample() -> None:
    rng = np.random.default_rng(7)
    samples = rng.integers(-32768, 32767, (1001, 2), dtype=np.int16)
    for number, channel in enumerate(peaks(samples, 10)):
        assert channel.high.max() * 32768 == samples[:, number].max()
        assert channel.low.min() * 32768 == samples[:, number].min()
        assert (channel.low <= channel.high).all()


def test_render_silence_is_a_flat_line_per_band() -> None:
    image = render(np.zeros((8000, 2), dtype=np.int16), 100, 40)
    opaque_rows = np.flatnonzero(image[:, :, 3].any(axis=1))
    middles = np.array([9.5, 29.5])  # bands 0..19 and 20..39
    assert all(np.min(np.abs(middles - row)) <= 0.5 for row in opaque_rows), opaque_rows


def test_png_round_trip_through_ffmpeg() -> None:
    image = np.random.default_rng(3).integers(0, 256, (9, 13, 4), dtype=np.uint8)
    with av.open(io.BytesIO(encode_png(image)), "r", format="png_pipe") as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgba")
    assert np.array_equal(decoded, image)
    with pytest.raises(ValueError, match="expected uint8"):
        encode_png(image[:, :, :3].copy())


def test_targets() -> None:
    assert set(TARGETS) == {"wav", "wav-pcmu", "wav-pcma", "ogg", "mp3"}
    assert output_rate(TARGETS["wav-pcmu"], 16000) == 8000
    assert output_rate(TARGETS["ogg"], 8000) == 8000
    assert output_rate(TARGETS["ogg"], 11025) == 12000
    assert output_rate(TARGETS["wav"], 44100) == 44100
    with pytest.raises(TranscodeError, match="unknown format 'flac'"):
        target("flac")
