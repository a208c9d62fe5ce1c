"""Who may fetch a recording's media, and the audit trail of every fetch.

Logged-in callers go through :func:`api.recordings.access.visible_recording` (tenant,
agent and soft-delete rules, 404 when hidden) and need the ``playback`` permission, as
``GetRecordingMedia`` does.  Signed-link callers have no principal: the link is the
credential, but a soft-deleted recording is gone for them too.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from api.audit.services import audit
from api.auth.access import PLAYBACK, Principal, allowed, require
from api.errors import NotFoundError
from api.recordings.access import visible_recording
from api.state import AppState
from srs.storage import RecordingRecord


def record_media_access(
    app_state: AppState,
    principal: Principal | None,
    connection: ASGIConnection[Any, Any, Any, Any],
    recording_id: str,
    action: str,
    *,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit entry for a playback, download or share of ``recording_id``."""
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


def playable_recording(
    app_state: AppState,
    principal: Principal,
    connection: ASGIConnection[Any, Any, Any, Any],
    recording_id: str,
    action: str,
) -> RecordingRecord:
    """The recording if ``principal`` may see and play it; a refusal is audited (as
    ``action``) and answered 403, an invisible recording 404."""
    record, _ = visible_recording(app_state, principal, recording_id)
    if not allowed(principal, PLAYBACK):
        record_media_access(
            app_state, principal, connection, recording_id, action, outcome="denied"
        )
        require(principal, PLAYBACK)
    return record


def shared_recording(app_state: AppState, recording_id: str) -> RecordingRecord:
    """The recording a verified signed link points to; 404 once it is soft-deleted."""
    record = app_state.repository.get_recording(recording_id)
    annotation = app_state.catalog.annotation(recording_id)
    if record is None or (annotation is not None and annotation.deleted_at is not None):
        raise NotFoundError(f"recording {recording_id!r} not found", field="recording_id")
    return record
