"""Cisco BroadWorks / Webex Calling as SRC.

BroadWorks sends pre-RFC metadata (``urn:ietf:params:xml:ns:siprec``, root
``recording_metadata``, ``<dataMode>``) with one **mixed** stream (both parties in one RTP
stream) and a ``broadWorksRecordingMetadata`` extension (versions 1.0, 2.0, 3.0) carrying
the enterprise context: ``serviceProviderID``, ``groupID``, ``userID``, ``callID``,
``extTrackingID``, ``callType``.  Fields are read by local name whatever the version; the
element layout is written from the vendor's interface description, not from a capture
(the only capture in the corpus had its tags stripped, and is scavenged for
``callhalf-…`` call ids and the external tracking id).
"""

from __future__ import annotations

import re

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.facts import Party
from srs.metadata.identity import normalise_aor, phone_number, uri_user
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import SIPREC_NS, all_text, attr, local_name, namespace
from srs.plugins import hookimpl
from srs_vendor_dialects._common import field_map, iter_named, set_party, vendor_section

_CALL_ID = re.compile(r"callhalf-\d+:\d+")
_TRACKING = re.compile(r"(?<![\d:-])(\d{4,}:\d+)(?=\D|$)")
_DIRECTIONS = {"orig": "outbound", "term": "inbound"}
_IDS = {"exttrackingid": "broadworks_ext_tracking_id", "callid": "broadworks_call_id"}


class BroadWorksDialect:
    name = "broadworks"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        if b"broadWorksRecordingMetadata" in raw:
            return 70
        if local_name(root) == "recording_metadata" or namespace(root) == SIPREC_NS:
            return 50
        return 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        section = vendor_section(doc, "broadworks")
        extension = next(iter_named(root, "broadWorksRecordingMetadata"), None)
        if extension is not None:
            fields = field_map(extension)
            section["version"] = attr(extension, "version")
            section["fields"] = fields
            doc.facts.attributes["broadworks_metadata_version"] = attr(extension, "version") or ""
            for key, name in _IDS.items():
                if fields.get(key):
                    doc.facts.vendor_ids[name] = fields[key]
            doc.facts.tenant = fields.get("serviceproviderid") or doc.facts.tenant
            doc.facts.group = fields.get("groupid") or doc.facts.group
            doc.facts.user = fields.get("userid") or doc.facts.user
            call_type = fields.get("calltype", "").lower()
            for marker, direction in _DIRECTIONS.items():
                if call_type.startswith(marker):
                    doc.facts.direction = direction  # type: ignore[assignment]
            for role, key in (("caller", "callingpartynumber"), ("callee", "calledpartynumber")):
                if fields.get(key):
                    set_party(doc, role, Party(number=fields[key]), "vendor:broadworks")
            for role, key in (("caller", "callingpartyaor"), ("callee", "calledpartyaor")):
                if fields.get(key):
                    aor = normalise_aor(fields[key])
                    party = Party(aor=aor, number=phone_number(uri_user(aor)))
                    set_party(doc, role, party, "vendor:broadworks")
        if any(s.mode == "mixed" for s in doc.streams):
            section["mixed_streams"] = [s.label for s in doc.streams if s.mode == "mixed"]
        if "scavenged" in doc.extensions:
            blob = all_text(root)
            call_ids = _CALL_ID.findall(blob)
            tracking = [t for t in _TRACKING.findall(blob) if f"callhalf-{t}" not in blob]
            if call_ids:
                doc.facts.vendor_ids["broadworks_call_id"] = call_ids[0]
            if tracking:
                doc.facts.vendor_ids["broadworks_ext_tracking_id"] = tracking[0]
            section["scavenged"] = {"call_ids": call_ids, "tracking_ids": tracking}


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(BroadWorksDialect())
