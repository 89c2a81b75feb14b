"""Read-side helpers for the centre's pages (constant number of queries per page)."""

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from accounts.models import CompetenceLevel, User
from exams.models import Candidate, ExamSession
from lib.framework import is_certifiable


def sessions_for_centre(centre_id: int) -> QuerySet[ExamSession]:
    return (
        ExamSession.objects.filter(centre_id=centre_id)
        .select_related("centre")
        .annotate(candidate_count=Count("candidates"))
        .order_by("-date", "-time", "number")
    )


def candidates_with_eligibility(session: ExamSession) -> list[tuple[Candidate, bool | None]]:
    """Each candidate with « certifiable » (True/False), or None when no account is known.

    A candidate is linked to an account when joining; before that, the account with the
    e-mail the centre entered stands in for it.
    """
    candidates = list(
        session.candidates.annotate(
            # A started test (certification's course, by its relation's name) keeps the line.
            test_started=ExpressionWrapper(Q(course__isnull=False), output_field=BooleanField())
        ).order_by("last_name_key", "first_name_key", "birthdate")
    )
    user_ids = {c.user_id for c in candidates if c.user_id}
    emails = {c.email.lower() for c in candidates if c.email and not c.user_id}
    users = User.objects.filter(pk__in=user_ids) | User.objects.filter(email__in=emails)
    by_id = {u.pk: u for u in users}
    by_email = {u.email.lower(): u for u in by_id.values() if u.email}
    levels: dict[int, dict[str, int]] = {pk: {} for pk in by_id}
    for row in CompetenceLevel.objects.filter(user_id__in=by_id):
        levels[row.user_id][row.competence] = row.level
    result: list[tuple[Candidate, bool | None]] = []
    for candidate in candidates:
        user = by_id.get(candidate.user_id) if candidate.user_id else None
        user = user or by_email.get(candidate.email.lower()) if candidate.email else user
        result.append((candidate, is_certifiable(levels[user.pk]) if user else None))
    return result
