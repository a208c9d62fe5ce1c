"""Regression tests for the fixes of the API de-duplication pass (proposed for tests/api)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from api.state import AppState


def _users(state: AppState) -> dict[str, tuple[int, dict[str, str]]]:
    out = {}
    for tenant in ("acme", "globex"):
        state.accounts.ensure_tenant(tenant)
    for name, role, tenant in (
        ("acme-admin", "tenant-admin", "acme"),
        ("sys", "system-admin", "acme"),
    ):
        user = state.accounts.create_user(name, role, tenant)
        assert user.id is not None
        out[name] = (user.id, {"X-API-Key": state.accounts.create_api_key(user.id, "k")[1]})
    return out


def test_tenant_admin_cannot_mint_or_revoke_keys_of_a_system_admin(
    anonymous: TestClient[Litestar], state: AppState
) -> None:
    users = _users(state)
    sys_id, sys_headers = users["sys"]
    _, admin = users["acme-admin"]
    minted = anonymous.post(f"/api/v1/users/{sys_id}/api-keys", headers=admin, json={"name": "x"})
    assert minted.status_code == 403, minted.text
    assert minted.json()["detail"] == "only a system admin may create API keys for a system admin"
    key_id = state.accounts.list_api_keys(sys_id)[0].key_id
    revoked = anonymous.delete(f"/api/v1/users/{sys_id}/api-keys/{key_id}", headers=admin)
    assert revoked.status_code == 403, revoked.text
    own = anonymous.post(
        f"/api/v1/users/{sys_id}/api-keys", headers=sys_headers, json={"name": "y"}
    )
    assert own.status_code == 201


def test_listing_users_of_another_tenant_is_refused(
    anonymous: TestClient[Litestar], state: AppState
) -> None:
    _, admin = _users(state)["acme-admin"]
    response = anonymous.get("/api/v1/users?tenant=globex", headers=admin)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "detail": "tenant: you may only list users of your own tenant",
        "field": "tenant",
    }
    assert anonymous.get("/api/v1/users?tenant=acme", headers=admin).status_code == 200
