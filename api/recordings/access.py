"""Finding a recording the caller may see: one place for tenant, agent and deletion rules.

Other packages (media, links) call :func:`visible_recording` before serving anything.
"""

from __future__ import annotations

from api.auth.access import DELETE, Principal, allowed, check_visible
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
