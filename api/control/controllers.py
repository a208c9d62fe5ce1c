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
from functools import partial
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, patch, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody

from api.audit.services import audit
from api.auth.access import ANNOTATE, CONTROL, Principal, allowed
from api.control.schemas import AnnotationIn, AnnotationOut, ControlOut, KeepIn
from api.control.services import annotation_out, check_session_visible
from api.errors import ConflictError, ForbiddenError, NotFoundError, refused
from api.sessions.events import FeedEvent
from api.state import AppState
from srs.control import (
    ControlError,
    ControlState,
    LiveControl,
    NotLiveError,
    UnknownParticipantError,
)
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
    log = partial(audit, app_state, principal, action, "session", session_id, connection=request)

    def authorise() -> str:
        tenant = check_session_visible(app_state, principal, session_id, snapshot)
        if not allowed(principal, CONTROL):
            log(tenant_id=tenant, outcome="denied", detail=detail)
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
        log(tenant_id=tenant, detail={**(detail or {}), "at": now})

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


def _pause(control: LiveControl, session_id: str, now: float) -> ControlState:
    """Pause: from now the recording keeps silence (the interval is in its metadata)."""
    return control.pause(session_id, True, now)


def _resume(control: LiveControl, session_id: str, now: float) -> ControlState:
    """Resume a paused recording."""
    return control.pause(session_id, False, now)


def _mute(control: LiveControl, session_id: str, participant_id: str, now: float) -> ControlState:
    """Silence one participant's streams in the recording from now on."""
    return control.mute(session_id, participant_id, True, now)


def _unmute(control: LiveControl, session_id: str, participant_id: str, now: float) -> ControlState:
    """Record a muted participant again."""
    return control.mute(session_id, participant_id, False, now)


def _session_route(
    operation_id: str, apply: Callable[[LiveControl, str, float], ControlState]
) -> HTTPRouteHandler:
    """``POST /sessions/{id}/<verb>``, a body-less control of the whole session; ``apply``
    (``_pause`` → ``pause``) names the verb, the audit action and the docs."""

    async def handler(
        self: Controller,
        session_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        now_apply = partial(apply, app_state.control, session_id)
        return await _controlled(app_state, principal, request, session_id, action, now_apply)

    verb = apply.__name__.lstrip("_")
    action = f"control.{verb}"
    return _named_post(handler, f"/{verb}", operation_id, verb, apply.__doc__)


def _participant_route(
    operation_id: str, apply: Callable[[LiveControl, str, str, float], ControlState]
) -> HTTPRouteHandler:
    """``POST /sessions/{id}/participants/{pid}/<verb>``, a body-less control of one
    participant, audited with its id; ``apply`` names it as in :func:`_session_route`."""

    async def handler(
        self: Controller,
        session_id: FromPath[str],
        participant_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request_,
    ) -> ControlOut:
        now_apply = partial(apply, app_state.control, session_id, participant_id)
        detail = {"participant_id": participant_id}
        return await _controlled(
            app_state, principal, request, session_id, action, now_apply, detail
        )

    verb = apply.__name__.lstrip("_")
    action = f"control.{verb}"
    path = f"/participants/{{participant_id:str}}/{verb}"
    return _named_post(handler, path, operation_id, verb, apply.__doc__)


def _named_post(
    handler: Callable[..., Any], path: str, operation_id: str, name: str, doc: str | None
) -> HTTPRouteHandler:
    """Register ``handler`` as ``POST path``: the OpenAPI summary comes from ``name``,
    the description from ``doc``."""
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    return post(path, operation_id=operation_id, status_code=200)(handler)


class ControlController(Controller):
    path = "/sessions/{session_id:str}"
    tags = ["control"]

    pause = _session_route("PauseRecording", _pause)
    resume = _session_route("ResumeRecording", _resume)
    mute = _participant_route("MuteParticipant", _mute)
    unmute = _participant_route("UnmuteParticipant", _unmute)

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
    log = partial(audit, app_state, principal, "annotate", kind, recording_id, connection=request)
    if not allowed(principal, ANNOTATE):
        log(tenant_id=tenant, outcome="denied")
        raise ForbiddenError(f"role {principal.role!r} may not change recordings")
    try:
        row = app_state.catalog.annotate(recording_id, changes, tenant_id=tenant)
    except CatalogError as exc:
        raise refused(exc) from exc
    log(tenant_id=tenant, detail={"changed": sorted(changes)})
    out = annotation_out(recording_id, row, tenant)
    app_state.events.publish(
        FeedEvent("annotation", recording_id, {"id": recording_id, "changed": sorted(changes)})
    )
    return out
