"""Oracle / Acme Packet SBC: the ``apkt:`` extension (draft-shaped metadata).

Reads ``apkt:ucid`` (Avaya UCID, plain or ``;encoding=hex`` UUI form), ``apkt:callerOrig``,
per-participant ``apkt:callingParty`` (true = the caller), ``apkt:request-uri``,
``apkt:realm`` and ``<apkt:header label="Call-ID"><value>`` (the original call's Call-ID,
also sent as ``X-Acme-Call-ID``).  The prefix is bound to ``http:/acmepacket.com/…`` on
sessions and ``http://acmepacket.com/…`` on participants; both are accepted and flagged.
"""

from __future__ import annotations

import re

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.facts import Party
from srs.metadata.headers import ucid_from_uui_hex
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import attr, namespace, text
from srs.plugins import hookimpl
from srs_vendor_dialects._common import iter_named, owner_id, set_party, vendor_section

_NS = re.compile(rb"https?:/{1,2}acmepacket\.com/[^\s\"'>]*", re.IGNORECASE)


class OracleDialect:
    name = "oracle"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        return 50 if _NS.search(raw) else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        section = vendor_section(doc, "oracle")
        uris = sorted({m.group(0).decode("ascii", "replace") for m in _NS.finditer(raw)})
        if len({u.split("acmepacket.com")[0] for u in uris}) > 1:
            doc.warnings.append(f"apkt prefix bound to different namespace URIs: {uris}")
        ucids = [t for t in (text(e) for e in iter_named(root, "ucid")) if t]
        if ucids:
            section["ucids"] = ucids
            value = ucids[0].split(";", 1)[0].strip()
            doc.facts.vendor_ids["ucid"] = value
            decoded = ucid_from_uui_hex(ucids[0]) if "encoding=hex" in ucids[0] else None
            if decoded:
                doc.facts.attributes["ucid_decoded"] = decoded
        for element in iter_named(root, "callerOrig"):
            section["caller_orig"] = (text(element) or "").lower() == "true"
            doc.facts.attributes["oracle_caller_orig"] = (text(element) or "").lower()
        participants: dict[str, dict[str, object]] = {}
        for element in iter_named(root, "callingParty"):
            if namespace(element) and "acmepacket" not in namespace(element):
                continue
            pid = owner_id(element, "participant")
            if pid is None:
                continue
            calling = (text(element) or "").lower() == "true"
            participants.setdefault(pid, {})["calling_party"] = calling
            role = "caller" if calling else "callee"
            if getattr(doc.facts, role).participant_id is None:
                set_party(doc, role, Party(participant_id=pid), "vendor:oracle")
        for element in iter_named(root, "request-uri"):
            value = (text(element) or "").strip().strip("<>")
            pid = owner_id(element, "participant")
            if pid:
                participants.setdefault(pid, {})["request_uri"] = value
            doc.facts.attributes.setdefault("oracle_request_uri", value)
        for element in iter_named(root, "realm"):
            pid = owner_id(element, "participant")
            if pid and text(element):
                participants.setdefault(pid, {})["realm"] = text(element)
                doc.facts.attributes.setdefault("oracle_realm", text(element) or "")
        for element in iter_named(root, "header"):
            label = attr(element, "label")
            header_value = text(next(iter_named(element, "value"), None))
            if not label or not header_value:
                continue
            pid = owner_id(element, "participant")
            headers = participants.setdefault(pid or "", {}).setdefault("headers", {})
            assert isinstance(headers, dict)
            headers[label] = header_value
            if label.lower() == "call-id":
                doc.facts.vendor_ids.setdefault("oracle_call_id", header_value)
        if participants:
            section["participants"] = participants


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(OracleDialect())
