"""Printable A4 documents of a session: kit surveillant, feuille d'émargement, PV d'incident.

Everything typed by people (names, site, room…) goes through fpdf2 `cell`/`multi_cell`/`table`,
which print text literally: no HTML or markdown is ever interpreted.
"""

import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast
from urllib.parse import urlencode

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

from exams.models import TEST_DURATION, Candidate, ExamSession

# Pix's issue-report categories: codes are what invigilators write on the PV, so they
# must not be renumbered.
ISSUE_CATEGORIES: list[tuple[str, str]] = [
    ("C1", "Modification des prénom/nom/date de naissance"),
    ("C2", "Ajout/modification du temps majoré"),
    ("C4", "Était présent(e) mais a oublié de signer, ou a signé sur la mauvaise ligne"),
    ("C6", "Suspicion de fraude"),
    ("C7", "Incident technique non bloquant"),
    ("C8", "Incident lié au candidat non bloquant"),
    ("E1", "L'image ne s'affiche pas"),
    ("E2", "Le simulateur/l'application ne s'affiche pas"),
    ("E3", "Le fichier à télécharger ne se télécharge pas ou ne s'ouvre pas"),
    ("E4", "Le site à visiter est indisponible/en maintenance/inaccessible"),
    (
        "E5",
        "Le site est bloqué par les restrictions réseau de l'établissement "
        "(réseaux sociaux par ex.)",
    ),
    (
        "E8",
        "Le candidat bénéficie d'un temps majoré et n'a pas pu répondre à la question "
        "dans le temps imparti",
    ),
    ("E9", "Le logiciel installé sur l'ordinateur n'a pas fonctionné"),
    (
        "E10",
        "Le candidat a été contraint de cliquer en dehors du cadre autorisé pour une question "
        "en mode focus",
    ),
    (
        "E11",
        "Une page «Oups une erreur est survenue» ou tout autre problème technique lié à la "
        "plateforme a empêché le candidat de répondre à la question",
    ),
    ("E12", "Problème avec l’accessibilité de la question (ex : daltonisme)"),
]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
# Core PDF fonts are Latin-1 only: « », œ and ’ need an embedded Unicode font.
FONT = "DejaVu"
HEADING = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
LABEL = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))
INCIDENT_LINES = 12
SIGNATURE_HEIGHT = 12  # mm: room for a handwritten signature


