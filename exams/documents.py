"""Printable A4 documents of a session: kit surveillant, feuille d'émargement, PV d'incident.

Built on lib/pdf.py; every page carries the session's number, and `SessionPDF.session_header`
prints the session's identity. Other apps' session documents (the archive, certificates)
build on `SessionPDF` and `render_session` too.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.utils import translation

from exams.models import TEST_DURATION, Candidate, ExamSession
from lib import issue_reports
from lib.pdf import (
    FONT,
    HEADING,
    LABEL,
    A4Document,
    date,
    duration,
    line_height,
    qr_png,
    render,
    time,
)

INCIDENT_LINES = 12
SIGNATURE_HEIGHT = 12  # mm: room for a handwritten signature


class SessionPDF(A4Document):
    """A4 page whose running header names the session."""

    def __init__(self, session: ExamSession, title: str, total_pages: int | None) -> None:
        self.session = session
        super().__init__(
            title,
            header_right=f"Session {session.number}",
            pdf_title=f"{title} – session {session.number}",
            total_pages=total_pages,
        )

    def session_header(self) -> None:
        """Document title, then the session's identity as a compact grid."""
        session = self.session
        self.set_font(FONT, "B", 18)
        self.cell(0, 10, self.doc_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        time_zone = session.centre.get_time_zone_display()
        self.set_font(FONT, "", 9)
        with self.table(
            col_widths=(38, 57, 20, 65),
            first_row_as_headings=False,
            text_align="LEFT",
            line_height=line_height(9),
            padding=1.2,
        ) as table:
            for label, value, label2, value2 in (
                ("Numéro de session", session.number, "Date", date(session.date)),
                ("Centre", session.centre.name, "Heure", f"{time(session.time)} ({time_zone})"),
                ("Nom du site", session.site_name, "Salle", session.room),
            ):
                row = table.row()
                row.cell(label, style=LABEL)
                row.cell(value)
                row.cell(label2, style=LABEL)
                row.cell(value2)
            if session.address:
                row = table.row()
                row.cell("Adresse", style=LABEL)
                row.cell(session.address, colspan=3)
            row = table.row()
            row.cell("Surveillant(s)", style=LABEL)
            row.cell(", ".join(session.invigilator_names()) or session.examiner, colspan=3)
        self.ln(4)


def render_session(session: ExamSession, title: str, draw: Callable[[SessionPDF], None]) -> bytes:
    """A session document, printed in French whatever the page's language: it is evidence."""
    with translation.override("fr"):
        return render(lambda total: SessionPDF(session, title, total), draw)


# --- Kit surveillant --------------------------------------------------------------------


def kit_qr_url(session: ExamSession, site_url: str) -> str:
    """Opens the Espace Surveillant on this session; the password stays on paper only."""
    return f"{site_url.rstrip('/')}/surveillance/?{urlencode({'session': session.number})}"


def _kit_credentials(pdf: SessionPDF, session: ExamSession) -> None:
    pdf.boxed(
        [
            ("Mot de passe de la session", 10, True),
            (session.invigilator_password, 24, True),
            (
                "À saisir dans l'Espace Surveillant avec le numéro de session. "
                "Ne le communiquez pas aux candidats.",
                9,
                False,
            ),
        ]
    )
    pdf.boxed(
        [
            ("Code d'accès (candidats)", 10, True),
            (session.access_code, 24, True),
            (
                "À communiquer aux candidats uniquement au moment où l'épreuve commence.",
                9,
                False,
            ),
        ]
    )


def _kit_login(pdf: SessionPDF, session: ExamSession, site_url: str) -> None:
    steps = [
        f"Sur un ordinateur ou une tablette, allez sur {site_url.rstrip('/')} et "
        "connectez-vous à votre compte Vigie (créez-le si vous n'en avez pas encore).",
        "Ouvrez l'« Espace Surveillant ».",
        f"Saisissez le numéro de session {session.number} et le mot de passe de la session "
        "indiqué ci-dessus.",
        "À l'arrivée de chaque candidat, vérifiez son identité et confirmez sa présence.",
        "Quand l'épreuve commence, communiquez le code d'accès aux candidats, puis suivez "
        "leur progression et signalez les incidents.",
        "À la fin, faites signer la feuille d'émargement et complétez le PV d'incident.",
    ]
    qr_size, gap, number_width = 38, 6, 7
    text_width = pdf.epw - qr_size - gap - number_width
    steps_height = sum(pdf.text_height(step, text_width, 10) + 1 for step in steps)
    # Steps and QR code side by side: they must start, and end, on the same page.
    pdf.section_title("Se connecter à l'Espace Surveillant", keep_with=max(steps_height, 50))
    top, qr_x = pdf.y, pdf.w - pdf.r_margin - qr_size
    pdf.image(qr_png(kit_qr_url(session, site_url)), x=qr_x, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(qr_x, top + qr_size)
    pdf.set_font(FONT, "", 7)
    caption = "Ouvre l'Espace Surveillant de cette session. Le mot de passe reste à saisir."
    pdf.multi_cell(qr_size, line_height(7), caption, align="C")
    qr_bottom = pdf.y
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(FONT, "", 10)
    for number, step in enumerate(steps, start=1):
        pdf.cell(number_width, line_height(10), f"{number}.")
        pdf.multi_cell(text_width, line_height(10), step, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.set_y(max(pdf.y, qr_bottom) + 4)


def invigilator_kit_pdf(session: ExamSession, *, site_url: str) -> bytes:
    sos_code = session.centre.sos_campaign_code

    def draw(pdf: SessionPDF) -> None:
        pdf.session_header()
        _kit_credentials(pdf, session)
        _kit_login(pdf, session, site_url)
        if sos_code:
            pdf.boxed(
                [
                    (f"Code de la campagne « SOS élève non certifiable » : {sos_code}", 10, True),
                    (
                        "À donner à un élève qui s'avère non certifiable le jour de la session : "
                        "il lui permet de passer un parcours de positionnement à la place.",
                        9,
                        False,
                    ),
                ]
            )
        pdf.paragraph(
            f"L'épreuve dure au maximum {duration(TEST_DURATION)} hors temps majoré ; "
            "les candidats bénéficiant d'un « temps majoré » disposent de temps supplémentaire "
            "(voir la feuille d'émargement).",
            size=9,
        )
        # Seed 004: pupils sign in on shared school computers.
        pdf.boxed(
            [
                ("Après la session : ordinateurs partagés", 10, True),
                (
                    "Sur chaque poste, déconnectez le compte Vigie de l'élève, fermez toutes les "
                    "fenêtres du navigateur et effacez les données de navigation si le poste "
                    "sert à d'autres élèves.",
                    9,
                    False,
                ),
            ]
        )
        # Issue 16: the short guide inside Vigie (invigilation's « Aide » page).
        pdf.paragraph(
            f"Aide : le guide du surveillant, dans Vigie : {site_url}/surveillance/aide/",
            size=9,
        )

    return render_session(session, "Kit surveillant", draw)


# --- Feuille d'émargement ----------------------------------------------------------------


def extra_time_text(candidate: Candidate) -> str:
    percentage = candidate.extra_time_percentage
    return f"{percentage}\u00a0%" if percentage else ""  # no-break space: never split "33 %"


def _candidate_count(count: int) -> str:
    return f"{count} candidat inscrit" if count == 1 else f"{count} candidats inscrits"


def attendance_sheet_pdf(session: ExamSession) -> bytes:
    candidates = list(session.candidates.order_by("last_name_key", "first_name_key", "birthdate"))

    def draw(pdf: SessionPDF) -> None:
        pdf.session_header()
        if not candidates:
            pdf.paragraph("Aucun candidat inscrit.", size=12, bold=True)
            return
        pdf.paragraph(f"Total : {_candidate_count(len(candidates))}", bold=True)
        pdf.set_font(FONT, "", 9)
        with pdf.table(
            col_widths=(50, 42, 26, 22, 40),
            text_align=("LEFT", "LEFT", "CENTER", "CENTER", "LEFT"),
            headings_style=HEADING,
            line_height=line_height(9),
            min_row_height=SIGNATURE_HEIGHT,
            padding=1.2,
        ) as table:
            table.row(
                ["Nom de naissance", "Prénom", "Date de naissance", "Temps majoré", "Signature"]
            )
            for candidate in candidates:
                table.row(
                    [
                        candidate.last_name.upper(),
                        candidate.first_name,
                        date(candidate.birthdate),
                        extra_time_text(candidate),
                        "",
                    ]
                )

    return render_session(session, "Feuille d'émargement", draw)


# --- PV d'incident -----------------------------------------------------------------------


def _incident_table(pdf: SessionPDF) -> None:
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(46, 20, 22, 72, 20),
        text_align="CENTER",
        headings_style=HEADING,
        line_height=line_height(9),
        min_row_height=10,
        padding=1.2,
    ) as table:
        table.row(
            ["Nom et prénom du candidat", "N° de question", "Catégorie", "Description", "Heure"]
        )
        for _ in range(INCIDENT_LINES):
            table.row(["", "", "", "", ""])
    pdf.ln(4)


def _category_legend(pdf: SessionPDF) -> None:
    # The whole list on one page: an invigilator reads it at a glance.
    pdf.section_title("Catégories de signalement", keep_with=85)
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(14, 166),
        text_align=("CENTER", "LEFT"),
        headings_style=HEADING,
        line_height=line_height(8),
        padding=1,
    ) as table:
        table.row(["Code", "Libellé"])
        for issue_code in issue_reports.CODES:
            table.row([issue_code.code, str(issue_code.label)])
    pdf.ln(4)


def _invigilator_signatures(pdf: SessionPDF, names: list[str]) -> None:
    pdf.section_title("Signature du ou des surveillants", keep_with=15 * (max(len(names), 2) + 1))
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(90, 90),
        text_align="LEFT",
        headings_style=HEADING,
        line_height=line_height(9),
        min_row_height=15,
        padding=1.2,
    ) as table:
        table.row(["Nom et prénom", "Signature"])
        for name in names or ["", ""]:  # blank lines when nobody was named in advance
            table.row([name, ""])


def incident_report_pdf(session: ExamSession) -> bytes:
    def draw(pdf: SessionPDF) -> None:
        pdf.session_header()
        pdf.paragraph(
            "Un incident par ligne. Indiquez le code de la catégorie (voir la liste ci-dessous) "
            "et, pour un problème sur une question (E), son numéro.",
            size=9,
        )
        _incident_table(pdf)
        _category_legend(pdf)
        pdf.section_title("Commentaire global")
        pdf.boxed([], min_height=40)
        _invigilator_signatures(pdf, session.invigilator_names())

    return render_session(session, "PV d'incident", draw)
