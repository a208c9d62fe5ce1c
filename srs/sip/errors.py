"""Errors raised while reading SIP from the network.

Like h11's ``RemoteProtocolError``, a parse error carries the response the peer deserves
(``status``/``reason``) and, when the request line and some headers could be read, the
``partial`` request so the endpoint can still build that response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from srs.sip.message import SipRequest

_DEFAULT_REASONS = {
    400: "Bad Request",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    505: "Version Not Supported",
    513: "Message Too Large",
}


class SipParseError(ValueError):
    """The peer sent something we cannot read; answer ``status`` when ``partial`` allows."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        reason: str | None = None,
        partial: SipRequest | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason if reason is not None else _DEFAULT_REASONS.get(status, "Bad Request")
        self.partial = partial

    @property
    def warning(self) -> str:
        """Text for a ``Warning: 399`` header in the error response."""
        return self.message

    def __repr__(self) -> str:
        return f"SipParseError({self.message!r}, status={self.status})"
