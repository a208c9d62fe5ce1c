"""The whole issue #5 bench in one command (~20 min on 2 cores): every table of
docs/performance.md that describes the current code, regenerated in order.

    .venv/bin/python bench/all.py [--quick] [--no-doc]

1. ``bench/run.py --calls 50,100,200 --seconds 20``: capture, setup burst and finalize at
   200 calls/s, with the C and Python sink baselines (section ``default``);
2. ``bench/run.py --calls 500,1000 --seconds 20 --rate 50`` (``high-concurrency``);
3. ``bench/churn.py --rate 50`` (``churn-50``) and ``bench/churn.py`` (``churn``): new calls
   set up and hung up while 500 are up, with the C sink baseline.

Each step prints its own tables; ``--quick`` runs small sizes for a smoke test and never
writes the document.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
HIGH = ["--section", "high-concurrency"]


def steps(quick: bool) -> list[list[str]]:
    if quick:
        return [
            ["run.py", "--calls", "20", "--seconds", "3"],
            ["churn.py", "--base", "20", "--rate", "10", "--seconds", "5"],
        ]
    return [
        ["run.py", "--calls", "50,100,200", "--seconds", "20"],
        [*["run.py", "--calls", "500,1000", "--seconds", "20", "--rate", "50"], *HIGH],
        ["churn.py", "--rate", "50", "--section", "churn-50"],
        ["churn.py"],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, no doc update")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = parser.parse_args()
    failed = 0
    for step in steps(args.quick):
        argv = [sys.executable, str(BENCH / step[0]), *step[1:]]
        if args.quick or args.no_doc:
            argv.append("--no-doc")
        print(f"\n=== {' '.join(step)}", flush=True)
        started = time.monotonic()
        code = subprocess.call(argv)
        print(f"=== exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
