"""CaptureEngine end to end: real UDP on 127.0.0.1 into spool files on disk."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import uvloop
from aiortc.rtp import RtpPacket

from srs.media import spool as spool_module
from srs.media.capture import CaptureEngine, FinishedRecording, spool_name
from srs.media.ports import UdpPortAllocator
from srs.media.rtcp import Bye, SenderReport, parse_compound, serialize
from srs.media.spool import EVENT, RTCP, RTP, SpoolRecord, iter_records
from srs.media.srtp import generate_crypto, sender_session
from srs.session.plan import (
    CodecSpec,
    CryptoSpec,
    RecordingEnded,
    SessionSnapshot,
    StreamChanged,
    StreamClosed,
    StreamOpened,
    StreamSpec,
)
from srs.testing import free_port_range


def free_range(pairs: int) -> tuple[int, int]:
    """An even-aligned range in 40000-40999 whose ports all bind right now."""
    return free_port_range(2 * pairs, low=40000, high=41000)


LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}


def run(factory: Callable[[], asyncio.AbstractEventLoop], coro: Awaitable[None]) -> None:
    loop = factory()
    try:
        loop.run_until_complete(asyncio.wait_for(coro, 30))
    finally:
        loop.close()


def rtp(seq: int, ssrc: int = 0x1234, pt: int = 0, size: int = 160) -> bytes:
    return RtpPacket(
        payload_type=pt,
        sequence_number=seq & 0xFFFF,
        timestamp=(seq * 160) & 0xFFFFFFFF,
        ssrc=ssrc,
        payload=bytes([seq & 0xFF]) * size,
    ).serialize()


def spec(port: int, key: str = "1", **kw: Any) -> StreamSpec:
    values: dict[str, Any] = dict(
        key=key,
        index=0,
        media="audio",
        label=key,
        local_rtp_port=port,
        local_rtcp_port=port + 1,
        remote_rtp=None,
        codecs=(CodecSpec(0, "pcmu", 8000), CodecSpec(8, "pcma", 8000)),
        telephone_event_pt=101,
        participant_id="p1",
    )
    values.update(kw)
    return StreamSpec(**values)


def sender() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def records(path: Path, kind: int | None = None) -> list[SpoolRecord]:
    return [r for r in iter_records(path) if kind is None or r.kind == kind]


def events(path: Path) -> list[str]:
    return [str(r.event()["event"]) for r in records(path, EVENT)]


@pytest.fixture
def alloc() -> Iterator[UdpPortAllocator]:
    low, high = free_range(4)
    allocator = UdpPortAllocator("127.0.0.1", low, high)
    yield allocator
    allocator.close()


@pytest.mark.parametrize("loop_name", LOOPS)
def test_spools_exactly_the_latched_sources_packets(
    loop_name: str, alloc: UdpPortAllocator, tmp_path: Path
) -> None:
    good, bad = sender(), sender()

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, flush_interval=0.05)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("rec1", spec(port)))
        sent: list[bytes] = []
        for i in range(300):
            packet = rtp(i, ssrc=(0x1000, 0x2000, 0x3000)[i // 100])
            good.sendto(packet, ("127.0.0.1", port))
            sent.append(packet)
            if i % 10 == 5:
                bad.sendto(rtp(9999, ssrc=0xBAD), ("127.0.0.1", port))
            if i % 50 == 0:
                await asyncio.sleep(0)
        good.sendto(b"\x80\x00short", ("127.0.0.1", port))
        good.sendto(b"\x00" * 20, ("127.0.0.1", port))  # version 0
        good.sendto(rtp(0, size=5000), ("127.0.0.1", port))  # truncated by the read
        await until(lambda: engine.stats("rec1")["1"].malformed == 3)
        stats = engine.stats("rec1")["1"]
        assert stats.packets == 300
        assert stats.bytes == sum(map(len, sent))
        assert stats.wrong_source == 30
        assert stats.ssrcs == frozenset({0x1000, 0x2000, 0x3000})
        assert stats.latched_source == good.getsockname()
        assert engine.active_streams == 1
        assert alloc.in_use == 1
        finished = engine.apply(RecordingEnded("rec1", "bye", now=123.0))
        assert finished == FinishedRecording("rec1", tmp_path / "rec1", "bye")
        assert alloc.in_use == 0 and engine.active_streams == 0
        assert engine.stats("rec1")["1"].closed
        await engine.stop()
        path = tmp_path / "rec1" / "1.spool"
        got = records(path, RTP)
        assert [r.data for r in got] == sent
        arrivals = [r.arrival for r in records(path)]
        assert arrivals == sorted(arrivals)
        assert abs(arrivals[-1] - time.time()) < 30
        params = records(path, EVENT)[0].event()
        assert params["payload_types"] == {
            "0": {"encoding": "pcmu", "clock_rate": 8000, "channels": 1, "fmtp": None},
            "8": {"encoding": "pcma", "clock_rate": 8000, "channels": 1, "fmtp": None},
        }
        assert params["telephone_event_pt"] == 101
        assert params["participant"] == {"id": "p1", "name": None, "aor": None}
        session = json.loads((tmp_path / "rec1" / "session.json").read_text())
        assert session["ended_at"] == 123.0 and session["end_reason"] == "bye"

    try:
        run(LOOPS[loop_name], main())
    finally:
        good.close()
        bad.close()


def test_rtcp_socket_and_rtcp_mux_are_spooled_as_rtcp(
    alloc: UdpPortAllocator, tmp_path: Path
) -> None:
    tx = sender()
    tx_rtcp = sender()
    sr = serialize(SenderReport(0x1000, 0xE000000080000000, 1600, 10, 1600))
    bye = serialize(Bye((0x1000,), "done"))

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, flush_interval=0.05)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        tx.sendto(rtp(1), ("127.0.0.1", port))
        tx_rtcp.sendto(sr, ("127.0.0.1", port + 1))
        await until(lambda: engine.stats("r")["1"].rtcp_packets == 1)
        tx.sendto(bye, ("127.0.0.1", port))  # rtcp-mux: RTCP on the RTP port
        tx.sendto(sr, ("127.0.0.1", port + 1))  # not the latched RTCP source
        await until(lambda: engine.stats("r")["1"].wrong_source == 1)
        await until(lambda: engine.stats("r")["1"].rtcp_packets == 2)
        stats = engine.stats("r")["1"]
        assert (stats.packets, stats.rtcp_bytes) == (1, len(sr) + len(bye))
        engine.apply(StreamClosed("r", "1"))
        await engine.stop()
        got = records(tmp_path / "r" / "1.spool", RTCP)
        assert [r.data for r in got] == [sr, bye]
        assert isinstance(parse_compound(got[0].data)[0], SenderReport)

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()
        tx_rtcp.close()


def test_no_latch_checks_the_sdp_address(alloc: UdpPortAllocator, tmp_path: Path) -> None:
    good, bad = sender(), sender()

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, latch=False, flush_interval=0.05)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port, remote_rtp=good.getsockname())))
        bad.sendto(rtp(1), ("127.0.0.1", port))
        good.sendto(rtp(2), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 1)
        assert engine.stats("r")["1"].wrong_source == 1
        await engine.stop()
        assert [r.data for r in records(tmp_path / "r" / "1.spool", RTP)] == [rtp(2)]

    try:
        run(asyncio.new_event_loop, main())
    finally:
        good.close()
        bad.close()


def test_lenient_source_keeps_other_sources(alloc: UdpPortAllocator, tmp_path: Path) -> None:
    a, b = sender(), sender()

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, strict_source=False)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        a.sendto(rtp(1), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 1)
        b.sendto(rtp(2, ssrc=7), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 2)
        stats = engine.stats("r")["1"]
        assert stats.latched_source == a.getsockname() and stats.wrong_source == 0
        await engine.stop()

    try:
        run(asyncio.new_event_loop, main())
    finally:
        a.close()
        b.close()


def test_changes_hold_pause_mute_write_event_records(
    alloc: UdpPortAllocator, tmp_path: Path
) -> None:
    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        first = spec(port)
        engine.apply(StreamOpened("r", first))
        engine.apply(StreamChanged("r", first))  # nothing changed: no record
        engine.apply(StreamChanged("r", spec(port, active=False)))
        engine.apply(StreamChanged("r", spec(port, active=True)))
        engine.apply(StreamChanged("r", spec(port, codecs=(CodecSpec(9, "g722", 8000),))))
        engine.set_paused("r", True)
        engine.set_paused("r", True)  # idempotent
        engine.set_muted("r", "1", True)
        engine.set_muted("r", "1", False)
        engine.set_paused("r", False)
        with pytest.raises(KeyError, match="unknown recording 'nope'"):
            engine.set_paused("nope", True)
        with pytest.raises(KeyError, match="recording 'r' has no open stream 'x'"):
            engine.set_muted("r", "x", True)
        engine.apply(
            SessionSnapshot("r", {"call_id": "c1", "streams": [{"key": "1", "label": "1"}]})
        )
        engine.flush(wait=True)
        session = json.loads((tmp_path / "r" / "session.json").read_text())
        assert session == {
            "call_id": "c1",
            "recording_id": "r",
            "streams": [{"key": "1", "label": "1", "spool": "1.spool"}],
        }
        assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["1.spool", "session.json"]
        engine.apply(RecordingEnded("r", "bye", now=5.0))
        session = json.loads((tmp_path / "r" / "session.json").read_text())
        assert session["call_id"] == "c1" and session["ended_at"] == 5.0
        await engine.stop()
        path = tmp_path / "r" / "1.spool"
        assert events(path) == [
            "params",
            "hold",
            "resume",
            "params",
            "pause",
            "mute",
            "unmute",
            "resume_pause",
        ]
        changed = records(path, EVENT)[3].event()["payload_types"]
        assert isinstance(changed, dict) and list(changed) == ["9"]

    run(asyncio.new_event_loop, main())


def test_session_json_follows_the_flush_and_stop(
    alloc: UdpPortAllocator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots are written by the next flush, several in one interval as one write;
    a failed write is retried; stop() writes what is pending (a restart recovers it)."""
    from srs.media import capture as capture_module

    writes: list[dict[str, object]] = []
    real_write = capture_module.write_json_atomic
    failures = [OSError(errno.ENOSPC, "No space left on device")]

    def counting_write(path: Path, data: dict[str, object], *, fsync: bool = False) -> None:
        if failures:
            raise failures.pop()
        writes.append(dict(data))
        real_write(path, data, fsync=fsync)

    monkeypatch.setattr(capture_module, "write_json_atomic", counting_write)

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, flush_interval=3600)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        engine.apply(SessionSnapshot("r", {"state": "early"}))
        engine.apply(SessionSnapshot("r", {"state": "confirmed"}))
        session = tmp_path / "r" / "session.json"
        assert not session.exists() and writes == []
        engine.flush(wait=True)  # the disk is full: nothing written, still pending
        assert not session.exists() and writes == []
        engine.flush(wait=True)
        assert writes == [{"state": "confirmed", "recording_id": "r"}]
        engine.flush(wait=True)  # nothing new: no write
        engine.apply(SessionSnapshot("r", {"state": "confirmed"}))  # same content
        engine.flush(wait=True)
        assert len(writes) == 1
        engine.apply(SessionSnapshot("r", {"state": "updated"}))
        await engine.stop()  # not ended: the pending snapshot is written for recovery
        assert json.loads(session.read_text()) == {"state": "updated", "recording_id": "r"}
        assert len(writes) == 2

    run(asyncio.new_event_loop, main())


