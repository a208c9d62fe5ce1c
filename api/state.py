"""What the API needs from the running server, passed in explicitly (no globals)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from api.sessions.events import SessionEvents
from srs.config import Config
from srs.control import LiveControl, NoLiveControl
from srs.storage import Database, Repository
from srs.storage.accounts import SCRYPT_N, Accounts
from srs.storage.catalog import Catalog, TenantRules


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
    """Configuration, database and live-session source of one API instance.

    ``control`` drives live recordings (the server passes its ``ServerControl``);
    ``tenants`` says which tenant a recording belongs to; ``sip_responses`` reports SIP
    responses sent by status code for ``/metrics``; ``metrics_token``, when set, is the
    bearer token ``/metrics`` requires.
    """

    config: Config
    db: Database
    live: LiveSessions = field(default_factory=NoLiveSessions)
    repository: Repository = field(init=False)
    control: LiveControl = field(default_factory=NoLiveControl)
    tenants: TenantRules = field(default_factory=TenantRules)
    sip_responses: Callable[[], Mapping[int, int]] | None = None
    metrics_token: str | None = None
    password_cost: int = SCRYPT_N
    ui_session_ttl: timedelta = timedelta(hours=12)
    clock: Callable[[], float] = time.time
    events: SessionEvents = field(default_factory=SessionEvents)
    accounts: Accounts = field(init=False)
    catalog: Catalog = field(init=False)

    def __post_init__(self) -> None:
        self.repository = Repository(self.db)
        self.accounts = Accounts(self.db, password_cost=self.password_cost)
        self.catalog = Catalog(self.db, self.tenants)
