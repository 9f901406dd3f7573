"""Personal data at rest: Fernet encryption plus a keyed hash (HMAC-SHA256) for lookup.

The key lives in a file outside the database (like the ledger's signing key), created on
first use: a database dump alone reveals no phone or ID number. The lookup key is derived
from it with HKDF, so one file holds both.
"""

import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def key_path() -> Path:
    configured = getattr(settings, "MEMBERS_PII_KEY_PATH", None)
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "keys" / "members-pii.key"


def _load_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; use its key
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


@lru_cache(maxsize=4)
def _keys(path: str) -> tuple[Fernet, bytes]:
    raw = _load_or_create(Path(path))
    lookup = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"linli members lookup v1"
    ).derive(raw)
    return Fernet(raw), lookup


def encrypt(text: str) -> str:
    fernet, _lookup = _keys(str(key_path()))
    return fernet.encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    fernet, _lookup = _keys(str(key_path()))
    return fernet.decrypt(token.encode("ascii")).decode()


def lookup_hash(kind: str, value: str) -> str:
    """Keyed hash for uniqueness and lookup; `kind` separates phones from ID numbers."""
    _fernet, lookup = _keys(str(key_path()))
    return hmac.new(lookup, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678"""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str) -> str:
    """110***********1234"""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """王** (the surname or first letter only: what a till, a shop or a household sees)"""
    return (name[:1] + "**") if name else "**"


def mask_card_number(number: str | None) -> str:
    """89******1234 (a printed member card number)"""
    return f"{number[:2]}******{number[-4:]}" if number else ""