def test_spool_names_escape_unsafe_keys() -> None:
    assert spool_name("main-audio_1.a") == "main-audio_1.a.spool"
    assert spool_name("../x") == "%2E.%2Fx.spool"
    assert spool_name("a b/%") == "a%20b%2F%25.spool"
    assert spool_name("") == "%.spool"


SUITES = ["AES_CM_128_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32", "AEAD_AES_128_GCM"]


@pytest.mark.parametrize("suite", SUITES)
def test_srtp_end_to_end_with_rekey_and_srtcp(
    suite: str, alloc: UdpPortAllocator, tmp_path: Path
) -> None:
    tx, tx_rtcp = sender(), sender()
    key1, key2 = generate_crypto(suite), generate_crypto(suite)

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        dest = ("127.0.0.1", port)
        engine.apply(StreamOpened("r", spec(port, srtp=key1)))
        one = sender_session(key1)
        clear = [rtp(i) for i in range(20)]
        for packet in clear[:10]:
            tx.sendto(one.protect(packet), dest)
        sr = serialize(SenderReport(0x1234, 1 << 63, 1600, 10, 1600))
        tx_rtcp.sendto(one.protect_rtcp(sr), ("127.0.0.1", port + 1))
        forged = bytearray(one.protect(rtp(10_000)))
        forged[-1] ^= 1
        tx.sendto(bytes(forged), dest)
        await until(lambda: engine.stats("r")["1"].srtp_auth_failures == 1)
        await until(lambda: engine.stats("r")["1"].rtcp_packets == 1)
        engine.apply(StreamChanged("r", spec(port, srtp=key2)))
        two = sender_session(key2)
        for packet in clear[10:]:
            tx.sendto(two.protect(packet), dest)
        await until(lambda: engine.stats("r")["1"].packets == 20)
        engine.apply(StreamClosed("r", "1"))
        await engine.stop()
        path = tmp_path / "r" / "1.spool"
        assert [r.data for r in records(path, RTP)] == clear
        assert [r.data for r in records(path, RTCP)] == [sr]
        body = (path).read_bytes()
        for key in (key1, key2):
            assert key.key_params.encode() not in body
        assert [records(path, EVENT)[i].event()["srtp"] for i in (0,)] == [suite]

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()
        tx_rtcp.close()


