"""kill -9 (or a plain SIGTERM restart) in the middle of a call: after a restart on the
same data directory the recording is finalized from the spool, flagged ``recovered``, with
everything flushed."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
from checks import check_participants, check_tone
from harness import (
    e2e_server,
    recorded_audio,
    running,
    scenario_copy,
    silent_runs,
    sipp,
)

from srs.testing_media import call_pcap

pytestmark = pytest.mark.sipp

FLUSH_INTERVAL = 0.2
KILL_AFTER = 3.0


@pytest.mark.parametrize("how", ["kill-9", "sigterm"])
def test_server_dies_mid_call_then_recovers(tmp_path: Path, logroot: Path, how: str) -> None:
    server = e2e_server(tmp_path / "srs", media={"flush_interval": FLUSH_INTERVAL})
    scenario = scenario_copy(
        "uac-siprec-basic.xml",
        tmp_path / "scenario",
        [('<pause milliseconds="3000"/>', "<pause/>")],
    )
    call_pcap(scenario.parent / "audio.pcap", seconds=6.0)
    with running(server):
        call = sipp(scenario, server, "udp", logroot, pause_ms=6000).start()
        try:
            server.wait_live(call.call_id)
            time.sleep(KILL_AFTER)
            killed_at = time.time()
            if how == "kill-9":
                server.kill()
            else:
                server.stop()  # graceful: spools flushed, the call left for recovery
            gone_at = time.time()  # SIGTERM: srs keeps recording until its sockets close
        finally:
            call.terminate()
        server.start()
        rec = server.wait_recording(call.call_id, timeout=30)

        assert rec["recovered"] is True, rec
        check_participants(rec)
        # media flowed from just after the INVITE (``started_at``) to the kill; what was
        # flushed is all of it but the last flush interval at worst
        started = datetime.fromisoformat(rec["started_at"]).timestamp()
        received = killed_at - started
        low, high = received - FLUSH_INTERVAL - 0.15, gone_at - started
        assert low <= rec["duration"] <= high, (
            f"recovered {rec['duration']} s; {received:.2f} s were received before the kill, "
            f"flushed every {FLUSH_INTERVAL} s"
        )
        audio = recorded_audio(server, rec)
        assert audio.channels.shape[0] == 2
        labels = {s["label"]: s["channel"] for s in rec["streams"]}
        for label, freq in (("1", 440.0), ("2", 1000.0)):
            check_tone(audio, labels[label], freq, 0.0, audio.duration)
            runs = silent_runs(audio.channels[labels[label]], audio.rate, 0.05)
            assert runs == [], f"label {label}: silence {runs} in a recovered recording"
