"""Genesys recorded through an Oracle SBC: Genesys routing data in ``apkt:request-uri``.

The request URI (``sip:record=<uuid>_<date>@…;calluuid=…;dn=…;ani=…;dnis=…;connid=…``)
carries the Genesys call UUID, connection id, ANI/DNIS and agent; the ``record=…``
participant is the Genesys recording leg.  Applied on top of the ``oracle`` dialect.
"""

from __future__ import annotations

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.facts import Party
from srs.metadata.headers import uri_params
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import text
from srs.plugins import hookimpl
from srs_vendor_dialects._common import iter_named, set_party, vendor_section

_MARKERS = (b"calluuid=", b"gvp-tenant-id=", b'aor="sip:record=')
_IDS = {"calluuid": "genesys_call_uuid", "connid": "genesys_connid"}
_ATTRIBUTES = ("dn", "otherdn", "agentid", "recorddn", "media-id", "sipsappname", "datetime")


class GenesysDialect:
    name = "genesys"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        if b"acmepacket.com" in raw.lower() and any(marker in raw for marker in _MARKERS):
            return 60
        return 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        section = vendor_section(doc, "genesys")
        for element in iter_named(root, "request-uri"):
            uri = (text(element) or "").strip().strip("<>")
            params = uri_params(uri)
            if not params:
                continue
            section["request_uri_params"] = params
            for key, name in _IDS.items():
                if params.get(key):
                    doc.facts.vendor_ids[name] = params[key]
            for key in _ATTRIBUTES:
                if params.get(key):
                    doc.facts.attributes[f"genesys_{key.replace('-', '_')}"] = params[key]
            if params.get("gvp-tenant-id"):
                doc.facts.tenant = params["gvp-tenant-id"]
            if params.get("agentid"):
                doc.facts.user = params["agentid"]
            if params.get("ani"):
                set_party(doc, "caller", Party(number=params["ani"]), "vendor:genesys")
            if params.get("dnis"):
                set_party(doc, "callee", Party(number=params["dnis"]), "vendor:genesys")
            break
        recorders = [
            p.participant_id for p in doc.participants if (p.aor or "").startswith("sip:record=")
        ]
        if recorders:
            section["recording_legs"] = recorders


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(GenesysDialect())
