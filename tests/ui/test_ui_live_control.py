"""The live board's controls and the player's annotation form, in a real browser.

One ``srs serve`` for the module.  During a SIPp call a supervisor pauses and resumes the
recording, mutes and unmutes a participant and discards the call from the board; each
result shows on that row, reaches a second board through the event feed, and matches what
the API reports.  A third board whose event feed is blocked falls back to polling and still
shows the call.  The player's form changes notes, tags, flag and call-centre fields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from live_call import (
    CALLER,
    NAMES,
    SrsServer,
    chromium,
    dtmf_scenario,
    log_in,
    running,
    sipp,
    srs_user_add,
    ui_server,
)
from playwright.sync_api import BrowserContext, Locator, Page, expect

from srs.media.wavfile import write_wav
from srs.storage import Database, Repository
from srs.storage.examples import example_result, example_snapshot
from srs.testing_media import tone

pytestmark = pytest.mark.sipp

USER, PASSWORD = "sup", "live-control-password"
CALL_SECONDS = 12.0  # long enough for every control step while the call is live


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    with running(ui_server(tmp_path_factory.mktemp("srs-control"))) as srs:
        srs_user_add(srs.config_path, USER, "supervisor", password=PASSWORD)
        yield srs


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as browser_context:
        yield browser_context


def session(server: SrsServer, recording_id: str) -> dict[str, Any]:
    body: dict[str, Any] = server.get_json(f"/api/v1/sessions/{recording_id}")
    return body


def board(context: BrowserContext, base: str, *, block_feed: bool = False) -> Page:
    page = context.new_page()
    if block_feed:
        page.route("**/api/v1/sessions/events*", lambda route: route.abort())
    page.goto(f"{base}/ui/")
    return page


def participant(row: Locator, name: str) -> Locator:
    return row.locator("td.participants li", has_text=name)


def test_control_from_the_board(server: SrsServer, context: BrowserContext, tmp_path: Path) -> None:
    base = server.url("")
    page = context.new_page()
    log_in(page, base, USER, PASSWORD)
    watcher = board(context, base)
    polling = board(context, base, block_feed=True)
    expect(page.locator("#live-board")).to_have_attribute("data-mode", "sse")
    expect(watcher.locator("#live-board")).to_have_attribute("data-mode", "sse")
    expect(polling.locator("#live-board")).to_have_attribute("data-mode", "polling")

    scenario = dtmf_scenario(tmp_path / "scenario", CALL_SECONDS, ())
    pause_ms = int(CALL_SECONDS * 1000) + 1000
    run = sipp(scenario, server, "udp", tmp_path / "sipp", pause_ms=pause_ms).start()
    try:
        selector = f'#live-rows tr[data-call-id="{run.call_id}"]'
        row, seen, polled = (p.locator(selector) for p in (page, watcher, polling))
        expect(row).to_have_attribute("data-state", "live")
        expect(polled).to_contain_text(CALLER)  # the fallback board sees the call too
        rid = row.get_attribute("data-session-id")
        assert rid

        row.locator("button.pause").click()
        expect(row).to_have_attribute("data-paused", "true")
        expect(row.locator("td.state .badge.paused")).to_have_text("paused")
        expect(row.locator(".result")).to_have_text("Pause: done")
        expect(seen).to_have_attribute("data-paused", "true")  # via the feed's control event
        expect(polled).to_have_attribute("data-paused", "true")
        assert session(server, rid)["paused"] is True
        row.locator("button.resume").click()
        expect(row).to_have_attribute("data-paused", "false")
        expect(seen).to_have_attribute("data-paused", "false")
        assert session(server, rid)["paused"] is False

        alice = participant(row, NAMES[0])
        alice.locator("button.mute").click()
        expect(alice.locator(".badge.muted")).to_have_text("muted")
        expect(participant(row, NAMES[1]).locator(".badge")).to_have_count(0)
        expect(participant(seen, NAMES[0]).locator(".badge.muted")).to_have_count(1)
        state = session(server, rid)
        alice_id = alice.get_attribute("data-participant-id")
        assert state["muted"] == [alice_id]
        muted_streams = [s["label"] for s in state["streams"] if s["muted"]]
        assert muted_streams == ["1"]
        expect(row.locator("td.streams li[data-stream-key] .badge.muted")).to_have_count(1)
        alice.locator("button.unmute").click()
        expect(alice.locator(".badge.muted")).to_have_count(0)
        assert session(server, rid)["muted"] == []

        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("button.discard").click()
        expect(row).to_have_attribute("data-keep", "false")
        expect(row.locator("td.state .badge.discard")).to_have_text("discard")
        expect(seen).to_have_attribute("data-keep", "false")
        assert session(server, rid)["keep"] is False
    finally:
        run.check()
    expect(row).to_have_count(0, timeout=20_000)  # ended, then gone from the board
    wait_for_log(server, f"recording {rid} discarded on request")
    assert server.get_json("/api/v1/recordings", call_id=run.call_id)["items"] == []
    stored = [p for p in (server.data_dir / "recordings").rglob("*") if p.is_file()]
    assert stored == []  # nothing finalized: the module's server recorded no other call


def wait_for_log(server: SrsServer, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the server log\n{server.log_tail()}")


def store_recording(server: SrsServer, tmp_path: Path) -> str:
    """``rec-ui`` (Alice Smith, Bob Jones, a DTMF 5) written into the server's database."""
    path = tmp_path / "rec-ui.wav"
    pcm = np.stack([tone(440, 6.0, 8000, 0.5), tone(1000, 6.0, 8000, 0.2)], axis=1)
    write_wav(path, pcm.astype(np.int16), 8000)
    db = Database(f"sqlite:///{server.data_dir / 'srs.db'}")
    try:
        Repository(db).save_recording(example_result(path), example_snapshot("rec-ui"), 5.0)
    finally:
        db.dispose()
    return "rec-ui"