def test_in_flight_old_key_packets_still_decrypt_after_rekey(
    alloc: UdpPortAllocator, tmp_path: Path
) -> None:
    tx = sender()
    key1, key2 = generate_crypto(), generate_crypto()
    now = [1000.0]

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, clock=lambda: now[0])
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port, srtp=key1)))
        one = sender_session(key1)
        tx.sendto(one.protect(rtp(1)), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 1)
        engine.apply(StreamChanged("r", spec(port, srtp=key2)))
        tx.sendto(one.protect(rtp(2)), ("127.0.0.1", port))  # late, old key: kept
        await until(lambda: engine.stats("r")["1"].packets == 2)
        now[0] += 60  # grace period over
        tx.sendto(one.protect(rtp(3)), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].srtp_auth_failures == 1)
        assert engine.stats("r")["1"].packets == 2
        await engine.stop()

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()


def test_unusable_key_drops_and_counts(alloc: UdpPortAllocator, tmp_path: Path) -> None:
    tx = sender()

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        bad = CryptoSpec("AES_CM_128_HMAC_SHA1_80", "c2hvcnQ=")
        engine.apply(StreamOpened("r", spec(port, srtp=bad)))
        tx.sendto(rtp(1), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].srtp_auth_failures == 1)
        assert engine.stats("r")["1"].packets == 0
        await engine.stop()

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()


