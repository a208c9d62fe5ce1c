"""Codec registry and decoders: each decodes a tone encoded by an independent encoder."""

from __future__ import annotations

from collections.abc import Iterator

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.media.codecs import (
    REGISTRY,
    CodecError,
    CodecParams,
    G711Decoder,
    SilentDecoder,
    amr_storage_frames,
    create_decoder,
    g711,
    opus_packet_samples,
    register_decoder,
)
from srs.media.codecs.ffmpeg import AMR_NB_BITS
from srs.testing_media import dominant_frequency, g729_available, rtp_packets, tone

CASES = [  # (test codec, params, tone Hz)
    ("pcmu", CodecParams("pcmu", 8000), 440.0),
    ("pcma", CodecParams("PCMA", 8000), 1000.0),
    ("g722", CodecParams("g722", 8000), 3000.0),
    ("g729", CodecParams("g729", 8000), 440.0),
    ("opus", CodecParams("opus", 48000, 2), 440.0),
    ("amr", CodecParams("amr", 8000, 1, "octet-align=1"), 440.0),
]


@pytest.mark.parametrize(("codec", "params", "freq"), CASES, ids=[c[0] for c in CASES])
def test_decodes_tone_to_its_frequency(codec: str, params: CodecParams, freq: float) -> None:
    if codec == "g729" and not g729_available():
        pytest.fail("libbcg729 (Debian libbcg729-0) not installed: no G.729 encoder")
    frames = rtp_packets(codec, freq, 1.0)
    decoder = create_decoder(params)
    out = []
    for frame in frames:
        pcm = decoder.decode(frame.payload)
        assert pcm.dtype == np.int16
        assert len(pcm) == decoder.samples_per_packet(frame.payload)
        out.append(pcm)
    pcm = np.concatenate(out)
    assert len(pcm) == pytest.approx(decoder.sample_rate * len(frames) * 0.02, abs=1)
    steady = pcm[decoder.sample_rate // 10 :]  # skip codec start-up
    assert dominant_frequency(steady, decoder.sample_rate) == pytest.approx(freq, abs=3)
    assert np.sqrt(np.mean(steady.astype(float) ** 2)) > 3000  # not near-silence


def test_g722_keeps_8000_rtp_clock_but_decodes_16k() -> None:
    decoder = create_decoder(CodecParams("g722", 8000))
    assert (decoder.clock_rate, decoder.sample_rate) == (8000, 16000)
    frames = rtp_packets("g722", 6000.0, 0.5)  # 6 kHz only exists at wideband
    pcm = np.concatenate([decoder.decode(f.payload) for f in frames])
    assert dominant_frequency(pcm[1600:], 16000) == pytest.approx(6000, abs=5)


def test_g711_tables_match_ffmpeg() -> None:
    codes = bytes(range(256))
    for encoding, name in (("pcmu", "pcm_mulaw"), ("pcma", "pcm_alaw")):
        ctx = av.CodecContext.create(name, "r")
        ctx.sample_rate = 8000  # type: ignore[attr-defined]
        ctx.layout = "mono"  # type: ignore[attr-defined]
        (frame,) = ctx.decode(av.Packet(codes))  # type: ignore[attr-defined]
        reference = frame.to_ndarray()[0]
        assert np.array_equal(g711.decode(encoding, codes), reference)


def test_g711_encode_inverts_decode() -> None:
    codes = np.arange(256, dtype=np.uint8)
    for encoding in ("pcmu", "pcma"):
        back = g711.encode(encoding, g711.decode(encoding, codes))
        mismatch = np.flatnonzero(back != codes).tolist()
        assert mismatch == ([0x7F] if encoding == "pcmu" else [])  # µ-law -0 becomes +0
    assert g711.encode("pcmu", np.zeros(1, np.int16))[0] == g711.SILENCE_BYTE["pcmu"]
    assert g711.encode("pcma", np.zeros(1, np.int16))[0] == g711.SILENCE_BYTE["pcma"]


def test_g711_decoder_is_batchable() -> None:
    decoder = G711Decoder(CodecParams("pcmu", 8000))
    a, b = bytes(range(0, 160)), bytes(range(96, 256))
    assert decoder.batchable
    assert np.array_equal(
        decoder.decode(a + b), np.concatenate([decoder.decode(a), decoder.decode(b)])
    )


def test_g729_sid_frame_decodes_to_silence_of_its_length() -> None:
    if not g729_available():
        pytest.fail("libbcg729 (Debian libbcg729-0) not installed")
    decoder = create_decoder(CodecParams("g729", 8000))
    speech = rtp_packets("g729", 440, 0.04)[0].payload
    pcm = decoder.decode(speech + b"\x12\x34")
    assert decoder.samples_per_packet(speech + b"\x12\x34") == len(pcm) == 240
    assert not pcm[160:].any()


@pytest.mark.parametrize(
    ("payload", "samples"),
    [
        (bytes([0 << 3 | 0]), 480),  # SILK NB 10 ms, one frame
        (bytes([1 << 3 | 0]), 960),  # SILK NB 20 ms
        (bytes([3 << 3 | 1]), 2 * 2880),  # SILK 60 ms, two frames
        (bytes([13 << 3 | 0]), 960),  # hybrid 20 ms
        (bytes([16 << 3 | 0]), 120),  # CELT 2.5 ms
        (bytes([31 << 3 | 3, 3]), 3 * 960),  # CELT 20 ms, code 3 with 3 frames
        (b"", 0),
    ],
)
def test_opus_packet_samples_from_toc(payload: bytes, samples: int) -> None:
    assert opus_packet_samples(payload) == samples


def test_opus_code3_without_count_is_an_error() -> None:
    with pytest.raises(CodecError, match="opus: code 3 packet without a frame count byte"):
        opus_packet_samples(bytes([31 << 3 | 3]))


def test_amr_both_payload_formats_give_the_same_storage_frames() -> None:
    octet = rtp_packets("amr", 440, 0.2, octet_aligned=True)
    efficient = rtp_packets("amr", 440, 0.2, octet_aligned=False)
    for a, b in zip(octet, efficient, strict=True):
        fa = amr_storage_frames(a.payload, AMR_NB_BITS, octet_aligned=True)
        fb = amr_storage_frames(b.payload, AMR_NB_BITS, octet_aligned=False)
        assert fa == fb
        assert [ft for ft, _ in fa] == [7]  # 12.2 kbit/s
        assert len(fa[0][1]) == 32  # 1 header + ceil(244/8)
    dec_a = create_decoder(CodecParams("amr", 8000, 1, "octet-align=1"))
    dec_b = create_decoder(CodecParams("AMR", 8000, 1, "mode-set=7"))
    pa = np.concatenate([dec_a.decode(f.payload) for f in octet])
    pb = np.concatenate([dec_b.decode(f.payload) for f in efficient])
    assert np.array_equal(pa, pb)


def test_amr_no_data_frame_is_silence_and_truncation_is_reported() -> None:
    decoder = create_decoder(CodecParams("amr", 8000, 1, "octet-align=1"))
    no_data = bytes([0xF0, 15 << 3 | 1 << 2])
    assert decoder.samples_per_packet(no_data) == 160
    assert not decoder.decode(no_data).any()
    with pytest.raises(CodecError, match="amr: frame type 7 needs 31 bytes, 3 left"):
        decoder.decode(bytes([0xF0, 7 << 3 | 1 << 2, 1, 2, 3]))
    with pytest.raises(CodecError, match="amr: payload ends inside the table of contents"):
        decoder.decode(bytes([0xF0, 0x80 | 7 << 3]))
    efficient = create_decoder(CodecParams("amr", 8000))
    with pytest.raises(CodecError, match="amr: bandwidth-efficient payload is truncated"):
        efficient.decode(bytes([0xF3, 0xC0, 0x00]))


def test_silent_payloads_have_no_audio() -> None:
    for encoding in ("cn", "telephone-event"):
        decoder = create_decoder(CodecParams(encoding, 8000))
        assert isinstance(decoder, SilentDecoder) and not decoder.audio
        assert len(decoder.decode(b"\x40")) == 0
        assert len(decoder.conceal(80)) == 80 and not decoder.conceal(80).any()


def test_unknown_encoding_names_the_known_ones() -> None:
    with pytest.raises(
        CodecError, match=r"no decoder for encoding 'speex' \(known: amr, amr-wb, cn, "
    ):
        create_decoder(CodecParams("speex", 8000))


@pytest.fixture
def registry() -> Iterator[dict[str, object]]:
    saved = dict(REGISTRY)
    yield REGISTRY  # type: ignore[misc]
    REGISTRY.clear()
    REGISTRY.update(saved)


class _L8Decoder(SilentDecoder):
    """Unsigned 8-bit linear PCM: a codec a plugin might add."""

    audio = True

    def decode(self, payload: bytes) -> np.ndarray:
        return ((np.frombuffer(payload, np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)


def test_register_decoder_adds_a_codec(registry: dict[str, object]) -> None:
    register_decoder("L8", _L8Decoder)
    assert "l8" in registry
    decoder = create_decoder(CodecParams("l8", 8000))
    assert isinstance(decoder, _L8Decoder)
    assert decoder.decode(bytes([128, 255])).tolist() == [0, 127 << 8]


def test_conceal_is_silence_of_the_requested_length() -> None:
    decoder = create_decoder(CodecParams("g722", 8000))
    fill = decoder.conceal(320)
    assert fill.dtype == np.int16 and len(fill) == 320 and not fill.any()


def test_fmtp_values_parse() -> None:
    params = CodecParams("amr", 8000, 1, "octet-align=1; mode-set=0,2,5,7;crc=0")
    assert params.fmtp_values() == {"octet-align": "1", "mode-set": "0,2,5,7", "crc": "0"}
    assert CodecParams("pcmu", 8000).fmtp_values() == {}


def test_tone_helper_is_what_it_says() -> None:
    assert dominant_frequency(tone(1234.0, 0.5, 16000), 16000) == pytest.approx(1234.0, abs=0.5)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.booleans())
def test_fuzz_amr_payloads_fail_only_with_codec_error(payload: bytes, octet: bool) -> None:
    try:
        frames = amr_storage_frames(payload, AMR_NB_BITS, octet_aligned=octet)
    except CodecError:
        return
    for ft, frame in frames:
        assert frame[0] == ft << 3 | (frame[0] & 4)
        assert len(frame) == 1 + (AMR_NB_BITS[ft] + 7) // 8


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_ffmpeg_decoders_fail_only_with_codec_error(payload: bytes) -> None:
    for params in (
        CodecParams("g722", 8000),
        CodecParams("g729", 8000),
        CodecParams("opus", 48000),
    ):
        decoder = create_decoder(params)
        try:
            pcm = decoder.decode(payload)
        except CodecError:
            continue
        assert pcm.dtype == np.int16


@pytest.mark.parametrize(("encoding", "ffmpeg_name"), [("pcmu", "pcm_mulaw"), ("pcma", "pcm_alaw")])
def test_g711_decodes_ffmpeg_encoded_tone(encoding: str, ffmpeg_name: str) -> None:
    pcm = tone(440.0, 1.0, 8000)
    ctx = av.CodecContext.create(ffmpeg_name, "w")
    ctx.sample_rate, ctx.layout, ctx.format = 8000, "mono", "s16"  # type: ignore[attr-defined]
    ctx.open()
    frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
    frame.sample_rate, frame.pts = 8000, 0
    coded = b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])  # type: ignore[attr-defined]
    decoder = create_decoder(CodecParams(encoding, 8000))
    out = np.concatenate([decoder.decode(coded[i : i + 160]) for i in range(0, len(coded), 160)])
    assert dominant_frequency(out, 8000) == pytest.approx(440.0, abs=0.5)
    # our encoder picks the same code as FFmpeg's, or a neighbour at a decision boundary
    ours = g711.decode(encoding, g711.encode(encoding, pcm).tobytes()).astype(int)
    assert np.max(np.abs(ours - out)) <= np.max(
        np.abs(np.diff(np.sort(g711.DECODE_TABLES[encoding])))
    )
