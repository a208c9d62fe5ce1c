"""Turning the recording layer's JSON (``session.json``, ``FinalizeResult.to_json()``) into
row values.

Pure functions, so the mapping is tested without a database.  Unknown keys are ignored and
missing optional keys become ``None``: a recovered spool from an older version must still
be stored.  Required keys missing or of the wrong type raise :class:`SnapshotError`
naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from srs.storage.columns import to_datetime

_PHONE_NUMBER = re.compile(r"\+?[0-9*#]{2,32}")


class SnapshotError(ValueError):
    """A snapshot or finalize result lacks a required key or has a wrong type."""


def _require_str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SnapshotError(f"{where}.{key}: must be a non-empty string, got {value!r}")
    return value


def _list_of_dicts(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise SnapshotError(f"{where}.{key}: must be a list of objects, got {value!r}")
    return value


def _dict(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise SnapshotError(f"{where}.{key}: must be an object, got {value!r}")
    return value


def _time(data: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return to_datetime(data.get(key))
    except (ValueError, TypeError, OverflowError) as exc:
        raise SnapshotError(f"{where}.{key}: {exc}") from exc


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _lookup(snapshot: Mapping[str, Any], *names: str) -> str | None:
    """A value from the snapshot's top level, else from its ``sip``/``headers`` dicts
    (header names in any case)."""
    for name in names:
        if snapshot.get(name):
            return _opt_str(snapshot[name])
    folded: dict[str, Any] = {}
    for where in ("headers", "sip"):
        folded.update({str(k).lower(): v for k, v in _dict(snapshot, where, "snapshot").items()})
    for name in names:
        value = folded.get(name.lower())
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return _opt_str(value)
    return None


def recording_id(snapshot: Mapping[str, Any]) -> str:
    return _require_str(snapshot, "recording_id", "snapshot")


def facts(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_dict(snapshot, "facts", "snapshot"))


def session_fields(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of ``RecordingSession`` (without ``id``/``state``)."""
    call_id = _require_str(snapshot, "call_id", "snapshot")
    dialog_key = _lookup(snapshot, "dialog_key", "dialog")
    local_tag, remote_tag = snapshot.get("local_tag"), snapshot.get("remote_tag")
    if dialog_key is None and local_tag and remote_tag:
        dialog_key = f"{call_id};{local_tag};{remote_tag}"  # DialogRef.key
    return {
        "call_id": call_id,
        "siprec": bool(snapshot.get("siprec", True)),
        "started_at": _time(snapshot, "started_at", "snapshot"),
        "ended_at": _time(snapshot, "ended_at", "snapshot"),
        "end_reason": _opt_str(snapshot.get("end_reason")),
        "dialog_key": dialog_key,
        "source_address": _lookup(snapshot, "source_address", "source"),
        "transport": _lookup(snapshot, "transport"),
        "from_uri": _lookup(snapshot, "from_uri", "from"),
        "to_uri": _lookup(snapshot, "to_uri", "to"),
        "metadata_error": bool(snapshot.get("metadata_error", False)),
        "mapping_confidence": _opt_str(snapshot.get("mapping_confidence")),
    }


