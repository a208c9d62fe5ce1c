"""The load generators of bench/churn.py and the parsers of what they print: SIPp running
calls that hang themselves up (bench/siprec-churn.xml), the C sender that follows the
calls as they appear (bench/rtp_churn.c), and the per-socket drop counters of /proc.

Calls come and go during a churn run, so a socket's drop counter vanishes with its
socket: drops are tracked per socket inode, sampled while the run goes on."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import loadgen  # bench/ is on sys.path (the scripts and tests/bench put it there)

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
SCENARIO = BENCH / "siprec-churn.xml"
SSRC_BASE_CALLS = 0x52500000  # long-held calls: SSRC = base + 2 * call_number + stream
SSRC_CHURN_CALLS = 0x52508000  # churn calls (bench/udp_sink counts SSRCs 0x5250xxxx)


def build_sender(gcc: str = "gcc") -> Path:
    """Compile bench/rtp_churn.c into bench/out/ (see :func:`loadgen.build_native`)."""
    return loadgen.build_native(gcc, ("rtp_churn",))["rtp_churn"]


# --- SIPp -----------------------------------------------------------------------------


def churn_limit(rate: float, hold: float) -> int:
    """SIPp's ``-l``: enough simultaneous calls that the limit (which makes SIPp slow its
    rate down) is only reached if srs falls ~30 s behind, not at the nominal rate x hold."""
    return int(rate * (hold + 30)) + 10


def sipp_churn_command(
    target: tuple[str, int],
    local_port: int,
    rate: float,
    seconds: float,
    hold: float,
    ports_log: Path,
) -> list[str]:
    """SIPp making ``rate`` calls/s for ``seconds``, each held ``hold`` s then hung up."""
    return loadgen.sipp_argv(
        SCENARIO,
        target,
        local_port,
        calls=int(rate * seconds),
        limit=churn_limit(rate, hold),
        rate=rate,
        ports_log=ports_log,
        error_file=ports_log.with_name(ports_log.stem + "-errors.log"),
        timeout_s=int(seconds + hold) + 180,
        extra=("-d", str(int(hold * 1000)), "-recv_timeout", "30000"),
    )


def rtt_file(workdir: Path, pid: int) -> Path:
    return workdir / f"{SCENARIO.stem}_{pid}_rtt.csv"


class LogTail:
    """Incremental reader of a ports log that SIPp is still appending to: ``poll`` returns
    the ``(call_number, port1, port2)`` of the lines completed since the last call (a torn
    last line waits for its end; lines that are not three integers, or with a port 0, are
    skipped -- the same rule as rtp_churn)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self.calls = 0

    def poll(self) -> list[tuple[int, int, int]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        return self.feed(data)

    def feed(self, data: bytes) -> list[tuple[int, int, int]]:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        found = []
        for raw in lines:
            parts = raw.split()
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                continue
            number, p1, p2 = (int(p) for p in parts)
            if 0 < p1 < 65536 and 0 < p2 < 65536:
                found.append((number, p1, p2))
        self.calls += len(found)
        return found


# --- RTP sender -----------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One ports log the sender follows: its calls send for ``hold`` s (0: until the sender
    stops), stream k of call n with SSRC ``ssrc_base + 2n + k``."""

    log: Path
    hold: float
    ssrc_base: int


def sender_command(exe: Path, max_seconds: float, feeds: list[Feed]) -> list[str]:
    cmd = [str(exe), f"{max_seconds:.3f}"]
    for feed in feeds:
        cmd += [str(feed.log), f"{feed.hold:.3f}", hex(feed.ssrc_base)]
    return cmd


@dataclass
class SenderResult:
    sent: int
    streams: int
    seconds: float
    late_slots: int
    errors: int
    calls: int
    by_ssrc: dict[int, int] = field(default_factory=dict)  # packets sent per SSRC


def parse_sender_output(text: str) -> SenderResult:
    """rtp_churn's stdout: a ``sent ...`` summary line, then ``ssrc <ssrc> <port> <n>``."""
    result: SenderResult | None = None
    by_ssrc: dict[int, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["sent"] and len(parts) == 12:
            result = SenderResult(
                sent=int(parts[1]),
                streams=int(parts[3]),
                seconds=float(parts[5]),
                late_slots=int(parts[7]),
                errors=int(parts[9]),
                calls=int(parts[11]),
            )
        elif parts[:1] == ["ssrc"] and len(parts) == 4:
            by_ssrc[int(parts[1])] = by_ssrc.get(int(parts[1]), 0) + int(parts[3])
    if result is None:
        raise ValueError(f"rtp_churn printed no summary line: {text[:200]!r}")
    if sum(by_ssrc.values()) != result.sent:
        raise ValueError(
            f"rtp_churn's per-SSRC counts add up to {sum(by_ssrc.values())}, "
            f"its summary says {result.sent}"
        )
    result.by_ssrc = by_ssrc
    return result


def in_range(by_ssrc: dict[int, int], base: int, size: int = 0x8000) -> dict[int, int]:
    """The entries of ``by_ssrc`` whose SSRC is in ``base .. base + size - 1``."""
    return {ssrc: n for ssrc, n in by_ssrc.items() if base <= ssrc < base + size}


@dataclass
class Loss:
    sent: int
    received: int
    streams: int
    streams_with_loss: int

    @property
    def lost(self) -> int:
        return self.sent - self.received

    @property
    def pct(self) -> float:
        return 100 * self.lost / self.sent if self.sent else 0.0


def loss(sent_by_ssrc: dict[int, int], received_by_ssrc: dict[int, int]) -> Loss:
    """Sent vs received over the streams of ``sent_by_ssrc`` (strays received on other
    SSRCs are not counted)."""
    received = {ssrc: min(received_by_ssrc.get(ssrc, 0), n) for ssrc, n in sent_by_ssrc.items()}
    return Loss(
        sent=sum(sent_by_ssrc.values()),
        received=sum(received.values()),
        streams=len(sent_by_ssrc),
        streams_with_loss=sum(1 for ssrc, n in sent_by_ssrc.items() if received[ssrc] < n),
    )


class LogFeeder(threading.Thread):
    """For the baseline: append ``<n> <port1> <port2>`` lines to a ports log at ``rate``
    per second for ``seconds``, as SIPp would, cycling over ``ports`` (pairs)."""

    def __init__(self, path: Path, ports: list[int], rate: float, seconds: float) -> None:
        super().__init__(daemon=True)
        self.path, self.ports, self.rate, self.seconds = path, ports, rate, seconds
        self.lines = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        pairs = len(self.ports) // 2
        total = int(self.rate * self.seconds)
        start = time.monotonic()
        with open(self.path, "a", buffering=1) as fh:
            for n in range(1, total + 1):
                delay = start + (n - 1) / self.rate - time.monotonic()
                if delay > 0 and self._stop_event.wait(delay):
                    return
                k = (n - 1) % pairs
                fh.write(f"{n} {self.ports[2 * k]} {self.ports[2 * k + 1]}\n")
                self.lines = n

    def stop(self) -> None:
        self._stop_event.set()


# --- /proc/net/udp drops by socket ----------------------------------------------------


def parse_udp_sockets(text: str, inodes: set[int]) -> dict[int, tuple[int, int]]:
    """``{inode: (local port, drops)}`` over the /proc/net/udp rows whose inode is in
    ``inodes`` (columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref
    pointer drops; ``local`` is ``HEXADDR:HEXPORT``)."""
    sockets = {}
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 13 and cols[9].isdigit() and int(cols[9]) in inodes:
            sockets[int(cols[9])] = (int(cols[1].rsplit(":", 1)[1], 16), int(cols[12]))
    return sockets


class DropTracker:
    """Drops over a window on sockets that open and close during it: each socket's last
    seen counter minus its counter at the start (0 for sockets opened later).  Drops in
    the last sampling interval of a socket that then closed are missed (a lower bound)."""

    def __init__(self, start: dict[int, tuple[int, int]]) -> None:
        self._base = {inode: drops for inode, (_, drops) in start.items()}
        self._last: dict[int, tuple[int, int]] = dict(start)

    def update(self, sockets: dict[int, tuple[int, int]]) -> None:
        self._last.update(sockets)

    def drops(self, port: int | None = None, exclude: int | None = None) -> int:
        """Drops on the sockets bound to ``port`` (all if ``None``), except ``exclude``."""
        return sum(
            drops - self._base.get(inode, 0)
            for inode, (p, drops) in self._last.items()
            if (port is None or p == port) and p != exclude
        )
