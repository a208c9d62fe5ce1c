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

import numpy as np
from numpy.typing import NDArray
from sdp_lines import sip_body, sip_header
from srs_process import session_json

from srs.testing import SrsServer

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
    srs_log: str  # what srs logged while the calls (placed together) were up

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
            f"--- pjsua output ---\n{self.output[-2000:]}\n--- srs log ---\n{self.srs_log[-4000:]}"
        )


def place_calls(
    srs: SrsServer, cases: list[Case], wav: Path, workdir: Path, timeout: float = 30.0
) -> dict[Case, PlacedCall]:
    """Call srs once per case, all at the same time (srs records calls side by side; it
    also keeps the test short), and collect what each call left behind."""
    log_from = srs.log_offset()
    children = {case: _start(srs, case, wav, workdir) for case in cases}
    live = _watch_live(srs, children, timeout)
    srs_log = srs.log_since(log_from)
    return {
        case: _collect(srs, case, child, live.get(case), workdir, srs_log)
        for case, child in children.items()
    }


def _user(case: Case) -> str:
    return f"pjsua-{case.name}"


def _start(srs: SrsServer, case: Case, wav: Path, workdir: Path) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        str(CALLER),
        f"--target=sip:srs@127.0.0.1:{srs.sip_port}",
        f"--wav={wav}",
        f"--codec={case.codec}",
        f"--seconds={case.seconds}",
        f"--user={_user(case)}",
        f"--out={workdir / f'{case.name}.json'}",
    ]
    if case.srtp:
        args.append("--srtp")
    if case.crypto:
        args.append(f"--crypto={case.crypto}")
    with (workdir / f"{case.name}.out").open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


def _collect(
    srs: SrsServer,
    case: Case,
    child: subprocess.Popen[bytes],
    live: dict[str, Any] | None,
    workdir: Path,
    srs_log: str,
) -> PlacedCall:
    output = (workdir / f"{case.name}.out").read_text(errors="replace")
    out = workdir / f"{case.name}.json"
    report: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    recording = session = None
    samples, rate = np.zeros(0, dtype=np.int16), 0
    call_id = _call_id(report)
    if call_id is not None:
        recording = _finalized(srs, call_id)
        if recording is not None:
            session = session_json(srs, recording["id"])
            samples, rate = _decode(srs.get_bytes(recording["media_url"]), recording)
    return PlacedCall(
        case, child.wait(), output, report, live, recording, session, samples, rate, srs_log
    )


def _watch_live(
    srs: SrsServer, children: dict[Case, subprocess.Popen[bytes]], timeout: float
) -> dict[Case, dict[str, Any]]:
    """Poll ``/sessions`` until every child exits: the last capture counters of each call
    (a session leaves the live list when it ends, so they cannot be asked for later)."""
    deadline = time.monotonic() + timeout
    last: dict[Case, dict[str, Any]] = {}
    while any(child.poll() is None for child in children.values()):
        if time.monotonic() > deadline:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
            break
        try:
            sessions = srs.get_json("/api/v1/sessions/")["items"]
        except (AssertionError, OSError):  # not answering yet, or busy
            sessions = []
        for case in children:
            for item in sessions:
                if f"sip:{_user(case)}@" in (item.get("from_uri") or "") and item.get("capture"):
                    last[case] = item["capture"]
        time.sleep(0.05)
    return last


def _call_id(report: dict[str, Any]) -> str | None:
    for item in report.get("wire", []):
        if item["dir"] == "TX" and item["what"].startswith("INVITE"):
            return sip_header(item["msg"], "Call-ID")
    return None


def _finalized(srs: SrsServer, call_id: str, timeout: float = 15.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = srs.get_json("/api/v1/recordings/", call_id=call_id)
        if page["items"]:
            detail: dict[str, Any] = srs.get_json(f"/api/v1/recordings/{page['items'][0]['id']}")
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
