"""Fixtures for the plugin framework tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from srs.testing import pytest_runtest_makereport  # noqa: F401  (hook: logs of failures)

from .throwaway import build_and_install


@pytest.fixture(scope="session")
def throwaway_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the pip-installed throw-away plugin distribution."""
    return build_and_install(tmp_path_factory.mktemp("throwaway"))


@pytest.fixture
def installed_plugin(throwaway_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make the throw-away distribution visible to ``importlib.metadata`` for one test."""
    monkeypatch.syspath_prepend(str(throwaway_site))
    yield throwaway_site
    for name in ("throwaway_plugin", "typo_plugin"):
        sys.modules.pop(name, None)
