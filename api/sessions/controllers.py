"""``/sessions``: what is being recorded now, and any session by id."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api.errors import NotFoundError
from api.sessions.schemas import SessionList, SessionOut
from api.sessions.services import live_session_out, stored_session_out
from api.state import AppState
from srs.storage import Repository


class SessionController(Controller):
    path = "/sessions"
    tags = ["sessions"]

    @get("/", operation_id="ListSessions", sync_to_thread=False)
    def list_sessions(self, app_state: NamedDependency[AppState]) -> SessionList:
        """Sessions being recorded now (from the server's memory, not the database)."""
        items = [s for s in map(live_session_out, app_state.live.list_sessions()) if s is not None]
        return SessionList(items=items, total=len(items))

    @get("/{session_id:str}", operation_id="GetSession", sync_to_thread=True)
    def get_session(
        self,
        session_id: FromPath[str],
        app_state: NamedDependency[AppState],
        repository: NamedDependency[Repository],
    ) -> SessionOut:
        """One session: live if the server still records it, else as stored."""
        live = app_state.live.get_session(session_id)
        if live is not None:
            out = live_session_out(live)
            if out is not None:
                return out
        record = repository.get_session(session_id)
        if record is None:
            raise NotFoundError(f"session {session_id!r} not found", field="session_id")
        return stored_session_out(record)
