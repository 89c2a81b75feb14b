"""The documents archived when a session is finalized (« Documents archivés »): the
attendance sheet as it was lived, the session's procès-verbal and its timeline.

Each is an A4 PDF built once, at finalization, from what the database holds at that moment,
then kept as bytes with its SHA-256 until its retention date; it is never regenerated.
Printed in French whatever the language of the page that finalized: they are evidence.
Names go through fpdf2 `cell`/`table`, which print text literally.
"""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse
from django.utils import timezone, translation

from accounts.models import User
from audit.events import describe_alert
from certification import review
from certification.models import AbortReason, CourseStatus, IssueReport
from exams.documents import SessionPDF, extra_time_text, fraud_report_pdf, render_session
from exams.models import ExamSession
from finalization.models import IdentityCorrection, SessionRecord
from invigilation.evidence import fraud_facts
from invigilation.history import CandidateHistory, SessionHistory, session_history
from invigilation.models import InvigilatorAccess, Note
from lib import issue_reports
from lib.pdf import FONT, HEADING, LABEL, date, line_height

# Seed 004 (« Après la session »): « Les documents liés à la session de certification
# (feuille d'émargement, PV d'incident et les autres documents éventuels) doivent être
# conservés par l'établissement pendant une durée de 5 ans. »
RETENTION_YEARS = 5

Kind = SessionRecord.Kind
# The order the documents are listed and built in.
KINDS = [Kind.ATTENDANCE, Kind.REPORT, Kind.TIMELINE]