def stream_rows(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, stream in enumerate(_list_of_dicts(snapshot, "streams", "snapshot")):
        key = _opt_str(stream.get("key")) or f"m{_opt_int(stream.get('index')) or number}"
        rows.append(
            {
                "key": key,
                "label": _opt_str(stream.get("label")),
                "index": _opt_int(stream.get("index")),
                "media": _opt_str(stream.get("media")),
                "participant_id": _opt_str(stream.get("participant_id")),
                "channel": _opt_int(stream.get("channel")),
            }
        )
    return rows


def _party(data: Mapping[str, Any], role: str) -> Mapping[str, Any]:
    value = data.get(role)
    return value if isinstance(value, Mapping) else {}


def _aor_key(aor: str) -> str:
    """``<SIP:Alice@X>`` and ``alice@x`` compare equal (scheme and case folded)."""
    text = aor.strip().strip("<>").strip().lower()
    for scheme in ("sips:", "sip:", "tel:"):
        if text.startswith(scheme):
            return text[len(scheme) :]
    return text


def _aor_user(aor: str | None) -> str | None:
    if not aor:
        return None
    return _aor_key(aor).split("@", 1)[0].split(";", 1)[0] or None


def _is_party(party: Mapping[str, Any], pid: str, aor: str | None, number: str | None) -> bool:
    """Does the facts' caller/callee describe this participant (id, AOR or number)?"""
    if party.get("participant_id"):
        return bool(party["participant_id"] == pid)
    if aor and party.get("aor") and _aor_key(str(party["aor"])) == _aor_key(aor):
        return True
    wanted = party.get("number")
    return bool(wanted) and wanted in (number, _aor_user(aor))


def _number(item: Mapping[str, Any], aor: str | None) -> str | None:
    """The participant's phone number: given, else the AOR's user part when it is one."""
    given = _opt_str(item.get("number"))
    if given:
        return given
    user = _aor_user(aor)
    if user and _PHONE_NUMBER.fullmatch(user.replace("-", "").replace(" ", "")):
        return user
    return None


def participant_rows(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Participants with their channel (from the streams they send) and caller/callee role."""
    call = facts(snapshot)
    channels: dict[str, int] = {}
    for stream in stream_rows(snapshot):
        pid, channel = stream["participant_id"], stream["channel"]
        if pid is not None and channel is not None:
            channels.setdefault(pid, channel)
    rows: list[dict[str, Any]] = []
    for number, item in enumerate(_list_of_dicts(snapshot, "participants", "snapshot")):
        pid = _opt_str(item.get("participant_id")) or f"p{number}"
        aor = _opt_str(item.get("aor"))
        phone = _number(item, aor)
        role = _opt_str(item.get("role"))
        for candidate in ("caller", "callee"):
            if role is not None:
                break
            if _is_party(_party(call, candidate), pid, aor, phone):
                role = candidate
        rows.append(
            {
                "participant_id": pid,
                "name": _opt_str(item.get("name")),
                "aor": aor,
                "number": phone,
                "channel": _opt_int(item.get("channel"))
                if "channel" in item
                else channels.get(pid),
                "role": role,
            }
        )
    return rows


def metadata_rows(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for seq, item in enumerate(_list_of_dicts(snapshot, "metadata", "snapshot")):
        errors = item.get("errors") or []
        if not isinstance(errors, list):
            errors = [errors]
        well_formed = item.get("well_formed")
        rows.append(
            {
                "seq": seq,
                "received_at": _time(item, "received_at", f"snapshot.metadata[{seq}]"),
                "content_type": _opt_str(item.get("content_type")),
                "raw": str(item.get("raw") or item.get("text") or ""),  # recorder writes "text"
                "dialect": _opt_str(item.get("dialect")),
                "well_formed": bool(well_formed) if well_formed is not None else not errors,
                "errors": [e if isinstance(e, str | dict) else str(e) for e in errors],
            }
        )
    return rows


def vendor_ids(snapshot: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(kind, value)`` pairs: the facts' vendor ids plus the SIP Call-ID."""
    pairs: list[tuple[str, str]] = []
    call_id = snapshot.get("call_id")
    if isinstance(call_id, str) and call_id:
        pairs.append(("sip_call_id", call_id))
    ids = _dict(facts(snapshot), "vendor_ids", "snapshot.facts")
    for kind, value in ids.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is not None and str(item) and (str(kind), str(item)) not in pairs:
                pairs.append((str(kind), str(item)))
    return pairs


def stream_stats(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per stream key: the finalize statistics that go into ``Stream`` columns."""
    stats: dict[str, dict[str, Any]] = {}
    for number, stream in enumerate(_list_of_dicts(result, "streams", "result")):
        key = _require_str(stream, "key", f"result.streams[{number}]")
        ssrcs = stream.get("ssrcs") or []
        # finalize writes ``participant`` as {"id", "name", "aor"}, ``codecs`` as a list
        # (one per renegotiation) and ``packets_received``; older shapes are accepted too.
        participant = stream.get("participant")
        if isinstance(participant, Mapping):
            participant = participant.get("id")
        codecs = stream.get("codecs")
        codec = ",".join(str(c) for c in codecs) if isinstance(codecs, list) and codecs else None
        packets = stream.get("packets_received", stream.get("packets"))
        stats[key] = {
            "label": _opt_str(stream.get("label")),
            "participant_id": _opt_str(participant),
            "channel": _opt_int(stream.get("channel")),
            "codec": codec or _opt_str(stream.get("codec")),
            "packets": _opt_int(packets),
            "expected": _opt_int(stream.get("expected")),
            "lost": _opt_int(stream.get("lost")),
            "duplicates": _opt_int(stream.get("duplicates")),
            "late": _opt_int(stream.get("late")),
            "jitter_ms": _opt_float(stream.get("jitter_ms")),
            "completeness": _opt_float(stream.get("completeness")),
            "ssrcs": list(ssrcs) if isinstance(ssrcs, list) else [ssrcs],
        }
    return stats


def recording_fields(
    result: Mapping[str, Any], snapshot: Mapping[str, Any], latency_ms: float
) -> dict[str, Any]:
    """Column values of ``Recording`` (without ``id``/``created_at``)."""
    files = _list_of_dicts(result, "files", "result")
    if not files:
        raise SnapshotError("result.files: a finalized recording needs at least one file")
    first = files[0]
    call = facts(snapshot)
    caller, callee = _party(call, "caller"), _party(call, "callee")
    dtmf: list[Any] = []
    gaps: dict[str, Any] = {}
    for number, stream in enumerate(_list_of_dicts(result, "streams", "result")):
        key = _require_str(stream, "key", f"result.streams[{number}]")
        for item in stream.get("dtmf") or []:
            dtmf.append(
                {"stream": key, **item}
                if isinstance(item, Mapping)
                else {"stream": key, "event": item}
            )
        if stream.get("gaps"):
            gaps[key] = stream["gaps"]
    # finalize writes every silenced span (hold, pause, mute) as ``intervals`` with a kind.
    holds = result.get("holds") or result.get("intervals") or []
    return {
        "session_id": recording_id(snapshot),
        "call_id": _require_str(snapshot, "call_id", "snapshot"),
        "path": _require_str(first, "path", "result.files[0]"),
        "files": [dict(f) for f in files],
        "format": _require_str(first, "format", "result.files[0]"),
        "channels": _opt_int(first.get("channels")) or 0,
        "sample_rate": _opt_int(first.get("sample_rate")) or 0,
        "duration": _opt_float(result.get("duration")) or 0.0,
        "size": sum(_opt_int(f.get("size")) or 0 for f in files),
        "sha256": _opt_str(first.get("sha256")) or "",
        "completeness": _opt_float(result.get("completeness")),
        "recovered": bool(result.get("recovered", False)),
        "finalize_latency_ms": float(latency_ms),
        "started_at": _time(snapshot, "started_at", "snapshot"),
        "ended_at": _time(snapshot, "ended_at", "snapshot"),
        "direction": _opt_str(call.get("direction")),
        "caller_number": _opt_str(caller.get("number")),
        "caller_name": _opt_str(caller.get("name")),
        "caller_aor": _opt_str(caller.get("aor")),
        "callee_number": _opt_str(callee.get("number")),
        "callee_name": _opt_str(callee.get("name")),
        "callee_aor": _opt_str(callee.get("aor")),
        "facts": call,
        "dtmf": dtmf,
        "gaps": gaps,
        "holds": list(holds) if isinstance(holds, list) else [holds],
    }
