"""Users, tenants, API keys, UI sessions and the audit log (tables + their repository).

Secrets never reach the database in clear: passwords are scrypt hashes (stdlib, no
dependency; parameters stored with each hash so they can be raised later), API keys and
session tokens are SHA-256 digests (they are 256-bit random, so a slow hash adds nothing).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Column, func
from sqlmodel import Field, SQLModel, col, select

from srs.storage.columns import UtcDateTime
from srs.storage.database import Database

Role = Literal["system-admin", "tenant-admin", "supervisor", "agent"]
ROLES: tuple[str, ...] = get_args(Role)
DEFAULT_TENANT = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Tenant(SQLModel, table=True):
    """An organisation whose recordings nobody else may see."""

    __tablename__ = "tenant"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class User(SQLModel, table=True):
    """A person or integration; ``role`` decides what it may do inside ``tenant_id``."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    role: str = Field(max_length=16)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    agent_id: str | None = Field(default=None, max_length=128)  # matches recordings' agent
    password_hash: str | None = Field(default=None, max_length=256)
    disabled: bool = False
    created_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class ApiKey(SQLModel, table=True):
    """An API key of a user; the secret is kept only as a digest."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(unique=True, index=True, max_length=32)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=128)
    digest: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class UiSession(SQLModel, table=True):
    """A password login of the web UI (cookie); the token is kept only as a digest."""

    __tablename__ = "ui_session"

    digest: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who did what to which recording or session, and whether it was allowed."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False, index=True)
    )
    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=64)
    tenant_id: str | None = Field(default=None, index=True, max_length=64)
    action: str = Field(index=True, max_length=32)  # playback|download|control.pause|delete…
    target_type: str = Field(max_length=32)  # recording|session|user|api_key|tenant
    target_id: str | None = Field(default=None, index=True, max_length=128)
    outcome: str = Field(default="ok", max_length=16)  # ok|denied|failed
    remote: str | None = Field(default=None, max_length=128)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# ------------------------------------------------------------------------------ secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64), verifiable with :func:`verify_password`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


API_KEY_PREFIX = "srs_"


def split_api_key(key: str) -> tuple[str, str] | None:
    """``srs_<key_id>_<secret>`` → ``(key_id, key)``; ``None`` when not shaped like a key."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    parts = key[len(API_KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], key


# ------------------------------------------------------------------------------ errors


