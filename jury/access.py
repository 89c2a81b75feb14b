"""The only way to reach an issue report as a jury member (sessions: exams/access.py).

Staff users have the jury role; everyone else gets 404, so sessions cannot be enumerated.
Each condition sits on its own line so the tests can prove every branch.
"""

from django.http import Http404

from accounts.models import User
from accounts.permissions import Permission
from certification.models import IssueReport
from exams.access import access_session_by_jury


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
