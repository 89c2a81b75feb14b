"""Reading candidate lists and bulk session plans from .csv, .ods (and .xlsx) files.

Every row is validated with the same forms as the web pages; an import is all-or-nothing,
and each error names the row (as numbered in the spreadsheet) and the column.
"""

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from exams.forms import CandidateForm, SessionForm
from exams.models import ComplementaryCertification, ExamSession
from lib.text import normalize_name

MAX_ROWS = 1000
# An .ods is a zip: refuse archives that inflate beyond this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024


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


class ImportError_(Exception):
    """The file cannot be imported; `errors` lists every problem found, in French."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.time):
        return value
    return str(value).strip()


def _read_csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise ImportError_([_("Le fichier n'est pas un texte lisible (UTF-8 attendu).")])
    if "\x00" in text:
        raise ImportError_([_("Le fichier n'est pas un fichier CSV lisible.")])
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportError_(
            [_("Le fichier CSV est mal formé : %(error)s") % {"error": exc}]
        ) from exc


def _read_spreadsheet(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportError_([_("Le fichier n'est pas un classeur .ods ou .xlsx lisible.")]) from None
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise ImportError_([_("Le classeur est trop volumineux une fois décompressé.")])
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        return [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise ImportError_([_("Le fichier n'est pas un classeur .ods ou .xlsx lisible.")]) from exc


def read_table(filename: str, data: bytes) -> Table:
    """Parse the upload into a header row and numbered data rows (blank rows skipped)."""
    if len(data) == 0:
        raise ImportError_([_("Le fichier est vide.")])
    if len(data) > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024) or 1
        raise ImportError_(
            [
                _("Le fichier dépasse la taille maximale autorisée (%(limit)s Mo).")
                % {"limit": limit}
            ]
        )
    extension = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if extension == "csv":
        raw = _read_csv(data)
    elif extension in ("ods", "xlsx"):
        raw = _read_spreadsheet(data)
    else:
        raise ImportError_([_("Format non pris en charge : choisissez un fichier .ods ou .csv.")])
    rows = [[_cell_text(v) for v in row] for row in raw]
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(v != "" for v in row)]
    if not numbered:
        raise ImportError_([_("Le fichier est vide.")])
    (_line, headers), *body = numbered
    if not body:
        raise ImportError_([_("Le fichier ne contient aucune ligne après l'en-tête.")])
    if len(body) > MAX_ROWS:
        raise ImportError_([_("Le fichier contient plus de %(max)s lignes.") % {"max": MAX_ROWS}])
    return Table(headers=[str(h) for h in headers], rows=body)


def _map_columns(headers: list[str], columns: list[Column]) -> tuple[dict[str, int], list[str]]:
    by_key = {normalize_name(h.split("(")[0]): i for i, h in enumerate(headers) if h.strip()}
    positions: dict[str, int] = {}
    missing = []
    for column in columns:
        found = next((by_key[k] for k in column.keys() if k in by_key), None)
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
    """Validated candidate rows ready for `do_import_candidates`, or ImportError_."""
    table = read_table(filename, data)
    positions, missing = _map_columns(table.headers, CANDIDATE_COLUMNS)
    if missing:
        raise ImportError_(
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
        raise ImportError_(errors)
    return valid


def parse_session_plan(
    filename: str, data: bytes, *, today: dt.date
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Sessions, each with its candidates, from a bulk file.

    One row per session; to enrol candidates, repeat the session's columns on one row per
    candidate. Rows with the same site, room, date, time and invigilators are one session.
    """
    table = read_table(filename, data)
    session_positions, missing = _map_columns(table.headers, SESSION_COLUMNS)
    candidate_positions, _unused = _map_columns(table.headers, CANDIDATE_COLUMNS)
    if missing:
        raise ImportError_(
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
        session_form = SessionForm(raw_session, today=today)
        if not session_form.is_valid():
            errors += _form_errors(line, session_form, SESSION_COLUMNS)
            continue
        session_data = session_form.cleaned_data
        key = tuple(session_data[k] for k in ("site_name", "room", "date", "time", "examiner"))
        entry = plan.setdefault(key, (session_data, []))
        raw_candidate = _values(row, candidate_positions)
        if not any(str(v).strip() for v in raw_candidate.values()):
            continue
        form = CandidateForm(_candidate_form_data(raw_candidate), session=None)
        if not form.is_valid():
            errors += _form_errors(line, form, CANDIDATE_COLUMNS)
            continue
        errors += _check_duplicates(line, form.cleaned_data, seen.setdefault(key, {}))
        entry[1].append(form.cleaned_data)
    if errors:
        raise ImportError_(errors)
    return list(plan.values())


def _template_headers(columns: list[Column]) -> list[str]:
    return [c.header + (" *" if c.required else "") for c in columns]


def candidate_template_headers() -> list[str]:
    return _template_headers(CANDIDATE_COLUMNS)


def session_template_headers() -> list[str]:
    return _template_headers(SESSION_COLUMNS) + _template_headers(CANDIDATE_COLUMNS)


def template_csv(headers: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerow(headers)
    # BOM so that spreadsheet software opens accented headers as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def template_ods(headers: list[str], sheet_name: str) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdfTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    sheet = OdfTable(name=sheet_name)
    row = TableRow()
    for header in headers:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=header))
        row.addElement(cell)
    sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()
