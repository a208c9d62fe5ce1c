"""Writing audit entries: every playback, download, control, change and delete.

Other packages call :func:`audit` (sync; from an ``async`` handler wrap it in
``anyio.to_thread.run_sync``).  Denied attempts are audited too (``outcome="denied"``).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from api.state import AppState
from srs.storage.accounts import AuditEntry, Identity


def remote_of(connection: ASGIConnection[Any, Any, Any, Any] | None) -> str | None:
    if connection is None or connection.client is None:
        return None
    return f"{connection.client.host}:{connection.client.port}"


def audit(
    state: AppState,
    principal: Identity | None,
    action: str,
    target_type: str,
    target_id: str | None,
    *,
    tenant_id: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    connection: ASGIConnection[Any, Any, Any, Any] | None = None,
) -> AuditEntry:
    """Append one entry; ``tenant_id`` defaults to the principal's tenant."""
    return state.accounts.add_audit(
        AuditEntry(
            actor_id=principal.user_id if principal else None,
            actor=principal.username if principal else "-",
            tenant_id=tenant_id
            if tenant_id is not None or principal is None
            else principal.tenant_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            remote=remote_of(connection),
            detail=dict(detail or {}),
        )
    )
