"""The server-rendered pages, without a browser: access, content and headers."""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.media.signing import signer_for
from api.state import AppState
from api.ui.auth import safe_next
from api.ui.render import clock
from srs.storage.accounts import DEFAULT_TENANT
from srs.storage.examples import example_result, example_snapshot


def attr(html: str, element_id: str, name: str) -> str:
    """Attribute ``name`` of the element with ``id``."""
    match = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"no element #{element_id}"
    value = re.search(rf'\b{name}="([^"]*)"', match.group(0))
    assert value, f"#{element_id} has no {name}"
    return unescape(value.group(1))


@pytest.mark.parametrize("path", ["/ui/", "/ui/recordings?caller=x", "/ui/recordings/rec-ui"])
def test_pages_need_a_login(anonymous: TestClient[Litestar], path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/ui")
    login = anonymous.get(response.headers["location"])
    assert attr(login.text, "login", "data-next") in (path, path.rstrip("/"))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/recordings?caller=1", "/ui/recordings?caller=1"),
        ("//evil.example/", "/ui/"),
        ("https://evil.example/", "/ui/"),
        ("/\\evil.example", "/ui/"),
        (None, "/ui/"),
    ],
)
def test_login_never_redirects_off_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_live_board(browser: TestClient[Litestar]) -> None:
    response = browser.get("/ui/")
    assert response.status_code == 200
    assert attr(response.text, "live-board", "data-source") == "/api/v1/sessions/"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert attr(response.text, "whoami", "id") == "whoami" and "sup · supervisor" in response.text
    assert attr(response.text, "live-board", "data-events") == "/api/v1/sessions/events"
    assert attr(response.text, "live-board", "data-control") == "/api/v1/sessions/"
    assert attr(response.text, "live-board", "data-can-control") == "true"


def test_agents_get_no_controls(
    anonymous: TestClient[Litestar], recording: str, state: AppState
) -> None:
    """Agents may watch (their own calls) and play, but neither control nor annotate."""
    state.accounts.create_user(
        "ag", "agent", DEFAULT_TENANT, password="pw-agent-123", agent_id="a1"
    )
    state.catalog.annotate(recording, {"agent_id": "a1"}, tenant_id=DEFAULT_TENANT)
    anonymous.post("/api/v1/auth/login", json={"username": "ag", "password": "pw-agent-123"})
    board = anonymous.get("/ui/").text
    assert attr(board, "live-board", "data-can-control") == "false"
    player = anonymous.get(f"/ui/recordings/{recording}")
    assert player.status_code == 200
    assert 'id="annotate"' not in player.text
    assert '<dd id="agent-value">a1</dd>' in player.text


def test_player_annotation_form(
    browser: TestClient[Litestar], recording: str, state: AppState
) -> None:
    state.catalog.annotate(
        recording,
        {"tags": ["vip", "billing"], "flag": 4, "agent_name": "Ann <A>", "campaign_id": "c1"},
    )
    html = browser.get(f"/ui/recordings/{recording}").text
    assert attr(html, "annotate", "data-endpoint") == f"/api/v1/recordings/{recording}"
    assert attr(html, "f-tags", "value") == "vip, billing"
    assert attr(html, "f-flag", "value") == "4"
    assert attr(html, "f-agent-name", "value") == "Ann <A>"
    assert attr(html, "f-campaign-id", "value") == "c1"
    assert attr(html, "f-client-id", "value") == ""
    assert '<dd id="flag-value" class="flag">4</dd>' in html
    assert '<dd id="agent-value">Ann &lt;A&gt;</dd>' in html


def test_search_filters(browser: TestClient[Litestar], recording: str, state: AppState) -> None:
    def found(query: str) -> list[str]:
        response = browser.get(f"/ui/recordings?{query}")
        assert response.status_code == 200, response.text
        return re.findall(r'data-recording-id="([^"]+)"', response.text)

    assert found("") == [recording]
    assert found("caller=%2B15551000") == [recording]
    assert found("caller=nobody") == []
    assert found("callee=bob") == [recording]
    assert found("from=2026-07-25T17:19:59&to=2026-07-25T17:20:01") == [recording]
    assert found("from=2026-07-25T17:20:01") == []
    state.catalog.annotate(recording, {"tags": ["vip", "billing"]})
    assert found("tags=vip") == [recording]
    assert found("tags=vip,other") == []


