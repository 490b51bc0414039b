"""The only code that encrypts or decrypts stored secrets (API keys, journal snapshots, cached
handlers, pending imports, saved set-ups, bulk deletes under way).

Keys come from FIELD_ENCRYPTION_KEYS, newest first: the first encrypts, all of them decrypt,
so a new key can be put in front and `manage.py rotate_encryption_keys` re-encrypts the rest.
A structured value is sealed one way everywhere: JSON, encrypted (`seal`, `unseal`).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored value cannot be read with any configured key."""


_UNREADABLE = "stored value cannot be decrypted with FIELD_ENCRYPTION_KEYS"


@cache
def _singles(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    try:
        return tuple(Fernet(key.encode()) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be a comma-separated list of Fernet keys "
            "(32 url-safe base64-encoded bytes each)."
        ) from exc


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(list(_singles(keys)))


def _keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    return _fernet(_keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(_UNREADABLE) from exc


def seal(value: Any) -> str:
    """A JSON value, encrypted."""
    return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def unseal(token: str) -> Any:
    """What `seal` stored; DecryptionError when no key reads it or it holds no JSON."""
    plain = decrypt(token)
    try:
        return json.loads(plain)
    except ValueError as exc:
        raise DecryptionError("stored value is not a sealed JSON value") from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the newest key."""
    try:
        return _fernet(_keys()).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(_UNREADABLE) from exc


def key_index(token: str) -> int | None:
    """Which of FIELD_ENCRYPTION_KEYS reads a stored value (0 is the first, the one that
    encrypts); None when none of them does."""
    for index, fernet in enumerate(_singles(_keys())):
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            continue
        return index
    return None


def generate_key() -> str:
    return Fernet.generate_key().decode()
