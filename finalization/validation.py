"""Finalizing a session (« Finaliser la session »): the validation of what the centre states
per candidate, and the page's fields pre-filled from the session's history
(invigilation/history.py).

The page and the API build the same `FinalizationInput`; `validate` checks it against the
tests that actually started and returns French errors naming the candidate and the field.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from certification.models import AbortReason, CertificationCourse, CourseStatus
from exams.models import IDENTITY_FIELDS
from finalization import corrections
from finalization.errors import FinalizationInvalid
from finalization.models import current_values, display, field_label
from invigilation.history import CandidateHistory, Line, SessionHistory
from invigilation.models import Note
from lib import freetext, issue_reports
from lib.text import whole_number

MAX_COMMENT = 500
MAX_QUESTION_NUMBER = 500
# Blank issue-report lines offered per candidate on the page (the API takes any number),
# after the lines of the PV d'incident the invigilators wrote during the session.
REPORT_SLOTS = 3
# No page has more: the PV's lines of one candidate fit in far fewer.
MAX_SLOTS = 100


# --- Input ------------------------------------------------------------------------------


@dataclass
class IssueReportInput:
    subcategory: str
    description: str = ""
    # A str is what the page received when it is not a number (« ² », « 1e3 »): kept to be
    # shown again, and refused by `validate`.
    question_number: int | str | None = None
    # C1 only: the identity as it should read (field → value; blank fields unchanged).
    correction: dict[str, str] | None = None


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


def _clean_text(value: str, where: str, errors: list[str]) -> str:
    """A comment or description, with the rule of all free text (lib.freetext): the page
    posts raw fields, the API's schema already refused them."""
    try:
        freetext.validate_lines(value)
    except ValidationError as error:
        errors.extend(f"{where} : {message}" for message in error.messages)
    return value.strip().replace("\r\n", "\n")


def _validate_issue(
    course: CertificationCourse, number: int, issue: IssueReportInput, errors: list[str]
) -> IssueReportInput | None:
    who = str(course.candidate)
    where = _("%(who)s — Signalement %(n)s") % {"who": who, "n": number}
    known = issue_reports.get(issue.subcategory)
    if known is None:
        errors.append(_("%(where)s : choisissez une catégorie de la liste.") % {"where": where})
        return None
    code = known.code
    description = _clean_text(issue.description, where, errors)
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
        not isinstance(question, int) or not 1 <= question <= MAX_QUESTION_NUMBER
    ):
        errors.append(
            _(
                "%(where)s (%(code)s) : le numéro de la question est obligatoire, "
                "entre 1 et %(max)s."
            )
            % {"where": where, "code": code, "max": MAX_QUESTION_NUMBER}
        )
    changes = None
    if code == corrections.CODE:
        changes, wrong = corrections.validate(course.candidate, issue.correction or {})
        errors += [
            _("%(where)s (%(code)s) : %(error)s") % {"where": where, "code": code, "error": error}
            for error in wrong
        ]
    elif issue.correction:
        errors.append(
            _("%(where)s (%(code)s) : seul un signalement C1 porte des informations corrigées.")
            % {"where": where, "code": code}
        )
    return IssueReportInput(
        subcategory=code, description=description, question_number=question, correction=changes
    )


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
    comment = _clean_text(given.comment, _("%(who)s — Commentaire") % {"who": who}, errors)
    if len(comment) > MAX_COMMENT:
        errors.append(
            _("%(who)s — Commentaire : %(n)s caractères, %(max)s au maximum.")
            % {"who": who, "n": len(comment), "max": MAX_COMMENT}
        )
    issues = [
        valid
        for number, issue in enumerate(given.issue_reports, start=1)
        if (valid := _validate_issue(course, number, issue, errors)) is not None
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
    global_comment = _clean_text(data.global_comment, _("Commentaire global"), errors)
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
        for slot in range(1, MAX_SLOTS + 1):
            if f"{prefix}r{slot}-subcategory" not in data and slot > REPORT_SLOTS:
                break
            code = text(f"{prefix}r{slot}-subcategory")
            if not code:
                continue
            raw_number = text(f"{prefix}r{slot}-question_number").strip()
            number = whole_number(raw_number)
            issues.append(
                IssueReportInput(
                    subcategory=code,
                    description=text(f"{prefix}r{slot}-description"),
                    question_number=raw_number or None if number is None else number,
                )
            )
        correction = {
            name: text(f"{prefix}fix-{name}").strip()
            for name in IDENTITY_FIELDS
            if text(f"{prefix}fix-{name}").strip()
        }
        if correction:
            # The identity block is the C1 report's content: on the first C1 slot, or one more.
            c1 = next(
                (i for i in issues if i.subcategory.strip().upper() == corrections.CODE), None
            )
            if c1 is None:
                issues.append(IssueReportInput(subcategory=corrections.CODE))
                c1 = issues[-1]
            c1.correction = correction
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


# --- The page, pre-filled from the session's history -------------------------------------


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 1] + "…"


