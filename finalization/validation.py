"""Finalizing a session (« Finaliser la session »): the issue-report categories, the
validation of what the centre states per candidate, and the session's live record shown to
pre-fill the page.

The page and the API build the same `FinalizationInput`; `validate` checks it against the
tests that actually started and returns French errors naming the candidate and the field.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from audit.events import describe
from audit.tags import Tag
from certification.models import (
    AbortReason,
    AlertStatus,
    CertificationCourse,
    CourseStatus,
    IssueReport,
    LiveAlert,
)
from exams.models import ExamSession
from finalization.errors import FinalizationInvalid
from invigilation.models import Note
from lib import issue_reports

MAX_COMMENT = 500
MAX_QUESTION_NUMBER = 500
# Blank issue-report lines offered per candidate on the page (the API takes any number).
REPORT_SLOTS = 3

# What the live record shows for each candidate, from the audit trail.
RECORD_TAGS = (
    Tag.Candidate.FOCUS_LEAVE,
    Tag.Candidate.QUESTION_TIMEOUT,
    Tag.Centre.ALERT_CLOSE,
    Tag.Invigilator.ALERT_REFUSE,
    Tag.Invigilator.ALERT_VALIDATE,
    Tag.Invigilator.RESUME_AUTHORIZE,
    Tag.Invigilator.COURSE_END,
)


# --- Input ------------------------------------------------------------------------------


@dataclass
class IssueReportInput:
    subcategory: str
    description: str = ""
    question_number: int | None = None


@dataclass
class CandidateReportInput:
    candidate_id: int
    has_seen_end_screen: bool = False
    abort_reason: str = ""
    comment: str = ""
    issue_reports: list[IssueReportInput] = field(default_factory=list)


@dataclass
class FinalizationInput:
    global_comment: str = ""
    has_incident: bool = False
    has_joining_issue: bool = False
    reports: list[CandidateReportInput] = field(default_factory=list)


@dataclass(frozen=True)
class ValidReport:
    course: CertificationCourse
    has_seen_end_screen: bool
    abort_reason: str
    comment: str
    issue_reports: list[IssueReportInput]


@dataclass(frozen=True)
class ValidFinalization:
    global_comment: str
    has_incident: bool
    has_joining_issue: bool
    reports: list[ValidReport]


def is_unfinished(course: CertificationCourse) -> bool:
    """Ended by the invigilator or still running: the centre must say why."""
    return course.status in (CourseStatus.STARTED, CourseStatus.ENDED_BY_INVIGILATOR)


def _clean_text(value: str) -> str:
    return value.strip().replace("\r\n", "\n")


def _validate_issue(
    who: str, number: int, issue: IssueReportInput, errors: list[str]
) -> IssueReportInput | None:
    where = _("%(who)s — Signalement %(n)s") % {"who": who, "n": number}
    known = issue_reports.get(issue.subcategory)
    if known is None:
        errors.append(_("%(where)s : choisissez une catégorie de la liste.") % {"where": where})
        return None
    code = known.code
    description = _clean_text(issue.description)
    if known.needs_description and not description:
        errors.append(
            _("%(where)s (%(code)s) : la description est obligatoire.")
            % {"where": where, "code": code}
        )
    if len(description) > MAX_COMMENT:
        errors.append(
            _("%(where)s : la description compte %(n)s caractères, %(max)s au maximum.")
            % {"where": where, "n": len(description), "max": MAX_COMMENT}
        )
    question = issue.question_number if known.needs_question_number else None
    if known.needs_question_number and (
        question is None or not 1 <= question <= MAX_QUESTION_NUMBER
    ):
        errors.append(
            _(
                "%(where)s (%(code)s) : le numéro de la question est obligatoire, "
                "entre 1 et %(max)s."
            )
            % {"where": where, "code": code, "max": MAX_QUESTION_NUMBER}
        )
    return IssueReportInput(subcategory=code, description=description, question_number=question)


def _validate_candidate(
    course: CertificationCourse, given: CandidateReportInput | None, errors: list[str]
) -> ValidReport:
    who = str(course.candidate)
    given = given or CandidateReportInput(candidate_id=course.candidate_id)
    abort_reason = given.abort_reason.strip()
    if is_unfinished(course) and abort_reason not in AbortReason.values:
        errors.append(
            _(
                "%(who)s — Motif d'abandon : obligatoire, le test n'est pas terminé "
                "(choisissez « Abandon » ou « Problème technique »)."
            )
            % {"who": who}
        )
    if not is_unfinished(course) and abort_reason:
        errors.append(
            _("%(who)s — Motif d'abandon : le test est terminé, aucun motif n'est à indiquer.")
            % {"who": who}
        )
        abort_reason = ""
    comment = _clean_text(given.comment)
    if len(comment) > MAX_COMMENT:
        errors.append(
            _("%(who)s — Commentaire : %(n)s caractères, %(max)s au maximum.")
            % {"who": who, "n": len(comment), "max": MAX_COMMENT}
        )
    issues = [
        valid
        for number, issue in enumerate(given.issue_reports, start=1)
        if (valid := _validate_issue(who, number, issue, errors)) is not None
    ]
    return ValidReport(
        course=course,
        has_seen_end_screen=given.has_seen_end_screen,
        abort_reason=abort_reason,
        comment=comment,
        issue_reports=issues,
    )


def validate(courses: Iterable[CertificationCourse], data: FinalizationInput) -> ValidFinalization:
    """Every started test gets a report; raises FinalizationInvalid with every error found."""
    errors: list[str] = []
    by_candidate: dict[int, CandidateReportInput] = {}
    for given in data.reports:
        by_candidate[given.candidate_id] = given
    courses = list(courses)
    started = {course.candidate_id for course in courses}
    for candidate_id in sorted(set(by_candidate) - started):
        errors.append(
            _(
                "Candidat n° %(id)s : il n'a pas commencé de test dans cette session, "
                "aucun compte rendu n'est attendu."
            )
            % {"id": candidate_id}
        )
    global_comment = _clean_text(data.global_comment)
    if len(global_comment) > MAX_COMMENT:
        errors.append(
            _("Commentaire global : %(n)s caractères, %(max)s au maximum.")
            % {"n": len(global_comment), "max": MAX_COMMENT}
        )
    reports = [
        _validate_candidate(course, by_candidate.get(course.candidate_id), errors)
        for course in courses
    ]
    if errors:
        raise FinalizationInvalid(errors)
    return ValidFinalization(
        global_comment=global_comment,
        has_incident=data.has_incident,
        has_joining_issue=data.has_joining_issue,
        reports=reports,
    )


def from_post(data: Mapping[str, Any], candidate_ids: Iterable[int]) -> FinalizationInput:
    """The page's fields (`c<id>-…`, `c<id>-r<n>-…`) as a FinalizationInput."""

    def text(name: str) -> str:
        return str(data.get(name, "") or "")

    reports = []
    for candidate_id in candidate_ids:
        prefix = f"c{candidate_id}-"
        issues = []
        for slot in range(1, REPORT_SLOTS + 1):
            code = text(f"{prefix}r{slot}-subcategory")
            if not code:
                continue
            raw_number = text(f"{prefix}r{slot}-question_number").strip()
            issues.append(
                IssueReportInput(
                    subcategory=code,
                    description=text(f"{prefix}r{slot}-description"),
                    question_number=int(raw_number) if raw_number.isdigit() else None,
                )
            )
        reports.append(
            CandidateReportInput(
                candidate_id=candidate_id,
                has_seen_end_screen=bool(data.get(f"{prefix}has_seen_end_screen")),
                abort_reason=text(f"{prefix}abort_reason"),
                comment=text(f"{prefix}comment"),
                issue_reports=issues,
            )
        )
    return FinalizationInput(
        global_comment=text("global_comment"),
        has_incident=bool(data.get("has_incident")),
        has_joining_issue=bool(data.get("has_joining_issue")),
        reports=reports,
    )


