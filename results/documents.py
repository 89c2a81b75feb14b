"""The candidate's certificate as an A4 PDF, with its verification code and a QR code.

Built on the session documents' page (exams/documents.py): same fonts, header, footer and
helpers. Names go through fpdf2 `cell`/`table`, which print text literally.
"""

from urllib.parse import urlencode

from certification.scoring import MAX_LEVEL, MAX_SCORE, level_name
from exams.documents import SessionPDF, render_session
from lib.pdf import FONT, LABEL, date, line_height, qr_png
from results.models import Certificate

TITLE = "Certificat de compétences numériques"
QR_SIZE = 30  # mm


def verification_url(certificate: Certificate, site_url: str) -> str:
    query = urlencode({"code": certificate.verification_code})
    return f"{site_url.rstrip('/')}/verifier/?{query}"


def _identity(pdf: SessionPDF, certificate: Certificate) -> None:
    candidate = certificate.candidate
    session = certificate.session
    pdf.set_font(FONT, "", 10)
    with pdf.table(
        col_widths=(55, 125),
        first_row_as_headings=False,
        text_align="LEFT",
        line_height=line_height(10),
        padding=1.2,
    ) as table:
        for label, value in (
            ("Nom et prénom", f"{candidate.last_name.upper()} {candidate.first_name}"),
            ("Date de naissance", date(candidate.birthdate)),
            ("Date de la session", date(session.date)),
            ("Numéro de session", session.number),
            ("Centre de certification", session.centre.name),
        ):
            row = table.row()
            row.cell(label, style=LABEL)
            row.cell(value)
    pdf.ln(4)


def _result(pdf: SessionPDF, certificate: Certificate) -> None:
    if certificate.is_validated:
        pdf.boxed(
            [
                ("Certification validée", 11, True),
                (f"Score : {certificate.score} / {MAX_SCORE}", 22, True),
                (
                    f"Niveau global : {level_name(certificate.level)} "
                    f"(niveau {certificate.level} sur {MAX_LEVEL})",
                    12,
                    False,
                ),
            ]
        )
    else:
        pdf.boxed(
            [
                ("Certification rejetée", 14, True),
                ("Le test n'a pas été mené assez loin pour délivrer un score.", 10, False),
            ]
        )


def _competences(pdf: SessionPDF, certificate: Certificate) -> None:
    pdf.section_title("Niveaux par compétence (de 0 à 7)", keep_with=110)
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(150, 30),
        text_align=("LEFT", "CENTER"),
        first_row_as_headings=False,
        line_height=line_height(9),
        padding=0.8,
    ) as table:
        for area, area_name, competences in certificate.competences_by_area():
            table.row().cell(f"{area}. {area_name}", colspan=2, style=LABEL)
            for competence, level in competences:
                row = table.row()
                row.cell(f"{competence.code} {competence.name}")
                row.cell(f"Niveau {level}")
    pdf.ln(3)


def _verification(pdf: SessionPDF, certificate: Certificate, url: str) -> None:
    gap = 6
    text_width = pdf.epw - QR_SIZE - gap
    pdf.section_title("Vérifier ce certificat", keep_with=QR_SIZE)
    top, qr_x = pdf.y, pdf.w - pdf.r_margin - QR_SIZE
    pdf.image(qr_png(url), x=qr_x, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(pdf.l_margin, top)
    for text, size, bold in (
        ("Code de vérification", 10, True),
        (certificate.verification_code, 18, True),
        (
            "Toute personne peut vérifier l'authenticité de ce certificat en scannant le "
            "QR code ou en saisissant le code sur la page :",
            9,
            False,
        ),
        (url, 9, False),
    ):
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.multi_cell(
            text_width, line_height(size), text, align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(1)
    pdf.set_y(max(pdf.y, top + QR_SIZE) + 2)


def certificate_pdf(certificate: Certificate, *, site_url: str) -> bytes:
    url = verification_url(certificate, site_url)

    def draw(pdf: SessionPDF) -> None:
        pdf.set_font(FONT, "B", 18)
        pdf.multi_cell(0, 10, TITLE, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        _identity(pdf, certificate)
        _result(pdf, certificate)
        _competences(pdf, certificate)
        _verification(pdf, certificate, url)

    return render_session(certificate.session, TITLE, draw)
