"""Read-side helpers for the centre's pages (constant number of queries per page)."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from accounts.models import CompetenceLevel, User
from exams.levels import Eligibility, eligibility
from exams.models import Candidate, ExamSession, Student, StudentLevel, student_key


def sessions_for_centre(centre_id: int) -> QuerySet[ExamSession]:
    return (
        ExamSession.objects.filter(centre_id=centre_id)
        .select_related("centre")
        .annotate(candidate_count=Count("candidates"))
        .order_by("-date", "-time", "number")
    )


def candidates_with_eligibility(session: ExamSession) -> list[tuple[Candidate, Eligibility | None]]:
    """Each candidate with its eligibility (« 4 / 5 », certifiable from 5), or None when
    neither a Vigie account nor the centre's pupil record is known for it.

    A candidate is linked to an account when joining; before that, the account with the
    e-mail the centre entered stands in for it. The centre's pupils (exams.Student) are
    found by the line's e-mail or « identifiant externe »; the best level of each competence
    counts.
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
    pupils = _pupil_levels(session.centre_id, _pupil_keys(candidates))
    result: list[tuple[Candidate, Eligibility | None]] = []
    for candidate in candidates:
        user = by_id.get(candidate.user_id) if candidate.user_id else None
        user = user or by_email.get(candidate.email.lower()) if candidate.email else user
        sources = [levels[user.pk]] if user else []
        sources += [pupils[k] for k in _keys_of(candidate) if k in pupils]
        result.append((candidate, eligibility(sources) if sources else None))
    return result


def _keys_of(candidate: Candidate) -> list[str]:
    return [student_key(v) for v in (candidate.email, candidate.external_id) if v.strip()]


def _pupil_keys(candidates: Sequence[Candidate]) -> set[str]:
    return {key for candidate in candidates for key in _keys_of(candidate)}


def _pupil_levels(centre_id: int, keys: set[str]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    rows = StudentLevel.objects.filter(
        student__centre_id=centre_id, student__key__in=keys
    ).values_list("student__key", "competence", "level")
    for key, competence, level in rows:
        found.setdefault(key, {})[competence] = level
    return found


@dataclass
class PupilRow:
    student: Student
    eligibility: Eligibility
    levels: dict[str, StudentLevel]


def pupils_with_eligibility(centre_id: int) -> list[PupilRow]:
    """The centre's pupils, certifiable first, then the closest to it, then by name."""
    students = list(Student.objects.filter(centre_id=centre_id).prefetch_related("levels"))
    rows = []
    for student in students:
        levels = {level.competence: level for level in student.levels.all()}
        reached = eligibility([{c: level.level for c, level in levels.items()}])
        rows.append(PupilRow(student, reached, levels))
    rows.sort(
        key=lambda r: (
            not r.eligibility.certifiable,
            -r.eligibility.reached,
            r.student.last_name.casefold(),
            r.student.first_name.casefold(),
            r.student.key,
        )
    )
    return rows
