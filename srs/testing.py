"""Pytest kit for plugin authors and srs's own suites: a real ``srs serve`` on free ports,
SIPp calls to it, accounts made with ``srs user add`` and a throw-away TLS PKI.

Use it from a plugin's tests::

    from srs.testing import send_siprec_call, srs_server  # noqa: F401 (fixture)

    def test_my_plugin_sees_a_call(srs_server):
        result = send_siprec_call(srs_server, "path/to/uac-siprec-basic.xml")
        assert result.returncode == 0, result.describe()

or load it as a pytest plugin (``pytest_plugins = ["srs.testing"]`` in a conftest).
The server runs as a subprocess (``srs serve --config <file>``) in its own process group,
with its own data directory and a log file, so a test sees exactly what an operator would:
files in ``server.data_dir``, the HTTP API, the log.  SIPp's exit code decides pass or fail
(drachtio style).  Pcaps and tones for SIPp are in :mod:`srs.testing_media`.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
MEDIA_PORTS = 40  # RTP+RTCP pairs for 20 streams
REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "sipp-scenarios"  # in a checkout; plugin authors pass their own paths
TRANSPORTS = {"udp": "u1", "tcp": "t1", "tls": "l1"}  # SIPp's -t values
API_KEY_LINE = re.compile(r"API key \(shown once\): (\S+)")


class SrsServerError(RuntimeError):
    """The server did not start, or died; the message carries the tail of its log."""


# --- ports ------------------------------------------------------------------------------

_handed_out: set[int] = set()  # never hand a port out twice in one test process
_ports_lock = threading.Lock()  # servers are started from threads too


def _bindable(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port(*, tcp: bool = True, udp: bool = True, span: int = 1) -> int:
    """A port (the first of ``span`` consecutive ones) free on 127.0.0.1 for TCP and UDP
    (SIP listens on both) right now, and never handed out before by this process."""
    rng = random.Random()
    with _ports_lock:
        return _free_port(rng, tcp, udp, span)


def _free_port(rng: random.Random, tcp: bool, udp: bool, span: int) -> int:
    for _ in range(500):
        port = rng.randrange(20000, 39000)
        block = range(port, port + span)
        if any(p in _handed_out for p in block):
            continue
        if all(
            (not tcp or _bindable(socket.SOCK_STREAM, p))
            and (not udp or _bindable(socket.SOCK_DGRAM, p))
            for p in block
        ):
            _handed_out.update(block)
            return port
    raise SrsServerError("no port is free for both UDP and TCP on 127.0.0.1")


class FakePorts:
    """A deterministic ``PortAllocator`` for sans-IO recorder and offer/answer tests: even
    ports from ``start``, ``limit`` pairs at most; releasing a port not held fails the test."""

    def __init__(self, start: int = 30000, limit: int = 100) -> None:
        self.free = [start + 2 * i for i in range(limit)]
        self.held: set[int] = set()

    def allocate(self) -> int | None:
        if not self.free:
            return None
        port = self.free.pop(0)
        self.held.add(port)
        return port

    def release(self, port: int) -> None:
        assert port in self.held, f"release of a port not held: {port}"
        self.held.remove(port)
        self.free.append(port)


def free_port_range(
    size: int = MEDIA_PORTS, low: int = 20000, high: int = 32768
) -> tuple[int, int]:
    """An even-based block of ``size`` UDP ports, all free right now and not handed out
    before (srs allocates media ports in order from ``port_min``).  The default range is
    below Linux's ephemeral ports, where no client socket of another program lands."""
    with _ports_lock:
        return _free_port_range(size, low, high)


