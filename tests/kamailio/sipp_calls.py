"""SIPp UAC runs aimed at the proxy (not at srs), with known Call-IDs and message traces
kept for the failure report."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from srs.testing import HOST, free_port, free_port_range

SCENARIOS = Path(__file__).resolve().parents[2] / "sipp-scenarios"
TRANSPORTS = {"udp": "u1", "tcp": "t1"}


@dataclass(frozen=True)
class SippRun:
    returncode: int
    call_ids: list[str]
    argv: list[str]
    logdir: Path
    stderr: str

    def report(self) -> str:
        """Command, stderr and the tails of SIPp's error and message logs."""
        parts = [f"sipp exited {self.returncode}: {' '.join(self.argv)}", self.stderr[-3000:]]
        for path in sorted(self.logdir.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-8000:]}")
        return "\n".join(parts)


def sipp_binary() -> str:
    binary = shutil.which("sipp")
    if binary is None:
        raise FileNotFoundError("sipp is not installed (Debian package sip-tester)")
    return binary


def scenario_copy(name: str, dest: Path) -> Path:
    """``sipp-scenarios/<name>`` copied into ``dest`` (where the test puts its own pcap)."""
    dest.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(SCENARIOS / name, dest / name))


def run_sipp(
    scenario: Path,
    proxy_port: int,
    transport: str,
    logdir: Path,
    *,
    calls: int = 1,
    pause_ms: int | None = None,
    timeout_s: int = 30,
) -> SippRun:
    """``calls`` calls of ``scenario`` (10 per second, so they overlap) to the proxy at
    127.0.0.1:``proxy_port``; Call-IDs are ``<token>-<n>@127.0.0.1`` for n = 1..calls."""
    token = f"kam-{uuid.uuid4().hex[:10]}"
    logdir.mkdir(parents=True, exist_ok=True)
    media_base, _ = free_port_range(size=8)
    argv = [
        sipp_binary(), "-sf", str(scenario), f"{HOST}:{proxy_port}",
        "-t", TRANSPORTS[transport], "-m", str(calls), "-r", "10",
        "-i", HOST, "-p", str(free_port()), "-mp", str(media_base),
        "-cid_str", f"{token}-%u@%s",
        "-nostdin", "-timeout", f"{timeout_s}s", "-timeout_error",
        "-trace_err", "-error_file", str(logdir / "errors.log"),
        "-trace_msg", "-message_file", str(logdir / "messages.log"),
    ]  # fmt: skip
    if pause_ms is not None:
        argv += ["-d", str(pause_ms)]
    done = subprocess.run(
        argv, capture_output=True, cwd=scenario.parent, timeout=timeout_s + 15, check=False
    )
    return SippRun(
        done.returncode,
        [f"{token}-{n}@{HOST}" for n in range(1, calls + 1)],
        argv,
        logdir,
        done.stderr.decode(errors="replace"),
    )
