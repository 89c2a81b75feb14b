"""Before and after (issue 16): the readiness board before the start and the closing
checklist before leaving, read from the session's rows in a few queries (reads only)."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from certification.models import AlertStatus, CourseStatus, LiveAlert
from certification.models import Suspension as CourseSuspension
from exams.models import Candidate, ExamSession


@dataclass(frozen=True)
class Readiness:
    """One candidate before the start: joined (linked to their Vigie account), instructions
    read, the companion extension, presence confirmed."""

    name: str
    joined: bool
    instructions: bool
    # True: detected (before the test, by the candidate's instructions or start page; then
    # the test runs without an extension alert); False: not detected (by those pages, or an
    # alert is pending); None: not required, or no page of the candidate checked it yet.
    extension: bool | None
    confirmed: bool

    @property
    def ready(self) -> bool:
        return self.joined and self.instructions and self.confirmed and self.extension is not False


def _name(candidate: Candidate) -> str:
    return f"{candidate.last_name.upper()} {candidate.first_name}"


def readiness(session: ExamSession) -> list[Readiness]:
    candidates = (
        session.candidates.select_related("course")
        .annotate(
            companion_missing=Exists(
                LiveAlert.objects.filter(
                    course__candidate=OuterRef("pk"),
                    kind=LiveAlert.Kind.COMPANION,
                    status=AlertStatus.ONGOING,
                )
            )
        )
        .order_by("last_name_key", "first_name_key", "birthdate")
    )
    rows = []
    for candidate in candidates:
        course = getattr(candidate, "course", None)
        extension: bool | None = None
        if session.companion_required and course is None:
            extension = candidate.companion_detected  # what the candidate's page saw
        elif session.companion_required and course is not None and course.is_running:
            extension = not candidate.companion_missing  # type: ignore[attr-defined]
        rows.append(
            Readiness(
                name=_name(candidate),
                joined=candidate.user_id is not None,
                instructions=candidate.instructions_accepted_at is not None,
                extension=extension,
                confirmed=candidate.authorized_to_start_at is not None or course is not None,
            )
        )
    return rows


@dataclass(frozen=True)
class Check:
    """One line of the closing checklist: done, or what remains (with whom)."""

    label: str
    done: bool
    detail: str = ""
    names: list[str] = field(default_factory=list)


def closing_checks(session: ExamSession) -> list[Check]:
    candidates = {c.pk: c for c in session.candidates.select_related("course")}
    courses = [c.course for c in candidates.values() if getattr(c, "course", None) is not None]
    running = sorted(_name(candidates[c.candidate_id]) for c in courses if c.is_running)
    pending = sorted(
        {
            _name(candidates[candidate_id])
            for candidate_id in LiveAlert.objects.filter(
                course__candidate__session=session, status=AlertStatus.ONGOING
            ).values_list("course__candidate_id", flat=True)
        }
    )
    absent = sorted(
        _name(c)
        for c in candidates.values()
        if getattr(c, "course", None) is None and c.authorized_to_start_at is None
    )
    confirmed_no_test = sorted(
        _name(c)
        for c in candidates.values()
        if getattr(c, "course", None) is None and c.authorized_to_start_at is not None
    )
    # A test the invigilator ended or suspended on its own needs the PV's explanation.
    noted = set(
        session.notes.filter(candidate__isnull=False).values_list("candidate_id", flat=True)
    )
    suspended_alone = set(
        CourseSuspension.objects.filter(
            course__candidate__session=session, room__isnull=True
        ).values_list("course__candidate_id", flat=True)
    )
    to_explain = sorted(
        _name(candidates[c.candidate_id])
        for c in courses
        if (c.status == CourseStatus.ENDED_BY_INVIGILATOR or c.candidate_id in suspended_alone)
        and c.candidate_id not in noted
    )
    return [
        Check(_("Tous les tests sont terminés"), not running, _("Tests en cours :"), running),
        Check(
            _("Tous les signalements ont reçu une décision"),
            not pending,
            _("Signalements en attente :"),
            pending,
        ),
        Check(
            _("Les absences sont relevées"),
            not confirmed_no_test,
            _(
                "Présence confirmée mais aucun test commencé : annulez la confirmation "
                "s'ils sont absents, ou notez pourquoi au PV :"
            ),
            confirmed_no_test,
        ),
        Check(
            _("Les notes du PV d'incident sont complètes"),
            not to_explain,
            _("Test terminé ou suspendu par un surveillant, sans note au PV :"),
            to_explain,
        ),
    ] + (
        [
            Check(
                _("Candidats absents (déclarés absents à la finalisation)"),
                True,
                "",
                absent,
            )
        ]
        if absent
        else []
    )
