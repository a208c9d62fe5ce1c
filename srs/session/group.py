"""Multi-leg recordings: the dialogs a plugin classified into one group share one recording.

Cisco CUCM Built-in-Bridge forks one recorded line into two plain SIP dialogs (near end,
far end).  ``srs_classify_call`` names each dialog a *leg* of a *group*
(``srs.plugins.classification.CallClassification``); ``GroupBook`` keeps the live groups
and decides, sans-IO with ``now`` passed in, when a group's recording ends
(docs/plugins.md, "What the server does with a CallClassification", steps 4-8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from srs.plugins.classification import CallClassification

if TYPE_CHECKING:
    from srs.session.recording import RecordingSession

__all__ = ["GroupBook", "GroupConflict", "Leg", "RecordingGroup"]


class GroupConflict(ValueError):
    """A leg contradicts its group; the message names the plugin (the leg is then recorded
    as an ordinary call)."""


@dataclass
class Leg:
    """One joined dialog of a group."""

    name: str
    channel: int
    sip_call_id: str
    joined_at: float
    session: RecordingSession
    ended_at: float | None = None
    end_reason: str | None = None
    facts: dict[str, str] = field(default_factory=dict)  # the classification's facts

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def to_json(self) -> dict[str, object]:
        return {
            "leg": self.name,
            "channel": self.channel,
            "sip_call_id": self.sip_call_id,
            "joined_at": self.joined_at,
            "ended_at": self.ended_at,
        }


@dataclass
class RecordingGroup:
    """The recording of one group: who joined, and when it may end."""

    group_id: str
    recording_id: str
    call_id: str
    segment: int
    plugin: str | None
    channels: int
    expected_legs: int
    wait: float
    created_at: float
    legs: list[Leg] = field(default_factory=list)
    ended_at: float | None = None
    end_reason: str | None = None

    @property
    def deadline(self) -> float:
        """Until then a missing leg is waited for (counted from the group's first leg)."""
        return self.created_at + self.wait

    @property
    def incomplete(self) -> bool:
        return len({leg.name for leg in self.legs}) < self.expected_legs

    @property
    def live_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.live]

    def check(self, classification: CallClassification) -> None:
        """Raise ``GroupConflict`` when the new leg cannot join this group."""
        who = classification.plugin or "unknown plugin"
        if classification.channels != self.channels:
            raise GroupConflict(
                f"plugin {who!r}: leg {classification.leg!r} of group {self.group_id!r} says "
                f"channels={classification.channels}, the group has {self.channels}; "
                "recording the leg as an ordinary call"
            )
        for leg in self.live_legs:
            if leg.channel == classification.channel:
                raise GroupConflict(
                    f"plugin {who!r}: leg {classification.leg!r} of group {self.group_id!r} "
                    f"wants channel {classification.channel}, held by live leg {leg.name!r}; "
                    "recording the leg as an ordinary call"
                )

    def may_end(self, now: float) -> bool:
        """Every joined leg ended, and either every expected leg came or the wait is over."""
        if self.ended_at is not None or not self.legs or self.live_legs:
            return False
        return not self.incomplete or now >= self.deadline

    def timer(self) -> float | None:
        """When ``may_end`` turns true by itself: only while legs are missing and none is live."""
        if self.ended_at is not None or not self.legs or self.live_legs or not self.incomplete:
            return None
        return self.deadline

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.group_id,
            "call_id": self.call_id,
            "segment": self.segment,
            "plugin": self.plugin,
            "channels": self.channels,
            "expected_legs": self.expected_legs,
            "wait": self.wait,
            "legs": [leg.to_json() for leg in self.legs],
            "incomplete": self.incomplete,
        }


class GroupBook:
    """Live groups by group id (an ended group is forgotten: its id starts a new one)."""

    def __init__(self) -> None:
        self._groups: dict[str, RecordingGroup] = {}

    def get(self, group_id: str) -> RecordingGroup | None:
        return self._groups.get(group_id)

    def create(
        self, classification: CallClassification, recording_id: str, now: float
    ) -> RecordingGroup:
        group = RecordingGroup(
            group_id=classification.group_id,
            recording_id=recording_id,
            call_id=classification.logical_call_id,
            segment=classification.segment,
            plugin=classification.plugin,
            channels=classification.channels,
            expected_legs=classification.expected_legs,
            wait=classification.wait,
            created_at=now,
        )
        self._groups[group.group_id] = group
        return group

    def forget(self, group: RecordingGroup) -> None:
        if self._groups.get(group.group_id) is group:
            del self._groups[group.group_id]

    def get_timer(self) -> float | None:
        timers = [t for g in self._groups.values() if (t := g.timer()) is not None]
        return min(timers, default=None)

    def due(self, now: float) -> list[RecordingGroup]:
        """Groups whose wait ran out with every joined leg ended."""
        return [g for g in list(self._groups.values()) if g.may_end(now)]

    def __len__(self) -> int:
        return len(self._groups)
