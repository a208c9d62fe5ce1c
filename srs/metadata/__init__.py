"""SIPREC metadata (RFC 7865 and the dialects in the wild): parse, normalise, merge.

``parse_metadata`` turns one body into a ``MetadataDocument`` (never raising);
``MetadataTimeline`` merges complete and partial documents of one recording session.
"""

from srs.metadata.dialect import DialectRegistry, MetadataDialect
from srs.metadata.facts import CallFacts, Party
from srs.metadata.headers import facts_from_headers
from srs.metadata.model import (
    Group,
    MetadataDocument,
    Participant,
    ParticipantSessionAssoc,
    ParticipantStreamAssoc,
    Session,
    Stream,
)
from srs.metadata.parse import parse_metadata
from srs.metadata.registry import (
    default_registry,
    load_vendor_dialects,
    registry_from_plugins,
    set_default_registry,
)
from srs.metadata.timeline import MetadataTimeline, TimelineChange, TimelineVersion
from srs.metadata.timestamp import Timestamp, parse_time

__all__ = [
    "CallFacts",
    "DialectRegistry",
    "Group",
    "MetadataDialect",
    "MetadataDocument",
    "MetadataTimeline",
    "Participant",
    "ParticipantSessionAssoc",
    "ParticipantStreamAssoc",
    "Party",
    "Session",
    "Stream",
    "TimelineChange",
    "TimelineVersion",
    "Timestamp",
    "default_registry",
    "facts_from_headers",
    "load_vendor_dialects",
    "parse_metadata",
    "parse_time",
    "registry_from_plugins",
    "set_default_registry",
]
