"""Pcaps for SIPp's ``play_pcap_audio``: one RTP flow per SIPREC stream.

``tools/make_tone_pcap.py`` writes a single flow; a SIPREC call needs one flow per
m-line.  SIPp replays flow *k* to ``SDP media port + (dport_k - lowest dport)``, so flow
*k* is written to ``BASE_DPORT + 2k`` and reaches srs's *k*-th answered port when srs
allocated its ports as ``p, p + 2, ...``.  Packets keep their capture times, which is how
SIPp paces them; the :class:`SentPcap` returned says exactly what was sent, so tests can
compare the recording with it instead of with hard-coded numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dpkt

from srs.testing_media import CODEC_RATES, RtpFrame, rtp_packets

BASE_DPORT = 10000
BASE_SPORT = 16000
PCAP_EPOCH = 1_700_000_000.0


@dataclass(frozen=True)
class Flow:
    """One RTP stream: ``frames[i]`` leaves at ``times[i]`` seconds from the pcap start."""

    codec: str
    freq: float
    frames: list[RtpFrame]
    times: list[float]
    ptime: float
    dropped: frozenset[int] = field(default_factory=frozenset)

    @property
    def first(self) -> float:
        return self.times[0]

    @property
    def end(self) -> float:
        """When the audio of the last packet ends (its send time + one ptime)."""
        return self.times[-1] + self.ptime


@dataclass(frozen=True)
class SentPcap:
    path: Path
    flows: list[Flow]

    @property
    def media_duration(self) -> float:
        """First packet sent to the end of the last packet's audio, over all flows: the
        span a media-span recording covers."""
        return max(f.end for f in self.flows) - min(f.first for f in self.flows)


def tone_flow(
    codec: str,
    freq: float,
    seconds: float,
    *,
    ssrc: int,
    ptime: float = 0.02,
    start: float = 0.0,
    pt: int | None = None,
    drop: Collection[int] = (),
    silent: tuple[float, float] | None = None,
) -> Flow:
    """A ``freq`` Hz tone in ``codec``.  ``drop``: packet indices never sent (a loss:
    the sequence numbers jump).  ``silent=(a, b)``: no packets between ``a`` and ``b``
    seconds and no sequence jump either (the sender stopped, as on hold); RTP timestamps
    keep running with the wall clock as a real sender's do."""
    frames = rtp_packets(codec, freq, seconds, ptime=ptime, ssrc=ssrc, pt=pt, phase=0.3)
    times = [start + i * ptime for i in range(len(frames))]
    kept_frames: list[RtpFrame] = []
    kept_times: list[float] = []
    seq_shift = 0
    for i, (frame, at) in enumerate(zip(frames, times, strict=True)):
        rel = at - start
        if silent is not None and silent[0] <= rel < silent[1]:
            seq_shift += 1
            continue
        if i in drop:
            continue
        kept_frames.append(frame._replace(seq=(frame.seq - seq_shift) & 0xFFFF))
        kept_times.append(at)
    return Flow(codec, freq, kept_frames, kept_times, ptime, frozenset(drop))


def _ip(addr: str) -> bytes:
    return bytes(int(part) for part in addr.split("."))


def _frame(payload: bytes, sport: int, dport: int) -> bytes:
    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(
        src=_ip("127.0.0.1"), dst=_ip("127.0.0.1"), p=dpkt.ip.IP_PROTO_UDP, ttl=64, data=udp
    )
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(
        src=b"\x02\x00\x00\x00\x00\x01",
        dst=b"\x02\x00\x00\x00\x00\x02",
        type=dpkt.ethernet.ETH_TYPE_IP,
        data=ip,
    )
    return bytes(eth)


def write_pcap(path: Path, flows: Sequence[Flow]) -> SentPcap:
    """Flow *k* to UDP port ``BASE_DPORT + 2k``, all packets in send-time order."""
    packets = sorted(
        (at, k, frame.packet())
        for k, flow in enumerate(flows)
        for at, frame in zip(flow.times, flow.frames, strict=True)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=dpkt.pcap.DLT_EN10MB)
        for at, k, data in packets:
            writer.writepkt(
                _frame(data, BASE_SPORT + 2 * k, BASE_DPORT + 2 * k), ts=PCAP_EPOCH + at
            )
    return SentPcap(path, list(flows))


def read_flows(path: Path) -> dict[int, list[tuple[float, bytes]]]:
    """``{dport: [(time, rtp packet)]}`` of a pcap (to check what was written)."""
    out: dict[int, list[tuple[float, bytes]]] = {}
    with path.open("rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            ip = dpkt.ethernet.Ethernet(buf).data
            udp = ip.data
            out.setdefault(udp.dport, []).append((ts - PCAP_EPOCH, bytes(udp.data)))
    return out


def call_pcap(
    path: Path,
    codec: str = "pcmu",
    seconds: float = 3.0,
    freqs: Sequence[float] = (440.0, 1000.0),
    *,
    drop: dict[int, Collection[int]] | None = None,
    silent: tuple[float, float] | None = None,
) -> SentPcap:
    """The usual test call: flow *k* (label *k + 1*) carries ``freqs[k]``."""
    if codec not in CODEC_RATES:
        raise ValueError(f"no test encoder for {codec!r}")
    flows = [
        tone_flow(
            codec,
            freq,
            seconds,
            ssrc=0x1000 + k,
            drop=(drop or {}).get(k, ()),
            silent=silent,
        )
        for k, freq in enumerate(freqs)
    ]
    return write_pcap(path, flows)


def pcap_media_duration(path: Path) -> float:
    """:attr:`SentPcap.media_duration` of a pcap on disk: first packet to the end of the
    last one, the packet interval taken from the capture times."""
    flows = read_flows(path)
    firsts = [packets[0][0] for packets in flows.values()]
    lasts = [packets[-1][0] for packets in flows.values()]
    steps = [b[0] - a[0] for packets in flows.values() for a, b in itertools.pairwise(packets)]
    ptime = min(steps)
    return max(lasts) + ptime - min(firsts)
