"""Encryption at rest for secrets (OAuth tokens, integration credentials): Fernet, rotatable.

Keys come from BURROW_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first); without it one key is
derived from the secret key. MultiFernet decrypts with any listed key and encrypts with the first."""

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(secret_key: str, configured: tuple[str, ...]) -> MultiFernet:
    derived = base64.urlsafe_b64encode(hashlib.sha256(b"burrow-encryption:" + secret_key.encode()).digest())
    keys = [Fernet(k.encode()) for k in configured] + [Fernet(derived)]
    return MultiFernet(keys)


def fernet() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(settings.ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


class EncryptedJSONField(models.TextField):
    """A JSON value stored as a Fernet token. Never serialise it in an API response."""

    def from_db_value(self, value: str | None, expression, connection) -> Any:
        if value is None or value == "":
            return {}
        try:
            return json.loads(decrypt_text(value))
        except (InvalidToken, ValueError):
            return {}  # unreadable (wrong key): treat as empty rather than crash a request

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str:
        return encrypt_text(json.dumps(value if value is not None else {}))
