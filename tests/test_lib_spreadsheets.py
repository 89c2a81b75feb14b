"""lib/spreadsheets.py on its own, without a database: what it reads, what it refuses, what
it writes. The importers' rules (columns, rows, duplicates) are in test_candidate_import.py."""

import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from lib.spreadsheets import SpreadsheetError, WholeNumber, read_table, write_csv, write_ods

LIMIT = 1024 * 1024


def test_it_reads_a_semicolon_csv_in_windows_1252_with_numbered_rows():
    data = "Prénom;Nom\n\nLéa;Dupont\nZoé;Martin\n".encode("cp1252")

    table = read_table("liste.csv", data, max_bytes=LIMIT)

    assert table.headers == ["Prénom", "Nom"]
    assert table.rows == [(3, ["Léa", "Dupont"]), (4, ["Zoé", "Martin"])]


def test_it_takes_the_delimiter_of_the_header_line():
    table = read_table("l.csv", b"a,b\n1;2,3\n", max_bytes=LIMIT)

    assert table.headers == ["a", "b"]
    assert table.rows == [(2, ["1;2", "3"])]


def test_it_reads_the_first_sheet_of_an_ods_with_whole_numbers_marked():
    data = write_ods([["Code postal", "Ville"], [1000, "Bourg"]], sheet_name="Liste")

    table = read_table("liste.ods", data, max_bytes=LIMIT)

    assert table.headers == ["Code postal", "Ville"]
    ((line, (postal, city)),) = table.rows
    assert (line, postal, city) == (2, "1000", "Bourg")
    assert isinstance(postal, WholeNumber)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vide.csv", b"", "Le fichier est vide."),
        ("seul.csv", b"a;b\n", "Le fichier ne contient aucune ligne après l'en-tête."),
        ("image.png", b"\x89PNG", "Format non pris en charge"),
        ("faux.ods", b"not a zip", "pas un classeur .ods ou .xlsx lisible"),
        ("nul.csv", b"a;b\n\x00;1\n", "pas un fichier CSV lisible"),
    ],
)
def test_it_refuses_what_it_cannot_read_with_a_message(name, data, message):
    with pytest.raises(SpreadsheetError) as refused:
        read_table(name, data, max_bytes=LIMIT)

    assert message in refused.value.errors[0]


def test_it_refuses_a_file_over_the_size_limit_and_too_many_rows():
    with pytest.raises(SpreadsheetError, match="taille maximale autorisée"):
        read_table("l.csv", b"a\n" + b"x\n" * 10, max_bytes=10)
    with pytest.raises(SpreadsheetError, match="plus de 3 lignes"):
        read_table("l.csv", b"a\n1\n2\n3\n4\n", max_bytes=LIMIT, max_rows=3)


def test_it_refuses_an_archive_that_inflates_beyond_the_limit():
    """A zip bomb: a few KB that would unpack to more than 50 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", b"0" * (51 * 1024 * 1024))

    with pytest.raises(SpreadsheetError, match="trop volumineux"):
        read_table("bombe.ods", buffer.getvalue(), max_bytes=LIMIT)


def test_it_writes_csv_with_a_bom_and_neutralized_formulas():
    data = write_csv([["Nom", "Score"], ["=HYPERLINK(1)", 12], ["Léa", None]])

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["Nom;Score", "'=HYPERLINK(1);12", "Léa;"]


def test_it_writes_ods_with_numbers_as_numbers_and_formulas_as_text():
    data = write_ods([["Nom", "Score"], ["@SUM(A1)", 12]], sheet_name="Session 1")

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Session 1")
    assert sheet.to_python() == [["Nom", "Score"], ["'@SUM(A1)", 12.0]]
