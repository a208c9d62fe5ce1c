"""Dependency providers: handlers ask for ``app_state`` or ``repository`` by name."""

from __future__ import annotations

from litestar.di import Provide

from api.state import AppState
from srs.storage import Repository


def dependencies(state: AppState) -> dict[str, Provide]:
    def provide_state() -> AppState:
        return state

    def provide_repository() -> Repository:
        return state.repository

    return {
        "app_state": Provide(provide_state, sync_to_thread=False),
        "repository": Provide(provide_repository, sync_to_thread=False),
    }
