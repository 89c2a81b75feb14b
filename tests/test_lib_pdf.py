"""lib/pdf.py on its own, without a database: the A4 base every Vigie document is built on."""

import datetime as dt
import io

import pypdf

from lib.pdf import A4Document, date, duration, line_height, qr_png, render


def _document(total: int | None) -> A4Document:
    return A4Document("Essai", header_right="Réf. 42", pdf_title="Essai – 42", total_pages=total)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_it_numbers_pages_out_of_the_total_without_rewriting_typed_text():
    """« Page X / N » is right on every page, and a person's « {nb} » stays as typed."""

    def draw(pdf: A4Document) -> None:
        pdf.paragraph("Nom saisi : {nb} « guillemets » œ")
        for _ in range(3):
            pdf.add_page()

    pages = _pages(render(_document, draw))

    assert len(pages) == 4
    assert all(f"Page {n} / 4" in text for n, text in enumerate(pages, start=1))
    assert "Nom saisi : {nb} « guillemets » œ" in pages[0]
    assert all("Vigie – Essai" in text and "Réf. 42" in text for text in pages)


def test_it_prints_the_footer_note_on_every_page():
    def draw(pdf: A4Document) -> None:
        pdf.footer_note = "À conserver jusqu'au 01/01/2031"
        pdf.add_page()

    pages = _pages(render(_document, draw))

    assert all("À conserver jusqu'au 01/01/2031" in text for text in pages)


def test_it_keeps_a_boxed_block_whole_on_one_page():
    def draw(pdf: A4Document) -> None:
        pdf.set_y(pdf.h - 30)  # too little room left above the bottom margin
        pdf.boxed([("Mot de passe", 10, True), ("ABCD-EFGH-JKLM", 24, True)])

    pages = _pages(render(_document, draw))

    assert len(pages) == 2
    assert "ABCD-EFGH-JKLM" in pages[1] and "Mot de passe" in pages[1]


def test_it_formats_dates_and_durations_the_french_way():
    assert date(dt.date(2026, 6, 5)) == "05/06/2026"
    assert duration(dt.timedelta(minutes=105)) == "1 h 45"
    assert line_height(10) == 4.5


def test_it_draws_a_qr_code_as_a_png():
    assert qr_png("https://vigie.example.fr/verifier/ABC").read(8) == b"\x89PNG\r\n\x1a\n"
