"""ProcessPool: jobs run in worker processes and come back on the event loop."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from srs.process_pool import ProcessPool, WorkerDied


def run(coro: object) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


def test_results_and_exceptions_come_back_in_the_loop() -> None:
    async def main() -> None:
        pool = ProcessPool(2)
        futures = [pool.submit(pow, n, 2) for n in range(20)]
        assert await asyncio.gather(*futures) == [n * n for n in range(20)]
        with pytest.raises(ZeroDivisionError):
            await pool.submit(divmod, 1, 0)
        pids = set(await asyncio.gather(*(pool.submit(os.getpid) for _ in range(8))))
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
        assert pool.pending == 0
        await pool.close()

    run(main())


def test_a_worker_that_dies_fails_its_job_and_is_replaced() -> None:
    async def main() -> None:
        pool = ProcessPool(1, prefetch=3)
        first = await pool.submit(os.getpid)
        dying = pool.submit(os._exit, 3)
        behind = [pool.submit(pow, 2, n) for n in range(4)]  # queued behind it, some prefetched
        with pytest.raises(WorkerDied, match=r"^worker process \d+ exited \(code 3\) mid-job$"):
            await dying
        assert await asyncio.gather(*behind) == [1, 2, 4, 8]  # run by the replacement
        second = await pool.submit(os.getpid)
        assert second != first  # a new process took over
        assert await pool.submit(pow, 3, 3) == 27
        await pool.close()

    run(main())


def test_close_lets_queued_jobs_finish_and_refuses_new_ones() -> None:
    async def main() -> None:
        pool = ProcessPool(1)
        slow = [pool.submit(time.sleep, 0.05) for _ in range(4)]
        await pool.close()
        assert all(f.done() and f.result() is None for f in slow)
        with pytest.raises(RuntimeError, match=r"^ProcessPool is closed$"):
            pool.submit(os.getpid)

    run(main())


def test_workers_run_the_initializer() -> None:
    from srs.server import lower_priority

    async def main() -> None:
        pool = ProcessPool(1, initializer=lower_priority)
        assert await pool.submit(os.nice, 0) == os.nice(0) + 10  # finalize backs off
        await pool.close()

    run(main())
    with pytest.raises(ValueError, match=r"^workers must be at least 1$"):
        ProcessPool(0)
    with pytest.raises(ValueError, match=r"^prefetch must be at least 1$"):
        ProcessPool(1, prefetch=0)


def test_a_job_that_does_not_pickle_fails_alone() -> None:
    async def main() -> None:
        pool = ProcessPool(1)
        with pytest.raises(Exception, match="pickle"):
            await pool.submit(lambda: 1)
        assert await pool.submit(pow, 2, 5) == 32
        await pool.close()

    run(main())
