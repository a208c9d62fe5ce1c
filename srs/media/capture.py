"""The capture engine: bound UDP sockets in, append-only spool files out.

This is the only per-packet code in srs, so it does as little as possible per datagram:
read it, check the source, SRTP-unprotect if keyed, append one record to an in-memory
buffer that a timer flushes with one ``os.write`` per stream.  Decoding, reordering and file formats are finalize's job
(``srs/media/finalize.py``), which reads the spool directory this engine writes.

Readiness uses ``loop.add_reader`` with our own read loop, not a ``DatagramProtocol``.
On loopback (``bench/capture_microbench.py --compare``: 100 streams, 20k packets/s, a
shared 2-core box) both cost the same within noise, 5.7-7.3 us of engine CPU per packet
on asyncio and uvloop alike; what decides is control: the engine drains a socket itself
before a rekey or close (zero loss at those edges), and the allocator keeps owning the
sockets (a transport would close them).  Measured on the callback alone, reading until
``EAGAIN`` costs 3.8 us per one-packet event against 2.6 us for a single read, so
``_on_rtp`` reads once per event and drains only when datagrams come back to back.
``recvfrom_into`` a preallocated buffer measured no faster than ``recvfrom`` (2.9 vs
3.0 us), and SRTP needs ``bytes`` anyway, so plain ``recvfrom`` it is.

Disk trouble never stops capture: a failed flush keeps the buffer (up to
``max_backlog_bytes`` per stream, then new packets are counted and dropped), logs once,
and is retried on every later flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from socket import AF_INET6, socket
from typing import Any, Protocol

from srs.media.ports import UdpPortAllocator
from srs.media.spool import RTCP, RTP, SpoolWriter, open_spool
from srs.media.srtp import SrtpError, SrtpReceiver
from srs.session.plan import (
    MediaEvent,
    RecordingEnded,
    SessionSnapshot,
    StreamChanged,
    StreamClosed,
    StreamOpened,
    StreamSpec,
)

log = logging.getLogger(__name__)

_RECV_SIZE = 4096  # far above any RTP datagram; one this long may be truncated: malformed
_ENDED_STATS_KEPT = 256
_BURST_GAP = 0.002  # datagrams read closer than this: drain until EAGAIN
_SRTP_REKEY_GRACE = 5.0  # seconds the previous key is still tried after a rekey
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@dataclass(frozen=True)
class FinishedRecording:
    """Handed to the finalize pool once every stream of a recording is flushed."""

    recording_id: str
    spool_dir: Path
    reason: str


@dataclass(frozen=True)
class StreamStats:
    """A point-in-time copy of one stream's counters.

    ``packets``/``bytes`` count RTP that passed the source and SRTP checks (including
    packets later lost to ``backlog_dropped`` while the disk was failing); ``bytes`` is
    as received (before SRTP removal of the auth tag).  Arrivals are of packets, not of
    event records.
    """

    packets: int
    bytes: int
    rtcp_packets: int
    rtcp_bytes: int
    ssrcs: frozenset[int]
    first_arrival: float | None
    last_arrival: float | None
    latched_source: tuple[Any, ...] | None  # (host, port), 4-tuple on IPv6
    wrong_source: int
    srtp_auth_failures: int
    srtp_other_failures: int
    malformed: int
    socket_errors: int
    flush_errors: int
    backlog_dropped: int
    pending_bytes: int
    closed: bool


class _Unprotector(Protocol):
    auth_failures: int
    other_failures: int

    def unprotect(self, data: bytes) -> bytes | None: ...
    def unprotect_rtcp(self, data: bytes) -> bytes | None: ...


class _RejectAll:
    """Stands in for a receiver whose keying was unusable: nothing gets through."""

    __slots__ = ("auth_failures", "other_failures")

    def __init__(self) -> None:
        self.auth_failures = 0
        self.other_failures = 0

    def unprotect(self, data: bytes) -> bytes | None:
        self.auth_failures += 1
        return None

    unprotect_rtcp = unprotect


def spool_name(key: str) -> str:
    """File name of a stream's spool: ``<key>.spool``; characters outside ``[A-Za-z0-9._-]``
    and a leading dot are %-escaped (injective: ``%`` itself is escaped)."""
    if not key:
        return "%.spool"
    name = "".join(c if c in _SAFE else f"%{ord(c):02X}" for c in key)
    if name.startswith("."):
        name = "%2E" + name[1:]
    return name + ".spool"


def write_json_atomic(path: Path, data: dict[str, object], *, fsync: bool = False) -> None:
    """temp file + ``os.replace``: readers (and a restart after kill -9) see old or new.

    ``fsync`` (``media.fsync``) also syncs the file and its directory, which only matters
    for a power loss; it blocks the caller (the event loop) for a disk flush, so it is off
    by default.
    """
    # compact: with ``indent`` json falls back to its pure-Python encoder (3x slower)
    body = json.dumps(data, sort_keys=True, default=str).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if not fsync:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def params_event(spec: StreamSpec) -> dict[str, object]:
    """The ``params`` spool event: everything finalize needs to decode (never keys)."""
    return {
        "event": "params",
        "payload_types": {
            str(c.payload_type): {
                "encoding": c.encoding,
                "clock_rate": c.clock_rate,
                "channels": c.channels,
                "fmtp": c.fmtp,
            }
            for c in spec.codecs
        },
        "telephone_event_pt": spec.telephone_event_pt,
        "comfort_noise_pt": spec.comfort_noise_pt,
        "srtp": spec.srtp.suite if spec.srtp else None,
        "media": spec.media,
        "label": spec.label,
        "index": spec.index,
        "participant": {
            "id": spec.participant_id,
            "name": spec.participant_name,
            "aor": spec.participant_aor,
        },
    }


class _Stream:
    """Mutable per-stream state; everything the hot path touches is a slot."""

    __slots__ = (
        "append",
        "backlog_dropped",
        "bytes",
        "closed",
        "drain",
        "first",
        "flush_errors",
        "flush_failing",
        "key",
        "last",
        "last_packet",
        "last_read",
        "last_ssrc",
        "latch",
        "latched",
        "malformed",
        "muted",
        "packets",
        "params",
        "port",
        "recording_id",
        "rtcp_bytes",
        "rtcp_latched",
        "rtcp_packets",
        "rtcp_sock",
        "rtp_sock",
        "socket_errors",
        "spec",
        "srtp",
        "srtp_prev",
        "srtp_prev_until",
        "ssrcs",
        "writer",
        "wrong_source",
    )

    def __init__(
        self,
        recording_id: str,
        spec: StreamSpec,
        writer: SpoolWriter,
        socks: tuple[socket, socket],
    ) -> None:
        self.recording_id = recording_id
        self.key = spec.key
        self.spec = spec
        self.port = spec.local_rtp_port
        self.rtp_sock, self.rtcp_sock = socks
        self.writer = writer
        self.append: Callable[[int, float, bytes], None] = writer.append
        self.srtp: _Unprotector | None = None
        self.srtp_prev: _Unprotector | None = None
        self.srtp_prev_until = 0.0
        self.latch = False  # latch the next good packet's source
        self.latched: tuple[Any, ...] | None = None
        self.rtcp_latched: tuple[Any, ...] | None = None
        self.params: dict[str, object] = {}
        self.first: float | None = None  # first packet (RTP or RTCP) spooled
        self.last_packet: float | None = None
        self.last = 0.0  # last record of any kind: keeps spool arrivals monotonic
        self.last_read = 0.0  # clock of the last datagram read (good or not)
        self.drain = False  # read until EAGAIN (see _on_rtp)
        self.packets = self.bytes = self.rtcp_packets = self.rtcp_bytes = 0
        self.wrong_source = self.malformed = self.socket_errors = 0
        self.flush_errors = self.backlog_dropped = 0
        self.flush_failing = False
        self.closed = False
        self.muted = False
        self.ssrcs: set[int] = set()
        self.last_ssrc = b""

    def stamp(self, now: float) -> float:
        """Arrival times in one spool never go backwards (wall clock steps)."""
        if now < self.last:
            now = self.last
        self.last = now
        return now

    def drop_append(self, kind: int, arrival: float, data: bytes) -> None:
        self.backlog_dropped += 1

    def stats(self) -> StreamStats:
        srtp = self.srtp
        prev = self.srtp_prev
        return StreamStats(
            packets=self.packets,
            bytes=self.bytes,
            rtcp_packets=self.rtcp_packets,
            rtcp_bytes=self.rtcp_bytes,
            ssrcs=frozenset(self.ssrcs),
            first_arrival=self.first,
            last_arrival=self.last_packet,
            latched_source=self.latched,
            wrong_source=self.wrong_source,
            srtp_auth_failures=(srtp.auth_failures if srtp else 0)
            + (prev.auth_failures if prev else 0),
            srtp_other_failures=(srtp.other_failures if srtp else 0)
            + (prev.other_failures if prev else 0),
            malformed=self.malformed,
            socket_errors=self.socket_errors,
            flush_errors=self.flush_errors,
            backlog_dropped=self.backlog_dropped,
            pending_bytes=self.writer.pending,
            closed=self.closed,
        )


class _Recording:
    __slots__ = (
        "closed_stats",
        "directory",
        "made",
        "muted",
        "paused",
        "snapshot",
        "streams",
        "unsaved",
    )

    def __init__(self, directory: Path, made: Future[None]) -> None:
        self.directory = directory
        self.made = made  # the directory, created on the file thread
        self.streams: dict[str, _Stream] = {}
        self.closed_stats: dict[str, StreamStats] = {}
        self.snapshot: dict[str, object] | None = None
        self.unsaved = False  # snapshot newer than session.json: written by the next flush
        self.paused = False
        self.muted: set[str] = set()


class CaptureEngine:
    """Applies ``MediaEvent`` values; reads sockets; writes ``<spool_root>/<id>/``."""

    def __init__(
        self,
        spool_root: Path,
        allocator: UdpPortAllocator,
        *,
        flush_interval: float = 0.2,
        latch: bool = True,
        strict_source: bool = True,
        fsync: bool = False,
        clock: Callable[[], float] = time.time,
        max_backlog_bytes: int = 16 << 20,
    ) -> None:
        self.spool_root = Path(spool_root)
        self.allocator = allocator
        self.flush_interval = flush_interval
        self.latch = latch
        self.strict_source = strict_source
        self.fsync = fsync
        self.max_backlog_bytes = max_backlog_bytes
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._recordings: dict[str, _Recording] = {}
        self._closing: list[_Stream] = []  # closed streams whose last flush failed
        self._ended_stats: OrderedDict[str, dict[str, StreamStats]] = OrderedDict()
        # creates spool directories and files off the event loop, in submission order
        self._files: ThreadPoolExecutor | None = None

    # --- lifecycle ---

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._task is None:
            self._task = self._loop.create_task(self._flush_loop(), name="srs-capture-flush")

    async def stop(self) -> None:
        """Drain and flush everything, close spools, release ports (recordings are not
        marked ended: their spools stay for recovery)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for rec in self._recordings.values():
            if rec.unsaved:
                self._save_snapshot(rec, wait=True)
            for st in list(rec.streams.values()):
                self._close_stream(rec, st)
        self._recordings.clear()
        self._retry_closing()
        if self._files is not None:
            self._files.shutdown(wait=True)
            self._files = None
        for st in self._closing:  # the disk is still failing: nothing more can be done
            log.error("spool %s: %d bytes lost at shutdown", st.writer.path, st.writer.pending)
            with contextlib.suppress(OSError):
                st.writer.close()
        self._closing = []

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                self.flush()
            except Exception:  # never let the timer die
                log.exception("capture flush failed")

    def flush(self, wait: bool = False) -> None:
        """Write newer ``session.json`` snapshots, then every stream's buffer (also called
        by the timer): a spool never holds media of a call whose session.json is missing.
        Files still being created on the file thread are written by a later flush, or
        now when ``wait`` (tests, which want a fixed order)."""
        for rec in self._recordings.values():
            if rec.unsaved:
                self._save_snapshot(rec, wait)
            for st in rec.streams.values():
                self._flush_stream(st, wait)
        if self._closing:
            self._retry_closing()

    # --- queries ---

    @property
    def active_streams(self) -> int:
        return sum(len(rec.streams) for rec in self._recordings.values())

    def stats(self, recording_id: str) -> dict[str, StreamStats]:
        """Per stream key; includes closed streams and recently ended recordings."""
        rec = self._recordings.get(recording_id)
        if rec is None:
            ended = self._ended_stats.get(recording_id)
            if ended is None:
                raise KeyError(f"unknown recording {recording_id!r}")
            return dict(ended)
        out = dict(rec.closed_stats)
        out.update((key, st.stats()) for key, st in rec.streams.items())
        return out

    # --- API controls ---

    def set_paused(self, recording_id: str, paused: bool) -> None:
        rec = self._recording(recording_id)
        if rec.paused == paused:
            return
        rec.paused = paused
        event: dict[str, object] = {"event": "pause" if paused else "resume_pause"}
        for st in rec.streams.values():
            st.writer.append_event(st.stamp(self._clock()), event)

    def set_muted(self, recording_id: str, key: str, muted: bool) -> None:
        rec = self._recording(recording_id)
        st = rec.streams.get(key)
        if st is None:
            raise KeyError(f"recording {recording_id!r} has no open stream {key!r}")
        if st.muted == muted:
            return
        st.muted = muted
        (rec.muted.add if muted else rec.muted.discard)(key)
        st.writer.append_event(st.stamp(self._clock()), {"event": "mute" if muted else "unmute"})

    def _recording(self, recording_id: str) -> _Recording:
        rec = self._recordings.get(recording_id)
        if rec is None:
            raise KeyError(f"unknown recording {recording_id!r}")
        return rec

    # --- media plan ---

    def apply(self, event: MediaEvent) -> FinishedRecording | None:
        if isinstance(event, StreamOpened):
            self._open(event.recording_id, event.spec)
        elif isinstance(event, StreamChanged):
            self._change(event.recording_id, event.spec)
        elif isinstance(event, StreamClosed):
            rec = self._recordings.get(event.recording_id)
            st = rec.streams.get(event.key) if rec else None
            if rec is None or st is None:
                log.warning("StreamClosed for unknown stream %s/%s", event.recording_id, event.key)
            else:
                self._close_stream(rec, st)
        elif isinstance(event, SessionSnapshot):
            self._snapshot(event.recording_id, dict(event.data))
        elif isinstance(event, RecordingEnded):
            return self._end(event)
        else:  # pragma: no cover - MediaEvent is a closed union
            raise TypeError(f"not a MediaEvent: {event!r}")
        return None

    def _ensure_recording(self, recording_id: str) -> _Recording:
        rec = self._recordings.get(recording_id)
        if rec is None:
            if not recording_id or "/" in recording_id or recording_id in (".", ".."):
                raise ValueError(f"recording id {recording_id!r} is not a safe directory name")
            directory = self.spool_root / recording_id
            made = self._file_thread().submit(os.makedirs, directory, exist_ok=True)
            rec = self._recordings[recording_id] = _Recording(directory, made)
        return rec

    def _file_thread(self) -> ThreadPoolExecutor:
        if self._files is None:
            self._files = ThreadPoolExecutor(1, thread_name_prefix="srs-spool-files")
        return self._files

    @staticmethod
    def _directory_ready(rec: _Recording, wait: bool) -> bool:
        """The recording's directory exists (made here when the file thread failed)."""
        if not wait and not rec.made.done():
            return False
        if rec.made.exception() is not None:
            rec.directory.mkdir(parents=True, exist_ok=True)  # OSError: the caller's
        return True

    def _open(self, recording_id: str, spec: StreamSpec) -> None:
        rec = self._ensure_recording(recording_id)
        if spec.key in rec.streams:
            log.warning(
                "StreamOpened for open stream %s/%s: treated as a change", recording_id, spec.key
            )
            self._change(recording_id, spec)
            return
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        socks = self.allocator.take_sockets(spec.local_rtp_port)
        path = rec.directory / spool_name(spec.key)
        writer = SpoolWriter(path, opening=self._file_thread().submit(open_spool, path))
        st = _Stream(recording_id, spec, writer, socks)
        rec.closed_stats.pop(spec.key, None)
        rec.streams[spec.key] = st
        self._configure_source(st, spec)
        st.srtp = self._receiver(spec)
        now = st.stamp(self._clock())
        st.params = params_event(spec)
        writer.append_event(now, st.params)
        if not spec.active:
            writer.append_event(now, {"event": "hold"})
        if rec.paused:
            writer.append_event(now, {"event": "pause"})
        if spec.key in rec.muted:
            st.muted = True
            writer.append_event(now, {"event": "mute"})
        self._watch(st)  # the params event is the spool's first record, written by the next flush

    def _change(self, recording_id: str, spec: StreamSpec) -> None:
        rec = self._recordings.get(recording_id)
        st = rec.streams.get(spec.key) if rec else None
        if st is None:
            log.info("StreamChanged for unopened stream %s/%s: opening it", recording_id, spec.key)
            self._open(recording_id, spec)
            return
        old = st.spec
        if spec.local_rtp_port != old.local_rtp_port:
            self._unwatch(st, drain=True)
            self.allocator.release(old.local_rtp_port)
            st.rtp_sock, st.rtcp_sock = self.allocator.take_sockets(spec.local_rtp_port)
            st.port = spec.local_rtp_port
            self._watch(st)
        if spec.remote_rtp != old.remote_rtp:
            self._configure_source(st, spec)
        if spec.srtp != old.srtp:
            self._drain(st)  # packets already queued were sent with the old key
            if st.srtp is not None and spec.srtp is not None:
                st.srtp_prev = st.srtp
                st.srtp_prev_until = self._clock() + _SRTP_REKEY_GRACE
            st.srtp = self._receiver(spec)
        st.spec = spec
        now = st.stamp(self._clock())
        params = params_event(spec)
        if params != st.params:
            st.params = params
            st.writer.append_event(now, params)
        if spec.active != old.active:
            st.writer.append_event(now, {"event": "resume" if spec.active else "hold"})

    def _configure_source(self, st: _Stream, spec: StreamSpec) -> None:
        """Latch: the next good packet's source.  No latch: the SDP address, if any."""
        if self.latch:
            st.latch = True
            st.latched = st.rtcp_latched = None
        elif self.strict_source and spec.remote_rtp is not None:
            host, port = spec.remote_rtp
            tail: tuple[int, ...] = (0, 0) if st.rtp_sock.family == AF_INET6 else ()
            st.latch = False
            st.latched = (host, port, *tail)
            st.rtcp_latched = (host, port + 1, *tail)
        else:
            st.latch = False
            st.latched = st.rtcp_latched = None

    def _receiver(self, spec: StreamSpec) -> _Unprotector | None:
        if spec.srtp is None:
            return None
        try:
            return SrtpReceiver(spec.srtp)
        except SrtpError as exc:
            log.error("stream %s: unusable SRTP keying, dropping its media: %s", spec.key, exc)
            return _RejectAll()

    def _watch(self, st: _Stream) -> None:
        assert self._loop is not None
        self._loop.add_reader(st.rtp_sock.fileno(), self._on_rtp, st)
        self._loop.add_reader(st.rtcp_sock.fileno(), self._on_rtcp, st)

    def _unwatch(self, st: _Stream, *, drain: bool) -> None:
        if self._loop is not None:
            self._loop.remove_reader(st.rtp_sock.fileno())
            self._loop.remove_reader(st.rtcp_sock.fileno())
        if drain:
            self._drain(st)

    def _drain(self, st: _Stream) -> None:
        st.drain = True
        self._on_rtp(st)
        self._on_rtcp(st)

    def _close_stream(self, rec: _Recording, st: _Stream) -> None:
        self._unwatch(st, drain=True)
        del rec.streams[st.key]
        st.closed = True
        self.allocator.release(st.port)
        self._flush_stream(st)
        if st.writer.pending:
            self._closing.append(st)  # disk trouble: keep retrying from the timer
        else:
            st.writer.close()
        rec.closed_stats[st.key] = st.stats()

    def _retry_closing(self) -> None:
        still: list[_Stream] = []
        for st in self._closing:
            self._flush_stream(st)
            if st.writer.pending:
                still.append(st)
            else:
                st.writer.close()
        self._closing = still

    def _flush_stream(self, st: _Stream, wait: bool = False) -> None:
        writer = st.writer
        try:
            writer.flush(self.fsync, wait=wait)
        except OSError as exc:
            st.flush_errors += 1
            if not st.flush_failing:
                st.flush_failing = True
                log.error(
                    "spool %s: write failed (%s); keeping up to %d bytes in memory and retrying",
                    writer.path,
                    exc,
                    self.max_backlog_bytes,
                )
            if writer.pending > self.max_backlog_bytes and st.append == writer.append:
                log.error("spool %s: backlog cap reached, dropping new packets", writer.path)
                st.append = st.drop_append
            return
        if st.flush_failing:
            st.flush_failing = False
            st.append = writer.append
            log.warning(
                "spool %s: writing again after %d failed flushes, %d packets dropped",
                writer.path,
                st.flush_errors,
                st.backlog_dropped,
            )

    def _snapshot(self, recording_id: str, data: dict[str, object]) -> None:
        rec = self._ensure_recording(recording_id)
        data.setdefault("recording_id", recording_id)
        streams = data.get("streams")
        if isinstance(streams, list):
            for item in streams:
                if isinstance(item, dict) and isinstance(item.get("key"), str):
                    item["spool"] = spool_name(item["key"])
        if data == rec.snapshot:
            return  # same content as the file holds or will hold: skip the write
        rec.snapshot = data
        # written by the next flush (every flush_interval, like the media), so the INVITE's
        # and the ACK's snapshots of a call set up within one interval are one write
        rec.unsaved = True

    def _save_snapshot(self, rec: _Recording, wait: bool = False) -> None:
        """Write ``session.json``; a failing disk leaves it unsaved for the next flush."""
        try:
            if not self._directory_ready(rec, wait):
                return  # the next flush
            write_json_atomic(rec.directory / "session.json", rec.snapshot or {}, fsync=self.fsync)
        except OSError as exc:
            log.error(
                "%s: session.json not written (%s); retried at the next flush", rec.directory, exc
            )
            return
        rec.unsaved = False

    def _end(self, event: RecordingEnded) -> FinishedRecording | None:
        rec = self._recordings.get(event.recording_id)
        if rec is None:
            log.warning("RecordingEnded for unknown recording %s", event.recording_id)
            return None
        for st in list(rec.streams.values()):
            self._close_stream(rec, st)
        data: dict[str, object] = {"recording_id": event.recording_id}
        data.update(rec.snapshot or {})
        data["ended_at"] = event.now
        data["end_reason"] = event.reason
        self._directory_ready(rec, wait=True)
        write_json_atomic(rec.directory / "session.json", data, fsync=self.fsync)
        del self._recordings[event.recording_id]
        self._ended_stats[event.recording_id] = dict(rec.closed_stats)
        while len(self._ended_stats) > _ENDED_STATS_KEPT:
            self._ended_stats.popitem(last=False)
        return FinishedRecording(event.recording_id, rec.directory, event.reason)

    # --- hot path ---

    def _on_rtp(self, st: _Stream) -> None:
        """Read the RTP socket: one spool append per good datagram.

        Reading until ``EAGAIN`` costs a failing syscall plus a Python exception per
        readiness event, which at one packet per event (a normal 20 ms stream) is a third
        of the per-packet cost.  So a quiet stream reads one datagram per event (epoll is
        level-triggered: anything left makes the fd ready again), and a stream switches
        to draining as soon as datagrams are read back to back (a burst, or the loop
        running behind), which is where draining pays.
        """
        recv = st.rtp_sock.recvfrom
        append = st.append
        clock = self._clock
        srtp = st.srtp
        latched = st.latched
        latch = st.latch
        strict = self.strict_source
        drain = st.drain
        last = st.last
        last_read = st.last_read
        ssrcs = st.ssrcs
        last_ssrc = st.last_ssrc
        reads = packets = size_sum = 0
        batch_first = 0.0
        try:
            while True:
                if reads and not drain:
                    return
                try:
                    data, addr = recv(_RECV_SIZE)
                except BlockingIOError:
                    return
                except InterruptedError:
                    continue
                except OSError:
                    st.socket_errors += 1
                    return
                reads += 1
                now = clock()
                if now - last_read < _BURST_GAP:
                    drain = True
                last_read = now
                if now < last:
                    now = last
                if addr != latched and latched is not None and strict:
                    st.wrong_source += 1
                    continue
                size = len(data)
                if size < 12 or size >= _RECV_SIZE or data[0] & 0xC0 != 0x80:
                    st.malformed += 1
                    continue
                if 192 <= data[1] <= 223:  # rtcp-mux (RFC 5761)
                    if self._rtcp_packet(st, data, now):
                        last = now
                        if latch and latched is None:
                            latched = st.latched = addr
                    continue
                if srtp is not None:
                    clear = srtp.unprotect(data)
                    if clear is None:
                        clear = self._unprotect_prev(st, data, False)
                        if clear is None:
                            continue
                    data = clear
                append(RTP, now, data)
                if not packets:
                    batch_first = now
                packets += 1
                size_sum += size
                last = now
                ssrc = data[8:12]
                if ssrc != last_ssrc:
                    last_ssrc = ssrc
                    ssrcs.add(int.from_bytes(ssrc, "big"))
                if latch and latched is None:
                    latched = st.latched = addr
        finally:
            st.last = last
            st.last_read = last_read
            st.drain = reads > 1
            if packets:
                st.packets += packets
                st.bytes += size_sum
                st.last_ssrc = last_ssrc
                st.last_packet = last
                if st.first is None:
                    st.first = batch_first

    def _on_rtcp(self, st: _Stream) -> None:
        recv = st.rtcp_sock.recvfrom
        clock = self._clock
        strict = self.strict_source
        while True:
            try:
                data, addr = recv(_RECV_SIZE)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            except OSError:
                st.socket_errors += 1
                return
            latched = st.rtcp_latched
            if addr != latched and latched is not None and strict:
                st.wrong_source += 1
                continue
            if len(data) < 8 or len(data) >= _RECV_SIZE or data[0] & 0xC0 != 0x80:
                st.malformed += 1
                continue
            now = clock()
            if now < st.last:
                now = st.last
            if self._rtcp_packet(st, data, now):
                st.last = now
                if latched is None and st.latch:
                    st.rtcp_latched = addr

    def _rtcp_packet(self, st: _Stream, data: bytes, now: float) -> bool:
        srtp = st.srtp
        if srtp is not None:
            clear = srtp.unprotect_rtcp(data)
            if clear is None:
                clear = self._unprotect_prev(st, data, True)
                if clear is None:
                    return False
            data = clear
        st.append(RTCP, now, data)
        st.rtcp_packets += 1
        st.rtcp_bytes += len(data)
        st.last_packet = now
        if st.first is None:
            st.first = now
        return True

    def _unprotect_prev(self, st: _Stream, data: bytes, rtcp: bool) -> bytes | None:
        """After a rekey, packets already in flight still use the previous key."""
        prev = st.srtp_prev
        if prev is None:
            return None
        if self._clock() > st.srtp_prev_until:
            return None
        return prev.unprotect_rtcp(data) if rtcp else prev.unprotect(data)
