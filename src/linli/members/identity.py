"""Real-name checks: the GB 11643-1999 ID number and an identity-provider interface.

The built-in backend only checks the number itself (checksum, plausible birth date); it is
labelled as such wherever its result is shown. A real identity service (公安 eID, a bank or
carrier check) implements `IdentityVerifier` and is chosen in settings.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
OLDEST_PLAUSIBLE_YEARS = 130


def id_check_char(first17: str) -> str:
    """GB 11643 check character: Σ(digit × weight) mod 11 mapped through 1 0 X 9 … 2."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def id_normalise(number: str) -> str:
    return number.strip().upper()


def id_birth_date(number: str, *, today: date) -> date | None:
    """The birth date encoded in a well-formed 18-character number, or None if impossible."""
    if not ID_PATTERN.match(number):
        return None
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if born > today or today.year - born.year > OLDEST_PLAUSIBLE_YEARS:
        return None
    return born


def id_is_valid(number: str, *, today: date) -> bool:
    return (
        ID_PATTERN.match(number) is not None
        and id_check_char(number[:17]) == number[17]
        and id_birth_date(number, today=today) is not None
    )


@dataclass(frozen=True)
class IdentityResult:
    is_verified: bool
    backend: str  # shown to operators: "checksum only" is not a real identity check


class IdentityVerifier(Protocol):
    name: str

    def verify(self, *, real_name: str, id_number: str, today: date) -> IdentityResult: ...


class ChecksumOnlyVerifier:
    """Built-in: accepts any checksum-valid number with a plausible birth date. NOT a real
    identity check; operators see "checksum only" next to every member it verified."""

    name = "checksum_only"

    def verify(self, *, real_name: str, id_number: str, today: date) -> IdentityResult:
        ok = bool(real_name.strip()) and id_is_valid(id_number, today=today)
        return IdentityResult(is_verified=ok, backend=self.name)


def identity_verifier() -> IdentityVerifier:
    path = getattr(settings, "MEMBERS_IDENTITY_VERIFIER", "")
    if path:
        verifier: IdentityVerifier = import_string(path)()
        return verifier
    return ChecksumOnlyVerifier()
