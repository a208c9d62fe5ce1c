"""A real ``srs serve`` process and SIPp runs against it, for the e2e suite.

Ports are picked at random and checked free (several people run servers on this machine),
the server is started in its own process group so that a failing test can always kill it,
and every failure message carries SIPp's logs and the server log: an e2e failure is only
useful if it can be diagnosed from the test report alone.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray
from tls_pki import make_pki

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "sipp-scenarios"
SIPP = "sipp"
TRANSPORTS = {"udp": "u1", "tcp": "t1"}


# --- ports ------------------------------------------------------------------------------


def _bindable(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


_handed_out: set[int] = set()


def free_port(*, tcp: bool = True, udp: bool = True, span: int = 1) -> int:
    """A port (the first of ``span`` consecutive ones) free for TCP and UDP right now and
    never handed out before by this process."""
    for _ in range(500):
        port = random.randrange(20000, 39000)
        block = range(port, port + span)
        if any(p in _handed_out for p in block):
            continue
        if all(
            (not tcp or _bindable(p, socket.SOCK_STREAM))
            and (not udp or _bindable(p, socket.SOCK_DGRAM))
            for p in block
        ):
            _handed_out.update(block)
            return port
    raise RuntimeError("no free port found")


def free_media_range(width: int = 200) -> tuple[int, int]:
    """An even-aligned UDP range above the SIP ports, all of it free now (the allocator
    hands ports out in order, which the 2-flow pcaps rely on)."""
    for _ in range(200):
        low = random.randrange(40000, 60000 - width) & ~1
        ports = range(low, low + width)
        if any(p in _handed_out for p in ports):
            continue
        if all(_bindable(p, socket.SOCK_DGRAM) for p in ports):
            _handed_out.update(ports)
            return low, low + width - 1
    raise RuntimeError("no free media port range found")


# --- the server -------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _srs_command() -> list[str]:
    script = Path(sys.executable).parent / "srs"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "srs"]


@dataclass
class SrsServer:
    """One ``srs serve`` subprocess on free ports with its own data directory."""

    workdir: Path
    sip: dict[str, Any] = field(default_factory=dict)
    media: dict[str, Any] = field(default_factory=dict)
    recording: dict[str, Any] = field(default_factory=dict)
    sip_port: int = 0
    http_port: int = 0
    tls_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    api_key: str | None = None
    tls: bool = False  # also listen for SIP over TLS, with a certificate made here
    tls_ca: Path | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sip_port = free_port()
        self.http_port = free_port(udp=False)
        if self.tls:
            self.tls_port = free_port(udp=False)
            self.tls_ca, cert, key = make_pki(self.workdir / "pki", HOST)
            self.sip = {
                "tls_port": self.tls_port,
                "tls_cert": str(cert),
                "tls_key": str(key),
                **self.sip,
            }
        self.port_min, self.port_max = free_media_range()
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "srs.log"
        self.config_path = self.workdir / "srs.toml"
        self.config_path.write_text(self._config())

    def _config(self) -> str:
        sections: dict[str, dict[str, Any]] = {
            "sip": {
                "host": HOST,
                "advertised_host": HOST,
                "udp_port": self.sip_port,
                "tcp_port": self.sip_port,
                **self.sip,
            },
            "media": {
                "host": HOST,
                "advertised_host": HOST,
                "port_min": self.port_min,
                "port_max": self.port_max,
                **self.media,
            },
            "recording": {"finalize_workers": 1, **self.recording},
            "storage": {"data_dir": str(self.data_dir)},
            "http": {"host": HOST, "port": self.http_port},
            "logging": {"level": "INFO"},
        }
        lines = []
        for name, values in sections.items():
            lines.append(f"[{name}]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
            lines.append("")
        return "\n".join(lines)

    # -- lifecycle -------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> SrsServer:
        """Start and wait until the HTTP health check and a SIP OPTIONS both answer."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self.api_key is None:
            self.api_key = self._create_api_key()
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*_srs_command(), "serve", "--config", str(self.config_path)],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"srs exited with status {self.proc.returncode} while starting\n"
                    + self.log_tail()
                )
            if self._healthy() and sip_options_status(self.sip_port) == 200:
                return self
            time.sleep(0.1)
        raise AssertionError(f"srs did not become ready in {timeout} s\n" + self.log_tail())

    def _create_api_key(self) -> str:
        """A system-admin API key, made with ``srs user add`` before the first start."""
        done = subprocess.run(
            [
                *_srs_command(),
                *("user", "add", "--config", str(self.config_path), "e2e-admin"),
                *("--role", "system-admin", "--api-key", "e2e"),
            ],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        found = re.search(r"API key \(shown once\): (\S+)", done.stdout)
        assert done.returncode == 0 and found, (
            f"srs user add failed ({done.returncode}): {done.stdout}{done.stderr}"
        )
        return found.group(1)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key} if self.api_key else {}

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url("/api/v1/health"), timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """SIGTERM (graceful: pending finalizations complete), SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the server and its worker processes (its process group)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        top_level = [line for line in text if line and not line[0].isspace()]
        return (
            "--- srs log (tail) ---\n"
            + "\n".join(text[-lines:])
            + "\n--- srs log (last unindented lines: the errors) ---\n"
            + "\n".join(top_level[-8:])
        )

    # -- HTTP API --------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.http_port}{path}"

    def get_json(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.url(path), params=params, headers=self.headers, timeout=10.0)
        assert response.status_code == 200, (
            f"GET {path} -> {response.status_code}: {response.text}\n{self.log_tail()}"
        )
        return response.json()

    def get_bytes(self, path: str) -> bytes:
        response = httpx.get(self.url(path), headers=self.headers, timeout=10.0)
        assert response.status_code == 200, f"GET {path} -> {response.status_code}"
        return response.content

    def wait_recording(self, call_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """The recording detail of ``call_id``, once it is finalized."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page = self.get_json("/api/v1/recordings", call_id=call_id)
            if page["items"]:
                rid = page["items"][0]["id"]
                detail: dict[str, Any] = self.get_json(f"/api/v1/recordings/{rid}")
                return detail
            time.sleep(0.2)
        raise AssertionError(
            f"no recording for Call-ID {call_id!r} after {timeout} s\n" + self.log_tail()
        )

    def live_sessions(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get_json("/api/v1/sessions")["items"]
        return items

    def wait_live(self, call_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.live_sessions():
                if item.get("call_id") == call_id:
                    return item
            time.sleep(0.05)
        raise AssertionError(f"session {call_id!r} never went live\n" + self.log_tail())

    def audio(self, recording: dict[str, Any]) -> Audio:
        return Audio.from_wav(self.get_bytes(recording["media_url"]))


def sip_options_status(port: int, timeout: float = 1.0) -> int | None:
    """Send one OPTIONS over UDP; the response status, ``None`` when nothing came back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        tag = uuid.uuid4().hex[:10]
        message = (
            f"OPTIONS sip:srs@{HOST}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{local};branch=z9hG4bK{tag};rport\r\n"
            f"From: <sip:probe@{HOST}:{local}>;tag={tag}\r\n"
            f"To: <sip:srs@{HOST}:{port}>\r\n"
            f"Call-ID: probe-{tag}\r\n"
            "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(message.encode(), (HOST, port))
        try:
            data = sock.recv(65535)
        except OSError:
            return None
    first = data.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


# --- SIPp -------------------------------------------------------------------------------


@dataclass
class SippRun:
    """One SIPp process; its logs go to ``logdir``."""

    scenario: Path
    server: SrsServer
    transport: str
    logdir: Path
    call_id: str
    args: list[str]
    proc: subprocess.Popen[bytes] | None = None
    output: bytes = b""

    def start(self) -> SippRun:
        if shutil.which(SIPP) is None:
            raise AssertionError("sipp is not installed (apt-get install sip-tester)")
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.args,
            cwd=self.logdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return self

    def wait(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.terminate()
            raise AssertionError(f"sipp did not finish in {timeout} s\n{self.logs()}") from None
        self.output = err
        return self.proc.returncode

    def terminate(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def check(self, timeout: float = 60.0) -> None:
        """Wait for SIPp; its exit status decides (0 = every call succeeded)."""
        status = self.wait(timeout)
        assert status == 0, (
            f"sipp {self.scenario.name} over {self.transport} exited {status}\n{self.logs()}"
        )

    def answered_ports(self) -> list[int]:
        """The ``m=`` ports srs put in its SDP (from SIPp's message log), in order."""
        text = (self.logdir / "messages.log").read_text(errors="replace")
        ports = [int(p) for p in re.findall(r"^m=audio (\d+) ", text, re.M)]
        low, high = self.server.port_min, self.server.port_max
        return [p for p in ports if low <= p <= high]

    def logs(self) -> str:
        parts = [f"--- sipp command: {' '.join(self.args)}"]
        if self.output:
            parts.append("--- sipp stderr ---\n" + self.output.decode(errors="replace"))
        for path in sorted(self.logdir.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} ---\n{text[-6000:]}")
        parts.append(self.server.log_tail())
        return "\n".join(parts)


_run_counter = iter(range(1, 1_000_000))


def sipp(
    scenario: Path,
    server: SrsServer,
    transport: str,
    logroot: Path,
    *,
    pause_ms: int | None = None,
    port: int | None = None,
    timeout_s: int = 40,
) -> SippRun:
    """A SIPp UAC run (not started) for one call of ``scenario`` to ``server``.

    ``transport`` is "udp" or "tcp"; ``pause_ms`` is ``-d`` (length of ``<pause/>``).
    The Call-ID is fixed up front (``-cid_str``) so the test can find the recording.
    """
    n = next(_run_counter)
    token = f"e2e{n}-{uuid.uuid4().hex[:8]}"
    logdir = logroot / f"sipp-{n}-{scenario.stem}-{transport}"
    args = [
        SIPP,
        "-sf",
        str(scenario),
        f"{HOST}:{port or server.sip_port}",
        "-t",
        TRANSPORTS[transport],
        "-m",
        "1",
        "-i",
        HOST,
        "-p",
        str(free_port()),
        "-mp",  # SIPp binds audio RTP/RTCP here and video RTP/RTCP at +2/+3
        str(free_port(tcp=False, span=4)),
        "-cid_str",
        f"{token}-%u@%s",
        "-nostdin",
        "-trace_err",
        "-error_file",
        str(logdir / "errors.log"),
        "-trace_msg",
        "-message_file",
        str(logdir / "messages.log"),
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
    ]
    if pause_ms is not None:
        args += ["-d", str(pause_ms)]
    return SippRun(scenario, server, transport, logdir, f"{token}-1@{HOST}", args)


def scenario_copy(
    name: str,
    dest: Path,
    replacements: Sequence[tuple[str, str]] = (),
    *,
    new_name: str | None = None,
) -> Path:
    """``sipp-scenarios/<name>`` copied into ``dest``, each ``(old, new)`` replacing the
    first remaining occurrence of ``old`` (which must occur, so that a changed scenario
    breaks the test instead of silently not applying)."""
    text = (SCENARIOS / name).read_text(encoding="iso-8859-1")
    for old, new in replacements:
        assert old in text, f"{name}: {old!r} not found"
        text = text.replace(old, new, 1)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / (new_name or name)
    path.write_text(text, encoding="iso-8859-1")
    return path


def play(pcap: str, pause_ms: int) -> str:
    """Scenario XML: start replaying ``pcap`` (next to the scenario) and wait."""
    return (
        f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
        f'  <pause milliseconds="{pause_ms}"/>'
    )


def pause(ms: int) -> str:
    return f'<pause milliseconds="{ms}"/>'


# --- audio analysis ---------------------------------------------------------------------


@dataclass
class Audio:
    rate: int
    channels: NDArray[np.int16]  # shape (channels, frames)

    @classmethod
    def from_wav(cls, data: bytes) -> Audio:
        with wave.open(io.BytesIO(data)) as wav:
            assert wav.getsampwidth() == 2, f"not 16-bit PCM: {wav.getsampwidth()} bytes"
            rate, count, frames = wav.getframerate(), wav.getnchannels(), wav.getnframes()
            raw = np.frombuffer(wav.readframes(frames), dtype="<i2")
        return cls(rate, raw.reshape(-1, count).T.copy())

    @property
    def duration(self) -> float:
        return self.channels.shape[1] / self.rate

    def segment(self, channel: int, start: float, end: float) -> NDArray[np.int16]:
        return self.channels[channel, round(start * self.rate) : round(end * self.rate)]

    def silences(self, channel: int, min_seconds: float = 0.02) -> list[tuple[float, float]]:
        """(start, end) seconds of every run of digital silence at least ``min_seconds``."""
        return silent_runs(self.channels[channel], self.rate, min_seconds)


def silent_runs(
    samples: NDArray[np.int16], rate: int, min_seconds: float
) -> list[tuple[float, float]]:
    zero = np.concatenate(([False], samples == 0, [False]))
    edges = np.flatnonzero(zero[1:] != zero[:-1])
    runs = []
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        if hi - lo >= min_seconds * rate:
            runs.append((lo / rate, hi / rate))
    return runs


@contextlib.contextmanager
def running(server: SrsServer) -> Iterator[SrsServer]:
    """Start ``server`` and always stop it (kill if need be) when the block ends."""
    try:
        yield server.start()
    finally:
        try:
            server.stop()
        finally:
            server.kill()
