"""Loading results: a candidate reaches only their own published certificate, a centre only
its own sessions' results, once published. 404 for everyone else."""

from django.http import Http404

from accounts.models import Centre, User
from accounts.permissions import Permission
from exams.access import access_centre, access_session_by_centre_member
from exams.models import ExamSession
from results.errors import ResultsNotPublished
from results.models import Certificate


def access_own_certificate(user: User, certificate_id: int) -> Certificate:
    if not user.is_authenticated:
        raise Http404
    certificate = (
        Certificate.objects.select_related("session__centre", "course__candidate")
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None:
        raise Http404
    if certificate.course.user_id != user.pk:
        raise Http404
    if not certificate.is_published:
        raise Http404
    return certificate


def access_results_by_centre_member(user: User, session_id: int) -> ExamSession:
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_RESULTS_EXPORT)
    if session.published_at is None:
        raise ResultsNotPublished
    return session


def access_establishment_results(user: User, centre_id: int) -> Centre:
    """The centre whose results across its published sessions the user may read and export:
    a member with the results permission; 404 for everyone else."""
    return access_centre(user, centre_id, Permission.CENTRE_RESULTS_EXPORT)
