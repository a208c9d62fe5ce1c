"""Pcaps for the vendor scenarios, and what to look for in the recordings they produce.

SIPp's ``play_pcap_audio`` sends flow *k* of a pcap to the port the 200 OK answered for the
first m-line plus ``dport_k - lowest dport``; ``Flow.offset`` is that difference, so a flow
reaches the m-line whose port srs allocated at that offset (srs allocates p, p+2, …).
Every flow is a steady tone, so a test can tell from the file which flow went where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from srs import testing_media as media
from srs.testing_media import dominant_frequency, rms

BASE_DPORT = 20000
PTIME = 0.02


@dataclass(frozen=True)
class Flow:
    codec: str  # "pcmu" / "pcma"
    freq: float
    seconds: float = 3.0
    offset: int = 0  # port offset from the first answered m-line


def write_pcap(path: Path, flows: Sequence[Flow]) -> Path:
    """Every flow as RTP every 20 ms, packets in send-time order."""
    media.write_pcap(
        path,
        [
            media.tone_flow(
                flow.codec,
                flow.freq,
                flow.seconds,
                ssrc=0x7000 + k,
                ptime=PTIME,
                offset=flow.offset,
            )
            for k, flow in enumerate(flows)
        ],
        base_dport=BASE_DPORT,
    )
    return path


def tone_of(samples: NDArray[np.generic], rate: int) -> float | None:
    """The dominant frequency, or ``None`` for (near) silence."""
    if len(samples) == 0 or rms(samples) < 200:
        return None
    return dominant_frequency(samples, rate)


def silent_runs(samples: NDArray[np.generic], rate: int, block: float = 0.02) -> list[float]:
    """Lengths (s) of the runs of all-zero 20 ms blocks (finalize writes hold as zeros)."""
    size = int(rate * block)
    blocks = len(samples) // size
    quiet = [not np.any(samples[i * size : (i + 1) * size]) for i in range(blocks)]
    runs: list[float] = []
    length = 0
    for q in [*quiet, False]:
        if q:
            length += 1
        elif length:
            runs.append(length * block)
            length = 0
    return runs
