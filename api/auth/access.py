"""Who may do what: permissions per role, and the tenant/agent scope of a principal.

Visibility failures answer 404, not 403, so nobody learns that another tenant's
recording exists; a role lacking a permission inside its own scope answers 403.
"""

from __future__ import annotations

from api.errors import ForbiddenError, NotFoundError
from srs.storage.accounts import Identity

Principal = Identity

READ = "read"
READ_ALL = "read_all"  # every recording of the tenant, not only the agent's own
PLAYBACK = "playback"
CONTROL = "control"
ANNOTATE = "annotate"
DELETE = "delete"
HOLD = "hold"
MANAGE_USERS = "manage_users"
MANAGE_TENANTS = "manage_tenants"
READ_AUDIT = "read_audit"
ALL_TENANTS = "all_tenants"

_SUPERVISOR = frozenset({READ, READ_ALL, PLAYBACK, CONTROL, ANNOTATE})
_TENANT_ADMIN = _SUPERVISOR | {DELETE, HOLD, MANAGE_USERS, READ_AUDIT}
PERMISSIONS: dict[str, frozenset[str]] = {
    "system-admin": _TENANT_ADMIN | {MANAGE_TENANTS, ALL_TENANTS},
    "tenant-admin": _TENANT_ADMIN,
    "supervisor": _SUPERVISOR,
    "agent": frozenset({READ, PLAYBACK}),
}

NO_AGENT = "\x00"  # an agent user without an agent id owns no recording


def allowed(principal: Principal, permission: str) -> bool:
    return permission in PERMISSIONS.get(principal.role, frozenset())


def require(principal: Principal, permission: str) -> None:
    """Raise 403 unless the principal's role grants ``permission``."""
    if not allowed(principal, permission):
        raise ForbiddenError(f"role {principal.role!r} may not {permission.replace('_', ' ')}")


def tenant_scope(principal: Principal) -> str | None:
    """The only tenant the principal sees (``None``: every tenant)."""
    return None if allowed(principal, ALL_TENANTS) else principal.tenant_id


def agent_scope(principal: Principal) -> str | None:
    """The only agent id whose recordings the principal sees (``None``: any)."""
    return None if allowed(principal, READ_ALL) else (principal.agent_id or NO_AGENT)


def can_see(principal: Principal, tenant_id: str | None, agent_id: str | None) -> bool:
    tenant = tenant_scope(principal)
    if tenant is not None and tenant != tenant_id:
        return False
    agent = agent_scope(principal)
    return agent is None or agent == agent_id


def check_visible(
    principal: Principal, kind: str, target_id: str, tenant_id: str | None, agent_id: str | None
) -> None:
    """404 (naming ``<kind>_id``) when the principal may not see the target at all."""
    if not can_see(principal, tenant_id, agent_id):
        raise NotFoundError(f"{kind} {target_id!r} not found", field=f"{kind}_id")
