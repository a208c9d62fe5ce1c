"""Gathering the metrics from the live registry, the database and the disk.

Hand-written exposition (no ``prometheus_client`` dependency): the set is small and the
values are read on each scrape, so no registry state has to live in the process.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from api.state import AppState
from srs.storage.models import Recording, RecordingSession, Stream

LATENCY_BUCKETS_MS = (100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0, 60000.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Exposition:
    """Lines of one scrape, with ``# HELP``/``# TYPE`` once per metric name."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self,
        name: str,
        kind: str,
        help_text: str,
        samples: Iterable[tuple[Mapping[str, str], float]],
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{_labels(labels)} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _live_counters(live: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(streams, packets, bytes) over the live sessions' capture counters."""
    streams = packets = octets = 0
    for snapshot in live:
        media = snapshot.get("media")
        if not isinstance(media, Mapping):
            continue
        for stats in media.values():
            if isinstance(stats, Mapping):
                streams += 1
                packets += int(stats.get("packets") or 0)
                octets += int(stats.get("bytes") or 0)
    return streams, packets, octets


def collect(state: AppState, live: list[dict[str, Any]]) -> str:
    """The exposition text; ``live`` is the registry's list, read on the event loop."""
    out = Exposition()
    active = [s for s in live if s.get("state") != "terminated"]
    streams, packets, octets = _live_counters(live)
    out.metric(
        "srs_sessions_active",
        "gauge",
        "Recording sessions being captured now.",
        [({}, len(active))],
    )
    out.metric(
        "srs_streams_active", "gauge", "Media streams of the live sessions.", [({}, streams)]
    )
    out.metric(
        "srs_live_rtp_packets",
        "gauge",
        "RTP packets received so far by live sessions.",
        [({}, packets)],
    )
    out.metric(
        "srs_live_rtp_bytes", "gauge", "RTP bytes received so far by live sessions.", [({}, octets)]
    )
    with state.db.session() as session:
        by_state = dict(
            session.exec(
                select(RecordingSession.state, func.count()).group_by(col(RecordingSession.state))
            ).all()
        )
        totals = session.exec(
            select(
                func.coalesce(func.sum(Stream.packets), 0),
                func.coalesce(func.sum(Stream.expected), 0),
                func.coalesce(func.sum(Stream.lost), 0),
            )
        ).one()
        latencies = [
            float(v)
            for v in session.exec(
                select(Recording.finalize_latency_ms).where(
                    col(Recording.finalize_latency_ms).is_not(None)
                )
            ).all()
            if v is not None
        ]
    out.metric(
        "srs_sessions",
        "gauge",
        "Stored recording sessions by state.",
        [({"state": str(k)}, float(v)) for k, v in sorted(by_state.items())],
    )
    out.metric(
        "srs_recorded_rtp_packets_total",
        "counter",
        "RTP packets in finalized recordings.",
        [({}, float(totals[0] or 0))],
    )
    out.metric(
        "srs_recorded_rtp_expected_total",
        "counter",
        "RTP packets expected (by sequence numbers) in finalized recordings.",
        [({}, float(totals[1] or 0))],
    )
    out.metric(
        "srs_recorded_rtp_lost_total",
        "counter",
        "RTP packets lost in finalized recordings.",
        [({}, float(totals[2] or 0))],
    )
    buckets = [
        ({"le": _number(b)}, float(sum(1 for v in latencies if v <= b))) for b in LATENCY_BUCKETS_MS
    ]
    buckets.append(({"le": "+Inf"}, float(len(latencies))))
    out.lines.append("# HELP srs_finalize_latency_ms Time from call end to stored recording.")
    out.lines.append("# TYPE srs_finalize_latency_ms histogram")
    for labels, value in buckets:
        out.lines.append(f"srs_finalize_latency_ms_bucket{_labels(labels)} {_number(value)}")
    out.lines.append(f"srs_finalize_latency_ms_sum {_number(sum(latencies))}")
    out.lines.append(f"srs_finalize_latency_ms_count {len(latencies)}")
    responses = state.sip_responses() if state.sip_responses is not None else {}
    out.metric(
        "srs_sip_responses_total",
        "counter",
        "SIP responses sent, by status code.",
        [({"code": str(code)}, float(n)) for code, n in sorted(responses.items())],
    )
    disk: list[tuple[Mapping[str, str], float]] = []
    for name, path in (
        ("recordings", state.config.storage.recordings_dir),
        ("spool", state.config.storage.spool_dir),
    ):
        existing = next((p for p in (Path(path), *Path(path).parents) if p.exists()), None)
        if existing is None:
            continue
        try:  # a directory not created yet lives on its nearest existing parent's filesystem
            disk.append(({"path": name}, float(shutil.disk_usage(existing).free)))
        except OSError:
            continue
    out.metric(
        "srs_disk_free_bytes", "gauge", "Free bytes on the recordings and spool filesystems.", disk
    )
    return out.text()
