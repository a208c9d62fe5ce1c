"""A real ``srs serve`` subprocess on free 127.0.0.1 ports, for tests that talk to it over
the wire with another SIP stack.

Only ``srs serve --config`` and the HTTP API are used, as an operator would; nothing is
imported from the server.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SRS = Path(sys.executable).with_name("srs")
MEDIA_PORTS = 40  # 20 RTP/RTCP pairs: a few calls at once at most


@dataclass(frozen=True)
class SrsProcess:
    proc: subprocess.Popen[bytes]
    sip_port: int
    http_url: str  # http://127.0.0.1:<port>/api/v1
    data_dir: Path
    log_path: Path
    media_ports: range
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def get(self, path: str, **params: str) -> Any:
        """GET ``/api/v1<path>`` and return the JSON body (raises on a non-2xx status)."""
        response = httpx.get(
            f"{self.http_url}{path}", params=params, headers=self.headers, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def get_bytes(self, url_path: str) -> bytes:
        """GET an absolute API path such as a recording's ``media_url``."""
        base = self.http_url.removesuffix("/api/v1")
        response = httpx.get(f"{base}{url_path}", headers=self.headers, timeout=10)
        response.raise_for_status()
        return response.content

    def session_json(self, recording_id: str) -> dict[str, Any]:
        """The spool's ``session.json`` (docs/architecture.md): srs's own view of the call."""
        path = self.data_dir / "spool" / recording_id / "session.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def log_offset(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        """What srs logged after ``offset`` (from :meth:`log_offset`)."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _bindable(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_sip_port() -> int:
    """A port free for both UDP and TCP (srs listens on both with one number)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if _bindable(socket.SOCK_STREAM, port):
            return port
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_media_range(count: int = MEDIA_PORTS) -> range:
    """``count`` consecutive free UDP ports starting at an even one, above the usual
    ephemeral range start so that pjsua's own random RTP ports rarely land inside."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 32000, 2)
        ports = range(base, base + count)
        if all(_bindable(socket.SOCK_DGRAM, p) for p in ports):
            return ports
    raise RuntimeError(f"no {count} consecutive free UDP ports on 127.0.0.1")


def write_config(path: Path, data_dir: Path, sip_port: int, http_port: int, media: range) -> None:
    path.write_text(
        f"""\
[sip]
host = "127.0.0.1"
advertised_host = "127.0.0.1"
udp_port = {sip_port}
tcp_port = {sip_port}

[media]
host = "127.0.0.1"
advertised_host = "127.0.0.1"
port_min = {media.start}
port_max = {media.stop - 1}

[recording]
finalize_workers = 1

[storage]
data_dir = "{data_dir}"

[http]
host = "127.0.0.1"
port = {http_port}

[logging]
level = "DEBUG"
"""
    )


def create_api_key(config: Path, workdir: Path) -> str:
    """A system-admin API key, made as an operator would: ``srs user add --api-key``."""
    argv = [str(SRS), "user", "add", "--config", str(config), "interop-admin"]
    argv += ["--role", "system-admin", "--api-key", "interop"]
    done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=60)
    found = re.search(r"API key \(shown once\): (\S+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stdout}{done.stderr}")
    return found.group(1)


def start_srs(workdir: Path, ready_timeout: float = 20.0) -> SrsProcess:
    """Start ``srs serve`` and wait until ``/api/v1/health`` answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    config = workdir / "srs.toml"
    sip_port, http_port, media = free_sip_port(), free_tcp_port(), free_media_range()
    write_config(config, data_dir, sip_port, http_port, media)
    api_key = create_api_key(config, workdir)
    log_path = workdir / "srs.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(SRS), "serve", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    srs = SrsProcess(
        proc, sip_port, f"http://127.0.0.1:{http_port}/api/v1", data_dir, log_path, media, api_key
    )
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"srs serve exited with {proc.returncode}:\n{srs.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if srs.get("/health") == {"status": "ok"}:
                return srs
        time.sleep(0.1)
    stop_srs(srs)
    raise RuntimeError(f"srs serve not healthy within {ready_timeout} s:\n{srs.log_tail()}")


def stop_srs(srs: SrsProcess, timeout: float = 15.0) -> int:
    """SIGTERM (srs finalizes what is pending and exits), SIGKILL after ``timeout``."""
    if srs.proc.poll() is None:
        srs.proc.send_signal(signal.SIGTERM)
        try:
            srs.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            srs.proc.kill()
            srs.proc.wait()
    return srs.proc.returncode


@contextlib.contextmanager
def running_srs(workdir: Path) -> Iterator[SrsProcess]:
    srs = start_srs(workdir)
    try:
        yield srs
    finally:
        stop_srs(srs)
