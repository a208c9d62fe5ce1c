"""``srs serve``: the one place where sockets, the clock and threads meet the sans-IO cores.

Data flow (see docs/architecture.md)::

    SipTransport --msg--> SipEndpoint --CallHandler--> Recorder --MediaEvent--> CaptureEngine
         ^                    |                                                     |
         +---- outgoing ------+                     FinishedRecording --> finalize pool --> DB

Everything protocol-shaped is decided by the sans-IO objects; this module only moves their
output to sockets, files, worker processes and the database, and calls ``handle_timer``
when ``get_timer`` says so.  Database writes run on one background thread so that the
event loop (and with it RTP capture) never waits on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from srs.config import Config
from srs.control import ServerControl
from srs.gc_policy import tune_for_serving
from srs.media.capture import CaptureEngine, FinishedRecording
from srs.media.ports import UdpPortAllocator
from srs.metadata.facts import CallFacts
from srs.overload import LagMonitor
from srs.plugins.classification import CallClassification
from srs.process_pool import ProcessPool
from srs.sdp.answer import DEFAULT_CODECS
from srs.session.plan import CodecSpec, MediaEvent, RecordingEnded, SessionSnapshot
from srs.session.recording import Recorder, RecorderConfig
from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.storage import Database, Repository
from srs.storage.catalog import Catalog, TenantRules
from srs.transport import Address, Received, SipTransport, make_server_ssl_context

log = logging.getLogger("srs.server")


class DeferredRelease:
    """The allocator as the recorder sees it: releases wait until the capture engine has
    applied the events queued before them (it still reads those sockets until then)."""

    def __init__(self, allocator: UdpPortAllocator) -> None:
        self._allocator = allocator
        self._released: list[int] = []

    def allocate(self) -> int | None:
        return self._allocator.allocate()

    def release(self, port: int) -> None:
        self._released.append(port)

    def flush(self) -> None:
        """Release for real (a no-op for pairs the capture engine already released)."""
        released, self._released = self._released, []
        for port in released:
            self._allocator.release(port)


class LiveRegistry:
    """Sessions in progress as the API sees them: the latest snapshot plus capture counters."""

    def __init__(self, capture: CaptureEngine | None = None) -> None:
        self._snapshots: dict[str, dict[str, Any]] = {}
        self.capture = capture

    def update(self, recording_id: str, snapshot: dict[str, Any]) -> None:
        self._snapshots[recording_id] = snapshot

    def remove(self, recording_id: str) -> dict[str, Any] | None:
        return self._snapshots.pop(recording_id, None)

    def snapshot(self, recording_id: str) -> dict[str, Any] | None:
        return self._snapshots.get(recording_id)

    def list_sessions(self) -> list[dict[str, Any]]:
        return [self._with_stats(rid, snap) for rid, snap in self._snapshots.items()]

    def get_session(self, recording_id: str) -> dict[str, Any] | None:
        snap = self._snapshots.get(recording_id)
        return None if snap is None else self._with_stats(recording_id, snap)

    def __len__(self) -> int:
        return len(self._snapshots)

    def _with_stats(self, recording_id: str, snap: dict[str, Any]) -> dict[str, Any]:
        out = dict(snap)
        if self.capture is not None:
            stats = self.capture.stats(recording_id)
            out["media"] = {key: _jsonable(value) for key, value in stats.items()}
        return out


def _jsonable(value: Any) -> Any:
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (set, frozenset, tuple)):
        return [_jsonable(v) for v in value]
    return value


def lower_priority() -> None:
    """Finalize-worker initializer: run at a lower CPU priority than the event loop, so
    that on a busy box capture wins and finalizing (WAV/Opus encoding) backs off."""
    with contextlib.suppress(OSError):
        os.nice(10)


_LAG_PROBE_INTERVAL = 0.05  # s between event-loop lag samples (srs.overload)


class DbWrites:
    """The database writes not yet handed to the database thread, in order.

    A newer snapshot of a recording replaces its pending one (the row would be
    overwritten anyway), unless another write for that recording was queued after it:
    per recording, upsert stays before end stays before save_recording.
    """

    def __init__(self) -> None:
        #: ``(None, (snapshot, claim))`` for a snapshot upsert, else ``(fn, args)``.
        self.ops: list[tuple[Callable[..., Any] | None, tuple[Any, ...]]] = []
        self._latest: dict[str, int] = {}

    def snapshot(self, recording_id: str, snapshot: dict[str, Any], claim: bool) -> None:
        """Queue an upsert (and ``catalog.claim`` when ``claim``) of ``snapshot``."""
        index = self._latest.get(recording_id)
        if index is not None:
            claim = claim or bool(self.ops[index][1][1])
            self.ops[index] = (None, (snapshot, claim))
            return
        self._latest[recording_id] = len(self.ops)
        self.ops.append((None, (snapshot, claim)))

    def call(self, fn: Callable[..., Any], *args: Any, key: str | None = None) -> None:
        if key is not None:
            self._latest.pop(key, None)  # a later snapshot must not move before this
        self.ops.append((fn, args))

    def take(self) -> list[tuple[Callable[..., Any] | None, tuple[Any, ...]]]:
        ops, self.ops, self._latest = self.ops, [], {}
        return ops


def _logged(fn: Callable[..., Any], *args: Any) -> None:
    """Run one database write; log its failure (the recording itself is on disk)."""
    try:
        fn(*args)
    except Exception as exc:
        log.error("database write %s failed: %s", getattr(fn, "__name__", fn), exc)


def _batched(many: Callable[[list[Any]], Any], one: Callable[[Any], Any], items: list[Any]) -> None:
    """``many(items)`` as one transaction; if it fails, ``one(item)`` each, logged, so
    one bad item does not lose the others."""
    try:
        many(items)
    except Exception:
        for item in items:
            _logged(one, item)


def finalize_job(spool_dir: str, out_dir: str, fmt: str, layout: str) -> dict[str, Any]:
    """Runs in a worker process: spool directory -> files; returns JSON-ready results.

    A top-level function so that ``ProcessPoolExecutor`` can pickle it.  A spool whose
    ``session.json`` never got an ``ended_at`` (the process died mid-call) comes out
    flagged ``recovered``.
    """
    from srs.media.finalize import FinalizeConfig, finalize_recording
    from srs.media.recovery import mark_finalized

    started = time.time()
    config = FinalizeConfig(format=fmt, layout=layout)  # type: ignore[arg-type]
    result = finalize_recording(Path(spool_dir), Path(out_dir), config)
    mark_finalized(Path(spool_dir), result)
    snapshot_path = Path(spool_dir) / "session.json"
    snapshot = json.loads(snapshot_path.read_text()) if snapshot_path.exists() else {}
    return {
        "result": result.to_json(),
        "snapshot": snapshot,
        "finalize_seconds": time.time() - started,
    }


class Server:
    """Owns the event-loop side of one srs process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.loop: asyncio.AbstractEventLoop | None = None
        storage = config.storage
        for path in (storage.data_dir, storage.recordings_dir, storage.spool_dir):
            Path(path).mkdir(parents=True, exist_ok=True)
        self.db = Database(storage.database_url)
        self.db.create_all()
        self.repository = Repository(self.db)
        self.plugins = _load_plugins(config)
        media = config.media
        self.allocator = UdpPortAllocator(
            media.host, media.port_min, media.port_max, rcvbuf=media.rcvbuf
        )
        self.capture = CaptureEngine(
            Path(storage.spool_dir),
            self.allocator,
            flush_interval=media.flush_interval,
            latch=media.latch,
            strict_source=media.strict_source,
            fsync=media.fsync,
        )
        self.ports = DeferredRelease(self.allocator)
        lag_ms = config.sip.overload_lag_ms
        self.lag = LagMonitor(threshold=lag_ms / 1000) if lag_ms else None
        self._lag_handle: asyncio.TimerHandle | None = None
        self.recorder = Recorder(
            self.ports,
            codecs=_codecs_from_config(media.codecs),
            config=RecorderConfig(
                media_address=media.advertised_host,
                record_video=media.record_video,
                max_sessions=config.sip.max_sessions,
                accept_non_siprec=config.sip.accept_trunk_calls,
                retry_after=config.sip.retry_after,
            ),
            classify=self._classify if self.plugins is not None else None,
            enrich_facts=self._enrich_facts if self.plugins is not None else None,
            overloaded=self.lag.reason if self.lag is not None else None,
        )
        sip = config.sip
        addresses: dict[str, tuple[str, int]] = {}
        if sip.udp_port:
            addresses["udp"] = (sip.advertised_host, sip.udp_port)
        if sip.tcp_port:
            addresses["tcp"] = (sip.advertised_host, sip.tcp_port)
        if sip.tls_port:
            addresses["tls"] = (sip.advertised_host, sip.tls_port)
        self.endpoint = SipEndpoint(
            _endpoint_config(config, addresses),
            self.recorder,
        )
        self.transport = SipTransport(
            self._on_sip,
            idle_timeout=sip.tcp_idle_timeout,
            max_message_size=sip.max_message_size,
            clock=time.time,
        )
        self.live = LiveRegistry(self.capture)
        self.control = ServerControl(self.capture, self.live)
        self.catalog = Catalog(self.db, TenantRules(config.tenants.default, config.tenants.sources))
        self.sip_responses: collections.Counter[int] = collections.Counter()
        #: Where each recording's SIP came from (first request), for the session row.
        self._sources: dict[str, dict[str, str]] = {}
        self._receiving_from: Address | None = None
        self._last_purge = 0.0
        self.db_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="srs-db")
        self.finalizers = ProcessPool(config.recording.finalize_workers, initializer=lower_priority)
        self._writes = DbWrites()
        self._db_busy = False
        self._db_closed = False
        #: Live recordings whose tenant was claimed already (see ``_apply``).
        self._claimed: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._tick_handle: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._ended_at: dict[str, float] = {}
        self._http: Any = None
        self._http_task: asyncio.Task[Any] | None = None
        self.listening: list[Address] = []

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.capture.start()
        sip = self.config.sip
        if sip.udp_port:
            self.listening.append(await self.transport.listen_udp(sip.host, sip.udp_port))
        if sip.tcp_port:
            self.listening.append(await self.transport.listen_tcp(sip.host, sip.tcp_port))
        if sip.tls_port:
            if sip.tls_cert is None or sip.tls_key is None:
                raise RuntimeError("sip.tls_port is set but sip.tls_cert/sip.tls_key are not")
            ctx = make_server_ssl_context(
                sip.tls_cert, sip.tls_key, cafile=sip.tls_ca, verify_client=sip.tls_verify_client
            )
            self.listening.append(await self.transport.listen_tls(sip.host, sip.tls_port, ctx))
        if self.plugins is not None:
            self.plugins.configure(self.config)
        self._tick_handle = self.loop.call_later(1.0, self._tick)
        self._recover_spools()
        if self.config.http.enabled:
            await self._start_http()
        if self.lag is not None:  # from here on: start-up work is not lag
            self._lag_probe(self.loop.time() + _LAG_PROBE_INTERVAL)
        self._notify("srs_server_started", server=self)
        log.info(
            "srs listening: %s; http %s",
            ", ".join(f"{a.transport}:{a.host}:{a.port}" for a in self.listening),
            f"{self.config.http.host}:{self.config.http.port}"
            if self.config.http.enabled
            else "off",
        )

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        if self._lag_handle is not None:
            self._lag_handle.cancel()
        if self._http is not None:
            self._http.should_exit = True
            if self._http_task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._http_task, 5)
        with contextlib.suppress(Exception):
            await self.transport.close()
        await self.capture.stop()
        deadline = time.monotonic() + 30
        while self._pending and time.monotonic() < deadline:
            # a finished finalize or DB batch may queue the next one
            await asyncio.wait(self._pending, timeout=max(0.0, deadline - time.monotonic()))
        await self.finalizers.close()
        self._db_closed = True
        self.db_executor.submit(self._write_batch, self._writes.take())
        self.db_executor.shutdown(wait=True)
        self.db.dispose()

    # -- SIP -------------------------------------------------------------------------
    def _on_sip(self, message: Received, source: Address, now: float) -> None:
        try:
            self.endpoint.receive(message, source, now)
        except Exception:  # the endpoint promises not to raise; keep serving if it does
            log.exception("SIP endpoint failed on a message from %s", source)
        self._receiving_from = source  # a recording first seen in this pump came from here
        try:
            self._pump()
        finally:
            self._receiving_from = None

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        now = time.time()
        try:
            self.endpoint.handle_timer(now)
        except Exception:
            log.exception("SIP endpoint failed in handle_timer")
        try:
            self.recorder.handle_timer(now)  # multi-leg groups waiting for a missing leg
        except Exception:
            log.exception("recorder failed in handle_timer")
        self._pump()

    def _pump(self) -> None:
        for out in self.endpoint.take_outgoing():
            if out.data.startswith(b"SIP/2.0 ") and out.data[8:11].isdigit():
                self.sip_responses[int(out.data[8:11])] += 1
            try:
                self.transport.send(out.data, out.dest)
            except Exception:
                log.exception("sending to %s failed", out.dest)
        for event in self.recorder.take_events():
            self._apply(event)
        self.ports.flush()
        self._reschedule()

    def _reschedule(self) -> None:
        assert self.loop is not None
        timers = [
            t for t in (self.endpoint.get_timer(), self.recorder.get_timer()) if t is not None
        ]
        at = min(timers, default=None)
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if at is not None:
            self._timer = self.loop.call_later(max(0.0, at - time.time()), self._on_timer)

    def _lag_probe(self, due: float) -> None:
        """Measure how late this timer ran (srs.overload), then schedule the next one."""
        assert self.loop is not None and self.lag is not None
        now = self.loop.time()
        was = self.lag.overloaded
        self.lag.observe(now - due, now)
        if self.lag.overloaded != was:
            if self.lag.overloaded:
                log.warning("%s: answering new sessions 503 until it catches up", self.lag.reason())
            else:
                log.warning("event loop caught up: accepting new sessions again")
        nxt = now + _LAG_PROBE_INTERVAL
        self._lag_handle = self.loop.call_at(nxt, self._lag_probe, nxt)

    def _tick(self) -> None:
        """Once a second: plugins with sans-IO cores run their own timers (never per packet)."""
        assert self.loop is not None
        self._tick_handle = self.loop.call_later(1.0, self._tick)
        now = time.time()
        self._notify("srs_tick", now=now)
        if now - self._last_purge >= 3600:  # erase soft-deleted recordings past their grace
            self._last_purge = now
            grace = timedelta(days=self.config.retention.purge_after_days)
            self._db(self.catalog.purge, datetime.now(UTC), grace)
        self._pump()

    # -- plugins seen by the recorder ------------------------------------------------
    def _classify(self, request: Any, now: float) -> CallClassification | None:
        """``srs_classify_call`` (firstresult); the recorder logs an exception as ``None``."""
        result = self.plugins.hook.srs_classify_call(request=request, now=now)
        return result if isinstance(result, CallClassification) or result is None else None

    def _enrich_facts(self, facts: CallFacts, snapshot: Any) -> CallFacts:
        """``srs_enrich_call_facts``: plugins mutate ``facts`` or return facts to merge."""
        for extra in self.plugins.hook.srs_enrich_call_facts(facts=facts, snapshot=snapshot):
            if isinstance(extra, CallFacts):
                facts = facts.merged(extra)
        return facts

    # -- media plan ------------------------------------------------------------------
    def _apply(self, event: MediaEvent) -> None:
        if isinstance(event, SessionSnapshot):
            self._add_source(event)
        try:
            finished = self.capture.apply(event)
        except Exception:
            log.exception("capture failed to apply %s", type(event).__name__)
            finished = None
        if isinstance(event, SessionSnapshot):
            snapshot = dict(event.data)
            first = self.live.snapshot(event.recording_id) is None
            self.live.update(event.recording_id, snapshot)
            # upsert + catalog.claim (its tenant, from metadata or source), coalesced; a
            # claim without an explicit tenant only fills a missing one: once is enough
            facts = snapshot.get("facts")
            explicit = isinstance(facts, Mapping) and bool(facts.get("tenant"))
            claim = explicit or event.recording_id not in self._claimed
            self._claimed.add(event.recording_id)
            self._writes.snapshot(event.recording_id, snapshot, claim)
            self._drain_db()
            self._notify(
                "srs_session_started" if first else "srs_session_updated", snapshot=snapshot
            )
        elif isinstance(event, RecordingEnded):
            snapshot = self.live.remove(event.recording_id) or {"recording_id": event.recording_id}
            self._sources.pop(event.recording_id, None)
            self._claimed.discard(event.recording_id)
            self._ended_at[event.recording_id] = event.now
            self._db(
                self.repository.end_session,
                event.recording_id,
                event.reason,
                datetime.fromtimestamp(event.now, UTC),
                key=event.recording_id,
            )
            self._notify("srs_session_ended", snapshot=snapshot, reason=event.reason)
        if finished is not None:
            self._finalize(finished)

    def _add_source(self, event: SessionSnapshot) -> None:
        """Put the SRC's address and transport into the snapshot (and so session.json and
        the session row): the recorder only sees SIP requests, not where they came from."""
        source = self._sources.get(event.recording_id)
        if source is None and self._receiving_from is not None:
            came = self._receiving_from
            source = {"source": f"{came.host}:{came.port}", "transport": came.transport}
            self._sources[event.recording_id] = source
        if source is not None:
            sip = event.data.get("sip")
            merged = dict(sip) if isinstance(sip, dict) else {}
            merged.update(source)
            event.data["sip"] = merged

    # -- finalize --------------------------------------------------------------------
    def _finalize(self, finished: FinishedRecording) -> None:
        assert self.loop is not None
        if not self.control.finish(finished.recording_id, finished.spool_dir):
            # told "keep: false" while live: the spool was discarded, nothing to finalize
            self._ended_at.pop(finished.recording_id, None)
            return
        spool_dir = Path(finished.spool_dir)
        out_dir = Path(self.config.storage.recordings_dir) / time.strftime("%Y/%m/%d")
        out_dir.mkdir(parents=True, exist_ok=True)
        rec = self.config.recording
        future = self.finalizers.submit(
            finalize_job,
            str(spool_dir),
            str(out_dir),
            rec.format,
            rec.layout,
        )
        self._pending.add(future)
        ended = self._ended_at.pop(finished.recording_id, None)
        future.add_done_callback(
            lambda f: self._finalized(finished.recording_id, f, ended if ended else time.time())
        )

    def _finalized(self, recording_id: str, future: asyncio.Future[Any], ended: float) -> None:
        self._pending.discard(future)
        try:
            out = future.result()
        except Exception:
            log.exception("finalize failed for recording %s (spool kept for retry)", recording_id)
            return
        latency_ms = (time.time() - ended) * 1000.0
        log.info(
            "recording %s finalized in %.0f ms (%s)",
            recording_id,
            latency_ms,
            ", ".join(f["path"] for f in out["result"].get("files", [])),
        )
        self._db(
            self.repository.store_recording,
            out["result"],
            out["snapshot"],
            latency_ms,
            key=recording_id,
        )
        self._notify("srs_recording_finalized", recording=out["snapshot"], result=out["result"])

    def _recover_spools(self) -> None:
        from srs.media.recovery import find_unfinished

        for spool_dir in find_unfinished(Path(self.config.storage.spool_dir)):
            log.warning("recovering unfinished recording from %s", spool_dir)
            self._finalize(
                FinishedRecording(
                    recording_id=spool_dir.name, spool_dir=spool_dir, reason="recovered"
                )
            )

    # -- helpers ---------------------------------------------------------------------
    def _db(self, fn: Callable[..., Any], *args: Any, key: str | None = None) -> None:
        """Queue a write for the database thread (``key``: the recording it is about)."""
        self._writes.call(fn, *args, key=key)
        self._drain_db()

    def _drain_db(self) -> None:
        """Hand every queued write to the database thread as one batch, unless a batch is
        running: what queues meanwhile (coalesced) goes when it is done."""
        if self._db_busy or self._db_closed or not self._writes.ops:
            return
        assert self.loop is not None
        self._db_busy = True
        future = self.loop.run_in_executor(self.db_executor, self._write_batch, self._writes.take())
        self._pending.add(future)

        def done(f: asyncio.Future[Any]) -> None:
            self._pending.discard(f)
            self._db_busy = False
            if not f.cancelled() and f.exception() is not None:
                log.error("database batch failed: %s", f.exception())
            self._drain_db()

        future.add_done_callback(done)

    def _write_batch(self, batch: list[tuple[Callable[..., Any] | None, tuple[Any, ...]]]) -> None:
        """On the database thread: runs of snapshot upserts in one transaction each, the
        other writes one by one, in queue order; a failed write is logged, not fatal."""
        i = 0
        while i < len(batch):
            fn, args = batch[i]
            if fn is None:
                j = i
                while j < len(batch) and batch[j][0] is None:
                    j += 1
                self._write_snapshots([op[1] for op in batch[i:j]])
                i = j
                continue
            _logged(fn, *args)
            i += 1

    def _write_snapshots(self, items: list[tuple[Any, ...]]) -> None:
        snapshots = [item[0] for item in items]
        _batched(self.repository.upsert_sessions, self.repository.upsert_session, snapshots)
        claims = [snapshot for snapshot, claim in items if claim]
        if claims:
            _batched(self.catalog.claim_many, self.catalog.claim, claims)

    def _notify(self, hook: str, **kwargs: Any) -> None:
        if self.plugins is None:
            return
        caller = getattr(self.plugins.hook, hook, None)
        if caller is None:
            return
        try:
            caller(**kwargs)
        except Exception:
            log.exception("plugin hook %s failed", hook)

    async def _start_http(self) -> None:
        from api.run import build_http_server
        from api.state import AppState

        state = AppState(
            config=self.config,
            db=self.db,
            live=self.live,
            control=self.control,
            tenants=self.catalog.rules,
            sip_responses=lambda: dict(self.sip_responses),
            metrics_token=self.config.http.metrics_token or None,
        )
        server = build_http_server(state)
        self._http = server
        self._http_task = asyncio.create_task(server.serve(), name="srs-http")