class _FullDisk:
    """Stands in for ``os`` inside spool.py: ``write`` fails with ENOSPC while full."""

    def __init__(self) -> None:
        self.full = True
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: Any) -> int:
        self.calls += 1
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)


def test_disk_full_keeps_buffer_and_recovers(
    alloc: UdpPortAllocator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = sender()
    disk = _FullDisk()
    monkeypatch.setattr(spool_module, "os", disk)

    async def main() -> None:
        # The timer is never due: flush() is called by the test, so the order is fixed.
        engine = CaptureEngine(tmp_path, alloc, flush_interval=3600, max_backlog_bytes=4000)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        for i in range(10):
            tx.sendto(rtp(i), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 10)
        engine.flush(wait=True)
        engine.flush(wait=True)
        stats = engine.stats("r")["1"]
        assert stats.flush_errors == 2 and stats.pending_bytes > 1000
        for i in range(10, 40):  # the backlog passes the cap: later packets dropped
            tx.sendto(rtp(i), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 40)
        engine.flush(wait=True)  # fails, over the cap: switch to dropping
        for i in range(40, 45):
            tx.sendto(rtp(i), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].backlog_dropped == 5)
        disk.full = False
        engine.flush(wait=True)
        stats = engine.stats("r")["1"]
        assert stats.pending_bytes == 0 and stats.flush_errors == 3
        tx.sendto(rtp(45), ("127.0.0.1", port))  # appends again after recovery
        await until(lambda: engine.stats("r")["1"].packets == 46)
        await engine.stop()
        got = [r.data for r in records(tmp_path / "r" / "1.spool", RTP)]
        assert got == [rtp(i) for i in [*range(40), 45]]

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()


