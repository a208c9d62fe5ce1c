"""SDES-SRTP keying (RFC 4568): which offered ``a=crypto`` we can use, and our own key.

The recorder only *receives*: the sender's key (its ``a=crypto`` in the offer) is what we
decrypt with, and our answer carries a fresh key of the same suite only because the
answer must.  Key lengths are checked so a truncated or redacted key is skipped instead of
failing later in libsrtp.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence

from srs.sdp.attributes import Crypto, KeyParam
from srs.session.plan import CryptoSpec

# Suite → master key + salt length in bytes (RFC 4568 §6.2, RFC 6188, RFC 7714).
SUITE_KEY_SALT_LENGTHS: dict[str, int] = {
    "AES_CM_128_HMAC_SHA1_80": 30,
    "AES_CM_128_HMAC_SHA1_32": 30,
    "AES_256_CM_HMAC_SHA1_80": 46,
    "AES_256_CM_HMAC_SHA1_32": 46,
    "AEAD_AES_128_GCM": 28,
    "AEAD_AES_256_GCM": 44,
}

SECURE_PROTOS = frozenset({"RTP/SAVP", "RTP/SAVPF"})
PLAIN_PROTOS = frozenset({"RTP/AVP", "RTP/AVPF"})


def key_length_ok(crypto: Crypto) -> bool:
    """The first key decodes from base64 to exactly the suite's key+salt length."""
    expected = SUITE_KEY_SALT_LENGTHS.get(crypto.suite.upper())
    if expected is None or not crypto.keys:
        return False
    try:
        raw = base64.b64decode(crypto.keys[0].key_salt, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == expected


def first_usable(offered: Sequence[Crypto]) -> Crypto | None:
    """The first offered line with a suite we support and a well-formed key."""
    for crypto in offered:
        if key_length_ok(crypto):
            return crypto
    return None


def local_crypto(tag: int, suite: str, random_bytes: Callable[[int], bytes]) -> Crypto:
    """Our answer line: same tag and suite, fresh random key."""
    length = SUITE_KEY_SALT_LENGTHS[suite.upper()]
    key = base64.b64encode(random_bytes(length)).decode("ascii")
    return Crypto(tag, suite.upper(), (KeyParam(key),))


def sender_spec(crypto: Crypto) -> CryptoSpec:
    """What the media layer needs to decrypt the sender's packets (lifetime/MKI stripped)."""
    return CryptoSpec(
        suite=crypto.suite.upper(), key_params=crypto.keys[0].key_salt, tag=crypto.tag
    )
