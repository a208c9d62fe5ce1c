"""``/recordings``: search, details and media download with Range."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from srs.storage import Repository
from srs.storage.examples import EPOCH, example_result, example_snapshot

AUDIO = bytes(range(256)) * 40  # 10240 bytes


def store(repo: Repository, tmp_path: Path, rid: str, offset: float = 0, **kwargs: object) -> Path:
    path = tmp_path / f"{rid}.wav"
    path.write_bytes(AUDIO)
    snapshot = example_snapshot(rid, call_id=f"call-{rid}", started_at=EPOCH + offset, **kwargs)  # type: ignore[arg-type]
    result = example_result(path)
    result["files"][0]["sha256"] = hashlib.sha256(AUDIO).hexdigest()
    repo.save_recording(result, snapshot, 5.0)
    return path


def test_search(client: TestClient[Litestar], repo: Repository, tmp_path: Path) -> None:
    store(repo, tmp_path, "a", 0, vendor_ids={"ucid": "U-1"})
    store(repo, tmp_path, "b", 3600, caller=("c", "Carol", "+4930123"))

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/recordings{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids("") == ["b", "a"]
    assert ids("?caller=carol") == ["b"]
    assert ids("?callee=%2B15552000") == ["b", "a"]
    assert ids("?vendor_id=U-1") == ["a"]
    assert ids("?call_id=call-b") == ["b"]
    assert ids("?from=2026-07-25T17:30:00Z") == ["b"]
    assert ids("?to=2026-07-25T17:30:00Z") == ["a"]
    assert ids("?from=2026-07-25T18:20:00%2B01:00&to=2026-07-25T17:20:01Z") == ["a"]
    page = client.get("/api/v1/recordings?limit=1&offset=1").json()
    assert ([i["id"] for i in page["items"]], page["total"], page["limit"], page["offset"]) == (
        ["a"],
        2,
        1,
        1,
    )
    item = client.get("/api/v1/recordings?caller=carol").json()["items"][0]
    assert item["caller"] == {
        "number": "+4930123",
        "name": "Carol",
        "aor": "sip:+4930123@pbx.example.com",
    }
    assert item["media_url"] == "/api/v1/recordings/b/media"
    assert item["started_at"] == "2026-07-25T18:20:00Z"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-07-26T00:00:00Z&to=2026-07-25T00:00:00Z", "to"),
    ],
)
def test_search_validation_names_the_field(
    client: TestClient[Litestar], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/recordings?{query}")
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["field"]) == ("invalid_request", field)
    assert body["detail"].startswith(f"{field}: ")


def test_detail(client: TestClient[Litestar], repo: Repository, tmp_path: Path) -> None:
    store(repo, tmp_path, "a", vendor_ids={"ucid": "U-1"})
    body = client.get("/api/v1/recordings/a").json()
    assert (body["id"], body["session_state"], body["duration"], body["channels"]) == (
        "a",
        "finalized",
        12.5,
        2,
    )
    assert body["sha256"] == hashlib.sha256(AUDIO).hexdigest()
    assert body["finalize_latency_ms"] == 5.0
    assert [p["participant_id"] for p in body["participants"]] == ["alice", "bob"]
    assert [(s["key"], s["codec"], s["lost"]) for s in body["streams"]] == [
        ("s0", "PCMU", 0),
        ("s1", "PCMU", 1),
    ]
    assert [(m["seq"], m["content_type"]) for m in body["metadata"]] == [
        (0, "application/rs-metadata+xml")
    ]
    assert body["metadata"][0]["raw"].startswith("<recording")
    assert {(v["kind"], v["value"]) for v in body["vendor_ids"]} == {
        ("sip_call_id", "call-a"),
        ("ucid", "U-1"),
    }
    assert body["files"][0]["url"] == "/api/v1/recordings/a/media"
    assert body["dtmf"][0]["digit"] == "5"
    assert body["facts"]["direction"] == "inbound" == body["direction"]
    missing = client.get("/api/v1/recordings/zzz")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not_found",
        "detail": "recording 'zzz' not found",
        "field": "recording_id",
    }


def test_media_whole_file(client: TestClient[Litestar], repo: Repository, tmp_path: Path) -> None:
    store(repo, tmp_path, "a")
    response = client.get("/api/v1/recordings/a/media")
    assert response.status_code == 200
    assert response.content == AUDIO
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(AUDIO))
    assert response.headers["etag"] == f'"{hashlib.sha256(AUDIO).hexdigest()}"'


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-40", 10200, 10239),
        ("bytes=-99999", 0, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_media_range(
    client: TestClient[Litestar],
    repo: Repository,
    tmp_path: Path,
    header: str,
    first: int,
    last: int,
) -> None:
    store(repo, tmp_path, "a")
    response = client.get("/api/v1/recordings/a/media", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == AUDIO[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(AUDIO)}"
    assert response.headers["content-length"] == str(last - first + 1)


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=abc"])
def test_media_ignores_unusable_ranges(
    client: TestClient[Litestar], repo: Repository, tmp_path: Path, header: str
) -> None:
    store(repo, tmp_path, "a")
    response = client.get("/api/v1/recordings/a/media", headers={"Range": header})
    assert (response.status_code, len(response.content)) == (200, len(AUDIO))


def test_media_unsatisfiable_and_stale_if_range(
    client: TestClient[Litestar], repo: Repository, tmp_path: Path
) -> None:
    store(repo, tmp_path, "a")
    response = client.get("/api/v1/recordings/a/media", headers={"Range": "bytes=10240-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(AUDIO)}"
    assert response.json()["error"] == "range_not_satisfiable"
    stale = client.get(
        "/api/v1/recordings/a/media", headers={"Range": "bytes=0-9", "If-Range": '"old"'}
    )
    assert (stale.status_code, len(stale.content)) == (200, len(AUDIO))


def test_media_missing_file_or_index(
    client: TestClient[Litestar], repo: Repository, tmp_path: Path
) -> None:
    path = store(repo, tmp_path, "a")
    response = client.get("/api/v1/recordings/a/media?file=1")
    assert response.status_code == 404 and response.json()["field"] == "file"
    path.unlink()
    response = client.get("/api/v1/recordings/a/media")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "media file of recording 'a' is missing",
        "field": "file",
    }
    assert client.get("/api/v1/recordings/zzz/media").status_code == 404
