"""``/health`` (process alive), ``/ready`` (can serve: database reachable), ``/version``."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from api.errors import UnavailableError
from api.state import AppState
from api.system.schemas import Health, Readiness, Version
from srs import __version__


class SystemController(Controller):
    path = "/"
    tags = ["system"]
    opt = {"exclude_from_auth": True}  # probes and version need no credentials
    security = [{}]

    @get("/health", operation_id="GetHealth", sync_to_thread=False)
    def health(self) -> Health:
        """Liveness: answers as long as the process runs its event loop."""
        return Health(status="ok")

    @get("/ready", operation_id="GetReadiness", sync_to_thread=True)
    def ready(self, app_state: NamedDependency[AppState]) -> Readiness:
        """Readiness: 200 when the database answers, else 503."""
        if not app_state.db.ping():
            raise UnavailableError("database: not reachable", field="database")
        return Readiness(status="ready", checks={"database": "ok"})

    @get("/version", operation_id="GetVersion", sync_to_thread=False)
    def version(self) -> Version:
        """The server's name and version."""
        return Version(name="srs", version=__version__)
