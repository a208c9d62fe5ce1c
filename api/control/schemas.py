"""Bodies of the live-control and annotation endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.structs import PatchBody


class KeepIn(msgspec.Struct):
    """``keep: false`` discards the recording when the call ends (nothing is finalized)."""

    keep: bool


class ControlOut(msgspec.Struct):
    """The control state of a live recording after the request was applied."""

    recording_id: str
    paused: bool
    muted: list[str]
    keep: bool
    intervals: list[dict[str, Any]]
    applied_at: datetime


class AnnotationIn(PatchBody):
    """Fields to change; absent fields stay, ``null`` clears (``flag`` 0 clears)."""

    notes: str | msgspec.UnsetType | None = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    flag: int | msgspec.UnsetType = msgspec.UNSET
    agent_id: str | msgspec.UnsetType | None = msgspec.UNSET
    agent_name: str | msgspec.UnsetType | None = msgspec.UNSET
    client_id: str | msgspec.UnsetType | None = msgspec.UNSET
    campaign_id: str | msgspec.UnsetType | None = msgspec.UNSET


class AnnotationOut(msgspec.Struct):
    """What people and policy attached to a recording."""

    recording_id: str
    tenant_id: str | None
    notes: str | None
    tags: list[str]
    flag: int
    agent_id: str | None
    agent_name: str | None
    client_id: str | None
    campaign_id: str | None
    keep: bool
    intervals: list[dict[str, Any]]
    deleted_at: datetime | None
    legal_hold: bool
    hold_reason: str | None
    retain_until: datetime | None
    updated_at: datetime | None
