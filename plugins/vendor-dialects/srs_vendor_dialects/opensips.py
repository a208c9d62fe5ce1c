"""OpenSIPS ``siprec`` module as SRC.

OpenSIPS declares sessions, participants and streams but no association elements; its
``sipSessionID`` is the recorded dialog's Call-ID (``…@host``) and, by construction of the
module, the first participant is the caller and sends the first stream.  Display names
may carry leaked URI parameters (``test_user;lang=en-US;id=22``), split off generically.
"""

from __future__ import annotations

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import RFC7865_NS, children, namespace, text
from srs.plugins import hookimpl
from srs_vendor_dialects._common import vendor_section


class OpenSipsDialect:
    name = "opensips"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        if namespace(root) != RFC7865_NS:
            return 0
        if (
            next(children(root, "participantstreamassoc", "participantsessionassoc"), None)
            is not None
        ):
            return 0
        sip_ids = [
            text(e) or "" for s in children(root, "session") for e in children(s, "sipSessionID")
        ]
        return 30 if any("@" in value and ";" not in value for value in sip_ids) else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        vendor_section(doc, "opensips")["mapping"] = "caller-first"
        for session in doc.sessions:
            for sip_id in session.sip_session_ids:
                doc.facts.vendor_ids.setdefault("sip_call_id", sip_id.split(";", 1)[0])
        if doc.facts.caller_source is None:
            doc.facts.caller_source = "vendor:opensips"


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(OpenSipsDialect())
