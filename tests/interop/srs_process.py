"""The interop suite's ``srs serve`` (:mod:`srs.testing`): DEBUG logging, and a media range
below the kernel's ephemeral ports so that pjsua's own random RTP ports rarely land in it.

Only ``srs serve``, ``srs user add`` and the HTTP API are used, as an operator would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from srs.testing import SrsServer, free_port_range, prepare_srs_server

MEDIA_PORTS = 40  # 20 RTP/RTCP pairs: a few calls at once at most


def interop_server(workdir: Path) -> SrsServer:
    """The server (not started: use ``srs.testing.running``), with an admin API key."""
    low, high = free_port_range(MEDIA_PORTS, 20000, 32000)
    return prepare_srs_server(
        workdir,
        config={"media": {"port_min": low, "port_max": high}, "logging": {"level": "DEBUG"}},
        api_key=True,
    )


def session_json(srs: SrsServer, recording_id: str) -> dict[str, Any]:
    """The spool's ``session.json`` (docs/architecture.md): srs's own view of the call."""
    path = srs.data_dir / "spool" / recording_id / "session.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data
