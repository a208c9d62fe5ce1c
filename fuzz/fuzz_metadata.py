"""Fuzz target for SIPREC metadata: ``parse_metadata`` plus a timeline merge.

With atheris installed:  ``python fuzz/fuzz_metadata.py [atheris/libFuzzer options] [corpus dir]``
Standalone (no atheris, or only file arguments): ``python fuzz/fuzz_metadata.py [FILES|DIRS]``
runs each input once; without arguments it runs the metadata parts of
tests/fixtures/corpus, every prefix of a few of them, and ``--standalone N`` (default 5000)
seeded random mutations.  ``parse_metadata`` must never raise nor report an internal error;
the timeline must accept whatever it returns.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "metadata"))

from srs.metadata import MetadataTimeline, parse_metadata  # noqa: E402

_BASE = parse_metadata(
    b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>complete</datamode>"
    b"<participant participant_id='a'><nameID aor='sip:a@b'/></participant>"
    b"<stream stream_id='s' session_id='x'><label>1</label></stream>"
    b"<participantstreamassoc participant_id='a'><send>s</send></participantstreamassoc>"
    b"</recording>"
)
_TOKENS = [b"<", b">", b"&", b"</x>", b"<sip:a@b>", b"]]>", b"\x00", b"<![CDATA[", b"=", b"'"]


def TestOneInput(data: bytes) -> None:  # atheris naming
    doc = parse_metadata(data, "application/rs-metadata+xml")
    internal = [e for e in doc.errors if e.startswith("internal error")]
    assert not internal, internal
    json.dumps(doc.to_json())
    timeline = MetadataTimeline()
    timeline.apply(_BASE, 0.0)
    timeline.apply(doc, 1.0)
    for stream in timeline.streams:
        if stream.label is not None:
            timeline.stream_sender(stream.label)
    json.dumps(timeline.to_json())


def _seeds() -> list[bytes]:
    from corpus_extract import corpus_files, extract

    return [body for path in corpus_files() for _, body in extract(path).metadata]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        if not out:
            break
        at = rng.randrange(len(out))
        op = rng.randrange(5)
        if op == 0:
            out[at] = rng.randrange(256)
        elif op == 1:
            del out[at : at + rng.randint(1, 60)]
        elif op == 2:
            out[at:at] = rng.choice(_TOKENS)
        elif op == 3:
            del out[at:]
        else:
            out[at:at] = out[at : at + rng.randint(1, 200)]
    return bytes(out)


def _inputs(args: list[str]) -> list[Path]:
    paths: list[Path] = []
    for arg in args:
        path = Path(arg)
        paths.extend(sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path])
    return paths


def main(argv: list[str]) -> int:
    args = argv[1:]
    if args[:1] == ["--standalone"]:
        count = int(args[1]) if len(args) > 1 else 5000
        seeds = _seeds()
        for seed in seeds:
            TestOneInput(seed)
        for seed in seeds[:5]:
            for end in range(len(seed)):
                TestOneInput(seed[:end])
        rng = random.Random(7865)
        for _ in range(count):
            TestOneInput(_mutate(rng, rng.choice(seeds)))
        print(f"{len(seeds)} seeds, their prefixes and {count} mutations ran, no error")
        return 0
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is not None and not all(Path(a).is_file() for a in args):
        atheris.instrument_all()
        atheris.Setup(argv, TestOneInput)
        atheris.Fuzz()
        return 0
    paths = _inputs(args)
    if not paths:
        return main([argv[0], "--standalone"])
    for path in paths:
        TestOneInput(path.read_bytes())
    print(f"{len(paths)} inputs ran, no error")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
