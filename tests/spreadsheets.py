"""Build real .ods and .csv files for import tests."""

import csv
import datetime as dt
import io

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from exams.imports import candidate_template_headers, session_template_headers

CANDIDATE_HEADERS = candidate_template_headers()
SESSION_HEADERS = session_template_headers()


def make_ods(rows: list[list[object]]) -> bytes:
    document = OpenDocumentSpreadsheet()
    sheet = Table(name="Candidats")
    for values in rows:
        row = TableRow()
        for value in values:
            if isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.strftime("%d/%m/%Y")))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def make_csv(rows: list[list[object]], delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def candidate_row(
    first: str = "Léa",
    last: str = "Dupont",
    birthdate: object = "14/03/2008",
    sex: str = "F",
    city: str = "Lyon",
    postal: str = "69001",
    country: str = "FRANCE",
    email: str = "",
    recipient: str = "",
    external_id: str = "",
    extra_time: object = "",
    complementary: str = "",
) -> list[object]:
    return [
        first,
        last,
        birthdate,
        sex,
        city,
        postal,
        country,
        email,
        recipient,
        external_id,
        extra_time,
        complementary,
    ]
