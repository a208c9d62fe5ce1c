"""``/sessions/{id}/…``: pause/resume, mute/unmute a participant, keep or discard, and
notes/tags/flag/call-centre fields (``PATCH /sessions/{id}``).

Control handlers are ``async``: they run on the server's event loop, where the capture
engine lives, so the change reaches the spool before the next packet is read.  Database
work (visibility, annotation, audit) runs in a worker thread.  Every attempt is audited,
refused ones with ``outcome="denied"``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.audit.services import audit
from api.auth.access import ANNOTATE, CONTROL, Principal, allowed
from api.control.schemas import AnnotationIn, AnnotationOut, ControlOut, KeepIn
from api.control.services import annotation_out, catalog_error, check_session_visible
from api.errors import ConflictError, ForbiddenError, NotFoundError
from api.sessions.events import FeedEvent
from api.state import AppState
from srs.control import ControlError, ControlState, NotLiveError, UnknownParticipantError
from srs.storage.catalog import CatalogError

Request_ = Request[Any, Any, Any]


async def _controlled(
    app_state: AppState,
    principal: Principal,
    request: Request_,
    session_id: str,
    action: str,
    apply: Callable[[float], ControlState],
    detail: dict[str, Any] | None = None,
) -> ControlOut:
    snapshot = app_state.live.get_session(session_id)  # on the loop: the registry lives here

    def authorise() -> str:
        tenant = check_session_visible(app_state, principal, session_id, snapshot)
        if not allowed(principal, CONTROL):
            audit(
                app_state,
                principal,
                action,
                "session",
                session_id,
                tenant_id=tenant,
                outcome="denied",
                detail=detail,
                connection=request,
            )
            raise ForbiddenError(f"role {principal.role!r} may not control recordings")
        if snapshot is None:
            raise ConflictError(
                f"session {session_id!r} is not being recorded now", field="session_id"
            )
        return tenant

    tenant = await anyio.to_thread.run_sync(authorise)
    now = app_state.clock()
    try:
        state = apply(now)
    except UnknownParticipantError as exc:
        raise NotFoundError(str(exc), field=exc.field) from exc
    except NotLiveError as exc:
        raise ConflictError(str(exc), field="session_id") from exc
    except ControlError as exc:
        raise ConflictError(str(exc), field=exc.field) from exc

    def persist() -> None:
        app_state.catalog.set_control(
            session_id, tenant_id=tenant, keep=state.keep, intervals=state.intervals
        )
        audit(
            app_state,
            principal,
            action,
            "session",
            session_id,
            tenant_id=tenant,
            detail={**(detail or {}), "at": now},
            connection=request,
        )

    await anyio.to_thread.run_sync(persist)
    body = state.to_json()
    app_state.events.publish(FeedEvent("control", session_id, {"action": action, **body}))
    return ControlOut(
        recording_id=session_id,
        paused=state.paused,
        muted=sorted(state.muted),
        keep=state.keep,
        intervals=[dict(i) for i in state.intervals],
        applied_at=datetime.fromtimestamp(now, UTC),
    )


class ControlController(Controller):
    path = "/sessions/{session_id:str}"
    tags = ["control"]

    @post("/pause", operation_id="PauseRecording", status_code=200)
    async def pause(
        self,
        session_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        """Pause: from now the recording keeps silence (the interval is in its metadata)."""
        return await _controlled(
            app_state,
            principal,
            request,
            session_id,
            "control.pause",
            lambda now: app_state.control.pause(session_id, True, now),
        )

    @post("/resume", operation_id="ResumeRecording", status_code=200)
    async def resume(
        self,
        session_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        """Resume a paused recording."""
        return await _controlled(
            app_state,
            principal,
            request,
            session_id,
            "control.resume",
            lambda now: app_state.control.pause(session_id, False, now),
        )

    @post(
        "/participants/{participant_id:str}/mute", operation_id="MuteParticipant", status_code=200
    )
    async def mute(
        self,
        session_id: FromPath[str],
        participant_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        """Silence one participant's streams in the recording from now on."""
        return await _controlled(
            app_state,
            principal,
            request,
            session_id,
            "control.mute",
            lambda now: app_state.control.mute(session_id, participant_id, True, now),
            {"participant_id": participant_id},
        )

    @post(
        "/participants/{participant_id:str}/unmute",
        operation_id="UnmuteParticipant",
        status_code=200,
    )
    async def unmute(
        self,
        session_id: FromPath[str],
        participant_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        """Record a muted participant again."""
        return await _controlled(
            app_state,
            principal,
            request,
            session_id,
            "control.unmute",
            lambda now: app_state.control.mute(session_id, participant_id, False, now),
            {"participant_id": participant_id},
        )

    @post("/keep", operation_id="SetKeepRecording", status_code=200)
    async def keep(
        self,
        session_id: FromPath[str],
        data: JSONBody[KeepIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        """Start (``true``) or stop (``false``: discard at the end) keeping the recording."""
        return await _controlled(
            app_state,
            principal,
            request,
            session_id,
            "control.keep" if data.keep else "control.discard",
            lambda now: app_state.control.keep(session_id, data.keep, now),
        )

    @patch("/", operation_id="AnnotateSession")
    async def annotate(
        self,
        session_id: FromPath[str],
        data: JSONBody[AnnotationIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> AnnotationOut:
        """Set notes, tags, flag (0-10) and call-centre fields of a live or stored session."""
        snapshot = app_state.live.get_session(session_id)

        def work() -> AnnotationOut:
            tenant = check_session_visible(app_state, principal, session_id, snapshot)
            return update_annotation(
                app_state, principal, request, "session", session_id, tenant, data
            )

        return await anyio.to_thread.run_sync(work)


def update_annotation(
    app_state: AppState,
    principal: Principal,
    request: Request_,
    kind: str,
    recording_id: str,
    tenant: str | None,
    data: AnnotationIn,
) -> AnnotationOut:
    """Shared by ``PATCH /sessions/{id}`` and ``PATCH /recordings/{id}``."""
    changes = data.changes()
    if not allowed(principal, ANNOTATE):
        audit(
            app_state,
            principal,
            "annotate",
            kind,
            recording_id,
            tenant_id=tenant,
            outcome="denied",
            connection=request,
        )
        raise ForbiddenError(f"role {principal.role!r} may not change recordings")
    try:
        row = app_state.catalog.annotate(recording_id, changes, tenant_id=tenant)
    except CatalogError as exc:
        raise catalog_error(exc) from exc
    audit(
        app_state,
        principal,
        "annotate",
        kind,
        recording_id,
        tenant_id=tenant,
        detail={"changed": sorted(changes)},
        connection=request,
    )
    out = annotation_out(recording_id, row, tenant)
    app_state.events.publish(
        FeedEvent("annotation", recording_id, {"id": recording_id, "changed": sorted(changes)})
    )
    return out
