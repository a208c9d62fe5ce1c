"""SRTP receive side: SDES key parsing, every suite, failures counted, and the AES-CM
suites checked byte for byte against an independent RFC 3711 implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from aiortc.rtp import RtpPacket
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from srs.media.srtp import (
    SrtpError,
    SrtpReceiver,
    decode_key_params,
    generate_crypto,
    sender_session,
    supported_suites,
)
from srs.session.plan import CryptoSpec

ALL = [
    "AES_CM_128_HMAC_SHA1_80",
    "AES_CM_128_HMAC_SHA1_32",
    "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32",
    "AEAD_AES_128_GCM",
    "AEAD_AES_256_GCM",
]


def rtp(seq: int, ssrc: int = 0xCAFE) -> bytes:
    return RtpPacket(
        payload_type=0, sequence_number=seq, timestamp=seq * 160, ssrc=ssrc, payload=b"\x55" * 160
    ).serialize()


def test_all_rfc_suites_supported() -> None:
    assert set(ALL) <= set(supported_suites())


@pytest.mark.parametrize("suite", ALL)
def test_round_trip_and_failures_counted(suite: str) -> None:
    crypto = generate_crypto(suite)
    tx, rx = sender_session(crypto), SrtpReceiver(crypto)
    for seq in range(5):
        assert rx.unprotect(tx.protect(rtp(seq))) == rtp(seq)
    forged = bytearray(tx.protect(rtp(5)))
    forged[20] ^= 0x01  # payload bit flip
    assert rx.unprotect(bytes(forged)) is None
    assert (rx.auth_failures, rx.other_failures) == (1, 0)
    replay = tx.protect(rtp(6))
    assert rx.unprotect(replay) == rtp(6)
    assert rx.unprotect(replay) is None
    assert (rx.auth_failures, rx.other_failures) == (1, 1)
    report = bytes.fromhex("80c90001") + (0xCAFE).to_bytes(4, "big")
    assert rx.unprotect_rtcp(tx.protect_rtcp(report)) == report
    forged_rtcp = bytearray(tx.protect_rtcp(report))
    forged_rtcp[6] ^= 0x01
    assert rx.unprotect_rtcp(bytes(forged_rtcp)) is None
    assert rx.auth_failures == 2


def test_other_key_fails_authentication() -> None:
    tx = sender_session(generate_crypto())
    rx = SrtpReceiver(generate_crypto())
    assert rx.unprotect(tx.protect(rtp(1))) is None
    assert rx.auth_failures == 1


def test_several_ssrcs_in_one_session() -> None:
    crypto = generate_crypto()
    tx, rx = sender_session(crypto), SrtpReceiver(crypto)
    for ssrc in (1, 2, 3):
        assert rx.unprotect(tx.protect(rtp(10, ssrc))) == rtp(10, ssrc)


def test_key_params_forms() -> None:
    raw = bytes(range(30))
    text = base64.b64encode(raw).decode()
    suite = "AES_CM_128_HMAC_SHA1_80"
    assert decode_key_params(suite, text) == raw
    assert decode_key_params(suite, f"inline:{text}|2^20|1:4") == raw
    assert decode_key_params(suite.lower(), text.rstrip("=")) == raw  # unpadded base64


@pytest.mark.parametrize(
    ("suite", "key", "message"),
    [
        ("F8_128_HMAC_SHA1_80", "AAAA", "unsupported SRTP crypto suite 'F8_128_HMAC_SHA1_80'"),
        (
            "AES_CM_128_HMAC_SHA1_80",
            "!!notbase64",
            "SRTP key for AES_CM_128_HMAC_SHA1_80 is not valid base64",
        ),
        (
            "AES_CM_128_HMAC_SHA1_80",
            base64.b64encode(b"x" * 16).decode(),
            "SRTP key for AES_CM_128_HMAC_SHA1_80 is 16 bytes, expected 30 (16 key + 14 salt)",
        ),
        (
            "AEAD_AES_256_GCM",
            base64.b64encode(b"x" * 30).decode(),
            "SRTP key for AEAD_AES_256_GCM is 30 bytes, expected 44 (32 key + 12 salt)",
        ),
    ],
)
def test_key_errors(suite: str, key: str, message: str) -> None:
    with pytest.raises(SrtpError) as info:
        SrtpReceiver(CryptoSpec(suite, key))
    assert str(info.value) == message


def test_generate_crypto() -> None:
    a, b = (
        generate_crypto("AES_256_CM_HMAC_SHA1_80", tag=3),
        generate_crypto("AES_256_CM_HMAC_SHA1_80"),
    )
    assert a.tag == 3 and a.suite == "AES_256_CM_HMAC_SHA1_80"
    assert len(base64.b64decode(a.key_params)) == 46
    assert a.key_params != b.key_params
    with pytest.raises(SrtpError, match="unsupported SRTP crypto suite 'NULL'"):
        generate_crypto("NULL")


# --- an independent RFC 3711 (and RFC 6188) AES-CM/HMAC-SHA1 reference ---


def _aes_ctr(key: bytes, iv: int, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv.to_bytes(16, "big"))).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _kdf(master_key: bytes, master_salt: bytes, label: int, size: int) -> bytes:
    """RFC 3711 §4.3.1 with key_derivation_rate 0, §4.3.3 AES-CM PRF."""
    x = int.from_bytes(master_salt, "big") ^ (label << 48)
    return _aes_ctr(master_key, x << 16, b"\x00" * size)


def reference_protect(packet: bytes, master: bytes, key_len: int, tag_len: int) -> bytes:
    master_key, master_salt = master[:key_len], master[key_len:]
    k_e = _kdf(master_key, master_salt, 0, key_len)
    k_a = _kdf(master_key, master_salt, 1, 20)
    k_s = _kdf(master_key, master_salt, 2, 14)
    seq = int.from_bytes(packet[2:4], "big")
    ssrc = int.from_bytes(packet[8:12], "big")
    iv = (int.from_bytes(k_s, "big") << 16) ^ (ssrc << 64) ^ (seq << 16)  # ROC 0
    encrypted = packet[:12] + _aes_ctr(k_e, iv, packet[12:])
    tag = hmac.new(k_a, encrypted + b"\x00\x00\x00\x00", hashlib.sha1).digest()[:tag_len]
    return encrypted + tag


@pytest.mark.parametrize(
    ("suite", "key_len", "tag_len"),
    [
        ("AES_CM_128_HMAC_SHA1_80", 16, 10),
        ("AES_CM_128_HMAC_SHA1_32", 16, 4),
        ("AES_256_CM_HMAC_SHA1_80", 32, 10),
        ("AES_256_CM_HMAC_SHA1_32", 32, 4),
    ],
)
def test_aes_cm_matches_independent_reference(suite: str, key_len: int, tag_len: int) -> None:
    crypto = generate_crypto(suite)
    master = decode_key_params(suite, crypto.key_params)
    expected = [reference_protect(rtp(seq), master, key_len, tag_len) for seq in (1, 2, 700)]
    tx = sender_session(crypto)
    assert [tx.protect(rtp(seq)) for seq in (1, 2, 700)] == expected
    rx = SrtpReceiver(crypto)
    assert [rx.unprotect(p) for p in expected] == [rtp(1), rtp(2), rtp(700)]
