"""Feishu webhook crypto against the official vector, and round trips."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.platforms.feishu import crypto


def test_official_decryption_vector() -> None:
    assert crypto.decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key") == b"hello world"


@given(st.binary(max_size=300), st.text(min_size=1, max_size=40))
def test_encrypt_then_decrypt(plain: bytes, key: str) -> None:
    assert crypto.decrypt(crypto.encrypt(plain, key), key) == plain


@pytest.mark.parametrize("bad", ["not base64!!", "aGVsbG8=", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="])
def test_wrong_input_or_key_is_a_crypto_error(bad: str) -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(bad, "another key")


def test_signature_covers_every_part() -> None:
    sig = crypto.signature("1700000000", "nonce", "key", b'{"a":1}')
    assert crypto.signature_ok("1700000000", "nonce", "key", b'{"a":1}', sig)
    assert crypto.signature_ok("1700000000", "nonce", "key", b'{"a":1}', sig.upper())
    for args in (("1700000001", "nonce", "key", b'{"a":1}'), ("1700000000", "nonce2", "key", b'{"a":1}'),
                 ("1700000000", "nonce", "key2", b'{"a":1}'), ("1700000000", "nonce", "key", b'{"a":2}')):
        assert not crypto.signature_ok(*args, sig)
    assert not crypto.signature_ok("1700000000", "nonce", "key", b"{}", "签名")