def _date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _time(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _duration(value: dt.timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return f"{hours} h {minutes:02d}"


def _line_height(size_pt: float) -> float:
    return size_pt * 0.45  # mm, ≈ 1.3 × the font size


class _SessionPDF(FPDF):
    """A4 portrait page with the session's running header and a « Page X / N » footer."""

    def __init__(self, session: ExamSession, title: str, total_pages: int | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.session = session
        self.doc_title = title
        self.total_pages = total_pages
        # A line printed above the page number on every page (an archive's retention date).
        self.footer_note = ""
        # "{nb}" would also be replaced inside a name typed as "{nb}": see _render.
        self.alias_nb_pages(None)  # type: ignore[arg-type]
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_draw_color(140)
        self.set_line_width(0.2)
        self.set_title(f"{title} – session {session.number}")
        self.set_author("Vigie")
        self.set_creator("Vigie")
        self.set_lang("fr")
        self.add_page()

    def header(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(110)
        self.cell(self.epw / 2, 5, f"Vigie – {self.doc_title}")
        self.cell(self.epw / 2, 5, f"Session {self.session.number}", align="R")
        self.set_text_color(0)
        self.ln(8)

    def footer(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(110)
        if self.footer_note:
            self.set_y(-16)
            self.cell(0, 4, self.footer_note, align="C")
        self.set_y(-12)
        total = self.total_pages or "?"  # the first layout pass only counts pages
        self.cell(0, 5, f"Page {self.page_no()} / {total}", align="C")
        self.set_text_color(0)

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
            line_height=_line_height(9),
            padding=1.2,
        ) as table:
            for label, value, label2, value2 in (
                ("Numéro de session", session.number, "Date", _date(session.date)),
                ("Centre", session.centre.name, "Heure", f"{_time(session.time)} ({time_zone})"),
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

    def section_title(self, text: str, *, keep_with: float = 20) -> None:
        """A title kept on the same page as the next `keep_with` mm of content."""
        if self.will_page_break(7 + keep_with):
            self.add_page()
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, *, size: float = 10, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, _line_height(size), text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def text_height(self, text: str, width: float, size: float, bold: bool = False) -> float:
        """Height `text` would take once wrapped in `width`, without printing it."""
        self.set_font(FONT, "B" if bold else "", size)
        measured = self.multi_cell(
            width, _line_height(size), text, align="L", dry_run=True, output="HEIGHT"
        )
        return cast(float, measured)

    def boxed(self, lines: Sequence[tuple[str, float, bool]], *, min_height: float = 0) -> None:
        """A framed block of (text, size, bold) lines, kept whole on one page."""
        pad = 3
        width = self.epw - 2 * pad
        text_height = sum(self.text_height(text, width, size, bold) for text, size, bold in lines)
        height = max(min_height, text_height + 2 * pad)
        if self.will_page_break(height):
            self.add_page()
        top = self.y
        self.rect(self.l_margin, top, self.epw, height)
        self.set_xy(self.l_margin + pad, top + pad)
        for text, size, bold in lines:
            self.set_font(FONT, "B" if bold else "", size)
            self.multi_cell(width, _line_height(size), text, align="L", new_x="LEFT", new_y="NEXT")
        self.set_xy(self.l_margin, top + height + 4)


def _render(session: ExamSession, title: str, draw: Callable[[_SessionPDF], None]) -> bytes:
    # « Page X / N » needs N before the first page is closed: fpdf2's "{nb}" alias would
    # give it, but it also rewrites "{nb}" wherever a person typed it. Lay out twice instead.
    total_pages = None
    for _ in range(2):
        pdf = _SessionPDF(session, title, total_pages)
        draw(pdf)
        total_pages = pdf.pages_count
    return bytes(pdf.output())


# --- Kit surveillant --------------------------------------------------------------------


def kit_qr_url(session: ExamSession, site_url: str) -> str:
    """Opens the Espace Surveillant on this session; the password stays on paper only."""
    return f"{site_url.rstrip('/')}/surveillance/?{urlencode({'session': session.number})}"


def _qr_png(data: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


def _kit_credentials(pdf: _SessionPDF, session: ExamSession) -> None:
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


def _kit_login(pdf: _SessionPDF, session: ExamSession, site_url: str) -> None:
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
    pdf.image(_qr_png(kit_qr_url(session, site_url)), x=qr_x, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(qr_x, top + qr_size)
    pdf.set_font(FONT, "", 7)
    caption = "Ouvre l'Espace Surveillant de cette session. Le mot de passe reste à saisir."
    pdf.multi_cell(qr_size, _line_height(7), caption, align="C")
    qr_bottom = pdf.y
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(FONT, "", 10)
    for number, step in enumerate(steps, start=1):
        pdf.cell(number_width, _line_height(10), f"{number}.")
        pdf.multi_cell(text_width, _line_height(10), step, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.set_y(max(pdf.y, qr_bottom) + 4)


def invigilator_kit_pdf(session: ExamSession, *, site_url: str) -> bytes:
    sos_code = session.centre.sos_campaign_code

    def draw(pdf: _SessionPDF) -> None:
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
            f"L'épreuve dure au maximum {_duration(TEST_DURATION)} hors temps majoré ; "
            "les candidats bénéficiant d'un « temps majoré » disposent de temps supplémentaire "
            "(voir la feuille d'émargement).",
            size=9,
        )

    return _render(session, "Kit surveillant", draw)


# --- Feuille d'émargement ----------------------------------------------------------------


def _extra_time(candidate: Candidate) -> str:
    percentage = candidate.extra_time_percentage
    return f"{percentage}\u00a0%" if percentage else ""  # no-break space: never split "33 %"


def _candidate_count(count: int) -> str:
    return f"{count} candidat inscrit" if count == 1 else f"{count} candidats inscrits"


def attendance_sheet_pdf(session: ExamSession) -> bytes:
    candidates = list(session.candidates.order_by("last_name_key", "first_name_key", "birthdate"))

    def draw(pdf: _SessionPDF) -> None:
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
            line_height=_line_height(9),
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
                        _date(candidate.birthdate),
                        _extra_time(candidate),
                        "",
                    ]
                )

    return _render(session, "Feuille d'émargement", draw)


# --- PV d'incident -----------------------------------------------------------------------


def _incident_table(pdf: _SessionPDF) -> None:
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(46, 20, 22, 72, 20),
        text_align="CENTER",
        headings_style=HEADING,
        line_height=_line_height(9),
        min_row_height=10,
        padding=1.2,
    ) as table:
        table.row(
            ["Nom et prénom du candidat", "N° de question", "Catégorie", "Description", "Heure"]
        )
        for _ in range(INCIDENT_LINES):
            table.row(["", "", "", "", ""])
    pdf.ln(4)


def _category_legend(pdf: _SessionPDF) -> None:
    # The whole list on one page: an invigilator reads it at a glance.
    pdf.section_title("Catégories de signalement", keep_with=85)
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(14, 166),
        text_align=("CENTER", "LEFT"),
        headings_style=HEADING,
        line_height=_line_height(8),
        padding=1,
    ) as table:
        table.row(["Code", "Libellé"])
        for code, label in ISSUE_CATEGORIES:
            table.row([code, label])
    pdf.ln(4)


def _invigilator_signatures(pdf: _SessionPDF, names: list[str]) -> None:
    pdf.section_title("Signature du ou des surveillants", keep_with=15 * (max(len(names), 2) + 1))
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(90, 90),
        text_align="LEFT",
        headings_style=HEADING,
        line_height=_line_height(9),
        min_row_height=15,
        padding=1.2,
    ) as table:
        table.row(["Nom et prénom", "Signature"])
        for name in names or ["", ""]:  # blank lines when nobody was named in advance
            table.row([name, ""])


def incident_report_pdf(session: ExamSession) -> bytes:
    def draw(pdf: _SessionPDF) -> None:
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

    return _render(session, "PV d'incident", draw)
