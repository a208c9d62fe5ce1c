"""Finding a recording the caller may see, acting on it and auditing that: one place for
tenant, agent, deletion and permission rules.

Other packages (media, links) call :func:`visible_recording` or :func:`guarded_recording`
before serving anything, and :func:`audit_recording` after.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from api.audit.services import audit
from api.auth.access import DELETE, Principal, allowed, check_visible, require
from api.errors import NotFoundError
from api.state import AppState
from srs.storage import RecordingRecord
from srs.storage.models import RecordingAnnotation


def visible_recording(
    app_state: AppState,
    principal: Principal,
    recording_id: str,
    *,
    include_deleted: bool = False,
) -> tuple[RecordingRecord, RecordingAnnotation | None]:
    """The recording and its annotation, or 404 when it does not exist, belongs to
    another tenant (or, for agents, another agent) or is soft-deleted (unless
    ``include_deleted`` and the caller may delete)."""
    record = app_state.repository.get_recording(recording_id)
    if record is None:
        raise NotFoundError(f"recording {recording_id!r} not found", field="recording_id")
    tenant = app_state.catalog.tenant_of_session(recording_id)
    annotation = app_state.catalog.annotation(recording_id)
    check_visible(
        principal, "recording", recording_id, tenant, annotation.agent_id if annotation else None
    )
    deleted = annotation is not None and annotation.deleted_at is not None
    if deleted and not (include_deleted and allowed(principal, DELETE)):
        raise NotFoundError(f"recording {recording_id!r} not found", field="recording_id")
    return record, annotation


def audit_recording(
    app_state: AppState,
    principal: Principal | None,
    connection: ASGIConnection[Any, Any, Any, Any],
    recording_id: str,
    action: str,
    *,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit entry for ``action`` on ``recording_id``, in the recording's tenant."""
    audit(
        app_state,
        principal,
        action,
        "recording",
        recording_id,
        tenant_id=app_state.catalog.tenant_of_session(recording_id),
        outcome=outcome,
        detail=detail,
        connection=connection,
    )


def guarded_recording(
    app_state: AppState,
    principal: Principal,
    connection: ASGIConnection[Any, Any, Any, Any],
    recording_id: str,
    permission: str,
    action: str,
    *,
    include_deleted: bool = False,
) -> RecordingRecord:
    """The recording if ``principal`` may see it and has ``permission``: an invisible one
    is answered 404 (not audited: it is not there for the caller), a refusal 403 and
    audited as ``action`` with ``outcome="denied"``."""
    record, _ = visible_recording(
        app_state, principal, recording_id, include_deleted=include_deleted
    )
    if not allowed(principal, permission):
        audit_recording(app_state, principal, connection, recording_id, action, outcome="denied")
        require(principal, permission)
    return record
