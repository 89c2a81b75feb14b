"""The English catalogue (locale/en/LC_MESSAGES) is complete, compiled and keeps its placeholders.

The UI is written in French: the msgids are French and English is a translation. After adding
or changing French strings, run `make messages` (see the Makefile): it regenerates django.po
with makemessages and recompiles django.mo. Then fill in the new empty or fuzzy msgstr in
django.po and run `python manage.py compilemessages -l en --ignore=.venv --ignore=node_modules`
again; these tests fail until every entry is translated and the .mo matches the .po.
"""

import gettext as gettext_module
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils.translation import gettext, override

LC_MESSAGES = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# printf-style (%(name)s, %s, %d…; %% is a literal) and str.format-style ({name}, {0}, {}).
PRINTF_PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]"
)
BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"django.po:{self.line} {context}{self.msgid!r}"


def unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted PO string: {text}"
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


@cache
def parse_po(path: Path = PO_PATH) -> tuple[Entry, ...]:
    """Every entry of the .po, header included (msgid ""); obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    keyword = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")\s*$")
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            if target is not None and target[0] != "msgctxt":
                flush()  # a comment after msgstr starts the next entry
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif match := keyword.match(line):
            name, index, value = match.groups()
            if name in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                flush()  # entries not separated by a blank line
            if name in ("msgctxt", "msgid") and not entry.line:
                entry.line = number
            target = (name, int(index or 0))
            if name == "msgstr":
                entry.msgstr[target[1]] = unquote(value)
            else:
                setattr(entry, name, unquote(value))
        elif line.startswith('"') and target is not None:
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + unquote(line))
        else:
            raise AssertionError(f"django.po:{number}: unexpected line {raw!r}")
    flush()
    return tuple(entries)


def messages() -> list[Entry]:
    return [entry for entry in parse_po() if entry.msgid]


def header() -> dict[str, str]:
    (head,) = [entry for entry in parse_po() if not entry.msgid and entry.msgctxt is None]
    pairs = (line.split(":", 1) for line in head.msgstr[0].splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def placeholders(text: str) -> set[str]:
    printf = {p for p in PRINTF_PLACEHOLDER.findall(text) if p != "%%"}
    return printf | set(BRACE_PLACEHOLDER.findall(text))


def test_it_parses_a_non_trivial_catalogue():
    """The parser finds the entries of the .po, plural ones included."""
    entries = messages()
    assert len(entries) > 100
    assert any(entry.msgid_plural for entry in entries)
    assert len({(entry.msgctxt, entry.msgid) for entry in entries}) == len(entries)


def test_it_declares_english_in_the_header():
    """The header says Language en, UTF-8 and English plural forms."""
    meta = header()
    assert meta["Language"] == "en"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"


def test_it_translates_every_entry_and_marks_none_fuzzy():
    """Every msgstr (each plural form too) is non-empty and no entry is fuzzy."""
    problems = [f"{entry.label}: fuzzy" for entry in parse_po() if "fuzzy" in entry.flags]
    for entry in messages():
        expected_forms = 2 if entry.msgid_plural is not None else 1
        if sorted(entry.msgstr) != list(range(expected_forms)):
            problems.append(f"{entry.label}: msgstr forms {sorted(entry.msgstr)}")
        problems += [
            f"{entry.label}: empty msgstr[{index}]"
            for index, text in entry.msgstr.items()
            if not text.strip()
        ]
    assert not problems, "\n".join(problems)


def test_it_has_a_compiled_catalogue_matching_the_po():
    """django.mo gives every .po msgid its msgstr: run compilemessages after editing the .po."""
    assert MO_PATH.exists(), "django.mo is missing: run compilemessages"
    with MO_PATH.open("rb") as mo_file:
        translations = gettext_module.GNUTranslations(mo_file)
    problems = []
    for entry in messages():
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = translations.gettext(entry.msgid)
            else:
                got = translations.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr.get(0):
                problems.append(f"{entry.label}: .mo gives {got!r}")
            continue
        for index, expected in entry.msgstr.items():
            n = next(n for n in range(1000) if translations.plural(n) == index)
            if entry.msgctxt is None:
                got = translations.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = translations.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            if got != expected:
                problems.append(f"{entry.label} (n={n}): .mo gives {got!r}")
    assert not problems, "django.mo is stale, run compilemessages:\n" + "\n".join(problems)


def test_it_keeps_the_placeholders_of_every_msgid():
    """Each msgstr has exactly the %(name)s, %s and {…} placeholders of its msgid."""
    problems = []
    for entry in messages():
        for index, text in entry.msgstr.items():
            source = entry.msgid if index == 0 else entry.msgid_plural or entry.msgid
            expected, got = placeholders(source), placeholders(text)
            if expected != got:
                problems.append(
                    f"{entry.label} msgstr[{index}]: {sorted(got)} != {sorted(expected)}"
                )
    assert not problems, "\n".join(problems)


def test_it_serves_english_and_french_through_locale_paths():
    """Django finds the catalogue through LOCALE_PATHS: English translates, French stays French."""
    with override("en"):
        assert gettext("Inscrivez-vous") == "Sign up"
    with override("fr"):
        assert gettext("Inscrivez-vous") == "Inscrivez-vous"
