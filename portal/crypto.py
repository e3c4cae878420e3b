"""Encryption at rest and keyed lookup hashes (HOUSE-STYLE: identities stored as a keyed hash
beside an encrypted value)."""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app
from sqlalchemy.types import TypeDecorator


def fernets() -> tuple[Fernet, ...]:
    """The configured keys, newest (the one that encrypts) first; key rotation uses them too
    (portal/keys.py)."""
    return _fernets(tuple(current_app.config["ENCRYPTION_KEYS"]))


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    return tuple(Fernet(key) for key in keys)


def _fernet() -> MultiFernet:
    return MultiFernet(fernets())


def encrypt_bytes(value: bytes) -> bytes:
    return _fernet().encrypt(bytes(value))


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))


def encrypt(value: str) -> bytes:
    return encrypt_bytes(value.encode("utf-8"))


def decrypt(token: bytes) -> str:
    return decrypt_bytes(token).decode("utf-8")


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised identifier, to find a record without decrypting all."""
    key = current_app.config["LOOKUP_KEY"].encode("utf-8")
    return hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator):
    """Free text encrypted with the current key; older keys still decrypt (rotation)."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(bytes(value))


class EncryptedBytes(TypeDecorator):
    """Binary content (a letter's PDF) encrypted at rest like EncryptedText."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt_bytes(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt_bytes(value)
