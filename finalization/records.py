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
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.http import Http404, HttpResponse
from django.utils import timezone, translation

from accounts.models import User
from audit.events import describe
from audit.models import AuditEvent
from audit.tags import Tag
from certification.models import (
    AbortReason,
    CertificationCourse,
    CertificationReport,
    CourseStatus,
    IssueReport,
    LiveAlert,
)
from exams.documents import SessionPDF, extra_time_text, render_session
from exams.models import Candidate, ExamSession
from finalization.models import SessionRecord
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
class Lived:
    """One enrolled candidate and what happened to them during the session."""

    candidate: Candidate
    course: CertificationCourse | None
    answered: int
    report: CertificationReport | None
    issue_reports: list[IssueReport] = field(default_factory=list)
    resumes: list[AuditEvent] = field(default_factory=list)
    closed_alerts: list[AuditEvent] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def present(self) -> bool:
        """Started a test, or an invigilator confirmed the presence (not cancelled)."""
        return self.course is not None or self.candidate.authorized_to_start_at is not None


@dataclass
class Facts:
    session: ExamSession
    archived_at: dt.datetime
    retain_until: dt.date
    finalized_by: User | None
    candidates: list[Lived]
    accesses: list[InvigilatorAccess]
    events: list[AuditEvent]
    session_notes: list[Note]

    @property
    def zone(self) -> ZoneInfo:
        return self.session.zone


def read_facts(session: ExamSession, archived_at: dt.datetime) -> Facts:
    candidates = list(
        Candidate.objects.filter(session=session)
        .select_related("course__ended_by", "course__report")
        .annotate(answered=Count("course__answers"))
        .order_by("last_name_key", "first_name_key", "birthdate", "pk")
    )
    lived: dict[int, Lived] = {}
    for candidate in candidates:
        course = getattr(candidate, "course", None)
        lived[candidate.pk] = Lived(
            candidate=candidate,
            course=course,
            answered=getattr(candidate, "answered", 0),
            # A reverse one-to-one with no row raises an AttributeError subclass.
            report=getattr(course, "report", None) if course else None,
        )
    for report in (
        IssueReport.objects.filter(course__candidate__session=session)
        .select_related("course", "live_alert__resolved_by")
        .order_by("created_at", "pk")
    ):
        lived[report.course.candidate_id].issue_reports.append(report)
    events = list(session.events.select_related("actor").order_by("at", "pk"))
    finalized_by = None
    for event in events:
        entry = lived.get(event.data.get("candidate") or 0)
        if event.tag == Tag.Centre.SESSION_FINALIZE:
            finalized_by = event.actor
        elif entry and event.tag == Tag.Invigilator.RESUME_AUTHORIZE:
            entry.resumes.append(event)
        elif entry and event.tag == Tag.Centre.ALERT_CLOSE:
            entry.closed_alerts.append(event)
    session_notes = []
    for note in Note.objects.filter(session=session).select_related("author"):
        if note.candidate_id in lived:
            lived[note.candidate_id].notes.append(note)
        else:
            session_notes.append(note)
    return Facts(
        session=session,
        archived_at=archived_at,
        retain_until=retain_until(session.finalized_at or archived_at, session.zone),
        finalized_by=finalized_by,
        candidates=list(lived.values()),
        accesses=list(
            InvigilatorAccess.objects.filter(session=session)
            .select_related("user")
            .order_by("authorized_at", "pk")
        ),
        events=events,
        session_notes=session_notes,
    )


# --- Shared pieces ----------------------------------------------------------------------------


def _person(user: User | None) -> str:
    if user is None:
        return "—"
    return f"{user.first_name} {user.last_name}".strip() or user.email or ""


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


def _ending(entry: Lived) -> str:
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
    present = sum(1 for entry in facts.candidates if entry.present)
    total = len(facts.candidates)

    def draw(pdf: SessionPDF) -> None:
        pdf.paragraph(
            f"{_count(total, 'candidat inscrit', 'candidats inscrits')} · "
            f"{_count(present, 'présent', 'présents')} · "
            f"{_count(total - present, 'absent', 'absents')}",
            bold=True,
        )
        if not facts.candidates:
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
            for entry in facts.candidates:
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
    alert = report.live_alert
    if alert is not None:
        parts.append(
            f"Validé pendant la session par {_person(alert.resolved_by)} "
            f"à {_clock(alert.resolved_at, zone)}"
        )
    else:
        parts.append("Ajouté à la finalisation")
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


