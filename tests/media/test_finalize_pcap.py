"""tools/make_tone_pcap.py: the pcap is well-formed, and SIPp's pcap_play sends it so that
what arrives finalizes back to the tone."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import ModuleType

import dpkt
import numpy as np
import pytest

from srs.media.codecs import g711
from srs.media.finalize import FinalizeConfig, finalize_recording
from srs.media.rtp import peek_header
from srs.media.spool import RTP
from srs.media.wavfile import read_wav
from srs.testing_media import (
    StreamFixture,
    dominant_frequency,
    event_record,
    params_event,
    write_recording,
)

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_tone_pcap.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_tone_pcap", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_pcap(path: Path) -> list[tuple[float, bytes]]:
    out = []
    with path.open("rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            eth = dpkt.ethernet.Ethernet(buf)
            assert isinstance(eth.data, dpkt.ip.IP) and isinstance(eth.data.data, dpkt.udp.UDP)
            out.append((ts, bytes(eth.data.data.data)))
    return out


@pytest.mark.parametrize(
    ("codec", "pt", "size"), [("pcmu", 0, 160), ("pcma", 8, 160), ("g722", 9, 160)]
)
def test_pcap_has_paced_rtp_of_the_tone(tmp_path: Path, codec: str, pt: int, size: int) -> None:
    out = tmp_path / "t.pcap"
    assert load_tool().main(["--codec", codec, "--freq", "440", "--seconds", "1", str(out)]) == 0
    packets = read_pcap(out)
    assert len(packets) == 50
    assert np.allclose(np.diff([ts for ts, _ in packets]), 0.02, rtol=0, atol=1e-6)  # pcap: µs
    headers = [peek_header(p) for _, p in packets]
    assert {h.pt for h in headers} == {pt} and headers[0].marker
    assert [h.seq for h in headers] == list(range(1000, 1050))
    assert [h.ts for h in headers] == [i * 160 for i in range(50)]
    assert {len(p) - 12 for _, p in packets} == {size}
    if codec != "g722":
        pcm = g711.decode(codec, b"".join(p[12:] for _, p in packets))
        assert dominant_frequency(pcm, 8000) == pytest.approx(440, abs=1)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas-answer-media-to-sink">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio SINK_PORT RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""

UAC = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac-play-pcap">
  <send retrans="500"><![CDATA[
INVITE sip:tone@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:tone@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:tone@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:tone@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="PCAP_FILE"/></action></nop>
  <pause milliseconds="1500"/>
  <send retrans="500"><![CDATA[
BYE sip:tone@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:tone@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


@pytest.mark.sipp
def test_sipp_plays_the_pcap_and_it_finalizes_to_the_tone(tmp_path: Path) -> None:
    assert shutil.which("sipp"), "sipp not installed (Debian package sip-tester)"
    pcap = tmp_path / "tone.pcap"
    load_tool().main(["--codec", "pcmu", "--freq", "440", "--seconds", "1", str(pcap)])
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(0.5)
    received: list[tuple[float, bytes]] = []
    done = threading.Event()

    def receive() -> None:
        while not done.is_set():
            try:
                received.append((time.time(), sink.recv(2048)))
            except TimeoutError:
                continue

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    uas_port, uac_port, media_port = free_udp_port(), free_udp_port(), free_udp_port()
    (tmp_path / "uas.xml").write_text(UAS.replace("SINK_PORT", str(sink.getsockname()[1])))
    (tmp_path / "uac.xml").write_text(UAC.replace("PCAP_FILE", str(pcap)))
    common = ["-i", "127.0.0.1", "-m", "1", "-timeout", "15", "-nostdin", "-trace_err"]
    uas = subprocess.Popen(
        ["sipp", "-sf", "uas.xml", "-p", str(uas_port), *common],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        uac = subprocess.run(
            [
                "sipp",
                f"127.0.0.1:{uas_port}",
                "-sf",
                "uac.xml",
                "-p",
                str(uac_port),
                "-mp",
                str(media_port),
                *common,
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
        assert uac.returncode == 0
        assert uas.wait(timeout=15) == 0
    finally:
        if uas.poll() is None:
            uas.kill()
        time.sleep(0.2)
        done.set()
        thread.join()
        sink.close()
    assert len(received) == 50
    spool = write_recording(
        tmp_path / "spool" / "sipp",
        [
            StreamFixture(
                "a",
                0,
                [
                    event_record(received[0][0] - 0.1, params_event()),
                    *[(RTP, t, p) for t, p in received],
                ],
            )
        ],
        started_at=received[0][0],
        ended_at=received[-1][0],
    )
    result = finalize_recording(spool, tmp_path / "out", FinalizeConfig())
    assert result.duration == pytest.approx(1.0, abs=0.04)
    assert result.streams[0].lost == 0
    assert result.streams[0].jitter_ms < 20
    samples = read_wav(Path(result.files[0].path)).samples[:, 0]
    assert dominant_frequency(samples, 8000) == pytest.approx(440, abs=1)