def test_disk_full_at_close_retries_from_the_timer(
    alloc: UdpPortAllocator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = sender()
    disk = _FullDisk()
    monkeypatch.setattr(spool_module, "os", disk)

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, flush_interval=0.02)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        tx.sendto(rtp(1), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 1)
        engine.apply(StreamClosed("r", "1"))
        assert alloc.in_use == 0
        calls = disk.calls
        await until(lambda: disk.calls > calls + 2)  # the timer keeps retrying
        disk.full = False
        await until(lambda: not engine._closing)
        await engine.stop()
        assert [r.data for r in records(tmp_path / "r" / "1.spool", RTP)] == [rtp(1)]

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()


@pytest.mark.parametrize("loop_name", LOOPS)
def test_one_read_per_event_mode_leaves_nothing_behind(
    loop_name: str, alloc: UdpPortAllocator, tmp_path: Path
) -> None:
    """A clock that moves 10 ms per read keeps the stream in one-read-per-event mode;
    level-triggered readiness must still deliver every queued datagram."""
    tx = sender()
    ticks = [1000.0]

    def clock() -> float:
        ticks[0] += 0.01
        return ticks[0]

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, clock=clock)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        for i in range(50):
            tx.sendto(rtp(i), ("127.0.0.1", port))
        await until(lambda: engine.stats("r")["1"].packets == 50)
        stream = engine._recordings["r"].streams["1"]
        assert stream.drain is False
        await engine.stop()
        got = records(tmp_path / "r" / "1.spool", RTP)
        assert [r.data for r in got] == [rtp(i) for i in range(50)]
        arrivals = [r.arrival for r in got]
        assert all(b - a >= 0.01 - 1e-9 for a, b in pairwise(arrivals))

    try:
        run(LOOPS[loop_name], main())
    finally:
        tx.close()


def test_back_to_back_reads_switch_to_draining(alloc: UdpPortAllocator, tmp_path: Path) -> None:
    tx = sender()

    def clock() -> float:
        return 1000.0  # every read "at the same time": a burst

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc, clock=clock)
        await engine.start()
        port = alloc.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port)))
        rtp_sock, _ = alloc.take_sockets(port)
        engine._loop.remove_reader(rtp_sock.fileno())  # type: ignore[union-attr]
        for i in range(20):
            tx.sendto(rtp(i), ("127.0.0.1", port))
        await asyncio.sleep(0.05)  # all 20 queued in the socket
        stream = engine._recordings["r"].streams["1"]
        stream.last_read = 1000.0
        engine._on_rtp(stream)  # one readiness event drains the whole burst
        assert engine.stats("r")["1"].packets == 20 and stream.drain is True
        await engine.stop()

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()


def test_ipv6_loopback_with_sdp_address_check(tmp_path: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    tx = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        tx.bind(("::1", 0))
    except OSError:
        tx.close()
        pytest.skip("no ::1")
    low, high = free_range(2)
    alloc6 = UdpPortAllocator("::1", low, high)

    async def main() -> None:
        engine = CaptureEngine(tmp_path, alloc6, latch=False)
        await engine.start()
        port = alloc6.allocate()
        assert port is not None
        engine.apply(StreamOpened("r", spec(port, remote_rtp=("::1", tx.getsockname()[1]))))
        tx.sendto(rtp(1), ("::1", port))
        await until(lambda: engine.stats("r")["1"].packets == 1)
        assert engine.stats("r")["1"].wrong_source == 0
        await engine.stop()

    try:
        run(asyncio.new_event_loop, main())
    finally:
        tx.close()
        alloc6.close()
