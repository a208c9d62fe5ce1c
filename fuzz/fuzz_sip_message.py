"""Fuzz target for the SIP parser: anything but ``SipParseError`` is a bug.

With atheris installed::

    python fuzz/fuzz_sip_message.py tests/fixtures/corpus/ -max_total_time=600

Without it, each argument (file or directory) is run once through the same checks::

    python fuzz/fuzz_sip_message.py tests/fixtures/corpus/*
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from srs.sip.message import SipParseError, StreamFramer, parse_message
from srs.sip.multipart import parse_multipart


def TestOneInput(data: bytes) -> None:
    """Datagram parse, round trip, stream framing (whole and split) and multipart."""
    try:
        msg = parse_message(data)
    except SipParseError:
        msg = None
    if msg is not None:
        wire = msg.serialize()
        again = parse_message(wire, max_size=len(wire))
        assert again.serialize() == wire, (again, msg)
        for name in ("top_via", "from_", "to", "cseq", "vias"):
            try:
                getattr(msg, name)
            except SipParseError:
                pass
        ctype = msg.headers.get("Content-Type")
        if ctype is not None and msg.body:
            try:
                parse_multipart(ctype, msg.body)
            except SipParseError:
                pass
    try:
        parse_multipart("multipart/mixed;boundary=x", data)
    except SipParseError:
        pass
    whole = StreamFramer(max_header_size=4096, max_body_size=4096)
    events_whole = whole.feed(data)
    split = StreamFramer(max_header_size=4096, max_body_size=4096)
    events_split = []
    step = max(1, len(data) // 7)
    for i in range(0, len(data), step):
        events_split.extend(split.feed(data[i : i + step]))
    assert [repr(e) for e in events_whole] == [repr(e) for e in events_split]
    assert whole.broken == split.broken


def _inputs(args: list[str]) -> list[Path]:
    paths: list[Path] = []
    for arg in args:
        path = Path(arg)
        paths.extend(sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path])
    return paths


def main(argv: list[str]) -> int:
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is not None and not all(Path(a).is_file() for a in argv[1:]):
        atheris.instrument_all()
        atheris.Setup(argv, TestOneInput)
        atheris.Fuzz()
        return 0
    paths = _inputs(argv[1:])
    for path in paths:
        TestOneInput(path.read_bytes())
    print(f"{len(paths)} inputs ran, only SipParseError seen")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
