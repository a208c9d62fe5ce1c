"""Shared by live control and recording updates: visibility, annotation output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.auth.access import Principal, check_visible
from api.control.schemas import AnnotationOut
from api.errors import NotFoundError
from api.state import AppState
from api.structs import struct_from
from srs.storage.models import RecordingAnnotation


def annotation_out(
    recording_id: str, row: RecordingAnnotation | None, tenant: str | None = None
) -> AnnotationOut:
    """The annotation of ``recording_id``; without a row, what a new one would hold."""
    stored = row is not None
    row = row or RecordingAnnotation(recording_id=recording_id)  # the defaults, not saved
    return struct_from(
        AnnotationOut,
        row,
        recording_id=recording_id,
        tenant_id=row.tenant_id or tenant,
        tags=[str(t) for t in row.tags],
        intervals=[dict(i) for i in row.intervals if isinstance(i, Mapping)],
        updated_at=row.updated_at if stored else None,
    )


def live_owner(
    app_state: AppState, snapshot: Mapping[str, Any], row: RecordingAnnotation | None
) -> tuple[str, str | None]:
    """``(tenant, agent id)`` of a live session: the annotation's, else derived."""
    tenant = row.tenant_id if row is not None and row.tenant_id else None
    return tenant or app_state.tenants.tenant_for_snapshot(snapshot), row.agent_id if row else None


def stored_owner(app_state: AppState, recording_id: str) -> tuple[str | None, str | None]:
    """``(tenant, agent id)`` of a stored session or recording (``None`` tenant: unknown)."""
    tenant = app_state.catalog.tenant_of_session(recording_id)
    row = app_state.catalog.annotation(recording_id)
    return tenant, row.agent_id if row else None


def check_session_visible(
    app_state: AppState,
    principal: Principal,
    recording_id: str,
    snapshot: Mapping[str, Any] | None,
) -> str:
    """404 unless the session (live: ``snapshot``, else stored) exists and the principal
    may see it; returns its tenant.  Runs in a worker thread (database); the caller reads
    ``snapshot`` from the live registry on the event loop, which owns it."""
    tenant: str | None
    if snapshot is not None:
        tenant, agent = live_owner(app_state, snapshot, app_state.catalog.annotation(recording_id))
    else:
        tenant, agent = stored_owner(app_state, recording_id)
    if tenant is None:
        raise NotFoundError(f"session {recording_id!r} not found", field="session_id")
    check_visible(principal, "session", recording_id, tenant, agent)
    return tenant
