"""Pairing CUCM recording forks into groups, and groups into calls (sans-IO).

``BibPairer`` takes legs and ``now`` and returns events; it never reads a clock or touches
a socket, so timeouts are tested by advancing ``now``.

* A group is one recording: the near-end and far-end forks of one recorded call leg.
  Forks pair on (cluster, device, refci pair), in either arrival order.
* A lone fork whose partner has not come ``wait`` seconds after it is kept as a single-leg
  recording (``LoneLegKept``); a partner arriving later still joins while the group lives.
* A call is a chain of groups: after hold/resume or a transfer CUCM sends a new fork pair
  for the same device; when it shares a refci with a group of that device that is still
  live or ended less than ``chain_window`` seconds ago, it continues that call
  (same ``call_id``, next ``segment``).

Each group's life is the table ``TRANSITIONS``; an input the table lacks is an error.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from srs_cisco_bib.leg import FAREND, NEAREND, BibHeaderError, BibLeg, Role

__all__ = [
    "FAREND",
    "NEAREND",
    "TRANSITIONS",
    "BibGroup",
    "BibHeaderError",
    "BibLeg",
    "BibPairer",
    "BibStateError",
    "GroupInput",
    "GroupState",
    "LegWaiting",
    "LegsPaired",
    "LoneLegKept",
    "PairingEvent",
]


class GroupState(enum.Enum):
    WAITING = "waiting"  # one fork, partner expected
    PAIRED = "paired"  # both forks
    LONE = "lone"  # partner did not come in time; recorded alone, may still join
    ENDED = "ended"  # the recording ended; kept for chaining until the window passes


class GroupInput(enum.Enum):
    PARTNER = "partner"
    TIMEOUT = "timeout"
    END = "end"


TRANSITIONS: dict[tuple[GroupState, GroupInput], GroupState] = {
    (GroupState.WAITING, GroupInput.PARTNER): GroupState.PAIRED,
    (GroupState.WAITING, GroupInput.TIMEOUT): GroupState.LONE,
    (GroupState.WAITING, GroupInput.END): GroupState.ENDED,
    (GroupState.LONE, GroupInput.PARTNER): GroupState.PAIRED,
    (GroupState.LONE, GroupInput.END): GroupState.ENDED,
    (GroupState.PAIRED, GroupInput.END): GroupState.ENDED,
    (GroupState.ENDED, GroupInput.END): GroupState.ENDED,
}


class BibStateError(RuntimeError):
    """An input the group's state table does not allow (a bug in the caller)."""


