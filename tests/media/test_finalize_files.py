"""Output files: PCM16 and G.711 WAV, Ogg/Opus, atomic writes and hashes."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srs.media.codecs import g711
from srs.media.oggopus import OggOpusError, read_ogg_opus, write_ogg_opus
from srs.media.wavfile import (
    WAVE_FORMAT_ALAW,
    WAVE_FORMAT_MULAW,
    WavError,
    read_wav,
    write_wav,
    write_wav_g711,
)
from srs.testing_media import dominant_frequency, tone


def test_pcm_wav_round_trips_and_stdlib_reads_it(tmp_path: Path) -> None:
    stereo = np.stack([tone(440, 0.5), tone(1000, 0.5)], axis=1)
    info = write_wav(tmp_path / "s.wav", stereo, 8000)
    assert info.size == 44 + stereo.nbytes
    assert info.sha256 == hashlib.sha256((tmp_path / "s.wav").read_bytes()).hexdigest()
    data = read_wav(tmp_path / "s.wav")
    assert (data.sample_rate, data.channels, data.duration) == (8000, 2, 0.5)
    assert np.array_equal(data.samples, stereo)
    with wave.open(str(tmp_path / "s.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (
            2,
            2,
            8000,
            4000,
        )
        raw = np.frombuffer(w.readframes(4000), dtype="<i2").reshape(-1, 2)
    assert np.array_equal(raw, stereo)
    assert [p.name for p in tmp_path.iterdir()] == ["s.wav"]  # no temp file left


@pytest.mark.parametrize(("law", "tag"), [("pcmu", WAVE_FORMAT_MULAW), ("pcma", WAVE_FORMAT_ALAW)])
def test_g711_wav_is_read_by_ffmpeg(tmp_path: Path, law: str, tag: int) -> None:
    pcm = tone(440, 0.25)[:-1]  # odd byte count: the data chunk gets a pad byte
    codes = g711.encode(law, pcm)
    info = write_wav_g711(tmp_path / "g.wav", codes, 8000, law)
    assert info.size % 2 == 0
    data = read_wav(tmp_path / "g.wav")
    assert data.format_tag == tag and np.array_equal(data.samples[:, 0], codes)
    with av.open(str(tmp_path / "g.wav")) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == {"pcmu": "pcm_mulaw", "pcma": "pcm_alaw"}[law]
        decoded = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
    assert np.array_equal(decoded, g711.decode(law, codes.tobytes()))


def test_read_wav_errors(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"RIFX....WAVE")
    with pytest.raises(WavError, match=r"x\.wav: not a RIFF/WAVE file"):
        read_wav(tmp_path / "x.wav")
    (tmp_path / "y.wav").write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(WavError, match=r"y\.wav: no data chunk"):
        read_wav(tmp_path / "y.wav")


def test_failed_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "old.wav").write_bytes(b"previous")

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("srs.media.wavfile.os.replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_wav(tmp_path / "old.wav", np.zeros((10, 2), dtype=np.int16), 8000)
    assert [p.name for p in tmp_path.iterdir()] == ["old.wav"]
    assert (tmp_path / "old.wav").read_bytes() == b"previous"  # readers never see half a file


def test_ogg_opus_round_trip(tmp_path: Path) -> None:
    info = write_ogg_opus(tmp_path / "o.ogg", tone(700, 1.0, 16000), 16000)
    assert info.sha256 == hashlib.sha256((tmp_path / "o.ogg").read_bytes()).hexdigest()
    rate, samples = read_ogg_opus(tmp_path / "o.ogg")
    assert samples.shape[1] == 1 and len(samples) / rate == pytest.approx(1.0, abs=0.03)
    assert dominant_frequency(samples[4800:-4800, 0], rate) == pytest.approx(700, abs=2)


def test_ogg_opus_limits(tmp_path: Path) -> None:
    with pytest.raises(OggOpusError, match="Ogg/Opus output supports 1 to 8 channels, got 9"):
        write_ogg_opus(tmp_path / "o.ogg", np.zeros((100, 9), dtype=np.int16), 8000)
    with pytest.raises(OggOpusError, match="Opus cannot encode 44100 Hz"):
        write_ogg_opus(tmp_path / "o.ogg", np.zeros(100, dtype=np.int16), 44100)
    assert list(tmp_path.iterdir()) == []


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=120))
def test_fuzz_read_wav_fails_only_with_wav_error(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "f.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + tail)
    try:
        data = read_wav(path)
    except WavError:
        return
    assert data.samples.ndim == 2


def test_ogg_opus_keeps_channel_order_beyond_stereo(tmp_path: Path) -> None:
    freqs = (300, 700, 1100)
    write_ogg_opus(
        tmp_path / "m.ogg", np.stack([tone(f, 1.0, 16000) for f in freqs], axis=1), 16000
    )
    rate, samples = read_ogg_opus(tmp_path / "m.ogg")
    assert samples.shape[1] == 3
    for ch, freq in enumerate(freqs):
        assert dominant_frequency(samples[4800:-4800, ch], rate) == pytest.approx(freq, abs=2)
