"""The only way to reach a finalized session or an issue report as a jury member.

Staff users have the jury role; everyone else gets 404, so sessions cannot be enumerated.
Each condition sits on its own line so the tests can prove every branch.
"""

from django.http import Http404

from accounts.models import User
from accounts.permissions import Permission, Role, permissions_for
from certification.models import IssueReport
from exams.models import ExamSession


def jury_roles(user: User) -> set[Role]:
    if not user.is_authenticated:
        return set()
    return {Role.JURY} if user.is_jury else set()


def has_jury_permission(user: User, permission: Permission) -> bool:
    return permission in permissions_for(jury_roles(user))


def access_session_by_jury(user: User, session_id: int, permission: Permission) -> ExamSession:
    """A session the centre finalized; 404 for a non-jury user or a session not finalized."""
    if not has_jury_permission(user, permission):
        raise Http404
    session = (
        ExamSession.objects.select_related("centre", "assigned_officer")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404
    if session.finalized_at is None:
        raise Http404
    return session


def access_report_by_jury(user: User, report_id: int, permission: Permission) -> IssueReport:
    report = (
        IssueReport.objects.select_related("course__candidate__session", "live_alert")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise Http404
    access_session_by_jury(user, report.course.candidate.session_id, permission)
    return report