def retain_until(finalized_at: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The finalization's date in the centre's time zone, RETENTION_YEARS later.

    A 29 February gives 1 March: kept a day longer rather than a day short."""
    day = timezone.localdate(finalized_at, zone)
    try:
        return day.replace(year=day.year + RETENTION_YEARS)
    except ValueError:
        return dt.date(day.year + RETENTION_YEARS, 3, 1)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- What happened, read once for the three documents -------------------------------------


@dataclass
class Facts:
    """The session's history (invigilation/history.py) at the moment of archiving."""

    history: SessionHistory
    archived_at: dt.datetime
    retain_until: dt.date

    @property
    def session(self) -> ExamSession:
        return self.history.session

    @property
    def zone(self) -> ZoneInfo:
        return self.session.zone


def read_facts(session: ExamSession, archived_at: dt.datetime) -> Facts:
    return Facts(
        history=session_history(session),
        archived_at=archived_at,
        retain_until=retain_until(session.finalized_at or archived_at, session.zone),
    )


# --- Shared pieces ----------------------------------------------------------------------------


def _person(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.email or ""


def _clock(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return timezone.localtime(value, zone).strftime("%H:%M") if value else "—"


def _moment(value: dt.datetime, zone: ZoneInfo, *, seconds: bool = False) -> str:
    return timezone.localtime(value, zone).strftime(
        "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M"
    )


def _yes_no(value: bool) -> str:
    return "Oui" if value else "Non"


def _zone_name(facts: Facts) -> str:
    centre = facts.session.centre
    return f"{centre.get_time_zone_display()}, {centre.time_zone}"


def _archive_notice(pdf: SessionPDF, facts: Facts) -> None:
    """Dates of the archive, framed under the session's identity and in every footer."""
    archived = _moment(facts.archived_at, facts.zone)
    until = date(facts.retain_until)
    pdf.boxed(
        [
            (f"Document archivé à la finalisation de la session, le {archived}.", 9, True),
            (
                f"À conserver jusqu'au {until} ({RETENTION_YEARS} ans), puis supprimé. "
                f"Heures en {_zone_name(facts)}.",
                9,
                False,
            ),
        ]
    )


def _facts_table(pdf: SessionPDF, rows: list[tuple[str, str]], label_width: float = 55) -> None:
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(label_width, pdf.epw - label_width),
        first_row_as_headings=False,
        text_align="LEFT",
        line_height=line_height(9),
        padding=1.2,
    ) as table:
        for name, value in rows:
            row = table.row()
            row.cell(name, style=LABEL)
            row.cell(value)
    pdf.ln(3)


def _render_archive(facts: Facts, title: str, draw: Callable[[SessionPDF], None]) -> bytes:
    footer = f"Archivé le {date(timezone.localdate(facts.archived_at, facts.zone))} — à conserver jusqu'au {date(facts.retain_until)}"

    def framed(pdf: SessionPDF) -> None:
        pdf.footer_note = footer
        pdf.session_header()
        _archive_notice(pdf, facts)
        draw(pdf)

    return render_session(facts.session, title, framed)


# --- Feuille d'émargement, telle que vécue ----------------------------------------------------


def _ending(entry: CandidateHistory) -> str:
    course = entry.course
    if course is None:
        return "Présent, test non commencé" if entry.present else "—"
    if course.status == CourseStatus.COMPLETED:
        return "Terminé par le candidat"
    if course.status == CourseStatus.ENDED_BY_INVIGILATOR:
        return f"Terminé par le surveillant ({_person(course.ended_by)})"
    return str(CourseStatus(course.status).label)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def attendance_pdf(facts: Facts) -> bytes:
    zone = facts.zone
    candidates = facts.history.candidates
    present = sum(1 for entry in candidates if entry.present)
    total = len(candidates)

    def draw(pdf: SessionPDF) -> None:
        pdf.paragraph(
            f"{_count(total, 'candidat inscrit', 'candidats inscrits')} · "
            f"{_count(present, 'présent', 'présents')} · "
            f"{_count(total - present, 'absent', 'absents')}",
            bold=True,
        )
        if not candidates:
            return
        pdf.set_font(FONT, "", 8)
        with pdf.table(
            col_widths=(28, 23, 19, 14, 18, 12, 12, 18, 36),
            text_align=(
                "LEFT",
                "LEFT",
                "CENTER",
                "CENTER",
                "CENTER",
                "CENTER",
                "CENTER",
                "CENTER",
                "LEFT",
            ),
            headings_style=HEADING,
            line_height=line_height(8),
            padding=1,
        ) as table:
            table.row(
                [
                    "Nom de naissance",
                    "Prénom",
                    "Date de naissance",
                    "Temps majoré",
                    "Présence",
                    "Début",
                    "Fin",
                    "Réponses",
                    "Fin du test",
                ]
            )
            for entry in candidates:
                candidate, course = entry.candidate, entry.course
                table.row(
                    [
                        candidate.last_name.upper(),
                        candidate.first_name,
                        date(candidate.birthdate),
                        extra_time_text(candidate),
                        "Présent" if entry.present else "Absent",
                        _clock(course.started_at, zone) if course else "—",
                        _clock(course.ended_at, zone) if course else "—",
                        str(entry.answered) if course else "—",
                        _ending(entry),
                    ]
                )

    return _render_archive(facts, "Feuille d'émargement (session réalisée)", draw)


# --- Procès-verbal de session --------------------------------------------------------------------


def _report_detail(report: IssueReport, label: str, zone: ZoneInfo) -> str:
    # A report validated live carries its label as description: not printed twice.
    parts = [report.description] if report.description not in ("", label) else []
    correction = IdentityCorrection.objects.filter(report=report).first()
    if correction is not None:
        # The change asked for, as it stood when archived (the jury decides later).
        parts.append(
            "Modification demandée : "
            + " ; ".join(
                f"{field} : {before} → {after}" for field, before, after in correction.lines()
            )
        )
    alert = report.live_alert
    if alert is not None:
        parts.append(
            f"Validé pendant la session par {_person(alert.resolved_by)} "
            f"à {_clock(alert.resolved_at, zone)}"
        )
    else:
        parts.append("Ajouté à la finalisation")
    # The question in the order the candidate saw its choices, so a later review reads what
    # was on the screen.
    seen = review.reported_question(report)
    if seen is not None:
        parts.append(f"Question vue : {seen.summary()}")
    return " — ".join(parts)


def _issue_reports(pdf: SessionPDF, reports: list[IssueReport], zone: ZoneInfo) -> None:
    # 7 pt: the longest category code (NON_BLOCKING_TECHNICAL_ISSUE) stays on one line.
    pdf.set_font(FONT, "", 7)
    with pdf.table(
        col_widths=(11, 50, 52, 15, 52),
        text_align=("CENTER", "LEFT", "LEFT", "CENTER", "LEFT"),
        headings_style=HEADING,
        line_height=line_height(7),
        padding=1,
    ) as table:
        table.row(["Code", "Catégorie", "Libellé", "Question", "Description et origine"])
        for report in reports:
            known = issue_reports.BY_CODE.get(report.subcategory)
            label = str(known.label) if known else report.subcategory or "—"
            table.row(
                [
                    report.subcategory or "—",
                    f"{issue_reports.category_label(report.category)} ({report.category})",
                    label,
                    str(report.question_number) if report.question_number else "—",
                    _report_detail(report, label, zone),
                ]
            )
    pdf.ln(2)


def _questions(numbers: list[int]) -> str:
    """« 2 (questions 4, 17) », « Aucune »: answers counted wrong, with their numbers."""
    if not numbers:
        return "Aucune"
    which = "question" if len(numbers) == 1 else "questions"
    return f"{len(numbers)} ({which} {', '.join(str(n) for n in numbers)})"


def _candidate_rows(
    entry: CandidateHistory, flagged: tuple[list[int], list[int]], zone: ZoneInfo
) -> list[tuple[str, str]]:
    course, report = entry.course, entry.report
    assert course is not None
    resumes = (
        ", ".join(f"{_clock(e.at, zone)} par {_person(e.actor)}" for e in entry.resumes) or "Aucune"
    )
    ended_by = (
        f"Oui, par {_person(course.ended_by)} à {_clock(course.ended_at, zone)}"
        if course.status == CourseStatus.ENDED_BY_INVIGILATOR
        else "Non"
    )
    abort = str(AbortReason(report.abort_reason).label) if report and report.abort_reason else "—"
    rows = [
        (
            "Test",
            f"{CourseStatus(course.status).label}, {_count(entry.answered, 'réponse', 'réponses')}",
        ),
        ("Début – fin", f"{_clock(course.started_at, zone)} – {_clock(course.ended_at, zone)}"),
        ("Temps majoré", extra_time_text(entry.candidate) or "Aucun"),
        ("Écran de fin de test vu", _yes_no(bool(report and report.has_seen_end_screen))),
        ("Motif d'abandon", abort),
        ("Commentaire du centre", (report.comment if report else "") or "—"),
        (f"Reprises autorisées ({len(entry.resumes)})", resumes),
        ("Test terminé par un surveillant", ended_by),
        ("Sorties du cadre (mode focus)", _questions(flagged[0])),
        ("Questions chronométrées hors délai", _questions(flagged[1])),
    ]
    if entry.closed_alerts:
        rows.append(
            (
                "Alertes closes à la finalisation, sans décision",
                ", ".join(describe_alert(e) for e in entry.closed_alerts),
            )
        )
    return rows


def _note_line(note: Note, zone: ZoneInfo) -> str:
    line = f"{_clock(note.created_at, zone)} — {_person(note.author)} : « {note.text} »"
    # A line of the PV d'incident: its category, question and the action taken.
    if note.code:
        where = f", question {note.question_number}" if note.question_number else ""
        line += f" ({issue_reports.code_label(note.code)}{where})"
    if note.action_taken:
        line += f" — Mesure prise : {note.action_taken}"
    return line


def _candidate_section(
    pdf: SessionPDF, entry: CandidateHistory, flagged: tuple[list[int], list[int]], zone: ZoneInfo
) -> None:
    pdf.section_title(str(entry.candidate), keep_with=40)
    _facts_table(pdf, _candidate_rows(entry, flagged, zone))
    if entry.issue_reports:
        pdf.paragraph(f"Signalements ({len(entry.issue_reports)})", size=9, bold=True)
        _issue_reports(pdf, entry.issue_reports, zone)
    if entry.notes:
        pdf.paragraph("Notes des surveillants", size=9, bold=True)
        for note in entry.notes:
            pdf.paragraph(_note_line(note, zone), size=9)
    pdf.ln(2)


def _invigilators(pdf: SessionPDF, facts: Facts) -> None:
    pdf.section_title("Surveillants entrés dans l'Espace Surveillant")
    by_user: dict[int, list[InvigilatorAccess]] = {}
    for access in facts.history.accesses:
        by_user.setdefault(access.user_id, []).append(access)
    if not by_user:
        pdf.paragraph("Aucun surveillant n'est entré dans l'Espace Surveillant.", size=9)
        return
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(70, 35, 20, 55),
        text_align=("LEFT", "CENTER", "CENTER", "LEFT"),
        headings_style=HEADING,
        line_height=line_height(9),
        padding=1.2,
    ) as table:
        table.row(["Nom", "Première entrée", "Entrées", "Accès"])
        for accesses in by_user.values():
            first = accesses[0]
            table.row(
                [
                    _person(first.user),
                    _moment(first.authorized_at, facts.zone),
                    str(len(accesses)),
                    str(InvigilatorAccess.Via(first.via).label),
                ]
            )
    pdf.ln(3)


def report_pdf(facts: Facts) -> bytes:
    session, zone, history = facts.session, facts.zone, facts.history
    started = history.started
    others = [entry for entry in history.candidates if entry.course is None]

    def draw(pdf: SessionPDF) -> None:
        pdf.section_title("Finalisation")
        finalized_at = session.finalized_at or facts.archived_at
        _facts_table(
            pdf,
            [
                ("Finalisée le", _moment(finalized_at, zone)),
                ("Par", _person(history.finalized_by)),
                ("Incident pendant la session", _yes_no(session.has_incident)),
                ("Problème d'accès à la session", _yes_no(session.has_joining_issue)),
                ("Commentaire global", session.examiner_global_comment or "—"),
            ],
        )
        _invigilators(pdf, facts)
        if history.session_notes:
            pdf.section_title("Notes des surveillants sur la session")
            for note in history.session_notes:
                pdf.paragraph(_note_line(note, zone), size=9)
        pdf.section_title(f"Tests commencés ({len(started)})")
        for entry in started:
            flagged = history.flagged_questions.get(entry.candidate_id, ([], []))
            _candidate_section(pdf, entry, flagged, zone)
        if others:
            pdf.section_title(f"Candidats n'ayant pas commencé de test ({len(others)})")
            pdf.paragraph(
                ", ".join(
                    f"{entry.candidate} ({'présent' if entry.present else 'absent'})"
                    for entry in others
                ),
                size=9,
            )

    return _render_archive(facts, "Procès-verbal de session", draw)


# --- Déroulement de la session -------------------------------------------------------------------


def timeline_pdf(facts: Facts) -> bytes:
    zone = facts.zone
    timeline = facts.history.timeline()

    def draw(pdf: SessionPDF) -> None:
        pdf.paragraph(_count(len(timeline), "événement", "événements"), bold=True)
        if not timeline:
            return
        pdf.set_font(FONT, "", 8)
        with pdf.table(
            col_widths=(34, 70, 40, 36),
            text_align="LEFT",
            headings_style=HEADING,
            line_height=line_height(8),
            padding=1,
        ) as table:
            table.row(["Date et heure", "Événement", "Candidat", "Par"])
            for entry in timeline:
                actor = entry.event.actor
                table.row(
                    [
                        _moment(entry.at, zone, seconds=True),
                        entry.text,
                        entry.candidate,
                        _person(actor) if actor else "",
                    ]
                )

    return _render_archive(facts, "Déroulement de la session", draw)


BUILDERS: dict[str, Callable[[Facts], bytes]] = {
    Kind.ATTENDANCE: attendance_pdf,
    Kind.REPORT: report_pdf,
    Kind.TIMELINE: timeline_pdf,
}


def fraud_reports(facts: Facts) -> list[bytes]:
    """A « PV de fraude » per « Suspicion de fraude » (C6) line of the PV, pre-filled as the
    invigilator printed it: archived with the other documents (seed 004: kept 5 years)."""
    lines = [note for entry in facts.history.candidates for note in entry.pv_lines]
    lines.sort(key=lambda note: (note.created_at, note.pk))
    return [
        fraud_report_pdf(facts.session, fraud_facts(note))
        for note in lines
        if note.code == issue_reports.FRAUD_CODE
    ]


def build(session: ExamSession, archived_at: dt.datetime) -> tuple[Facts, list[tuple[str, bytes]]]:
    """The PDFs of a finalized session, in French: the three of KINDS, then a PV de fraude
    per fraud line."""
    with translation.override("fr"):
        facts = read_facts(session, archived_at)
        built = [(str(kind), BUILDERS[kind](facts)) for kind in KINDS]
        return facts, built + [(Kind.FRAUD_REPORT.value, pdf) for pdf in fraud_reports(facts)]


def ordered(records: list[SessionRecord]) -> list[SessionRecord]:
    """The generated documents in KINDS order, then the PVs de fraude and the scans as they
    were archived."""
    return sorted(
        records,
        key=lambda r: (KINDS.index(Kind(r.kind)) if not r.by_id else len(KINDS), r.pk),
    )


# --- Reading the archive ----------------------------------------------------------------------


def of_session(session: ExamSession) -> list[SessionRecord]:
    """The session's archived documents, without their content."""
    return ordered(list(session.records.defer("content")))


def get(session: ExamSession, kind: str) -> SessionRecord:
    record = session.records.filter(kind=kind, kind__in=KINDS).first()
    if record is None:
        raise Http404
    return record


def get_scan(session: ExamSession, record_id: int) -> SessionRecord:
    """A record reached by its id (a scan or a PV de fraude), for download."""
    record = session.records.filter(pk=record_id).exclude(kind__in=KINDS).first()
    if record is None:
        raise Http404
    return record


def download(record: SessionRecord) -> HttpResponse:
    """The file exactly as archived, with the type read from its content; its SHA-256 is
    the ETag."""
    return HttpResponse(
        bytes(record.content),
        content_type=record.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{record.filename}"',
            "ETag": f'"{record.sha256}"',
        },
    )
