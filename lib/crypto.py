"""Encryption at rest for secrets that must stay printable (the invigilator password).

A hash would not do: the centre prints the password in the kit whenever it needs to.
Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, the first encrypts,
all decrypt, for rotation); without it a key is derived from SECRET_KEY.
"""

import base64
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"vigie-field-encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    raw = [k.encode() for k in keys] or [_derived_key(secret_key)]
    return MultiFernet([Fernet(k) for k in raw])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str, *, ttl: int | None = None) -> str:
    """The plaintext; with `ttl`, a token made more than `ttl` seconds ago is refused
    (cryptography.fernet.InvalidToken, like a forged one)."""
    return _current().decrypt(token.encode(), ttl=ttl).decode()
