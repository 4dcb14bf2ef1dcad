"""Authenticated encryption and keyed hashes for sensitive fields (PIPL art. 28).

Ciphertexts are `<key id>:<base64(nonce || AES-256-GCM ciphertext)>`, so keys can rotate:
the first key of FIELD_ENCRYPTION_KEYS encrypts, every listed key decrypts. A keyed hash
(HMAC-SHA256 under BLIND_INDEX_KEY) of the normalised value allows exact search without
decrypting. With DEBUG on and no keys configured, keys are derived from SECRET_KEY so that
`make run` needs no set-up; with DEBUG off, missing keys are a configuration error.
"""

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id or tampered data)."""


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


def _decode_key(name: str, text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: key is not valid base64") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name}: key must be 32 bytes, got {len(key)}")
    return key


@lru_cache(maxsize=4)
def _keys(config: tuple[str, ...], secret: str, debug: bool) -> tuple[str, dict[str, bytes]]:
    if not config:
        if not debug:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off")
        return "dev", {"dev": _derive("field-encryption")}
    keys: dict[str, bytes] = {}
    for item in config:
        kid, sep, text = item.partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS entries look like 'keyid:base64key'")
        keys[kid] = _decode_key("FIELD_ENCRYPTION_KEYS", text)
    return config[0].partition(":")[0], keys


def _current_keys() -> tuple[str, dict[str, bytes]]:
    return _keys(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY, settings.DEBUG)


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt with the current key; `context` (e.g. 'grids.resident.id_number') is bound in."""
    kid, keys = _current_keys()
    nonce = os.urandom(12)
    sealed = AESGCM(keys[kid]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{kid}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    _, keys = _current_keys()
    kid, sep, body = token.partition(":")
    if not sep or kid not in keys:
        raise DecryptionError(f"unknown key id {kid!r}")
    try:
        raw = base64.b64decode(body)
        return AESGCM(keys[kid]).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except Exception as exc:  # cryptography raises InvalidTag; bad base64 raises binascii.Error
        raise DecryptionError("stored value failed authentication") from exc


def blind_index(value: str, *, context: str) -> str:
    """Keyed hash of a normalised value, for exact-match search on encrypted columns."""
    if settings.BLIND_INDEX_KEY:
        key = _decode_key("BLIND_INDEX_KEY", settings.BLIND_INDEX_KEY)
    elif settings.DEBUG:
        key = _derive("blind-index")
    else:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be set when DEBUG is off")
    return hmac.new(key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()
