"""``GET /api/v1/metrics``: Prometheus text exposition (version 0.0.4).

Open by default, like most exporters (bind the API to an internal address); when the
AppState has a ``metrics_token`` (config ``[http] metrics_token``, env
``SRS_HTTP__METRICS_TOKEN``) scrapers must send ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from typing import Any

import anyio.to_thread
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency

from api.auth.middleware import bearer_token
from api.errors import UnauthorizedError
from api.metrics.collect import collect
from api.state import AppState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsController(Controller):
    path = "/metrics"
    tags = ["system"]

    @get(
        "/",
        operation_id="GetMetrics",
        exclude_from_auth=True,
        security=[{}],
        media_type=MediaType.TEXT,
    )
    async def metrics(
        self, request: Request[Any, Any, Any], app_state: NamedDependency[AppState]
    ) -> Response[str]:
        """Prometheus metrics: sessions, packets, loss, finalize latency, SIP responses, disk."""
        token = app_state.metrics_token
        if token:
            given = bearer_token(request.headers.get("authorization")) or ""
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise UnauthorizedError("metrics: bearer token required", "Authorization")
        live = app_state.live.list_sessions()  # on the loop, which owns the registry
        text = await anyio.to_thread.run_sync(collect, app_state, live)
        return Response(text, media_type=CONTENT_TYPE)
