"""Ribbon (Sonus) SBC: ``tns:``-prefixed draft namespace and the ``callData`` extension.

``callData`` (``urn:ietf:params:xml:ns:callData``, un-prefixed inside ``tns:group``) holds
the original call's escaped From/To headers, Call-ID and the Sonus GCID.  The From names
the caller: it is matched to a participant by AOR, else the participant that is not the
matched callee is taken (Sonus lists the caller first, but on label 2).
"""

from __future__ import annotations

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.facts import Party
from srs.metadata.identity import normalise_aor, parse_name_addr, phone_number, uri_user
from srs.metadata.model import MetadataDocument, Participant
from srs.plugins import hookimpl
from srs_vendor_dialects._common import field_map, iter_named, set_party, vendor_section

CALL_DATA_NS = b"urn:ietf:params:xml:ns:callData"


def _plain(aor: str | None) -> str | None:
    return aor.split(";", 1)[0].lower() if aor else None


def _party(header: str | None) -> Party | None:
    if not header:
        return None
    display, uri = parse_name_addr(header)
    aor = normalise_aor(uri.split(";", 1)[0]) if uri else None
    return Party(name=display, aor=aor, number=phone_number(uri_user(aor)))


def _match(participants: list[Participant], party: Party) -> Participant | None:
    return next((p for p in participants if _plain(p.aor) == _plain(party.aor)), None)


class RibbonDialect:
    name = "ribbon"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        return 60 if CALL_DATA_NS in raw else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        element = next(iter_named(root, "callData"), None)
        if element is None:
            return
        fields = field_map(element)
        vendor_section(doc, "ribbon")["call_data"] = fields
        if fields.get("callid"):
            doc.facts.vendor_ids["call_data_call_id"] = fields["callid"]
        if fields.get("gcid"):
            doc.facts.vendor_ids["gcid"] = fields["gcid"]
        caller, callee = _party(fields.get("fromhdr")), _party(fields.get("tohdr"))
        real = [p for p in doc.participants if not p.placeholder]
        matched_caller = _match(real, caller) if caller else None
        matched_callee = _match(real, callee) if callee else None
        if matched_caller is None and matched_callee is not None:
            matched_caller = next((p for p in real if p is not matched_callee), None)
        if matched_callee is None and matched_caller is not None:
            matched_callee = next((p for p in real if p is not matched_caller), None)
        for role, party, participant in (
            ("caller", caller, matched_caller),
            ("callee", callee, matched_callee),
        ):
            found = party or Party()
            if participant is not None:
                found = Party(
                    number=found.number or participant.number,
                    name=found.name or participant.name,
                    aor=participant.aor,
                    participant_id=participant.participant_id,
                )
            if not found.empty():
                set_party(doc, role, found, "vendor:ribbon")


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(RibbonDialect())
