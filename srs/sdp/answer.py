"""SDP offer/answer for a recorder (RFC 3264 as profiled by RFC 7866).

An SRS only receives media.  For every offered m-line it answers exactly one m-line, in
order: ``recvonly`` when the SRC sends, ``inactive`` otherwise, port 0 when the stream is
refused (keeping the offered format list, RFC 3264 §6).  ``Negotiator`` keeps the state
that must survive re-offers: the o= session id/version, and one local port (plus our SRTP
key) per stream key, so a re-INVITE never moves a stream to a new port.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from srs.sdp.attributes import Attribute, Crypto, Rtpmap
from srs.sdp.description import Connection, MediaDescription, Origin, SessionDescription
from srs.sdp.sdes import PLAIN_PROTOS, SECURE_PROTOS, first_usable, local_crypto, sender_spec
from srs.session.plan import CodecSpec, CryptoSpec, PortAllocator, StreamSpec

__all__ = [
    "DEFAULT_CODECS",
    "NegotiatedStream",
    "Negotiation",
    "NegotiationError",
    "Negotiator",
    "NotAcceptable",
    "PortsExhausted",
    "stream_keys",
]

# What the media layer decodes, with the payload types used when *we* offer.
DEFAULT_CODECS: tuple[CodecSpec, ...] = (
    CodecSpec(0, "pcmu", 8000),
    CodecSpec(8, "pcma", 8000),
    CodecSpec(9, "g722", 8000),
    CodecSpec(18, "g729", 8000),
    CodecSpec(111, "opus", 48000, 2),
    CodecSpec(96, "amr", 8000),
    CodecSpec(101, "telephone-event", 8000, fmtp="0-16"),
    CodecSpec(13, "cn", 8000),
)

TELEPHONE_EVENT = "telephone-event"
COMFORT_NOISE = "cn"
_AUXILIARY = (TELEPHONE_EVENT, COMFORT_NOISE)
_ENCODING_NAMES = {TELEPHONE_EVENT: TELEPHONE_EVENT, "opus": "opus", "amr-wb": "AMR-WB"}
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class NegotiationError(Exception):
    """The offer (or answer) cannot be accepted; ``str(err)`` is the Warning text."""


class PortsExhausted(NegotiationError):
    """No RTP port pair left: 503 for a new session, 488 on a re-offer."""


class NotAcceptable(NegotiationError):
    """Not one stream could be accepted: 488 with this text as Warning."""


def encoding_name(encoding: str) -> str:
    """The spelling used in our ``a=rtpmap`` lines (``PCMU``, ``telephone-event``, ``opus``)."""
    return _ENCODING_NAMES.get(encoding, encoding.upper())


def rtpmap_value(pt: int, encoding: str, clock_rate: int, channels: int) -> str:
    suffix = f"/{channels}" if channels > 1 else ""
    return f"{pt} {encoding_name(encoding)}/{clock_rate}{suffix}"


def stream_keys(desc: SessionDescription) -> list[str]:
    """One stable, file-name-safe key per m-line: the ``a=label``, else ``m<index>``."""
    keys: list[str] = []
    for index, media in enumerate(desc.media):
        label = media.label
        key = _KEY_UNSAFE.sub("_", label)[:64] if label else f"m{index}"
        if key.startswith("."):
            key = "_" + key[1:]
        if key in keys:
            key = f"{key}-m{index}"
        keys.append(key)
    return keys


@dataclass(frozen=True)
class NegotiatedStream:
    """The outcome for one m-line; ``reason`` says why it was refused."""

    key: str
    index: int
    media: str
    label: str | None
    local_port: int = 0
    reason: str | None = None
    remote_rtp: tuple[str, int] | None = None
    codecs: tuple[CodecSpec, ...] = ()
    telephone_event_pt: int | None = None
    comfort_noise_pt: int | None = None
    srtp: CryptoSpec | None = None
    remote_direction: str = "sendrecv"

    @property
    def accepted(self) -> bool:
        return self.reason is None

    @property
    def sending(self) -> bool:
        """The remote side sends on this stream (not held / inactive)."""
        return self.remote_direction in ("sendonly", "sendrecv")

    def spec(self) -> StreamSpec:
        return StreamSpec(
            key=self.key,
            index=self.index,
            media=self.media,
            label=self.label,
            local_rtp_port=self.local_port,
            local_rtcp_port=self.local_port + 1,
            remote_rtp=self.remote_rtp,
            codecs=self.codecs,
            telephone_event_pt=self.telephone_event_pt,
            comfort_noise_pt=self.comfort_noise_pt,
            srtp=self.srtp,
            active=self.sending,
        )


@dataclass(frozen=True)
class Negotiation:
    """Result of an answer (``sdp`` is our body) or of an answer received in an ACK."""

    sdp: bytes | None
    streams: tuple[NegotiatedStream, ...]
    released: tuple[str, ...] = ()  # keys whose ports went back to the allocator

    @property
    def accepted(self) -> tuple[NegotiatedStream, ...]:
        return tuple(s for s in self.streams if s.accepted)


@dataclass
class _Local:
    """What we hold for one stream key across offers."""

    port: int
    crypto: Crypto | None = None


@dataclass
class _Pending:
    """Our outstanding offer (delayed offer or re-INVITE without SDP)."""

    desc: SessionDescription
    keys: list[str]
    new_ports: dict[str, int] = field(default_factory=dict)


class Negotiator:
    """Offer/answer state of one recording session (sans-IO apart from the allocator)."""

    def __init__(
        self,
        ports: PortAllocator,
        *,
        address: str,
        session_id: int,
        codecs: Sequence[CodecSpec] = DEFAULT_CODECS,
        record_video: bool = False,
        username: str = "srs",
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._ports = ports
        self._address = address
        self._addr_type = "IP6" if ":" in address else "IP4"
        self._session_id = session_id
        self._version = 0
        self._codecs = tuple(codecs)
        self._record_video = record_video
        self._username = username
        self._random_bytes = random_bytes
        self._locals: dict[str, _Local] = {}
        self._last: SessionDescription | None = None
        self._pending: _Pending | None = None

    # -- public API ------------------------------------------------------------------
    @property
    def ports(self) -> dict[str, int]:
        """Local RTP port per stream key currently held."""
        return {key: local.port for key, local in self._locals.items()}

    @property
    def offer_pending(self) -> bool:
        return self._pending is not None

    @property
    def last_sdp(self) -> bytes | None:
        return self._last.serialize() if self._last is not None else None

    def answer(self, offer: SessionDescription, *, initial: bool = False) -> Negotiation:
        """Answer ``offer``; raises ``PortsExhausted`` or ``NotAcceptable`` (state unchanged)."""
        if not offer.media:
            raise NotAcceptable("offer has no m= line")
        keys = stream_keys(offer)
        fresh: list[int] = []
        lines: list[MediaDescription] = []
        streams: list[NegotiatedStream] = []
        locals_: dict[str, _Local] = {}
        try:
            for index, (media, key) in enumerate(zip(offer.media, keys, strict=True)):
                stream, line, local = self._answer_stream(offer, media, index, key, fresh)
                streams.append(stream)
                lines.append(line)
                if local is not None:
                    locals_[key] = local
        except PortsExhausted:
            self._release_ports(fresh)
            raise
        if not locals_:
            ours = [s for s in streams if s.reason != "port 0 in offer"]
            if initial or ours:
                self._release_ports(fresh)
                why = "; ".join(f"{_where(s)}: {s.reason}" for s in streams)
                raise NotAcceptable(f"no acceptable media stream: {why}")
        released = self._commit_locals(locals_)
        sdp = self._publish(lines)
        self._pending = None
        return Negotiation(sdp, tuple(streams), released)

    def build_offer(self, streams: int = 1) -> bytes:
        """Delayed offer (INVITE without SDP): ``streams`` recvonly audio m-lines."""
        keys = [f"m{i}" for i in range(streams)]
        fresh: list[int] = []
        for _ in keys:
            port = self._ports.allocate()
            if port is None:
                self._release_ports(fresh)
                raise PortsExhausted(f"no free RTP port for a {streams}-stream offer")
            fresh.append(port)
        lines = [self._offer_line("audio", port, "RTP/AVP", (), None) for port in fresh]
        self._version += 1
        desc = self._session(lines, self._version)
        self._pending = _Pending(desc, keys, dict(zip(keys, fresh, strict=True)))
        return desc.serialize()

    def reoffer(self) -> bytes:
        """Re-INVITE without SDP: our last SDP as a new offer (version bumped, recvonly)."""
        if self._last is None:
            raise NegotiationError("no previous SDP to offer")
        keys = stream_keys(self._last)
        lines: list[MediaDescription] = []
        for media, key in zip(self._last.media, keys, strict=True):
            local = self._locals.get(key)
            if local is None or media.port == 0:
                lines.append(replace(media, attributes=list(media.attributes)))
                continue
            previous = [
                CodecSpec(
                    c.payload_type,
                    c.encoding,
                    c.clock_rate,
                    c.channels,
                    media.fmtp().get(c.payload_type),
                )
                for c in media.codecs()
            ]
            line = self._offer_line(media.media, local.port, media.proto, previous, local.crypto)
            if media.label:
                line.attributes.insert(0, Attribute("label", media.label))
            lines.append(line)
        self._version += 1
        desc = self._session(lines, self._version)
        self._pending = _Pending(desc, keys)
        return desc.serialize()

    def accept_answer(self, answer: SessionDescription) -> Negotiation:
        """The answer to our offer (in the ACK): what the SRC will send on each stream."""
        pending = self._pending
        if pending is None:
            raise NegotiationError("answer received but no offer is pending")
        self._pending = None
        streams: list[NegotiatedStream] = []
        lines: list[MediaDescription] = []
        locals_: dict[str, _Local] = {}
        for index, (ours, key) in enumerate(zip(pending.desc.media, pending.keys, strict=True)):
            port = pending.new_ports.get(key) or (
                self._locals[key].port if key in self._locals else 0
            )
            theirs = answer.media[index] if index < len(answer.media) else None
            label = ours.label
            reason = self._answered_rejection(ours, theirs)
            if reason is not None or theirs is None:
                streams.append(NegotiatedStream(key, index, ours.media, label, reason=reason))
                lines.append(replace(ours, port=0, attributes=[]))
                continue
            codecs, te, cn = self._supported(theirs, single=False)
            crypto = (
                first_usable(theirs.crypto()) if theirs.proto.upper() in SECURE_PROTOS else None
            )
            local = self._locals.get(key) or _Local(port)
            locals_[key] = _Local(port, local.crypto)
            streams.append(
                NegotiatedStream(
                    key, index, ours.media, label, port, None,
                    _remote(answer, theirs), codecs, te, cn,
                    sender_spec(crypto) if crypto else None, answer.direction_for(theirs),
                )
            )  # fmt: skip
            lines.append(ours)
        kept = set(locals_)
        self._release_ports([p for k, p in pending.new_ports.items() if k not in kept])
        released = self._commit_locals(locals_)
        self._last = self._session(lines, self._version)
        return Negotiation(None, tuple(streams), released)

    def cancel_offer(self) -> None:
        """Our offer got no answer: give back the ports it alone held."""
        if self._pending is not None:
            self._release_ports(list(self._pending.new_ports.values()))
            self._pending = None

    def release(self) -> None:
        """Session over: every port goes back to the allocator."""
        self.cancel_offer()
        self._release_ports([local.port for local in self._locals.values()])
        self._locals = {}

    # -- answering one m-line --------------------------------------------------------
    def _answer_stream(
        self,
        offer: SessionDescription,
        media: MediaDescription,
        index: int,
        key: str,
        fresh: list[int],
    ) -> tuple[NegotiatedStream, MediaDescription, _Local | None]:
        label = media.label
        reason = self._rejection(media)
        codecs: tuple[CodecSpec, ...] = ()
        te = cn = None
        crypto: Crypto | None = None
        if reason is None:
            codecs, te, cn = self._supported(media, single=True)
            if not codecs:
                reason = f"no common codec (offered {' '.join(media.formats) or 'none'})"
        if reason is None and media.proto.upper() in SECURE_PROTOS:
            crypto = first_usable(media.crypto())
            if crypto is None:
                reason = f"{media.proto} offered without a usable a=crypto line"
        if reason is not None:
            rejected = MediaDescription(media.media, 0, media.proto, list(media.formats))
            if label:
                rejected.attributes.append(Attribute("label", label))
            return NegotiatedStream(key, index, media.media, label, reason=reason), rejected, None
        local = self._locals.get(key)
        if local is None:
            port = self._ports.allocate()
            if port is None:
                raise PortsExhausted(f"no free RTP port for stream {key!r}")
            fresh.append(port)
            local = _Local(port)
        ours: Crypto | None = None
        if crypto is not None:
            ours = local.crypto
            if ours is None or (ours.tag, ours.suite) != (crypto.tag, crypto.suite.upper()):
                ours = local_crypto(crypto.tag, crypto.suite, self._random_bytes)
        local = _Local(local.port, ours)
        direction = offer.direction_for(media)
        line = self._answer_line(media, local, codecs, direction)
        stream = NegotiatedStream(
            key, index, media.media, label, local.port, None, _remote(offer, media), codecs,
            te, cn, sender_spec(crypto) if crypto else None, direction,
        )  # fmt: skip
        return stream, line, local

    def _rejection(self, media: MediaDescription) -> str | None:
        kind = media.media.lower()
        if media.port == 0:
            return "port 0 in offer"
        if kind not in ("audio", "video"):
            return f"media {media.media!r} not recorded"
        if kind == "video" and not self._record_video:
            return "video not recorded (record_video is off)"
        if media.proto.upper() not in PLAIN_PROTOS | SECURE_PROTOS:
            return f"transport {media.proto!r} not supported"
        return None

    def _answered_rejection(
        self, ours: MediaDescription, theirs: MediaDescription | None
    ) -> str | None:
        if ours.port == 0:
            return "not offered"
        if theirs is None:
            return "missing from the answer"
        if theirs.port == 0:
            return "port 0 in answer"
        if not self._supported(theirs, single=False)[0]:
            return f"no common codec (answered {' '.join(theirs.formats) or 'none'})"
        return None

    def _supported(
        self, media: MediaDescription, *, single: bool
    ) -> tuple[tuple[CodecSpec, ...], int | None, int | None]:
        """Offered codecs we decode (offer order; only the first main codec if ``single``)."""
        fmtp = media.fmtp()
        video = media.media.lower() == "video"
        main: list[Rtpmap] = []
        events: list[Rtpmap] = []
        noise: list[Rtpmap] = []
        for rtpmap in media.codecs():
            if rtpmap.encoding == TELEPHONE_EVENT:
                events.append(rtpmap)
            elif rtpmap.encoding == COMFORT_NOISE:
                noise.append(rtpmap)
            elif video or self._decodes(rtpmap):
                main.append(rtpmap)
        if not main:
            return (), None, None
        if single:
            main = main[:1]
        chosen = list(main)
        clock = main[0].clock_rate
        te = _pick(events, clock) if self._decodes_name(TELEPHONE_EVENT) else None
        cn = _pick(noise, clock) if self._decodes_name(COMFORT_NOISE) else None
        chosen += [c for c in (te, cn) if c is not None]
        specs = tuple(
            CodecSpec(
                c.payload_type, c.encoding, c.clock_rate, c.channels, fmtp.get(c.payload_type)
            )
            for c in chosen
        )
        return specs, te.payload_type if te else None, cn.payload_type if cn else None

    def _decodes(self, rtpmap: Rtpmap) -> bool:
        return any(
            c.encoding == rtpmap.encoding and c.clock_rate == rtpmap.clock_rate
            for c in self._codecs
        )

    def _decodes_name(self, encoding: str) -> bool:
        return any(c.encoding == encoding for c in self._codecs)

    # -- building SDP ----------------------------------------------------------------
    def _answer_line(
        self,
        offered: MediaDescription,
        local: _Local,
        codecs: Sequence[CodecSpec],
        direction: str,
    ) -> MediaDescription:
        line = MediaDescription(
            offered.media, local.port, offered.proto, [str(c.payload_type) for c in codecs]
        )
        if offered.label:
            line.attributes.append(Attribute("label", offered.label))
        line.attributes += _codec_attributes(codecs)
        line.attributes.append(Attribute("rtcp", str(local.port + 1)))
        answer_direction = "recvonly" if direction in ("sendonly", "sendrecv") else "inactive"
        line.attributes.append(Attribute(answer_direction))
        if local.crypto is not None:
            line.attributes.append(Attribute("crypto", str(local.crypto)))
        return line

    def _offer_line(
        self,
        media: str,
        port: int,
        proto: str,
        first: Sequence[CodecSpec],
        crypto: Crypto | None,
    ) -> MediaDescription:
        codecs = list(first)
        used_pts = {c.payload_type for c in codecs}
        used_names = {c.encoding for c in codecs}
        for codec in self._codecs:
            if codec.payload_type not in used_pts and codec.encoding not in used_names:
                codecs.append(codec)
                used_pts.add(codec.payload_type)
                used_names.add(codec.encoding)
        if media.lower() != "audio":  # our codec list is audio only: re-offer what was agreed
            codecs = list(first)
        line = MediaDescription(media, port, proto, [str(c.payload_type) for c in codecs])
        line.attributes += _codec_attributes(codecs)
        line.attributes.append(Attribute("rtcp", str(port + 1)))
        line.attributes.append(Attribute("recvonly"))
        if crypto is not None:
            line.attributes.append(Attribute("crypto", str(crypto)))
        return line

    def _session(self, lines: list[MediaDescription], version: int) -> SessionDescription:
        return SessionDescription(
            origin=Origin(
                self._username, str(self._session_id), str(version), "IN", self._addr_type,
                self._address,
            ),
            session_name=self._username,
            connection=Connection(self._address, self._addr_type),
            timing=["t=0 0"],
            media=lines,
        )  # fmt: skip

    def _publish(self, lines: list[MediaDescription]) -> bytes:
        """Our new answer; the o= version moves only when the content changed."""
        candidate = self._session(lines, self._version)
        if self._last is None or _content(self._last) != _content(candidate):
            self._version += 1
            candidate = self._session(lines, self._version)
        self._last = candidate
        return candidate.serialize()

    # -- ports -----------------------------------------------------------------------
    def _commit_locals(self, locals_: dict[str, _Local]) -> tuple[str, ...]:
        released = tuple(key for key in self._locals if key not in locals_)
        self._release_ports([self._locals[key].port for key in released])
        self._locals = locals_
        return released

    def _release_ports(self, ports: Sequence[int]) -> None:
        for port in ports:
            self._ports.release(port)


def _content(desc: SessionDescription) -> list[MediaDescription]:
    return desc.media


def _where(stream: NegotiatedStream) -> str:
    label = f" (label {stream.label})" if stream.label else ""
    return f"m{stream.index}{label}"


def _pick(candidates: Sequence[Rtpmap], clock: int) -> Rtpmap | None:
    for rtpmap in candidates:
        if rtpmap.clock_rate == clock:
            return rtpmap
    return candidates[0] if candidates else None


def _remote(desc: SessionDescription, media: MediaDescription) -> tuple[str, int] | None:
    conn = desc.connection_for(media)
    if conn is None or conn.host in ("0.0.0.0", "::", "") or media.port == 0:
        return None
    return conn.host, media.port


def _codec_attributes(codecs: Sequence[CodecSpec]) -> list[Attribute]:
    attrs: list[Attribute] = []
    for c in codecs:
        attrs.append(
            Attribute("rtpmap", rtpmap_value(c.payload_type, c.encoding, c.clock_rate, c.channels))
        )
        if c.fmtp:
            attrs.append(Attribute("fmtp", f"{c.payload_type} {c.fmtp}"))
    return attrs
