"""Codes printed in the kit and typed by people: generated with `secrets`.

Alphabets leave out characters people confuse when reading a printout or typing
on a phone: 0/O, 1/I/L, 5/S, A/4 (Pix's own choice for access codes), U/V, Z/2.
"""

import hmac
import secrets

ACCESS_CODE_LETTERS = "BCDFGHJKMPQRTVWXY"
ACCESS_CODE_DIGITS = "2346789"

# Invigilator password: 12 characters in 3 groups of 4, upper-case only so it is easy to
# type on a phone, from 26 unambiguous symbols: log2(26**12) ≈ 56 bits, against ≈ 32 bits
# for Pix's 6 distinct characters out of 47 (reference §1).
PASSWORD_ALPHABET = "2346789BCDEFGHJKMNPQRTVWXY"  # noqa: S105 - an alphabet, not a secret
PASSWORD_GROUPS = 3
PASSWORD_GROUP_LENGTH = 4

SESSION_NUMBER_DIGITS = 7


def generate_access_code() -> str:
    letters = "".join(secrets.choice(ACCESS_CODE_LETTERS) for _ in range(4))
    digits = "".join(secrets.choice(ACCESS_CODE_DIGITS) for _ in range(2))
    return letters + digits


def generate_invigilator_password() -> str:
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def generate_session_number() -> str:
    # No leading zero, so the number survives being typed into a spreadsheet.
    first = secrets.choice("123456789")
    rest = "".join(secrets.choice("0123456789") for _ in range(SESSION_NUMBER_DIGITS - 1))
    return first + rest


def canonical_password(typed: str) -> str:
    """What a person typed, without the separators and case they may have changed."""
    return "".join(c for c in typed.upper() if c.isalnum())


def password_matches(expected: str, typed: str) -> bool:
    """Constant-time comparison, so response time leaks nothing about the password."""
    return hmac.compare_digest(
        canonical_password(expected).encode(), canonical_password(typed).encode()
    )
