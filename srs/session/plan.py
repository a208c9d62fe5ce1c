"""The media plan: what the recording layer tells the media layer to capture.

A recording session (sans-IO) turns SDP and metadata into ``StreamSpec`` values and emits
``MediaEvent`` values; the I/O layer applies them to the capture engine.  Port numbers are
chosen at answer time through a ``PortAllocator`` so that exhaustion can be answered in
signaling (488/503) instead of failing later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class CodecSpec:
    """One negotiated payload type (lower-case encoding name as in ``a=rtpmap``)."""

    payload_type: int
    encoding: str
    clock_rate: int
    channels: int = 1
    fmtp: str | None = None


@dataclass(frozen=True)
class CryptoSpec:
    """SDES keying (RFC 4568) the *sender* uses: we decrypt with it."""

    suite: str  # e.g. "AES_CM_128_HMAC_SHA1_80"
    key_params: str  # the inline: value, base64 key||salt (lifetime/MKI stripped)
    tag: int = 1


@dataclass(frozen=True)
class StreamSpec:
    """One negotiated media stream of a recording."""

    key: str  # stable within the recording: the a=label, else "m<index>"
    index: int  # m-line index in the current SDP
    media: str  # "audio", "video", ...
    label: str | None
    local_rtp_port: int
    local_rtcp_port: int
    remote_rtp: tuple[str, int] | None  # from c=/m= of the offer (for latching checks)
    codecs: tuple[CodecSpec, ...]
    telephone_event_pt: int | None = None
    comfort_noise_pt: int | None = None
    srtp: CryptoSpec | None = None
    active: bool = True  # False when held/inactive
    participant_id: str | None = None
    participant_name: str | None = None
    participant_aor: str | None = None


@dataclass(frozen=True)
class StreamOpened:
    recording_id: str
    spec: StreamSpec


@dataclass(frozen=True)
class StreamChanged:
    """Codec, SRTP key, participant or hold state changed (compare ``spec.active``)."""

    recording_id: str
    spec: StreamSpec


@dataclass(frozen=True)
class StreamClosed:
    recording_id: str
    key: str


@dataclass(frozen=True)
class SessionSnapshot:
    """Everything finalize needs, written as ``session.json`` on every change."""

    recording_id: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordingEnded:
    recording_id: str
    reason: str
    now: float


MediaEvent = StreamOpened | StreamChanged | StreamClosed | SessionSnapshot | RecordingEnded


class PortAllocator(Protocol):
    """Hands out even RTP ports (RTCP = port + 1) from the configured range."""

    def allocate(self) -> int | None:
        """An even port whose pair is free, or ``None`` when the range is exhausted."""
        ...

    def release(self, port: int) -> None: ...
