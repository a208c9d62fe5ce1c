"""The built-in metadata dialects (RFC 7865 and the pre-RFC draft) as a plugin.

Registering them through ``srs_register_metadata_dialects`` like any vendor dialect means
``SRS_DISABLE_PLUGINS`` and ``srs plugins`` treat them the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from srs.plugins import hookimpl

if TYPE_CHECKING:
    from srs.metadata.dialect import DialectRegistry


@hookimpl
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    from srs.metadata.dialects import DraftDialect, Rfc7865Dialect

    registry.register(Rfc7865Dialect())
    registry.register(DraftDialect())