# --- The live record --------------------------------------------------------------------


@dataclass
class RecordLine:
    at: dt.datetime
    text: str
    # An invigilator's note: its own words, pre-filled in the comment.
    note: str = ""


@dataclass
class CandidateRecord:
    course: CertificationCourse
    answered: int
    issue_reports: list[IssueReport]
    lines: list[RecordLine]
    # Answers after leaving a focus-mode question's frame / to a timed question run out.
    focus_lost: int = 0
    timed_out: int = 0

    @property
    def candidate_id(self) -> int:
        return self.course.candidate_id

    @property
    def unfinished(self) -> bool:
        return is_unfinished(self.course)

    @property
    def notes_text(self) -> str:
        return _joined(self.lines)


@dataclass
class LiveRecord:
    candidates: list[CandidateRecord]
    session_lines: list[RecordLine]

    @property
    def session_notes_text(self) -> str:
        return _joined(self.session_lines)


def _joined(lines: list[RecordLine]) -> str:
    """Invigilator notes as the text pre-filled in a comment (cut at the maximum length)."""
    text = "\n".join(line.note for line in lines if line.note)
    return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 1] + "…"


def _pending_text(alert: LiveAlert) -> str:
    if alert.kind == LiveAlert.Kind.COMPANION:
        return _(
            "Extension non détectée : l'alerte attend la confirmation d'un surveillant, "
            "elle sera close à la finalisation."
        )
    return _(
        "Signalement sur la question %(n)s en attente d'une décision du surveillant : "
        "il sera clos à la finalisation."
    ) % {"n": alert.question_number}


