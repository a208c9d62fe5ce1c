"""SEMS-based SRCs (ProComm/Speechpath): stream labels ``a_leg``/``b_leg``.

The ``a_leg`` stream is the calling leg, so its sender is the caller.  Such SRCs send
``application/rs-metadata`` without ``+xml`` and may omit association elements.
"""

from __future__ import annotations

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.facts import Party
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import children, text
from srs.plugins import hookimpl
from srs_vendor_dialects._common import set_party, vendor_section

LEGS = {"a_leg": "caller", "b_leg": "callee"}


class SemsDialect:
    name = "sems"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        labels = {text(label) for s in children(root, "stream") for label in children(s, "label")}
        return 30 if labels & set(LEGS) else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        section = vendor_section(doc, "sems")
        senders = doc.senders()
        for label, role in LEGS.items():
            pids = senders.get(label, [])
            if len(pids) == 1:
                set_party(doc, role, Party(participant_id=pids[0]), "vendor:sems")
                section[label] = pids[0]


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(SemsDialect())
