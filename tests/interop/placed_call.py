"""One pjsua2 call to a running srs, and everything the tests judge it by.

The UA runs in a child process (``pjsua_caller.py``); while it runs, srs's live session
is polled so that the capture counters (SRTP auth failures, bytes per packet) are seen
before the session leaves the live registry.  Afterwards the finalized recording is
fetched through the API and decoded.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray
from sdp_lines import sip_body, sip_header
from srs_process import SrsProcess

CALLER = Path(__file__).with_name("pjsua_caller.py")


@dataclass(frozen=True)
class Case:
    """One way of calling srs."""

    name: str
    codec: str  # pjsua codec id, the only one offered
    encoding: str  # its rtpmap encoding name
    srtp: bool
    crypto: str = ""  # offer only this SDES suite; "" = pjsua's default list
    seconds: float = 3.0  # tone time before pjsua hangs up


@dataclass
class PlacedCall:
    case: Case
    returncode: int
    output: str  # the child's stdout + stderr
    report: dict[str, Any]  # pjsua_caller.Report as JSON
    live_capture: dict[str, Any] | None  # last capture counters seen while live
    recording: dict[str, Any] | None  # GET /recordings/{id}
    session: dict[str, Any] | None  # the spool's session.json
    samples: NDArray[np.int16]  # the recorded channel of the call's stream
    rate: int
    srs_log: str

    def wire(self, direction: str, what: str) -> str:
        """The first SIP message pjsua sent (TX) or received (RX) whose summary starts
        with ``what`` (e.g. ``INVITE``, ``200/INVITE``)."""
        for item in self.report.get("wire", []):
            if item["dir"] == direction and item["what"].startswith(what):
                return str(item["msg"])
        raise AssertionError(f"pjsua logged no {direction} {what}; {self.describe()}")

    def offer(self) -> str:
        return sip_body(self.wire("TX", "INVITE"))

    def answer(self) -> str:
        return sip_body(self.wire("RX", "200/INVITE"))

    def describe(self) -> str:
        """Context for assertion messages: the UA's outcome and the tail of srs's log."""
        report = {k: v for k, v in self.report.items() if k != "wire"}
        return (
            f"case {self.case.name}: pjsua exit {self.returncode}, report {report}\n"
            f"--- pjsua output ---\n{self.output[-2000:]}\n--- srs log ---\n{self.srs_log}"
        )


def place_call(
    srs: SrsProcess, case: Case, wav: Path, workdir: Path, timeout: float = 20.0
) -> PlacedCall:
    out = workdir / f"{case.name}.json"
    user = f"pjsua-{case.name}"
    args = [
        sys.executable,
        str(CALLER),
        f"--target=sip:srs@127.0.0.1:{srs.sip_port}",
        f"--wav={wav}",
        f"--codec={case.codec}",
        f"--seconds={case.seconds}",
        f"--user={user}",
        f"--out={out}",
    ]
    if case.srtp:
        args.append("--srtp")
    if case.crypto:
        args.append(f"--crypto={case.crypto}")
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    live = _watch_live(srs, child, user, timeout)
    output = child.communicate()[0].decode(errors="replace")
    report: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    recording = session = None
    samples, rate = np.zeros(0, dtype=np.int16), 0
    call_id = _call_id(report)
    if call_id is not None:
        recording = _finalized(srs, call_id)
        if recording is not None:
            session = srs.session_json(recording["id"])
            samples, rate = _decode(srs.get_bytes(recording["media_url"]), recording)
    return PlacedCall(
        case,
        child.returncode,
        output,
        report,
        live,
        recording,
        session,
        samples,
        rate,
        srs.log_tail(),
    )


def _watch_live(
    srs: SrsProcess, child: subprocess.Popen[bytes], user: str, timeout: float
) -> dict[str, Any] | None:
    """Poll ``/sessions`` until the child exits; the last capture counters of our call."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while child.poll() is None:
        if time.monotonic() > deadline:
            child.kill()
            break
        try:
            sessions = srs.get("/sessions/")["items"]
        except httpx.HTTPError:
            sessions = []
        for item in sessions:
            if f"sip:{user}@" in (item.get("from_uri") or "") and item.get("capture"):
                last = item["capture"]
        time.sleep(0.05)
    return last


def _call_id(report: dict[str, Any]) -> str | None:
    for item in report.get("wire", []):
        if item["dir"] == "TX" and item["what"].startswith("INVITE"):
            return sip_header(item["msg"], "Call-ID")
    return None


def _finalized(srs: SrsProcess, call_id: str, timeout: float = 15.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = srs.get("/recordings/", call_id=call_id)
        if page["items"]:
            detail: dict[str, Any] = srs.get(f"/recordings/{page['items'][0]['id']}")
            return detail
        time.sleep(0.1)
    return None


def _decode(data: bytes, recording: dict[str, Any]) -> tuple[NDArray[np.int16], int]:
    """The channel the (single) stream was recorded on, as int16 samples."""
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getsampwidth() == 2, "expected 16-bit PCM WAV"
        channels, rate = wav.getnchannels(), wav.getframerate()
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    streams = recording.get("streams") or [{}]
    channel = streams[0].get("channel") or 0
    return frames.reshape(-1, channels)[:, channel].astype(np.int16), rate
