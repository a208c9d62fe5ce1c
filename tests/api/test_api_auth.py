"""Authentication, roles and tenant isolation: who may see and do what."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.state import AppState, DictLiveSessions
from srs.storage import Repository
from srs.storage.accounts import AuditQuery
from srs.storage.examples import EPOCH, example_result, example_snapshot

AUDIO = b"RIFF" + bytes(2000)


def store(repo: Repository, tmp_path: Path, rid: str, tenant: str | None = None) -> None:
    path = tmp_path / f"{rid}.wav"
    path.write_bytes(AUDIO)
    snapshot = example_snapshot(rid, call_id=f"call-{rid}", started_at=EPOCH)
    if tenant is not None:
        snapshot["facts"]["tenant"] = tenant
    result = example_result(path)
    result["files"][0]["sha256"] = hashlib.sha256(AUDIO).hexdigest()
    repo.save_recording(result, snapshot, 5.0)


class Users:
    """API keys of one user per role in tenants ``acme`` and ``globex``."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.keys: dict[str, str] = {}
        self.ids: dict[str, int] = {}
        for tenant in ("acme", "globex"):
            state.accounts.ensure_tenant(tenant)
        for name, role, tenant, agent in (
            ("acme-admin", "tenant-admin", "acme", None),
            ("acme-super", "supervisor", "acme", None),
            ("acme-agent", "agent", "acme", "A7"),
            ("globex-admin", "tenant-admin", "globex", None),
            ("sys", "system-admin", "acme", None),
        ):
            user = state.accounts.create_user(
                name, role, tenant, agent_id=agent, password="secret-pw"
            )
            assert user.id is not None
            self.ids[name] = user.id
            self.keys[name] = state.accounts.create_api_key(user.id, "k")[1]

    def h(self, name: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[name]}


@pytest.fixture
def users(state: AppState) -> Users:
    return Users(state)


@pytest.fixture
def stored(repo: Repository, tmp_path: Path, state: AppState) -> None:
    store(repo, tmp_path, "a1", "acme")
    store(repo, tmp_path, "a2", "acme")
    store(repo, tmp_path, "g1", "globex")
    state.catalog.annotate("a2", {"agent_id": "A7"})


def test_credentials_are_required(anonymous: TestClient[Litestar]) -> None:
    response = anonymous.get("/api/v1/recordings")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="srs"'
    assert response.json()["error"] == "unauthorized"
    for path in ("/api/v1/health", "/api/v1/version", "/api/v1/ready", "/api/v1/metrics"):
        assert anonymous.get(path).status_code == 200, path
    assert anonymous.get("/schema/openapi.json").status_code == 200


def test_bad_and_revoked_keys(anonymous: TestClient[Litestar], users: Users) -> None:
    assert anonymous.get("/api/v1/sessions", headers={"X-API-Key": "srs_x_y"}).json() == {
        "error": "unauthorized",
        "detail": "X-API-Key: invalid or revoked key",
        "field": "X-API-Key",
    }
    forged = users.keys["sys"][:-2] + "zz"
    assert anonymous.get("/api/v1/sessions", headers={"X-API-Key": forged}).status_code == 401
    bearer = {"Authorization": f"Bearer {users.keys['sys']}"}
    assert anonymous.get("/api/v1/sessions", headers=bearer).status_code == 200
    key_id = users.keys["acme-admin"].split("_")[1]
    revoked = anonymous.delete(
        f"/api/v1/users/{users.ids['acme-admin']}/api-keys/{key_id}", headers=users.h("sys")
    )
    assert revoked.status_code == 204
    assert anonymous.get("/api/v1/sessions", headers=users.h("acme-admin")).status_code == 401
    basic = anonymous.get("/api/v1/sessions", headers={"Authorization": "Basic eDp5"})
    assert (basic.status_code, basic.json()["field"]) == (401, "Authorization")


