"""AudioCodes Mediant SBC: draft-shaped metadata with E.164 participant ids.

Declares ``xmlns:ac="http://AudioCodes"`` (unused in the published sample), uses the
namespace without ``:1``, ``id=``/``session=`` attributes, send/recv inside
``<participant>``, and participant ids that are the parties' E.164 numbers.
"""

from __future__ import annotations

import re

from lxml import etree

from srs.metadata.dialect import DialectRegistry
from srs.metadata.identity import phone_number
from srs.metadata.model import MetadataDocument
from srs.plugins import hookimpl
from srs_vendor_dialects._common import vendor_section

_MARKER = re.compile(rb"xmlns:ac\s*=\s*[\"']http://AudioCodes", re.IGNORECASE)


class AudioCodesDialect:
    name = "audiocodes"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        return 50 if _MARKER.search(raw) else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        numbered = []
        for participant in doc.participants:
            number = phone_number(participant.participant_id)
            if number and participant.number is None:
                participant.number = number
            if number:
                numbered.append(participant.participant_id)
        vendor_section(doc, "audiocodes")["e164_participant_ids"] = numbered


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    registry.register(AudioCodesDialect())
