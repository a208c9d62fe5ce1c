"""The tone every interop call plays, and a cache of calls (each case is called once;
several tests then judge the same call)."""

from __future__ import annotations

import wave
from pathlib import Path

from placed_call import Case, PlacedCall, place_calls

from srs.testing import SrsServer
from srs.testing_media import tone

TONE_HZ = 800.0
TONE_AMPLITUDE = 0.5  # of full scale
WAV_RATE = 16000  # pjsua's conference bridge rate: no resampling before the encoder


def write_tone_wav(path: Path, seconds: float = 10.0) -> Path:
    """The tone as a mono 16-bit WAV (pjsua loops it; a call plays a few seconds)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(tone(TONE_HZ, seconds, WAV_RATE, TONE_AMPLITUDE).tobytes())
    return path


class CallBook:
    """Places every case's call together on first use and remembers them."""

    def __init__(self, srs: SrsServer, wav: Path, workdir: Path, cases: list[Case]) -> None:
        self._srs, self._wav, self._workdir, self._cases = srs, wav, workdir, cases
        self._calls: dict[Case, PlacedCall] | None = None

    def get(self, case: Case) -> PlacedCall:
        if self._calls is None:
            self._calls = place_calls(self._srs, self._cases, self._wav, self._workdir)
        return self._calls[case]