def pv_report(note: Note) -> IssueReportInput:
    """A line of the PV d'incident as the report it pre-fills (seed 002: the question's
    number is carried over, nobody copies it by hand); the centre may change it."""
    description = note.text
    if note.action_taken:
        description += "\n" + _("Mesure prise : %(action)s") % {"action": note.action_taken}
    return IssueReportInput(
        subcategory=note.code,
        description=_shorten(description),
        question_number=note.question_number,
    )


def prefilled(candidate: CandidateHistory) -> CandidateReportInput:
    """What the page (and the API's record) offers before the centre types anything: the
    notes in the comment, the PV's lines as reports, « Écran de fin de test vu » ticked
    when Vigie showed the candidate the end of their test (every question answered)."""
    assert candidate.course is not None
    return CandidateReportInput(
        candidate_id=candidate.candidate_id,
        comment=notes_text(candidate.lines),
        has_seen_end_screen=candidate.course.status == CourseStatus.COMPLETED,
        issue_reports=[pv_report(note) for note in candidate.pv_lines],
    )


def notes_text(lines: list[Line]) -> str:
    """Invigilator notes as the text pre-filled in a comment (cut at the maximum length)."""
    return _shorten("\n".join(line.note for line in lines if line.note))


@dataclass
class PageRow:
    """One started test on the page: its history and the values of its fields."""

    record: CandidateHistory
    values: CandidateReportInput
    slots: list[tuple[int, IssueReportInput]]
    # The identity block: (field, label, current value, corrected value as typed).
    identity: list[tuple[str, str, str, str]]

    @property
    def unfinished(self) -> bool:
        assert self.record.course is not None
        return is_unfinished(self.record.course)


def page_rows(history: SessionHistory, submitted: FinalizationInput | None) -> list[PageRow]:
    """Fields pre-filled from the history (`prefilled`), or as submitted."""
    given = {r.candidate_id: r for r in submitted.reports} if submitted else {}
    rows = []
    for candidate in history.started:
        values = given.get(candidate.candidate_id) or (
            CandidateReportInput(candidate_id=candidate.candidate_id)
            if submitted
            else prefilled(candidate)
        )
        typed = next((i.correction for i in values.issue_reports if i.correction), None) or {}
        # The C1 the identity block added is shown by the block, not in a slot.
        issues = [
            i
            for i in values.issue_reports
            if not (i.correction and i.subcategory == corrections.CODE)
        ][: MAX_SLOTS - 1]
        blanks = max(REPORT_SLOTS - len(issues), 1 if issues else 0)
        issues += [IssueReportInput(subcategory="")] * blanks
        assert candidate.course is not None
        current = current_values(candidate.course.candidate)
        identity = [
            (name, field_label(name), display(name, current[name]), typed.get(name, ""))
            for name in IDENTITY_FIELDS
        ]
        rows.append(PageRow(candidate, values, list(enumerate(issues, start=1)), identity))
    return rows
