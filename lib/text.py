"""Pure text helpers shared by matching, search and duplicate detection."""

import re
import unicodedata

# Ligatures that NFD does not decompose but a French name may contain.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def normalize_name(value: str) -> str:
    """Upper-case, strip accents, keep only A-Z and 0-9.

    « Dupont-Lefèvre », « dupont lefevre » and « D'UPONT LEFÈVRE » all differ only in
    characters a candidate types differently from the attendance sheet.
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in ascii_only.upper() if c.isascii() and c.isalnum())


def has_letter(name: str) -> bool:
    """The rule for a person's name: « au moins une lettre », one that `normalize_name`
    keeps (A–Z once accents are removed), since matching and duplicate detection compare
    those keys. « =1+2 » or « 123 » is not a name."""
    return any(c.isalpha() for c in normalize_name(name))


def split_names(value: str) -> list[str]:
    """Split a free-text list of people (« Mme Martin, M. Durand et Léa ») into names."""
    for separator in (";", "/", "\n", " et ", " & ", " and "):
        value = value.replace(separator, ",")
    return [part.strip() for part in value.split(",") if part.strip()]


# Characters that make a spreadsheet cell a formula (CSV/formula injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Neutralize formula injection in a value written to CSV/ODS exports."""
    if value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


# Control characters: NUL is refused by PostgreSQL, the others corrupt printed documents.
# Tabs are text everywhere; line breaks only in multi-line fields (notes). C1 controls
# (U+0080–U+009F) are never typed; a lone surrogate cannot be encoded for the database.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL_MULTILINE if multiline else _CONTROL).search(value))


_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(value: str) -> int | None:
    """A whole number a person typed (a question number, an id in a form field), or None.

    Only ASCII digits: « ² ».isdigit() is true but int() refuses it, int() takes « ١٢ » and
    « 1_000 », and a few thousand digits exceed int()'s limit. 18 digits stay within a
    64-bit database integer."""
    value = value.strip()
    return int(value) if _WHOLE_NUMBER.fullmatch(value) else None
