"""Codec registry: decoders keyed by encoding name (see ``base.Decoder``)."""

from __future__ import annotations

from srs.media.codecs.base import (
    REGISTRY,
    CodecError,
    CodecParams,
    Decoder,
    DecoderFactory,
    SilentDecoder,
    create_decoder,
    register_decoder,
    silence,
)
from srs.media.codecs.ffmpeg import (
    AmrDecoder,
    AmrWbDecoder,
    G722Decoder,
    G729Decoder,
    OpusDecoder,
    amr_storage_frames,
    opus_packet_samples,
)
from srs.media.codecs.g711 import G711Decoder

# RFC 3551 §6 static payload types, used when a stream has no ``params`` event.
STATIC_PAYLOAD_TYPES: dict[int, CodecParams] = {
    0: CodecParams("pcmu", 8000),
    8: CodecParams("pcma", 8000),
    9: CodecParams("g722", 8000),
    13: CodecParams("cn", 8000),
    18: CodecParams("g729", 8000),
}

for _name, _factory in (
    ("pcmu", G711Decoder),
    ("pcma", G711Decoder),
    ("g722", G722Decoder),
    ("g729", G729Decoder),
    ("opus", OpusDecoder),
    ("amr", AmrDecoder),
    ("amr-wb", AmrWbDecoder),
    ("cn", SilentDecoder),
    ("telephone-event", SilentDecoder),
):
    register_decoder(_name, _factory)

__all__ = [
    "REGISTRY",
    "STATIC_PAYLOAD_TYPES",
    "AmrDecoder",
    "AmrWbDecoder",
    "CodecError",
    "CodecParams",
    "Decoder",
    "DecoderFactory",
    "G711Decoder",
    "G722Decoder",
    "G729Decoder",
    "OpusDecoder",
    "SilentDecoder",
    "amr_storage_frames",
    "create_decoder",
    "opus_packet_samples",
    "register_decoder",
    "silence",
]
