"""Fixtures: one real ``srs serve`` for the interop tests and the tone WAV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from call_book import write_tone_wav
from srs_process import interop_server

from srs.testing import (
    SrsServer,
    pytest_runtest_makereport,  # noqa: F401  (hook: server logs in failure reports)
    running,
)


@pytest.fixture(scope="session")
def srs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    with running(interop_server(tmp_path_factory.mktemp("srs"))) as srs:
        yield srs


@pytest.fixture(scope="session")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tone_wav(tmp_path_factory.mktemp("wav") / "tone.wav")
