"""Persistence: SQLModel tables, the :class:`Database` handle and the :class:`Repository`."""

from srs.storage import accounts  # noqa: F401  (registers the account tables)
from srs.storage.database import Database
from srs.storage.models import (
    MetadataVersion,
    Participant,
    Recording,
    RecordingSession,
    RecordingVendorId,
    Stream,
)
from srs.storage.repository import RecordingFilter, RecordingRecord, Repository, SessionRecord
from srs.storage.snapshot import SnapshotError

__all__ = [
    "Database",
    "MetadataVersion",
    "Participant",
    "Recording",
    "RecordingFilter",
    "RecordingRecord",
    "RecordingSession",
    "RecordingVendorId",
    "Repository",
    "SessionRecord",
    "SnapshotError",
    "Stream",
]
