"""Avaya SBCE: the far end shows up as the dummy participant ``sip:ASBCE@asbce.com``.

The dummy carries real audio, so it keeps its stream, but it is marked ``placeholder`` so
that facts skip it and the timeline replaces it when a later update names the real party
sending the same stream.  The session id is the call's UCID in UUI form
(``00FA08`` + 16 hex digits).
"""

from __future__ import annotations

import re

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.headers import ucid_from_uui_hex
from srs.metadata.model import MetadataDocument
from srs.plugins import hookimpl
from srs_vendor_dialects._common import vendor_section

DUMMY_AOR = "sip:asbce@asbce.com"


class AvayaSbceDialect:
    name = "avaya"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        if b"asbce@asbce.com" in raw.lower():
            return 80
        if any(ucid_from_uui_hex(s.decode("ascii", "replace")) for s in _session_ids(raw)):
            return 40
        return 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        section = vendor_section(doc, "avaya")
        dummies = []
        for participant in doc.participants:
            if (participant.aor or "").lower() == DUMMY_AOR:
                participant.placeholder = True
                dummies.append(participant.participant_id)
        if dummies:
            section["dummy_participants"] = dummies
        for session in doc.sessions:
            ucid = ucid_from_uui_hex(session.session_id)
            if ucid:
                doc.facts.vendor_ids.setdefault("ucid", ucid)
                section["ucid_uui"] = session.session_id
                break


def _session_ids(raw: bytes) -> list[bytes]:
    return re.findall(rb"session_id=[\"']([0-9A-Fa-f]{22})[\"']", raw)


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(AvayaSbceDialect())
