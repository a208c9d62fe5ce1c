"""What the API needs from the running server, passed in explicitly (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from srs.config import Config
from srs.storage import Database, Repository


class LiveSessions(Protocol):
    """The server's view of sessions in progress (``session.json``-shaped dicts)."""

    def list_sessions(self) -> list[dict[str, Any]]: ...

    def get_session(self, recording_id: str) -> dict[str, Any] | None: ...


class NoLiveSessions:
    """A ``LiveSessions`` with nothing live: for an API process without a recorder."""

    def list_sessions(self) -> list[dict[str, Any]]:
        return []

    def get_session(self, recording_id: str) -> dict[str, Any] | None:
        return None


class DictLiveSessions:
    """A ``LiveSessions`` over a dict of snapshots keyed by recording id (tests, tools)."""

    def __init__(self, sessions: dict[str, dict[str, Any]] | None = None) -> None:
        self.sessions: dict[str, dict[str, Any]] = dict(sessions or {})

    def list_sessions(self) -> list[dict[str, Any]]:
        return list(self.sessions.values())

    def get_session(self, recording_id: str) -> dict[str, Any] | None:
        return self.sessions.get(recording_id)


@dataclass
class AppState:
    """Configuration, database and live-session source of one API instance."""

    config: Config
    db: Database
    live: LiveSessions = field(default_factory=NoLiveSessions)
    repository: Repository = field(init=False)

    def __post_init__(self) -> None:
        self.repository = Repository(self.db)
