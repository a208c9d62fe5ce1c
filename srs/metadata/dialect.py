"""Metadata dialects: how one SRC family deviates from or extends RFC 7865.

A dialect scores how sure it is that a document is its own (``recognise``) and enriches a
document already read by the generic reader (``normalise``).  Every dialect scoring above
zero is applied, lowest score first, so a vendor dialect (Oracle, score 50) builds on the
structural one (``draft``, score 10) and a more specific one (Genesys-via-Oracle, 60) on the
vendor.  The highest scorer names the document's ``dialect``.  Vendor dialects live in the
``srs-vendor-dialects`` distribution and register through ``srs_register_metadata_dialects``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from lxml import etree

if TYPE_CHECKING:
    from srs.metadata.model import MetadataDocument


@runtime_checkable
class MetadataDialect(Protocol):
    name: str

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        """0 = not mine; higher = more specific (built-ins use 1-10, vendors 20-90)."""
        ...

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        """Add what the generic reader could not know; must not raise on odd input."""
        ...


class DialectRegistry:
    """Named dialects; registering a name twice replaces the earlier one."""

    def __init__(self) -> None:
        self._dialects: dict[str, MetadataDialect] = {}

    def register(self, dialect: MetadataDialect) -> None:
        if not dialect.name:
            raise ValueError("a metadata dialect needs a non-empty name")
        self._dialects[dialect.name] = dialect

    def names(self) -> list[str]:
        return sorted(self._dialects)

    def get(self, name: str) -> MetadataDialect | None:
        return self._dialects.get(name)

    def matching(self, root: etree._Element, raw: bytes) -> list[tuple[int, MetadataDialect]]:
        """Dialects with a positive score, lowest first (the order they are applied in)."""
        scored: list[tuple[int, MetadataDialect]] = []
        for dialect in self._dialects.values():
            try:
                score = int(dialect.recognise(root, raw))
            except Exception:  # a broken plugin must not break parsing
                continue
            if score > 0:
                scored.append((score, dialect))
        scored.sort(key=lambda item: (item[0], item[1].name))
        return scored

    def best_for(self, root: etree._Element, raw: bytes) -> MetadataDialect | None:
        found = self.matching(root, raw)
        return found[-1][1] if found else None
