"""The load generators bench/run.py drives: SIPp for SIPREC signaling, the C RTP sender,
and the two baseline sinks.  Output parsers are plain functions over text."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
SCENARIO = BENCH / "siprec-load.xml"
NATIVE = ("rtp_blast", "udp_sink")


def build_native(gcc: str = "gcc", names: tuple[str, ...] = NATIVE) -> dict[str, Path]:
    """Compile bench/<name>.c into bench/out/ when the binary is missing or older than its
    source or the header the senders share (bench/rtp_pace.h)."""
    OUT.mkdir(exist_ok=True)
    header = BENCH / "rtp_pace.h"
    built = {}
    for name in names:
        src, exe = BENCH / f"{name}.c", OUT / name
        newest = max(src.stat().st_mtime, header.stat().st_mtime)
        if not exe.exists() or exe.stat().st_mtime < newest:
            subprocess.run([gcc, "-O2", "-Wall", "-Wextra", "-o", str(exe), str(src)], check=True)
        built[name] = exe
    return built


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port the OS says is free on 127.0.0.1 now (ephemeral range, outside the RTP range)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- SIPp ---------------------------------------------------------------------------


def sipp_argv(
    scenario: Path,
    target: tuple[str, int],
    local_port: int,
    *,
    calls: int,
    limit: int,
    rate: float,
    ports_log: Path,
    error_file: Path,
    timeout_s: int,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """A SIPp UAC load run over UDP on 127.0.0.1 with the traces every bench reads: the
    ``<log>`` ports file, per-call rtd (``-trace_rtt``), the stat CSV beside the ports log
    (:func:`stat_file`) and the errors file."""
    return [
        "sipp",
        "-sf",
        str(scenario),
        f"{target[0]}:{target[1]}",
        "-i",
        "127.0.0.1",
        "-mi",
        "127.0.0.1",
        "-p",
        str(local_port),
        "-t",
        "u1",
        "-m",
        str(calls),
        "-l",
        str(limit),
        "-r",
        f"{rate:g}",
        *extra,
        "-nostdin",
        "-trace_logs",
        "-log_file",
        str(ports_log),
        "-trace_rtt",
        "-rtt_freq",
        "1",
        "-trace_stat",
        "-stf",
        str(stat_file(ports_log)),
        "-fd",
        "1",
        "-trace_err",
        "-error_file",
        str(error_file),
        "-timeout",
        f"{timeout_s}s",
    ]


def stat_file(ports_log: Path) -> Path:
    """SIPp's ``-stf`` CSV of a run whose ports log is ``ports_log``."""
    return ports_log.with_name(ports_log.stem + "-stat.csv")


def sipp_command(
    target: tuple[str, int],
    local_port: int,
    calls: int,
    rate: float,
    hold_ms: int,
    ports_log: Path,
) -> list[str]:
    """SIPp as bench/run.py runs it: ``calls`` calls at ``rate``/s; each lasts until
    :func:`hang_up` sends its INFO, or ``hold_ms`` at most."""
    return sipp_argv(
        SCENARIO,
        target,
        local_port,
        calls=calls,
        limit=calls,
        rate=rate,
        ports_log=ports_log,
        error_file=ports_log.with_name("sipp-errors.log"),
        timeout_s=hold_ms // 1000 + calls // max(int(rate), 1) + 120,
        extra=("-recv_timeout", str(hold_ms)),
    )


