"""Time-limited signed links: share one recording without a login.

A link carries ``exp`` (Unix seconds) and ``sig`` = HMAC-SHA256(secret, "<id>\\n<exp>"),
base64url without padding.  The signature covers the recording id and the expiry only, so
one link opens that recording's audio (any format or channel), its waveform and its embed
page until it expires; nothing else.  Verification is constant-time and takes ``now``.

The secret is ``[http] signing_secret`` when configured, else a random one generated on
first use and kept in ``<data_dir>/signing_secret`` (mode 0600), so links survive
restarts; deleting that file revokes every outstanding link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.errors import ForbiddenError

SECRET_FILE = "signing_secret"
MIN_TTL = 60
MAX_TTL = 30 * 24 * 3600


class LinkError(ForbiddenError):
    """A signed link that is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class SignedLink:
    recording_id: str
    expires: int
    signature: str

    @property
    def query(self) -> str:
        return f"exp={self.expires}&sig={self.signature}"


class LinkSigner:
    """Signs and checks links with one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("signing secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, recording_id: str, expires: int) -> str:
        message = f"{recording_id}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, recording_id: str, ttl: int, now: float) -> SignedLink:
        """A link to ``recording_id`` valid for ``ttl`` seconds from ``now``."""
        if not MIN_TTL <= ttl <= MAX_TTL:
            raise ValueError(f"ttl {ttl} outside {MIN_TTL}..{MAX_TTL} seconds")
        expires = int(now) + ttl
        return SignedLink(recording_id, expires, self._mac(recording_id, expires))

    def verify(self, recording_id: str, exp: str | None, sig: str | None, now: float) -> int:
        """The expiry of a valid link; :class:`LinkError` saying what is wrong otherwise."""
        if not exp or not sig:
            raise LinkError("signed link needs 'exp' and 'sig' query parameters", field="sig")
        if not exp.isascii() or not exp.isdigit() or len(exp) > 12:
            raise LinkError(f"exp: not a Unix time: {exp!r}", field="exp")
        expires = int(exp)
        if not hmac.compare_digest(self._mac(recording_id, expires), sig):
            raise LinkError("sig: signature does not match this recording and expiry", field="sig")
        if now >= expires:
            raise LinkError(f"link expired {int(now) - expires} s ago", field="exp")
        return expires


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the one persisted in ``data_dir`` (created if absent)."""
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its secret
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value + b"\n")
    return value


_signers: dict[tuple[str | None, Path], LinkSigner] = {}


def signer_for(config: Any) -> LinkSigner:
    """The signer of a :class:`srs.config.Config` (``http.signing_secret`` is read with a
    fallback until the config grows that key)."""
    configured = getattr(config.http, "signing_secret", None) or None
    data_dir = Path(config.storage.data_dir)
    key = (configured, data_dir)
    if key not in _signers:
        _signers[key] = LinkSigner(load_secret(configured, data_dir))
    return _signers[key]
