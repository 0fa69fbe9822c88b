"""Protecting the identity of the people placed: a keyed hash of the national ID number and
an encrypted full name. Bytes and strings in, bytes and strings out; no ORM, no HTTP.

- The national ID number (12-digit CCCD, or 9-digit CMND) is never stored: only its
  HMAC-SHA256 under PERSON_ID_HMAC_KEY. The same number always gives the same identifier,
  so a person reported twice is found again, but the number cannot be read back, and
  without the key nobody can test guesses against the stored values.
- The full name is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under PERSON_NAME_KEYS;
  MultiFernet lets a new key be put first while older ones still decrypt.

Nothing here logs a value, and no exception carries one: callers must not log them either.
"""

import hashlib
import hmac
import re
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

# Spaces of every kind (including the no-break space spreadsheets like), dots and dashes
# people type between groups of digits.
_SEPARATORS = re.compile(r"[\s.\-]+")
_NATIONAL_ID = re.compile(r"^(\d{12}|\d{9})$")


class InvalidNationalId(ValueError):
    """Not a 12-digit citizen identity number nor a 9-digit old identity card number.

    The message never contains the value: exceptions end up in logs."""

    def __init__(self):
        super().__init__("invalid national ID number")


def normalise_national_id(raw: str) -> str:
    """The digits of a CCCD (12) or an old CMND (9), separators removed; else InvalidNationalId."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(raw or "")))
    if not _NATIONAL_ID.match(digits):
        raise InvalidNationalId
    return digits


def national_id_hash(raw: str) -> str:
    """HMAC-SHA256 (hex) of the normalised number under PERSON_ID_HMAC_KEY."""
    return hmac.new(_hmac_key(), normalise_national_id(raw).encode(), hashlib.sha256).hexdigest()


def normalise_name(raw: str) -> str:
    """Composed Unicode (Vietnamese letters typed either way compare equal), single spaces."""
    return " ".join(unicodedata.normalize("NFC", str(raw or "")).split())


def name_fingerprint(name: str) -> str:
    """A name reduced for comparison only: no case, no tone marks, đ as d, single spaces.

    Lists typed without Vietnamese diacritics ("Nguyen Van An") still match the stored name.
    """
    decomposed = unicodedata.normalize("NFD", normalise_name(name).casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.replace("đ", "d")


def encrypt_name(name: str) -> str:
    """The Fernet token (ASCII) of the normalised name, under the first key."""
    return _fernet().encrypt(normalise_name(name).encode()).decode("ascii")


def decrypt_name(token: str) -> str:
    """The name in clear. Raises ImproperlyConfigured if no configured key can decrypt it
    (a key was removed from PERSON_NAME_KEY before the names were re-encrypted)."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored name cannot be decrypted with PERSON_NAME_KEY: was a key removed?"
        ) from exc


def rotate_name(token: str) -> str:
    """The same name re-encrypted under the first key (for key rotation)."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def encrypt_bytes(data: bytes) -> bytes:
    """An uploaded file held for a moment between upload and reading, encrypted at rest."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))


@cache
def _keys(hmac_key: str, name_keys: tuple[str, ...]) -> tuple[bytes, MultiFernet]:
    if len(hmac_key) < 16:
        raise ImproperlyConfigured("PERSON_ID_HMAC_KEY must be at least 16 characters long.")
    if not name_keys:
        raise ImproperlyConfigured("PERSON_NAME_KEY must hold at least one Fernet key.")
    try:
        fernets = [Fernet(key) for key in name_keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "PERSON_NAME_KEY must be comma-separated Fernet keys (urlsafe base64 of 32 bytes; "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from exc
    return hmac_key.encode(), MultiFernet(fernets)


_KEY_SETTINGS = ("PERSON_ID_HMAC_KEY", "PERSON_NAME_KEYS")
_current: tuple[bytes, MultiFernet] | None = None


def _configured():
    # Kept until a key setting changes (tests override them): an import hashes and encrypts
    # tens of thousands of values, and reading two settings each time was a tenth of it.
    global _current
    if _current is None:
        _current = _keys(settings.PERSON_ID_HMAC_KEY, tuple(settings.PERSON_NAME_KEYS))
    return _current


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs) -> None:
    global _current
    if setting in _KEY_SETTINGS:
        _current = None


def _hmac_key() -> bytes:
    return _configured()[0]


def _fernet() -> MultiFernet:
    return _configured()[1]


@register("security")
def check_person_keys(app_configs=None, **kwargs):
    """`manage.py check` (and every start) fails on a malformed key, before any data."""
    try:
        _configured()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="partnerships.E001")]
    return []
