"""Fuzz target for the SDP parser, serializer and offer/answer.

With atheris installed:  ``python fuzz/fuzz_sdp.py [atheris/libFuzzer options] [corpus dir]``
Without it (or with ``--standalone``) every file or directory argument is replayed once,
defaulting to ``tests/fixtures/corpus``; any exception other than ``SdpError`` is a bug.
"""

from __future__ import annotations

import sys
from pathlib import Path

from srs.sdp import SdpError, SessionDescription
from srs.sdp.answer import NegotiationError, Negotiator

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"


class _Ports:
    """An allocator that runs dry after a few ports, to reach the exhaustion paths too."""

    def __init__(self) -> None:
        self.free = [20000 + 2 * i for i in range(6)]

    def allocate(self) -> int | None:
        return self.free.pop() if self.free else None

    def release(self, port: int) -> None:
        assert port not in self.free, f"port {port} released twice"
        self.free.append(port)


def TestOneInput(data: bytes) -> None:  # atheris naming
    try:
        desc = SessionDescription.parse(data)
    except SdpError:
        return
    out = desc.serialize()
    again = SessionDescription.parse(out)
    assert again == desc, "parse(serialize(d)) != d"
    assert again.serialize() == out, "serialize is not stable"
    for media in desc.media:
        media.codecs()
        media.fmtp()
        media.crypto()
        _ = media.rtcp, media.ptime, media.label
        desc.direction_for(media)
        desc.connection_for(media)
    ports = _Ports()
    negotiator = Negotiator(ports, address="192.0.2.1", session_id=1, random_bytes=bytes)
    for initial in (True, False):
        try:
            answer = negotiator.answer(desc, initial=initial)
        except NegotiationError:
            continue
        assert answer.sdp is not None
        parsed = SessionDescription.parse(answer.sdp)
        assert len(parsed.media) == len(desc.media), "one answer m-line per offer m-line"
    negotiator.release()
    assert len(ports.free) == 6, "ports leaked"


def _replay(paths: list[str]) -> int:
    count = 0
    for arg in paths or [str(DEFAULT_CORPUS)]:
        path = Path(arg)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            TestOneInput(file.read_bytes())
            count += 1
    print(f"replayed {count} inputs")
    return 0


def main(argv: list[str]) -> int:
    standalone = "--standalone" in argv
    args = [a for a in argv[1:] if a != "--standalone"]
    try:
        import atheris
    except ImportError:
        standalone = True
    if standalone:
        return _replay([a for a in args if not a.startswith("-")])
    atheris.instrument_all()
    atheris.Setup([argv[0], *args], TestOneInput)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