class AccountError(ValueError):
    """A request about accounts that cannot be honoured; ``field`` names the culprit."""

    def __init__(self, message: str, field: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


@dataclass(frozen=True)
class Identity:
    """An authenticated user as the API sees it (detached from the database)."""

    user_id: int
    username: str
    role: str
    tenant_id: str
    agent_id: str | None


def _identity(user: User) -> Identity:
    assert user.id is not None
    return Identity(user.id, user.username, user.role, user.tenant_id, user.agent_id)


@dataclass(frozen=True)
class AuditQuery:
    """Filters of :meth:`Accounts.list_audit`; ``None`` means "any"."""

    tenant_id: str | None = None
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class Accounts:
    """Storage operations for users, tenants, keys, UI sessions and audit entries."""

    def __init__(self, db: Database, *, password_cost: int = SCRYPT_N) -> None:
        self.db = db
        self.password_cost = password_cost

    # -- tenants -------------------------------------------------------------------
    def ensure_tenant(self, tenant_id: str, name: str | None = None) -> Tenant:
        if not _NAME.match(tenant_id):
            raise AccountError(f"tenant: invalid id {tenant_id!r}", "id")
        with self.db.writing() as session:
            row = session.get(Tenant, tenant_id)
            if row is None:
                row = Tenant(id=tenant_id, name=name or tenant_id)
                session.add(row)
                session.flush()
            return row

    def create_tenant(self, tenant_id: str, name: str) -> Tenant:
        if self.get_tenant(tenant_id) is not None:
            raise AccountError(f"tenant {tenant_id!r} exists", "id", conflict=True)
        return self.ensure_tenant(tenant_id, name)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        with self.db.session() as session:
            return session.get(Tenant, tenant_id)

    def list_tenants(self) -> list[Tenant]:
        with self.db.session() as session:
            return list(session.exec(select(Tenant).order_by(col(Tenant.id))).all())

    # -- users ---------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        role: str,
        tenant_id: str,
        *,
        password: str | None = None,
        agent_id: str | None = None,
    ) -> User:
        if not _NAME.match(username):
            raise AccountError(
                "username: 1-64 letters, digits or ._@- starting with a letter or digit",
                "username",
            )
        if role not in ROLES:
            raise AccountError(f"role: must be one of {', '.join(ROLES)}", "role")
        if password is not None and len(password) < 8:
            raise AccountError("password: at least 8 characters", "password")
        if self.get_tenant(tenant_id) is None:
            raise AccountError(f"tenant {tenant_id!r} does not exist", "tenant_id")
        hashed = hash_password(password, n=self.password_cost) if password else None
        with self.db.writing() as session:
            if session.exec(select(User).where(col(User.username) == username)).first():
                raise AccountError(f"user {username!r} exists", "username", conflict=True)
            user = User(
                username=username,
                role=role,
                tenant_id=tenant_id,
                agent_id=agent_id,
                password_hash=hashed,
            )
            session.add(user)
            session.flush()
            session.refresh(user)
            return user

    def get_user(self, user_id: int) -> User | None:
        with self.db.session() as session:
            return session.get(User, user_id)

    def find_user(self, username: str) -> User | None:
        with self.db.session() as session:
            return session.exec(select(User).where(col(User.username) == username)).first()

    def list_users(self, tenant_id: str | None = None) -> list[User]:
        query = select(User).order_by(col(User.id))
        if tenant_id is not None:
            query = query.where(col(User.tenant_id) == tenant_id)
        with self.db.session() as session:
            return list(session.exec(query).all())

    def update_user(self, user_id: int, **changes: Any) -> User:
        """Change ``role``, ``agent_id``, ``disabled`` or ``password`` (others refused)."""
        allowed = {"role", "agent_id", "disabled", "password"}
        for name in changes:
            if name not in allowed:
                raise AccountError(f"{name}: cannot be changed", name)
        if "role" in changes and changes["role"] not in ROLES:
            raise AccountError(f"role: must be one of {', '.join(ROLES)}", "role")
        password = changes.pop("password", None)
        if password is not None and len(password) < 8:
            raise AccountError("password: at least 8 characters", "password")
        with self.db.writing() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AccountError(f"user {user_id} not found", "user_id")
            for name, value in changes.items():
                setattr(user, name, value)
            if password is not None:
                user.password_hash = hash_password(password, n=self.password_cost)
            session.add(user)
            if changes.get("disabled") or password is not None:
                self._end_ui_sessions(session, user_id)
            session.flush()
            session.refresh(user)
            return user

    def delete_user(self, user_id: int) -> bool:
        with self.db.writing() as session:
            user = session.get(User, user_id)
            if user is None:
                return False
            for key in session.exec(select(ApiKey).where(col(ApiKey.user_id) == user_id)):
                session.delete(key)
            self._end_ui_sessions(session, user_id)
            session.delete(user)
        return True

    @staticmethod
    def _end_ui_sessions(session: Any, user_id: int) -> None:
        for row in session.exec(select(UiSession).where(col(UiSession.user_id) == user_id)):
            session.delete(row)

    # -- authentication ------------------------------------------------------------
    def check_password(self, username: str, password: str) -> Identity | None:
        user = self.find_user(username)
        if user is None or user.disabled:
            verify_password(password, _dummy_hash(self.password_cost))  # same time either way
            return None
        return _identity(user) if verify_password(password, user.password_hash) else None

    def create_api_key(self, user_id: int, name: str) -> tuple[ApiKey, str]:
        """A new key; the clear key is returned once and never stored."""
        if not name or len(name) > 128:
            raise AccountError("name: 1-128 characters", "name")
        key_id = secrets.token_hex(8)
        key = f"{API_KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        with self.db.writing() as session:
            if session.get(User, user_id) is None:
                raise AccountError(f"user {user_id} not found", "user_id")
            row = ApiKey(key_id=key_id, user_id=user_id, name=name, digest=_digest(key))
            session.add(row)
            session.flush()
            session.refresh(row)
            return row, key

    def list_api_keys(self, user_id: int) -> list[ApiKey]:
        query = select(ApiKey).where(col(ApiKey.user_id) == user_id).order_by(col(ApiKey.id))
        with self.db.session() as session:
            return list(session.exec(query).all())

    def revoke_api_key(self, user_id: int, key_id: str) -> bool:
        with self.db.writing() as session:
            row = session.exec(
                select(ApiKey).where(col(ApiKey.key_id) == key_id, col(ApiKey.user_id) == user_id)
            ).first()
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = _utcnow()
            session.add(row)
        return True

    def authenticate_api_key(self, key: str) -> Identity | None:
        parts = split_api_key(key)
        if parts is None:
            return None
        with self.db.session() as session:
            row = session.exec(select(ApiKey).where(col(ApiKey.key_id) == parts[0])).first()
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.digest, _digest(parts[1])):
                return None
            user = session.get(User, row.user_id)
            if user is None or user.disabled:
                return None
            return _identity(user)

    def create_ui_session(
        self, user_id: int, ttl: timedelta, now: datetime | None = None
    ) -> tuple[UiSession, str]:
        token = secrets.token_urlsafe(32)
        start = now or _utcnow()
        row = UiSession(
            digest=_digest(token), user_id=user_id, created_at=start, expires_at=start + ttl
        )
        with self.db.writing() as session:
            session.add(row)
        return row, token

    def authenticate_ui_session(self, token: str, now: datetime | None = None) -> Identity | None:
        with self.db.session() as session:
            row = session.get(UiSession, _digest(token))
            if row is None or row.expires_at <= (now or _utcnow()):
                return None
            user = session.get(User, row.user_id)
            if user is None or user.disabled:
                return None
            return _identity(user)

    def end_ui_session(self, token: str) -> bool:
        with self.db.writing() as session:
            row = session.get(UiSession, _digest(token))
            if row is None:
                return False
            session.delete(row)
        return True

    # -- audit ---------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> AuditEntry:
        with self.db.writing() as session:
            session.add(entry)
            session.flush()
            session.refresh(entry)
            return entry

    def list_audit(self, query: AuditQuery, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        statement = (
            select(AuditEntry)
            .where(*_audit_conditions(query))
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .offset(offset)
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.exec(statement).all())

    def count_audit(self, query: AuditQuery) -> int:
        statement = select(func.count()).select_from(AuditEntry).where(*_audit_conditions(query))
        with self.db.session() as session:
            return int(session.exec(statement).one())


def _audit_conditions(query: AuditQuery) -> Sequence[Any]:
    where: list[Any] = []
    for name in ("tenant_id", "actor", "action", "target_type", "target_id"):
        value = getattr(query, name)
        if value is not None:
            where.append(getattr(AuditEntry, name) == value)
    if query.since is not None:
        where.append(col(AuditEntry.at) >= query.since)
    if query.until is not None:
        where.append(col(AuditEntry.at) < query.until)
    return where


@functools.cache
def _dummy_hash(cost: int) -> str:
    return hash_password("not a real password", n=cost)
