"""Fixtures of the SIPp end-to-end suite: a shared ``srs serve`` and a log directory.

Tests that need a differently configured server start their own (module-scoped where
several tests can share it); see ``harness.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import SrsServer, e2e_server, running

from srs.testing import pytest_runtest_makereport  # noqa: F401  (hook: logs of failures)


@pytest.fixture(scope="session")
def srs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    """The default server (UDP and TCP on one port, TLS on another), shared by every
    test it suits."""
    with running(e2e_server(tmp_path_factory.mktemp("srs-default"), tls=True)) as server:
        yield server


@pytest.fixture
def logroot(tmp_path: Path) -> Path:
    """Where a test's SIPp runs put their logs (printed when SIPp fails)."""
    return tmp_path
