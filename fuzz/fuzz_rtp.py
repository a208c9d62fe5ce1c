"""Fuzz target for the RTP, RFC 4733 and RTCP parsers (and SRTP unprotect on garbage).

With atheris installed:  ``python fuzz/fuzz_rtp.py [atheris/libFuzzer options] [corpus dir]``
Without it (or with ``--standalone [N]``) the built-in seeds, every prefix of them, and N
(default 20000) seeded random mutations are run once; any exception other than
``RtpError``/``RtcpError`` is a bug.
"""

from __future__ import annotations

import random
import sys

from srs.media.rtcp import RtcpError, parse_compound, serialize
from srs.media.rtp import (
    RtpError,
    is_rtcp,
    parse_dtmf,
    parse_rtp,
    payload_bounds,
    peek_header,
    seq_diff,
)
from srs.media.srtp import SrtpReceiver, generate_crypto

SEEDS = [
    bytes.fromhex("80000001000000a0deadbeef" + "ff7f00fe"),
    bytes.fromhex("b2880102000001f4000000070000000a0000000bbede000110aa0000d5d5000003"),
    bytes.fromhex("80650064000003e8000000010" + "58a0320"),  # telephone-event
    bytes.fromhex("81c8000c00001234e80000008000000000000640" + "0000000a00000640")
    + bytes.fromhex("0000567819fffffe0001006400000020aabbccdd00010000"),
    bytes.fromhex("81ca00030000123401046162636400008" + "1cb00030000123404627965" + "21000000"),
]
_RECEIVER = SrtpReceiver(generate_crypto())


def TestOneInput(data: bytes) -> None:  # atheris naming
    if is_rtcp(data):
        try:
            packets = parse_compound(data)
        except RtcpError:
            pass
        else:
            for item in packets:
                serialize(item)  # whatever parsed must serialize
        _RECEIVER.unprotect_rtcp(data)
        return
    try:
        header = peek_header(data)
    except RtpError:
        header = None
    try:
        start, end = payload_bounds(data)
    except RtpError:
        pass
    else:
        assert header is not None, "payload_bounds accepted what peek_header rejected"
        assert 12 <= start <= end <= len(data)
        packet = None
        try:
            packet = parse_rtp(data)
        except RtpError:
            pass  # RFC 8285 element errors only
        if packet is not None:
            assert packet.payload == data[start:end]
            assert seq_diff(packet.sequence_number, header.seq) == 0
        try:
            parse_dtmf(data[start:end])
        except RtpError:
            pass
    _RECEIVER.unprotect(data)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        if op == 0 and buf:
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:
            del buf[rng.randrange(len(buf)) :]
        elif op == 2:
            buf.insert(rng.randrange(len(buf) + 1), rng.randrange(256))
        elif buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def standalone(iterations: int = 20000, seed: int = 0) -> int:
    rng = random.Random(seed)
    count = 0
    for data in SEEDS:
        for end in range(len(data) + 1):
            TestOneInput(data[:end])
            count += 1
    for _ in range(iterations):
        TestOneInput(_mutate(rng, rng.choice(SEEDS)))
        count += 1
    return count


def main() -> None:
    if "--standalone" in sys.argv:
        rest = sys.argv[sys.argv.index("--standalone") + 1 :]
        print(f"{standalone(int(rest[0]) if rest else 20000)} inputs, no crash")
        return
    try:
        import atheris
    except ImportError:
        print(f"{standalone()} inputs, no crash (atheris not installed)")
        return
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
