"""Printable A4 documents of a session: kit surveillant, feuille d'émargement, PV d'incident.

Built on lib/pdf.py; every page carries the session's number, and `SessionPDF.session_header`
prints the session's identity. Other apps' session documents (the archive, certificates)
build on `SessionPDF` and `render_session` too.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils import timezone, translation

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


# --- The other day-of documents of seed 004 ---------------------------------------------------
#
# « Consignes à lire aux élèves », « Notice pour l'élève » (projected or shown near the
# computer), « Fiche de vérification de la salle », and the « PV de fraude », blank in the kit
# or pre-filled from an invigilator's C6 line (invigilation) and archived at finalization.


def _numbered(pdf: SessionPDF, steps: list[str], *, size: float = 10) -> None:
    number_width = 8
    pdf.set_font(FONT, "", size)
    for number, step in enumerate(steps, start=1):
        pdf.cell(number_width, line_height(size), f"{number}.")
        pdf.multi_cell(
            pdf.epw - number_width,
            line_height(size),
            step,
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1)
    pdf.ln(2)


def instructions_pdf(session: ExamSession, *, site_url: str) -> bytes:
    """« Consignes à lire aux candidats », read by the invigilator when everyone is ready,
    before the access code is given (seed 004)."""

    def draw(pdf: SessionPDF) -> None:
        pdf.session_header()
        pdf.paragraph(
            "À lire à voix haute par le surveillant quand tous les candidats sont installés, "
            "avant de communiquer le code d'accès.",
            size=9,
            bold=True,
        )
        pdf.section_title("Avant le test")
        _numbered(
            pdf,
            [
                "Éteignez votre téléphone et rangez-le dans votre sac, avec vos affaires. "
                "Seul l'ordinateur est autorisé sur la table.",
                f"Connectez-vous à votre compte sur {site_url.rstrip('/')} (identifiant ou "
                "adresse e-mail et mot de passe, ou votre ENT).",
                f"Choisissez « Rejoindre une session » et saisissez le numéro de session "
                f"{session.number}, puis vos nom, prénom et date de naissance tels qu'ils "
                "figurent sur la feuille d'émargement.",
                "Attendez que le surveillant confirme votre présence, puis saisissez le code "
                "d'accès qu'il vous communiquera.",
            ],
        )
        pdf.section_title("Pendant le test")
        _numbered(
            pdf,
            [
                f"Le test dure au maximum {duration(TEST_DURATION)}, hors temps majoré. "
                "Chaque réponse est enregistrée dès que vous la validez : vous ne pouvez pas "
                "revenir en arrière.",
                "Le test est individuel : ne communiquez avec personne et n'utilisez aucun "
                "autre appareil. Toute suspicion de fraude fait l'objet d'un PV de fraude.",
                "Certaines questions sont chronométrées : un compte à rebours s'affiche. "
                "Sur une question en « mode focus », ne cliquez pas en dehors du cadre : "
                "votre surveillant en est informé et la réponse est comptée fausse.",
                "Si une question ne s'affiche pas correctement, actualisez d'abord la page, puis "
                "utilisez « Signaler un problème avec la question » et levez la main.",
                "Ne fermez pas la page du test et ne quittez pas la salle : en cas de "
                "déconnexion, levez la main ; le surveillant autorise la reprise si vous n'avez "
                "pas quitté la salle. Le test reprend là où il s'était arrêté.",
            ],
        )
        pdf.section_title("À la fin")
        _numbered(
            pdf,
            [
                "Quand l'écran « Test terminé ! » s'affiche, restez assis en silence jusqu'à "
                "ce que le surveillant vous autorise à sortir.",
                "Si le temps est écoulé, le surveillant met fin à votre test.",
                "Sur un ordinateur partagé, déconnectez-vous de votre compte avant de partir.",
            ],
        )

    return render_session(session, "Consignes à lire aux candidats", draw)


def student_notice_pdf(session: ExamSession, *, site_url: str) -> bytes:
    """« Notice pour l'élève », projected on the board or shown near each computer."""

    def draw(pdf: SessionPDF) -> None:
        pdf.set_font(FONT, "B", 18)
        pdf.cell(0, 10, pdf.doc_title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.boxed(
            [
                ("Numéro de session", 12, True),
                (session.number, 36, True),
                (f"Salle {session.room} — {date(session.date)} à {time(session.time)}", 11, False),
            ]
        )
        pdf.section_title("Rejoindre la session")
        _numbered(
            pdf,
            [
                f"Ouvrez le navigateur et allez sur {site_url.rstrip('/')}.",
                "Connectez-vous à votre compte (identifiant ou adresse e-mail et mot de passe, "
                "ou votre ENT).",
                "Choisissez « Rejoindre une session ».",
                f"Saisissez le numéro de session {session.number}, puis vos nom, prénom et date "
                "de naissance tels qu'ils figurent sur la feuille d'émargement.",
                "Lisez les règles, puis attendez que le surveillant confirme votre présence.",
                "Saisissez le code d'accès communiqué par le surveillant au lancement du test.",
            ],
            size=12,
        )
        pdf.section_title("Un problème ?")
        pdf.paragraph(
            "Vous ne parvenez pas à rejoindre la session : levez la main et signalez-le au "
            "surveillant. Si votre nom n'est pas sur la liste des inscrits, vous ne pourrez pas "
            "rejoindre la session. Si une information est erronée, saisissez-la telle qu'elle "
            "figure sur la feuille d'émargement : la correction sera demandée ensuite.",
            size=11,
        )

    return render_session(session, "Notice pour l'élève", draw)


ROOM_CHECKS = [
    "Un surveillant pour 20 candidats au maximum.",
    "Un ordinateur par candidat, allumé, avec un navigateur à jour et l'accès à internet.",
    "Les tables sont espacées : aucun candidat ne voit l'écran d'un autre.",
    "Les sites et logiciels nécessaires aux questions ne sont pas bloqués par le réseau "
    "de l'établissement.",
    "L'extension compagnon est installée sur chaque poste (si le centre l'exige).",
    "Les espaces de stockage communs des ordinateurs ont été vidés.",
    "Casques ou écouteurs disponibles pour les questions avec du son.",
    "Imprimés : feuille d'émargement, PV d'incident vierge, kit surveillant, consignes à lire, "
    "modèle de PV de fraude.",
    "Notice pour l'élève et numéro de session projetés au tableau ou affichés près des postes.",
    "Le surveillant s'est connecté à l'Espace Surveillant (ordinateur, tablette ou téléphone).",
]


def room_check_pdf(session: ExamSession) -> bytes:
    """« Fiche de vérification de la salle »: the room meets the material conditions, checked
    before the candidates arrive (seed 004)."""

    def draw(pdf: SessionPDF) -> None:
        pdf.session_header()
        pdf.paragraph(
            "À remplir avant l'arrivée des candidats. Cochez chaque point ; notez ce qui manque "
            "et ce qui a été fait.",
            size=9,
        )
        pdf.set_font(FONT, "", 9)
        with pdf.table(
            col_widths=(100, 14, 14, 52),
            text_align=("LEFT", "CENTER", "CENTER", "LEFT"),
            headings_style=HEADING,
            line_height=line_height(9),
            min_row_height=10,
            padding=1.2,
        ) as table:
            table.row(["Point à vérifier", "Oui", "Non", "Observation"])
            for check in ROOM_CHECKS:
                table.row([check, "", "", ""])
        pdf.ln(4)
        _invigilator_signatures(pdf, session.invigilator_names())

    return render_session(session, "Fiche de vérification de la salle", draw)


@dataclass(frozen=True)
class FraudFacts:
    """What an invigilator's « Suspicion de fraude » (C6) line says, for its PV de fraude."""

    candidate: Candidate
    noted_at: dt.datetime
    noted_by: str
    text: str
    action_taken: str = ""


def fraud_report_pdf(session: ExamSession, facts: FraudFacts | None = None) -> bytes:
    """« PV de fraude » to print and sign: blank in the kit, pre-filled from a C6 line."""
    zone = session.zone

    def field(label: str, value: str, height: float = 10) -> tuple[str, str, float]:
        return label, value, height

    def draw(pdf: SessionPDF) -> None:
        pdf.session_header()
        pdf.paragraph(
            "En cas de suspicion de fraude, le surveillant établit ce procès-verbal, le fait "
            "signer et le joint au PV d'incident. Seuls les faits relevés par le surveillant "
            "sont pris en compte par le jury. Document conservé 5 ans par l'établissement.",
            size=9,
        )
        candidate = facts.candidate if facts else None
        noted = timezone.localtime(facts.noted_at, zone) if facts else None
        rows = [
            field("Nom de naissance", candidate.last_name.upper() if candidate else ""),
            field("Prénom", candidate.first_name if candidate else ""),
            field("Date de naissance", date(candidate.birthdate) if candidate else ""),
            field("Heure des faits", noted.strftime("%H:%M") if noted else ""),
            field("Faits constatés", facts.text if facts else "", 30),
            field("Mesure prise", facts.action_taken if facts else "", 15),
            field("Constaté par", facts.noted_by if facts else ""),
        ]
        pdf.set_font(FONT, "", 10)
        for label, value, height in rows:
            with pdf.table(
                col_widths=(45, 135),
                first_row_as_headings=False,
                text_align="LEFT",
                line_height=line_height(10),
                min_row_height=height,
                padding=1.5,
            ) as table:
                row = table.row()
                row.cell(label, style=LABEL)
                row.cell(value)
        pdf.ln(3)
        pdf.section_title("Observations du candidat", keep_with=25)
        pdf.boxed([], min_height=22)
        pdf.section_title("Signatures", keep_with=32)
        pdf.set_font(FONT, "", 9)
        with pdf.table(
            col_widths=(90, 90),
            text_align="LEFT",
            headings_style=HEADING,
            line_height=line_height(9),
            min_row_height=22,
            padding=1.2,
        ) as table:
            table.row(["Le candidat (ou « refuse de signer »)", "Le ou les surveillants"])
            table.row(["", ""])

    return render_session(session, "PV de fraude", draw)
