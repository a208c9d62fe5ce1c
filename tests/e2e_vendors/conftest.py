"""One real ``srs serve`` for the vendor suite (srs.testing), and a way to send a vendor
scenario to it and fetch the recording it became through the HTTP API.

Each scenario file is copied into the test's directory with the pcaps it plays, so the
scenarios in sipp-scenarios/ stay as committed and the tones are known to the test.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from vendor_media import Flow, write_pcap

from srs.media.wavfile import WavData, read_wav
from srs.testing import (
    SCENARIOS,
    SippResult,
    SrsServer,
    free_port_range,
    prepare_srs_server,
    pytest_runtest_makereport,  # noqa: F401  (hook: server logs in failure reports)
    running,
    send_siprec_call,
)

BIB_WAIT = 5.0  # [plugins.cisco_bib] wait: longer than a 3 s lone fork, so its deadline ends it


@pytest.fixture(scope="session")
def vendor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SrsServer]:
    """One server for the whole suite, with an admin API key.  SIPp's pcap replay needs
    each call's media ports to be consecutive, so the range is wide (no wrap-around) and
    below the kernel's ephemeral ports and SIPp's own media ports, where no other socket
    takes one of them."""
    low, high = free_port_range(size=240, low=20000, high=30000)
    server = prepare_srs_server(
        tmp_path_factory.mktemp("srs-vendors"),
        config={
            "media": {"port_min": low, "port_max": high},
            "plugins.cisco_bib": {"wait": BIB_WAIT},
        },
        api_key=True,
    )
    with running(server):
        yield server


@dataclass
class Call:
    """A scenario copied next to its pcaps, ready to be sent with a known Call-ID."""

    server: SrsServer
    path: Path
    call_id: str

    def run(self) -> SippResult:
        return send_siprec_call(
            self.server, self.path, extra_args=["-cid_str", self.call_id], timeout=30
        )


def prepare(
    server: SrsServer,
    workdir: Path,
    scenario: str,
    call_id: str,
    pcaps: Mapping[str, Sequence[Flow]],
) -> Call:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / scenario
    shutil.copy(SCENARIOS / scenario, path)
    for name, flows in pcaps.items():
        write_pcap(workdir / name, flows)
    return Call(server, path, call_id)


def api(server: SrsServer, path: str, **query: str) -> Any:
    return server.get_json(f"/api/v1{path}", **query)


def find_recordings(server: SrsServer, vendor_id: str, count: int = 1) -> list[dict[str, Any]]:
    """Recordings found by ``vendor_id`` once ``count`` of them are finalized (15 s at most)."""
    deadline = time.monotonic() + 15
    while True:
        page = api(server, "/recordings", vendor_id=vendor_id)
        if len(page["items"]) >= count or time.monotonic() > deadline:
            return list(page["items"])
        time.sleep(0.25)


def recording(server: SrsServer, vendor_id: str) -> dict[str, Any]:
    """The one recording found by ``vendor_id``, in detail."""
    found = find_recordings(server, vendor_id)
    assert len(found) == 1, (
        f"vendor_id={vendor_id!r} found {len(found)} recordings; log:\n{server.log_tail()}"
    )
    detail: dict[str, Any] = api(server, f"/recordings/{found[0]['id']}")
    return detail


def audio(server: SrsServer, detail: dict[str, Any], workdir: Path) -> WavData:
    """The recording's first file, downloaded through the API."""
    url = detail["files"][0]["url"]
    target = workdir / f"{detail['id']}.wav"
    target.write_bytes(server.get_bytes(url.removeprefix(server.http_url)))
    return read_wav(target)


def streams_by_label(detail: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stream label (or key) → the stream with its participant's name and AOR added."""
    people = {p["participant_id"]: p for p in detail["participants"]}
    out: dict[str, dict[str, Any]] = {}
    for stream in detail["streams"]:
        who = people.get(stream.get("participant_id") or "", {})
        out[stream.get("label") or stream["key"]] = {
            **stream,
            "name": who.get("name"),
            "aor": who.get("aor"),
        }
    return out
