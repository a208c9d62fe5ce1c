"""Live control of a recording: pause/resume, mute/unmute a participant, keep or discard.

The API calls a :class:`LiveControl`; the server's implementation, :class:`ServerControl`,
turns the calls into ``CaptureEngine.set_paused``/``set_muted`` (which write spool events
at once, so control takes effect on the next packet; finalize silences the spans) and
remembers what was done, with times, so the API can store the intervals in the
recording's annotation.  Methods must run on the event loop that owns the capture engine
(the API's control handlers are ``async`` for that reason).  Time is passed in as ``now``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class ControlError(Exception):
    """A control request that cannot be applied; ``field`` names what was wrong."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotLiveError(ControlError):
    """The recording is not being captured (ended, unknown, or no recorder here)."""


class UnknownParticipantError(ControlError):
    """The live session has no such participant."""


@dataclass
class ControlState:
    """What control has done to one live recording."""

    recording_id: str
    paused: bool = False
    muted: set[str] = field(default_factory=set)  # participant ids
    keep: bool = True
    #: ``{"kind": "pause"|"mute", "start": t, "end": t|None, "participant_id"?: id}``
    intervals: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "recording_id": self.recording_id,
            "paused": self.paused,
            "muted": sorted(self.muted),
            "keep": self.keep,
            "intervals": [dict(i) for i in self.intervals],
        }

    def _open(self, kind: str, now: float, participant_id: str | None = None) -> None:
        item: dict[str, Any] = {"kind": kind, "start": now, "end": None}
        if participant_id is not None:
            item["participant_id"] = participant_id
        self.intervals.append(item)

    def _close(self, kind: str, now: float, participant_id: str | None = None) -> None:
        for item in reversed(self.intervals):
            if (
                item["kind"] == kind
                and item["end"] is None
                and item.get("participant_id") == participant_id
            ):
                item["end"] = now
                return


class LiveControl(Protocol):
    """The controls the API offers on a live recording."""

    def pause(self, recording_id: str, paused: bool, now: float) -> ControlState: ...

    def mute(
        self, recording_id: str, participant_id: str, muted: bool, now: float
    ) -> ControlState: ...

    def keep(self, recording_id: str, keep: bool, now: float) -> ControlState: ...

    def state(self, recording_id: str) -> ControlState | None: ...


class CaptureControls(Protocol):
    """The part of ``CaptureEngine`` that control drives."""

    def set_paused(self, recording_id: str, paused: bool) -> None: ...

    def set_muted(self, recording_id: str, key: str, muted: bool) -> None: ...


class SnapshotSource(Protocol):
    """Where the live session's participants and streams are read (``LiveRegistry``)."""

    def get_session(self, recording_id: str) -> dict[str, Any] | None: ...


class NoLiveControl:
    """A :class:`LiveControl` for an API process without a recorder: nothing is live."""

    def pause(self, recording_id: str, paused: bool, now: float) -> ControlState:
        raise _not_live(recording_id)

    def mute(self, recording_id: str, participant_id: str, muted: bool, now: float) -> ControlState:
        raise _not_live(recording_id)

    def keep(self, recording_id: str, keep: bool, now: float) -> ControlState:
        raise _not_live(recording_id)

    def state(self, recording_id: str) -> ControlState | None:
        return None


def _not_live(recording_id: str) -> NotLiveError:
    return NotLiveError(f"recording {recording_id!r} is not being recorded now", "recording_id")


class ServerControl:
    """The server's :class:`LiveControl` over its capture engine and live registry."""

    def __init__(self, capture: CaptureControls, live: SnapshotSource) -> None:
        self.capture = capture
        self.live = live
        self._states: dict[str, ControlState] = {}

    def state(self, recording_id: str) -> ControlState | None:
        return self._states.get(recording_id)

    def _live(self, recording_id: str) -> tuple[Mapping[str, Any], ControlState]:
        try:
            snapshot = self.live.get_session(recording_id)
        except KeyError:  # the registry still lists it, the capture engine has let go
            snapshot = None
        if snapshot is None or snapshot.get("state") == "terminated":
            raise _not_live(recording_id)
        state = self._states.get(recording_id) or ControlState(recording_id)
        return snapshot, state

    def pause(self, recording_id: str, paused: bool, now: float) -> ControlState:
        _, state = self._live(recording_id)
        try:
            self.capture.set_paused(recording_id, paused)
        except KeyError as exc:
            raise _not_live(recording_id) from exc
        if state.paused != paused:
            (state._open if paused else state._close)("pause", now)
            state.paused = paused
        self._states[recording_id] = state
        return state

    def mute(self, recording_id: str, participant_id: str, muted: bool, now: float) -> ControlState:
        snapshot, state = self._live(recording_id)
        keys = _stream_keys(snapshot, participant_id)
        if keys is None:
            raise UnknownParticipantError(
                f"recording {recording_id!r} has no participant {participant_id!r}",
                "participant_id",
            )
        for key in keys:
            try:
                self.capture.set_muted(recording_id, key, muted)
            except KeyError:
                log.debug("mute: stream %s/%s is not open", recording_id, key)
        if (participant_id in state.muted) != muted:
            (state._open if muted else state._close)("mute", now, participant_id)
            (state.muted.add if muted else state.muted.discard)(participant_id)
        self._states[recording_id] = state
        return state

    def keep(self, recording_id: str, keep: bool, now: float) -> ControlState:
        _, state = self._live(recording_id)
        state.keep = keep
        self._states[recording_id] = state
        return state

    def finish(self, recording_id: str, spool_dir: str | Path) -> bool:
        """Called by the server before finalizing: forgets the state and, when control
        said not to keep the recording, deletes its spool.  True means "finalize it"."""
        state = self._states.pop(recording_id, None)
        if state is None or state.keep:
            return True
        log.info("recording %s discarded on request (not kept)", recording_id)
        shutil.rmtree(spool_dir, ignore_errors=True)
        return False


def _stream_keys(snapshot: Mapping[str, Any], participant_id: str) -> list[str] | None:
    """Keys of the streams the participant sends; ``None`` when no such participant."""
    participants = snapshot.get("participants") or []
    streams = snapshot.get("streams") or []
    known = {str(p.get("participant_id")) for p in participants if isinstance(p, Mapping)} | {
        str(s.get("participant_id")) for s in streams if isinstance(s, Mapping)
    }
    if participant_id not in known:
        return None
    return [
        str(s["key"])
        for s in streams
        if isinstance(s, Mapping) and s.get("participant_id") == participant_id and s.get("key")
    ]
