"""Fixtures of the SIPp end-to-end suite: a shared ``srs serve`` and a log directory.

Tests that need a differently configured server start their own (module-scoped where
several tests can share it); see ``harness.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import SrsServer, running


@pytest.fixture(scope="session")
def srs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    """The default server (UDP and TCP on one port, TLS on another), shared by every
    test it suits."""
    with running(SrsServer(tmp_path_factory.mktemp("srs-default"), tls=True)) as server:
        yield server


@pytest.fixture
def logroot(tmp_path: Path) -> Path:
    """Where a test's SIPp runs put their logs (printed when SIPp fails)."""
    return tmp_path
