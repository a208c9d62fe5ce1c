"""The call facts a recording stores: metadata facts, SIP-header ids, plugin facts, as one
``CallFacts``.

``session.json`` carries facts as JSON (``CallFacts.to_json()``); hooks and merges need the
object back, so ``call_facts_from_json`` is the tolerant inverse (unknown keys ignored,
wrong types dropped: a recovered spool from an older version must still load).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from srs.metadata.facts import CallFacts, Direction, Party

__all__ = ["call_facts_from_json", "merge_facts"]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _party(value: Any) -> Party:
    if not isinstance(value, Mapping):
        return Party()
    return Party(
        number=_str(value.get("number")),
        name=_str(value.get("name")),
        aor=_str(value.get("aor")),
        participant_id=_str(value.get("participant_id")),
    )


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None and not isinstance(v, dict)}


def call_facts_from_json(data: Mapping[str, Any] | None) -> CallFacts:
    """``CallFacts.to_json()`` read back (``None`` or garbage gives empty facts)."""
    if not isinstance(data, Mapping):
        return CallFacts()
    direction = data.get("direction")
    return CallFacts(
        direction=cast(Direction, direction)
        if direction in ("inbound", "outbound", "internal")
        else None,
        caller=_party(data.get("caller")),
        callee=_party(data.get("callee")),
        caller_source=_str(data.get("caller_source")),
        vendor_ids=_string_map(data.get("vendor_ids")),
        tenant=_str(data.get("tenant")),
        group=_str(data.get("group")),
        user=_str(data.get("user")),
        session_ids=_strings(data.get("session_ids")),
        group_ids=_strings(data.get("group_ids")),
        sip_session_ids=_strings(data.get("sip_session_ids")),
        start_time=_str(data.get("start_time")),
        attributes=_string_map(data.get("attributes")),
    )


def merge_facts(base: CallFacts, newer: CallFacts | None) -> CallFacts:
    """``base.merged(newer)``, tolerating ``None`` (a hook that returned nothing)."""
    return base if newer is None else base.merged(newer)