def _load_plugins(config: Config) -> Any:
    try:
        from srs.plugins.manager import get_plugin_manager
    except ImportError:
        return None
    return get_plugin_manager(config)


def _codecs_from_config(names: tuple[str, ...]) -> tuple[CodecSpec, ...]:
    """The configured codec names (any case), in the configured order of preference."""
    by_name = {codec.encoding.lower(): codec for codec in DEFAULT_CODECS}
    return tuple(by_name[name.lower()] for name in names if name.lower() in by_name)


def _endpoint_config(config: Config, addresses: dict[str, tuple[str, int]]) -> EndpointConfig:
    sip = config.sip
    return EndpointConfig(
        addresses=addresses,
        user_agent=sip.user_agent,
        t1=sip.t1,
        t2=sip.t2,
        t4=sip.t4,
        min_se=sip.min_se,
        session_expires=sip.session_expires,
        answer_delay=sip.answer_delay,
    )


async def run(config: Config, *, ready: Callable[[Server], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    server = Server(config)
    await server.start()
    if ready is not None:
        ready(server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("srs stopping")
        await server.stop()


def serve(config: Config) -> None:
    """Blocking entry point used by ``srs serve`` (uvloop when installed); the process is
    srs's own, so it also gets the serving GC policy once started (``srs.gc_policy``)."""

    def started(_server: Server) -> None:
        tune_for_serving()

    try:
        import uvloop
    except ImportError:
        asyncio.run(run(config, ready=started))
    else:
        uvloop.run(run(config, ready=started))
