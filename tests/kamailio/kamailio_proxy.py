"""A real Kamailio in the foreground, configured from ``kamailio.cfg.tmpl`` as a
dispatcher in front of srs nodes, so tests see srs behind a proxy exactly as deployed.

The script's own log lines carry a marker (``LOG_PREFIX``) and ``key=value`` fields, which
:meth:`KamailioProxy.events` parses: that is how a test learns which node took which call
and which in-dialog requests came back through the proxy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from srs.testing import HOST, free_port, stop_process, tcp_listening

TEMPLATE = Path(__file__).with_name("kamailio.cfg.tmpl")
LOG_PREFIX = "SRSTEST"
_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")
_EVENT = re.compile(rf"{LOG_PREFIX} (?P<kind>[a-z-]+)(?P<fields>(?: [a-z_]+=\S*)*)\s*$")


class KamailioError(RuntimeError):
    """Kamailio is missing, rejected its config, or did not start; carries its log."""


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill every ``@@NAME@@``; a placeholder without a value (or a value without a
    placeholder) is an error, so template and code cannot drift apart silently."""
    missing = sorted(set(_PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for placeholder(s) {', '.join(missing)}")
    unused = sorted(set(values) - set(_PLACEHOLDER.findall(template)))
    if unused:
        raise KeyError(f"placeholder(s) not in template: {', '.join(unused)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def dispatcher_list(nodes: Sequence[tuple[str, int]]) -> str:
    """Set 1: the nodes over UDP; set 2: the same nodes over TCP (same order)."""
    lines = ["# setid destination flags priority"]
    lines += [f"1 sip:{host}:{port} 0 0" for host, port in nodes]
    lines += [f"2 sip:{host}:{port};transport=tcp 0 0" for host, port in nodes]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Event:
    """One script log line: ``kind`` (dispatch, in-dialog, failover, dst-down...) and
    its ``key=value`` fields."""

    kind: str
    fields: dict[str, str]


def parse_events(log: str) -> list[Event]:
    events = []
    for line in log.splitlines():
        match = _EVENT.search(line)
        if match:
            pairs = (item.split("=", 1) for item in match.group("fields").split())
            events.append(Event(match.group("kind"), dict(pairs)))
    return events


def kamailio_binary() -> str:
    binary = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/sbin")
    if binary is None:
        raise KamailioError(
            "kamailio is not installed: `apt-get install -y kamailio` (Debian package "
            "kamailio; scripts/test.sh installs it)"
        )
    return binary


@dataclass
class KamailioProxy:
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log_path: Path

    def exited(self) -> bool:
        return self.process.poll() is not None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def events(self, kind: str | None = None) -> list[Event]:
        return [e for e in parse_events(self.log_text()) if kind is None or e.kind == kind]

    def wait_for(self, kind: str, timeout: float, **fields: str) -> Event:
        """The first ``kind`` event whose fields include ``fields``, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(kind):
                if all(event.fields.get(k) == v for k, v in fields.items()):
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no Kamailio '{kind}' event with {fields} within {timeout} s; "
                    f"log tail:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> int:
        return stop_process(self.process, timeout)


def start_kamailio(
    workdir: Path,
    nodes: Sequence[tuple[str, int]],
    *,
    ping_interval: int = 1,
    fr_timer_ms: int = 1000,
    timeout: float = 10.0,
) -> KamailioProxy:
    """Render the config for ``nodes`` (host, SIP port), check it (``kamailio -c``), run
    Kamailio in the foreground and return once it accepts TCP on its SIP port."""
    binary = kamailio_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()  # Kamailio listens on UDP and TCP
    ds_list = workdir / "dispatcher.list"
    ds_list.write_text(dispatcher_list(nodes))
    cfg = workdir / "kamailio.cfg"
    cfg.write_text(
        render(
            TEMPLATE.read_text(),
            {
                "LISTEN_IP": HOST,
                "SIP_PORT": str(port),
                "DISPATCHER_LIST": str(ds_list),
                "PING_INTERVAL": str(ping_interval),
                "FR_TIMER_MS": str(fr_timer_ms),
                "LOG_PREFIX": LOG_PREFIX,
            },
        )
    )
    check = subprocess.run(
        [binary, "-c", "-f", str(cfg)], capture_output=True, timeout=30, check=False
    )
    if check.returncode != 0:
        raise KamailioError(
            f"kamailio -c rejected {cfg}:\n{check.stderr.decode(errors='replace')[-4000:]}"
        )
    log_path = workdir / "kamailio.log"
    argv = [
        binary, "-f", str(cfg), "-DD", "-E",
        "-m", "64", "-M", "8",
        "-Y", str(workdir), "-P", str(workdir / "kamailio.pid"), "-w", str(workdir),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            start_new_session=True,
        )
    proxy = KamailioProxy(process, port, workdir, log_path)
    deadline = time.monotonic() + timeout
    while not tcp_listening(HOST, port):
        if process.poll() is not None:
            raise KamailioError(
                f"kamailio exited with {process.returncode} at start "
                f"({' '.join(argv)}):\n{proxy.log_tail()}"
            )
        if time.monotonic() > deadline:
            proxy.stop()
            raise KamailioError(f"kamailio not listening within {timeout} s:\n{proxy.log_tail()}")
        time.sleep(0.05)
    return proxy
