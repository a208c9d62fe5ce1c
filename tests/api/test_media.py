"""Media routes: transcodes, per-channel files, Range, waveform PNG, signed links.

The stored recording is a real stereo PCM WAV with a different tone per channel, so every
check decodes what the server sent (with a decoder other than the one that produced it
where one exists) and looks for the right tone on the right channel.
"""

from __future__ import annotations

import io
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from numpy.typing import NDArray

from api.media.signing import signer_for
from api.state import AppState
from srs.media.codecs import g711
from srs.media.oggopus import read_ogg_opus
from srs.media.wavfile import (
    WAVE_FORMAT_ALAW,
    WAVE_FORMAT_MULAW,
    read_wav,
    write_wav,
    write_wav_g711,
)
from srs.storage import Repository
from srs.storage.accounts import DEFAULT_TENANT, AuditQuery
from srs.storage.examples import example_result, example_snapshot
from srs.testing_media import tone

RATE = 8000
SECONDS = 2.0
TONES = (440.0, 1000.0)  # Hz of channel 0 and channel 1
AMPLITUDES = (0.6, 0.15)  # of full scale: channel 0 loud, channel 1 quiet


def stereo() -> NDArray[np.int16]:
    return np.stack(
        [tone(f, SECONDS, RATE, a) for f, a in zip(TONES, AMPLITUDES, strict=True)], axis=1
    ).astype(np.int16)


def dominant(samples: NDArray[np.int16], rate: int) -> float:
    """Frequency (Hz) of the strongest FFT bin."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def av_decode(data: bytes) -> tuple[int, NDArray[np.int16]]:
    """Any audio bytes → (rate, (frames, channels)) with FFmpeg's own decoder."""
    chunks = []
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            if array.dtype != np.int16:  # planar float (mp3)
                array = (np.clip(array, -1, 1) * 32767).astype(np.int16)
            chunks.append(array.T if frame.format.is_planar else array.reshape(-1, channels))
    return rate, np.concatenate(chunks)


@pytest.fixture
def recording(repo: Repository, tmp_path: Path) -> str:
    path = tmp_path / "rec-m.wav"
    write_wav(path, stereo(), RATE)
    result = example_result(path, duration=SECONDS)
    repo.save_recording(result, example_snapshot("rec-m"), 5.0)
    return "rec-m"


def get(client: TestClient[Litestar], url: str, **headers: str) -> bytes:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def test_original_is_the_stored_file(
    client: TestClient[Litestar], recording: str, tmp_path: Path
) -> None:
    response = client.get(f"/api/v1/recordings/{recording}/audio")
    assert response.status_code == 200
    assert response.content == (tmp_path / "rec-m.wav").read_bytes()
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'inline; filename="rec-m.wav"'
    download = client.get(f"/api/v1/recordings/{recording}/audio?download=true")
    assert download.headers["content-disposition"] == 'attachment; filename="rec-m.wav"'


def test_pcm_wav_per_channel(client: TestClient[Litestar], recording: str) -> None:
    for channel, hz in enumerate(TONES):
        data = get(client, f"/api/v1/recordings/{recording}/audio?format=wav&channel={channel}")
        with wave.open(io.BytesIO(data)) as wav:
            assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, RATE, 2)
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        assert np.array_equal(samples, stereo()[:, channel])
        assert dominant(samples, RATE) == pytest.approx(hz, abs=2)


@pytest.mark.parametrize(
    ("fmt", "tag", "law"),
    [("wav-pcmu", WAVE_FORMAT_MULAW, "pcmu"), ("wav-pcma", WAVE_FORMAT_ALAW, "pcma")],
)
def test_g711_wav(
    client: TestClient[Litestar], recording: str, tmp_path: Path, fmt: str, tag: int, law: str
) -> None:
    path = tmp_path / f"{fmt}.wav"
    path.write_bytes(get(client, f"/api/v1/recordings/{recording}/audio?format={fmt}"))
    wav = read_wav(path)  # srs's own RIFF reader: G.711 codes stay codes
    assert (wav.format_tag, wav.sample_rate, wav.channels) == (tag, RATE, 2)
    codes = wav.samples.astype(np.uint8, copy=False)
    decoded = np.stack([g711.decode(law, codes[:, c]) for c in range(2)], axis=1)
    original = stereo()
    assert decoded.shape == original.shape
    # G.711 keeps ~13 bits: the error stays within a few percent of the signal
    assert np.max(np.abs(decoded.astype(int) - original)) < 0.05 * 32768


def test_ogg_opus(client: TestClient[Litestar], recording: str, tmp_path: Path) -> None:
    response = client.get(f"/api/v1/recordings/{recording}/audio?format=ogg")
    assert response.headers["content-type"] == "audio/ogg"
    assert response.headers["content-disposition"] == 'inline; filename="rec-m.ogg"'
    path = tmp_path / "x.ogg"
    path.write_bytes(response.content)
    rate, samples = read_ogg_opus(path)
    assert samples.shape[1] == 2
    assert abs(len(samples) / rate - SECONDS) < 0.1
    for channel, hz in enumerate(TONES):
        assert dominant(samples[:, channel], rate) == pytest.approx(hz, abs=5)


