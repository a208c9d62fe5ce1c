"""Namespace-agnostic element access shared by the reader and every dialect.

SRCs bind the recording namespace with or without ``:1``, under a prefix (``tns:``), under
the pre-RFC ``urn:ietf:params:xml:ns:siprec`` or not at all, so the reader matches on local
names within that family and treats every other namespace as an extension.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

RFC7865_NS = "urn:ietf:params:xml:ns:recording:1"
DRAFT_NS = "urn:ietf:params:xml:ns:recording"
SIPREC_NS = "urn:ietf:params:xml:ns:siprec"
CORE_NAMESPACES = frozenset({RFC7865_NS, DRAFT_NS, SIPREC_NS, ""})


def is_element(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.split(":")[-1]


def namespace(element: etree._Element) -> str:
    tag = element.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].split("}", 1)[0]
    return ""


def is_core(element: etree._Element) -> bool:
    return namespace(element) in CORE_NAMESPACES


def elements(parent: etree._Element) -> Iterator[etree._Element]:
    """Child elements (comments and processing instructions skipped)."""
    for child in parent:
        if is_element(child):
            yield child


@lru_cache(maxsize=4096)
def _core_key(tag: str) -> str | None:
    """Lower-case local name of a core-namespace tag, ``None`` for any other namespace.
    Cached per tag string: a document repeats a few dozen tags, and ``children`` is the
    reader's inner loop (it ran these string splits for every child of every lookup)."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return local.lower() if ns in CORE_NAMESPACES else None
    return tag.split(":")[-1].lower()


def children(parent: etree._Element, *names: str) -> Iterator[etree._Element]:
    """Core-namespace children whose local name is one of ``names`` (case-insensitive)."""
    wanted = {name.lower() for name in names}
    for node in parent:
        tag = node.tag
        if isinstance(tag, str) and _core_key(tag) in wanted:
            yield node


def child(parent: etree._Element, *names: str) -> etree._Element | None:
    return next(children(parent, *names), None)


def descendants(root: etree._Element, name: str) -> Iterator[etree._Element]:
    """Every element (any namespace) with this local name, in document order."""
    for element in root.iter():
        if is_element(element) and local_name(element) == name:
            yield element


def all_text(element: etree._Element) -> str:
    """Concatenated text content (lxml's stubs type ``itertext`` loosely)."""
    return "".join(str(part) for part in element.itertext())


def text(element: etree._Element | None) -> str | None:
    """All text inside an element, stripped; ``None`` when absent or blank."""
    if element is None:
        return None
    value = all_text(element).strip()
    return value or None


def raw_text(element: etree._Element | None) -> str | None:
    """Text inside an element as sent (only ``None`` when there is no text at all)."""
    if element is None:
        return None
    value = all_text(element)
    return value if value else None


def attr(element: etree._Element, *names: str) -> str | None:
    """The first present attribute among ``names`` (local names, any prefix), stripped."""
    by_local = {str(key).rsplit("}", 1)[-1]: value for key, value in element.attrib.items()}
    for name in names:
        value = by_local.get(name)
        if value is not None:
            return str(value).strip()
    return None


def to_object(element: etree._Element) -> object:
    """Serialise an extension element to JSON-able data.

    A leaf without attributes becomes its text; otherwise a dict with ``@attr`` keys, child
    local names (a list when repeated) and ``#text``.
    """
    kids = list(elements(element))
    attrs = {f"@{str(k).rsplit('}', 1)[-1]}": str(v) for k, v in element.attrib.items()}
    value = (element.text or "").strip()
    if not kids and not attrs:
        return value
    result: dict[str, object] = dict(attrs)
    for kid in kids:
        key = local_name(kid)
        item = to_object(kid)
        if key in result:
            existing = result[key]
            if isinstance(existing, list):
                existing.append(item)
            else:
                result[key] = [existing, item]
        else:
            result[key] = item
    if value:
        result["#text"] = value
    return result
