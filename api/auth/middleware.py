"""Authentication of every ``/api/v1`` request except those marked ``exclude_from_auth``.

Credentials, in order: ``Authorization: Bearer <key or UI token>``, ``X-API-Key: <key>``,
the ``srs_session`` cookie of a password login.  A cookie-authenticated request that
changes something must carry an ``X-Requested-With`` header (browsers cannot add one
cross-site without a CORS preflight, which srs does not grant): that is the CSRF guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from api.errors import ForbiddenError, UnauthorizedError
from srs.storage.accounts import API_KEY_PREFIX, Accounts, Identity

SESSION_COOKIE = "srs_session"
_SAFE = {"GET", "HEAD", "OPTIONS"}


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme in any case);
    ``None`` when the header is absent, of another scheme or without a token."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class ApiAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` to the caller's :class:`Identity`, or answers 401."""

    def __init__(self, app: ASGIApp, accounts: Callable[[], Accounts], **kwargs: Any) -> None:
        """``accounts`` is a getter: Litestar deep-copies routers, and with them their
        middleware arguments, which a database handle must not be."""
        super().__init__(app, **kwargs)
        self.accounts = accounts()

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        identity, via = await anyio.to_thread.run_sync(self._identify, connection)
        if via == "cookie" and connection.scope.get("method", "GET") not in _SAFE:
            if not connection.headers.get("x-requested-with"):
                raise ForbiddenError(
                    "X-Requested-With: required with cookie authentication", "X-Requested-With"
                )
        return AuthenticationResult(user=identity, auth=via)

    def _identify(self, connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[Identity, str]:
        header = connection.headers.get("authorization")
        if header:
            token = bearer_token(header)
            if token is None:
                raise UnauthorizedError("Authorization: expected 'Bearer <token>'", "Authorization")
            found = (
                self.accounts.authenticate_api_key(token)
                if token.startswith(API_KEY_PREFIX)
                else self.accounts.authenticate_ui_session(token)
            )
            if found is None:
                raise UnauthorizedError("Authorization: invalid or expired token", "Authorization")
            return found, "bearer"
        key = connection.headers.get("x-api-key")
        if key:
            found = self.accounts.authenticate_api_key(key.strip())
            if found is None:
                raise UnauthorizedError("X-API-Key: invalid or revoked key", "X-API-Key")
            return found, "api_key"
        cookie = connection.cookies.get(SESSION_COOKIE)
        if cookie:
            found = self.accounts.authenticate_ui_session(cookie)
            if found is None:
                raise UnauthorizedError(f"{SESSION_COOKIE}: session expired", SESSION_COOKIE)
            return found, "cookie"
        raise UnauthorizedError(
            "credentials required: Authorization: Bearer <API key>, X-API-Key, or a login session"
        )
