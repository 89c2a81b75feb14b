"""The only way to reach a session, a candidate or an alert as an invigilator."""

from django.http import Http404

from accounts.models import User
from accounts.permissions import Permission
from certification.models import LiveAlert
from exams.access import has_centre_permission
from exams.models import Candidate, ExamSession
from invigilation.errors import SessionNotSupervisable
from invigilation.models import InvigilatorAccess


def can_invigilate(user: User, session: ExamSession) -> bool:
    if not user.is_authenticated:
        return False
    if is_member_invigilator(user, session):
        return True
    return has_entered(user, session)


def is_member_invigilator(user: User, session: ExamSession) -> bool:
    """A member of the session's centre, who may invigilate it without its password."""
    return has_centre_permission(user, session.centre_id, Permission.INVIGILATION_SESSION_SUPERVISE)


def has_entered(user: User, session: ExamSession) -> bool:
    """Entered this session's Espace Surveillant (its password, or « Surveiller cette
    session » for a centre member)."""
    return InvigilatorAccess.objects.filter(session=session, user=user).exists()


def access_session_as_member(user: User, session_id: int) -> ExamSession:
    """The session, for a member of its centre entering its Espace Surveillant: 404 for
    anyone else (an invigilator without membership types the password instead)."""
    session = access_session_as_invigilator(user, session_id)
    if not is_member_invigilator(user, session):
        raise Http404
    return session


def access_session_as_invigilator(
    user: User, session_id: int, *, for_action: bool = False
) -> ExamSession:
    """404 for whoever has not entered this session's password (nor belongs to its centre);
    412 for an action on a session that left `created`."""
    session = ExamSession.objects.select_related("centre").filter(pk=session_id).first()
    if session is None:
        raise Http404
    if not can_invigilate(user, session):
        raise Http404
    if for_action and not session.is_accessible:
        raise SessionNotSupervisable
    return session


def access_candidate_as_invigilator(user: User, candidate_id: int) -> Candidate:
    candidate = Candidate.objects.select_related("session__centre").filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404
    access_session_as_invigilator(user, candidate.session_id, for_action=True)
    return candidate


def access_alert_as_invigilator(user: User, alert_id: int) -> LiveAlert:
    alert = (
        LiveAlert.objects.select_related("course__candidate__session").filter(pk=alert_id).first()
    )
    if alert is None:
        raise Http404
    access_session_as_invigilator(user, alert.course.candidate.session_id, for_action=True)
    return alert
