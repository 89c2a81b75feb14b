"""Reading candidate lists and bulk session plans from .csv, .ods (and .xlsx) files.

Every row is validated with the same forms as the web pages; an import is all-or-nothing,
and each error names the row (as numbered in the spreadsheet) and the column.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from exams.forms import CandidateForm, SessionForm
from exams.models import ComplementaryCertification, ExamSession
from lib.spreadsheets import SpreadsheetError, WholeNumber, read_table
from lib.text import normalize_name


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        names = (self.header, self.field, *self.aliases)
        return {normalize_name(name.split("(")[0]) for name in names}


CANDIDATE_COLUMNS = [
    Column("first_name", "Prénom", True, ("First name",)),
    Column("last_name", "Nom de naissance", True, ("Nom", "Birth name", "Last name")),
    Column("birthdate", "Date de naissance (JJ/MM/AAAA)", True, ("Birthdate",)),
    Column("sex", "Sexe (M/F)", True, ("Sex",)),
    Column("birth_city", "Commune de naissance", True, ("Birth city",)),
    Column("birth_postal_code", "Code postal de naissance", False, ("Birth postal code",)),
    Column("birth_country", "Pays de naissance", False, ("Birth country",)),
    Column("email", "E-mail du candidat", False, ("E-mail", "Email")),
    Column(
        "result_recipient_email",
        "E-mail du destinataire des résultats",
        False,
        ("Result recipient e-mail",),
    ),
    Column("external_id", "Identifiant externe", False, ("External id",)),
    Column("extra_time_percentage", "Temps majoré (%)", False, ("Extra time",)),
    Column(
        "complementary_certification",
        "Certification complémentaire",
        False,
        ("Complementary certification",),
    ),
    Column("school_class", "Classe", False, ("Class", "Division")),
]

SESSION_COLUMNS = [
    Column("site_name", "Nom du site", True, ("Site",)),
    Column("address", "Adresse", False, ("Address",)),
    Column("room", "Salle", True, ("Room",)),
    Column("date", "Date de la session (JJ/MM/AAAA)", True, ("Date",)),
    Column("time", "Heure de début (HH:MM)", True, ("Heure", "Time")),
    Column("examiner", "Surveillant(s)", True, ("Surveillants", "Invigilators")),
    Column("description", "Description", False),
]


def _map_columns(headers: list[str], columns: list[Column]) -> tuple[dict[str, int], list[str]]:
    by_key = {normalize_name(h.split("(")[0]): i for i, h in enumerate(headers) if h.strip()}
    positions: dict[str, int] = {}
    missing = []
    for column in columns:
        found = next((by_key[k] for k in column.keys() if k in by_key), None)  # noqa: SIM118
        if found is not None:
            positions[column.field] = found
        elif column.required:
            missing.append(column.header)
    return positions, missing


def _values(row: list[Any], positions: dict[str, int]) -> dict[str, Any]:
    return {f: row[i] if i < len(row) else "" for f, i in positions.items()}


_SEX = {"M": "M", "H": "M", "HOMME": "M", "MALE": "M", "F": "F", "FEMME": "F", "FEMALE": "F"}
_COMPLEMENTARY = {
    normalize_name(str(label)): code for code, label in ComplementaryCertification.choices
}
_COMPLEMENTARY.update({normalize_name(code): code for code in ComplementaryCertification.values})


def _candidate_form_data(values: dict[str, Any]) -> dict[str, Any]:
    data = dict(values)
    sex = normalize_name(str(data.get("sex", "")))
    data["sex"] = _SEX.get(sex, sex)
    extra = str(data.get("extra_time_percentage", "")).replace("%", "").strip()
    data["extra_time_percentage"] = extra
    cert = normalize_name(str(data.get("complementary_certification", "")))
    data["complementary_certification"] = _COMPLEMENTARY.get(cert, cert if cert else "")
    if isinstance(data.get("birthdate"), dt.date):
        data["birthdate"] = data["birthdate"].strftime("%d/%m/%Y")
    if not str(data.get("birth_country", "")).strip():
        data["birth_country"] = "FRANCE"
    # 01000 typed in a number cell is stored as 1000: French postal codes have 5 digits.
    postal = data.get("birth_postal_code")
    if isinstance(postal, WholeNumber) and normalize_name(str(data["birth_country"])) == "FRANCE":
        data["birth_postal_code"] = postal.zfill(5)
    return data


def _form_errors(line: int, form: Any, columns: list[Column]) -> list[str]:
    headers = {c.field: c.header for c in columns}
    errors = []
    for name, messages in form.errors.items():
        for message in messages:
            if name == "__all__":
                errors.append(
                    _("Ligne %(line)s : %(message)s") % {"line": line, "message": message}
                )
            else:
                errors.append(
                    _("Ligne %(line)s, colonne « %(column)s » : %(message)s")
                    % {"line": line, "column": headers.get(name, name), "message": message}
                )
    return errors


def _identity(data: dict[str, Any]) -> tuple[str, str, Any]:
    return (
        normalize_name(data["first_name"]),
        normalize_name(data["last_name"]),
        data["birthdate"],
    )


def _check_duplicates(
    line: int, cleaned: dict[str, Any], seen: dict[tuple[str, str, Any], int]
) -> list[str]:
    identity = _identity(cleaned)
    if identity in seen:
        return [
            _(
                "Ligne %(line)s : même candidat qu'à la ligne %(first)s (nom, prénom et date de naissance)."
            )
            % {"line": line, "first": seen[identity]}
        ]
    seen[identity] = line
    return []


def parse_candidates(session: ExamSession, filename: str, data: bytes) -> list[dict[str, Any]]:
    """Validated candidate rows ready for `do_import_candidates`, or SpreadsheetError."""
    table = read_table(filename, data, max_bytes=settings.IMPORT_MAX_BYTES)
    positions, missing = _map_columns(table.headers, CANDIDATE_COLUMNS)
    if missing:
        raise SpreadsheetError(
            [_("Colonne obligatoire manquante : « %(column)s ».") % {"column": m} for m in missing]
        )
    errors: list[str] = []
    valid: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, Any], int] = {}
    for line, row in table.rows:
        form = CandidateForm(_candidate_form_data(_values(row, positions)), session=session)
        if not form.is_valid():
            errors += _form_errors(line, form, CANDIDATE_COLUMNS)
            continue
        errors += _check_duplicates(line, form.cleaned_data, seen)
        valid.append(form.cleaned_data)
    if errors:
        raise SpreadsheetError(errors)
    return valid


def parse_session_plan(
    filename: str, data: bytes, *, today: dt.date
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Sessions, each with its candidates, from a bulk file.

    One row per session; to enrol candidates, repeat the session's columns on one row per
    candidate. Rows with the same site, room, date, time and invigilators are one session.
    """
    table = read_table(filename, data, max_bytes=settings.IMPORT_MAX_BYTES)
    session_positions, missing = _map_columns(table.headers, SESSION_COLUMNS)
    candidate_positions, _unused = _map_columns(table.headers, CANDIDATE_COLUMNS)
    if missing:
        raise SpreadsheetError(
            [_("Colonne obligatoire manquante : « %(column)s ».") % {"column": m} for m in missing]
        )
    errors: list[str] = []
    plan: dict[tuple[Any, ...], tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    seen: dict[tuple[Any, ...], dict[tuple[str, str, Any], int]] = {}
    for line, row in table.rows:
        raw_session = _values(row, session_positions)
        for key in ("date", "time"):
            if isinstance(raw_session.get(key), dt.date | dt.time):
                fmt = "%d/%m/%Y" if key == "date" else "%H:%M"
                raw_session[key] = raw_session[key].strftime(fmt)
        # The companion extension is required unless a centre turns it off per session.
        raw_session.setdefault("companion_required", True)
        session_form = SessionForm(raw_session, today=today)
        if not session_form.is_valid():
            errors += _form_errors(line, session_form, SESSION_COLUMNS)
            continue
        session_data = session_form.cleaned_data
        group = tuple(session_data[k] for k in ("site_name", "room", "date", "time", "examiner"))
        entry = plan.setdefault(group, (session_data, []))
        raw_candidate = _values(row, candidate_positions)
        if not any(str(v).strip() for v in raw_candidate.values()):
            continue
        form = CandidateForm(_candidate_form_data(raw_candidate), session=None)
        if not form.is_valid():
            errors += _form_errors(line, form, CANDIDATE_COLUMNS)
            continue
        errors += _check_duplicates(line, form.cleaned_data, seen.setdefault(group, {}))
        entry[1].append(form.cleaned_data)
    if errors:
        raise SpreadsheetError(errors)
    return list(plan.values())


def _template_headers(columns: list[Column]) -> list[str]:
    return [c.header + (" *" if c.required else "") for c in columns]


def candidate_template_headers() -> list[str]:
    return _template_headers(CANDIDATE_COLUMNS)


def session_template_headers() -> list[str]:
    return _template_headers(SESSION_COLUMNS) + _template_headers(CANDIDATE_COLUMNS)
