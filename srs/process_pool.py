"""Worker processes driven from the event loop, without executor threads.

``concurrent.futures.ProcessPoolExecutor`` hands jobs and results over through a manager
thread and a queue-feeder thread.  Both need the GIL, which srs's event loop holds while it
captures media and answers SIP, so under load every hand-over waited for the loop's switch
interval, several times per job: at 50 hang-ups/s with 500 calls up, a finalize result
waited a median 1.4 s between the worker returning it and the loop seeing it (the job
itself took 28 ms).  Here each worker has its own pipe; the loop writes a job to an idle
worker and reads the result when the pipe is readable (``add_reader``), so nothing but
the loop touches a job between the two processes.

Each worker gets up to ``prefetch`` jobs ahead (they wait in its pipe), so it starts the
next job as soon as it sends a result, not when the busy loop gets round to reading that
result: with one job at a time the loop's reaction time (tens of ms under load) capped
throughput below the hang-up rate.  A worker that dies mid-job fails that job with
:class:`WorkerDied` (the jobs queued behind it go to other workers) and is replaced.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)


class WorkerDied(RuntimeError):
    """The worker process running a job exited before answering."""


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    #: sent and not answered yet, in order: the first is running, the rest wait in the pipe
    jobs: collections.deque[_Job] = field(default_factory=collections.deque)


def _worker_main(conn: Connection, initializer: Callable[[], None] | None) -> None:
    """A worker's whole life: run jobs from the pipe until told to stop (``None``/EOF)."""
    if initializer is not None:
        initializer()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args = job
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:  # the caller decides; the worker lives on
            reply = (False, _picklable(exc))
        conn.send(reply)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class ProcessPool:
    """``workers`` processes (spawned on first use) running picklable top-level
    functions; :meth:`submit` and :meth:`close` are called on the event loop's thread."""

    def __init__(
        self,
        workers: int,
        *,
        initializer: Callable[[], None] | None = None,
        context: str = "spawn",
        prefetch: int = 4,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        self.size = workers
        self.prefetch = prefetch
        self._initializer = initializer
        self._context = multiprocessing.get_context(context)
        self._workers: list[_Worker] = []
        self._queue: collections.deque[_Job] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return len(self._queue) + sum(len(w.jobs) for w in self._workers)

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        if self._closed:
            raise RuntimeError("ProcessPool is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        if not self._workers:
            for _ in range(self.size):
                self._spawn()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append(_Job(fn, args, future))
        self._dispatch()
        return future

    async def close(self, timeout: float = 30.0) -> None:
        """Let queued and running jobs finish (up to ``timeout``), then stop the workers."""
        self._closed = True
        futures = [job.future for job in self._queue]
        futures += [job.future for w in self._workers for job in w.jobs]
        if futures:
            await asyncio.wait(futures, timeout=timeout)
        for job in self._queue:
            if not job.future.done():
                job.future.cancel()
        self._queue.clear()
        workers, self._workers = self._workers, []
        for worker in workers:
            self._unwatch(worker)  # exits are expected now: no replacement
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        loop = asyncio.get_running_loop()
        for worker in workers:
            await loop.run_in_executor(None, worker.process.join, 5.0)
            if worker.process.is_alive():
                worker.process.terminate()
                await loop.run_in_executor(None, worker.process.join, 5.0)
            with contextlib.suppress(OSError):
                worker.conn.close()
            for job in worker.jobs:
                if not job.future.done():
                    job.future.cancel()

    # -- internals -------------------------------------------------------------------
    def _spawn(self) -> None:
        assert self._loop is not None
        parent, child = self._context.Pipe()
        process = self._context.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child, self._initializer),
            name="srs-finalize",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        self._loop.add_reader(parent.fileno(), self._on_readable, worker)

    def _dispatch(self) -> None:
        """Hand queued jobs to the least loaded workers, ``prefetch`` each at most."""
        while self._queue and self._workers:
            worker = min(self._workers, key=lambda w: len(w.jobs))
            if len(worker.jobs) >= self.prefetch:
                return
            job = self._queue.popleft()
            if job.future.cancelled():
                continue
            try:
                worker.conn.send((job.fn, job.args))
            except OSError:  # the worker is gone: its reader sees EOF and replaces it
                self._queue.appendleft(job)
                return
            except Exception as exc:  # the job does not pickle
                job.future.set_exception(exc)
                continue
            worker.jobs.append(job)

    def _on_readable(self, worker: _Worker) -> None:
        """Take every result the worker has sent (one per loop iteration would cap the
        pool at a result per worker per iteration, and a busy iteration is tens of ms)."""
        while True:
            try:
                ok, value = worker.conn.recv()
            except (EOFError, OSError):
                self._replace(worker)
                return
            if worker.jobs:
                job = worker.jobs.popleft()
                if not job.future.done():
                    if ok:
                        job.future.set_result(value)
                    else:
                        job.future.set_exception(value)
            try:
                more = worker.conn.poll(0)
            except (EOFError, OSError):
                more = False
            if not more:
                break
        self._dispatch()

    def _replace(self, worker: _Worker) -> None:
        """A worker exited: fail the job it was running, give its queued ones to others,
        start another worker (unless closing)."""
        self._retire(worker)
        self._workers.remove(worker)
        code = worker.process.exitcode
        if worker.jobs:
            running = worker.jobs.popleft()
            if not running.future.done():
                running.future.set_exception(
                    WorkerDied(f"worker process {worker.process.pid} exited (code {code}) mid-job")
                )
            self._queue.extendleft(reversed(worker.jobs))
            worker.jobs.clear()
        if not self._closed:
            log.error(
                "worker process %s exited (code %s); starting another", worker.process.pid, code
            )
            self._spawn()
            self._dispatch()

    def _unwatch(self, worker: _Worker) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(worker.conn.fileno())

    def _retire(self, worker: _Worker) -> None:
        self._unwatch(worker)
        with contextlib.suppress(OSError):
            worker.conn.close()
        worker.process.join(0.1)
