"""A course's result from its answers: capacity, score, level, competence levels, status.

The formulas live in certification/scoring.py (docs/scoring.md); this module only gathers
the answers that count.
"""

from dataclasses import dataclass

from certification import irt, scoring
from certification.bank import Item
from certification.engine import get_bank
from certification.models import CertificationCourse, CourseStatus
from results.errors import UnknownItem
from results.models import CertificateStatus


@dataclass(frozen=True)
class Result:
    theta: float
    score: int
    level: int
    competence_levels: dict[str, int]
    answer_count: int
    status: CertificateStatus


def scored_history(course: CertificationCourse) -> list[tuple[Item, bool]]:
    """(item, correct) of every answer, in order, except the ones the jury neutralized."""
    bank = get_bank().by_id()
    history: list[tuple[Item, bool]] = []
    for answer in course.answers.order_by("position"):
        # `neutralized` belongs to the jury's review; a course answered before it existed
        # has no such field, and then every answer counts.
        if getattr(answer, "neutralized", False):
            continue
        if answer.item_id not in bank:
            raise UnknownItem(answer.item_id)
        history.append((bank[answer.item_id], answer.correct))
    return history


def compute_result(course: CertificationCourse) -> Result:
    history = scored_history(course)
    theta = irt.estimate(history).theta
    score = scoring.score_for(theta)
    # Reference §6 counts the answers given, neutralized or not: the rule is about a test cut
    # short, not about the questions the jury set aside afterwards.
    answer_count = course.answers.count()
    aborted = course.status != CourseStatus.COMPLETED
    rejected = scoring.is_rejected(answer_count, aborted)
    return Result(
        theta=theta,
        score=score,
        level=scoring.level_for(score),
        competence_levels=scoring.competence_levels(history),
        answer_count=answer_count,
        status=CertificateStatus.REJECTED if rejected else CertificateStatus.VALIDATED,
    )
