"""NetSapiens SiPBx: ``netsapiensExtension`` 1.0/1.1 directly under ``<recording>``.

Reads the tenant (``serviceProviderID``), the platform users with their ``callType``
(``origCall``/``termCall`` give the direction), ``groupSeq`` (an attended transfer is
several SIPREC sessions tied by group id and sequence), 1.1 ``callingParty``/
``calledParty`` (participant id, AOR, name, number), 1.0 ``callingPartyNumber``/
``calledPartyNumber`` and the transfer fields (``byAction``, ``byUserID``, ``byAor``,
``xferredSessionID``, ``xferredGroupID``).
"""

from __future__ import annotations

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.facts import Party
from srs.metadata.identity import normalise_aor
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import attr, elements, local_name, text
from srs.plugins import hookimpl
from srs_vendor_dialects._common import field_map, iter_named, set_party, vendor_section

NAMESPACE = b"schema.netsapiens.com"
_VENDOR_IDS = {
    "byaction": "netsapiens_by_action",
    "byuserid": "netsapiens_by_user_id",
    "xferredsessionid": "netsapiens_xferred_session_id",
    "xferredgroupid": "netsapiens_xferred_group_id",
}


def _party_element(element: etree._Element) -> Party:
    name_id = next(iter_named(element, "nameID"), None)
    number = text(next(iter_named(element, "number"), None))
    return Party(
        number=number,
        name=text(next(iter_named(element, "name"), None)),
        aor=normalise_aor(attr(name_id, "aor")) if name_id is not None else None,
        participant_id=attr(element, "participant_id"),
    )


class NetSapiensDialect:
    name = "netsapiens"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        return 60 if NAMESPACE in raw else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        extension = next(iter_named(root, "netsapiensExtension"), None)
        if extension is None:
            return
        section = vendor_section(doc, "netsapiens")
        fields = field_map(extension)
        section["version"] = attr(extension, "version")
        section["fields"] = fields
        facts = doc.facts
        facts.attributes["netsapiens_version"] = attr(extension, "version") or ""
        if "groupseq" in fields:
            facts.attributes["netsapiens_group_seq"] = fields["groupseq"]
        if fields.get("byaor"):
            facts.attributes["netsapiens_by_aor"] = fields["byaor"]
        facts.tenant = fields.get("serviceproviderid") or facts.tenant
        for key, name in _VENDOR_IDS.items():
            if fields.get(key):
                facts.vendor_ids[name] = fields[key]
        users = []
        for user in (e for e in elements(extension) if local_name(e) == "user"):
            users.append({"user_id": attr(user, "userID"), **field_map(user)})
        section["users"] = users
        call_types = {str(u.get("calltype", "")): str(u.get("user_id")) for u in users}
        if users:
            facts.user = str(users[0].get("user_id"))
        if "origCall" in call_types and "termCall" in call_types:
            facts.direction = "internal"
        elif "origCall" in call_types:
            facts.direction = "outbound"
        elif "termCall" in call_types:
            facts.direction = "inbound"
        for role, tag in (("caller", "callingParty"), ("callee", "calledParty")):
            element = next((e for e in elements(extension) if local_name(e) == tag), None)
            if element is not None:
                set_party(doc, role, _party_element(element), "vendor:netsapiens")
        participant_ids = {p.participant_id for p in doc.participants}
        for role, call_type in (("caller", "origCall"), ("callee", "termCall")):
            user_id = call_types.get(call_type)
            if user_id in participant_ids and getattr(facts, role).participant_id is None:
                set_party(doc, role, Party(participant_id=user_id), "vendor:netsapiens")
        for role, key in (("caller", "callingpartynumber"), ("callee", "calledpartynumber")):
            if fields.get(key):
                set_party(doc, role, Party(number=fields[key]), "vendor:netsapiens")


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(NetSapiensDialect())
