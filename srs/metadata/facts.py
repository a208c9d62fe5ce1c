"""Normalised call facts: what the search API and the UI query, whatever the SRC dialect.

``vendor_ids`` uses fixed keys so that a search for a UCID or a BroadWorks tracking id
works the same for every vendor: ``ucid``, ``cisco_guid``, ``cisco_gucid``,
``broadworks_ext_tracking_id``, ``broadworks_call_id``, ``oracle_call_id``, ``sip_call_id``,
``x_session_id``, ``call_data_call_id``, ``gcid``, ``genesys_call_uuid``,
``genesys_connid``, ``netsapiens_*``.  Values are strings compared exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["inbound", "outbound", "internal"]


@dataclass
class Party:
    """One end of the call as shown to users."""

    number: str | None = None
    name: str | None = None
    aor: str | None = None
    participant_id: str | None = None

    def empty(self) -> bool:
        return not (self.number or self.name or self.aor or self.participant_id)

    def merged(self, newer: Party) -> Party:
        """Values from ``newer`` win where set; gaps are filled from ``self``."""
        return Party(
            number=newer.number or self.number,
            name=newer.name or self.name,
            aor=newer.aor or self.aor,
            participant_id=newer.participant_id or self.participant_id,
        )

    def to_json(self) -> dict[str, str | None]:
        return {
            "number": self.number,
            "name": self.name,
            "aor": self.aor,
            "participant_id": self.participant_id,
        }


@dataclass
class CallFacts:
    """Who called whom, under which ids; ``caller_source`` says how the caller was chosen."""

    direction: Direction | None = None
    caller: Party = field(default_factory=Party)
    callee: Party = field(default_factory=Party)
    caller_source: str | None = None  # "vendor:<dialect>", "document-order", "sip-headers"
    vendor_ids: dict[str, str] = field(default_factory=dict)
    tenant: str | None = None
    group: str | None = None
    user: str | None = None
    session_ids: list[str] = field(default_factory=list)
    group_ids: list[str] = field(default_factory=list)
    sip_session_ids: list[str] = field(default_factory=list)
    start_time: str | None = None  # UTC ISO 8601
    attributes: dict[str, str] = field(default_factory=dict)  # other searchable vendor facts

    def merged(self, newer: CallFacts) -> CallFacts:
        """Combine two fact sets; ``newer`` wins where it has a value, lists are unioned."""

        def union(old: list[str], new: list[str]) -> list[str]:
            return old + [item for item in new if item not in old]

        return CallFacts(
            direction=newer.direction or self.direction,
            caller=self.caller.merged(newer.caller),
            callee=self.callee.merged(newer.callee),
            caller_source=newer.caller_source or self.caller_source,
            vendor_ids={**self.vendor_ids, **newer.vendor_ids},
            tenant=newer.tenant or self.tenant,
            group=newer.group or self.group,
            user=newer.user or self.user,
            session_ids=union(self.session_ids, newer.session_ids),
            group_ids=union(self.group_ids, newer.group_ids),
            sip_session_ids=union(self.sip_session_ids, newer.sip_session_ids),
            start_time=self.start_time or newer.start_time,
            attributes={**self.attributes, **newer.attributes},
        )

    def to_json(self) -> dict[str, object]:
        # spelled out: ``dataclasses.fields`` per call was most of this method's cost
        return {
            "direction": self.direction,
            "caller": self.caller.to_json(),
            "callee": self.callee.to_json(),
            "caller_source": self.caller_source,
            "vendor_ids": dict(self.vendor_ids),
            "tenant": self.tenant,
            "group": self.group,
            "user": self.user,
            "session_ids": list(self.session_ids),
            "group_ids": list(self.group_ids),
            "sip_session_ids": list(self.sip_session_ids),
            "start_time": self.start_time,
            "attributes": dict(self.attributes),
        }
