"""Shared fixtures: a registry with built-in and vendor dialects, registered directly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from srs.metadata import DialectRegistry, default_registry, load_vendor_dialects

sys.path.insert(0, str(Path(__file__).resolve().parent))


def full_registry() -> DialectRegistry:
    registry = default_registry()
    loaded = load_vendor_dialects(registry)
    assert loaded, "srs-vendor-dialects is not installed (pip install -e plugins/vendor-dialects)"
    return registry


@pytest.fixture(scope="session")
def registry() -> DialectRegistry:
    return full_registry()
