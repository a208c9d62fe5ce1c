"""Results of one bench/run.py concurrency level, the tables they print as, and the
generated block of docs/performance.md (the text around it is kept)."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def markers(section: str) -> tuple[str, str]:
    """The comment lines around one generated section of docs/performance.md."""
    return (
        f"<!-- bench/run.py {section}: generated results begin -->",
        f"<!-- bench/run.py {section}: generated results end -->",
    )


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Baseline:
    kind: str  # "c" or "python"
    sockets: int
    sent: int
    received: int
    cpu_s: float
    seconds: float
    drops: int

    @property
    def cpu_pct(self) -> float:
        return 100 * self.cpu_s / self.seconds if self.seconds else 0.0


@dataclass
class LevelResult:
    calls: int
    established: int = 0
    rate: float = 0.0
    setup_ms: list[float] = field(default_factory=list)
    setup_cpu_s: float = 0.0
    settle_s: float = 0.0  # after the last 200 OK, until srs went idle (queued DB writes)
    seconds: float = 0.0  # sender wall time (the steady-state window)
    srs_cpu_s: float = 0.0
    sender_cpu_s: float = 0.0
    late_slots: int = 0
    rss_before_kb: int = 0
    rss_during_kb: int = 0
    sent: int = 0
    spooled: int = 0
    db_packets: int = 0
    streams_with_loss: int = 0
    socket_drops: int = 0  # on the RTP sockets during the window
    sip_drops: int = 0  # on the SIP socket, setup to the end of the window
    snmp_rcvbuf_errors: int = 0
    finalized: int = 0
    finalize_ms: list[float] = field(default_factory=list)
    finalize_workers_cpu_s: float = 0.0
    baselines: list[Baseline] = field(default_factory=list)
    sipp: dict[str, int] = field(default_factory=dict)  # SIPp's cumulative counters
    load_average: float = 0.0  # 1-minute, at the start of the window (the box is shared)
    notes: list[str] = field(default_factory=list)

    @property
    def pps(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def cpu_pct(self) -> float:
        return 100 * self.srs_cpu_s / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_call_second(self) -> float:
        call_seconds = self.established * self.seconds
        return self.srs_cpu_s / call_seconds if call_seconds else 0.0

    @property
    def rss_per_call_kb(self) -> float:
        return (
            (self.rss_during_kb - self.rss_before_kb) / self.established if self.established else 0
        )

    @property
    def lost(self) -> int:
        return self.sent - self.spooled

    @property
    def loss_pct(self) -> float:
        return 100 * self.lost / self.sent if self.sent else 0.0

    def baseline(self, kind: str) -> Baseline | None:
        return next((b for b in self.baselines if b.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("pps", "cpu_pct", "cpu_per_call_second", "rss_per_call_kb", "loss_pct"):
            data[name] = getattr(self, name)
        return data


def fmt_ms(value: float | None) -> str:
    """Whole milliseconds, ``-`` for no value."""
    return "-" if value is None else f"{value:.0f}"


def _pct(b: Baseline | None) -> str:
    if b is None:
        return "-"
    lost = b.sent - b.received
    return f"{b.cpu_pct:.1f}" + (f" (lost {lost})" if lost else "")


def summary_table(results: list[LevelResult]) -> str:
    """The headline table (one row per concurrency level)."""
    head = (
        "| calls | setups/s | pkt/s | srs CPU % of a core | CPU s per call-s | RSS KB per call "
        "| loss % | kernel drops | setup ms p50 / p95 | finalize ms p50 / p95 "
        "| C sink CPU % | Python sink CPU % |"
    )
    rows = [head, "|" + " ---: |" * 12]
    for r in results:
        rows.append(
            f"| {r.established}/{r.calls} | {r.rate:g} | {r.pps:,.0f} | {r.cpu_pct:.1f} "
            f"| {r.cpu_per_call_second:.5f} | {r.rss_per_call_kb:.0f} "
            f"| {r.loss_pct:.3f} | {r.socket_drops} "
            f"| {fmt_ms(percentile(r.setup_ms, 50))} / {fmt_ms(percentile(r.setup_ms, 95))} "
            f"| {fmt_ms(percentile(r.finalize_ms, 50))} / {fmt_ms(percentile(r.finalize_ms, 95))} "
            f"| {_pct(r.baseline('c'))} | {_pct(r.baseline('python'))} |"
        )
    return "\n".join(rows)


def detail_table(results: list[LevelResult]) -> str:
    """Raw counts behind the headline numbers."""
    head = (
        "| calls | window s | sent | spooled | DB packets | streams with loss "
        "| UDP RcvbufErrors (host) | sender CPU % | late 1 ms slots | RSS before / during MB "
        "| SIP socket drops | setup CPU ms per call | settle s | finalized | finalize max ms "
        "| finalize workers CPU s | SIPp failed calls / retransmissions | load average |"
    )
    rows = [head, "|" + " ---: |" * 18]
    for r in results:
        rows.append(
            f"| {r.established} | {r.seconds:.1f} | {r.sent} | {r.spooled} | {r.db_packets} "
            f"| {r.streams_with_loss} | {r.snmp_rcvbuf_errors} "
            f"| {100 * r.sender_cpu_s / r.seconds if r.seconds else 0:.1f} | {r.late_slots} "
            f"| {r.rss_before_kb / 1024:.1f} / {r.rss_during_kb / 1024:.1f} "
            f"| {r.sip_drops} | {1000 * r.setup_cpu_s / r.established if r.established else 0:.2f} "
            f"| {r.settle_s:.1f} | {r.finalized} | {fmt_ms(max(r.finalize_ms, default=None))} "
            f"| {r.finalize_workers_cpu_s:.1f} "
            f"| {r.sipp.get('FailedCall', '-')} / {r.sipp.get('Retransmissions', '-')} "
            f"| {r.load_average:.1f} |"
        )
    return "\n".join(rows)


def filesystem_of(path: Path) -> str:
    """The /proc/mounts type (``ext4``, ``tmpfs``...) of the mount holding ``path``."""
    best, fstype = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            mount = parts[1]
            inside = str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")
            if len(parts) >= 3 and inside and len(mount) >= len(best):
                best, fstype = mount, parts[2]
    except OSError:
        pass
    return fstype


def code_state(root: Path) -> str:
    """``git HEAD`` and how many files under srs/ differ from it (others edit the checkout
    while benches run: a number is only comparable to one measured on the same code)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "srs"], cwd=root, capture_output=True, text=True
        ).stdout.splitlines()
    except OSError:
        return "unknown (no git)"
    return f"git {head or '?'} + {len(changed)} uncommitted file(s) under srs/"