def test_password_login_cookie_and_csrf(anonymous: TestClient[Litestar], users: Users) -> None:
    wrong = anonymous.post("/api/v1/auth/login", json={"username": "acme-super", "password": "x"})
    assert (wrong.status_code, wrong.json()["field"]) == (401, "password")
    ok = anonymous.post(
        "/api/v1/auth/login", json={"username": "acme-super", "password": "secret-pw"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["user"]["role"] == "supervisor"
    assert "httponly" in ok.headers["set-cookie"].lower()
    assert anonymous.get("/api/v1/auth/me").json()["username"] == "acme-super"
    # a state-changing request with only the cookie needs X-Requested-With
    refused = anonymous.patch("/api/v1/sessions/x", json={})
    assert (refused.status_code, refused.json()["field"]) == (403, "X-Requested-With")
    allowed = anonymous.patch("/api/v1/sessions/x", json={}, headers={"X-Requested-With": "ui"})
    assert allowed.status_code == 404
    token = ok.json()["token"]
    assert (
        anonymous.post("/api/v1/auth/logout", headers={"X-Requested-With": "ui"}).status_code == 204
    )
    anonymous.cookies.clear()
    assert (
        anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    audit = users.state.accounts.list_audit(AuditQuery(action="login"))
    assert [e.outcome for e in audit] == ["ok", "denied"]


def ids(client: TestClient[Litestar], headers: dict[str, str], query: str = "") -> list[str]:
    response = client.get(f"/api/v1/recordings{query}", headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


@pytest.mark.usefixtures("stored")
def test_tenant_isolation_of_recordings(anonymous: TestClient[Litestar], users: Users) -> None:
    assert ids(anonymous, users.h("acme-admin")) == ["a1", "a2"]
    assert ids(anonymous, users.h("globex-admin")) == ["g1"]
    assert ids(anonymous, users.h("sys")) == ["a1", "a2", "g1"]
    assert ids(anonymous, users.h("sys"), "?tenant=globex") == ["g1"]
    other = anonymous.get("/api/v1/recordings?tenant=globex", headers=users.h("acme-admin"))
    assert (other.status_code, other.json()["field"]) == (400, "tenant")
    for method, path in (
        ("GET", "/api/v1/recordings/g1"),
        ("GET", "/api/v1/recordings/g1/media"),
        ("PATCH", "/api/v1/recordings/g1"),
        ("DELETE", "/api/v1/recordings/g1"),
        ("PUT", "/api/v1/recordings/g1/hold"),
        ("GET", "/api/v1/sessions/g1"),
        ("PATCH", "/api/v1/sessions/g1"),
        ("POST", "/api/v1/sessions/g1/pause"),
    ):
        body = {"hold": True} if path.endswith("hold") else {}
        response = anonymous.request(method, path, headers=users.h("acme-admin"), json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert "g1" in response.json()["detail"]
    assert (
        anonymous.get("/api/v1/recordings/g1", headers=users.h("globex-admin")).status_code == 200
    )


@pytest.mark.usefixtures("stored")
def test_agent_reads_only_own_recordings(anonymous: TestClient[Litestar], users: Users) -> None:
    agent = users.h("acme-agent")
    assert ids(anonymous, agent) == ["a2"]
    assert anonymous.get("/api/v1/recordings/a1", headers=agent).status_code == 404
    assert anonymous.get("/api/v1/recordings/a2", headers=agent).status_code == 200
    media = anonymous.get("/api/v1/recordings/a2/media", headers=agent)
    assert media.status_code == 200 and media.content == AUDIO
    for method, path, body in (
        ("PATCH", "/api/v1/recordings/a2", {"notes": "mine"}),
        ("DELETE", "/api/v1/recordings/a2", None),
        ("PUT", "/api/v1/recordings/a2/hold", {"hold": True}),
    ):
        response = anonymous.request(method, path, headers=agent, json=body)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"] == "forbidden"
    assert anonymous.get("/api/v1/audit", headers=agent).status_code == 403
    assert anonymous.get("/api/v1/users", headers=agent).status_code == 403
    # the agent's download and refused delete are in the audit log
    audit = anonymous.get("/api/v1/audit?target_id=a2", headers=users.h("acme-admin")).json()
    assert {(e["actor"], e["action"], e["outcome"]) for e in audit["items"]} >= {
        ("acme-agent", "download", "ok"),
        ("acme-agent", "delete", "denied"),
    }


def test_live_sessions_are_isolated(
    anonymous: TestClient[Litestar], users: Users, live: DictLiveSessions
) -> None:
    a = example_snapshot("live-a")
    a["facts"]["tenant"] = "acme"
    g = example_snapshot("live-g")
    g["facts"]["tenant"] = "globex"
    live.sessions.update({"live-a": a, "live-g": g})
    listed = anonymous.get("/api/v1/sessions", headers=users.h("acme-super")).json()
    assert [s["id"] for s in listed["items"]] == ["live-a"]
    assert listed["items"][0]["tenant_id"] == "acme"
    assert (
        anonymous.get("/api/v1/sessions/live-g", headers=users.h("acme-super")).status_code == 404
    )
    agent = anonymous.get("/api/v1/sessions", headers=users.h("acme-agent")).json()
    assert agent["items"] == []  # no live call of agent A7
    refused = anonymous.post("/api/v1/sessions/live-a/pause", headers=users.h("acme-agent"))
    assert refused.status_code == 404  # agents do not even see other agents' calls


def test_role_limits_on_user_management(anonymous: TestClient[Litestar], users: Users) -> None:
    admin = users.h("acme-admin")
    created = anonymous.post(
        "/api/v1/users", headers=admin, json={"username": "new-agent", "role": "agent"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["tenant_id"] == "acme"
    escalate = anonymous.post(
        "/api/v1/users", headers=admin, json={"username": "evil", "role": "system-admin"}
    )
    assert (escalate.status_code, escalate.json()["field"]) == (403, "role")
    elsewhere = anonymous.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "spy", "role": "agent", "tenant_id": "globex"},
    )
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (403, "tenant_id")
    duplicate = anonymous.post(
        "/api/v1/users", headers=admin, json={"username": "new-agent", "role": "agent"}
    )
    assert (duplicate.status_code, duplicate.json()["field"]) == (409, "username")
    bad_role = anonymous.post(
        "/api/v1/users", headers=admin, json={"username": "x1", "role": "king"}
    )
    assert (bad_role.status_code, bad_role.json()["field"]) == (422, "role")
    names = [u["username"] for u in anonymous.get("/api/v1/users", headers=admin).json()["items"]]
    assert "globex-admin" not in names and "new-agent" in names
    globex_id = users.ids["globex-admin"]
    assert anonymous.get(f"/api/v1/users/{globex_id}", headers=admin).status_code == 404
    assert anonymous.get("/api/v1/users", headers=users.h("acme-super")).status_code == 403
    admin_id = users.ids["acme-admin"]
    assert (
        anonymous.get(f"/api/v1/users/{admin_id}", headers=users.h("acme-super")).status_code == 403
    )
    myself = anonymous.get(
        f"/api/v1/users/{users.ids['acme-super']}", headers=users.h("acme-super")
    )
    assert myself.json()["username"] == "acme-super"
    new_id = created.json()["id"]
    changed = anonymous.patch(f"/api/v1/users/{new_id}", headers=admin, json={"agent_id": "A9"})
    assert changed.json()["agent_id"] == "A9"
    cleared = anonymous.patch(f"/api/v1/users/{new_id}", headers=admin, json={"agent_id": None})
    assert (cleared.json()["agent_id"], cleared.json()["role"]) == (None, "agent")
    promote = anonymous.patch(
        f"/api/v1/users/{new_id}", headers=admin, json={"role": "system-admin"}
    )
    assert (promote.status_code, promote.json()["field"]) == (403, "role")
    tenants = anonymous.post("/api/v1/tenants", headers=admin, json={"id": "t3", "name": "T3"})
    assert tenants.status_code == 403
    by_sys = anonymous.post(
        "/api/v1/tenants", headers=users.h("sys"), json={"id": "t3", "name": "T3"}
    )
    assert by_sys.status_code == 201
    listed = anonymous.get("/api/v1/tenants", headers=admin).json()["items"]
    assert [t["id"] for t in listed] == ["acme"]
    # a supervisor may still manage its own API keys
    own = users.ids["acme-super"]
    key = anonymous.post(
        f"/api/v1/users/{own}/api-keys", headers=users.h("acme-super"), json={"name": "crm"}
    )
    assert key.status_code == 201
    assert key.json()["key"].startswith("srs_")
    assert (
        anonymous.get("/api/v1/sessions", headers={"X-API-Key": key.json()["key"]}).status_code
        == 200
    )
