"""Pytest kit for plugin authors: a real ``srs serve`` on free ports, and SIPp calls to it.

Use it from a plugin's tests::

    from srs.testing import send_siprec_call, srs_server  # noqa: F401 (fixture)

    def test_my_plugin_sees_a_call(srs_server):
        result = send_siprec_call(srs_server, "path/to/uac-siprec-basic.xml")
        assert result.returncode == 0, result.describe()

or load it as a pytest plugin (``pytest_plugins = ["srs.testing"]`` in a conftest).
The server runs as a subprocess (``srs serve --config <file>``) with its own data directory,
so a test sees exactly what an operator would: files in ``server.data_dir``, the HTTP API.
SIPp's exit code decides pass or fail (drachtio style).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
MEDIA_PORTS = 40  # RTP+RTCP pairs for 20 streams


class SrsServerError(RuntimeError):
    """The server did not start, or died; the message carries the tail of its log."""


def _bind_free(kind: int, port: int = 0) -> int | None:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return None
        return int(sock.getsockname()[1])


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both)."""
    for _ in range(100):
        port = _bind_free(socket.SOCK_DGRAM)
        if port is not None and _bind_free(socket.SOCK_STREAM, port) is not None:
            return port
    raise SrsServerError("no port is free for both UDP and TCP on 127.0.0.1")


def free_port_range(
    size: int = MEDIA_PORTS, low: int = 30000, high: int = 60000
) -> tuple[int, int]:
    """An even-based block of ``size`` UDP ports that are all free right now."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(low, high - size) & ~1
        if all(
            _bind_free(socket.SOCK_DGRAM, port) is not None for port in range(base, base + size)
        ):
            return base, base + size - 1
    raise SrsServerError(f"no block of {size} free UDP ports in {low}-{high}")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_config(path: Path, tables: Mapping[str, Mapping[str, Any]]) -> Path:
    """Write ``{section: {key: value}}`` as TOML (scalars and lists only)."""
    lines: list[str] = []
    for section, body in tables.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in body.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def srs_command() -> list[str]:
    """``srs`` next to the running interpreter, else ``python -m srs``."""
    script = Path(sys.executable).with_name("srs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "srs"]


@dataclass
class SrsServer:
    """A running ``srs serve``: where to send SIP and HTTP, where its files are."""

    process: subprocess.Popen[bytes]
    host: str
    sip_port: int  # UDP and TCP
    http_port: int
    media_ports: tuple[int, int]
    data_dir: Path
    config_path: Path
    log_path: Path
    config: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def sip_address(self) -> tuple[str, int]:
        return (self.host, self.sip_port)

    @property
    def sip_uri(self) -> str:
        return f"sip:srs@{self.host}:{self.sip_port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def log_text(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")
            if self.log_path.exists()
            else ""
        )

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def start_srs_server(
    workdir: Path,
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    timeout: float = START_TIMEOUT,
) -> SrsServer:
    """Start ``srs serve --config`` with a config on free ports and a data dir in ``workdir``.

    ``config`` tables are merged over the generated ones (``{"plugins": {"trace": True}}``).
    Returns once the SIP TCP and HTTP ports accept connections; raises ``SrsServerError``
    (with the log tail) when the process exits or the ports do not open within ``timeout``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    sip_port, http_port = free_port(), free_port()
    media = free_port_range()
    tables: dict[str, dict[str, Any]] = {
        "sip": {"host": HOST, "advertised_host": HOST, "udp_port": sip_port, "tcp_port": sip_port},
        "media": {"port_min": media[0], "port_max": media[1]},
        "storage": {"data_dir": str(data_dir)},
        "http": {"host": HOST, "port": http_port},
    }
    for section, body in (config or {}).items():
        tables.setdefault(section, {}).update(body)
    config_path = write_config(workdir / "srs.toml", tables)
    log_path = workdir / "srs.log"
    argv = [*(command or srs_command()), "serve", "--config", str(config_path)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            env={**os.environ, **(env or {})},
        )
    server = SrsServer(
        process, HOST, sip_port, http_port, media, data_dir, config_path, log_path, tables
    )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SrsServerError(
                f"srs serve exited with code {process.returncode} before listening "
                f"(command: {' '.join(argv)}); log:\n{server.log_tail()}"
            )
        if _listening(HOST, sip_port) and (
            not tables["http"].get("enabled", True) or _listening(HOST, http_port)
        ):
            return server
        if time.monotonic() > deadline:
            server.stop()
            raise SrsServerError(
                f"srs serve did not listen on {HOST}:{sip_port} (SIP) and {HOST}:{http_port} "
                f"(HTTP) within {timeout:.0f} s; log:\n{server.log_tail()}"
            )
        time.sleep(0.1)


@pytest.fixture
def srs_server(tmp_path: Path) -> Iterator[SrsServer]:
    """A fresh ``srs serve`` for one test; fails the test if it crashed meanwhile."""
    server = start_srs_server(tmp_path / "srs")
    try:
        yield server
    finally:
        crashed = server.process.poll()
        code = server.stop()
    if crashed is not None:
        raise SrsServerError(
            f"srs serve died during the test (exit code {code}); log:\n{server.log_tail()}"
        )


@dataclass(frozen=True)
class SippResult:
    """A finished SIPp run: exit code 0 means every call passed its scenario."""

    returncode: int
    command: tuple[str, ...]
    stdout: str
    stderr: str
    error_log: str

    def describe(self) -> str:
        tail = "\n".join((self.stderr + self.error_log).splitlines()[-30:])
        return f"sipp exited {self.returncode}: {' '.join(self.command)}\n{tail}"


def send_siprec_call(
    server: SrsServer,
    scenario: str | Path,
    *,
    calls: int = 1,
    transport: str = "u1",
    variables: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
    extra_args: Sequence[str] = (),
    sipp: str = "sipp",
) -> SippResult:
    """Run one SIPp scenario (a file, or a built-in name such as ``uac``) against ``server``.

    The scenario runs from its own directory (``cwd``) so that its ``./audio.pcap`` style
    references resolve.  ``variables`` become ``-set name value``.  SIPp stops itself after
    ``calls`` calls or ``timeout`` seconds (a timeout is a failure).
    """
    binary = shutil.which(sipp)
    if binary is None:
        raise FileNotFoundError(f"{sipp} is not installed (Debian package sip-tester)")
    path = Path(scenario)
    builtin = isinstance(scenario, str) and path.suffix != ".xml" and "/" not in scenario
    run_dir = cwd or (Path.cwd() if builtin else path.resolve().parent)
    error_file = server.config_path.parent / f"sipp-{time.monotonic_ns()}-errors.log"
    media_base, _ = free_port_range(size=8)
    argv: list[str] = [binary]
    argv += ["-sn", str(scenario)] if builtin else ["-sf", str(path.resolve())]
    argv += [
        f"{server.host}:{server.sip_port}",
        "-i", HOST, "-p", str(free_port()), "-mp", str(media_base),
        "-t", transport, "-m", str(calls),
        "-timeout", f"{int(timeout)}s", "-timeout_error",
        "-nostdin", "-trace_err", "-error_file", str(error_file),
    ]  # fmt: skip
    for name, value in (variables or {}).items():
        argv += ["-set", name, value]
    argv += list(extra_args)
    done = subprocess.run(argv, capture_output=True, cwd=run_dir, timeout=timeout + 30, check=False)
    errors = error_file.read_text(errors="replace") if error_file.exists() else ""
    error_file.unlink(missing_ok=True)
    return SippResult(
        done.returncode,
        tuple(argv),
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
        errors,
    )
