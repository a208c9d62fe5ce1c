"""``parse_metadata``: bytes in, a fully normalised MetadataDocument out, never an exception."""

from __future__ import annotations

from srs.metadata.derive import derive_facts
from srs.metadata.dialect import DialectRegistry
from srs.metadata.loader import load_xml
from srs.metadata.model import MetadataDocument
from srs.metadata.reader import read_document
from srs.metadata.registry import process_registry

METADATA_MEDIA_TYPES = ("application/rs-metadata+xml", "application/rs-metadata")


def _check_content_type(doc: MetadataDocument) -> None:
    if doc.content_type is None:
        return
    media = doc.content_type.split(";", 1)[0].strip().lower()
    if media not in METADATA_MEDIA_TYPES:
        doc.errors.append(f"unexpected content type {doc.content_type!r}")
    elif media == "application/rs-metadata":
        doc.warnings.append("content type 'application/rs-metadata' lacks '+xml' (RFC 7866)")


def _check_references(doc: MetadataDocument) -> None:
    if doc.data_mode != "complete":  # partial updates refer to earlier versions by design
        return
    for assoc in doc.participant_stream_assocs:
        if doc.participant(assoc.participant) is None:
            doc.warnings.append(
                f"stream association for undeclared participant {assoc.participant!r}"
            )
        for ref in assoc.send + assoc.recv:
            if doc.stream(ref) is None:
                doc.warnings.append(
                    f"participant {assoc.participant!r} references stream {ref!r} "
                    "not declared in this document"
                )


def _parse(doc: MetadataDocument, registry: DialectRegistry) -> None:
    _check_content_type(doc)
    loaded = load_xml(doc.raw)
    doc.well_formed = loaded.well_formed
    doc.recovered = loaded.recovered
    doc.errors.extend(loaded.errors)
    root = loaded.root
    if root is None:
        return
    read_document(root, doc)
    for _score, dialect in registry.matching(root, doc.raw):
        try:
            dialect.normalise(root, doc.raw, doc)
        except Exception as exc:  # a faulty dialect must not lose the document
            doc.errors.append(f"dialect {dialect.name!r} failed: {exc!r}")
        doc.dialects.append(dialect.name)
    if doc.dialects:
        doc.dialect = doc.dialects[-1]
    if not doc.data_mode_stated and doc.root_tag is not None and not loaded.fragment:
        doc.warnings.append("no <datamode>; assumed complete")
    _check_references(doc)


def parse_metadata(
    raw: bytes, content_type: str | None = None, *, registry: DialectRegistry | None = None
) -> MetadataDocument:
    """Parse one metadata body (RFC 7865 or any known dialect); never raises.

    ``registry`` defaults to the built-ins plus installed vendor dialects.
    """
    if isinstance(raw, str):  # be forgiving with callers holding text
        raw = raw.encode("utf-8")
    doc = MetadataDocument(raw=bytes(raw), content_type=content_type)
    try:
        _parse(doc, registry if registry is not None else process_registry())
        derive_facts(doc)
    except Exception as exc:  # last line of defence; tests assert this never shows
        doc.errors.append(f"internal error: {exc!r}")
    return doc
