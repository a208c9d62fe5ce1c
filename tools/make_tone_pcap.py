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

# run from a checkout without installing: make ``srs`` importable
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from srs.testing_media import CODEC_RATES, tone_flow, write_pcap

SPORT, DPORT = 6000, 6002  # any will do: SIPp sends to the port negotiated in SDP


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
    flow = tone_flow(
        args.codec,
        args.freq,
        args.seconds,
        ssrc=args.ssrc,
        ptime=ptime,
        pt=args.pt,
        phase=0.0,
        amplitude=args.amplitude,
        offset=0,
    )
    write_pcap(args.output, [flow], base_dport=DPORT, base_sport=SPORT)
    frames = flow.frames
    print(
        f"{args.output}: {len(frames)} {args.codec} packets, pt {frames[0].pt}, {args.ptime} ms apart"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
