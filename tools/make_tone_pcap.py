#!/usr/bin/env python3
"""Write a pcap of an RTP tone for SIPp's ``play_pcap_audio`` (and Wireshark).

    python tools/make_tone_pcap.py --codec pcmu --freq 440 --seconds 5 out.pcap

Ethernet/IPv4/UDP frames, one RTP packet per ``--ptime`` ms with capture timestamps
paced at that interval: SIPp replays the UDP payloads with the same pacing to the media
port negotiated in SDP (addresses and ports in the file do not matter to it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dpkt

# run from a checkout without installing: make ``srs`` importable
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from srs.testing_media import CODEC_RATES, rtp_packets

SRC = ("127.0.0.1", 6000)
DST = ("127.0.0.1", 6002)


def _ip(addr: str) -> bytes:
    return bytes(int(part) for part in addr.split("."))


def frame(payload: bytes) -> bytes:
    """One Ethernet/IPv4/UDP frame carrying ``payload`` (checksums filled by dpkt)."""
    udp = dpkt.udp.UDP(sport=SRC[1], dport=DST[1], data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=_ip(SRC[0]), dst=_ip(DST[0]), p=dpkt.ip.IP_PROTO_UDP, ttl=64, data=udp)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(
        src=b"\x02\x00\x00\x00\x00\x01",
        dst=b"\x02\x00\x00\x00\x00\x02",
        type=dpkt.ethernet.ETH_TYPE_IP,
        data=ip,
    )
    return bytes(eth)


def write_pcap(
    path: Path, packets: list[bytes], ptime: float, start: float = 1_700_000_000.0
) -> None:
    with path.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=dpkt.pcap.DLT_EN10MB)
        for i, packet in enumerate(packets):
            writer.writepkt(frame(packet), ts=start + i * ptime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codec", choices=sorted(CODEC_RATES), default="pcmu")
    parser.add_argument("--freq", type=float, default=440.0, help="tone frequency in Hz")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--ptime", type=int, default=20, help="packet interval in ms")
    parser.add_argument(
        "--pt", type=int, default=None, help="payload type (default: the usual one)"
    )
    parser.add_argument("--ssrc", type=lambda v: int(v, 0), default=0x5EED)
    parser.add_argument("--amplitude", type=float, default=0.5, help="fraction of full scale")
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    ptime = args.ptime / 1000
    frames = rtp_packets(
        args.codec,
        args.freq,
        args.seconds,
        ptime=ptime,
        ssrc=args.ssrc,
        pt=args.pt,
        amplitude=args.amplitude,
    )
    write_pcap(args.output, [f.packet() for f in frames], ptime)
    print(
        f"{args.output}: {len(frames)} {args.codec} packets, pt {frames[0].pt}, {args.ptime} ms apart"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