def _closed_alert(event: AuditEvent) -> str:
    if event.data.get("kind") == LiveAlert.Kind.COMPANION:
        return "Extension non détectée"
    return f"Problème signalé sur la question {event.data.get('question_number')}"


def _candidate_rows(entry: Lived, zone: ZoneInfo) -> list[tuple[str, str]]:
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
    ]
    if entry.closed_alerts:
        rows.append(
            (
                "Alertes closes à la finalisation, sans décision",
                ", ".join(_closed_alert(e) for e in entry.closed_alerts),
            )
        )
    return rows


def _note_line(note: Note, zone: ZoneInfo) -> str:
    return f"{_clock(note.created_at, zone)} — {_person(note.author)} : « {note.text} »"


def _candidate_section(pdf: SessionPDF, entry: Lived, zone: ZoneInfo) -> None:
    pdf.section_title(str(entry.candidate), keep_with=40)
    _facts_table(pdf, _candidate_rows(entry, zone))
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
    for access in facts.accesses:
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
    session, zone = facts.session, facts.zone
    started = [entry for entry in facts.candidates if entry.course is not None]
    others = [entry for entry in facts.candidates if entry.course is None]

    def draw(pdf: SessionPDF) -> None:
        pdf.section_title("Finalisation")
        finalized_at = session.finalized_at or facts.archived_at
        _facts_table(
            pdf,
            [
                ("Finalisée le", _moment(finalized_at, zone)),
                ("Par", _person(facts.finalized_by)),
                ("Incident pendant la session", _yes_no(session.has_incident)),
                ("Problème d'accès à la session", _yes_no(session.has_joining_issue)),
                ("Commentaire global", session.examiner_global_comment or "—"),
            ],
        )
        _invigilators(pdf, facts)
        if facts.session_notes:
            pdf.section_title("Notes des surveillants sur la session")
            for note in facts.session_notes:
                pdf.paragraph(_note_line(note, zone), size=9)
        pdf.section_title(f"Tests commencés ({len(started)})")
        for entry in started:
            _candidate_section(pdf, entry, zone)
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
    names = {entry.candidate.pk: str(entry.candidate) for entry in facts.candidates}

    def draw(pdf: SessionPDF) -> None:
        pdf.paragraph(_count(len(facts.events), "événement", "événements"), bold=True)
        if not facts.events:
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
            for event in facts.events:
                table.row(
                    [
                        _moment(event.at, zone, seconds=True),
                        describe(event),
                        names.get(event.data.get("candidate") or 0, ""),
                        _person(event.actor) if event.actor else "",
                    ]
                )

    return _render_archive(facts, "Déroulement de la session", draw)


BUILDERS: dict[str, Callable[[Facts], bytes]] = {
    Kind.ATTENDANCE: attendance_pdf,
    Kind.REPORT: report_pdf,
    Kind.TIMELINE: timeline_pdf,
}


def build(session: ExamSession, archived_at: dt.datetime) -> tuple[Facts, dict[str, bytes]]:
    """The three PDFs of a finalized session, in French."""
    with translation.override("fr"):
        facts = read_facts(session, archived_at)
        return facts, {kind: BUILDERS[kind](facts) for kind in KINDS}


def ordered(records: list[SessionRecord]) -> list[SessionRecord]:
    return sorted(records, key=lambda record: KINDS.index(Kind(record.kind)))


# --- Reading the archive ----------------------------------------------------------------------


def of_session(session: ExamSession) -> list[SessionRecord]:
    """The session's archived documents, without their content."""
    return ordered(list(session.records.defer("content")))


def get(session: ExamSession, kind: str) -> SessionRecord:
    record = session.records.filter(kind=kind).first()
    if record is None:
        raise Http404
    return record


def download(record: SessionRecord) -> HttpResponse:
    """The PDF exactly as archived; its SHA-256 is the ETag."""
    return HttpResponse(
        bytes(record.content),
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{record.filename}"',
            "ETag": f'"{record.sha256}"',
        },
    )
