"""Garbage-collector policy for the long-running ``srs serve`` process.

CPython's default generation-0 threshold (700 container allocations) runs a young
collection every few hundred datagrams (each ``recvfrom`` returns a tuple) and every few
SIP messages, and each one also walks what survived into the older generations.  Live
recordings are long-lived object graphs without reference cycles worth chasing quickly,
so srs freezes what start-up created (imports, configuration, plugins: never garbage)
and collects the young generation less often.  Measured with
``bench/setup_microbench.py`` style loops: ~10 % of the SIP setup path's CPU at 1,000
live sessions (see docs/performance.md).
"""

from __future__ import annotations

import gc

#: generation-0 threshold while serving (CPython's default is 700)
SERVING_GEN0_THRESHOLD = 20_000


def tune_for_serving(gen0: int = SERVING_GEN0_THRESHOLD) -> tuple[int, int, int]:
    """Freeze the start-up heap and raise the young-generation threshold; returns the
    previous thresholds (tests restore them)."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(gen0, previous[1], previous[2])
    return previous
