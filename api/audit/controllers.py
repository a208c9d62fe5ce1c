"""``/audit``: query the audit log (tenant admins see their tenant, system admins all)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.audit.schemas import AuditEntryOut, AuditPage
from api.auth.access import READ_AUDIT, Principal, require
from api.filters import LimitParam, OffsetParam, TenantParam, tenant_filter, time_window
from api.state import AppState
from api.structs import struct_from
from srs.storage.accounts import AuditQuery


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
        tenant: TenantParam = None,
        since: Annotated[datetime | None, QueryParameter(name="from")] = None,
        until: Annotated[datetime | None, QueryParameter(name="to")] = None,
        limit: LimitParam = 100,
        offset: OffsetParam = 0,
    ) -> AuditPage:
        """Audit entries, newest first."""
        require(principal, READ_AUDIT)
        tenant_id = tenant_filter(principal, tenant, "query")
        begin, end = time_window(since, until)
        query = AuditQuery(tenant_id, actor, action, target_type, target_id, begin, end)
        rows = app_state.accounts.list_audit(query, limit, offset)
        return AuditPage(
            items=[
                struct_from(AuditEntryOut, r, id=r.id or 0, detail=dict(r.detail)) for r in rows
            ],
            total=app_state.accounts.count_audit(query),
            limit=limit,
            offset=offset,
        )
