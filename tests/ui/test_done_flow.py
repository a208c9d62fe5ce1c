"""Issue #6's "done means", in one browser test against a fresh ``srs serve``.

An admin made with ``srs user add`` logs in through ``/login``; a SIPp SIPREC call (its
first stream sends two RFC 4733 digits) shows up on the live board without a reload and
leaves it when it ends; the recording is found by the caller's number, and the player
loads and plays its audio, draws its waveform, labels the channels with the participants
and marks the digits.  Then tenant isolation, through the API: a key of a second tenant
gets 404 for the recording, its audio and its waveform, and finds nothing, while a key of
the first tenant sees it all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_call import (
    CALLER,
    NAMES,
    SrsServer,
    chromium,
    dtmf_scenario,
    find_by_caller,
    log_in,
    running,
    sipp,
    srs_user_add,
    ui_server,
)
from playwright.sync_api import BrowserContext, expect

pytestmark = pytest.mark.sipp

ADMIN, PASSWORD = "admin", "done-flow-password"
DIGITS = (("1", 1.0, 0.2), ("#", 2.5, 0.2))  # digit, start (s), length (s) on Alice's stream
CALL_SECONDS = 4.0  # the pcap; SIPp's pause (-d) is a little longer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SrsServer]:
    with running(ui_server(tmp_path / "srs")) as srs:
        yield srs


@pytest.fixture
def context(tmp_path: Path) -> Iterator[BrowserContext]:
    with chromium(tmp_path / "chromium-profile") as browser_context:
        yield browser_context


def api(server: SrsServer, key: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, server.url(path), headers={"X-API-Key": key}, timeout=10.0, **kwargs
    )


def tenant_key(server: SrsServer, admin_key: str, tenant: str, user: str) -> str:
    """A supervisor of ``tenant`` and an API key for it, made by the admin via the API."""
    made = api(
        server,
        admin_key,
        "POST",
        "/api/v1/users/",
        json={"username": user, "role": "supervisor", "tenant_id": tenant},
    )
    assert made.status_code == 201, made.text
    key = api(
        server,
        admin_key,
        "POST",
        f"/api/v1/users/{made.json()['id']}/api-keys/",
        json={"name": f"{user}-key"},
    )
    assert key.status_code == 201, key.text
    value: str = key.json()["key"]
    return value


def test_done_flow(server: SrsServer, context: BrowserContext, tmp_path: Path) -> None:
    admin_key = srs_user_add(
        server.config_path, ADMIN, "system-admin", password=PASSWORD, api_key="admin-key"
    )
    assert admin_key
    base = server.url("")
    page = context.new_page()
    log_in(page, base, ADMIN, PASSWORD)

    # the board is open (fed by the event stream) before the call starts
    expect(page.locator("#live-board")).to_have_attribute("data-mode", "sse")
    expect(page.locator("#live-count")).to_have_text("(0)")
    page.evaluate("window.__noReload = true")
    scenario = dtmf_scenario(tmp_path / "scenario", CALL_SECONDS, DIGITS)
    run = sipp(scenario, server, "udp", tmp_path / "sipp", pause_ms=int(CALL_SECONDS * 1000) + 1500)
    run.start()
    row = page.locator(f'#live-rows tr[data-call-id="{run.call_id}"]')
    try:
        expect(row).to_have_attribute("data-state", "live")
        expect(row).to_contain_text(CALLER)
        for name in NAMES:
            expect(row.locator("td.participants")).to_contain_text(name)
        expect(row.locator("td.streams li")).to_have_count(2)
        expect(row.locator("td.streams")).to_contain_text(re.compile("pcmu/8000", re.I))
    finally:
        run.check()
    page.wait_for_function(
        f"""() => {{ const r = document.querySelector('#live-rows tr[data-call-id="{run.call_id}"]');
        return !r || r.dataset.state === 'ended'; }}"""
    )
    assert page.evaluate("window.__noReload === true"), "the board was reloaded"

    find_by_caller(page, base, run.call_id)
    page.locator("#results tbody tr", has_text=run.call_id).locator("a.play").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/ui/recordings/[^?]+$"))
    recording_id = page.url.rsplit("/", 1)[1]

    page.wait_for_function(
        "() => { const a = document.getElementById('audio');"
        " return a.readyState >= 2 && a.duration > 0; }"
    )
    page.evaluate("document.getElementById('audio').play()")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.3")
    page.wait_for_function(
        "() => { const i = document.getElementById('waveform');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    labels = page.locator(".channel-labels li")
    expect(labels).to_have_count(2)
    expect(labels.nth(0)).to_have_text(NAMES[0])
    expect(labels.nth(1)).to_have_text(NAMES[1])
    markers = page.locator(".wave button.dtmf")
    expect(markers).to_have_text([d for d, _, _ in DIGITS])
    starts = [float(markers.nth(i).get_attribute("data-start") or "nan") for i in range(2)]
    for (_, sent, _), got in zip(DIGITS, starts, strict=True):
        assert abs(got - sent) < 0.3, (starts, DIGITS)
    expect(markers.first).to_have_class(re.compile(r"\bch0\b"))  # Alice's channel

    # tenant isolation: a key of another tenant sees nothing, the first tenant's key does
    created = api(
        server, admin_key, "POST", "/api/v1/tenants/", json={"id": "other", "name": "Other"}
    )
    assert created.status_code == 201, created.text
    other = tenant_key(server, admin_key, "other", "other-sup")
    first = tenant_key(server, admin_key, "default", "default-sup")
    paths = [
        f"/api/v1/recordings/{recording_id}",
        f"/api/v1/recordings/{recording_id}/audio",
        f"/api/v1/recordings/{recording_id}/waveform.png",
    ]
    for path in paths:
        denied = api(server, other, "GET", path)
        assert denied.status_code == 404, (path, denied.status_code, denied.text[:200])
        assert denied.json()["error"] == "not_found"
        assert api(server, first, "GET", path).status_code == 200, path
    search = {"caller": CALLER}
    hidden = api(server, other, "GET", "/api/v1/recordings", params=search)
    assert hidden.status_code == 200 and hidden.json()["items"] == [], hidden.text
    assert hidden.json()["total"] == 0
    seen = api(server, first, "GET", "/api/v1/recordings", params=search)
    assert [item["id"] for item in seen.json()["items"]] == [recording_id]
