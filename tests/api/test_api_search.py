"""Recording search over every criterion, sorting, updates, soft delete, hold and purge."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.state import AppState
from srs.storage import Repository
from srs.storage.catalog import TenantRules
from srs.storage.examples import EPOCH, example_result, example_snapshot

AUDIO = bytes(range(256)) * 8


def store(
    repo: Repository,
    tmp_path: Path,
    rid: str,
    offset: float = 0,
    duration: float = 12.5,
    direction: str = "inbound",
    completeness: float = 0.998,
    **kwargs: Any,
) -> Path:
    path = tmp_path / f"{rid}.wav"
    path.write_bytes(AUDIO)
    snapshot = example_snapshot(rid, call_id=f"call-{rid}", started_at=EPOCH + offset, **kwargs)
    snapshot["facts"]["direction"] = direction
    result = example_result(path, duration=duration)
    result["files"][0]["sha256"] = hashlib.sha256(AUDIO).hexdigest()
    result["completeness"] = completeness
    repo.save_recording(result, snapshot, 5.0)
    return path


@pytest.fixture
def three(repo: Repository, tmp_path: Path, state: AppState) -> dict[str, Path]:
    paths = {
        "a": store(repo, tmp_path, "a", 0, 30.0, "inbound", 1.0, vendor_ids={"ucid": "U-1"}),
        "b": store(
            repo, tmp_path, "b", 60, 5.0, "outbound", 0.5, caller=("c", "Carol Jones", "+4930123")
        ),
        "c": store(repo, tmp_path, "c", 120, 90.0, "internal", 0.9),
    }
    state.catalog.annotate(
        "a", {"tags": ["vip", "sales"], "notes": "Angry customer", "agent_id": "A1", "flag": 3}
    )
    state.catalog.annotate(
        "b", {"tags": ["sales"], "agent_name": "Zoe Agent", "client_id": "C9", "flag": 9}
    )
    state.catalog.annotate("c", {"campaign_id": "spring"})
    return paths


def ids(client: TestClient[Litestar], query: str = "") -> list[str]:
    response = client.get(f"/api/v1/recordings{query}")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.usefixtures("three")
def test_search_criteria(client: TestClient[Litestar]) -> None:
    assert ids(client) == ["c", "b", "a"]
    assert ids(client, "?participant=carol") == ["b"]
    assert ids(client, "?participant=Carol%20Jones&participant_match=equals") == ["b"]
    assert ids(client, "?participant=Carol&participant_match=equals") == []
    assert ids(client, "?participant=sip:%2B15552000@pbx.example.com&participant_match=equals") == [
        "c",
        "b",
        "a",
    ]
    assert ids(client, "?direction=outbound") == ["b"]
    assert ids(client, "?min_duration=10&max_duration=60") == ["a"]
    assert ids(client, "?vendor_id=U-1") == ["a"]
    assert ids(client, "?vendor_id=call-b") == ["b"]  # the SIP Call-ID is a vendor id too
    assert ids(client, "?call_id=call-c") == ["c"]
    assert ids(client, "?tag=sales") == ["b", "a"]
    assert ids(client, "?tag=sales&tag=VIP") == ["a"]
    assert ids(client, "?notes=angry") == ["a"]
    assert ids(client, "?agent=A1") == ["a"]
    assert ids(client, "?agent=zoe") == ["b"]
    assert ids(client, "?client_id=C9") == ["b"]
    assert ids(client, "?campaign_id=spring") == ["c"]
    assert ids(client, "?channels=2") == ["c", "b", "a"]
    assert ids(client, "?channels=1") == []
    assert ids(client, "?min_completeness=0.95") == ["a"]
    assert ids(client, "?max_completeness=0.6") == ["b"]
    assert ids(client, "?min_flag=5") == ["b"]
    assert ids(client, "?tenant=default") == ["c", "b", "a"]
    assert ids(client, "?from=2026-07-25T17:21:00Z&to=2026-07-25T17:22:00Z") == ["b"]


@pytest.mark.usefixtures("three")
def test_sorting_and_paging(client: TestClient[Litestar]) -> None:
    assert ids(client, "?sort=duration") == ["b", "a", "c"]
    assert ids(client, "?sort=-duration") == ["c", "a", "b"]
    assert ids(client, "?sort=started_at") == ["a", "b", "c"]
    assert ids(client, "?sort=-flag") == ["b", "a", "c"]
    assert ids(client, "?sort=completeness&limit=1&offset=1") == ["c"]
    page = client.get("/api/v1/recordings?limit=2").json()
    assert (page["total"], len(page["items"])) == (3, 2)
    bad = client.get("/api/v1/recordings?sort=colour")
    assert (bad.status_code, bad.json()["field"]) == (400, "sort")
    bad_dir = client.get("/api/v1/recordings?direction=sideways")
    assert (bad_dir.status_code, bad_dir.json()["field"]) == (400, "direction")


@pytest.mark.usefixtures("three")
def test_detail_has_timeline_quality_and_annotation(client: TestClient[Litestar]) -> None:
    detail = client.get("/api/v1/recordings/a").json()
    assert detail["quality"] == {
        "packets": 1249,
        "expected": 1250,
        "lost": 1,
        "loss_ratio": 0.0008,
        "max_jitter_ms": 2.5,
        "completeness": 1.0,
        "gaps": 1,
    }
    assert [(e["kind"], e["at"]) for e in detail["timeline"]] == [
        ("metadata", 0.0),
        ("dtmf", 3.0),
        ("hold", 5.0),
    ]
    assert detail["timeline"][1]["detail"] == {"digit": "5", "duration": 0.12}
    assert detail["annotation"]["tags"] == ["vip", "sales"]
    assert (detail["tenant_id"], detail["flag"], detail["agent_id"]) == ("default", 3, "A1")


@pytest.mark.usefixtures("three")
def test_update_recording_fields(client: TestClient[Litestar]) -> None:
    response = client.patch(
        "/api/v1/recordings/c", json={"notes": "callback", "tags": ["follow-up"], "flag": 10}
    )
    assert response.status_code == 200, response.text
    assert ids(client, "?tag=follow-up") == ["c"]
    assert ids(client, "?notes=callback") == ["c"]
    wrong = client.patch("/api/v1/recordings/c", json={"flag": -1})
    assert (wrong.status_code, wrong.json()["field"]) == (422, "flag")
    assert client.patch("/api/v1/recordings/zz", json={}).status_code == 404


def test_soft_delete_hold_restore_purge(
    client: TestClient[Litestar], three: dict[str, Path], state: AppState
) -> None:
    held = client.put("/api/v1/recordings/a/hold", json={"hold": True, "reason": "case 42"})
    assert held.status_code == 200 and held.json()["legal_hold"] is True
    refused = client.delete("/api/v1/recordings/a")
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "conflict",
        "detail": "recording 'a' is under legal hold",
        "field": "legal_hold",
    }
    assert ids(client, "?legal_hold=true") == ["a"]
    assert client.delete("/api/v1/recordings/b").status_code == 204
    assert ids(client) == ["c", "a"]
    assert client.get("/api/v1/recordings/b").status_code == 404
    assert client.get("/api/v1/recordings/b?deleted=true").json()["deleted"] is True
    assert ids(client, "?deleted=true") == ["b"]
    assert client.delete("/api/v1/recordings/b").status_code == 404  # already hidden
    assert client.post("/api/v1/recordings/b/restore").status_code == 200
    assert ids(client) == ["c", "b", "a"]
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    client.put("/api/v1/recordings/c/hold", json={"hold": False, "retain_until": future})
    retained = client.delete("/api/v1/recordings/c")
    assert (retained.status_code, retained.json()["field"]) == (409, "retain_until")
    assert client.delete("/api/v1/recordings/b").status_code == 204
    later = datetime.now(UTC) + timedelta(days=8)
    assert state.catalog.purge(datetime.now(UTC), timedelta(days=7)) == []
    assert state.catalog.purge(later, timedelta(days=7)) == ["b"]
    assert not three["b"].exists() and three["a"].exists()
    assert state.repository.get_recording("b") is None
    assert state.repository.get_session("b") is None
    actions = [
        (e["action"], e["outcome"])
        for e in client.get("/api/v1/audit?target_type=recording").json()["items"]
    ]
    assert actions[::-1] == [
        ("hold", "ok"),
        ("delete", "failed"),
        ("delete", "ok"),
        ("restore", "ok"),
        ("release", "ok"),
        ("delete", "failed"),
        ("delete", "ok"),
    ]


def test_tenant_rules() -> None:
    rules = TenantRules(sources={"10.1.0.0/16": "acme", "pbx.globex.com": "globex"})
    assert rules.tenant_for({"tenant": "t9"}, "10.1.2.3:5060") == "t9"
    assert rules.tenant_for({}, "10.1.2.3:5060") == "acme"
    assert rules.tenant_for(None, "[2001:db8::1]:5060") == "default"
    assert rules.tenant_for(None, "192.0.2.1", "<sip:src@PBX.globex.com>;tag=1") == "globex"
    snapshot = example_snapshot("x")
    snapshot["sip"]["source"] = "10.1.9.9:5061"
    assert rules.tenant_for_snapshot(snapshot) == "acme"


def test_claim_records_the_tenant_of_a_live_session(state: AppState, repo: Repository) -> None:
    state.catalog.rules = TenantRules(sources={"127.0.0.1": "lab"})
    snapshot = example_snapshot("live-1")
    repo.upsert_session(snapshot)
    assert state.catalog.claim(snapshot) == "lab"
    assert state.catalog.tenant_of_session("live-1") == "lab"
    snapshot["facts"]["tenant"] = "acme"  # a later metadata version names the tenant
    assert state.catalog.claim(snapshot) == "acme"
    del snapshot["facts"]["tenant"]
    assert state.catalog.claim(snapshot) == "acme"  # a derived guess does not override
