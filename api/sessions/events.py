"""The session event feed behind ``GET /sessions/events`` (server-sent events).

Two sources: the live registry, polled and diffed per subscriber (so the server needs no
hook to feed it: a session appearing, changing or disappearing becomes ``session.started``,
``session.updated`` or ``session.ended``), and events the API itself publishes
(``control`` after pause/mute/keep, ``annotation`` after notes/tags changes).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FeedEvent:
    """One event: its SSE ``event`` name, the recording id it concerns, a JSON body."""

    name: str
    recording_id: str
    data: dict[str, Any]


class SessionEvents:
    """Fan-out of published events to every open feed (thread-safe publish)."""

    def __init__(self) -> None:
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[FeedEvent]]] = set()

    def publish(self, event: FeedEvent) -> None:
        for loop, queue in list(self._subscribers):
            if loop.is_closed():
                continue
            loop.call_soon_threadsafe(queue.put_nowait, event)

    def subscribe(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[FeedEvent]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[FeedEvent]())
        self._subscribers.add(entry)
        return entry

    def unsubscribe(
        self, entry: tuple[asyncio.AbstractEventLoop, asyncio.Queue[FeedEvent]]
    ) -> None:
        self._subscribers.discard(entry)


def _fingerprint(snapshot: Mapping[str, Any]) -> str:
    """What counts as a change: everything but the ever-moving capture counters."""
    return json.dumps(
        {k: v for k, v in snapshot.items() if k != "media"}, sort_keys=True, default=str
    )


async def feed(
    hub: SessionEvents,
    poll: Callable[[], list[dict[str, Any]]],
    render: Callable[[list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]],
    visible: Callable[[str], Awaitable[bool]],
    *,
    interval: float,
    limit: int | None,
) -> AsyncIterator[FeedEvent]:
    """Events for one subscriber: the sessions live now (``session.active``), then changes.

    ``poll`` lists live snapshots (called on the loop); ``render`` turns them into the
    bodies of those the subscriber may see (each with its ``id``); ``visible`` filters
    published events by recording id.
    Stops after ``limit`` events when given.
    """
    entry = hub.subscribe()
    sent = 0
    known: dict[str, str] = {}
    try:
        first = True
        while True:
            snapshots = poll()
            marks = {str(s.get("recording_id")): _fingerprint(s) for s in snapshots}
            current: dict[str, tuple[str, dict[str, Any]]] = {}
            for body in await render(snapshots):
                rid = str(body["id"])
                current[rid] = (marks.get(rid, ""), body)
            out: list[FeedEvent] = []
            for rid, (mark, body) in current.items():
                if rid not in known:
                    out.append(
                        FeedEvent("session.active" if first else "session.started", rid, body)
                    )
                elif known[rid] != mark:
                    out.append(FeedEvent("session.updated", rid, body))
            for rid in known.keys() - current.keys():
                out.append(FeedEvent("session.ended", rid, {"id": rid}))
            known = {rid: mark for rid, (mark, _) in current.items()}
            first = False
            queue = entry[1]
            while not queue.empty():
                event = queue.get_nowait()
                if await visible(event.recording_id):
                    out.append(event)
            for event in out:
                yield event
                sent += 1
                if limit is not None and sent >= limit:
                    return
            try:
                event = await asyncio.wait_for(queue.get(), timeout=interval)
            except TimeoutError:
                continue
            if await visible(event.recording_id):
                yield event
                sent += 1
                if limit is not None and sent >= limit:
                    return
    finally:
        hub.unsubscribe(entry)