def test_mp3_one_channel(client: TestClient[Litestar], recording: str) -> None:
    response = client.get(f"/api/v1/recordings/{recording}/audio?format=mp3&channel=1")
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-disposition"] == 'inline; filename="rec-m-ch1.mp3"'
    rate, samples = av_decode(response.content)
    assert samples.shape[1] == 1
    assert abs(len(samples) / rate - SECONDS) < 0.2
    assert dominant(samples[:, 0], rate) == pytest.approx(TONES[1], abs=5)


def test_channel_in_stored_format(client: TestClient[Litestar], recording: str) -> None:
    data = get(client, f"/api/v1/recordings/{recording}/audio?channel=0")
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnchannels() == 1
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.array_equal(samples, stereo()[:, 0])


def test_transcode_is_cached(client: TestClient[Litestar], recording: str, tmp_path: Path) -> None:
    first = get(client, f"/api/v1/recordings/{recording}/audio?format=mp3")
    cached = list((tmp_path / "media-cache" / recording).glob("*.mp3"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    assert get(client, f"/api/v1/recordings/{recording}/audio?format=mp3") == first
    assert cached[0].stat().st_mtime_ns == stamp
    etag = client.get(f"/api/v1/recordings/{recording}/audio?format=mp3").headers["etag"]
    again = client.get(
        f"/api/v1/recordings/{recording}/audio?format=mp3", headers={"If-None-Match": etag}
    )
    assert (again.status_code, again.content) == (304, b"")


def test_range_on_a_transcode(client: TestClient[Litestar], recording: str) -> None:
    url = f"/api/v1/recordings/{recording}/audio?format=ogg"
    whole = get(client, url)
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    beyond = client.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(whole)}"
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert (stale.status_code, stale.content) == (200, whole)


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ("format=flac", "format", 400),
        ("channel=2", "channel", 400),
        ("channel=-1", "channel", 400),
        ("file=1", "file", 404),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient[Litestar], recording: str, query: str, field: str, status: int
) -> None:
    response = client.get(f"/api/v1/recordings/{recording}/audio?{query}")
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


def test_unknown_recording(client: TestClient[Litestar]) -> None:
    for path in ("audio", "waveform.png"):
        response = client.get(f"/api/v1/recordings/nope/{path}")
        assert response.status_code == 404
        assert response.json() == {
            "error": "not_found",
            "detail": "recording 'nope' not found",
            "field": "recording_id",
        }


def png_pixels(data: bytes) -> NDArray[np.uint8]:
    """Decode with FFmpeg's PNG decoder (not ours)."""
    with av.open(io.BytesIO(data), "r", format="png_pipe") as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgba").astype(np.uint8, copy=False)


def test_waveform_png(client: TestClient[Litestar], recording: str) -> None:
    response = client.get(f"/api/v1/recordings/{recording}/waveform.png?width=300&height=100")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    pixels = png_pixels(response.content)
    assert pixels.shape == (100, 300, 4)
    opaque = pixels[:, :, 3] == 255
    top, bottom = opaque[:50].sum(axis=0), opaque[50:].sum(axis=0)
    # every column shows a band; channel 0 (0.6 FS) spans ~4x the rows of channel 1 (0.15)
    assert (top > 0).all() and (bottom > 0).all()
    assert np.median(top) / np.median(bottom) == pytest.approx(0.6 / 0.15, rel=0.25)
    colours = {tuple(p) for p in pixels[:50][opaque[:50]]} - {(0x88, 0x88, 0x88, 0x80)}
    assert colours == {(0x1F, 0x77, 0xB4, 0xFF)}


