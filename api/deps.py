"""Dependency providers: handlers ask for ``app_state`` or ``repository`` by name."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from api.auth.access import Principal
from api.errors import UnauthorizedError
from api.state import AppState
from srs.storage import Repository


def dependencies(state: AppState) -> dict[str, Provide]:
    def provide_state() -> AppState:
        return state

    def provide_repository() -> Repository:
        return state.repository

    def provide_principal(request: Request[Any, Any, Any]) -> Principal:
        """The caller, as authenticated by ``ApiAuthMiddleware``."""
        user = request.scope.get("user")
        if not isinstance(user, Principal):
            raise UnauthorizedError("credentials required")
        return user

    return {
        "app_state": Provide(provide_state, sync_to_thread=False),
        "repository": Provide(provide_repository, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }
