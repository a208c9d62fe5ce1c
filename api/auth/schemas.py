"""Request and response bodies for login, users, API keys and tenants."""

from __future__ import annotations

from datetime import datetime

import msgspec

from api.structs import PatchBody


class LoginIn(msgspec.Struct):
    username: str
    password: str


class UserOut(msgspec.Struct):
    id: int
    username: str
    role: str
    tenant_id: str
    agent_id: str | None
    disabled: bool
    created_at: datetime


class LoginOut(msgspec.Struct):
    """``token`` works as ``Authorization: Bearer``; the same value is set as a cookie."""

    token: str
    expires_at: datetime
    user: UserOut


class UserIn(msgspec.Struct):
    username: str
    role: str
    tenant_id: str | None = None  # default: the creator's tenant
    password: str | None = None
    agent_id: str | None = None


class UserPatch(PatchBody):
    """Fields to change; absent fields stay, ``agent_id: null`` clears it."""

    role: str | msgspec.UnsetType = msgspec.UNSET
    agent_id: str | msgspec.UnsetType | None = msgspec.UNSET
    disabled: bool | msgspec.UnsetType = msgspec.UNSET
    password: str | msgspec.UnsetType = msgspec.UNSET


class UserList(msgspec.Struct):
    items: list[UserOut]
    total: int


class ApiKeyIn(msgspec.Struct):
    name: str


class ApiKeyOut(msgspec.Struct):
    key_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """``key`` is shown once: srs keeps only its digest."""

    key: str


class ApiKeyList(msgspec.Struct):
    items: list[ApiKeyOut]


class TenantIn(msgspec.Struct):
    id: str
    name: str


class TenantOut(msgspec.Struct):
    id: str
    name: str
    created_at: datetime


class TenantList(msgspec.Struct):
    items: list[TenantOut]