def info_request(call_id: str, sipp_port: int, local_port: int, seq: int) -> bytes:
    """The in-dialog INFO that tells the scenario's call ``call_id`` to hang up (SIPp
    matches incoming requests to calls by Call-ID)."""
    lines = [
        f"INFO sip:src@127.0.0.1:{sipp_port} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK-bench-{seq}",
        "From: <sip:bench@127.0.0.1>;tag=bench",
        "To: <sip:src@127.0.0.1>;tag=sipp",
        f"Call-ID: {call_id}",
        f"CSeq: {seq} INFO",
        "Max-Forwards: 70",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def hang_up(call_ids: list[str], sipp_port: int, rate: float) -> None:
    """Send each call its hang-up INFO, ``rate`` per second (SIPp's 200s are not read)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local_port = sock.getsockname()[1]
        start = time.monotonic()
        for n, call_id in enumerate(call_ids):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sock.sendto(
                info_request(call_id, sipp_port, local_port, n + 1), ("127.0.0.1", sipp_port)
            )


def parse_ports_log(text: str) -> list[tuple[int, int, int]]:
    """``(call_number, port1, port2)`` from the scenario's ``<log>`` lines; an unanswered
    stream (port 0) or a torn last line is left out."""
    calls = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            number, p1, p2 = (int(p) for p in parts)
            if p1 and p2:
                calls.append((number, p1, p2))
    return calls


def parse_rtt_csv(text: str, rtd: str = "setup") -> list[float]:
    """Response times (ms) of one ``rtd`` name from SIPp's ``-trace_rtt`` file
    (``Date_ms;response_time_ms;rtd_no`` rows)."""
    times = []
    for line in text.splitlines()[1:]:
        parts = line.strip().split(";")
        if len(parts) == 3 and parts[2] == rtd:
            times.append(float(parts[1]))
    return times


def parse_stat_csv(text: str) -> dict[str, int]:
    """Cumulative counters (``SuccessfulCall``, ``FailedCall``, ``Retransmissions``...) of
    the last row of SIPp's ``-trace_stat`` file (``;``-separated, header first)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return {}
    header, last = lines[0].split(";"), lines[-1].split(";")
    counters = {}
    for name, value in zip(header, last, strict=False):
        if name.endswith("(C)") and value.strip().isdigit():
            counters[name[:-3]] = int(value)
    return counters


def find_rtt_file(workdir: Path, pid: int) -> Path | None:
    path = workdir / f"{SCENARIO.stem}_{pid}_rtt.csv"
    return path if path.exists() else None


# --- RTP sender ---------------------------------------------------------------------


@dataclass
class BlastResult:
    sent: int
    streams: int
    seconds: float
    late_slots: int
    errors: int
    per_port: dict[int, int] = field(default_factory=dict)


def parse_blast_output(text: str) -> BlastResult:
    """rtp_blast's stdout: a ``sent ...`` summary line then ``port <port> <count>`` lines."""
    result: BlastResult | None = None
    per_port: dict[int, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["sent"] and len(parts) == 10:
            result = BlastResult(
                sent=int(parts[1]),
                streams=int(parts[3]),
                seconds=float(parts[5]),
                late_slots=int(parts[7]),
                errors=int(parts[9]),
            )
        elif parts[:1] == ["port"] and len(parts) == 3:
            per_port[int(parts[1])] = int(parts[2])
    if result is None:
        raise ValueError(f"rtp_blast printed no summary line: {text[:200]!r}")
    result.per_port = per_port
    return result


def start_blast(exe: Path, ports_file: Path, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(exe), str(ports_file), f"{seconds:.3f}"], stdout=subprocess.PIPE, text=True
    )


# --- baseline sinks -----------------------------------------------------------------


def start_sink(kind: str, exe: Path, sockets: int, ports_file: Path) -> subprocess.Popen[str]:
    """Start the C (``c``) or Python (``python``) sink and wait for its ``ready`` line."""
    if kind == "c":
        cmd = [str(exe), str(sockets), str(ports_file)]
    else:
        cmd = [sys.executable, str(BENCH / "py_sink.py"), str(sockets), str(ports_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    line = proc.stdout.readline()
    if line.strip() != "ready" or time.monotonic() > deadline:
        proc.kill()
        raise RuntimeError(f"{kind} sink did not start: {line!r}")
    return proc


def parse_sink_output(text: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["received"]:
            return int(parts[1])
    raise ValueError(f"sink printed no 'received' line: {text[:200]!r}")
