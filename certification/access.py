"""Loading a candidate's own objects: a user only ever reaches their own line and test."""

from django.http import Http404

from accounts.models import User
from certification.models import CertificationCourse
from exams.models import Candidate
from lib.prepared import Prepared

# A start, the start page and the candidate's messages read it (lib/prepared.py): at nine
# o'clock every candidate does, within the same minute.
_CANDIDATE = Prepared(lambda pk: Candidate.objects.select_related("session__centre").filter(pk=pk))


def access_own_candidate(user: User, candidate_id: int) -> Candidate:
    if not user.is_authenticated:
        raise Http404
    candidate = _CANDIDATE.first(candidate_id)
    if candidate is None:
        raise Http404
    if candidate.user_id != user.pk:
        raise Http404
    return candidate


# The candidate's test page reads or locks its course on every answer (lib/prepared.py).
_COURSE = Prepared(
    lambda pk: CertificationCourse.objects.select_related("candidate__session__centre").filter(
        pk=pk
    )
)
_LOCKED_COURSE = Prepared(
    lambda pk: (
        CertificationCourse.objects.select_related("candidate__session__centre")
        .select_for_update(of=("self",))
        .filter(pk=pk)
    )
)


def access_own_course(user: User, course_id: int, *, lock: bool = False) -> CertificationCourse:
    """`lock` (inside a transaction): the course row is locked until it ends, and only it;
    the candidate, session and centre come in the same query without being locked."""
    if not user.is_authenticated:
        raise Http404
    course = (_LOCKED_COURSE if lock else _COURSE).first(course_id)
    if course is None:
        raise Http404
    course.detach_from_candidate()  # freed with the request, not by the collector
    if course.user_id != user.pk:
        raise Http404
    return course