def test_player_annotations(server: SrsServer, context: BrowserContext, tmp_path: Path) -> None:
    base = server.url("")
    rid = store_recording(server, tmp_path)
    page = context.new_page()
    page.goto(f"{base}/ui/recordings/{rid}")
    if "/login" in page.url:
        log_in(page, base, USER, PASSWORD)
        page.goto(f"{base}/ui/recordings/{rid}")
    expect(page.locator(".wave button.dtmf")).to_have_text(["5"])
    page.click("#edit-annotation summary")
    page.fill("#f-notes", "Customer <asked> for a refund")
    page.fill("#f-tags", "vip, billing ,")
    page.fill("#f-flag", "7")
    page.fill("#f-agent-id", "a-42")
    page.fill("#f-agent-name", "Agnes Agent")
    page.fill("#f-client-id", "c-9")
    page.fill("#f-campaign-id", "spring")
    page.click("#annotate-save")
    expect(page.locator("#annotate-result")).to_have_text("Saved.")
    expect(page.locator("#tags .tag")).to_have_text(["vip", "billing"])
    expect(page.locator("#notes")).to_have_text("Customer <asked> for a refund")
    expect(page.locator("#flag-value")).to_have_text("7")
    expect(page.locator("#agent-value")).to_have_text("Agnes Agent (a-42)")
    expect(page.locator("#f-tags")).to_have_value("vip, billing")  # as the API stored them

    stored = server.get_json(f"/api/v1/recordings/{rid}")["annotation"]
    assert {k: stored[k] for k in ("notes", "tags", "flag", "agent_id", "agent_name")} == {
        "notes": "Customer <asked> for a refund",
        "tags": ["vip", "billing"],
        "flag": 7,
        "agent_id": "a-42",
        "agent_name": "Agnes Agent",
    }
    assert (stored["client_id"], stored["campaign_id"]) == ("c-9", "spring")

    page.reload()  # what the server renders now
    expect(page.locator("#client-value")).to_have_text("c-9")
    expect(page.locator("#campaign-value")).to_have_text("spring")
    expect(page.locator("#f-tags")).to_have_value("vip, billing")

    # clearing fields sends null; a tag the API refuses is reported, nothing changes
    page.click("#edit-annotation summary")
    page.fill("#f-campaign-id", "")
    page.fill("#f-flag", "0")
    page.click("#annotate-save")
    expect(page.locator("#annotate-result")).to_have_text("Saved.")
    expect(page.locator("#flag-value")).to_have_text("–")
    after = server.get_json(f"/api/v1/recordings/{rid}")["annotation"]
    assert (after["campaign_id"], after["flag"]) == (None, 0)
    page.fill("#f-tags", "x" * 300)
    page.click("#annotate-save")
    expect(page.locator("#annotate-result")).to_contain_text("Not saved: tags: ")
    expect(page.locator("#tags .tag")).to_have_text(["vip", "billing"])
    check: dict[str, Any] = httpx.get(
        server.url(f"/api/v1/recordings/{rid}"), headers=server.headers, timeout=10
    ).json()
    assert check["annotation"]["tags"] == ["vip", "billing"]
