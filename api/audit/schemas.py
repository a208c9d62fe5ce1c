"""Response bodies of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditEntryOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    actor_id: int | None
    tenant_id: str | None
    action: str
    target_type: str
    target_id: str | None
    outcome: str
    remote: str | None
    detail: dict[str, Any]


class AuditPage(msgspec.Struct):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
