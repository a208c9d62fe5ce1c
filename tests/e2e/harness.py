"""What the SIPp end-to-end suite adds to :mod:`srs.testing`: its server configuration,
its SIPp call shape (one call, Call-ID known up front, messages traced) and the audio
analysis of the recordings.

Every failure message carries SIPp's logs and the server log: an e2e failure is only useful
if it can be diagnosed from the test report alone.
"""

from __future__ import annotations

import io
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from srs.testing import (
    HOST,
    SCENARIOS,
    SippRun,
    SrsServer,
    free_port,
    free_port_range,
    prepare_srs_server,
    running,
    scenario_copy,
    sipp_run,
)

__all__ = ["HOST", "SCENARIOS", "SippRun", "SrsServer", "free_port", "running", "scenario_copy"]


def e2e_server(
    workdir: Path,
    *,
    sip: dict[str, Any] | None = None,
    media: dict[str, Any] | None = None,
    recording: dict[str, Any] | None = None,
    tls: bool = False,
) -> SrsServer:
    """A server (not started: use :func:`running`) with an admin API key, a 200-port media
    range (the allocator hands ports out in order, which the 2-flow pcaps rely on) and
    ``sip``/``media``/``recording`` settings over the defaults."""
    low, high = free_port_range(200)
    return prepare_srs_server(
        workdir,
        config={
            "sip": sip or {},
            "media": {"port_min": low, "port_max": high, **(media or {})},
            "recording": recording or {},
            "logging": {"level": "INFO"},
        },
        tls=tls,
        api_key=True,
    )


def sipp(
    scenario: Path,
    server: SrsServer,
    transport: str,
    logroot: Path,
    *,
    pause_ms: int | None = None,
    port: int | None = None,
    timeout_s: int = 40,
) -> SippRun:
    """A SIPp UAC run (not started) for one call of ``scenario`` to ``server`` (or to its
    ``port``), the Call-ID fixed up front so the test can find the recording."""
    run = sipp_run(
        scenario,
        (HOST, port) if port else server,
        logroot,
        transport=transport,
        pause_ms=pause_ms,
        timeout=timeout_s,
        call_id_prefix=f"e2e-{uuid.uuid4().hex[:8]}",
    )
    run.server, run.cwd = server, run.logdir
    return run


def play(pcap: str, pause_ms: int) -> str:
    """Scenario XML: start replaying ``pcap`` (next to the scenario) and wait."""
    return (
        f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
        f'  <pause milliseconds="{pause_ms}"/>'
    )


def pause(ms: int) -> str:
    return f'<pause milliseconds="{ms}"/>'


# --- audio analysis ---------------------------------------------------------------------


@dataclass
class Audio:
    rate: int
    channels: NDArray[np.int16]  # shape (channels, frames)

    @classmethod
    def from_wav(cls, data: bytes) -> Audio:
        with wave.open(io.BytesIO(data)) as wav:
            assert wav.getsampwidth() == 2, f"not 16-bit PCM: {wav.getsampwidth()} bytes"
            rate, count, frames = wav.getframerate(), wav.getnchannels(), wav.getnframes()
            raw = np.frombuffer(wav.readframes(frames), dtype="<i2")
        return cls(rate, raw.reshape(-1, count).T.copy())

    @property
    def duration(self) -> float:
        return self.channels.shape[1] / self.rate

    def segment(self, channel: int, start: float, end: float) -> NDArray[np.int16]:
        return self.channels[channel, round(start * self.rate) : round(end * self.rate)]

    def silences(self, channel: int, min_seconds: float = 0.02) -> list[tuple[float, float]]:
        """(start, end) seconds of every run of digital silence at least ``min_seconds``."""
        return silent_runs(self.channels[channel], self.rate, min_seconds)


def recorded_audio(server: SrsServer, recording: dict[str, Any]) -> Audio:
    """The recording's audio, downloaded through the API."""
    return Audio.from_wav(server.get_bytes(recording["media_url"]))


def silent_runs(
    samples: NDArray[np.int16], rate: int, min_seconds: float
) -> list[tuple[float, float]]:
    zero = np.concatenate(([False], samples == 0, [False]))
    edges = np.flatnonzero(zero[1:] != zero[:-1])
    runs = []
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        if hi - lo >= min_seconds * rate:
            runs.append((lo / rate, hi / rate))
    return runs
