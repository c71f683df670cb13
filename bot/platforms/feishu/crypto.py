"""Feishu's webhook security: AES-256-CBC bodies and the sha256 request signature.

key = SHA256(encrypt_key); body = base64(IV ‖ AES-256-CBC(PKCS7(json))). The signature is
sha256(timestamp + nonce + encrypt_key + raw body), compared in constant time. `encrypt` is the
inverse of `decrypt`, used by the fake Feishu and the benchmark to produce real traffic.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from typing import Any

from Crypto.Cipher import AES

BLOCK = 16


class CryptoError(ValueError):
    """A body that cannot be decrypted: wrong key, bad base64 or bad padding."""


def _key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


@functools.cache
def _blocks(encrypt_key: str) -> Any:
    """The key's AES block cipher, made once: making one per request cost more than the
    decryption itself on the webhook's ack path (docs/performance.md, "Feishu")."""
    return AES.new(_key(encrypt_key), AES.MODE_ECB)


def decrypt(encrypted: str, encrypt_key: str) -> bytes:
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except ValueError as exc:
        raise CryptoError("not base64") from exc
    if len(raw) < 2 * BLOCK or len(raw) % BLOCK:
        raise CryptoError("wrong length")
    # CBC by hand: each plain block is the block decrypted XOR the cipher block before it (the IV first)
    body = raw[BLOCK:]
    mixed = _blocks(encrypt_key).decrypt(body)
    plain = (int.from_bytes(mixed, "big") ^ int.from_bytes(raw[:len(body)], "big")).to_bytes(len(body), "big")
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad padding")
    return plain[:-pad]


def encrypt(plain: bytes, encrypt_key: str, iv: bytes | None = None) -> str:
    iv = iv or os.urandom(BLOCK)
    pad = BLOCK - len(plain) % BLOCK
    body = AES.new(_key(encrypt_key), AES.MODE_CBC, iv).encrypt(plain + bytes([pad]) * pad)
    return base64.b64encode(iv + body).decode("ascii")


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def signature_ok(timestamp: str, nonce: str, encrypt_key: str, body: bytes, given: str) -> bool:
    return hmac_equal(signature(timestamp, nonce, encrypt_key, body), given.lower())


def hmac_equal(a: str, b: str) -> bool:
    """Constant-time equality for secrets (the verification token)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
