"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig

from api.deps import dependencies
from api.errors import EXCEPTION_HANDLERS
from api.recordings.controllers import RecordingController
from api.sessions.controllers import SessionController
from api.state import AppState
from api.system.controllers import SystemController
from srs import __version__

API_PREFIX = "/api/v1"


def create_app(state: AppState, *, debug: bool = False) -> Litestar:
    """Build the API around ``state`` (config, database, live sessions)."""
    v1 = Router(
        path=API_PREFIX,
        route_handlers=[SystemController, SessionController, RecordingController],
    )
    return Litestar(
        route_handlers=[v1],
        dependencies=dependencies(state),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="srs",
            version=__version__,
            description="SIP/SIPREC session recording server API",
            path="/schema",
            use_handler_docstrings=True,
        ),
        debug=debug,
    )
