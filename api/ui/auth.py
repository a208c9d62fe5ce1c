"""Login for the UI pages: the ``srs_session`` cookie of ``POST /api/v1/auth/login``.

The pages live outside ``/api/v1`` (and its authentication middleware), so they resolve
the cookie themselves with the same :class:`~srs.storage.accounts.Accounts` call; a page
asked for without a valid session redirects to ``/login?next=<page>``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.response import Redirect

from api.auth.access import Principal
from api.auth.middleware import SESSION_COOKIE
from api.state import AppState

LOGIN_PATH = "/login"


class LoginRequired(Exception):
    """No valid UI session; ``target`` is the page to return to after logging in."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the UI's home (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ui/"
    return target


def ui_principal(
    request: Request[Any, Any, Any], app_state: NamedDependency[AppState]
) -> Principal:
    """The logged-in user of a page request, or :class:`LoginRequired`."""
    token = request.cookies.get(SESSION_COOKIE)
    identity = app_state.accounts.authenticate_ui_session(token) if token else None
    if identity is None:
        query = request.url.query
        raise LoginRequired(request.url.path + (f"?{query}" if query else ""))
    return identity


def login_redirect(_: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    return Redirect(f"{LOGIN_PATH}?next={quote(exc.target, safe='/')}", status_code=303)
