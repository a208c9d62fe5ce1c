"""kill -9 of a capturing process: what was flushed stays readable, a torn tail is ignored."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from aiortc.rtp import RtpPacket

from srs.media.spool import RECORD_HEADER, RTP, iter_records

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from srs.media.capture import CaptureEngine
    from srs.media.ports import UdpPortAllocator
    from srs.session.plan import CodecSpec, StreamOpened, StreamSpec

    async def main() -> None:
        alloc = UdpPortAllocator("127.0.0.1", 40000, 40999)
        engine = CaptureEngine(Path(sys.argv[1]), alloc, flush_interval=0.02)
        await engine.start()
        port = alloc.allocate()
        spec = StreamSpec("a", 0, "audio", "a", port, port + 1, None, (CodecSpec(0, "pcmu", 8000),))
        engine.apply(StreamOpened("crash", spec))
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


def rtp(seq: int) -> bytes:
    return RtpPacket(
        payload_type=0, sequence_number=seq, timestamp=seq * 160, ssrc=42, payload=b"\xff" * 160
    ).serialize()


def rtp_records(path: Path) -> list[bytes]:
    return [r.data for r in iter_records(path) if r.kind == RTP]


def test_sigkill_keeps_flushed_data_and_tolerates_torn_tail(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True
    )
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        sent = [rtp(i) for i in range(100)]
        for packet in sent:
            tx.sendto(packet, ("127.0.0.1", port))
        path = tmp_path / "crash" / "a.spool"
        deadline = time.monotonic() + 10
        while not (path.exists() and len(rtp_records(path)) == len(sent)):
            assert time.monotonic() < deadline, "capture child did not flush in time"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        tx.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert rtp_records(path) == sent
    assert not (tmp_path / "crash" / "session.json").exists()  # never ended
    whole = path.read_bytes()
    # A write torn inside the last record: the record is dropped, the rest is intact.
    path.write_bytes(whole[:-7])
    assert rtp_records(path) == sent[:-1]
    # A torn record header after the last complete record.
    path.write_bytes(whole + RECORD_HEADER.pack(RTP, 172, 1.0)[:5])
    assert rtp_records(path) == sent
    path.write_bytes(whole + RECORD_HEADER.pack(RTP, 172, 1.0) + sent[0][:100])
    assert rtp_records(path) == sent
