"""``/auth`` (password login for the UI), ``/users`` (with API keys) and ``/tenants``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.audit.services import audit
from api.auth.access import (
    ALL_TENANTS,
    MANAGE_TENANTS,
    MANAGE_USERS,
    Principal,
    allowed,
    require,
    tenant_scope,
)
from api.auth.middleware import SESSION_COOKIE, bearer_token
from api.auth.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    LoginIn,
    LoginOut,
    TenantIn,
    TenantList,
    TenantOut,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from api.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    refused,
)
from api.filters import tenant_filter
from api.state import AppState
from api.structs import struct_from
from srs.storage.accounts import AccountError, User


def user_out(user: User) -> UserOut:
    return struct_from(UserOut, user, id=user.id or 0)


def _protect_system_admin(principal: Principal, user: User, verb: str) -> None:
    """403 when someone other than a system admin acts on another system admin's account:
    a tenant admin shares the tenant but must not take over (or lock out) its admins."""
    if (
        user.role == "system-admin"
        and user.id != principal.user_id
        and not allowed(principal, MANAGE_TENANTS)
    ):
        raise ForbiddenError(f"only a system admin may {verb} a system admin")


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/login",
        operation_id="Login",
        sync_to_thread=True,
        status_code=200,
        exclude_from_auth=True,
        security=[{}],
    )
    def login(
        self,
        data: JSONBody[LoginIn],
        app_state: NamedDependency[AppState],
        request: Request[Any, Any, Any],
    ) -> Response[LoginOut]:
        """Password login: returns a session token and sets the ``srs_session`` cookie."""
        identity = app_state.accounts.check_password(data.username, data.password)
        if identity is None:
            audit(
                app_state,
                None,
                "login",
                "user",
                data.username[:128],
                outcome="denied",
                connection=request,
            )
            raise UnauthorizedError("username or password is wrong", field="password")
        ttl = app_state.ui_session_ttl
        row, token = app_state.accounts.create_ui_session(identity.user_id, ttl)
        user = app_state.accounts.get_user(identity.user_id)
        assert user is not None
        audit(app_state, identity, "login", "user", str(identity.user_id), connection=request)
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=token,
            max_age=int(ttl.total_seconds()),
            httponly=True,
            samesite="strict",
            path="/",
        )
        return Response(LoginOut(token, row.expires_at, user_out(user)), cookies=[cookie])

    @post(
        "/logout",
        operation_id="Logout",
        sync_to_thread=True,
        status_code=204,
        response_cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
    )
    def logout(self, request: Request[Any, Any, Any], app_state: NamedDependency[AppState]) -> None:
        """End the current UI session (cookie or bearer token) and clear the cookie."""
        token = bearer_token(request.headers.get("authorization"))
        token = token or request.cookies.get(SESSION_COOKIE)
        if token:
            app_state.accounts.end_ui_session(token)

    @get("/me", operation_id="GetCurrentUser", sync_to_thread=True)
    def me(
        self, principal: NamedDependency[Principal], app_state: NamedDependency[AppState]
    ) -> UserOut:
        """The authenticated user."""
        user = app_state.accounts.get_user(principal.user_id)
        if user is None:
            raise UnauthorizedError("user no longer exists")
        return user_out(user)


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @staticmethod
    def _visible_user(app_state: AppState, principal: Principal, user_id: int) -> User:
        """The user, if in the caller's scope; others' accounts need user management."""
        user = app_state.accounts.get_user(user_id)
        scope = tenant_scope(principal)
        if user is None or (scope is not None and user.tenant_id != scope):
            raise NotFoundError(f"user {user_id} not found", field="user_id")
        if user.id != principal.user_id:
            require(principal, MANAGE_USERS)
        return user

    @get("/", operation_id="ListUsers", sync_to_thread=True)
    def list_users(
        self,
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        tenant: Annotated[
            str | None, QueryParameter(description="Tenant id (system admins)")
        ] = None,
    ) -> UserList:
        """Users of the caller's tenant (system admins: all, or one ``tenant``)."""
        require(principal, MANAGE_USERS)
        rows = app_state.accounts.list_users(tenant_filter(principal, tenant, "list users of"))
        return UserList([user_out(u) for u in rows], len(rows))

    @post("/", operation_id="CreateUser", sync_to_thread=True)
    def create_user(
        self,
        data: JSONBody[UserIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> UserOut:
        """Create a user; tenant admins create users of their own tenant, never system admins."""
        require(principal, MANAGE_USERS)
        tenant_id = data.tenant_id or principal.tenant_id
        if not allowed(principal, ALL_TENANTS):
            if tenant_id != principal.tenant_id:
                raise ForbiddenError(
                    "tenant_id: you may only create users of your tenant", "tenant_id"
                )
            if data.role == "system-admin":
                raise ForbiddenError("role: only a system admin may create one", "role")
        try:
            user = app_state.accounts.create_user(
                data.username, data.role, tenant_id, password=data.password, agent_id=data.agent_id
            )
        except AccountError as exc:
            raise refused(exc) from exc
        audit(
            app_state,
            principal,
            "user.create",
            "user",
            str(user.id),
            tenant_id=tenant_id,
            detail={"username": user.username, "role": user.role},
            connection=request,
        )
        return user_out(user)

    @get("/{user_id:int}", operation_id="GetUser", sync_to_thread=True)
    def get_user(
        self,
        user_id: FromPath[int],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        """One user (yourself, or any of your tenant with user management)."""
        return user_out(self._visible_user(app_state, principal, user_id))

    @patch("/{user_id:int}", operation_id="UpdateUser", sync_to_thread=True)
    def update_user(
        self,
        user_id: FromPath[int],
        data: JSONBody[UserPatch],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> UserOut:
        """Change role, agent id, disabled or password (your own password: anyone)."""
        user = self._visible_user(app_state, principal, user_id)
        changes = data.changes()
        if set(changes) - {"password"}:
            require(principal, MANAGE_USERS)
        if changes.get("role") == "system-admin" and not allowed(principal, MANAGE_TENANTS):
            raise ForbiddenError("role: only a system admin may grant it", "role")
        _protect_system_admin(principal, user, "change")
        try:
            updated = app_state.accounts.update_user(user_id, **changes)
        except AccountError as exc:
            raise refused(exc) from exc
        audit(
            app_state,
            principal,
            "user.update",
            "user",
            str(user_id),
            tenant_id=user.tenant_id,
            detail={"changed": sorted(changes)},
            connection=request,
        )
        return user_out(updated)

    @delete("/{user_id:int}", operation_id="DeleteUser", sync_to_thread=True)
    def delete_user(
        self,
        user_id: FromPath[int],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> None:
        """Delete a user with its API keys and sessions."""
        require(principal, MANAGE_USERS)
        user = self._visible_user(app_state, principal, user_id)
        if user.id == principal.user_id:
            raise ConflictError("you cannot delete yourself", field="user_id")
        _protect_system_admin(principal, user, "delete")
        app_state.accounts.delete_user(user_id)
        audit(
            app_state,
            principal,
            "user.delete",
            "user",
            str(user_id),
            tenant_id=user.tenant_id,
            connection=request,
        )

    @get("/{user_id:int}/api-keys", operation_id="ListApiKeys", sync_to_thread=True)
    def list_keys(
        self,
        user_id: FromPath[int],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
    ) -> ApiKeyList:
        """A user's API keys (never the secrets)."""
        self._visible_user(app_state, principal, user_id)
        return ApiKeyList(
            [struct_from(ApiKeyOut, k) for k in app_state.accounts.list_api_keys(user_id)]
        )

    @post("/{user_id:int}/api-keys", operation_id="CreateApiKey", sync_to_thread=True)
    def create_key(
        self,
        user_id: FromPath[int],
        data: JSONBody[ApiKeyIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> ApiKeyCreated:
        """A new API key for an integration; the key is in this response only."""
        user = self._visible_user(app_state, principal, user_id)
        _protect_system_admin(principal, user, "create API keys for")
        try:
            row, key = app_state.accounts.create_api_key(user_id, data.name)
        except AccountError as exc:
            raise refused(exc) from exc
        audit(
            app_state,
            principal,
            "api_key.create",
            "api_key",
            row.key_id,
            tenant_id=user.tenant_id,
            detail={"user_id": user_id, "name": row.name},
            connection=request,
        )
        return struct_from(ApiKeyCreated, row, key=key)

    @delete(
        "/{user_id:int}/api-keys/{key_id:str}", operation_id="RevokeApiKey", sync_to_thread=True
    )
    def revoke_key(
        self,
        user_id: FromPath[int],
        key_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> None:
        """Revoke an API key (immediately refused afterwards)."""
        user = self._visible_user(app_state, principal, user_id)
        _protect_system_admin(principal, user, "revoke API keys of")
        if not app_state.accounts.revoke_api_key(user_id, key_id):
            raise NotFoundError(f"api key {key_id!r} not found", field="key_id")
        audit(
            app_state,
            principal,
            "api_key.revoke",
            "api_key",
            key_id,
            tenant_id=user.tenant_id,
            connection=request,
        )


class TenantController(Controller):
    path = "/tenants"
    tags = ["tenants"]

    @get("/", operation_id="ListTenants", sync_to_thread=True)
    def list_tenants(
        self, app_state: NamedDependency[AppState], principal: NamedDependency[Principal]
    ) -> TenantList:
        """Tenants the caller sees (its own, or all for system admins)."""
        scope = tenant_scope(principal)
        rows = [t for t in app_state.accounts.list_tenants() if scope is None or t.id == scope]
        return TenantList([struct_from(TenantOut, t) for t in rows])

    @post("/", operation_id="CreateTenant", sync_to_thread=True)
    def create_tenant(
        self,
        data: JSONBody[TenantIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> TenantOut:
        """Create a tenant (system admins)."""
        require(principal, MANAGE_TENANTS)
        try:
            row = app_state.accounts.create_tenant(data.id, data.name)
        except AccountError as exc:
            raise refused(exc) from exc
        audit(
            app_state,
            principal,
            "tenant.create",
            "tenant",
            row.id,
            tenant_id=row.id,
            connection=request,
        )
        return struct_from(TenantOut, row)
