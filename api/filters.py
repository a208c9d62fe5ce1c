"""Query filters the list endpoints share: the tenant a caller may ask for, a time window,
and paging parameters, each checked once with the same error message."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.params import QueryParameter

from api.auth.access import Principal, tenant_scope
from api.errors import BadRequestError
from srs.storage.columns import to_datetime

MAX_LIMIT = 500

TenantParam = Annotated[str | None, QueryParameter(description="Tenant id (system admins only)")]
LimitParam = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
OffsetParam = Annotated[int, QueryParameter(ge=0)]


def tenant_filter(principal: Principal, tenant: str | None, verb: str) -> str | None:
    """The tenant to filter on (``None``: all): the caller's own unless it sees every
    tenant; 400 when it asks for another one (``verb``: what it does, e.g. ``search``)."""
    scope = tenant_scope(principal)
    if scope is not None and tenant is not None and tenant != scope:
        raise BadRequestError(f"tenant: you may only {verb} your own tenant", field="tenant")
    return scope or tenant


def time_window(
    begin: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """``from``/``to`` as UTC datetimes; 400 when ``to`` comes before ``from``."""
    begin, end = to_datetime(begin), to_datetime(end)
    if begin is not None and end is not None and end < begin:
        raise BadRequestError("to: must not be earlier than 'from'", field="to")
    return begin, end
