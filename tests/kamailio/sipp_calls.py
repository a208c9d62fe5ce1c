"""SIPp UAC runs aimed at the proxy (not at srs): several overlapping calls with known
Call-IDs, message traces kept for the failure report (``run.logs()``)."""

from __future__ import annotations

import uuid
from pathlib import Path

from srs.testing import HOST, SippRun, sipp_run


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
    127.0.0.1:``proxy_port``, run to the end; Call-IDs are ``<token>-<n>@127.0.0.1``."""
    return sipp_run(
        scenario,
        (HOST, proxy_port),
        logdir,
        transport=transport,
        calls=calls,
        rate=10,
        pause_ms=pause_ms,
        timeout=timeout_s,
        call_id_prefix=f"kam-{uuid.uuid4().hex[:10]}",
    ).run()
