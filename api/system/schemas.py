"""Response bodies of the system endpoints."""

from __future__ import annotations

import msgspec


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    checks: dict[str, str]


class Version(msgspec.Struct):
    name: str
    version: str
