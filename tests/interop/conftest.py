"""Fixtures: one real ``srs serve`` for the interop tests, a tone WAV, and a cache of calls
(each case is called once; several tests then judge the same call)."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from placed_call import Case, PlacedCall, place_call
from srs_process import SrsProcess, running_srs

from srs.testing_media import tone

TONE_HZ = 800.0
TONE_AMPLITUDE = 0.5  # of full scale
WAV_RATE = 16000  # pjsua's conference bridge rate: no resampling before the encoder


@pytest.fixture(scope="session")
def srs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsProcess]:
    with running_srs(tmp_path_factory.mktemp("srs")) as srs:
        yield srs


@pytest.fixture(scope="session")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 s of the tone (pjsua loops it; it plays at most a few seconds)."""
    path = tmp_path_factory.mktemp("wav") / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(tone(TONE_HZ, 10.0, WAV_RATE, TONE_AMPLITUDE).tobytes())
    return path


class CallBook:
    """Places each case's call on first use and remembers it."""

    def __init__(self, srs: SrsProcess, wav: Path, workdir: Path) -> None:
        self._srs, self._wav, self._workdir = srs, wav, workdir
        self._calls: dict[Case, PlacedCall] = {}

    def get(self, case: Case) -> PlacedCall:
        if case not in self._calls:
            self._calls[case] = place_call(self._srs, case, self._wav, self._workdir)
        return self._calls[case]


@pytest.fixture(scope="session")
def calls(
    srs_server: SrsProcess, tone_wav: Path, tmp_path_factory: pytest.TempPathFactory
) -> CallBook:
    return CallBook(srs_server, tone_wav, tmp_path_factory.mktemp("calls"))
