"""Deterministic collaborators for recorder tests: ports, ids, keys."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from srs.testing import FakePorts

__all__ = ["FakePorts"]


def id_sequence(prefix: str = "rec") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def counting_key(length: int) -> bytes:
    return bytes(range(length))
