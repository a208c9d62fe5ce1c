"""What a plugin may say about an incoming INVITE: "this dialog is one leg of a group".

Some sources record a call as several plain SIP dialogs instead of one SIPREC session
(Cisco CUCM Built-in-Bridge forks a near-end and a far-end leg).  ``srs_classify_call``
returns a ``CallClassification`` so that the server records the legs into one recording,
one channel per leg.  docs/plugins.md says exactly what the server does with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class ClassificationError(ValueError):
    """A plugin returned a classification that the server cannot act on."""


@dataclass(frozen=True)
class CallClassification:
    """One dialog's place in a multi-leg recording.

    ``group_id``: dialogs classified with the same id are recorded into one recording.
    ``leg``: the leg's name inside the group (``nearend``); it becomes the stream key.
    ``channel``: the output channel this leg's audio goes to (0 = left).
    ``channels``: channels of the group's recording (every leg of a group says the same).
    ``expected_legs``: how many legs make the group complete.
    ``wait``: seconds, counted from the group's first leg, during which the server keeps
    the group's recording open for a missing leg even after the present legs ended.
    ``call_id``: the logical call the group belongs to; recordings of the same call
    (hold/transfer segments) share it.  ``None``: the group id is the call id.
    ``segment``: 0 for the first recording of a call, then 1, 2 …
    ``facts``: searchable text facts the server stores with the recording
    (``CallFacts.attributes``).
    """

    group_id: str
    leg: str
    channel: int
    channels: int = 1
    expected_legs: int = 1
    wait: float = 0.0
    call_id: str | None = None
    segment: int = 0
    facts: Mapping[str, str] = field(default_factory=dict)
    plugin: str | None = None

    def __post_init__(self) -> None:
        if not self.group_id:
            raise ClassificationError("classification has an empty group_id")
        if not self.leg:
            raise ClassificationError(f"classification of group {self.group_id!r} has no leg name")
        if self.channels < 1:
            raise ClassificationError(
                f"group {self.group_id!r}: channels must be >= 1, got {self.channels}"
            )
        if not 0 <= self.channel < self.channels:
            raise ClassificationError(
                f"group {self.group_id!r}: channel {self.channel} is outside 0..{self.channels - 1}"
            )
        if self.expected_legs < 1:
            raise ClassificationError(
                f"group {self.group_id!r}: expected_legs must be >= 1, got {self.expected_legs}"
            )
        if self.wait < 0:
            raise ClassificationError(
                f"group {self.group_id!r}: wait must be >= 0, got {self.wait}"
            )

    @property
    def logical_call_id(self) -> str:
        """The id shared by every segment of the call."""
        return self.call_id or self.group_id
