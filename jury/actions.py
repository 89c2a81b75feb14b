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
from exams.models import Candidate, ExamSession
from finalization import corrections
from finalization.models import IdentityCorrection, current_values
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
    if _correction(report) is not None:
        raise e.CorrectionToDecide
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


# --- Identity corrections (C1) ---------------------------------------------------------------


def _correction(report: IssueReport) -> IdentityCorrection | None:
    return IdentityCorrection.objects.filter(report=report).first()


def _decide(correction: IdentityCorrection, status: str, *, actor: User, **fields: object) -> None:
    """Pending → accepted or refused, once: the second of two jury members loses."""
    updated = IdentityCorrection.objects.filter(
        pk=correction.pk, status=IdentityCorrection.Status.PENDING
    ).update(status=status, decided_at=timezone.now(), decided_by=actor, **fields)
    if not updated:
        correction.refresh_from_db()
        raise e.AlreadyResolved(_name(correction.decided_by))


@transaction.atomic
def do_accept_identity_correction(
    report: IssueReport, *, actor: User, comment: str = ""
) -> IdentityCorrection:
    """« Accepter la modification »: the candidate's line takes the corrected identity, so
    the certificate issued at publication bears it; the audit row keeps before and after."""
    session = _check_open(report)
    correction = _correction(report)
    if correction is None:
        raise e.NoIdentityCorrection
    candidate = Candidate.objects.select_for_update().get(pk=report.course.candidate_id)
    # Checked again with the candidate form's rules: another correction accepted since may
    # have given a second line of the session this very identity.
    changes, errors = corrections.validate(candidate, correction.changes)
    if errors:
        raise e.CorrectionInvalid(errors)
    current = current_values(candidate)
    before = {name: current[name] for name in changes}
    _decide(correction, IdentityCorrection.Status.ACCEPTED, actor=actor, before=before)
    corrections.apply(candidate, changes)
    candidate.save()
    resolution = _clean(comment) or _("Modification des informations du candidat acceptée.")
    _resolve(report, actor=actor, resolution=resolution, neutralized=False)
    record_event(
        Tag.Jury.IDENTITY_CORRECT,
        actor=actor,
        session=session,
        candidate=candidate.pk,
        report=report.pk,
        before=before,
        after=changes,
    )
    correction.refresh_from_db()
    return correction


@transaction.atomic
def do_refuse_identity_correction(
    report: IssueReport, *, actor: User, comment: str = ""
) -> IdentityCorrection:
    """« Refuser la modification »: the line keeps its identity; the jury says why."""
    session = _check_open(report)
    correction = _correction(report)
    if correction is None:
        raise e.NoIdentityCorrection
    resolution = _clean(comment)
    if not resolution:
        raise e.CommentRequired
    _decide(correction, IdentityCorrection.Status.REFUSED, actor=actor)
    _resolve(report, actor=actor, resolution=resolution, neutralized=False)
    record_event(
        Tag.Jury.IDENTITY_REFUSE,
        actor=actor,
        session=session,
        candidate=report.course.candidate_id,
        report=report.pk,
        changes=dict(correction.changes),
    )
    correction.refresh_from_db()
    return correction