def _free_port_range(size: int, low: int, high: int) -> tuple[int, int]:
    first = random.Random().randrange(low, high - size) & ~1
    base, wrapped = first, False
    while not (wrapped and base >= first):
        if base + size > high:  # scan on from the bottom of the range, up to ``first``
            base, wrapped = (low + 1) & ~1, True
            continue
        taken = next(
            (
                p
                for p in range(base, base + size)
                if p in _handed_out or not _bindable(socket.SOCK_DGRAM, p)
            ),
            None,
        )
        if taken is None:
            _handed_out.update(range(base, base + size))
            return base, base + size - 1
        base = (taken + 2) & ~1  # the next even base past the port in use
    raise SrsServerError(f"no block of {size} free UDP ports in {low}-{high}")


# --- configuration, accounts, TLS -------------------------------------------------------


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


def srs_user_add(
    config_path: Path,
    name: str,
    role: str = "system-admin",
    *,
    tenant: str | None = None,
    password: str | None = None,
    api_key: str | None = None,
) -> str | None:
    """``srs user add`` against a config, as an operator would; with ``api_key`` (the
    key's name) it returns the key it printed.  Works before or while the server runs."""
    argv = [*srs_command(), "user", "add", "--config", str(config_path), name, "--role", role]
    if tenant is not None:
        argv += ["--tenant", tenant]
    if password is not None:
        argv.append("--password-stdin")
    if api_key is not None:
        argv += ["--api-key", api_key]
    done = subprocess.run(
        argv,
        input=(password or "") + "\n",
        cwd=config_path.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise SrsServerError(
            f"{' '.join(argv)} exited {done.returncode}: {done.stdout}{done.stderr}"
        )
    if api_key is None:
        return None
    found = API_KEY_LINE.search(done.stdout)
    if found is None:
        raise SrsServerError(f"{' '.join(argv)} printed no API key: {done.stdout}")
    return found.group(1)


def create_api_key(config_path: Path, name: str = "test-admin") -> str:
    """A system-admin user ``name`` and its API key (``srs user add ... --api-key``)."""
    key = srs_user_add(config_path, name, "system-admin", api_key=name)
    assert key is not None
    return key


def make_pki(directory: Path, host: str = HOST) -> tuple[Path, Path, Path]:
    """``(ca.crt, server.crt, server.key)`` under ``directory``: a throw-away CA and a
    server certificate naming ``host`` (an IP address) in its subjectAltName."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_name = "srs test CA"
    now = datetime.datetime.now(datetime.UTC)

    def issue(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: ec.EllipticCurvePrivateKey
    ) -> x509.Certificate:
        ca = key is issuer
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                critical=False,
            )
        return builder.sign(issuer, hashes.SHA256())

    def write(stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        (directory / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / f"{stem}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    write("ca", issue(ca_name, ca_key, ca_key), ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    write("server", issue("srs test server", server_key, ca_key), server_key)
    return directory / "ca.crt", directory / "server.crt", directory / "server.key"


# --- probes -----------------------------------------------------------------------------


def tcp_listening(host: str, port: int) -> bool:
    """Whether ``host:port`` accepts a TCP connection now."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def sip_options_status(port: int, host: str = HOST, timeout: float = 1.0) -> int | None:
    """Send one OPTIONS over UDP; the response status, ``None`` when nothing came back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        tag = uuid.uuid4().hex[:10]
        message = (
            f"OPTIONS sip:srs@{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bK{tag};rport\r\n"
            f"From: <sip:probe@{host}:{local}>;tag={tag}\r\n"
            f"To: <sip:srs@{host}:{port}>\r\n"
            f"Call-ID: probe-{tag}\r\n"
            "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(message.encode(), (host, port))
        try:
            data = sock.recv(65535)
        except OSError:
            return None
    first = data.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def _http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGTERM to ``process``'s group (its own session), SIGKILL after ``timeout``;
    returns the exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    return int(process.wait(10))


# --- the server -------------------------------------------------------------------------

_live: list[SrsServer] = []  # started and not stopped yet: their logs go in failure reports


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test's report gets the log of every server running meanwhile (pytest
    hook: active with ``pytest_plugins = ["srs.testing"]`` or imported into a conftest)."""
    report = yield
    if report.failed:
        for server in _live:
            report.sections.append((f"srs log {server.log_path}", server.log_report()))
    return report


@dataclass
class SrsServer:
    """An ``srs serve`` (running once :meth:`start` returned): where to send SIP and HTTP,
    where its files are.  It can be stopped, killed and started again on the same ports,
    config and data directory (a restart after a crash)."""

    host: str
    sip_port: int  # UDP and TCP
    http_port: int
    media_ports: tuple[int, int]
    data_dir: Path
    config_path: Path
    log_path: Path
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    tls_port: int | None = None
    tls_ca: Path | None = None  # the CA that signed the TLS certificate
    api_key: str | None = None  # a system admin's, when the server was made with one
    _process: subprocess.Popen[bytes] | None = None

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise SrsServerError("srs serve was never started")
        return self._process

    @property
    def workdir(self) -> Path:
        return self.config_path.parent

    @property
    def sip_address(self) -> tuple[str, int]:
        return (self.host, self.sip_port)

    @property
    def sip_uri(self) -> str:
        return f"sip:srs@{self.host}:{self.sip_port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    # -- the log ---------------------------------------------------------------------
    def log_text(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")
            if self.log_path.exists()
            else ""
        )

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_report(self, lines: int = 80) -> str:
        """The log's tail, then its last unindented lines (the errors, not tracebacks):
        what a failing test prints."""
        text = self.log_text().splitlines()
        top_level = [line for line in text if line and not line[0].isspace()]
        return (
            f"--- srs log {self.log_path} (tail) ---\n"
            + "\n".join(text[-lines:])
            + "\n--- srs log (last unindented lines: the errors) ---\n"
            + "\n".join(top_level[-8:])
        )

    def log_offset(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        """What srs logged after ``offset`` (from :meth:`log_offset`)."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    # -- lifecycle -------------------------------------------------------------------
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ready(self) -> bool:
        sip = self.config["sip"]
        if sip.get("tcp_port") and not tcp_listening(self.host, int(sip["tcp_port"])):
            return False
        if self.config["http"].get("enabled", True) and (
            _http_status(f"{self.http_url}/api/v1/health") != 200
        ):
            return False
        return not sip.get("udp_port") or sip_options_status(int(sip["udp_port"])) == 200

    def start(self, timeout: float = START_TIMEOUT) -> SrsServer:
        """Start (again) and wait until SIP answers (TCP accepts, a UDP OPTIONS gets 200)
        and ``/api/v1/health`` says 200; raises ``SrsServerError`` with the log tail when
        the process exits or is not ready within ``timeout``.  The log is appended to."""
        if self.alive():
            raise SrsServerError("srs serve is already running")
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                env={**os.environ, **self.env},
                start_new_session=True,  # its own process group: workers die with it
            )
        _live.append(self)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise SrsServerError(
                    f"srs serve exited with code {self.process.returncode} before listening "
                    f"(command: {' '.join(self.argv)}); log:\n{self.log_tail()}"
                )
            if self._ready():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise SrsServerError(
                    f"srs serve did not answer on {self.host}:{self.sip_port} (SIP) and "
                    f"{self.http_url} (HTTP) within {timeout:.0f} s; log:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (pending finalizations complete), SIGKILL after ``timeout``; returns the
        exit code."""
        _live[:] = [server for server in _live if server is not self]
        return 0 if self._process is None else stop_process(self._process, timeout)

    def kill(self) -> None:
        """SIGKILL the server and its worker processes (its process group): a crash."""
        _live[:] = [server for server in _live if server is not self]
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(10)

    # -- HTTP API --------------------------------------------------------------------
    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key} if self.api_key else {}

    def url(self, path: str, **params: Any) -> str:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        return f"{self.http_url}{path}{query}"

    def get_bytes(self, path: str, **params: Any) -> bytes:
        """GET ``path`` (``/api/v1/...``) with the API key; fails with the log on non-200."""
        request = urllib.request.Request(self.url(path, **params), headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            raise AssertionError(f"GET {path} -> {exc.code}: {body}\n{self.log_report()}") from None

    def get_json(self, path: str, **params: Any) -> Any:
        return json.loads(self.get_bytes(path, **params))

    def find_recordings(self, **query: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get_json("/api/v1/recordings", **query)["items"]
        return items

    def wait_recording(self, call_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """The recording detail of ``call_id``, once it is finalized."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.find_recordings(call_id=call_id)
            if items:
                assert len(items) == 1, f"{len(items)} recordings of {call_id}: {items}"
                detail: dict[str, Any] = self.get_json(f"/api/v1/recordings/{items[0]['id']}")
                return detail
            time.sleep(0.2)
        raise AssertionError(
            f"no recording for Call-ID {call_id!r} after {timeout} s\n" + self.log_report()
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
        raise AssertionError(f"session {call_id!r} never went live\n" + self.log_report())


def prepare_srs_server(
    workdir: Path,
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    tls: bool = False,
    api_key: bool = False,
) -> SrsServer:
    """An ``SrsServer`` not started yet: config written on free ports, data dir, log file,
    with ``tls`` a certificate and a TLS port, with ``api_key`` a system admin's API key.

    ``config`` tables are merged over the generated ones (``{"plugins": {"trace": True}}``;
    ``{"media": {"port_min": ..., "port_max": ...}}`` replaces the media range).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    sip_port, http_port = free_port(), free_port(udp=False)
    overrides = {section: dict(body) for section, body in (config or {}).items()}
    media = overrides.get("media", {})
    if "port_min" not in media:
        low, high = free_port_range()
        media = {"port_min": low, "port_max": high, **media}
    tables: dict[str, dict[str, Any]] = {
        "sip": {"host": HOST, "advertised_host": HOST, "udp_port": sip_port, "tcp_port": sip_port},
        "media": {"host": HOST, "advertised_host": HOST, **media},
        "recording": {"finalize_workers": 1},
        "storage": {"data_dir": str(data_dir)},
        "http": {"host": HOST, "port": http_port},
    }
    tls_port, tls_ca = None, None
    if tls:
        tls_port = free_port(udp=False)
        tls_ca, cert, key = make_pki(workdir / "pki", HOST)
        tables["sip"].update(tls_port=tls_port, tls_cert=str(cert), tls_key=str(key))
    for section, body in overrides.items():
        tables.setdefault(section, {}).update(body)
    config_path = write_config(workdir / "srs.toml", tables)
    argv = [*(command or srs_command()), "serve", "--config", str(config_path)]
    server = SrsServer(
        HOST,
        sip_port,
        http_port,
        (int(tables["media"]["port_min"]), int(tables["media"]["port_max"])),
        data_dir,
        config_path,
        workdir / "srs.log",
        tables,
        argv,
        dict(env or {}),
        tls_port,
        tls_ca,
    )
    if api_key:
        server.api_key = create_api_key(config_path)
    return server


def start_srs_server(
    workdir: Path,
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    timeout: float = START_TIMEOUT,
    tls: bool = False,
    api_key: bool = False,
) -> SrsServer:
    """:func:`prepare_srs_server`, then :meth:`SrsServer.start`: a server ready for calls."""
    server = prepare_srs_server(
        workdir, config=config, env=env, command=command, tls=tls, api_key=api_key
    )
    return server.start(timeout)


@contextlib.contextmanager
def running(server: SrsServer, timeout: float = START_TIMEOUT) -> Iterator[SrsServer]:
    """Start ``server`` and always stop it (kill if need be) when the block ends; fails
    the block's test if the server died meanwhile (exit code and log in the message)."""
    try:
        yield server.start(timeout)
        crashed = server._process is not None and server._process.poll() is not None
        if crashed:
            raise SrsServerError(
                f"srs serve died during the test (exit code {server.process.returncode}); "
                f"log:\n{server.log_tail()}"
            )
    finally:
        try:
            server.stop()
        finally:
            server.kill()


@pytest.fixture
def srs_server(tmp_path: Path) -> Iterator[SrsServer]:
    """A fresh ``srs serve`` for one test; fails the test if it crashed meanwhile."""
    with running(prepare_srs_server(tmp_path / "srs")) as server:
        yield server


# --- SIPp -------------------------------------------------------------------------------


@dataclass
class SippRun:
    """One SIPp process (start it, or use :func:`send_siprec_call`); its logs (errors and,
    when traced, messages) go to ``logdir`` and :meth:`logs` gathers them with the server's."""

    argv: list[str]
    logdir: Path
    cwd: Path
    call_ids: list[str] = field(default_factory=list)
    server: SrsServer | None = None
    timeout: float = 60.0
    proc: subprocess.Popen[bytes] | None = None
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def call_id(self) -> str:
        """The first call's Call-ID (known when the run was made with a ``call_id_prefix``)."""
        return self.call_ids[0]

    def start(self) -> SippRun:
        self.logdir.mkdir(parents=True, exist_ok=True)
        # files, not pipes: SIPp writes its screen all the time and must never block on it
        with (
            (self.logdir / "stdout.txt").open("wb") as out,
            (self.logdir / "stderr.txt").open("wb") as err,
        ):
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        return self

    def wait(self, timeout: float | None = None) -> int:
        assert self.proc is not None, "SIPp was not started"
        limit = self.timeout + 30 if timeout is None else timeout
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.terminate()
            raise AssertionError(f"sipp did not finish in {limit} s\n{self.logs()}") from None
        self.stdout = (self.logdir / "stdout.txt").read_text(errors="replace")
        self.stderr = (self.logdir / "stderr.txt").read_text(errors="replace")
        self.returncode = self.proc.returncode
        return self.returncode

    def terminate(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def run(self) -> SippRun:
        self.start().wait()
        return self

    def check(self, timeout: float | None = None) -> None:
        """Wait for SIPp; its exit status decides (0 = every call succeeded)."""
        status = self.wait(timeout)
        assert status == 0, f"sipp exited {status}\n{self.logs()}"

    def messages(self) -> str:
        path = self.logdir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def answered_ports(self) -> list[int]:
        """The ``m=`` ports in srs's media range that SIPp's message log shows, in order."""
        assert self.server is not None
        ports = [int(p) for p in re.findall(r"^m=audio (\d+) ", self.messages(), re.M)]
        low, high = self.server.media_ports
        return [p for p in ports if low <= p <= high]

    def logs(self, server_log: bool = True) -> str:
        """Command, stderr, SIPp's log files and the server's log report."""
        parts = [f"--- sipp command: {' '.join(self.argv)}"]
        stderr = self.logdir / "stderr.txt"
        if stderr.exists() and stderr.stat().st_size:
            parts.append("--- sipp stderr ---\n" + stderr.read_text(errors="replace")[-3000:])
        for path in sorted(self.logdir.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-6000:]}")
        if server_log and self.server is not None:
            parts.append(self.server.log_report())
        return "\n".join(parts)


_run_counter = iter(range(1, 1_000_000))


def sipp_binary(name: str = "sipp") -> str:
    binary = shutil.which(name)
    if binary is None:
        raise FileNotFoundError(f"{name} is not installed (Debian package sip-tester)")
    return binary


def sipp_run(
    scenario: str | Path,
    target: tuple[str, int] | SrsServer,
    logroot: Path,
    *,
    transport: str = "udp",
    calls: int = 1,
    rate: int | None = None,
    pause_ms: int | None = None,
    timeout: float = 40.0,
    call_id_prefix: str | None = None,
    trace_messages: bool = True,
    variables: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    cwd: Path | None = None,
    sipp: str = "sipp",
) -> SippRun:
    """A SIPp UAC run (not started) of ``scenario`` (a file, or a built-in name such as
    ``uac``) to ``target`` (a server, or ``(host, port)`` such as a proxy).

    ``transport`` is udp/tcp/tls (or SIPp's ``u1``...); ``pause_ms`` is ``-d`` (the length
    of ``<pause/>``); ``rate`` is calls per second; ``variables`` become ``-set name
    value``.  With ``call_id_prefix`` the Call-IDs are ``<prefix>-<n>@127.0.0.1`` so the
    test can find the recordings.  SIPp runs in ``cwd`` (default: the scenario's directory,
    so that its ``./audio.pcap`` style references resolve) and stops itself after
    ``timeout`` seconds (a timeout is a failure).
    """
    n = next(_run_counter)
    path = Path(scenario)
    builtin = isinstance(scenario, str) and path.suffix != ".xml" and "/" not in scenario
    server = target if isinstance(target, SrsServer) else None
    host, port = target.sip_address if isinstance(target, SrsServer) else target
    logdir = logroot / f"sipp-{n}-{path.stem}-{transport}"
    media_base = free_port(tcp=False, span=4)  # audio RTP/RTCP, video RTP/RTCP at +2/+3
    argv: list[str] = [sipp_binary(sipp)]
    argv += ["-sn", str(scenario)] if builtin else ["-sf", str(path.resolve())]
    argv += [
        f"{host}:{port}",
        "-t", TRANSPORTS.get(transport, transport), "-m", str(calls),
        "-i", HOST, "-p", str(free_port()), "-mp", str(media_base),
        "-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error",
        "-trace_err", "-error_file", str(logdir / "errors.log"),
    ]  # fmt: skip
    if trace_messages:
        argv += ["-trace_msg", "-message_file", str(logdir / "messages.log")]
    call_ids: list[str] = []
    if call_id_prefix is not None:
        argv += ["-cid_str", f"{call_id_prefix}-%u@%s"]
        call_ids = [f"{call_id_prefix}-{i}@{HOST}" for i in range(1, calls + 1)]
    if rate is not None:
        argv += ["-r", str(rate)]
    if pause_ms is not None:
        argv += ["-d", str(pause_ms)]
    for name, value in (variables or {}).items():
        argv += ["-set", name, value]
    argv += list(extra_args)
    run_dir = cwd or (Path.cwd() if builtin else path.resolve().parent)
    return SippRun(argv, logdir, run_dir, call_ids, server, timeout)


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
    """Run one SIPp scenario (a file, or a built-in name such as ``uac``) against ``server``
    and wait for it (see :func:`sipp_run`; logs go under the server's directory)."""
    run = sipp_run(
        scenario,
        server,
        server.workdir / "sipp",
        transport=transport,
        calls=calls,
        timeout=timeout,
        trace_messages=False,
        variables=variables,
        extra_args=extra_args,
        cwd=cwd,
        sipp=sipp,
    ).run()
    errors = run.logdir / "errors.log"
    return SippResult(
        int(run.returncode or 0),
        tuple(run.argv),
        run.stdout,
        run.stderr,
        errors.read_text(errors="replace") if errors.exists() else "",
    )


def scenario_copy(
    name: str,
    dest: Path,
    replacements: Sequence[tuple[str, str]] = (),
    *,
    new_name: str | None = None,
    scenarios: Path = SCENARIOS,
) -> Path:
    """``scenarios/<name>`` copied into ``dest`` (where a test puts its own pcaps), each
    ``(old, new)`` replacing the first remaining occurrence of ``old``, which must occur so
    that a changed scenario breaks the test instead of silently not applying."""
    text = (scenarios / name).read_text(encoding="iso-8859-1")
    for old, new in replacements:
        assert old in text, f"{name}: {old!r} not found"
        text = text.replace(old, new, 1)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / (new_name or name)
    path.write_text(text, encoding="iso-8859-1")
    return path
