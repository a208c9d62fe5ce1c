"""The web UI in a real browser against a real ``srs serve`` and a real SIPp call.

Debian's chromium (``apt-get install chromium``) driven by Playwright (``pip install
playwright``; no ``playwright install``: the system browser is used).  One test walks
the whole path a supervisor takes: log in, watch the call appear on the live board while
SIPp sends it, find the recording by the caller's number on the search page, open the
player, check that the audio element and the waveform image load, play, then share the
recording and open the signed embed page without a session.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_call import CALLER, SrsServer, chromium, find_by_caller, running, sipp, ui_server
from playwright.sync_api import BrowserContext, Page, expect

from srs.storage import Database
from srs.storage.accounts import DEFAULT_TENANT, Accounts
from srs.testing import SCENARIOS
from srs.testing_media import call_pcap

USER, PASSWORD = "supervisor1", "browser-test-password"

pytestmark = pytest.mark.sipp


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SrsServer]:
    with running(ui_server(tmp_path / "srs")) as srs:
        db = Database(f"sqlite:///{srs.data_dir / 'srs.db'}")
        try:
            accounts = Accounts(db, password_cost=2**4)  # the hash keeps its own cost
            accounts.ensure_tenant(DEFAULT_TENANT)
            accounts.create_user(USER, "supervisor", DEFAULT_TENANT, password=PASSWORD)
        finally:
            db.dispose()
        yield srs


@pytest.fixture
def context(tmp_path: Path) -> Iterator[BrowserContext]:
    with chromium(tmp_path / "chromium-profile") as browser_context:
        yield browser_context


def scenario(tmp_path: Path) -> Path:
    """``uac-siprec-basic.xml`` with its ``audio.pcap``; a generated 2-flow PCMU pcap in a
    copy when the checked-in one is missing."""
    original = SCENARIOS / "uac-siprec-basic.xml"
    if (SCENARIOS / "audio.pcap").exists():
        return original
    folder = tmp_path / "scenario"
    folder.mkdir()
    shutil.copy(original, folder / original.name)
    call_pcap(folder / "audio.pcap", "pcmu", 3.0)
    return folder / original.name


def log_in(page: Page, base: str) -> None:
    """Log in through the login page; a no-op on a server without one."""
    response = page.goto(f"{base}/login?next=/ui/")
    if response is None or response.status == 404:
        return
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/ui/")


def check_player(page: Page) -> None:
    """The <audio> has media (duration known, enough data) and the waveform decoded."""
    page.wait_for_function(
        "() => { const a = document.getElementById('audio');"
        " return a.readyState >= 2 && a.duration > 0; }"
    )
    page.wait_for_function(
        "() => { const i = document.getElementById('waveform');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert page.evaluate("document.getElementById('waveform').naturalWidth") == 1200


def test_call_seen_live_found_and_played(
    server: SrsServer, context: BrowserContext, tmp_path: Path
) -> None:
    base = server.url("")
    page = context.new_page()
    log_in(page, base)

    # the live board is open before the call starts and updates without a reload
    page.goto(f"{base}/ui/")
    expect(page.locator("#live-count")).to_have_text("(0)")
    run = sipp(scenario(tmp_path), server, "udp", tmp_path / "sipp").start()
    try:
        live_row = page.locator(f'#live-rows tr[data-call-id="{run.call_id}"]')
        expect(live_row).to_have_count(1)
        expect(live_row).to_contain_text(CALLER)
    finally:
        run.check()
    # marked ended once the call ended, then gone from the board
    expect(
        page.locator(f'#live-rows tr[data-call-id="{run.call_id}"][data-state="live"]')
    ).to_have_count(0)
    expect(live_row).to_have_count(0, timeout=10_000)

    find_by_caller(page, base, run.call_id)
    page.locator("#results tbody tr", has_text=run.call_id).locator("a.play").click()
    page.wait_for_url(f"{base}/ui/recordings/**")
    expect(page.locator(".channel-labels li")).to_have_count(2)
    expect(page.locator(".channel-labels")).to_contain_text("Alice Caller")
    expect(page.locator(".channel-labels")).to_contain_text("Bob Callee")
    check_player(page)
    duration = page.evaluate("document.getElementById('audio').duration")
    assert 2.0 < duration < 5.0, duration  # the pcap is 3 s of two tones

    page.evaluate("document.getElementById('audio').play()")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.3")

    # a signed link opens the embeddable player without any session
    page.click("#share button[type=submit]")
    expect(page.locator("#share-result")).to_be_visible()
    expect(page.locator("#share-embed")).to_have_value(re.compile(rf"^{base}/embed/.+sig="))
    embed_url = page.locator("#share-embed").input_value()
    context.clear_cookies()
    page.goto(embed_url)
    expect(page.locator("#title")).to_contain_text(CALLER)
    check_player(page)