@dataclass
class BibGroup:
    """One recording's forks.  ``lone`` stays true once the partner was late."""

    group_id: str
    call_id: str
    segment: int
    key: tuple[str, str, str, str]
    created: float
    deadline: float | None
    state: GroupState = GroupState.WAITING
    legs: dict[Role, BibLeg] = field(default_factory=dict)
    lone: bool = False
    ended_at: float | None = None

    def apply(self, event: GroupInput) -> None:
        try:
            self.state = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise BibStateError(
                f"group {self.group_id}: {event.value} is not allowed in state {self.state.value}"
            ) from None

    @property
    def live(self) -> bool:
        return self.state is not GroupState.ENDED

    @property
    def refcis(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for leg in self.legs.values():
            out |= leg.refcis
        return out


@dataclass(frozen=True)
class LegWaiting:
    """The fork opened a group; its partner is expected before ``deadline``."""

    group_id: str
    call_id: str
    segment: int
    leg: BibLeg
    deadline: float


@dataclass(frozen=True)
class LegsPaired:
    """The fork completed its group (``late``: after the group was already kept lone)."""

    group_id: str
    call_id: str
    segment: int
    nearend: BibLeg
    farend: BibLeg
    late: bool = False


@dataclass(frozen=True)
class LoneLegKept:
    """No partner came in time: the group records this fork alone."""

    group_id: str
    call_id: str
    segment: int
    leg: BibLeg


PairingEvent = LegWaiting | LegsPaired | LoneLegKept


class BibPairer:
    """Groups forks; see the module docstring for the rules."""

    def __init__(self, wait: float = 2.0, chain_window: float = 30.0) -> None:
        if wait < 0 or chain_window < 0:
            raise ValueError(f"wait and chain_window must be >= 0, got {wait} and {chain_window}")
        self.wait = wait
        self.chain_window = chain_window
        self._groups: dict[str, BibGroup] = {}
        self._by_dialog: dict[str, str] = {}
        self._serial = 0

    # -- inputs -------------------------------------------------------------------------

    def add_leg(self, leg: BibLeg, now: float) -> LegWaiting | LegsPaired:
        """Place a fork: it completes a live group of its key, or opens a new one."""
        known = self._groups.get(self._by_dialog.get(leg.dialog_id, ""))
        if known is not None and known.live:
            return self._status(known, leg)  # the same dialog classified twice
        group = self._joinable(leg)
        if group is None:
            group = self._open(leg, now)
            return self._status(group, leg)
        late = group.state is GroupState.LONE
        group.legs[leg.role] = leg
        group.apply(GroupInput.PARTNER)
        group.deadline = None
        self._by_dialog[leg.dialog_id] = group.group_id
        near, far = group.legs[NEAREND], group.legs[FAREND]
        return LegsPaired(group.group_id, group.call_id, group.segment, near, far, late)

    def handle_timer(self, now: float) -> list[LoneLegKept]:
        """Expire waiting groups whose deadline passed; forget ended groups out of window."""
        events: list[LoneLegKept] = []
        for group in list(self._groups.values()):
            if (
                group.state is GroupState.WAITING
                and group.deadline is not None
                and now >= group.deadline
            ):
                group.apply(GroupInput.TIMEOUT)
                group.deadline = None
                group.lone = True
                (leg,) = group.legs.values()
                events.append(LoneLegKept(group.group_id, group.call_id, group.segment, leg))
            elif (
                group.state is GroupState.ENDED
                and group.ended_at is not None
                and now >= group.ended_at + self.chain_window
            ):
                self._forget(group)
        return events

    def end_group(self, group_id: str, now: float) -> None:
        """The group's recording ended (all its dialogs are gone)."""
        group = self._groups.get(group_id)
        if group is None:
            return  # already forgotten: ending twice after the window is harmless
        if group.state is not GroupState.ENDED:
            group.ended_at = now
        group.apply(GroupInput.END)
        group.deadline = None

    # -- queries ------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When ``handle_timer`` has work next, or ``None``."""
        times = [g.deadline for g in self._groups.values() if g.deadline is not None]
        times += [
            g.ended_at + self.chain_window
            for g in self._groups.values()
            if g.state is GroupState.ENDED and g.ended_at is not None
        ]
        return min(times) if times else None

    def group(self, group_id: str) -> BibGroup | None:
        return self._groups.get(group_id)

    def groups(self) -> list[BibGroup]:
        return list(self._groups.values())

    # -- internals ----------------------------------------------------------------------

    def _status(self, group: BibGroup, leg: BibLeg) -> LegWaiting | LegsPaired:
        if NEAREND in group.legs and FAREND in group.legs:
            return LegsPaired(
                group.group_id,
                group.call_id,
                group.segment,
                group.legs[NEAREND],
                group.legs[FAREND],
                group.lone,
            )
        deadline = group.deadline if group.deadline is not None else group.created + self.wait
        return LegWaiting(group.group_id, group.call_id, group.segment, leg, deadline)

    def _joinable(self, leg: BibLeg) -> BibGroup | None:
        """The newest live group of the same key whose slot for this role is free."""
        best: BibGroup | None = None
        for group in self._groups.values():
            if group.key == leg.pair_key and group.live and leg.role not in group.legs:
                if best is None or group.created >= best.created:
                    best = group
        return best

    def _predecessor(self, leg: BibLeg, now: float) -> BibGroup | None:
        """The newest group of the same line sharing a refci, live or recently ended."""
        best: BibGroup | None = None
        for group in self._groups.values():
            if group.key[:2] != leg.device_key or not (group.refcis & leg.refcis):
                continue
            if not group.live and (
                group.ended_at is None or now - group.ended_at > self.chain_window
            ):
                continue
            if best is None or (group.created, group.segment) >= (best.created, best.segment):
                best = group
        return best

    def _open(self, leg: BibLeg, now: float) -> BibGroup:
        self._serial += 1
        cluster, device, low, high = leg.pair_key
        group_id = f"bib:{cluster}:{device}:{low}:{high}:{self._serial}"
        previous = self._predecessor(leg, now)
        call_id = previous.call_id if previous else group_id
        segment = previous.segment + 1 if previous else 0
        group = BibGroup(group_id, call_id, segment, leg.pair_key, now, now + self.wait)
        group.legs[leg.role] = leg
        self._groups[group_id] = group
        self._by_dialog[leg.dialog_id] = group_id
        return group

    def _forget(self, group: BibGroup) -> None:
        del self._groups[group.group_id]
        for leg in group.legs.values():
            if self._by_dialog.get(leg.dialog_id) == group.group_id:
                del self._by_dialog[leg.dialog_id]
