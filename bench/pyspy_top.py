"""Where srs's time goes, from a ``py-spy record --format raw`` file (collapsed stacks).

    .venv/bin/python bench/pyspy_top.py bench/out/pyspy-window-1000.txt [--top 25]

Prints the functions with the most samples on top of the stack (self) and anywhere in
the stack (inclusive), as a share of all samples.  Line numbers are dropped so one
function's samples add up.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def frame_name(frame: str) -> str:
    """``handle (srs/sip/endpoint.py:120)`` -> ``handle (srs/sip/endpoint.py)``."""
    return _LINE.sub(")", frame.strip())


def tally(text: str) -> tuple[int, Counter[str], Counter[str]]:
    """``(samples, self counts, inclusive counts)`` over collapsed-stack lines."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame_name(f) for f in stack.split(";") if f]
        total += count
        if frames:
            own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    return total, own, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total, own, inclusive = tally(args.path.read_text())
    if not total:
        raise SystemExit(f"{args.path}: no samples")
    for title, counts in (("self", own), ("inclusive", inclusive)):
        print(f"-- {title} ({total} samples)")
        for name, count in counts.most_common(args.top):
            print(f"{100 * count / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
