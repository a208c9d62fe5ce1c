"""What the browser tests add to :mod:`srs.testing`: Debian's chromium under Playwright, the
server they use, and a SIPREC call whose first stream carries RFC 4733 DTMF.

The call is ``uac-siprec-basic.xml`` with its fixed pause turned into SIPp's ``-d`` pause
(so a test chooses how long the call stays live) and its ``audio.pcap`` replaced by a
generated 2-flow PCMU pcap in which some packets of flow 0 are telephone-events (PT 101,
as the scenario's SDP announces).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import BrowserContext, Page, sync_playwright

from srs.media.rtp import build_dtmf
from srs.testing import (
    SippRun,
    SrsServer,
    prepare_srs_server,
    running,
    scenario_copy,
    sipp_run,
    srs_user_add,
)
from srs.testing_media import Flow, SentPcap, tone_flow, write_pcap

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
]
TIMEOUT_MS = 15_000
DTMF_PT = 101  # uac-siprec-basic.xml: a=rtpmap:101 telephone-event/8000
DTMF_EVENTS = "0123456789*#ABCD"
CALLER = "+15551230001"  # the caller's number in uac-siprec-basic.xml's metadata
NAMES = ("Alice Caller", "Bob Callee")  # its participants, streams labelled 1 and 2

__all__ = ["SrsServer", "running", "srs_user_add"]  # the kit, for the tests importing this


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """A persistent chromium context (the system browser, no ``playwright install``)."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def ui_server(workdir: Path) -> SrsServer:
    """A server (not started: use ``running``) with a system admin's API key."""
    return prepare_srs_server(workdir, config={"logging": {"level": "INFO"}}, api_key=True)


def sipp(
    scenario: Path, server: SrsServer, transport: str, logdir: Path, *, pause_ms: int | None = None
) -> SippRun:
    """One call of ``scenario`` to ``server`` (not started), its Call-ID known up front."""
    return sipp_run(
        scenario,
        server,
        logdir,
        transport=transport,
        pause_ms=pause_ms,
        call_id_prefix=f"ui-{uuid.uuid4().hex[:8]}",
    )


def with_dtmf(flow: Flow, digits: Sequence[tuple[str, float, float]]) -> Flow:
    """``flow`` with each ``(digit, start, length)`` sent as an RFC 4733 event instead of
    the audio packets of that span: one RTP timestamp per event, the marker bit on its
    first packet, the duration growing by one ptime per packet, the E bit on the last."""
    frames = list(flow.frames)
    step = round(flow.ptime * 8000)
    for digit, start, length in digits:
        span = [i for i, at in enumerate(flow.times) if start <= at < start + length]
        assert span, f"no packet of the flow at {start} s"
        event = DTMF_EVENTS.index(digit)
        ts = frames[span[0]].ts
        for n, i in enumerate(span):
            payload = build_dtmf(event, n == len(span) - 1, 10, (n + 1) * step)
            frames[i] = frames[i]._replace(pt=DTMF_PT, ts=ts, marker=n == 0, payload=payload)
    return Flow(flow.codec, flow.freq, frames, flow.times, flow.ptime, flow.dropped, flow.offset)


def dtmf_pcap(path: Path, seconds: float, digits: Sequence[tuple[str, float, float]]) -> SentPcap:
    """Two PCMU tone flows (440 Hz, 1000 Hz); flow 0 (Alice's stream) carries ``digits``."""
    first = with_dtmf(tone_flow("pcmu", 440.0, seconds, ssrc=0x1000), digits)
    second = tone_flow("pcmu", 1000.0, seconds, ssrc=0x1001)
    return write_pcap(path, [first, second])


def dtmf_scenario(folder: Path, seconds: float, digits: Sequence[tuple[str, float, float]]) -> Path:
    """``uac-siprec-basic.xml`` playing :func:`dtmf_pcap`; its pause is SIPp's ``-d``."""
    dtmf_pcap(folder / "dtmf.pcap", seconds, digits)
    return scenario_copy(
        "uac-siprec-basic.xml",
        folder,
        [
            ('play_pcap_audio="audio.pcap"', 'play_pcap_audio="dtmf.pcap"'),
            ('<pause milliseconds="3000"/>', "<pause/>"),
        ],
        new_name="uac-siprec-dtmf.xml",
    )


def log_in(page: Page, base: str, user: str, password: str) -> None:
    """Through the login page, landing on the live board."""
    page.goto(f"{base}/login?next=/ui/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/ui/")


def find_by_caller(page: Page, base: str, call_id: str) -> None:
    """The search page, by caller number, until the finalized recording shows."""
    page.goto(f"{base}/ui/recordings")
    page.fill("input[name=caller]", CALLER)
    page.click("#search button[type=submit]")
    page.wait_for_url(f"{base}/ui/recordings?caller={quote(CALLER, safe='')}**")
    row = page.locator("#results tbody tr", has_text=call_id)
    for _ in range(60):  # finalizing takes a moment after the BYE
        if row.count():
            return
        page.wait_for_timeout(250)
        page.reload()
    raise AssertionError(f"recording of {call_id} not found by caller {CALLER}")
