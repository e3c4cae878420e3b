"""Encryption at rest and keyed lookup hashes (HOUSE-STYLE: identities stored as a keyed hash
beside an encrypted value)."""
from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app
from sqlalchemy.types import TypeDecorator


def _fernet() -> MultiFernet:
    keys = current_app.config["ENCRYPTION_KEYS"]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> bytes:
    return _fernet().encrypt(value.encode("utf-8"))


def decrypt(token: bytes) -> str:
    return _fernet().decrypt(token).decode("utf-8")


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
