"""The only way to reach a session, a candidate or an alert as an invigilator.

Reads are checked like actions: the state holds names, birthdates, the candidates' access code
and the notes, the kit the invigilator password. So the session must still be `created`, and
an access by the session's password ends at `ExamSession.supervision_ends_at`. Centre members
act through their membership (no time bound); a row « via membership » grants nothing.
"""

from typing import Any

from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Permission
from audit.models import AuditEvent
from certification.models import CertificationCourse, LiveAlert
from exams.access import has_centre_permission
from exams.models import Candidate, ExamSession
from invigilation.errors import AccessExpired, NotStarted, SessionNotSupervisable
from invigilation.evidence import EVIDENCE_TAGS
from invigilation.models import InvigilatorAccess, Note
from lib import issue_reports
from lib.prepared import Prepared

# Every request of the Espace Surveillant goes through access_session_as_invigilator (a
# fetch per live event): its queries are compiled once per process (lib/prepared.py).
_SESSION = Prepared(
    lambda session_id: ExamSession.objects.select_related("centre").filter(pk=session_id)
)
_ENTERED_WITH_PASSWORD: Prepared[Any] = Prepared(
    lambda session_id, user_id: InvigilatorAccess.objects.filter(
        session_id=session_id, user_id=user_id, via=InvigilatorAccess.Via.PASSWORD
    ).values_list("pk")[:1],
    kinds=(int, int),
)


def is_member_invigilator(user: User, session: ExamSession) -> bool:
    """A member of the session's centre, who may invigilate it without its password."""
    return has_centre_permission(user, session.centre_id, Permission.INVIGILATION_SESSION_SUPERVISE)


def has_entered(user: User, session: ExamSession) -> bool:
    """Entered this session's Espace Surveillant (its password, or « Surveiller cette
    session » for a centre member)."""
    return InvigilatorAccess.objects.filter(session=session, user=user).exists()


def _entered_with_password(user: User, session: ExamSession) -> bool:
    return _ENTERED_WITH_PASSWORD.first(session.pk, user.pk) is not None


def access_session_as_invigilator(user: User, session_id: int) -> ExamSession:
    """404 for whoever neither belongs to the session's centre nor entered its password;
    412 once the session left `created`; 403 once an access by password has expired."""
    if not user.is_authenticated:
        raise Http404
    session = _SESSION.first(session_id)
    if session is None:
        raise Http404
    member = is_member_invigilator(user, session)
    if not member and not _entered_with_password(user, session):
        raise Http404
    if not session.is_accessible:
        raise SessionNotSupervisable
    if not member and timezone.now() >= session.supervision_ends_at:
        raise AccessExpired(session)
    return session


def access_session_as_member(user: User, session_id: int) -> ExamSession:
    """The session, for a member of its centre entering its Espace Surveillant: 404 for
    anyone else (an invigilator without membership types the password instead)."""
    session = access_session_as_invigilator(user, session_id)
    if not is_member_invigilator(user, session):
        raise Http404
    return session


def access_candidate_as_invigilator(user: User, candidate_id: int) -> Candidate:
    candidate = Candidate.objects.select_related("session__centre").filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404
    access_session_as_invigilator(user, candidate.session_id)
    return candidate


def access_alert_as_invigilator(user: User, alert_id: int) -> LiveAlert:
    alert = (
        LiveAlert.objects.select_related("course__candidate__session").filter(pk=alert_id).first()
    )
    if alert is None:
        raise Http404
    access_session_as_invigilator(user, alert.course.candidate.session_id)
    return alert


def access_evidence_as_invigilator(user: User, event_id: int) -> AuditEvent:
    """Something Vigie saw about a candidate's test (invigilation/evidence.py), for an
    invigilator of its session; 404 for any other event or anyone else."""
    event = AuditEvent.objects.filter(pk=event_id, tag__in=EVIDENCE_TAGS).first()
    if event is None or event.session_id is None:
        raise Http404
    access_session_as_invigilator(user, event.session_id)
    return event


def access_fraud_line_as_invigilator(user: User, note_id: int) -> Note:
    """A « Suspicion de fraude » (C6) line of the PV about a candidate, for its PV de fraude;
    404 for any other note or anyone else."""
    note = (
        Note.objects.select_related("candidate", "author", "session__centre")
        .filter(pk=note_id, code=issue_reports.FRAUD_CODE, candidate__isnull=False)
        .first()
    )
    if note is None:
        raise Http404
    access_session_as_invigilator(user, note.session_id)
    return note


def started_course(candidate: Candidate) -> CertificationCourse:
    """The test of a candidate already reached through an access function above, for the
    actions on it (end, suspend, resume): refused before the start."""
    course = CertificationCourse.objects.filter(candidate=candidate).first()
    if course is None:
        raise NotStarted
    return course