def test_search_reports_a_bad_date(browser: TestClient[Litestar]) -> None:
    response = browser.get("/ui/recordings?from=yesterday")
    assert response.status_code == 400
    assert "From: not a date and time: &#39;yesterday&#39;" in response.text


def test_search_is_scoped_to_the_viewer(
    anonymous: TestClient[Litestar], recording: str, state: AppState
) -> None:
    state.accounts.create_user(
        "ag", "agent", DEFAULT_TENANT, password="pw-agent-123", agent_id="a1"
    )
    anonymous.post("/api/v1/auth/login", json={"username": "ag", "password": "pw-agent-123"})
    response = anonymous.get("/ui/recordings")
    assert "data-recording-id" not in response.text
    assert anonymous.get(f"/ui/recordings/{recording}").status_code == 404


def test_player(browser: TestClient[Litestar], recording: str, state: AppState) -> None:
    state.catalog.annotate(recording, {"notes": "Customer <asked> for a refund", "tags": ["vip"]})
    response = browser.get(f"/ui/recordings/{recording}")
    assert response.status_code == 200
    html = response.text
    assert attr(html, "audio", "src") == f"/api/v1/recordings/{recording}/audio"
    assert attr(html, "waveform", "src").startswith(f"/api/v1/recordings/{recording}/waveform.png?")
    labels = re.findall(r'<li class="ch ch(\d)"[^>]*>([^<]*)</li>', html)
    assert labels == [("0", "Alice Smith"), ("1", "Bob Jones")]
    # DTMF "5" at 3.0 s of 12.5 s sits at 24 % of the waveform, coloured as channel 0
    marker = re.search(
        r'<button type="button" class="dtmf ch0" style="left: ([\d.]+)%"[^>]*>5<', html
    )
    assert marker and float(marker.group(1)) == pytest.approx(24.0)
    assert "Customer &lt;asked&gt; for a refund" in html  # escaped, not markup
    assert '<span class="tag">vip</span>' in html
    assert f"{clock(12.5)}" in html
    for url in re.findall(r'href="(/api/v1/recordings/[^"]+)"', html):
        status = browser.get(unescape(url)).status_code
        assert status == 200, url


def test_player_plays_g711_as_pcm(
    browser: TestClient[Litestar], state: AppState, tmp_path: Path
) -> None:
    path = tmp_path / "g.wav"
    path.write_bytes(b"RIFF")  # never read: only the format decides the URL
    result = example_result(path)
    result["files"][0]["format"] = "wav-pcmu"
    snapshot = example_snapshot("rec-g")
    state.repository.save_recording(result, snapshot, 1.0)
    html = browser.get("/ui/recordings/rec-g").text
    assert attr(html, "audio", "src") == "/api/v1/recordings/rec-g/audio?format=wav"


def test_embed_by_signed_link(
    anonymous: TestClient[Litestar], recording: str, state: AppState
) -> None:
    link = signer_for(state.config).sign(recording, 600, time.time())
    response = anonymous.get(f"/embed/{recording}?{link.query}")
    assert response.status_code == 200
    assert "x-frame-options" not in response.headers
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    audio = attr(response.text, "audio", "src")
    assert audio == f"/share/{recording}/audio?{link.query}"
    assert anonymous.get(audio).status_code == 200
    assert anonymous.get(attr(response.text, "waveform", "src")).status_code == 200
    assert "Alice Smith" in response.text


@pytest.mark.parametrize("query", ["", "exp=1&sig=x", "exp=99999999999&sig=forged"])
def test_embed_refuses_bad_links(
    anonymous: TestClient[Litestar], recording: str, query: str
) -> None:
    response = anonymous.get(f"/embed/{recording}?{query}")
    assert response.status_code == 403
    assert "This link cannot be opened" in response.text
    assert "Alice" not in response.text


@pytest.mark.parametrize("name", ["ui.css", "live.js", "player.js", "login.js", "nav.js"])
def test_static_files(anonymous: TestClient[Litestar], name: str) -> None:
    response = anonymous.get(f"/ui/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")


@pytest.mark.parametrize("name", ["..%2Fcontrollers.py", ".hidden", "nope.js"])
def test_static_files_stay_in_their_directory(anonymous: TestClient[Litestar], name: str) -> None:
    assert anonymous.get(f"/ui/static/{name}").status_code == 404