def live_record(session: ExamSession) -> LiveRecord:
    """Each started test with its issue reports, and what the invigilators recorded: refused,
    validated and pending alerts, resumes authorized, tests ended, notes (audit trail)."""
    courses = list(
        CertificationCourse.objects.filter(candidate__session=session)
        .select_related("candidate", "report")
        .annotate(
            answered=Count("answers"),
            focus_lost=Count("answers", filter=Q(answers__focus_lost=True)),
            timed_out=Count("answers", filter=Q(answers__timed_out=True)),
        )
        .order_by("candidate__last_name_key", "candidate__first_name_key", "pk")
    )
    reports: dict[int, list[IssueReport]] = {}
    for report in IssueReport.objects.filter(course__in=courses).select_related(
        "created_by", "resolved_by"
    ):
        reports.setdefault(report.course_id, []).append(report)
    lines: dict[int | None, list[RecordLine]] = {}
    for event in session.events.filter(tag__in=RECORD_TAGS).select_related("actor"):
        candidate_id = event.data.get("candidate")
        text = describe(event, by=True)
        lines.setdefault(candidate_id, []).append(RecordLine(at=event.at, text=text))
    pending = LiveAlert.objects.filter(course__in=courses, status=AlertStatus.ONGOING)
    for alert in pending.select_related("course"):
        lines.setdefault(alert.course.candidate_id, []).append(
            RecordLine(at=alert.created_at, text=_pending_text(alert))
        )
    for note in Note.objects.filter(session=session).select_related("author"):
        text = _("%(by)s a noté : « %(text)s »") % {
            "by": note.author.get_full_name(),
            "text": note.text,
        }
        lines.setdefault(note.candidate_id, []).append(
            RecordLine(at=note.created_at, text=text, note=note.text)
        )
    for entries in lines.values():
        entries.sort(key=lambda line: line.at)
    return LiveRecord(
        candidates=[
            CandidateRecord(
                course=course,
                answered=getattr(course, "answered", 0),
                issue_reports=reports.get(course.pk, []),
                lines=lines.get(course.candidate_id, []),
                focus_lost=getattr(course, "focus_lost", 0),
                timed_out=getattr(course, "timed_out", 0),
            )
            for course in courses
        ],
        session_lines=lines.get(None, []),
    )


@dataclass
class PageRow:
    """One started test on the page: its live record and the values of its fields."""

    record: CandidateRecord
    values: CandidateReportInput
    slots: list[tuple[int, IssueReportInput]]


def page_rows(record: LiveRecord, submitted: FinalizationInput | None) -> list[PageRow]:
    """Fields pre-filled from the live record (notes in the comment), or as submitted."""
    given = {r.candidate_id: r for r in submitted.reports} if submitted else {}
    rows = []
    for candidate in record.candidates:
        values = given.get(candidate.candidate_id) or CandidateReportInput(
            candidate_id=candidate.candidate_id,
            comment="" if submitted else candidate.notes_text,
        )
        issues = list(values.issue_reports)[:REPORT_SLOTS]
        issues += [IssueReportInput(subcategory="")] * (REPORT_SLOTS - len(issues))
        rows.append(PageRow(candidate, values, list(enumerate(issues, start=1))))
    return rows
