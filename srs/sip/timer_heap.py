"""Deadlines of many owners (calls, transactions) in one heap with lazy invalidation.

The I/O loop asks ``get_timer()`` after every packet; scanning every call for its
earliest deadline made that O(n) at thousands of concurrent sessions.  Here each owner
has at most one live entry: rescheduling pushes a new ``(deadline, seq, owner)`` and
leaves the old one in the heap, where it is recognised as stale (its ``seq`` is no longer
the owner's) and dropped when it reaches the top.  ``earliest`` is then amortised
O(log n) and ``pop_due`` touches only due owners.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["TimerHeap"]

K = TypeVar("K", bound=Hashable)

#: Rebuild the heap when stale entries outnumber live ones by this factor (bounds memory
#: when owners reschedule often without their old entries reaching the top).
_COMPACT_RATIO = 4
_COMPACT_MIN = 64


class TimerHeap(Generic[K]):
    """One deadline per owner; owners are compared by identity/hash, never ordered."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._live: dict[K, tuple[float, int]] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, owner: object) -> bool:
        return owner in self._live

    def deadline(self, owner: K) -> float | None:
        """The owner's scheduled deadline, None when it has none."""
        entry = self._live.get(owner)
        return entry[0] if entry is not None else None

    def schedule(self, owner: K, at: float | None) -> None:
        """Set (or with None, clear) ``owner``'s deadline; a no-op when it is unchanged."""
        entry = self._live.get(owner)
        if at is None:
            if entry is not None:
                del self._live[owner]
            return
        if entry is not None and entry[0] == at:
            return
        seq = next(self._seq)
        self._live[owner] = (at, seq)
        heapq.heappush(self._heap, (at, seq, owner))
        if len(self._heap) > _COMPACT_MIN + _COMPACT_RATIO * len(self._live):
            self._compact()

    def cancel(self, owner: K) -> None:
        self.schedule(owner, None)

    def earliest(self) -> float | None:
        """The earliest live deadline (stale entries on top are discarded)."""
        heap = self._heap
        while heap:
            at, seq, owner = heap[0]
            if self._live.get(owner) == (at, seq):
                return at
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> list[K]:
        """Owners whose deadline is ``<= now``, earliest first, unscheduled.  Collected
        before returning, so an owner rescheduled at or before ``now`` while the caller
        handles the list waits for the next call instead of looping here."""
        due: list[K] = []
        while (at := self.earliest()) is not None and at <= now:
            _, _, owner = heapq.heappop(self._heap)
            del self._live[owner]
            due.append(owner)
        return due

    def _compact(self) -> None:
        self._heap = [(at, seq, owner) for owner, (at, seq) in self._live.items()]
        heapq.heapify(self._heap)
