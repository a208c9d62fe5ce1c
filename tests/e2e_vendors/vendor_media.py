"""Pcaps for the vendor scenarios, and what to look for in the recordings they produce.

SIPp's ``play_pcap_audio`` sends flow *k* of a pcap to the port the 200 OK answered for the
first m-line plus ``dport_k - lowest dport``; ``Flow.offset`` is that difference, so a flow
reaches the m-line whose port srs allocated at that offset (srs allocates p, p+2, …).
Every flow is a steady tone, so a test can tell from the file which flow went where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dpkt
import numpy as np
from numpy.typing import NDArray

from srs.testing_media import dominant_frequency, rms, rtp_packets

BASE_DPORT = 20000
PCAP_EPOCH = 1_700_000_000.0
PTIME = 0.02


@dataclass(frozen=True)
class Flow:
    codec: str  # "pcmu" / "pcma"
    freq: float
    seconds: float = 3.0
    offset: int = 0  # port offset from the first answered m-line


def _frame(payload: bytes, sport: int, dport: int) -> bytes:
    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(
        src=bytes([127, 0, 0, 1]),
        dst=bytes([127, 0, 0, 1]),
        p=dpkt.ip.IP_PROTO_UDP,
        ttl=64,
        data=udp,
    )
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(
        src=b"\x02\x00\x00\x00\x00\x01",
        dst=b"\x02\x00\x00\x00\x00\x02",
        type=dpkt.ethernet.ETH_TYPE_IP,
        data=ip,
    )
    return bytes(eth)


def write_pcap(path: Path, flows: Sequence[Flow]) -> Path:
    """Every flow as RTP every 20 ms, packets in send-time order."""
    packets: list[tuple[float, int, bytes]] = []
    for k, flow in enumerate(flows):
        frames = rtp_packets(
            flow.codec, flow.freq, flow.seconds, ptime=PTIME, ssrc=0x7000 + k, phase=0.3
        )
        packets += [(i * PTIME, k, f.packet()) for i, f in enumerate(frames)]
    packets.sort()
    with path.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=dpkt.pcap.DLT_EN10MB)
        for at, k, data in packets:
            flow = flows[k]
            frame = _frame(data, 16000 + flow.offset, BASE_DPORT + flow.offset)
            writer.writepkt(frame, ts=PCAP_EPOCH + at)
    return path


def tone_of(samples: NDArray[np.generic], rate: int) -> float | None:
    """The dominant frequency, or ``None`` for (near) silence."""
    if len(samples) == 0 or rms(samples) < 200:
        return None
    return dominant_frequency(samples, rate)


def silent_runs(samples: NDArray[np.generic], rate: int, block: float = 0.02) -> list[float]:
    """Lengths (s) of the runs of all-zero 20 ms blocks (finalize writes hold as zeros)."""
    size = int(rate * block)
    blocks = len(samples) // size
    quiet = [not np.any(samples[i * size : (i + 1) * size]) for i in range(blocks)]
    runs: list[float] = []
    length = 0
    for q in [*quiet, False]:
        if q:
            length += 1
        elif length:
            runs.append(length * block)
            length = 0
    return runs
