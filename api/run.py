"""Running the API inside the srs server's own event loop (uvicorn, embedded).

The server owns signals and shutdown, so uvicorn's signal capture is switched off; stop
it with ``server.should_exit = True`` and await the ``serve()`` task.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn

from api.app import create_app
from api.state import AppState


class EmbeddedHttpServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    @property
    def bound_port(self) -> int | None:
        """The TCP port actually bound (useful with ``http.port = 0``), once started."""
        for server in getattr(self, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return None


def build_http_server(state: AppState) -> EmbeddedHttpServer:
    """An embedded HTTP server for ``state.config.http``; ``await it.serve()`` to run."""
    http = state.config.http
    config = uvicorn.Config(
        create_app(state),
        host=http.host,
        port=http.port,
        log_config=None,  # srs.logging configured the root logger already
        log_level="warning",  # no access log lines in the recorder's log
        lifespan="on",
        server_header=False,
    )
    return EmbeddedHttpServer(config)
