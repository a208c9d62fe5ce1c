"""What the browser tests share: Debian's chromium under Playwright, accounts made with
``srs user add``, and a SIPREC call whose first stream carries RFC 4733 DTMF.

The call is ``uac-siprec-basic.xml`` with its fixed pause turned into SIPp's ``-d`` pause
(so a test chooses how long the call stays live) and its ``audio.pcap`` replaced by a
generated 2-flow PCMU pcap in which some packets of flow 0 are telephone-events (PT 101,
as the scenario's SDP announces).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

from srs.media.rtp import build_dtmf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))  # the SIPp harness
from harness import SrsServer, _srs_command, running, scenario_copy, sipp
from pcaps import Flow, SentPcap, tone_flow, write_pcap

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

__all__ = ["SrsServer", "running", "sipp"]  # the harness, for the tests importing this


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


def srs_user_add(
    server: SrsServer,
    name: str,
    role: str,
    *,
    tenant: str = "default",
    password: str | None = None,
    api_key: str | None = None,
) -> str | None:
    """``srs user add`` against the server's config; the API key it prints, if asked."""
    args = [*_srs_command(), "user", "add", "--config", str(server.config_path), name]
    args += ["--role", role, "--tenant", tenant]
    if password is not None:
        args.append("--password-stdin")
    if api_key is not None:
        args += ["--api-key", api_key]
    done = subprocess.run(
        args,
        input=(password or "") + "\n",
        cwd=server.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"srs user add {name} failed: {done.stdout}{done.stderr}"
    if api_key is None:
        return None
    for line in done.stdout.splitlines():
        if line.startswith("API key (shown once): "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"srs user add printed no API key: {done.stdout}")


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
    return Flow(flow.codec, flow.freq, frames, flow.times, flow.ptime, flow.dropped)


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
