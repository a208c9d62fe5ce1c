"""``/audit``: query the audit log (tenant admins see their tenant, system admins all)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.audit.schemas import AuditEntryOut, AuditPage
from api.auth.access import READ_AUDIT, Principal, require, tenant_scope
from api.errors import BadRequestError
from api.state import AppState
from srs.storage.accounts import AuditQuery
from srs.storage.columns import to_datetime


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]

    @get("/", operation_id="ListAuditEntries", sync_to_thread=True)
    def list_audit(
        self,
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        actor: Annotated[str | None, QueryParameter(description="Username")] = None,
        action: Annotated[
            str | None, QueryParameter(description="playback, download, control.pause, delete…")
        ] = None,
        target_type: Annotated[str | None, QueryParameter()] = None,
        target_id: Annotated[str | None, QueryParameter()] = None,
        tenant: Annotated[
            str | None, QueryParameter(description="Tenant id (system admins only)")
        ] = None,
        since: Annotated[datetime | None, QueryParameter(name="from")] = None,
        until: Annotated[datetime | None, QueryParameter(name="to")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> AuditPage:
        """Audit entries, newest first."""
        require(principal, READ_AUDIT)
        scope = tenant_scope(principal)
        if scope is not None and tenant is not None and tenant != scope:
            raise BadRequestError("tenant: you may only query your own tenant", field="tenant")
        begin, end = to_datetime(since), to_datetime(until)
        if begin is not None and end is not None and end < begin:
            raise BadRequestError("to: must not be earlier than 'from'", field="to")
        query = AuditQuery(scope or tenant, actor, action, target_type, target_id, begin, end)
        rows = app_state.accounts.list_audit(query, limit, offset)
        return AuditPage(
            items=[
                AuditEntryOut(
                    id=r.id or 0,
                    at=r.at,
                    actor=r.actor,
                    actor_id=r.actor_id,
                    tenant_id=r.tenant_id,
                    action=r.action,
                    target_type=r.target_type,
                    target_id=r.target_id,
                    outcome=r.outcome,
                    remote=r.remote,
                    detail=dict(r.detail),
                )
                for r in rows
            ],
            total=app_state.accounts.count_audit(query),
            limit=limit,
            offset=offset,
        )
