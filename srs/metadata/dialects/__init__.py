"""Built-in metadata dialects: RFC 7865 proper and the pre-RFC draft shape."""

from srs.metadata.dialects.draft import DraftDialect
from srs.metadata.dialects.rfc7865 import Rfc7865Dialect

__all__ = ["DraftDialect", "Rfc7865Dialect"]
