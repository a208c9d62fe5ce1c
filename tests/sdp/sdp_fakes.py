"""A deterministic port allocator for offer/answer tests."""

from __future__ import annotations

from srs.testing import FakePorts

__all__ = ["FakePorts"]


def zero_key(length: int) -> bytes:
    return bytes(range(length))
