"""Small helpers shared by the vendor dialects (not a public API)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from srs.metadata.facts import Party
from srs.metadata.model import MetadataDocument
from srs.metadata.xmlutil import attr, descendants, elements, local_name, text


def first(root: etree._Element, name: str) -> etree._Element | None:
    return next(descendants(root, name), None)


def field_map(element: etree._Element) -> dict[str, str]:
    """Leaf children by lower-cased local name → stripped text (first occurrence wins)."""
    result: dict[str, str] = {}
    for kid in elements(element):
        value = text(kid)
        if value is not None and not list(elements(kid)):
            result.setdefault(local_name(kid).lower(), value)
    return result


def owner_id(element: etree._Element, kind: str) -> str | None:
    """The id of the nearest enclosing ``kind`` element (participant, session, stream)."""
    parent = element.getparent()
    while parent is not None:
        if local_name(parent) == kind:
            return attr(parent, f"{kind}_id", "id")
        parent = parent.getparent()
    return None


def iter_named(root: etree._Element, *names: str) -> Iterator[etree._Element]:
    wanted = {name.lower() for name in names}
    for element in root.iter():
        if isinstance(element.tag, str) and local_name(element).lower() in wanted:
            yield element


def set_party(doc: MetadataDocument, role: str, party: Party, source: str) -> None:
    """Record a vendor-stated caller or callee (merged over what is already known)."""
    current: Party = getattr(doc.facts, role)
    setattr(doc.facts, role, current.merged(party))
    if role == "caller" or doc.facts.caller_source is None:
        doc.facts.caller_source = source


def vendor_section(doc: MetadataDocument, name: str) -> dict[str, object]:
    section = doc.extensions.setdefault(name, {})
    assert isinstance(section, dict)
    return section
