"""JSON API of the jury: the same access functions and actions as the pages."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from accounts.models import User
from accounts.permissions import Permission
from accounts.request import request_user as _user
from certification.models import IssueReport
from exams.access import access_session_by_jury, has_jury_permission
from exams.models import IDENTITY_FIELDS, ExamSession
from finalization.models import IdentityCorrection
from invigilation.history import session_history
from jury import actions, queries
from jury.access import access_report_by_jury
from lib.freetext import Lines
from lib.ids import Id

router = Router(tags=["jury"])


class SessionSummaryOut(Schema):
    id: int
    number: str
    centre: str
    status: str
    finalized_at: dt.datetime | None
    published_at: dt.datetime | None
    assigned_officer_id: int | None
    global_comment: str
    has_incident: bool
    has_joining_issue: bool
    unresolved_reports: int
    impactful_unresolved_reports: int
    needs_attention: bool


class CorrectedFieldOut(Schema):
    field: str
    label: str
    before: str
    after: str


class IdentityCorrectionOut(Schema):
    status: str
    changes: dict[str, str]
    before: dict[str, str]
    decided_at: dt.datetime | None
    lines: list[CorrectedFieldOut]


class IssueReportOut(Schema):
    id: int
    category: str
    subcategory: str
    label: str
    description: str
    question_number: int | None
    impactful: bool
    from_live_alert: bool
    resolved_at: dt.datetime | None
    resolution: str
    neutralized: bool
    identity_correction: IdentityCorrectionOut | None


class CandidateReviewOut(Schema):
    candidate_id: int
    name: str
    status: str
    answers: int
    neutralized_answers: int
    focus_lost_answers: int
    timed_out_answers: int
    has_seen_end_screen: bool
    abort_reason: str
    comment: str
    rejected: bool
    issue_reports: list[IssueReportOut]


class TimelineOut(Schema):
    at: dt.datetime
    tag: str
    label: str
    actor: str
    candidate: str


class SessionReviewOut(Schema):
    session: SessionSummaryOut
    candidates: list[CandidateReviewOut]
    timeline: list[TimelineOut]


class AssignIn(Schema):
    officer_id: Id | None = None


class DecisionIn(Schema):
    comment: Lines = ""


def _summary(summary: queries.SessionSummary) -> dict[str, Any]:
    session = summary.session
    return {
        "id": session.pk,
        "number": session.number,
        "centre": session.centre.name,
        "status": session.status.value,
        "finalized_at": session.finalized_at,
        "published_at": session.published_at,
        "assigned_officer_id": session.assigned_officer_id,
        "global_comment": session.examiner_global_comment,
        "has_incident": session.has_incident,
        "has_joining_issue": session.has_joining_issue,
        "unresolved_reports": summary.unresolved,
        "impactful_unresolved_reports": summary.impactful_unresolved,
        "needs_attention": summary.needs_attention,
    }


def _report(report: IssueReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "category": report.category,
        "subcategory": report.subcategory,
        "label": report.label,
        "description": report.description,
        "question_number": report.question_number,
        "impactful": report.is_impactful,
        "from_live_alert": report.live_alert_id is not None,
        "resolved_at": report.resolved_at,
        "resolution": report.resolution,
        "neutralized": report.neutralized,
        "identity_correction": _correction(report),
    }


def _correction(report: IssueReport) -> dict[str, Any] | None:
    correction = IdentityCorrection.objects.filter(report=report).first()
    if correction is None:
        return None
    names = [name for name in IDENTITY_FIELDS if name in correction.changes]
    return {
        "status": correction.status,
        "changes": correction.changes,
        "before": correction.before,
        "decided_at": correction.decided_at,
        "lines": [
            {"field": name, "label": label, "before": before, "after": after}
            for name, (label, before, after) in zip(names, correction.lines(), strict=True)
        ],
    }


def _review(session: ExamSession) -> dict[str, Any]:
    history = session_history(session)
    return {
        "session": _summary(queries.summary_of(session)),
        "candidates": [
            {
                "candidate_id": review.course.candidate_id,
                "name": str(review.course.candidate),
                "status": review.course.status,
                "answers": review.answered,
                "neutralized_answers": review.neutralized,
                "focus_lost_answers": review.focus_lost,
                "timed_out_answers": review.timed_out,
                "has_seen_end_screen": bool(review.report and review.report.has_seen_end_screen),
                "abort_reason": review.report.abort_reason if review.report else "",
                "comment": review.report.comment if review.report else "",
                "rejected": review.rejected,
                "issue_reports": [_report(r) for r in review.issue_reports],
            }
            for review in queries.candidates_for_review(history)
        ],
        "timeline": [
            {k: getattr(entry, k) for k in ("at", "tag", "label", "actor", "candidate")}
            for entry in history.timeline()
        ],
    }


@router.get("/sessions", response=list[SessionSummaryOut], url_name="jury_session_list")
def list_sessions(request: HttpRequest) -> list[dict[str, Any]]:
    if not has_jury_permission(_user(request), Permission.JURY_SESSION_REVIEW):
        raise Http404
    return [_summary(s) for s in queries.finalized_sessions()]


@router.get("/sessions/{session_id}", response=SessionReviewOut, url_name="jury_session_detail")
def get_session(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    session = access_session_by_jury(_user(request), session_id, Permission.JURY_SESSION_REVIEW)
    return _review(session)


@router.post(
    "/sessions/{session_id}/assign", response=SessionReviewOut, url_name="jury_session_assign"
)
def assign(request: HttpRequest, session_id: Id, payload: AssignIn) -> dict[str, Any]:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_ASSIGN)
    officer = user
    if payload.officer_id is not None:
        found = User.objects.filter(pk=payload.officer_id).first()
        if found is None:
            raise actions.e.NotJuryMember
        officer = found
    return _review(actions.do_assign_session(session, officer=officer, actor=user))


@router.post(
    "/sessions/{session_id}/publish", response=SessionReviewOut, url_name="jury_session_publish"
)
def publish(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_PUBLISH)
    return _review(actions.do_publish_session(session, actor=user))


@router.post(
    "/sessions/{session_id}/unpublish",
    response=SessionReviewOut,
    url_name="jury_session_unpublish",
)
def unpublish(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_PUBLISH)
    return _review(actions.do_unpublish_session(session, actor=user))


@router.post(
    "/reports/{report_id}/neutralize", response=IssueReportOut, url_name="jury_report_neutralize"
)
def neutralize(request: HttpRequest, report_id: Id, payload: DecisionIn) -> dict[str, Any]:
    user = _user(request)
    report = access_report_by_jury(user, report_id, Permission.JURY_REPORT_RESOLVE)
    return _report(actions.do_neutralize_question(report, actor=user, comment=payload.comment))


@router.post("/reports/{report_id}/reject", response=IssueReportOut, url_name="jury_report_reject")
def reject(request: HttpRequest, report_id: Id, payload: DecisionIn) -> dict[str, Any]:
    user = _user(request)
    report = access_report_by_jury(user, report_id, Permission.JURY_REPORT_RESOLVE)
    return _report(actions.do_reject_report(report, actor=user, comment=payload.comment))


@router.post(
    "/reports/{report_id}/resolve", response=IssueReportOut, url_name="jury_report_resolve"
)
def resolve(request: HttpRequest, report_id: Id, payload: DecisionIn) -> dict[str, Any]:
    user = _user(request)
    report = access_report_by_jury(user, report_id, Permission.JURY_REPORT_RESOLVE)
    return _report(actions.do_resolve_report(report, actor=user, comment=payload.comment))


@router.post(
    "/reports/{report_id}/accept-correction",
    response=IssueReportOut,
    url_name="jury_report_accept_correction",
)
def accept_correction(request: HttpRequest, report_id: Id, payload: DecisionIn) -> dict[str, Any]:
    """« Accepter la modification » of a C1 report: the candidate's identity is corrected."""
    user = _user(request)
    report = access_report_by_jury(user, report_id, Permission.JURY_REPORT_RESOLVE)
    actions.do_accept_identity_correction(report, actor=user, comment=payload.comment)
    report.refresh_from_db()
    return _report(report)


@router.post(
    "/reports/{report_id}/refuse-correction",
    response=IssueReportOut,
    url_name="jury_report_refuse_correction",
)
def refuse_correction(request: HttpRequest, report_id: Id, payload: DecisionIn) -> dict[str, Any]:
    """« Refuser la modification »: the identity stays; the comment says why (required)."""
    user = _user(request)
    report = access_report_by_jury(user, report_id, Permission.JURY_REPORT_RESOLVE)
    actions.do_refuse_identity_correction(report, actor=user, comment=payload.comment)
    report.refresh_from_db()
    return _report(report)
