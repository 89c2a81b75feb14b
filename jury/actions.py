"""The jury's decisions on a finalized session: assignment, issue reports, publication.

Each is one transaction with an audit row; state changes are conditional UPDATEs, so two
jury members acting at once cannot both win.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.events import record_event
from audit.tags import Tag
from certification.models import Answer, IssueReport
from exams.models import ExamSession
from jury import errors as e
from lib.issue_reports import IN_CHALLENGE
from results import actions as result_actions

MAX_COMMENT = 500


def _name(user: User | None) -> str | None:
    return user.get_full_name() or None if user else None


# --- Assignment and publication ---------------------------------------------------------------


@transaction.atomic
def do_assign_session(session: ExamSession, *, officer: User, actor: User) -> ExamSession:
    """The session is « en cours de traitement » by `officer` (re-assigning is allowed)."""
    if not officer.is_jury:
        raise e.NotJuryMember
    updated = ExamSession.objects.filter(
        pk=session.pk, finalized_at__isnull=False, published_at__isnull=True
    ).update(assigned_officer=officer)
    if not updated:
        raise e.AlreadyPublished
    record_event(Tag.Jury.SESSION_ASSIGN, actor=actor, session=session, officer=officer.pk)
    session.refresh_from_db()
    return session


def unresolved_impactful(session: ExamSession) -> list[IssueReport]:
    return [
        report
        for report in IssueReport.objects.filter(
            course__candidate__session=session, resolved_at__isnull=True
        ).select_related("course__candidate")
        if report.is_impactful
    ]


@transaction.atomic
def do_publish_session(session: ExamSession, *, actor: User) -> ExamSession:
    """Refused while an impactful report is unresolved; issues the certificates."""
    # Wait for a report decision being written on this session before checking them.
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    pending = unresolved_impactful(session)
    if pending:
        names = sorted({str(report.course.candidate) for report in pending})
        raise e.UnresolvedReports(names)
    updated = ExamSession.objects.filter(
        pk=session.pk, finalized_at__isnull=False, published_at__isnull=True
    ).update(published_at=timezone.now())
    if not updated:
        raise e.AlreadyPublished
    session.refresh_from_db()
    record_event(Tag.Jury.SESSION_PUBLISH, actor=actor, session=session)
    result_actions.do_issue_certificates(session, actor=actor)
    return session


@transaction.atomic
def do_unpublish_session(session: ExamSession, *, actor: User) -> ExamSession:
    updated = ExamSession.objects.filter(pk=session.pk, published_at__isnull=False).update(
        published_at=None
    )
    if not updated:
        raise e.NotPublished
    session.refresh_from_db()
    record_event(Tag.Jury.SESSION_UNPUBLISH, actor=actor, session=session)
    result_actions.do_withdraw_certificates(session, actor=actor)
    return session


# --- Issue reports ------------------------------------------------------------------------------


def _check_open(report: IssueReport) -> ExamSession:
    session = ExamSession.objects.select_for_update().get(pk=report.course.candidate.session_id)
    if session.published_at is not None:
        raise e.SessionPublished
    return session


def _resolve(report: IssueReport, *, actor: User, resolution: str, neutralized: bool) -> None:
    updated = IssueReport.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(),
        resolved_by=actor,
        resolution=resolution,
        neutralized=neutralized,
    )
    if not updated:
        report.refresh_from_db()
        raise e.AlreadyResolved(_name(report.resolved_by))
    report.refresh_from_db()


def _clean(comment: str) -> str:
    return comment.strip()[:MAX_COMMENT]


def _check_question_report(report: IssueReport) -> None:
    if report.category != IN_CHALLENGE:
        raise e.NotAboutAQuestion


@transaction.atomic
def do_neutralize_question(report: IssueReport, *, actor: User, comment: str = "") -> IssueReport:
    """« Neutraliser la question »: the answer at the reported question number is not counted."""
    session = _check_open(report)
    _check_question_report(report)
    if report.live_alert_id is not None:
        raise e.QuestionAlreadyReplaced
    number = report.question_number
    answer = (
        Answer.objects.filter(course=report.course, position=number).first() if number else None
    )
    if answer is None:
        raise e.NoAnswerToNeutralize(report.question_number)
    resolution = _clean(comment) or _("Question neutralisée par le jury.")
    _resolve(report, actor=actor, resolution=resolution, neutralized=True)
    Answer.objects.filter(pk=answer.pk).update(neutralized=True)
    record_event(
        Tag.Jury.REPORT_NEUTRALIZE,
        actor=actor,
        session=session,
        candidate=report.course.candidate_id,
        report=report.pk,
        question_number=report.question_number,
        item=answer.item_id,
    )
    return report


@transaction.atomic
def do_reject_report(report: IssueReport, *, actor: User, comment: str = "") -> IssueReport:
    """« Rejeter le signalement »: the answer keeps counting."""
    session = _check_open(report)
    _check_question_report(report)
    resolution = _clean(comment) or _("Signalement rejeté par le jury.")
    _resolve(report, actor=actor, resolution=resolution, neutralized=False)
    record_event(
        Tag.Jury.REPORT_REJECT,
        actor=actor,
        session=session,
        candidate=report.course.candidate_id,
        report=report.pk,
    )
    return report


@transaction.atomic
def do_resolve_report(report: IssueReport, *, actor: User, comment: str) -> IssueReport:
    """Any report: resolved with the jury's comment (required)."""
    session = _check_open(report)
    resolution = _clean(comment)
    if not resolution:
        raise e.CommentRequired
    _resolve(report, actor=actor, resolution=resolution, neutralized=False)
    record_event(
        Tag.Jury.REPORT_RESOLVE,
        actor=actor,
        session=session,
        candidate=report.course.candidate_id,
        report=report.pk,
    )
    return report
