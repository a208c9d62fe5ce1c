"""The Litestar application factory."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OpenAPI, Reference, SecurityScheme

from api.audit.controllers import AuditController
from api.auth.controllers import AuthController, TenantController, UserController
from api.auth.middleware import SESSION_COOKIE, ApiAuthMiddleware
from api.control.controllers import ControlController
from api.deps import dependencies
from api.errors import EXCEPTION_HANDLERS, document_errors
from api.media.controllers import MEDIA_API, MEDIA_PUBLIC
from api.metrics.controllers import MetricsController
from api.recordings.controllers import RecordingController
from api.sessions.controllers import SessionController
from api.state import AppState
from api.system.controllers import SystemController
from api.ui.controllers import UI_ROUTES
from srs import __version__

API_PREFIX = "/api/v1"
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "apiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
    "bearer": SecurityScheme(type="http", scheme="bearer", description="API key or login token"),
    "session": SecurityScheme(type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie"),
}


def create_app(state: AppState, *, debug: bool = False) -> Litestar:
    """Build the API around ``state`` (config, database, live sessions)."""
    v1 = Router(
        path=API_PREFIX,
        route_handlers=[
            SystemController,
            SessionController,
            RecordingController,
            *MEDIA_API,
            MetricsController,
            AuthController,
            UserController,
            TenantController,
            AuditController,
            ControlController,
        ],
        middleware=[DefineMiddleware(ApiAuthMiddleware, accounts=lambda: state.accounts)],
        security=[{"apiKey": []}, {"bearer": []}, {"session": []}],
    )
    app = Litestar(
        route_handlers=[v1, *MEDIA_PUBLIC, *UI_ROUTES],
        dependencies=dependencies(state),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="srs",
            version=__version__,
            description="SIP/SIPREC session recording server API",
            path="/schema",
            use_handler_docstrings=True,
            components=Components(security_schemes=SECURITY_SCHEMES),
        ),
        debug=debug,
    )
    _document_errors_lazily(app)
    return app


def _document_errors_lazily(app: Litestar) -> None:
    """Apply :func:`document_errors` when the OpenAPI document is first built: building
    it costs ~0.5 s, which every process (and test) would otherwise pay at start.
    Litestar has no public hook there, so its (slotted) plugin gets a subclass whose
    builder adds the step; if that private method is gone, the document is fixed eagerly."""
    plugin: Any = app.plugins.get("OpenAPIPlugin")
    base = type(plugin)
    if not callable(getattr(base, "_build_openapi", None)):
        document_errors(app.openapi_schema)
        return

    def build(self: Any) -> OpenAPI:
        document: OpenAPI = base._build_openapi(self)
        document_errors(document)
        return document

    plugin.__class__ = type(base.__name__, (base,), {"__slots__": (), "_build_openapi": build})
