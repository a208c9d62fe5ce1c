"""Fuzz target for CUCM fork reading and pairing: ``BibLeg.from_from_header`` + ``BibPairer``.

With atheris installed:  ``python fuzz/fuzz_bib_leg.py [atheris/libFuzzer options] [corpus dir]``
Standalone (no atheris, or only file arguments): ``python fuzz/fuzz_bib_leg.py [FILES|DIRS]``
runs each input once; without arguments it runs the From headers of the Cisco corpus files,
every prefix of them, and ``--standalone N`` (default 5000) seeded random mutations.
Reading must return a leg or ``None``, or raise ``BibHeaderError`` — nothing else; the pairer
must accept whatever leg comes out.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from srs_cisco_bib.leg import BibHeaderError, BibLeg
from srs_cisco_bib.pairing import BibPairer

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "corpus"
_TOKENS = [
    "x-nearend",
    "x-farend",
    ";",
    "=",
    '"',
    "<",
    ">",
    "\r\n",
    "\\",
    "x-refci=",
    "tag=",
    "\x00",
]


def seeds() -> list[str]:
    """The From header values of the Cisco corpus files."""
    out: list[str] = []
    for path in sorted(CORPUS.glob("cisco-*")):
        text = path.read_text(encoding="utf-8", errors="replace")
        at = text.find("From:")
        if at >= 0:
            out.append(text[at + 5 :].split("\nTo:", 1)[0].strip())
    return out


def TestOneInput(data: bytes) -> None:  # atheris naming
    value = data.decode("utf-8", errors="replace")
    try:
        leg = BibLeg.from_from_header(value, dialog_id="fuzz")
    except BibHeaderError:
        return
    if leg is None:
        return
    assert leg.refci and leg.role in ("nearend", "farend")
    pairer = BibPairer(wait=1.0)
    event = pairer.add_leg(leg, now=0.0)
    assert pairer.group(event.group_id) is not None
    assert len(pairer.handle_timer(5.0)) == 1


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(3)
        at = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(at, len(chars) - 1)]
        elif op == 1:
            chars[at:at] = list(rng.choice(_TOKENS))
        elif chars:
            chars[min(at, len(chars) - 1)] = chr(rng.randrange(32, 127))
    return "".join(chars)


def run_standalone(iterations: int, seed: int = 7) -> int:
    """Seeds, their prefixes, then seeded mutations; returns the number of inputs run."""
    rng = random.Random(seed)
    base = seeds()
    count = 0
    for value in base:
        for end in range(len(value) + 1):
            TestOneInput(value[:end].encode())
            count += 1
    for _ in range(iterations):
        TestOneInput(mutate(rng, rng.choice(base)).encode())
        count += 1
    return count


def main(argv: list[str]) -> None:
    files = [Path(a) for a in argv if not a.startswith("-")]
    if files and all(p.exists() for p in files):
        for path in files:
            for item in sorted(path.iterdir()) if path.is_dir() else [path]:
                TestOneInput(item.read_bytes())
        return
    try:
        import atheris
    except ImportError:
        count = int(argv[argv.index("--standalone") + 1]) if "--standalone" in argv else 5000
        print(f"ran {run_standalone(count)} inputs")
        return
    atheris.Setup([sys.argv[0], *argv], TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1:])
