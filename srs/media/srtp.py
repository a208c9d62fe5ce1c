"""SDES-keyed SRTP (RFC 4568) for the receive side, over pylibsrtp.

The recorder only decrypts: one inbound libsrtp session per stream, keyed from the
sender's ``a=crypto`` line, accepting any SSRC.  Failures never raise on the hot path:
``unprotect`` returns ``None`` and counts why.

pylibsrtp exposes only the DTLS profiles (AES-128-CM-SHA1-80/32, AEAD-AES-128/256-GCM).
RFC 6188's AES-256-CM suites use the same libsrtp ABI with a different cipher id and key
length, so they are configured by writing libsrtp's ``srtp_crypto_policy_t`` (six ints,
stable since libsrtp 2.0, size checked at import) — the decryption is verified against an
independent AES-CTR/HMAC implementation in tests.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

import pylibsrtp
from pylibsrtp._binding import ffi

from srs.session.plan import CryptoSpec

# libsrtp ids (srtp/crypto_types.h)
_AES_ICM_128 = 1
_AES_ICM_256 = 5
_HMAC_SHA1 = 3
_CONF_AND_AUTH = 3
_REPLAY_WINDOW = 1024  # recorders see reordering; libsrtp's default is 128


@dataclass(frozen=True)
class SuiteInfo:
    """How to build a libsrtp policy for one RFC 4568 crypto-suite name."""

    profile: int  # pylibsrtp profile used as the base
    key_len: int
    salt_len: int
    # (cipher, cipher_key_len_with_salt, auth, auth_key_len, tag_rtp, tag_rtcp) override
    override: tuple[int, int, int, int, int, int] | None = None

    @property
    def master_len(self) -> int:
        return self.key_len + self.salt_len


SUITES: dict[str, SuiteInfo] = {
    "AES_CM_128_HMAC_SHA1_80": SuiteInfo(pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 16, 14),
    "AES_CM_128_HMAC_SHA1_32": SuiteInfo(pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 16, 14),
    "AES_256_CM_HMAC_SHA1_80": SuiteInfo(
        pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        32,
        14,
        (_AES_ICM_256, 46, _HMAC_SHA1, 20, 10, 10),
    ),
    "AES_256_CM_HMAC_SHA1_32": SuiteInfo(
        pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        32,
        14,
        (_AES_ICM_256, 46, _HMAC_SHA1, 20, 4, 10),
    ),
    "AEAD_AES_128_GCM": SuiteInfo(pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 16, 12),
    "AEAD_AES_256_GCM": SuiteInfo(pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 32, 12),
}
# Older SBCs spell the 256-bit suites like this (draft names).
SUITES["AES_CM_256_HMAC_SHA1_80"] = SUITES["AES_256_CM_HMAC_SHA1_80"]
SUITES["AES_CM_256_HMAC_SHA1_32"] = SUITES["AES_256_CM_HMAC_SHA1_32"]

_OVERRIDE_OK = ffi.sizeof("srtp_crypto_policy_t") == 24


class SrtpError(ValueError):
    """Unusable SDES keying (unknown suite, bad base64, wrong key length)."""


def supported_suites() -> tuple[str, ...]:
    """Suite names this build can decrypt."""
    return tuple(n for n, s in SUITES.items() if s.override is None or _OVERRIDE_OK)


def decode_key_params(suite: str, key_params: str) -> bytes:
    """Master key||salt from an ``inline:`` value (a ``|lifetime|MKI`` tail is ignored)."""
    info = SUITES.get(suite.upper())
    if info is None:
        raise SrtpError(f"unsupported SRTP crypto suite {suite!r}")
    text = key_params.strip()
    if text.lower().startswith("inline:"):
        text = text[7:]
    text = text.split("|", 1)[0]
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SrtpError(f"SRTP key for {suite} is not valid base64") from None
    if len(raw) != info.master_len:
        raise SrtpError(
            f"SRTP key for {suite} is {len(raw)} bytes, expected {info.master_len} "
            f"({info.key_len} key + {info.salt_len} salt)"
        )
    return raw


def _policy(info: SuiteInfo, master: bytes) -> pylibsrtp.Policy:
    policy = pylibsrtp.Policy(
        key=master, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND, srtp_profile=info.profile
    )
    if info.override is not None:
        if not _OVERRIDE_OK:
            raise SrtpError("this libsrtp build cannot be configured for AES-256-CM")
        cipher, cipher_len, auth, auth_len, tag_rtp, tag_rtcp = info.override
        raw = policy._policy
        for field, tag in (("rtp", tag_rtp), ("rtcp", tag_rtcp)):
            ints = ffi.cast("int *", ffi.addressof(raw, field))
            ints[0:6] = [cipher, cipher_len, auth, auth_len, tag, _CONF_AND_AUTH]
    policy.window_size = _REPLAY_WINDOW
    return policy


class SrtpReceiver:
    """Inbound SRTP/SRTCP for one stream; counts failures instead of raising."""

    __slots__ = ("_session", "auth_failures", "other_failures", "suite")

    def __init__(self, crypto: CryptoSpec) -> None:
        info = SUITES.get(crypto.suite.upper())
        if info is None:
            raise SrtpError(f"unsupported SRTP crypto suite {crypto.suite!r}")
        self.suite = crypto.suite.upper()
        self._session = pylibsrtp.Session(
            _policy(info, decode_key_params(self.suite, crypto.key_params))
        )
        self.auth_failures = 0
        self.other_failures = 0  # replay, too short, ...

    def unprotect(self, data: bytes) -> bytes | None:
        try:
            return self._session.unprotect(data)
        except (pylibsrtp.Error, ValueError) as exc:
            self._count(exc)
            return None

    def unprotect_rtcp(self, data: bytes) -> bytes | None:
        try:
            return self._session.unprotect_rtcp(data)
        except (pylibsrtp.Error, ValueError) as exc:
            self._count(exc)
            return None

    def _count(self, exc: Exception) -> None:
        if str(exc) == "authentication failure":
            self.auth_failures += 1
        else:
            self.other_failures += 1


def sender_session(crypto: CryptoSpec) -> pylibsrtp.Session:
    """An outbound session for the same keying (tests, benchmarks, loopback tools)."""
    info = SUITES.get(crypto.suite.upper())
    if info is None:
        raise SrtpError(f"unsupported SRTP crypto suite {crypto.suite!r}")
    policy = _policy(info, decode_key_params(crypto.suite, crypto.key_params))
    policy.ssrc_type = pylibsrtp.Policy.SSRC_ANY_OUTBOUND
    return pylibsrtp.Session(policy)


def generate_crypto(suite: str = "AES_CM_128_HMAC_SHA1_80", tag: int = 1) -> CryptoSpec:
    """Fresh random keying for our answer's ``a=crypto`` line."""
    info = SUITES.get(suite.upper())
    if info is None or suite.upper() not in supported_suites():
        raise SrtpError(f"unsupported SRTP crypto suite {suite!r}")
    key = base64.b64encode(os.urandom(info.master_len)).decode("ascii")
    return CryptoSpec(suite=suite.upper(), key_params=key, tag=tag)
