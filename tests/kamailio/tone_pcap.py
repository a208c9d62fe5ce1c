"""The ``audio.pcap`` that SIPp's ``play_pcap_audio`` plays next to a copied SIPREC
scenario: one PCMU tone flow per SIPREC stream, written here so the test knows what it sent.

SIPp replays flow *k* to ``SDP media port + (dport_k - lowest dport)``, so flow *k* goes to
``BASE_DPORT + 2k``: srs's answered ports ``p, p + 2`` in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dpkt

from srs.testing_media import rtp_packets

BASE_DPORT = 10000
BASE_SPORT = 16000
PCAP_EPOCH = 1_700_000_000.0
PTIME = 0.02


def _udp_frame(payload: bytes, sport: int, dport: int) -> bytes:
    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(
        src=b"\x7f\x00\x00\x01", dst=b"\x7f\x00\x00\x01", p=dpkt.ip.IP_PROTO_UDP, data=udp
    )
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(
        src=b"\x02\x00\x00\x00\x00\x01",
        dst=b"\x02\x00\x00\x00\x00\x02",
        type=dpkt.ethernet.ETH_TYPE_IP,
        data=ip,
    )
    return bytes(eth)


def write_tone_pcap(path: Path, freqs: Sequence[float], seconds: float) -> int:
    """One PCMU flow of ``seconds`` per frequency; returns the packets per flow."""
    flows = [
        rtp_packets("pcmu", freq, seconds, ptime=PTIME, ssrc=0x5150 + k)
        for k, freq in enumerate(freqs)
    ]
    with path.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=dpkt.pcap.DLT_EN10MB)
        for i in range(len(flows[0])):
            for k, flow in enumerate(flows):
                writer.writepkt(
                    _udp_frame(flow[i].packet(), BASE_SPORT + 2 * k, BASE_DPORT + 2 * k),
                    ts=PCAP_EPOCH + i * PTIME,
                )
    return len(flows[0])
