"""Timestamps as SRCs write them: ISO 8601 with or without zone, epoch seconds or millis.

RFC 7865 mandates ``xs:dateTime`` but SRCs also send local times without a zone (Oracle,
Avaya SBCE), unset clocks (Sonus: 1970) and epoch numbers.  A time without a zone is read
as UTC and flagged, so that callers can tell an assumption from a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")
# Epoch values at or above this are milliseconds (seconds would be past year 5138).
_MILLIS_THRESHOLD = 100_000_000_000


@dataclass(frozen=True)
class Timestamp:
    """A parsed time: ``value`` is aware UTC, ``zone_assumed`` when the text had no zone."""

    raw: str
    value: datetime | None
    zone_assumed: bool = False
    error: str | None = None

    def iso(self) -> str | None:
        """UTC ISO 8601 with ``Z`` (milliseconds kept when present), or ``None``."""
        if self.value is None:
            return None
        text = self.value.strftime("%Y-%m-%dT%H:%M:%S")
        if self.value.microsecond:
            text += f".{self.value.microsecond // 1000:03d}"
        return text + "Z"

    def epoch(self) -> float | None:
        return None if self.value is None else self.value.timestamp()

    def to_json(self) -> dict[str, object]:
        return {
            "raw": self.raw,
            "utc": self.iso(),
            "zone_assumed": self.zone_assumed,
            "error": self.error,
        }


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_time(text: str) -> Timestamp:
    """Parse one time value; never raises (an unreadable value keeps ``raw`` and ``error``)."""
    raw = text
    text = text.strip()
    if not text:
        return Timestamp(raw, None, error="empty time value")
    if _EPOCH.match(text):
        number = float(text)
        if number >= _MILLIS_THRESHOLD:
            number /= 1000.0
        return Timestamp(raw, datetime.fromtimestamp(number, tz=UTC))
    match = _ISO.match(text)
    if match is None:
        return Timestamp(raw, None, error=f"unrecognised time value {text!r}")
    try:
        frac = match.group("frac") or "0"
        micro = int((frac + "000000")[:6])
        naive = datetime.fromisoformat(match.group("date")).replace(
            hour=int(match.group("h")),
            minute=int(match.group("m")),
            second=int(match.group("s") or 0),
            microsecond=micro,
        )
        zone = _zone(match.group("zone"))
    except ValueError as exc:
        return Timestamp(raw, None, error=f"invalid time value {text!r}: {exc}")
    if zone is None:
        return Timestamp(raw, naive.replace(tzinfo=UTC), zone_assumed=True)
    return Timestamp(raw, naive.replace(tzinfo=zone).astimezone(UTC))
