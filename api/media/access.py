"""Who may fetch a recording's media, and the audit trail of every fetch.

Logged-in callers go through :func:`api.recordings.access.guarded_recording` (tenant,
agent and soft-delete rules, 404 when hidden) and need the ``playback`` permission, as
``GetRecordingMedia`` does.  Signed-link callers have no principal: the link is the
credential, but a soft-deleted recording is gone for them too.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from api.auth.access import PLAYBACK, Principal
from api.errors import NotFoundError
from api.media.signing import signer_for
from api.recordings.access import audit_recording, guarded_recording
from api.state import AppState
from srs.storage import RecordingRecord

#: One audit entry for a playback, download or share of a recording.
record_media_access = audit_recording


def fetch_action(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """How a media fetch is audited: ``playback`` for a ranged request (a player
    seeking), ``download`` for the whole file."""
    return "playback" if connection.headers.get("range") else "download"


def playable_recording(
    app_state: AppState,
    principal: Principal,
    connection: ASGIConnection[Any, Any, Any, Any],
    recording_id: str,
    action: str,
) -> RecordingRecord:
    """The recording if ``principal`` may see and play it; a refusal is audited (as
    ``action``) and answered 403, an invisible recording 404."""
    return guarded_recording(app_state, principal, connection, recording_id, PLAYBACK, action)


def linked_recording(
    app_state: AppState, recording_id: str, exp: str | None, sig: str | None
) -> tuple[RecordingRecord, int]:
    """The recording a signed link opens and the link's expiry; 403 for a bad or expired
    link, 404 once the recording is soft-deleted."""
    expires = signer_for(app_state.config).verify(recording_id, exp, sig, app_state.clock())
    return shared_recording(app_state, recording_id), expires


def shared_recording(app_state: AppState, recording_id: str) -> RecordingRecord:
    """The recording a verified signed link points to; 404 once it is soft-deleted."""
    record = app_state.repository.get_recording(recording_id)
    annotation = app_state.catalog.annotation(recording_id)
    if record is None or (annotation is not None and annotation.deleted_at is not None):
        raise NotFoundError(f"recording {recording_id!r} not found", field="recording_id")
    return record