def machine_info(uvloop_used: bool, data_root: Path, root: Path) -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = ["?"]
    return {
        "nproc": str(os.cpu_count()),
        "CPU": model,
        "kernel": platform.release(),
        "Python": sys.version.split()[0],
        "uvloop": "yes" if uvloop_used else "no",
        "srs code": code_state(root),
        "srs data dir": f"under {data_root} ({filesystem_of(data_root.resolve())})",
        "load average at start": " ".join(load),
    }


def generated_block(
    results: list[LevelResult], info: dict[str, str], command: str, when: str, section: str
) -> str:
    machine = "\n".join(f"- {key}: {value}" for key, value in info.items())
    notes = [f"- {r.established} calls: {note}" for r in results for note in r.notes]
    begin, end = markers(section)
    return "\n".join(
        [
            begin,
            f"Run {when} with `{command}`.",
            "",
            machine,
            "",
            summary_table(results),
            "",
            "Details:",
            "",
            detail_table(results),
            *(["", "Notes from the run:", "", *notes] if notes else []),
            end,
        ]
    )


def update_doc(path: Path, block: str, template: str, section: str) -> None:
    """Replace the ``section`` block of ``path`` (appended if missing; ``template`` first
    if the file does not exist)."""
    text = path.read_text() if path.exists() else template
    begin, end = markers(section)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
