"""What one bench/churn.py run measured, the tables it prints as, and the "churn" block of
docs/performance.md (written with report.update_doc; the rest of the file is kept)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from churn_load import Loss
from report import fmt_ms, markers, percentile

SETUP_P50_TARGET_MS = 20.0  # issue #5: median INVITE -> 200 under 20 ms
FINALIZE_P95_TARGET_MS = 1000.0  # issue #5: BYE -> playable file and row under 1 s, p95


@dataclass
class ChurnResult:
    base: int  # long-held calls asked for
    rate: float  # churn calls per second asked for
    hold: float  # seconds each churn call lasts
    seconds: float  # how long SIPp starts new calls
    base_up: int = 0  # long-held calls answered
    attempted: int = 0  # churn INVITEs SIPp sent (first transmissions)
    answered: int = 0  # churn calls whose 200 OK carried both ports
    sipp: dict[str, int] = field(default_factory=dict)  # churn SIPp's cumulative counters
    setup_ms: list[float] = field(default_factory=list)  # churn INVITE -> 200
    window_s: float = 0.0  # churn SIPp's first INVITE to its exit
    srs_cpu_s: float = 0.0  # srs main process over the window
    workers_cpu_s: float = 0.0  # finalize worker processes over the window
    sender_cpu_s: float = 0.0  # rtp_churn over the window
    rss_before_kb: int = 0  # after warm-up, before the long-held calls
    rss_peak_kb: int = 0  # peak during the churn window
    churn_loss: Loss | None = None
    base_loss: Loss | None = None
    late_slots: int = 0
    sender_errors: int = 0
    rtp_drops: int = 0  # kernel drops on srs's sockets except SIP, over the window
    sip_drops: int = 0  # kernel drops on srs's SIP socket, over the window
    snmp_rcvbuf_errors: int = 0  # host-wide Udp RcvbufErrors over the window
    finalize_ms: list[float] = field(default_factory=list)  # churn calls, from the DB
    finalized: int = 0  # churn recording rows with a finalize latency
    base_finalized: int = 0
    playable: int = 0  # churn rows whose file exists with the size the row says
    duration_min_s: float = 0.0  # churn recordings' duration (media: hold - guard)
    duration_p50_s: float = 0.0
    load_start: float = 0.0  # 1-minute load average at the start / end of the window
    load_end: float = 0.0
    sink_cpu_s: float = 0.0  # baseline: C sink over the same sender pattern
    sink_seconds: float = 0.0
    sink_sent: int = 0
    sink_received: int = 0
    sink_sender_cpu_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def sessions(self) -> float:
        """Nominal sessions up during the churn: the long-held ones + rate x hold."""
        return self.base_up + self.rate * self.hold

    @property
    def answered_pct(self) -> float:
        return 100 * self.answered / self.attempted if self.attempted else 0.0

    @property
    def cpu_pct(self) -> float:
        return 100 * self.srs_cpu_s / self.window_s if self.window_s else 0.0

    @property
    def sink_cpu_pct(self) -> float:
        return 100 * self.sink_cpu_s / self.sink_seconds if self.sink_seconds else 0.0

    @property
    def rss_per_session_kb(self) -> float:
        sessions = self.sessions
        return (self.rss_peak_kb - self.rss_before_kb) / sessions if sessions else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("sessions", "answered_pct", "cpu_pct", "sink_cpu_pct", "rss_per_session_kb"):
            data[name] = getattr(self, name)
        return data


def spread(values: list[float], qs: tuple[float, ...]) -> str:
    """``p50 / p95 / ...`` of ``values`` in whole ms (``-`` for none)."""
    return " / ".join(fmt_ms(percentile(values, q)) for q in qs)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def _loss_cell(loss: Loss | None) -> str:
    return "-" if loss is None else f"{loss.lost} ({loss.pct:.3f}%)"


def summary_table(r: ChurnResult) -> str:
    head = (
        "| base calls | churn calls/s x hold s | churn attempted / answered (%) "
        "| INVITE→200 ms p50 / p95 / p99 | finalize ms p50 / p95 / max "
        "| srs CPU % of a core | C sink CPU % | srs / C sink | RSS KB per session "
        "| packets lost (churn) | packets lost (base) | kernel drops RTP / SIP |"
    )
    finalize = (
        f"{fmt_ms(percentile(r.finalize_ms, 50))} / {fmt_ms(percentile(r.finalize_ms, 95))}"
        f" / {fmt_ms(max(r.finalize_ms, default=None))}"
    )
    row = (
        f"| {r.base_up}/{r.base} | {r.rate:g} x {r.hold:g} "
        f"| {r.attempted} / {r.answered} ({r.answered_pct:.2f}) "
        f"| {spread(r.setup_ms, (50, 95, 99))} | {finalize} "
        f"| {r.cpu_pct:.1f} | {r.sink_cpu_pct:.1f} | {ratio(r.cpu_pct, r.sink_cpu_pct)} "
        f"| {r.rss_per_session_kb:.0f} | {_loss_cell(r.churn_loss)} | {_loss_cell(r.base_loss)} "
        f"| {r.rtp_drops} / {r.sip_drops} |"
    )
    return "\n".join([head, "|" + " ---: |" * 12, row])


def detail_table(r: ChurnResult) -> str:
    head = (
        "| window s | SIPp failed calls / retransmissions | churn finalized | base finalized "
        "| churn files playable | churn WAV s min / p50 "
        "| packets sent / spooled | streams with loss | RSS before / peak MB "
        "| finalize workers CPU s | sender CPU % | late 1 ms slots | UDP RcvbufErrors (host) "
        "| C sink: sent / received, sender CPU % | load average start / end |"
    )
    losses = [loss for loss in (r.churn_loss, r.base_loss) if loss is not None]
    sent = sum(loss.sent for loss in losses)
    received = sum(loss.received for loss in losses)
    with_loss = sum(loss.streams_with_loss for loss in losses)
    streams = sum(loss.streams for loss in losses)
    sender_pct = 100 * r.sender_cpu_s / r.window_s if r.window_s else 0.0
    sink_sender_pct = 100 * r.sink_sender_cpu_s / r.sink_seconds if r.sink_seconds else 0.0
    row = (
        f"| {r.window_s:.1f} "
        f"| {r.sipp.get('FailedCall', '-')} / {r.sipp.get('Retransmissions', '-')} "
        f"| {r.finalized}/{r.answered} | {r.base_finalized}/{r.base_up} "
        f"| {r.playable}/{r.answered} | {r.duration_min_s:.2f} / {r.duration_p50_s:.2f} "
        f"| {sent} / {received} | {with_loss}/{streams} "
        f"| {r.rss_before_kb / 1024:.1f} / {r.rss_peak_kb / 1024:.1f} "
        f"| {r.workers_cpu_s:.1f} | {sender_pct:.1f} | {r.late_slots} | {r.snmp_rcvbuf_errors} "
        f"| {r.sink_sent} / {r.sink_received}, {sink_sender_pct:.1f} "
        f"| {r.load_start:.1f} / {r.load_end:.1f} |"
    )
    return "\n".join([head, "|" + " ---: |" * 15, row])


def targets_table(r: ChurnResult) -> str:
    """Issue #5's setup and finalize targets against this run."""
    p50 = percentile(r.setup_ms, 50)
    p95 = percentile(r.finalize_ms, 95)
    checks = [
        (
            f"{r.rate:g} new sessions/s for {r.seconds:g} s with {r.base} up, 100% answered",
            f"{r.answered}/{r.attempted} answered ({r.answered_pct:.2f}%), "
            f"{r.base_up}/{r.base} long-held calls up",
            r.attempted > 0 and r.answered == r.attempted and r.base_up == r.base,
        ),
        (
            "median INVITE→200 < 20 ms",
            f"{fmt_ms(p50)} ms",
            p50 is not None and p50 < SETUP_P50_TARGET_MS,
        ),
        (
            "BYE → file and row < 1 s at p95, under that load",
            f"{fmt_ms(p95)} ms ({r.finalized}/{r.answered} rows, {r.playable} files)",
            p95 is not None
            and p95 < FINALIZE_P95_TARGET_MS
            and r.finalized == r.playable == r.answered,
        ),
    ]
    rows = ["| target (issue #5) | this run | status |", "| --- | --- | --- |"]
    rows += [f"| {t} | {m} | {'met' if ok else 'not met'} |" for t, m, ok in checks]
    return "\n".join(rows)


def generated_block(
    r: ChurnResult, info: dict[str, str], command: str, when: str, section: str
) -> str:
    machine = "\n".join(f"- {key}: {value}" for key, value in info.items())
    notes = [f"- {note}" for note in r.notes]
    begin, end = markers(section)
    return "\n".join(
        [
            begin,
            f"Run {when} with `{command}`.",
            "",
            machine,
            "",
            summary_table(r),
            "",
            "Details:",
            "",
            detail_table(r),
            "",
            targets_table(r),
            *(["", "Notes from the run:", "", *notes] if notes else []),
            end,
        ]
    )
