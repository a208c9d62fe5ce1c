"""Cisco CUBE (IOS/IOS XE SIP gateway) as SRC.

CUBE sends clean RFC 7865 with millisecond times and ``sipSessionID`` =
``<local>;remote=<remote>`` whose local part equals the INVITE's ``Session-ID``; it
interleaves participants and streams and, while ringing, sends empty
``participantstreamassoc`` elements (no mapping yet: the timeline falls back to order).
"""

from __future__ import annotations

import re

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import RFC7865_NS, namespace
from srs.plugins import hookimpl
from srs_vendor_dialects._common import vendor_section

_SIP_SESSION = re.compile(rb"<(?:\w+:)?sipSessionID>\s*[0-9a-f]{32};remote=[0-9a-f]{32}\s*<")
_MILLIS = re.compile(rb"<(?:\w+:)?start-time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<")


class CiscoCubeDialect:
    name = "cisco"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        if namespace(root) == RFC7865_NS and _SIP_SESSION.search(raw) and _MILLIS.search(raw):
            return 30
        return 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        section = vendor_section(doc, "cisco")
        for session in doc.sessions:
            for sip_id in session.sip_session_ids:
                local = sip_id.split(";", 1)[0]
                doc.facts.vendor_ids.setdefault("session_id", local)
                section.setdefault("session_id", local)
        empty = [a.participant for a in doc.participant_stream_assocs if not a.send and not a.recv]
        if empty:
            section["empty_stream_assocs"] = empty
            doc.warnings.append("participantstreamassoc elements are empty (early media?)")


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(CiscoCubeDialect())
