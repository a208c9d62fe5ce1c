"""Cisco CUCM Built-in-Bridge: the two forks of one recorded line become one stereo
recording (near end left, far end right) whatever their arrival order; a fork whose
partner never comes is kept alone and flagged (docs/plugins.md, issue #4)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import BIB_WAIT, api, audio, find_recordings, prepare, recording, streams_by_label
from vendor_media import Flow, tone_of

from srs.testing import SrsServer

pytestmark = pytest.mark.sipp

NEAR_CALL_ID = "35554700-d6514bef-3281-526300e@10.48.38.5"  # CUCM 11.5 trace, INVITE #1
FAR_CALL_ID = "35eddd80-d6514bf0-3283-526300e@10.48.38.5"  # INVITE #2
NEAR_GUID = "0894781184-0000065536-0000000022-0086388750"  # Cisco-Guid of INVITE #1
FAR_GUID = "0904781184-0000065536-0000000023-0086388750"  # and of INVITE #2
NEAR_TONE, FAR_TONE = 440.0, 1000.0


def send_pair(server: SrsServer, workdir: Path, near_call_id: str, far_call_id: str) -> None:
    """Both forks at once, the far end first and the near end 0.5 s later."""
    near = prepare(
        server,
        workdir / "near",
        "uac-bib-nearend-leg.xml",
        near_call_id,
        {"audio-nearend.pcap": [Flow("pcmu", NEAR_TONE)]},
    )
    far = prepare(
        server,
        workdir / "far",
        "uac-bib-farend-leg.xml",
        far_call_id,
        {"audio-farend.pcap": [Flow("pcmu", FAR_TONE, seconds=3.5)]},
    )
    with ThreadPoolExecutor(2) as pool:
        far_run = pool.submit(far.run)
        time.sleep(0.5)
        near_run = pool.submit(near.run)
        for done in (far_run.result(), near_run.result()):
            assert done.returncode == 0, done.describe() + "\n" + server.log_tail()


def group_call_id(detail: dict[str, Any]) -> str:
    return next(v["value"] for v in detail["vendor_ids"] if v["kind"] == "group_call_id")


def test_farend_first_pair_is_one_stereo_recording(
    vendor_server: SrsServer, tmp_path: Path
) -> None:
    send_pair(vendor_server, tmp_path, NEAR_CALL_ID, FAR_CALL_ID)
    detail = recording(vendor_server, FAR_CALL_ID)
    assert [r["id"] for r in find_recordings(vendor_server, NEAR_CALL_ID)] == [detail["id"]]
    streams = streams_by_label(detail)
    assert set(streams) == {"nearend", "farend"}
    assert (streams["nearend"]["channel"], streams["nearend"]["name"]) == (0, "SJ User 2")
    assert streams["nearend"]["aor"] == "1001"
    assert (streams["farend"]["channel"], streams["farend"]["aor"]) == (1, "1000")
    attributes = detail["facts"]["attributes"]
    assert attributes["group.incomplete"] == "false"
    assert attributes["cisco_bib.nearend_device"] == "SEP6C416A369525"
    assert detail["id"] in [r["id"] for r in find_recordings(vendor_server, group_call_id(detail))]
    for guid in (NEAR_GUID, FAR_GUID):  # each fork's Cisco-Guid finds the one recording
        assert detail["id"] in [r["id"] for r in find_recordings(vendor_server, guid)]

    assert detail["files"][0]["channels"] == 2
    wav = audio(vendor_server, detail, tmp_path)
    assert tone_of(wav.samples[:, 0], wav.sample_rate) == pytest.approx(NEAR_TONE, abs=15)
    assert tone_of(wav.samples[:, 1], wav.sample_rate) == pytest.approx(FAR_TONE, abs=15)


def test_lone_nearend_fork_is_kept_and_flagged_incomplete(
    vendor_server: SrsServer, tmp_path: Path
) -> None:
    call_id = "lone-nearend-1@10.48.38.5"
    near = prepare(
        vendor_server,
        tmp_path,
        "uac-bib-nearend-leg.xml",
        call_id,
        {"audio-nearend.pcap": [Flow("pcmu", NEAR_TONE)]},
    )
    done = near.run()
    assert done.returncode == 0, done.describe() + "\n" + vendor_server.log_tail()
    detail = recording(vendor_server, call_id)
    streams = streams_by_label(detail)
    assert list(streams) == ["nearend"] and streams["nearend"]["channel"] == 0
    assert detail["facts"]["attributes"]["group.incomplete"] == "true"
    session = api(vendor_server, f"/sessions/{detail['id']}")
    assert session["end_reason"] == "bye"  # the leg's reason, given when the wait ran out
    started, ended = (datetime.fromisoformat(session[k]) for k in ("started_at", "ended_at"))
    assert (ended - started).total_seconds() == pytest.approx(BIB_WAIT, abs=0.6)
    assert detail["files"][0]["channels"] == 2  # the group's layout, the far end silent
    wav = audio(vendor_server, detail, tmp_path)
    assert tone_of(wav.samples[:, 0], wav.sample_rate) == pytest.approx(NEAR_TONE, abs=15)
    assert tone_of(wav.samples[:, 1], wav.sample_rate) is None


def test_next_pair_of_the_same_line_is_the_next_segment_of_the_call(
    vendor_server: SrsServer, tmp_path: Path
) -> None:
    """Hold/resume or transfer: CUCM forks the line again with the same refci; the new
    recording is the next segment, and the call id finds every segment."""
    send_pair(vendor_server, tmp_path / "first", "seg-a-near@10.48.38.5", "seg-a-far@10.48.38.5")
    send_pair(vendor_server, tmp_path / "second", "seg-b-near@10.48.38.5", "seg-b-far@10.48.38.5")
    first = recording(vendor_server, "seg-a-near@10.48.38.5")
    second = recording(vendor_server, "seg-b-far@10.48.38.5")
    assert first["id"] != second["id"]
    assert group_call_id(first) == group_call_id(second)
    segments = [int(r["facts"]["attributes"]["group.segment"]) for r in (first, second)]
    assert segments[1] == segments[0] + 1
    found = {r["id"] for r in find_recordings(vendor_server, group_call_id(first), count=2)}
    assert {first["id"], second["id"]} <= found
