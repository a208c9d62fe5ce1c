"""System endpoints, the error shape and the OpenAPI document."""

from __future__ import annotations

import shutil
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from srs import __version__


def test_health_and_version(client: TestClient[Litestar]) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/api/v1/version").json() == {"name": "srs", "version": __version__}


def test_ready_checks_the_database(client: TestClient[Litestar], tmp_path: Path) -> None:
    response = client.get("/api/v1/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}
    shutil.rmtree(tmp_path / "db")  # SQLite cannot open (or create) the file any more
    response = client.get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json() == {
        "error": "unavailable",
        "detail": "database: not reachable",
        "field": "database",
    }


def test_unknown_route_uses_the_error_shape(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}
    response = client.post("/api/v1/health")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_openapi_document(client: TestClient[Litestar]) -> None:
    document = client.get("/schema/openapi.json").json()
    operations = {
        op["operationId"]
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
    }
    assert {
        "GetHealth",
        "GetReadiness",
        "GetVersion",
        "ListSessions",
        "GetSession",
        "ListRecordings",
        "GetRecording",
        "GetRecordingMedia",
    } <= operations
    params = {p["name"] for p in document["paths"]["/api/v1/recordings"]["get"]["parameters"]}
    assert {"caller", "callee", "call_id", "vendor_id", "from", "to", "limit", "offset"} <= params
    assert client.get("/schema").status_code == 200