@pytest.mark.parametrize(("query", "field"), [("width=8", "width"), ("height=5000", "height")])
def test_waveform_bounds(
    client: TestClient[Litestar], recording: str, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/recordings/{recording}/waveform.png?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_signed_link_opens_audio_waveform_and_embed(
    client: TestClient[Litestar], recording: str, tmp_path: Path
) -> None:
    response = client.post(f"/api/v1/recordings/{recording}/links", json={"expires_in": 600})
    assert response.status_code == 201, response.text
    link = response.json()
    base = str(client.base_url)
    assert link["audio_url"].startswith(f"{base}/share/{recording}/audio?exp=")
    audio = client.get(link["audio_url"])
    assert audio.status_code == 200
    assert audio.content == (tmp_path / "rec-m.wav").read_bytes()
    assert audio.headers["referrer-policy"] == "no-referrer"
    mp3 = client.get(link["audio_url"] + "&format=mp3&channel=0")
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert png_pixels(client.get(link["waveform_url"]).content).shape[2] == 4
    # the secret was generated and kept in the data dir
    assert (tmp_path / "signing_secret").stat().st_mode & 0o777 == 0o600


def test_signed_link_refusals(
    anonymous: TestClient[Litestar], state: AppState, recording: str
) -> None:
    client = anonymous  # a signed link needs no login
    signer = signer_for(state.config)
    now = time.time()
    good = signer.sign(recording, 600, now)
    expired = signer.sign(recording, 60, now - 120)
    other = signer.sign("rec-other", 600, now)
    cases = {
        f"/share/{recording}/audio": "signed link needs 'exp' and 'sig' query parameters",
        f"/share/{recording}/audio?exp={expired.expires}&sig={expired.signature}": "link expired",
        f"/share/{recording}/audio?exp={other.expires}&sig={other.signature}": "sig: signature",
        f"/share/{recording}/audio?exp={good.expires + 1}&sig={good.signature}": "sig: signature",
        f"/share/{recording}/audio?exp=soon&sig={good.signature}": "exp: not a Unix time",
    }
    for url, detail in cases.items():
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["detail"].startswith(detail), response.json()
    assert client.get(f"/share/{recording}/audio?{good.query}").status_code == 200


def test_media_needs_credentials_and_visibility(
    anonymous: TestClient[Litestar], state: AppState, recording: str
) -> None:
    for path in ("audio", "waveform.png"):
        assert anonymous.get(f"/api/v1/recordings/{recording}/{path}").status_code == 401
    assert anonymous.post(f"/api/v1/recordings/{recording}/links").status_code == 401
    # an agent sees only its own recordings: this one is not (404, not 403)
    state.accounts.ensure_tenant(DEFAULT_TENANT)
    agent = state.accounts.create_user("ann", "agent", DEFAULT_TENANT, agent_id="a-7")
    assert agent.id is not None
    key = state.accounts.create_api_key(agent.id, "t")[1]
    response = anonymous.get(f"/api/v1/recordings/{recording}/audio", headers={"X-API-Key": key})
    assert response.status_code == 404
    assert response.json()["field"] == "recording_id"


def test_media_access_is_audited(
    client: TestClient[Litestar], state: AppState, recording: str
) -> None:
    get(client, f"/api/v1/recordings/{recording}/audio?format=mp3&channel=1")
    assert (
        client.get(
            f"/api/v1/recordings/{recording}/audio", headers={"Range": "bytes=0-9"}
        ).status_code
        == 206
    )
    link = client.post(f"/api/v1/recordings/{recording}/links").json()
    get(client, link["audio_url"])
    entries = state.accounts.list_audit(AuditQuery(target_id=recording))
    seen = sorted((e.action, e.actor, e.outcome) for e in entries)
    assert seen == [
        ("download", "-", "ok"),
        ("download", "root", "ok"),
        ("playback", "root", "ok"),
        ("share", "root", "ok"),
    ]
    detail = next(e.detail for e in entries if e.actor == "root" and e.action == "download")
    assert detail == {"file": 0, "format": "mp3", "channel": 1}


def test_signed_link_stops_at_soft_delete(
    client: TestClient[Litestar], state: AppState, recording: str
) -> None:
    link = client.post(f"/api/v1/recordings/{recording}/links").json()
    assert client.get(link["audio_url"]).status_code == 200
    state.catalog.soft_delete(recording, "root", datetime.now(UTC))
    assert client.get(link["audio_url"]).status_code == 404
    assert client.get(link["waveform_url"]).status_code == 404


def test_link_lifetime_is_bounded(client: TestClient[Litestar], recording: str) -> None:
    for ttl in (0, 59, 30 * 24 * 3600 + 1):
        response = client.post(f"/api/v1/recordings/{recording}/links", json={"expires_in": ttl})
        assert response.status_code == 422
        assert response.json()["field"] == "expires_in"
    assert client.post("/api/v1/recordings/nope/links").status_code == 404


def test_g711_stored_file_plays_as_pcm(
    client: TestClient[Litestar], repo: Repository, tmp_path: Path
) -> None:
    """A ``wav-g711`` archive (what finalize writes with format "wav-g711") as PCM WAV."""
    path = tmp_path / "g.wav"
    codes = g711.encode("pcmu", stereo())
    write_wav_g711(path, codes, RATE, "pcmu")
    result = example_result(path, duration=SECONDS)
    result["files"][0]["format"] = "wav-pcmu"
    repo.save_recording(result, example_snapshot("rec-g"), 5.0)
    original = client.get("/api/v1/recordings/rec-g/audio")
    assert original.content == path.read_bytes()
    data = get(client, "/api/v1/recordings/rec-g/audio?format=wav&channel=1")
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.array_equal(samples, g711.decode("pcmu", codes[:, 1]))
