"""Reading and writing spreadsheets: .csv (UTF-8 or Windows-1252, « ; », « , » or tab),
.ods and .xlsx, with the guards an upload from anyone needs (size, zip bombs, sheets whose
grid would ask calamine for billions of cells). Generic: the importers (exams/imports.py) map
columns and validate rows; the exports write rows.

Written cells are neutralized against formula injection (`lib.text.spreadsheet_safe`).
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.utils.translation import gettext as _
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdfTable
from odf.table import TableCell, TableRow
from odf.text import P
from python_calamine import CalamineWorkbook

from lib.text import spreadsheet_safe

MAX_ROWS = 1000
# An .ods is a zip: refuse archives that inflate beyond this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
# Calamine allocates each sheet as a grid from A1 to its last filled cell: a few bytes of XML
# (a filled cell repeated a million times, or one cell in row 1 000 000) would ask for
# billions of cells. Refuse workbooks whose sheets span more than this many cells in all.
MAX_GRID_CELLS = 1_000_000


class SpreadsheetError(Exception):
    """The file cannot be imported; `errors` lists every problem found (the reader's, or the
    importer's row by row), in the user's language."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


class WholeNumber(str):
    """Text of a whole-number cell: « 1000 » may be the postal code 01000 minus its zero."""


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return WholeNumber(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return WholeNumber(value)
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
        raise SpreadsheetError([_("Le fichier n'est pas un texte lisible (UTF-8 attendu).")])
    if "\x00" in text:
        raise SpreadsheetError([_("Le fichier n'est pas un fichier CSV lisible.")])
    # The header decides the delimiter; blank lines before it do not.
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise SpreadsheetError(
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
    unreadable = SpreadsheetError([_("Le fichier n'est pas un classeur .ods ou .xlsx lisible.")])
    too_large = SpreadsheetError([_("Le classeur est trop volumineux une fois décompressé.")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise too_large
            # .xlsb (binary sheets) cannot be checked for size: .ods and .xlsx only.
            if "xl/workbook.bin" in archive.namelist():
                raise unreadable
            percentages: list[_Cells] = []
            cells = _grid_cells(archive, percentages)
    except SpreadsheetError:
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


def read_table(filename: str, data: bytes, *, max_bytes: int, max_rows: int = MAX_ROWS) -> Table:
    """Parse the upload into a header row and numbered data rows (blank rows skipped)."""
    if len(data) == 0:
        raise SpreadsheetError([_("Le fichier est vide.")])
    if len(data) > max_bytes:
        limit = max_bytes // (1024 * 1024) or 1
        raise SpreadsheetError(
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
        raise SpreadsheetError(
            [_("Format non pris en charge : choisissez un fichier .ods ou .csv.")]
        )
    rows = [[_cell_text(v) for v in row] for row in raw]
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(v != "" for v in row)]
    if not numbered:
        raise SpreadsheetError([_("Le fichier est vide.")])
    (_line, headers), *body = numbered
    if not body:
        raise SpreadsheetError([_("Le fichier ne contient aucune ligne après l'en-tête.")])
    if len(body) > max_rows:
        raise SpreadsheetError(
            [_("Le fichier contient plus de %(max)s lignes.") % {"max": max_rows}]
        )
    return Table(headers=[str(h) for h in headers], rows=body)


Cell = str | int | float | None


def _written(value: Cell) -> str:
    return "" if value is None else spreadsheet_safe(str(value))


def write_csv(rows: Sequence[Sequence[Cell]]) -> bytes:
    """« ; »-separated, with a BOM so that spreadsheet software opens accents as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow([_written(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _ods_cell(value: Cell) -> TableCell:
    if isinstance(value, int | float):
        element = TableCell(valuetype="float", value=str(value))
        element.addElement(P(text=str(value)))
    elif value is None:
        element = TableCell()
    else:
        element = TableCell(valuetype="string")
        element.addElement(P(text=spreadsheet_safe(value)))
    return element


def write_ods(rows: Sequence[Sequence[Cell]], sheet_name: str) -> bytes:
    """One sheet; numbers as numbers, text as text, None as an empty cell."""
    document = OpenDocumentSpreadsheet()
    sheet = OdfTable(name=sheet_name)
    for values in rows:
        row = TableRow()
        for value in values:
            row.addElement(_ods_cell(value))
        sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()
