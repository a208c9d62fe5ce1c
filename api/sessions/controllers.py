"""``/sessions``: what is being recorded now, any session by id, and the event feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.auth.access import Principal, can_see
from api.control.services import check_session_visible, live_owner
from api.errors import NotFoundError
from api.sessions.events import feed
from api.sessions.schemas import SessionList, SessionOut
from api.sessions.services import live_session_out, stored_session_out
from api.state import AppState
from srs.storage import Repository


def _visible_live(
    app_state: AppState, principal: Principal, snapshots: list[dict[str, Any]]
) -> list[SessionOut]:
    ids = [str(s.get("recording_id")) for s in snapshots]
    annotations = app_state.catalog.annotations(ids)
    out: list[SessionOut] = []
    for snapshot in snapshots:
        row = annotations.get(str(snapshot.get("recording_id")))
        tenant, agent = live_owner(app_state, snapshot, row)
        if not can_see(principal, tenant, agent):
            continue
        state = app_state.control.state(str(snapshot.get("recording_id")))
        item = live_session_out(snapshot, tenant=tenant, control=state, annotation=row)
        if item is not None:
            out.append(item)
    return out


class SessionController(Controller):
    path = "/sessions"
    tags = ["sessions"]

    @get("/", operation_id="ListSessions")
    async def list_sessions(
        self, app_state: NamedDependency[AppState], principal: NamedDependency[Principal]
    ) -> SessionList:
        """Sessions being recorded now (from the server's memory), with participants,
        streams, codecs, packet counters and held/paused/muted state."""
        snapshots = app_state.live.list_sessions()  # on the loop, which owns the registry
        items = await anyio.to_thread.run_sync(_visible_live, app_state, principal, snapshots)
        return SessionList(items=items, total=len(items))

    @get(
        "/events",
        operation_id="StreamSessionEvents",
        media_type="text/event-stream",
    )
    async def events(
        self,
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        interval: Annotated[
            float, QueryParameter(ge=0.05, le=10, description="Poll period (seconds)")
        ] = 1.0,
        limit: Annotated[
            int | None, QueryParameter(ge=1, le=100_000, description="Close after N events")
        ] = None,
    ) -> ServerSentEvent:
        """Server-sent events: ``session.active`` for each session live at connect, then
        ``session.started``/``session.updated``/``session.ended``, ``control``, ``annotation``."""

        async def render(snapshots: list[dict[str, Any]]) -> list[dict[str, Any]]:
            items = await anyio.to_thread.run_sync(_visible_live, app_state, principal, snapshots)
            return [msgspec.to_builtins(item) for item in items]

        async def visible(recording_id: str) -> bool:
            snapshot = app_state.live.get_session(recording_id)

            def check() -> bool:
                try:
                    check_session_visible(app_state, principal, recording_id, snapshot)
                except NotFoundError:
                    return False
                return True

            return await anyio.to_thread.run_sync(check)

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            async for event in feed(
                app_state.events,
                app_state.live.list_sessions,
                render,
                visible,
                interval=interval,
                limit=limit,
            ):
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(event.data).decode(), event=event.name
                )

        return ServerSentEvent(messages())

    @get("/{session_id:str}", operation_id="GetSession")
    async def get_session(
        self,
        session_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        repository: NamedDependency[Repository],
    ) -> SessionOut:
        """One session: live if the server still records it, else as stored."""
        snapshot = app_state.live.get_session(session_id)  # on the loop
        control = app_state.control.state(session_id)

        def work() -> SessionOut:
            tenant = check_session_visible(app_state, principal, session_id, snapshot)
            annotation = app_state.catalog.annotation(session_id)
            if snapshot is not None:
                out = live_session_out(
                    snapshot, tenant=tenant, control=control, annotation=annotation
                )
                if out is not None:
                    return out
            record = repository.get_session(session_id)
            if record is None:
                raise NotFoundError(f"session {session_id!r} not found", field="session_id")
            return stored_session_out(record, tenant=tenant, annotation=annotation)

        return await anyio.to_thread.run_sync(work)
