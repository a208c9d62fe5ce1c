"""The committed pcaps are what the e2e tests assume they are (no server needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from checks import freq_ok
from harness import SCENARIOS

from srs.media.codecs import g711
from srs.testing_media import (
    BASE_DPORT,
    call_pcap,
    dominant_frequency,
    pcap_media_duration,
    read_flows,
)


@pytest.mark.parametrize(
    ("name", "freqs"), [("audio.pcap", (440.0, 1000.0)), ("audio-1.pcap", (440.0,))]
)
def test_committed_pcap(tmp_path: Path, name: str, freqs: tuple[float, ...]) -> None:
    committed = SCENARIOS / name
    flows = read_flows(committed)
    assert sorted(flows) == [BASE_DPORT + 2 * k for k in range(len(freqs))]
    for k, freq in enumerate(freqs):
        packets = flows[BASE_DPORT + 2 * k]
        assert len(packets) == 150  # 3 s of 20 ms packets
        times = np.array([t for t, _ in packets])
        assert np.allclose(np.diff(times), 0.02, atol=1e-5)
        assert {p[1] & 0x7F for _, p in packets} == {0}  # PCMU
        pcm = g711.decode("pcmu", np.frombuffer(b"".join(p[12:] for _, p in packets), np.uint8))
        assert freq_ok(dominant_frequency(pcm, 8000), freq)
    assert abs(pcap_media_duration(committed) - 3.0) < 1e-4
    regenerated = call_pcap(tmp_path / name, freqs=freqs)
    assert regenerated.path.read_bytes() == committed.read_bytes(), (
        f"{name} differs from what tests/e2e/pcaps.call_pcap writes"
    )


def test_dropped_packets_and_silences(tmp_path: Path) -> None:
    sent = call_pcap(tmp_path / "a.pcap", drop={0: range(50, 75)}, silent=(2.0, 2.2))
    flows = read_flows(sent.path)
    one, two = flows[BASE_DPORT], flows[BASE_DPORT + 2]
    assert len(two) == 150 - 10  # 200 ms of silence, no loss
    seqs = [int.from_bytes(p[2:4], "big") for _, p in two]
    assert seqs == list(range(seqs[0], seqs[0] + len(two)))
    assert len(one) == 150 - 10 - 25
    assert sent.media_duration == pytest.approx(3.0)
