"""Reading candidate lists and bulk session plans from .csv, .ods (and .xlsx) files.

Every row is validated with the same forms as the web pages; an import is all-or-nothing,
and each error names the row (as numbered in the spreadsheet) and the column.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from exams.forms import CandidateForm, SessionForm
from exams.models import ComplementaryCertification, ExamSession
from lib.text import normalize_name

MAX_ROWS = 1000
# An .ods is a zip: refuse archives that inflate beyond this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
# Calamine allocates each sheet as a grid from A1 to its last filled cell: a few bytes of XML
# (a filled cell repeated a million times, or one cell in row 1 000 000) would ask for
# billions of cells. Refuse workbooks whose sheets span more than this many cells in all.
MAX_GRID_CELLS = 1_000_000


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


class _WholeNumber(str):
    """Text of a whole-number cell: « 1000 » may be the postal code 01000 minus its zero."""


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return _WholeNumber(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return _WholeNumber(value)
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
    # The header decides the delimiter; blank lines before it do not.
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportError_(
            [_("Le fichier CSV est mal formé : %(error)s") % {"error": exc}]
        ) from exc


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_ODS_VALUE_TYPE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 value-type"
_ODS_CELLS = (_ODS_TABLE + "table-cell", _ODS_TABLE + "covered-table-cell")
_XLSX_REF = re.compile(r"([A-Za-z]{1,7})([0-9]{1,10})")


@dataclass
class _Grid:
    """The filled area of one sheet, from A1 to its last filled cell, as calamine stores it."""

    rows: int = 0
    columns: int = 0
    row: int = 0  # rows before the current one
    column: int = 0  # columns before the current cell
    row_repeat: int = 1
    row_filled_to: int = 0  # column after the current row's last filled cell


def _parse_xml(stream: IO[bytes], start: Any, end: Any) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    while chunk := stream.read(64 * 1024):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _repeat(value: str | None) -> int:
    return max(1, int(value)) if value else 1


# A cell typed « 33 % » is stored as 0.33: its position, (rows, columns) as ranges, so that
# it reads as the 33 the user sees. Beyond this many such cells the file is not a list.
MAX_PERCENTAGE_CELLS = 10_000
_Cells = tuple[range, range]


def _ods_grid_cells(stream: IO[bytes], percentages: list[_Cells]) -> int:
    """Cells of every table of an .ods content.xml, counting repeated rows and columns.

    Fills `percentages` with the percentage cells of the first table (the one imported).
    """
    tables: list[_Grid] = []
    open_tables: list[_Grid] = []
    open_cells: list[list[int]] = []  # [columns repeated, filled] of the cells being read

    def start(name: str, attrs: dict[str, str]) -> None:
        if open_cells:
            open_cells[-1][1] = 1  # any element inside a cell is content
        if name == _ODS_TABLE + "table":
            tables.append(_Grid())
            open_tables.append(tables[-1])
        elif name == _ODS_TABLE + "table-row" and open_tables:
            grid = open_tables[-1]
            grid.row_repeat = _repeat(attrs.get(_ODS_TABLE + "number-rows-repeated"))
            grid.column = grid.row_filled_to = 0
        elif name in _ODS_CELLS and open_tables:
            repeat = _repeat(attrs.get(_ODS_TABLE + "number-columns-repeated"))
            open_cells.append([repeat, int(_ODS_VALUE_TYPE in attrs)])
            grid = open_tables[-1]
            if (
                attrs.get(_ODS_VALUE_TYPE) == "percentage"
                and grid is tables[0]
                and len(percentages) < MAX_PERCENTAGE_CELLS
            ):
                rows = range(grid.row, grid.row + grid.row_repeat)
                percentages.append((rows, range(grid.column, grid.column + repeat)))

    def end(name: str) -> None:
        if name == _ODS_TABLE + "table" and open_tables:
            open_tables.pop()
        elif name == _ODS_TABLE + "table-row" and open_tables:
            grid = open_tables[-1]
            if grid.row_filled_to:
                grid.rows = grid.row + grid.row_repeat
                grid.columns = max(grid.columns, grid.row_filled_to)
            grid.row += grid.row_repeat
        elif name in _ODS_CELLS and open_cells and open_tables:
            repeat, filled = open_cells.pop()
            grid = open_tables[-1]
            grid.column += repeat
            if filled:
                grid.row_filled_to = grid.column

    _parse_xml(stream, start, end)
    return sum(grid.rows * grid.columns for grid in tables)


def _xlsx_column(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _xlsx_grid_cells(stream: IO[bytes]) -> int:
    """Cells spanned by the <sheetData> of an .xlsx part, from A1 to its last filled cell."""
    total = 0
    grid = _Grid()
    state = {"in_data": False}
    open_cells: list[list[int]] = []  # [row, column, filled] of the cell being read

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if open_cells:
            open_cells[-1][2] = 1  # a value, an inline string or a formula
        if local == "sheetData":
            state["in_data"] = True
            grid.row = grid.rows = grid.columns = 0
        elif not state["in_data"]:
            return
        elif local == "row":
            grid.row = int(attrs["r"]) if attrs.get("r") else grid.row + 1
            grid.column = 0
        elif local == "c":
            reference = attrs.get("r")
            if reference:
                match = _XLSX_REF.fullmatch(reference)
                if match is None:
                    raise ValueError(reference)
                grid.column, row = _xlsx_column(match[1]), int(match[2])
            else:
                grid.column, row = grid.column + 1, grid.row
            open_cells.append([row, grid.column, 0])

    def end(name: str) -> None:
        nonlocal total
        local = name.rsplit(" ", 1)[-1]
        if local == "c" and open_cells:
            row, column, filled = open_cells.pop()
            if filled:
                grid.rows = max(grid.rows, row)
                grid.columns = max(grid.columns, column)
        elif local == "sheetData" and state["in_data"]:
            state["in_data"] = False
            total += grid.rows * grid.columns

    try:
        _parse_xml(stream, start, end)
    except expat.ExpatError:
        # Not a well-formed part: calamine fails on it too, after the cells read so far.
        return total + (grid.rows * grid.columns if state["in_data"] else 0)
    return total


def _grid_cells(archive: zipfile.ZipFile, percentages: list[_Cells]) -> int:
    """Cells calamine would allocate for the sheets of this archive (ODS and XLSX parts)."""
    total = 0
    for info in archive.infolist():
        name = info.filename
        if name == "content.xml":
            with archive.open(info) as stream:
                total += _ods_grid_cells(stream, percentages)
        else:  # any part may be a sheet (relationships name them); non-XML stops at once
            with archive.open(info) as stream:
                total += _xlsx_grid_cells(stream)
    return total


def _read_spreadsheet(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    unreadable = ImportError_([_("Le fichier n'est pas un classeur .ods ou .xlsx lisible.")])
    too_large = ImportError_([_("Le classeur est trop volumineux une fois décompressé.")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise too_large
            # .xlsb (binary sheets) cannot be checked for size: .ods and .xlsx only.
            if "xl/workbook.bin" in archive.namelist():
                raise unreadable
            percentages: list[_Cells] = []
            cells = _grid_cells(archive, percentages)
    except ImportError_:
        raise
    except Exception:  # a damaged zip or XML raises many types (BadZipFile, ValueError...)
        raise unreadable from None
    if cells > MAX_GRID_CELLS:
        raise too_large
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise unreadable from exc
    for row_numbers, column_numbers in percentages:
        for row in rows[row_numbers.start : row_numbers.stop]:
            for i in column_numbers:
                value = row[i] if i < len(row) else None
                if isinstance(value, float):
                    row[i] = round(value * 100, 6)
    return rows


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
    if isinstance(postal, _WholeNumber) and normalize_name(str(data["birth_country"])) == "FRANCE":
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
