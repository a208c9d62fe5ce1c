"""RFC 7865 as published: ``urn:ietf:params:xml:ns:recording:1`` under any prefix."""

from __future__ import annotations

from lxml import etree

from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import RFC7865_NS, local_name, namespace


class Rfc7865Dialect:
    """Nothing to add to the generic reader; it only claims RFC-namespace documents."""

    name = "rfc7865"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        if local_name(root) == "recording" and namespace(root) == RFC7865_NS:
            return 2
        return 1 if local_name(root) == "recording" else 0

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        if namespace(root) not in (RFC7865_NS,) and local_name(root) == "recording":
            doc.warnings.append(
                f"root namespace {namespace(root) or '(none)'!r} is not {RFC7865_NS!r}"
            )
